/**
 * Camera outages: every time a camera is down longer than the watchdog window, one row with when it
 * went down, when it came back (null while it is still down), why (a CameraFailureCode) and whether
 * the outage outlasted the alert delay. Shorter outages than the old 60 s `offline` health event now
 * leave a trace too. The camera's row may be deleted later; its outages go with it.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('camera_outages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('alerted_at', 'text')
    .addCheckConstraint('camera_outages_span', sql`ended_at is null or ended_at >= started_at`)
    .execute();
  await db.schema
    .createIndex('camera_outages_camera_idx')
    .on('camera_outages')
    .columns(['camera_id', 'started_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
