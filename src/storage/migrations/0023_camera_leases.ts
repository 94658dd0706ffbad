/**
 * Media facts kept per camera, and which media node owns a camera (docs/design/recording.md,
 * docs/design/media-pipeline.md):
 *
 * - `camera_probes`: what the last probe or RTSP check found about the camera's stream (its audio
 *   codec, so the ingest copies AAC instead of re-encoding it), for the source URL it was found at
 *   (`source_sha256`: a new URL makes it unknown again without touching the camera's row).
 * - `camera_leases`: the node that ingests, records and recovers a camera on a PostgreSQL site; a
 *   lease runs out at `expires_at` unless its holder renews it, and then another node may take it
 *   (`epoch` counts the changes of holder, so a late write of a former holder can be told apart).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('camera_probes')
    .addColumn('camera_id', 'text', (c) => c.primaryKey().references('cameras.id').onDelete('cascade'))
    .addColumn('source_sha256', 'text', (c) => c.notNull())
    .addColumn('audio_codec', 'text', (c) => c.notNull())
    .addColumn('probed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('camera_leases')
    .addColumn('camera_id', 'text', (c) => c.primaryKey().references('cameras.id').onDelete('cascade'))
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addCheckConstraint('camera_leases_span', sql`expires_at > acquired_at`)
    .execute();
  await db.schema.createIndex('camera_leases_holder_idx').on('camera_leases').column('holder').execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
