/**
 * Indexes for the city-scale work of the paid service and of entrance analytics (docs/benchmarks.md,
 * "billing" and "attendance"; why each exists: docs/design/attendance.md and billing.md).
 *
 * Ids are random UUIDs, so a row found through an index on another column sits on a page of its own:
 * reading 160,000 children one lookup at a time costs far more than scanning an index that holds
 * every column the query reads ("covering"). The nightly attendance work reads whole kindergartens:
 * - children by kindergarten with their meal profile;
 * - a child's enrolments with their dates and room (replaces the plain child index);
 * - the group-days the forecast learns from (replaces (institution_id, day)).
 *
 * Money totals: a region's monthly total passes 2^31 kopecks (21 million roubles) at city scale, so
 * on PostgreSQL the run's and the import's totals become bigint (SQLite integers are 64-bit already).
 */
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('children_institution_cover_idx')
    .on('children')
    .columns(['institution_id', 'id', 'age_group', 'diet'])
    .execute();

  await db.schema.dropIndex('enrolments_child_idx').execute();
  await db.schema
    .createIndex('enrolments_child_cover_idx')
    .on('enrolments')
    .columns(['child_id', 'start_date', 'end_date', 'room_id'])
    .execute();

  await db.schema.dropIndex('attendance_group_days_institution_idx').execute();
  await db.schema
    .createIndex('attendance_group_days_institution_cover_idx')
    .on('attendance_group_days')
    .columns(['institution_id', 'day', 'room_id', 'enrolled', 'absent_notified', 'absent_unannounced'])
    .execute();

  if (isPostgres(db)) {
    await sql`alter table billing_runs alter column total_kopecks type bigint`.execute(db);
    await sql`alter table payment_imports alter column total_kopecks type bigint`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
