/**
 * Recording (issue 5): the segment index, gaps with their cause, recording schedules (working hours),
 * retention per institution and room kind, ring-buffer cameras, manual recording sessions (visits),
 * legal holds, playback views and exports. See docs/design/recording.md for the file/row invariants.
 *
 * Instants are ISO-8601 UTC strings with milliseconds, as everywhere else, so they sort as text.
 */
import { sql, type Kysely } from 'kysely';

const flag = (col: string) => sql.raw(`check (${col} in (0, 1))`);

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per segment file. Written only after the file and its directory are durable (fsync).
  await db.schema
    .createTable('recording_segments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Recordings are evidence: a camera with recordings cannot be deleted (disable it instead).
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('restrict'))
    // Per camera, increasing: the sha256 chain links seq n to seq n-1.
    .addColumn('seq', 'integer', (c) => c.notNull())
    // One ingest run (one init segment): segments of a run are contiguous in media time.
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('end_at', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull().check(sql`duration_ms >= 0`))
    // Relative to recording.dir: <cameraId>/<YYYY-MM-DD>/<start>.mp4
    .addColumn('path', 'text', (c) => c.notNull().unique())
    .addColumn('bytes', 'bigint', (c) => c.notNull().check(sql`bytes >= 0`))
    .addColumn('init_bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull().check(sql`length(sha256) = 64`))
    .addColumn('prev_sha256', 'text')
    // JSON [[byteOffset, msFromStart], …]: one entry per keyframe fragment (seek points).
    .addColumn('keyframes', 'text', (c) => c.notNull())
    .addColumn('fragments', 'integer', (c) => c.notNull())
    .addColumn('recovered', 'integer', (c) => c.notNull().defaultTo(0).modifyEnd(flag('recovered')))
    // 'deleting': the file is being removed (delete = mark row → unlink → fsync dir → remove row).
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('ok')
        .check(sql`state in ('ok', 'deleting')`),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('recording_segments_seq_uq', ['camera_id', 'seq'])
    .addCheckConstraint('recording_segments_order_ck', sql`end_at >= start_at`)
    .execute();
  await db.schema
    .createIndex('recording_segments_camera_idx')
    .on('recording_segments')
    .columns(['camera_id', 'start_at'])
    .execute();
  await db.schema
    .createIndex('recording_segments_end_idx')
    .on('recording_segments')
    .column('end_at')
    .execute();

  // Time without recording, with its cause. end_at is null while the gap is still open.
  await db.schema
    .createTable('recording_gaps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('end_at', 'text')
    .addColumn('cause', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`cause in ('camera_offline', 'ingest_restart', 'disk_full', 'policy_off', 'server_restart')`,
        ),
    )
    .addColumn('details', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint('recording_gaps_order_ck', sql`end_at is null or end_at >= start_at`)
    .execute();
  await db.schema
    .createIndex('recording_gaps_camera_idx')
    .on('recording_gaps')
    .columns(['camera_id', 'start_at'])
    .execute();

  // Working hours of a room for schedule-driven recording (and for "a gap during working hours").
  await db.schema
    .createTable('recording_schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('weekday', 'integer', (c) => c.notNull().check(sql`weekday between 1 and 7`))
    .addColumn('start_time', 'text', (c) => c.notNull().check(sql`length(start_time) = 5`))
    .addColumn('end_time', 'text', (c) => c.notNull().check(sql`length(end_time) = 5`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint('recording_schedules_order_ck', sql`end_time > start_time`)
    .execute();
  await db.schema
    .createIndex('recording_schedules_room_idx')
    .on('recording_schedules')
    .column('room_id')
    .execute();

  // Retention in days per institution and room kind (absent: recording.retentionDaysDefault).
  await db.schema
    .createTable('recording_retention')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('room_kind', 'text', (c) =>
      c.notNull().check(sql`room_kind in ('group', 'workplace', 'entrance', 'hall')`),
    )
    .addColumn('days', 'integer', (c) => c.notNull().check(sql`days between 1 and 3650`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('recording_retention_uq', ['institution_id', 'room_kind'])
    .execute();

  // Per-camera recording settings beyond the policy (kept apart from the cameras table).
  await db.schema
    .createTable('recording_camera_settings')
    .addColumn('camera_id', 'text', (c) => c.primaryKey().references('cameras.id').onDelete('cascade'))
    // A ring buffer may lose its oldest unexpired, unheld segments when the disk runs low.
    .addColumn('ring_buffer', 'integer', (c) => c.notNull().defaultTo(0).modifyEnd(flag('ring_buffer')))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  // Manual recording (per visit): open while stop_at is null; recording runs until record_until.
  await db.schema
    .createTable('recording_manual_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('started_by', 'text')
    .addColumn('purpose', 'text')
    .addColumn('stop_at', 'text')
    .addColumn('stopped_by', 'text')
    .addColumn('record_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('recording_manual_sessions_camera_idx')
    .on('recording_manual_sessions')
    .columns(['camera_id', 'started_at'])
    .execute();

  // Legal holds: segments of the camera overlapping [from_at, to_at) are not swept while the hold stands.
  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('restrict'))
    .addColumn('from_at', 'text', (c) => c.notNull())
    .addColumn('to_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('placed_by', 'text')
    .addColumn('placed_at', 'text', (c) => c.notNull())
    .addColumn('lifted_by', 'text')
    .addColumn('lifted_at', 'text')
    .addColumn('lift_reason', 'text')
    .addCheckConstraint('legal_holds_order_ck', sql`to_at > from_at`)
    .execute();
  await db.schema.createIndex('legal_holds_camera_idx').on('legal_holds').column('camera_id').execute();

  // The range and reason behind each playback grant (the stream row is in stream_sessions).
  await db.schema
    .createTable('recording_views')
    .addColumn('stream_id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('from_at', 'text', (c) => c.notNull())
    .addColumn('to_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('recording_exports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('restrict'))
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('from_at', 'text', (c) => c.notNull())
    .addColumn('to_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('mp4_sha256', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('recording_exports_camera_idx')
    .on('recording_exports')
    .columns(['camera_id', 'created_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
