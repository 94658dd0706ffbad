/** Stream sessions: one row per granted stream, from grant to end, with its bytes. */
import { sql, type Kysely } from 'kysely';
import type { Database, StreamSessionsTable } from '../schema.js';

export type StreamSessionRow = StreamSessionsTable;

/** What a grant knows when it opens a stream: the rest of the row starts empty. */
export interface GrantedStream {
  id: string;
  personId: string;
  cameraId: string;
  childId: string | null;
  sessionId: string;
  basis: StreamSessionRow['basis'];
  purpose: StreamSessionRow['purpose'];
  at: Date;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

/** The row of a stream just granted: not started, not ended, no bytes yet. */
export function grantedStreamRow(g: GrantedStream): StreamSessionRow {
  return {
    id: g.id,
    person_id: g.personId,
    camera_id: g.cameraId,
    child_id: g.childId,
    session_id: g.sessionId,
    basis: g.basis,
    purpose: g.purpose,
    granted_at: g.at.toISOString(),
    renewed_at: g.at.toISOString(),
    grant_expires_at: g.expiresAt,
    started_at: null,
    ended_at: null,
    end_reason: null,
    bytes: 0,
    transport: null,
    ip: g.ip,
    user_agent: g.userAgent,
  };
}

export class StreamSessionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Written out rather than built: it runs on every allowed grant, where building cost more than running. */
  async insert(r: StreamSessionRow, db: Kysely<Database> = this.db): Promise<void> {
    await sql`insert into stream_sessions (id, person_id, camera_id, child_id, session_id, basis, purpose,
        granted_at, renewed_at, grant_expires_at, started_at, ended_at, end_reason, bytes, transport, ip,
        user_agent)
      values (${r.id}, ${r.person_id}, ${r.camera_id}, ${r.child_id}, ${r.session_id}, ${r.basis},
        ${r.purpose}, ${r.granted_at}, ${r.renewed_at}, ${r.grant_expires_at}, ${r.started_at},
        ${r.ended_at}, ${r.end_reason}, ${r.bytes}, ${r.transport}, ${r.ip}, ${r.user_agent})`.execute(db);
  }

  async get(id: string): Promise<StreamSessionRow | undefined> {
    return this.db.selectFrom('stream_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async renewed(
    id: string,
    renewedAt: string,
    expiresAt: string,
    db: Kysely<Database> = this.db,
  ): Promise<void> {
    await db
      .updateTable('stream_sessions')
      .set({ renewed_at: renewedAt, grant_expires_at: expiresAt })
      .where('id', '=', id)
      .execute();
  }

  async started(id: string, at: string, transport: string, db: Kysely<Database> = this.db): Promise<void> {
    await db
      .updateTable('stream_sessions')
      .set({ started_at: at, transport })
      .where('id', '=', id)
      .where('started_at', 'is', null)
      .execute();
  }

  /** Ends a stream once; returns the row as it was if this call ended it. */
  async end(
    id: string,
    at: string,
    reason: string,
    bytes: number,
    db: Kysely<Database> = this.db,
  ): Promise<StreamSessionRow | undefined> {
    const row = await db.selectFrom('stream_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.ended_at) return undefined;
    await db
      .updateTable('stream_sessions')
      .set({ ended_at: at, end_reason: reason, bytes: sql`bytes + ${bytes}` })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
    return row;
  }

  /**
   * Rows no connection holds any more: not ended, grant lapsed before `beforeIso` (a connection renews
   * its grant while it lives). Started ones end with `reason` (a crash: `server_restart` at startup,
   * `connection_lost` in the registry's sweep), never-started ones as `grant_unused`.
   */
  async closeAbandoned(beforeIso: string, at: string, reason: string): Promise<number> {
    const started = await this.db
      .updateTable('stream_sessions')
      .set({ ended_at: at, end_reason: reason })
      .where('ended_at', 'is', null)
      .where('started_at', 'is not', null)
      .where('grant_expires_at', '<', beforeIso)
      .executeTakeFirst();
    const unused = await this.db
      .updateTable('stream_sessions')
      .set({ ended_at: at, end_reason: 'grant_unused' })
      .where('ended_at', 'is', null)
      .where('started_at', 'is', null)
      .where('grant_expires_at', '<', beforeIso)
      .executeTakeFirst();
    return Number(started.numUpdatedRows) + Number(unused.numUpdatedRows);
  }

  /** At logout: the session's grants that never opened a connection are released (ended) at once. */
  async releaseUnstarted(sessionId: string, at: string, db: Kysely<Database> = this.db): Promise<number> {
    const r = await db
      .updateTable('stream_sessions')
      .set({ ended_at: at, end_reason: 'session_ended' })
      .where('session_id', '=', sessionId)
      .where('ended_at', 'is', null)
      .where('started_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
