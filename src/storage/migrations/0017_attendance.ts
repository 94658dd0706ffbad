/**
 * Entrance analytics and attendance (docs/design/attendance.md):
 * - children get an age group (nursery under 3, kindergarten from 3: set from the birth date where
 *   known, else kindergarten) and a diet (standard unless the kindergarten says otherwise);
 * - analytics devices (one per entrance camera, with the HMAC secret that signs its events);
 * - door events, idempotent by (device, the device's own event id);
 * - the teacher's register (one mark per child and day), parents' absence notices;
 * - daily aggregates per group and per kindergarten (register vs door count);
 * - meal orders per kindergarten × day × age group × diet (forecast, correction, actual);
 * - leases for scheduled work, so two processes never run the same job at once.
 */
import { sql, type Kysely } from 'kysely';

const flag = (col: string) => sql.raw(`check (${col} in (0, 1))`);
const REASONS = sql`in ('ill', 'vacation', 'other')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('children')
    .addColumn('age_group', 'text', (c) =>
      c
        .notNull()
        .defaultTo('kindergarten')
        .check(sql`age_group in ('nursery', 'kindergarten')`),
    )
    .execute();
  await db.schema
    .alterTable('children')
    .addColumn('diet', 'text', (c) =>
      c
        .notNull()
        .defaultTo('standard')
        .check(sql`diet in ('standard', 'dairy_free', 'gluten_free', 'vegetarian', 'medical')`),
    )
    .execute();
  // Children under three on the day of the migration are in the nursery age group.
  const threeYearsAgo = new Date();
  threeYearsAgo.setUTCFullYear(threeYearsAgo.getUTCFullYear() - 3);
  await sql`update children set age_group = 'nursery'
    where birth_date is not null and birth_date > ${threeYearsAgo.toISOString().slice(0, 10)}`.execute(db);

  await db.schema
    .createTable('attendance_devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('camera_id', 'text', (c) => c.notNull().unique().references('cameras.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    // Secret: the HMAC key of the device's events. Shown once when created, never returned again.
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1).modifyEnd(flag('enabled')))
    .addColumn('last_event_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('attendance_events')
    .addColumn('device_id', 'text', (c) =>
      c.notNull().references('attendance_devices.id').onDelete('cascade'),
    )
    .addColumn('device_event_id', 'text', (c) => c.notNull())
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('camera_id', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('local_day', 'text', (c) => c.notNull())
    .addColumn('local_minute', 'integer', (c) => c.notNull().check(sql`local_minute between 0 and 1439`))
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('in', 'out')`))
    .addColumn('count', 'integer', (c) => c.notNull().check(sql`count between 1 and 1000`))
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull().check(sql`via in ('http', 'mqtt', 'demo')`))
    .addPrimaryKeyConstraint('attendance_events_pk', ['device_id', 'device_event_id'])
    .execute();
  await db.schema
    .createIndex('attendance_events_day_idx')
    .on('attendance_events')
    .columns(['institution_id', 'local_day'])
    .execute();
  await db.schema
    .createIndex('attendance_events_received_idx')
    .on('attendance_events')
    .column('received_at')
    .execute();

  await db.schema
    .createTable('register_marks')
    .addColumn('child_id', 'text', (c) => c.notNull().references('children.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull().check(sql`length(day) = 10`))
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('present', 'absent')`))
    .addColumn('reason', 'text', (c) => c.check(sql`reason ${REASONS}`))
    .addColumn('marked_at', 'text', (c) => c.notNull())
    .addColumn('marked_by', 'text')
    .addColumn('synced_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('register_marks_pk', ['child_id', 'day'])
    .addCheckConstraint(
      'register_marks_reason_ck',
      sql`(status = 'present' and reason is null) or (status = 'absent' and reason is not null)`,
    )
    .execute();
  await db.schema
    .createIndex('register_marks_room_idx')
    .on('register_marks')
    .columns(['room_id', 'day'])
    .execute();
  await db.schema
    .createIndex('register_marks_institution_idx')
    .on('register_marks')
    .columns(['institution_id', 'day'])
    .execute();

  await db.schema
    .createTable('absence_notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('child_id', 'text', (c) => c.notNull().references('children.id').onDelete('cascade'))
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('from_day', 'text', (c) => c.notNull().check(sql`length(from_day) = 10`))
    .addColumn('to_day', 'text', (c) => c.notNull().check(sql`length(to_day) = 10`))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`reason ${REASONS}`))
    .addColumn('note', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('cancelled_at', 'text')
    .addCheckConstraint('absence_notices_range_ck', sql`to_day >= from_day`)
    .execute();
  await db.schema.createIndex('absence_notices_child_idx').on('absence_notices').column('child_id').execute();
  await db.schema
    .createIndex('absence_notices_institution_idx')
    .on('absence_notices')
    .columns(['institution_id', 'to_day'])
    .execute();

  await db.schema
    .createTable('attendance_group_days')
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('enrolled', 'integer', (c) => c.notNull())
    .addColumn('present', 'integer', (c) => c.notNull())
    .addColumn('absent_notified', 'integer', (c) => c.notNull())
    .addColumn('absent_unannounced', 'integer', (c) => c.notNull())
    .addColumn('ill', 'integer', (c) => c.notNull())
    .addColumn('unmarked', 'integer', (c) => c.notNull())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('attendance_group_days_pk', ['room_id', 'day'])
    .execute();
  await db.schema
    .createIndex('attendance_group_days_institution_idx')
    .on('attendance_group_days')
    .columns(['institution_id', 'day'])
    .execute();

  await db.schema
    .createTable('attendance_days')
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('enrolled', 'integer', (c) => c.notNull())
    .addColumn('present', 'integer', (c) => c.notNull())
    .addColumn('unmarked', 'integer', (c) => c.notNull())
    .addColumn('door_arrivals', 'integer')
    .addColumn('door_departures', 'integer')
    .addColumn('flagged', 'integer', (c) => c.notNull().modifyEnd(flag('flagged')))
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('attendance_days_pk', ['institution_id', 'day'])
    .execute();
  await db.schema.createIndex('attendance_days_day_idx').on('attendance_days').column('day').execute();

  await db.schema
    .createTable('meal_orders')
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('age_group', 'text', (c) => c.notNull().check(sql`age_group in ('nursery', 'kindergarten')`))
    .addColumn('diet', 'text', (c) => c.notNull())
    .addColumn('enrolled', 'integer', (c) => c.notNull())
    .addColumn('notified', 'integer', (c) => c.notNull())
    .addColumn('expected_absent', 'real', (c) => c.notNull())
    .addColumn('forecast', 'integer', (c) => c.notNull())
    .addColumn('correction', 'integer', (c) => c.check(sql`correction >= 0`))
    .addColumn('corrected_by', 'text')
    .addColumn('corrected_at', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('draft', 'final')`))
    .addColumn('reasoning', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addColumn('actual', 'integer')
    .addPrimaryKeyConstraint('meal_orders_pk', ['institution_id', 'day', 'age_group', 'diet'])
    .execute();
  await db.schema.createIndex('meal_orders_day_idx').on('meal_orders').column('day').execute();

  await db.schema
    .createTable('attendance_job_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
