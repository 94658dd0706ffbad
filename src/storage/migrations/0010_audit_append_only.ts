/**
 * The audit log is append-only on SQLite too (PostgreSQL has had its trigger since 0001): any UPDATE
 * or DELETE of an audit row aborts with "audit_log is append-only". Someone with the database file can
 * still drop the trigger; the signed checkpoints outside the database (docs/design/audit-anchoring.md)
 * catch what that lets them do.
 */
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  for (const op of ['update', 'delete'] as const)
    await sql
      .raw(
        `create trigger audit_log_append_only_${op} before ${op} on audit_log
         begin select raise(abort, 'audit_log is append-only'); end`,
      )
      .execute(db);
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
