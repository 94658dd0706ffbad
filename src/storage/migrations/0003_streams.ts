/**
 * Stream sessions (every live or playback stream granted: who, which child and camera, from where,
 * when it started and ended, how many bytes) and camera health events.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stream_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey()) // the stream id carried by the grant token
    // No foreign keys to persons and cameras: the record of who watched what outlives both.
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('camera_id', 'text', (c) => c.notNull())
    .addColumn('child_id', 'text')
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('basis', 'text', (c) => c.notNull().check(sql`basis in ('guardian', 'staff')`))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('live', 'playback')`))
    .addColumn('granted_at', 'text', (c) => c.notNull())
    .addColumn('renewed_at', 'text', (c) => c.notNull())
    .addColumn('grant_expires_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('end_reason', 'text')
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transport', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema
    .createIndex('stream_sessions_open_idx')
    .on('stream_sessions')
    .columns(['person_id', 'ended_at'])
    .execute();
  await db.schema
    .createIndex('stream_sessions_camera_idx')
    .on('stream_sessions')
    .columns(['camera_id', 'granted_at'])
    .execute();

  await db.schema
    .createTable('health_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('offline', 'recovered', 'gap')`))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('details', 'text')
    .execute();
  await db.schema
    .createIndex('health_events_camera_idx')
    .on('health_events')
    .columns(['camera_id', 'at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
