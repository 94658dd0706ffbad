/**
 * Citizens' requests for their own recording (issue 13, items 5 and 6; docs/design/citizen-requests.md):
 * the privacy masks of each camera (rectangles in 0..1 coordinates of the picture, so they survive a
 * change of resolution) and the requests with their custody trail (requested, approved by a second
 * person, produced, handed over).
 *
 * `visit_id` names the office visit (migration 0019_office_visits) a request was made from, without a
 * foreign key: the request keeps its own camera and range, and the visit is checked when the request is
 * created (docs/design/citizen-requests.md).
 */
import { sql, type Kysely } from 'kysely';

const check = (expr: string) => sql.raw(`check (${expr})`);

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('privacy_masks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('x', 'double precision', (c) => c.notNull())
    .addColumn('y', 'double precision', (c) => c.notNull())
    .addColumn('w', 'double precision', (c) => c.notNull())
    .addColumn('h', 'double precision', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull().references('persons.id').onDelete('restrict'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('privacy_masks_position_uq', ['camera_id', 'position'])
    // Inside the picture, not empty (a small tolerance for the float sums).
    .addCheckConstraint(
      'privacy_masks_inside',
      sql`x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 1.000001 and y + h <= 1.000001`,
    )
    .execute();

  await db.schema
    .createTable('citizen_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) =>
      c.notNull().references('institutions.id').onDelete('restrict'),
    )
    .addColumn('camera_id', 'text', (c) => c.notNull().references('cameras.id').onDelete('restrict'))
    .addColumn('visit_id', 'text')
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('received_on', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('from_at', 'text', (c) => c.notNull())
    .addColumn('to_at', 'text', (c) => c.notNull())
    /** JSON: [{x, y, w, h}] in 0..1, blurred (or filled) for this request only */
    .addColumn('regions', 'text', (c) => c.notNull())
    .addColumn('region_style', 'text', (c) =>
      c.notNull().modifyEnd(check(`region_style in ('blur', 'fill')`)),
    )
    .addColumn('keep_audio', 'integer', (c) => c.notNull().modifyEnd(check('keep_audio in (0, 1)')))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .modifyEnd(
          check(
            `status in ('pending', 'approved', 'rejected', 'producing', 'produced', 'failed', 'handed_over')`,
          ),
        ),
    )
    .addColumn('requested_by', 'text', (c) => c.notNull().references('persons.id').onDelete('restrict'))
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.references('persons.id').onDelete('restrict'))
    .addColumn('decided_at', 'text')
    .addColumn('decision_note', 'text')
    .addColumn('produced_by', 'text', (c) => c.references('persons.id').onDelete('restrict'))
    .addColumn('produced_at', 'text')
    .addColumn('production_error', 'text')
    /** the package: a recording_exports row and its file (kept and expired like every export) */
    .addColumn('export_id', 'text')
    .addColumn('manifest_sha256', 'text')
    .addColumn('handed_over_by', 'text', (c) => c.references('persons.id').onDelete('restrict'))
    .addColumn('handed_over_at', 'text')
    .addColumn('handed_to', 'text')
    .addColumn('handover_note', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('citizen_requests_range', sql`to_at > from_at`)
    // Four eyes: whoever requested never approves their own request.
    .addCheckConstraint('citizen_requests_four_eyes', sql`decided_by is null or decided_by <> requested_by`)
    .execute();
  await db.schema
    .createIndex('citizen_requests_institution_idx')
    .on('citizen_requests')
    .columns(['institution_id', 'requested_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('citizen_requests').execute();
  await db.schema.dropTable('privacy_masks').execute();
}
