/**
 * The append-only, hash-chained audit log (docs/PRODUCT.md, Audit log).
 *
 * Each entry's hash is sha256(prev_hash + canonical JSON of its fields). Writers serialise on the
 * single audit_head row (SELECT … FOR UPDATE on PostgreSQL; SQLite transactions are already serial),
 * so the chain is a total order even with several API processes. Entries are appended inside the
 * caller's transaction: the audit row commits with the change it records, or neither does.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AuditLogTable, Database } from '../storage/schema.js';
import { newId } from '../shared/ids.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface Actor {
  personId: string;
  subject: string;
  /** the role the actor acted in: parent, kindergarten_admin, …, or system */
  role: string;
}

/** Who did it, from where: carried by every request and passed to every audited write. */
export interface AuditContext {
  actor: Actor | null;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
}

export interface AuditEvent {
  action: string;
  targetKind?: string | null;
  targetId?: string | null;
  institutionId?: string | null;
  decision?: 'allow' | 'deny' | null;
  reason?: string | null;
  streamId?: string | null;
  details?: Record<string, unknown> | null;
}

export const SYSTEM_CONTEXT: AuditContext = {
  actor: { personId: 'system', subject: 'system', role: 'system' },
  ip: null,
  userAgent: null,
  sessionId: null,
};

type Entry = Omit<AuditLogTable, 'hash' | 'prev_hash'>;

const HASHED_FIELDS = [
  'seq',
  'id',
  'at',
  'actor_person_id',
  'actor_subject',
  'actor_role',
  'action',
  'target_kind',
  'target_id',
  'institution_id',
  'decision',
  'reason',
  'session_id',
  'stream_id',
  'ip',
  'user_agent',
  'details',
] as const;

export function entryHash(prevHash: string, e: Entry): string {
  const canonical = HASHED_FIELDS.map((f) => (f === 'seq' ? String(e.seq) : (e[f] ?? null)));
  return createHash('sha256').update(prevHash).update(JSON.stringify(canonical)).digest('hex');
}

function isPg(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter.constructor.name === 'PostgresAdapter';
}

export interface AuditHead {
  seq: number;
  hash: string;
}

/** Reads the chain's head and locks it for this transaction (FOR UPDATE on PostgreSQL). */
export async function lockAuditHead(trx: Transaction<Database>): Promise<AuditHead> {
  const head = isPg(trx)
    ? (
        await sql<{
          seq: string;
          hash: string;
        }>`select seq, hash from audit_head where id = 1 for update`.execute(trx)
      ).rows[0]
    : (await sql<{ seq: number; hash: string }>`select seq, hash from audit_head where id = 1`.execute(trx))
        .rows[0];
  if (!head) throw new Error('audit_head row is missing: the database was not migrated');
  return { seq: Number(head.seq), hash: head.hash };
}

export async function writeAuditHead(trx: Transaction<Database>, head: AuditHead): Promise<void> {
  await sql`update audit_head set seq = ${head.seq}, hash = ${head.hash} where id = 1`.execute(trx);
}

/**
 * Inserts the entry that follows `head` and returns the new head. The statement is written out rather
 * than built: it runs once per grant decision, and building a 19-column insert cost more than running it.
 */
export async function insertAuditEntry(
  trx: Transaction<Database>,
  head: AuditHead,
  ctx: AuditContext,
  ev: AuditEvent,
  at: Date,
): Promise<{ id: string; head: AuditHead }> {
  const seq = head.seq + 1;
  const e: Entry = {
    seq,
    id: newId(),
    at: at.toISOString(),
    actor_person_id: ctx.actor?.personId ?? null,
    actor_subject: ctx.actor?.subject ?? null,
    actor_role: ctx.actor?.role ?? null,
    action: ev.action,
    target_kind: ev.targetKind ?? null,
    target_id: ev.targetId ?? null,
    institution_id: ev.institutionId ?? null,
    decision: ev.decision ?? null,
    reason: ev.reason ?? null,
    session_id: ctx.sessionId,
    stream_id: ev.streamId ?? null,
    ip: ctx.ip,
    user_agent: ctx.userAgent,
    details: ev.details ? JSON.stringify(ev.details) : null,
  };
  const hash = entryHash(head.hash, e);
  await sql`insert into audit_log (seq, id, at, actor_person_id, actor_subject, actor_role, action,
      target_kind, target_id, institution_id, decision, reason, session_id, stream_id, ip, user_agent,
      details, prev_hash, hash)
    values (${e.seq}, ${e.id}, ${e.at}, ${e.actor_person_id}, ${e.actor_subject}, ${e.actor_role},
      ${e.action}, ${e.target_kind}, ${e.target_id}, ${e.institution_id}, ${e.decision}, ${e.reason},
      ${e.session_id}, ${e.stream_id}, ${e.ip}, ${e.user_agent}, ${e.details}, ${head.hash}, ${hash})`.execute(
    trx,
  );
  return { id: e.id, head: { seq, hash } };
}

/** Append one entry inside an open transaction. */
export async function appendAudit(
  trx: Transaction<Database>,
  ctx: AuditContext,
  ev: AuditEvent,
  at: Date,
): Promise<{ id: string; seq: number }> {
  const head = await lockAuditHead(trx);
  const written = await insertAuditEntry(trx, head, ctx, ev, at);
  await writeAuditHead(trx, written.head);
  return { id: written.id, seq: written.head.seq };
}

/** Append in a transaction of its own (for events that change nothing else: logins, denials). */
export async function recordAudit(
  db: Kysely<Database>,
  ctx: AuditContext,
  ev: AuditEvent,
  at: Date,
): Promise<{ id: string; seq: number }> {
  return db.transaction().execute((trx) => appendAudit(trx, ctx, ev, at));
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  /** the first entry found bad, and why */
  firstBad?: { seq: number; id: string | null; problem: string };
}

/**
 * Walks the chain in order. Finds an edited entry (its hash no longer matches), a removed or inserted
 * entry (a break in seq or in prev_hash), reordered entries (prev_hash breaks), and a cut tail
 * (the head row no longer matches the last entry).
 */
export async function verifyAuditChain(db: Kysely<Database>, batch = 5000): Promise<VerifyResult> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(batch)
      .execute();
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== expectedSeq)
        return {
          ok: false,
          entries: count,
          firstBad: {
            seq: expectedSeq,
            id: null,
            problem: `entry ${expectedSeq} is missing (next is ${seq})`,
          },
        };
      if (r.prev_hash !== prevHash)
        return {
          ok: false,
          entries: count,
          firstBad: {
            seq,
            id: r.id,
            problem: 'previous-hash link broken (entry inserted, removed or reordered)',
          },
        };
      const { hash, prev_hash, ...rest } = r;
      if (entryHash(prev_hash, { ...rest, seq }) !== hash)
        return {
          ok: false,
          entries: count,
          firstBad: { seq, id: r.id, problem: 'content does not match its hash (edited)' },
        };
      prevHash = hash;
      expectedSeq++;
      count++;
    }
    if (rows.length < batch) break;
  }
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  if (!head || Number(head.seq) !== count || head.hash !== prevHash)
    return {
      ok: false,
      entries: count,
      firstBad: {
        seq: count + 1,
        id: null,
        problem: `chain ends at entry ${count} but the head records ${head ? String(head.seq) : 'nothing'} (entries removed from the end)`,
      },
    };
  return { ok: true, entries: count };
}
