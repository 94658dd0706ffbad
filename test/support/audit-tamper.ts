/** Tampering with the audit log as someone with full access to the database would. */
import { sql, type Kysely } from 'kysely';
import { entryHash, GENESIS_HASH } from '../../src/audit/audit-log.js';
import type { AuditLogTable, Database } from '../../src/storage/schema.js';

export interface OwnedDb {
  kysely: Kysely<Database>;
  dialect: string;
}

/** Runs statements with the append-only triggers off, as someone with full database access can. */
export async function asDatabaseOwner(db: OwnedDb, work: () => Promise<void>): Promise<void> {
  if (db.dialect === 'postgres') {
    await sql.raw('alter table audit_log disable trigger audit_log_append_only').execute(db.kysely);
    await work();
    await sql.raw('alter table audit_log enable trigger audit_log_append_only').execute(db.kysely);
  } else {
    for (const op of ['update', 'delete'])
      await sql.raw(`drop trigger audit_log_append_only_${op}`).execute(db.kysely);
    await work();
  }
}

/**
 * The attack the checkpoints exist for: edit entry `seq` and recompute every hash from there on, and
 * the head row too, so the chain on its own verifies again.
 */
export async function rewriteChain(db: OwnedDb, seq: number, reason: string): Promise<void> {
  await asDatabaseOwner(db, async () => {
    const rows = await db.kysely.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    let prev = GENESIS_HASH;
    for (const r of rows) {
      const n = Number(r.seq);
      const edited: AuditLogTable = n === seq ? { ...r, reason } : r;
      const { hash: _h, prev_hash: _p, ...rest } = edited;
      const hash = entryHash(prev, { ...rest, seq: n });
      if (n >= seq)
        await db.kysely
          .updateTable('audit_log')
          .set({ reason: edited.reason, prev_hash: prev, hash })
          .where('seq', '=', n)
          .execute();
      prev = hash;
    }
    await sql`update audit_head set hash = ${prev} where id = 1`.execute(db.kysely);
  });
}
