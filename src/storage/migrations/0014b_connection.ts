/**
 * Connecting a kindergarten (docs/design/connection.md): the city's connection profile per region,
 * each camera's checks against it, the administrator's attestations that the picture shows only the
 * common area (with the snapshot's hash), and the go-live of a kindergarten.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('connection_profiles')
    .addColumn('region_id', 'text', (c) => c.primaryKey().references('regions.id').onDelete('cascade'))
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();

  await db.schema
    .createTable('camera_checks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
    .addColumn('checked_at', 'text', (c) => c.notNull())
    .addColumn('checked_by', 'text')
    .addColumn('passed', 'integer', (c) => c.notNull().check(sql`passed in (0, 1)`))
    .addColumn('result', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('camera_checks_camera_idx')
    .on('camera_checks')
    .columns(['camera_id', 'checked_at'])
    .execute();

  await db.schema
    .createTable('camera_attestations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
    .addColumn('attested_at', 'text', (c) => c.notNull())
    .addColumn('attested_by', 'text', (c) => c.notNull())
    .addColumn('snapshot_sha256', 'text', (c) => c.notNull())
    .addColumn('statement', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('camera_attestations_camera_idx')
    .on('camera_attestations')
    .columns(['camera_id', 'attested_at'])
    .execute();

  await db.schema
    .createTable('kindergarten_connections')
    .addColumn('institution_id', 'text', (c) =>
      c.primaryKey().references('institutions.id').onDelete('cascade'),
    )
    .addColumn('went_live_at', 'text', (c) => c.notNull())
    .addColumn('went_live_by', 'text')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
