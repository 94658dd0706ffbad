/**
 * Shared ground for the second round's capabilities:
 * - three more roles: `teacher` (a kindergarten group's teacher, bound to the group room: the
 *   register), `specialist` (a guardianship specialist of an office: home inspections) and
 *   `education_officer` (a city's education department, bound to a region: attendance and meals);
 * - the `alerts` table: every alert any part of Okno raises (a camera dark in working hours, a
 *   privileged view of a children's camera, a change that widens access, a flag, …) is one row,
 *   written in the transaction of what caused it. Delivery (in-app, e-mail, webhooks) reads these
 *   rows as an outbox, so raising an alert never waits for a mail server.
 *
 * SQLite cannot alter a CHECK constraint, so role_bindings is rebuilt there (nothing references it).
 */
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

const ROLES = [
  'kindergarten_admin',
  'city_operator',
  'auditor',
  'employee',
  'reception',
  'office_head',
  'inspector',
  'regional_operator',
  'teacher',
  'specialist',
  'education_officer',
];
const roleCheck = sql.raw(`role in (${ROLES.map((r) => `'${r}'`).join(', ')})`);

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await sql`alter table role_bindings drop constraint if exists role_bindings_role_check`.execute(db);
    await sql`alter table role_bindings add constraint role_bindings_role_check check (${roleCheck})`.execute(
      db,
    );
  } else {
    await db.schema
      .createTable('role_bindings_new')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull().check(roleCheck))
      .addColumn('scope_kind', 'text', (c) =>
        c.notNull().check(sql`scope_kind in ('region', 'institution', 'room')`),
      )
      .addColumn('scope_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('role_bindings_uq', ['person_id', 'role', 'scope_kind', 'scope_id'])
      .execute();
    await sql`insert into role_bindings_new select id, person_id, role, scope_kind, scope_id, created_at from role_bindings`.execute(
      db,
    );
    await db.schema.dropTable('role_bindings').execute();
    await sql`alter table role_bindings_new rename to role_bindings`.execute(db);
    await db.schema
      .createIndex('role_bindings_scope_idx')
      .on('role_bindings')
      .columns(['scope_kind', 'scope_id'])
      .execute();
  }

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('info', 'warning', 'critical')`))
    .addColumn('region_id', 'text', (c) => c.references('regions.id').onDelete('cascade'))
    .addColumn('institution_id', 'text', (c) => c.references('institutions.id').onDelete('cascade'))
    .addColumn('room_id', 'text')
    .addColumn('camera_id', 'text')
    .addColumn('actor_person_id', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('dedupe_key', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('resolved_by', 'text')
    .addColumn('resolution_comment', 'text')
    .execute();
  await db.schema.createIndex('alerts_created_idx').on('alerts').columns(['created_at', 'id']).execute();
  await db.schema
    .createIndex('alerts_institution_idx')
    .on('alerts')
    .columns(['institution_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('alerts_region_idx')
    .on('alerts')
    .columns(['region_id', 'created_at'])
    .execute();
  await db.schema.createIndex('alerts_dedupe_idx').on('alerts').columns(['dedupe_key']).execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
