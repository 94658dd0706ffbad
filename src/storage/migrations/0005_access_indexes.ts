/**
 * Indexes for the access-decision snapshot (AccessFactsRepository.liveSnapshot): subscriptions are
 * looked up by child (the unique key leads with the person), so without this every grant decision
 * scanned the table.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('subscriptions_child_idx').on('subscriptions').column('child_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('subscriptions_child_idx').execute();
}
