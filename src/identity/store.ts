/**
 * Storage for login: the pending login attempts (state, nonce and PKCE verifier of one browser's
 * login, created at /auth/login and consumed once at /auth/callback) and persons matched by the
 * identity provider's (issuer, subject).
 */
import type { Kysely } from 'kysely';
import type { Database, Role } from '../storage/schema.js';
import { newId } from '../shared/ids.js';

/** A login attempt older than this is refused at the callback. */
export const LOGIN_ATTEMPT_TTL_MS = 10 * 60_000;
/** Attempts older than this are deleted when a new one is made (they only matter for a few minutes). */
const LOGIN_ATTEMPT_KEEP_MS = 24 * 3600_000;

export interface LoginAttempt {
  id: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  createdAt: string;
  usedAt: string | null;
}

export interface StoredPerson {
  id: string;
  displayName: string;
  disabled: boolean;
}

export class IdentityStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createAttempt(
    a: { state: string; nonce: string; codeVerifier: string; returnTo: string },
    now: Date,
  ): Promise<string> {
    const id = newId();
    await this.db
      .deleteFrom('login_attempts')
      .where('created_at', '<', new Date(now.getTime() - LOGIN_ATTEMPT_KEEP_MS).toISOString())
      .execute();
    await this.db
      .insertInto('login_attempts')
      .values({
        id,
        state: a.state,
        nonce: a.nonce,
        code_verifier: a.codeVerifier,
        return_to: a.returnTo,
        created_at: now.toISOString(),
        used_at: null,
      })
      .execute();
    return id;
  }

  async findAttempt(id: string): Promise<LoginAttempt | undefined> {
    const r = await this.db.selectFrom('login_attempts').selectAll().where('id', '=', id).executeTakeFirst();
    return r
      ? {
          id: r.id,
          state: r.state,
          nonce: r.nonce,
          codeVerifier: r.code_verifier,
          returnTo: r.return_to ?? '/',
          createdAt: r.created_at,
          usedAt: r.used_at,
        }
      : undefined;
  }

  /** Marks an attempt used; false when it already was (a replay, or a concurrent second callback). */
  async consumeAttempt(id: string, now: Date): Promise<boolean> {
    const r = await this.db
      .updateTable('login_attempts')
      .set({ used_at: now.toISOString() })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async findPerson(
    issuer: string,
    subject: string,
    db: Kysely<Database> = this.db,
  ): Promise<StoredPerson | undefined> {
    const r = await db
      .selectFrom('persons')
      .select(['id', 'display_name', 'disabled'])
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return r ? { id: r.id, displayName: r.display_name, disabled: !!r.disabled } : undefined;
  }

  async createPerson(
    p: { issuer: string; subject: string; displayName: string; email: string | null },
    now: Date,
    db: Kysely<Database> = this.db,
  ): Promise<StoredPerson> {
    const id = newId();
    const ts = now.toISOString();
    await db
      .insertInto('persons')
      .values({
        id,
        issuer: p.issuer,
        subject: p.subject,
        display_name: p.displayName,
        email: p.email,
        phone: null,
        disabled: 0,
        created_at: ts,
        updated_at: ts,
      })
      .execute();
    return { id, displayName: p.displayName, disabled: false };
  }

  async roles(personId: string, db: Kysely<Database> = this.db): Promise<Role[]> {
    const rows = await db
      .selectFrom('role_bindings')
      .select('role')
      .where('person_id', '=', personId)
      .execute();
    return rows.map((r) => r.role);
  }
}
