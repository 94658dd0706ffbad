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
 * On PostgreSQL the approved-run guard on billing lines becomes a statement trigger (see below).
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

    // The lines of an approved run stay immutable, checked once per statement over the rows it
    // touched (transition tables) instead of once per row: a run writes 100,000 lines in a few
    // hundred statements, and a row trigger ran a PL/pgSQL call and a lookup of the run for each.
    await sql`drop trigger billing_lines_immutable on billing_lines`.execute(db);
    await sql`drop function okno_billing_line_immutable()`.execute(db);
    await sql
      .raw(
        `create function okno_billing_lines_immutable() returns trigger language plpgsql as $$
        begin
          if TG_OP <> 'INSERT' then
            if exists (select 1 from okno_old_lines o join billing_runs r on r.id = o.run_id
                       where r.status = 'approved') then
              raise exception 'billing_run_approved' using errcode = '42501';
            end if;
          end if;
          if TG_OP <> 'DELETE' then
            if exists (select 1 from okno_new_lines n join billing_runs r on r.id = n.run_id
                       where r.status = 'approved') then
              raise exception 'billing_run_approved' using errcode = '42501';
            end if;
          end if;
          return null;
        end $$`,
      )
      .execute(db);
    const tables = {
      insert: 'new table as okno_new_lines',
      update: 'old table as okno_old_lines new table as okno_new_lines',
      delete: 'old table as okno_old_lines',
    };
    for (const [ev, referencing] of Object.entries(tables))
      await sql
        .raw(
          `create trigger billing_lines_immutable_${ev} after ${ev} on billing_lines
           referencing ${referencing}
           for each statement execute function okno_billing_lines_immutable()`,
        )
        .execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
