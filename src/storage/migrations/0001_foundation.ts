/**
 * The foundation schema (docs/PRODUCT.md, Domain model). One migration text for SQLite and PostgreSQL:
 * - ids are random UUID strings made by the application;
 * - instants are ISO-8601 UTC strings ("2026-11-22T04:00:00.000Z"), which sort as text on both;
 * - local dates are "YYYY-MM-DD", local times "HH:MM";
 * - flags are integers 0/1 with a CHECK, so both databases return the same type.
 * Constraints live here too (CHECKs, uniques, foreign keys, the enrolment-overlap trigger).
 */
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

const flag = (col: string) => sql.raw(`check (${col} in (0, 1))`);

export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = isPostgres(db);

  await db.schema
    .createTable('regions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('institutions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('region_id', 'text', (c) => c.notNull().references('regions.id').onDelete('restrict'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('kindergarten', 'office')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('free_pilot', 'integer', (c) => c.notNull().defaultTo(0).modifyEnd(flag('free_pilot')))
    .addColumn('monthly_fee_minor', 'integer', (c) => c.check(sql`monthly_fee_minor >= 0`))
    .addColumn('consent_required', 'integer', (c) =>
      c.notNull().defaultTo(1).modifyEnd(flag('consent_required')),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('institutions_region_name_uq', ['region_id', 'name'])
    .execute();

  await db.schema
    .createTable('closed_days')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull().check(sql`length(day) = 10`))
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('closed_days_uq', ['institution_id', 'day'])
    .execute();

  await db.schema
    .createTable('rooms')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) =>
      c.notNull().references('institutions.id').onDelete('restrict'),
    )
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('group', 'workplace', 'entrance', 'hall')`),
    )
    .addColumn('zone', 'text', (c) => c.notNull().check(sql`zone in ('common', 'restricted')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('rooms_institution_name_uq', ['institution_id', 'name'])
    .execute();

  await db.schema
    .createTable('cameras')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('restrict'))
    .addColumn('name', 'text', (c) => c.notNull())
    // Secret: never returned by the API, never logged. Credentials are kept apart from the URL.
    .addColumn('source_url', 'text', (c) => c.notNull())
    .addColumn('source_username', 'text')
    .addColumn('source_password', 'text')
    .addColumn('rtsp_transport', 'text', (c) =>
      c
        .notNull()
        .defaultTo('tcp')
        .check(sql`rtsp_transport in ('tcp', 'udp')`),
    )
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1).modifyEnd(flag('enabled')))
    .addColumn('audio_allowed', 'integer', (c) => c.notNull().defaultTo(0).modifyEnd(flag('audio_allowed')))
    .addColumn('recording_policy', 'text', (c) =>
      c
        .notNull()
        .defaultTo('off')
        .check(sql`recording_policy in ('off', 'continuous', 'schedule', 'manual')`),
    )
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('cameras_room_idx').on('cameras').column('room_id').execute();

  await db.schema
    .createTable('persons')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0).modifyEnd(flag('disabled')))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('persons_identity_uq', ['issuer', 'subject'])
    .execute();

  await db.schema
    .createTable('role_bindings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`role in ('kindergarten_admin', 'city_operator', 'auditor', 'employee', 'reception', 'office_head', 'inspector', 'regional_operator')`,
        ),
    )
    .addColumn('scope_kind', 'text', (c) =>
      c.notNull().check(sql`scope_kind in ('region', 'institution', 'room')`),
    )
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('role_bindings_uq', ['person_id', 'role', 'scope_kind', 'scope_id'])
    .execute();
  await db.schema
    .createIndex('role_bindings_scope_idx')
    .on('role_bindings')
    .columns(['scope_kind', 'scope_id'])
    .execute();

  await db.schema
    .createTable('children')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) =>
      c.notNull().references('institutions.id').onDelete('restrict'),
    )
    .addColumn('full_name', 'text', (c) => c.notNull())
    .addColumn('birth_date', 'text')
    // The kindergarten's own reference for the child (CSV import key); unique per kindergarten.
    .addColumn('external_ref', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('children_external_ref_uq', ['institution_id', 'external_ref'])
    .execute();

  await db.schema
    .createTable('enrolments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('child_id', 'text', (c) => c.notNull().references('children.id').onDelete('cascade'))
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('restrict'))
    .addColumn('start_date', 'text', (c) => c.notNull())
    .addColumn('end_date', 'text') // inclusive; null = open-ended
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('enrolments_period_ck', sql`end_date is null or end_date >= start_date`)
    .execute();
  await db.schema.createIndex('enrolments_child_idx').on('enrolments').column('child_id').execute();
  await db.schema.createIndex('enrolments_room_idx').on('enrolments').column('room_id').execute();

  // No two enrolments of one child may overlap: enforced in the database by a trigger on both engines.
  const overlap = `exists (select 1 from enrolments e where e.child_id = NEW.child_id and e.id <> NEW.id
      and e.start_date <= coalesce(NEW.end_date, '9999-12-31')
      and NEW.start_date <= coalesce(e.end_date, '9999-12-31'))`;
  if (pg) {
    await sql
      .raw(
        `create function okno_enrolment_no_overlap() returns trigger language plpgsql as $$
        begin
          perform 1 from children where id = NEW.child_id for update;
          if ${overlap} then
            raise exception 'enrolment_overlap' using errcode = '23P01';
          end if;
          return NEW;
        end $$`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger enrolments_no_overlap before insert or update on enrolments
         for each row execute function okno_enrolment_no_overlap()`,
      )
      .execute(db);
  } else {
    for (const ev of ['insert', 'update']) {
      await sql
        .raw(
          `create trigger enrolments_no_overlap_${ev} before ${ev} on enrolments
           for each row when ${overlap}
           begin select raise(abort, 'enrolment_overlap'); end`,
        )
        .execute(db);
    }
  }

  await db.schema
    .createTable('guardian_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('child_id', 'text', (c) => c.notNull().references('children.id').onDelete('cascade'))
    .addColumn('relation', 'text', (c) => c.notNull().defaultTo('parent'))
    .addColumn('verified', 'integer', (c) => c.notNull().defaultTo(0).modifyEnd(flag('verified')))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('guardian_links_uq', ['person_id', 'child_id'])
    .execute();
  await db.schema.createIndex('guardian_links_child_idx').on('guardian_links').column('child_id').execute();

  await db.schema
    .createTable('viewing_schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('weekday', 'integer', (c) => c.notNull().check(sql`weekday between 1 and 7`))
    .addColumn('start_time', 'text', (c) => c.notNull().check(sql`length(start_time) = 5`))
    .addColumn('end_time', 'text', (c) => c.notNull().check(sql`length(end_time) = 5`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint('viewing_schedules_order_ck', sql`end_time > start_time`)
    .execute();
  await db.schema
    .createIndex('viewing_schedules_room_idx')
    .on('viewing_schedules')
    .column('room_id')
    .execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('child_id', 'text', (c) => c.notNull().references('children.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('active', 'suspended', 'cancelled')`),
    )
    .addColumn('monthly_fee_minor', 'integer', (c) => c.check(sql`monthly_fee_minor >= 0`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('subscriptions_uq', ['person_id', 'child_id'])
    .execute();

  await db.schema
    .createTable('consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('given', 'withdrawn')`))
    .addColumn('recorded_by', 'text', (c) => c.references('persons.id').onDelete('set null'))
    .addColumn('note', 'text')
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('consents_room_idx')
    .on('consents')
    .columns(['room_id', 'recorded_at'])
    .execute();

  await db.schema
    .createTable('login_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey()) // sha256 of the cookie value, never the value
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('id_token_hint', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('ended_at', 'text')
    .addColumn('end_reason', 'text')
    .execute();
  await db.schema.createIndex('sessions_person_idx').on('sessions').column('person_id').execute();

  // Append-only, hash-chained audit log (docs/PRODUCT.md, Audit log). seq orders the chain; audit_head serialises writers.
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_person_id', 'text')
    .addColumn('actor_subject', 'text')
    .addColumn('actor_role', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_kind', 'text')
    .addColumn('target_id', 'text')
    .addColumn('institution_id', 'text')
    .addColumn('decision', 'text', (c) => c.check(sql`decision in ('allow', 'deny')`))
    .addColumn('reason', 'text')
    .addColumn('session_id', 'text')
    .addColumn('stream_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('details', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
  await db.schema.createIndex('audit_log_actor_idx').on('audit_log').column('actor_person_id').execute();
  await db.schema
    .createIndex('audit_log_target_idx')
    .on('audit_log')
    .columns(['target_kind', 'target_id'])
    .execute();
  await db.schema.createIndex('audit_log_institution_idx').on('audit_log').column('institution_id').execute();
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into audit_head (id, seq, hash) values (1, 0, ${'0'.repeat(64)})`.execute(db);

  if (pg) {
    // Append-only on PostgreSQL: no UPDATE or DELETE on audit rows for anyone but a superuser
    // maintenance session (the trigger fires for the application role and the owner alike).
    await sql
      .raw(
        `create function okno_audit_append_only() returns trigger language plpgsql as $$
        begin raise exception 'audit_log is append-only' using errcode = '42501'; end $$`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger audit_log_append_only before update or delete on audit_log
         for each row execute function okno_audit_append_only()`,
      )
      .execute(db);
    await sql.raw(`revoke update, delete, truncate on audit_log from public`).execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('the foundation migration cannot be reverted');
}
