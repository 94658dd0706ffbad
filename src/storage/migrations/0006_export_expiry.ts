/**
 * Export packages expire: the file is deleted after `recording.exportKeepDays`, the record of the
 * export (who, what range, why, the hashes) stays. `file_deleted_at` says when the file went.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('recording_exports').addColumn('file_deleted_at', 'text').execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
