/**
 * Server-side sessions. The browser holds only a random token in an httpOnly, SameSite=Lax cookie;
 * the database holds its sha256 (a leaked database row cannot be replayed as a cookie). A session ends
 * on logout, after the idle timeout, or at its absolute expiry, whichever comes first.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, Role, ScopeKind } from '../storage/schema.js';
import type { Clock } from '../shared/clock.js';

export const SESSION_COOKIE = 'okno_session';

export interface RoleBinding {
  role: Role;
  scopeKind: ScopeKind;
  scopeId: string;
}

export interface AuthenticatedSession {
  sessionId: string;
  csrfToken: string;
  person: { id: string; issuer: string; subject: string; displayName: string };
  roles: RoleBinding[];
  createdAt: string;
  expiresAt: string;
  idTokenHint: string | null;
}

export interface SessionPolicy {
  idleTimeoutMinutes: number;
  absoluteTimeoutHours: number;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type SessionEndReason = 'logout' | 'idle_timeout' | 'absolute_timeout' | 'person_disabled' | 'revoked';

export class SessionStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly policy: SessionPolicy,
  ) {}

  /** A new session (a new id at every login: no fixation). Returns the cookie value. */
  async create(
    personId: string,
    meta: { ip: string | null; userAgent: string | null; idTokenHint?: string | null },
    db: Kysely<Database> = this.db,
  ): Promise<{ token: string; sessionId: string; csrfToken: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const sessionId = hashToken(token);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.policy.absoluteTimeoutHours * 3600_000).toISOString();
    const csrfToken = randomBytes(24).toString('base64url');
    await db
      .insertInto('sessions')
      .values({
        id: sessionId,
        person_id: personId,
        csrf_token: csrfToken,
        id_token_hint: meta.idTokenHint ?? null,
        created_at: now.toISOString(),
        last_seen_at: now.toISOString(),
        expires_at: expiresAt,
        ip: meta.ip,
        user_agent: meta.userAgent,
        ended_at: null,
        end_reason: null,
      })
      .execute();
    return { token, sessionId, csrfToken, expiresAt };
  }

  /**
   * The live session for a cookie value, or why there is none. Touches last_seen_at (at most once a
   * minute, or a quarter of the idle timeout where that is shorter: a viewer renewing its grant every
   * 40 s keeps even a one-minute session alive) and ends sessions that timed out.
   */
  async resolve(
    token: string,
  ): Promise<
    { ok: true; session: AuthenticatedSession } | { ok: false; reason: SessionEndReason | 'unknown' }
  > {
    const sessionId = hashToken(token);
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('persons', 'persons.id', 'sessions.person_id')
      .select([
        'sessions.id',
        'sessions.csrf_token',
        'sessions.created_at',
        'sessions.last_seen_at',
        'sessions.expires_at',
        'sessions.ended_at',
        'sessions.end_reason',
        'sessions.id_token_hint',
        'persons.id as person_id',
        'persons.issuer',
        'persons.subject',
        'persons.display_name',
        'persons.disabled',
      ])
      .where('sessions.id', '=', sessionId)
      .executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.ended_at) return { ok: false, reason: (row.end_reason as SessionEndReason | null) ?? 'revoked' };
    const now = this.clock.now();
    let ended: SessionEndReason | null = null;
    if (row.disabled) ended = 'person_disabled';
    else if (now.toISOString() >= row.expires_at) ended = 'absolute_timeout';
    else if (now.getTime() - Date.parse(row.last_seen_at) > this.policy.idleTimeoutMinutes * 60_000)
      ended = 'idle_timeout';
    if (ended) {
      await this.end(sessionId, ended);
      return { ok: false, reason: ended };
    }
    if (now.getTime() - Date.parse(row.last_seen_at) >= this.touchEveryMs()) {
      await this.db
        .updateTable('sessions')
        .set({ last_seen_at: now.toISOString() })
        .where('id', '=', sessionId)
        .execute();
    }
    const roles = await this.db
      .selectFrom('role_bindings')
      .select(['role', 'scope_kind', 'scope_id'])
      .where('person_id', '=', row.person_id)
      .execute();
    return {
      ok: true,
      session: {
        sessionId,
        csrfToken: row.csrf_token,
        person: {
          id: row.person_id,
          issuer: row.issuer,
          subject: row.subject,
          displayName: row.display_name,
        },
        roles: roles.map((r) => ({ role: r.role, scopeKind: r.scope_kind, scopeId: r.scope_id })),
        createdAt: row.created_at,
        expiresAt: row.expires_at,
        idTokenHint: row.id_token_hint,
      },
    };
  }

  /** How often last_seen_at is written at most. */
  private touchEveryMs(): number {
    return Math.min(60_000, (this.policy.idleTimeoutMinutes * 60_000) / 4);
  }

  /** Whether a session (by id) is still live: used to re-check open streams. Does not touch it. */
  async isActive(sessionId: string): Promise<boolean> {
    return (await this.activeUntil(sessionId)) !== null;
  }

  /**
   * Until when a session stays live unless it is used again (idle timeout) and at the latest
   * (absolute timeout), epoch ms; null when it has ended. Does not touch it.
   */
  async activeUntil(sessionId: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('persons', 'persons.id', 'sessions.person_id')
      .select(['sessions.ended_at', 'sessions.expires_at', 'sessions.last_seen_at', 'persons.disabled'])
      .where('sessions.id', '=', sessionId)
      .executeTakeFirst();
    if (!row || row.ended_at || row.disabled) return null;
    const nowMs = this.clock.now().getTime();
    const until = Math.min(
      Date.parse(row.expires_at),
      Date.parse(row.last_seen_at) + this.policy.idleTimeoutMinutes * 60_000 + 1,
    );
    return until > nowMs ? until : null;
  }

  async end(sessionId: string, reason: SessionEndReason, db: Kysely<Database> = this.db): Promise<boolean> {
    const r = await db
      .updateTable('sessions')
      .set({ ended_at: this.clock.now().toISOString(), end_reason: reason })
      .where('id', '=', sessionId)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
