/**
 * Home inspections (issue 14; docs/design/inspections.md): guardianship cases (kept apart from
 * kindergarten children), their guardians, the office's due-date rules and checklist templates,
 * inspections, photos (content-addressed originals), resumable uploads in progress, sealed versions
 * with their signed manifests, and legal holds on cases.
 *
 * Instants are ISO-8601 UTC text, local dates YYYY-MM-DD, as everywhere else.
 */
import { sql, type Kysely } from 'kysely';

const flag = (col: string) => sql.raw(`check (${col} in (0, 1))`);

export async function up(db: Kysely<unknown>): Promise<void> {
  // Due-date rules of an office: steps [{ "untilMonth": 12, "everyMonths": 1 }, { "everyMonths": 6 }].
  await db.schema
    .createTable('inspection_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('steps', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('inspection_rules_name_uq', ['institution_id', 'name'])
    .execute();

  // The office's checklist template; a new version is a new row (inspections keep the one they used).
  await db.schema
    .createTable('inspection_checklists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('items', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('inspection_checklists_version_uq', ['institution_id', 'version'])
    .execute();

  // A ward under guardianship: not a kindergarten child (different people, different rules).
  await db.schema
    .createTable('guardianship_cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) =>
      c.notNull().references('institutions.id').onDelete('restrict'),
    )
    .addColumn('case_number', 'text', (c) => c.notNull())
    .addColumn('ward_name', 'text', (c) => c.notNull())
    .addColumn('ward_birth_date', 'text')
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('specialist_person_id', 'text', (c) =>
      c.notNull().references('persons.id').onDelete('restrict'),
    )
    .addColumn('rule_id', 'text', (c) => c.notNull().references('inspection_rules.id').onDelete('restrict'))
    .addColumn('opened_on', 'text', (c) => c.notNull())
    .addColumn('closed_on', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('guardianship_cases_number_uq', ['institution_id', 'case_number'])
    .execute();
  await db.schema
    .createIndex('guardianship_cases_specialist_idx')
    .on('guardianship_cases')
    .column('specialist_person_id')
    .execute();

  // Guardians of a ward: named people, not accounts (they do not log in to Okno).
  await db.schema
    .createTable('guardianship_guardians')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('guardianship_cases.id').onDelete('cascade'))
    .addColumn('full_name', 'text', (c) => c.notNull())
    .addColumn('relation', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('inspections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('guardianship_cases.id').onDelete('restrict'))
    .addColumn('planned_on', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('planned')
        .check(sql`status in ('planned', 'in_progress', 'sealed')`),
    )
    .addColumn('specialist_person_id', 'text', (c) => c.references('persons.id').onDelete('restrict'))
    .addColumn('address', 'text')
    .addColumn('started_at', 'text')
    .addColumn('done_at', 'text')
    .addColumn('outcome', 'text', (c) =>
      c.check(sql`outcome is null or outcome in ('satisfactory', 'needs_attention', 'unsatisfactory')`),
    )
    .addColumn('checklist_id', 'text', (c) => c.references('inspection_checklists.id').onDelete('restrict'))
    .addColumn('answers', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('position', 'text')
    // The current sealed version (0 while not sealed); versions live in inspection_versions.
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('inspections_case_day_uq', ['case_id', 'planned_on'])
    .execute();
  await db.schema.createIndex('inspections_planned_idx').on('inspections').columns(['planned_on']).execute();

  // One photo of an inspection. The original is stored by its sha256 and never overwritten.
  await db.schema
    .createTable('inspection_photos')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('inspection_id', 'text', (c) => c.notNull().references('inspections.id').onDelete('restrict'))
    .addColumn('sha256', 'text', (c) => c.notNull().check(sql`length(sha256) = 64`))
    .addColumn('bytes', 'integer', (c) => c.notNull().check(sql`bytes > 0`))
    .addColumn('mime', 'text', (c) => c.notNull())
    .addColumn('width', 'integer', (c) => c.notNull())
    .addColumn('height', 'integer', (c) => c.notNull())
    .addColumn('category', 'text', (c) =>
      c.notNull().check(sql`category in ('living_conditions', 'ward', 'document', 'other')`),
    )
    .addColumn('live', 'integer', (c) => c.notNull().modifyEnd(flag('live')))
    .addColumn('device_taken_at', 'text', (c) => c.notNull())
    .addColumn('server_received_at', 'text', (c) => c.notNull())
    .addColumn('skew_ms', 'integer', (c) => c.notNull())
    .addColumn('skew_flagged', 'integer', (c) => c.notNull().modifyEnd(flag('skew_flagged')))
    .addColumn('latitude', 'double precision')
    .addColumn('longitude', 'double precision')
    .addColumn('accuracy_m', 'double precision')
    .addColumn('exif', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    // Deleted by retention: the row stays (the sealed manifest names it), the file is gone.
    .addColumn('purged_at', 'text')
    .addUniqueConstraint('inspection_photos_hash_uq', ['inspection_id', 'sha256'])
    .execute();

  // A resumable upload in progress (bytes so far in a partial file); removed when the photo is stored.
  await db.schema
    .createTable('inspection_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('inspection_id', 'text', (c) => c.notNull().references('inspections.id').onDelete('cascade'))
    .addColumn('sha256', 'text', (c) => c.notNull().check(sql`length(sha256) = 64`))
    .addColumn('bytes', 'integer', (c) => c.notNull().check(sql`bytes > 0`))
    .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('meta', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('inspection_uploads_hash_uq', ['inspection_id', 'sha256'])
    .execute();

  // Sealed versions: version 1 is the seal, later ones corrections (with a reason). Never changed.
  await db.schema
    .createTable('inspection_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('inspection_id', 'text', (c) => c.notNull().references('inspections.id').onDelete('restrict'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('manifest', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('sealed_by', 'text', (c) => c.notNull())
    .addColumn('sealed_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('inspection_versions_uq', ['inspection_id', 'version'])
    .execute();

  await db.schema
    .createTable('inspection_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('guardianship_cases.id').onDelete('restrict'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('placed_by', 'text', (c) => c.notNull())
    .addColumn('placed_at', 'text', (c) => c.notNull())
    .addColumn('lifted_by', 'text')
    .addColumn('lifted_at', 'text')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
