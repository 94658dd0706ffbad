/**
 * Office visits (docs/design/office-visits.md): a workplace's recording mode, the visits received at
 * workplaces (each recorded through one manual recording session per camera of the room), the flags
 * computed over visits, recordings and office hours, and the coverage of working hours by recording,
 * one row per workplace and local day.
 */
import { sql, type Kysely } from 'kysely';

const flag = (col: string) => sql.raw(`check (${col} in (0, 1))`);

export async function up(db: Kysely<unknown>): Promise<void> {
  // How a workplace is recorded; a workplace without a row records per visit.
  await db.schema
    .createTable('workplace_settings')
    .addColumn('room_id', 'text', (c) => c.primaryKey().references('rooms.id').onDelete('cascade'))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('per_visit', 'continuous', 'both')`))
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('visits')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('employee_person_id', 'text', (c) => c.references('persons.id').onDelete('set null'))
    .addColumn('opened_by', 'text', (c) => c.references('persons.id').onDelete('set null'))
    .addColumn('closed_by', 'text', (c) => c.references('persons.id').onDelete('set null'))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    // the recording of the visit: from started_at − pre-roll to ended_at + post-roll
    .addColumn('pre_roll_ms', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('post_roll_ms', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('case_ref', 'text')
    .addColumn('visitor_category', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`visitor_category in ('citizen', 'guardian', 'foster_parent', 'applicant', 'minor', 'representative', 'official', 'other')`,
        ),
    )
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'closed')`))
    .addColumn('auto_closed', 'integer', (c) => c.notNull().defaultTo(0).modifyEnd(flag('auto_closed')))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint('visits_span_ck', sql`ended_at is null or ended_at >= started_at`)
    .addCheckConstraint(
      'visits_status_ck',
      sql`(status = 'open' and ended_at is null) or (status = 'closed' and ended_at is not null)`,
    )
    .execute();
  await db.schema.createIndex('visits_room_idx').on('visits').columns(['room_id', 'started_at']).execute();
  await db.schema
    .createIndex('visits_institution_idx')
    .on('visits')
    .columns(['institution_id', 'started_at'])
    .execute();
  // At most one open visit per workplace.
  await sql`create unique index visits_one_open_uq on visits (room_id) where status = 'open'`.execute(db);

  // The cameras a visit was recorded by, and the manual recording session it opened on each.
  await db.schema
    .createTable('visit_cameras')
    .addColumn('visit_id', 'text', (c) => c.notNull().references('visits.id').onDelete('cascade'))
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
    .addColumn('manual_session_id', 'text')
    .addColumn('camera_state', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('visit_cameras_pk', ['visit_id', 'camera_id'])
    .execute();
  await db.schema.createIndex('visit_cameras_camera_idx').on('visit_cameras').column('camera_id').execute();

  await db.schema
    .createTable('visit_flags')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`code in ('visit_gap', 'visit_camera_offline', 'camera_dark', 'recording_changed', 'visit_too_long', 'visits_missing')`,
        ),
    )
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('room_id', 'text', (c) => c.references('rooms.id').onDelete('cascade'))
    .addColumn('camera_id', 'text', (c) => c.references('cameras.id').onDelete('set null'))
    .addColumn('visit_id', 'text', (c) => c.references('visits.id').onDelete('cascade'))
    .addColumn('person_id', 'text', (c) => c.references('persons.id').onDelete('set null'))
    .addColumn('day', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('evidence', 'text', (c) => c.notNull())
    // one flag per cause (e.g. "visit_gap:<visit>:<camera>"): the job and the events may meet it twice
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('alert_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'resolved')`))
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'text', (c) => c.references('persons.id').onDelete('set null'))
    .addColumn('resolution_comment', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'visit_flags_resolved_ck',
      sql`(status = 'open' and resolved_at is null) or (status = 'resolved' and resolved_at is not null and resolution_comment is not null)`,
    )
    .execute();
  await db.schema
    .createIndex('visit_flags_institution_idx')
    .on('visit_flags')
    .columns(['institution_id', 'status', 'started_at'])
    .execute();
  await db.schema.createIndex('visit_flags_visit_idx').on('visit_flags').column('visit_id').execute();

  // Coverage of a workplace's working hours by recording, per local day. A day is recomputed from the
  // segment index until it is over (final = 1); then it is history.
  await db.schema
    .createTable('coverage_days')
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('working_ms', 'bigint', (c) => c.notNull())
    .addColumn('covered_ms', 'bigint', (c) => c.notNull())
    .addColumn('visits', 'integer', (c) => c.notNull())
    .addColumn('flagged_visits', 'integer', (c) => c.notNull())
    .addColumn('final', 'integer', (c) => c.notNull().defaultTo(0).modifyEnd(flag('final')))
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('coverage_days_pk', ['room_id', 'day'])
    .addCheckConstraint('coverage_days_ck', sql`covered_ms >= 0 and covered_ms <= working_ms`)
    .execute();
  await db.schema
    .createIndex('coverage_days_institution_idx')
    .on('coverage_days')
    .columns(['institution_id', 'day'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
