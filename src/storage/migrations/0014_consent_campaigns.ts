/**
 * The group's consent, from parents themselves (docs/design/consent-campaigns.md):
 * - consent_templates: the city's consent text, versioned per region (a new text is a new version);
 * - consent_rules: each kindergarten's rule (all families, or a share with no staff objection) and the
 *   grace period before the silence of a family that joined later counts;
 * - consent_campaigns: one campaign per group at a time (a partial unique index), with the text and
 *   rule copied at launch, so later edits never change what was asked;
 * - consent_answers: every answer ever given, never changed (a new answer supersedes by time).
 * The campaign's outcome is written as a row of `consents` (given / withdrawn) when it changes, so the
 * access policy keeps reading one fact per group.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('consent_templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('region_id', 'text', (c) => c.notNull().references('regions.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text', (c) => c.notNull())
    .addColumn('published_by', 'text')
    .addUniqueConstraint('consent_templates_region_version_uq', ['region_id', 'version'])
    .execute();

  await db.schema
    .createTable('consent_rules')
    .addColumn('institution_id', 'text', (c) =>
      c.primaryKey().references('institutions.id').onDelete('cascade'),
    )
    .addColumn('rule_kind', 'text', (c) => c.notNull().check(sql`rule_kind in ('all', 'share')`))
    .addColumn('share_percent', 'integer', (c) =>
      c.notNull().check(sql`share_percent >= 1 and share_percent <= 100`),
    )
    .addColumn('grace_days', 'integer', (c) => c.notNull().check(sql`grace_days >= 0 and grace_days <= 60`))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();

  await db.schema
    .createTable('consent_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('template_id', 'text', (c) => c.notNull().references('consent_templates.id'))
    .addColumn('template_version', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('rule_kind', 'text', (c) => c.notNull().check(sql`rule_kind in ('all', 'share')`))
    .addColumn('share_percent', 'integer', (c) => c.notNull())
    .addColumn('grace_days', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'closed')`))
    .addColumn('launched_at', 'text', (c) => c.notNull())
    .addColumn('launched_on', 'text', (c) => c.notNull())
    .addColumn('launched_by', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('last_reminder_at', 'text')
    .execute();
  await sql`create unique index consent_campaigns_one_active on consent_campaigns (room_id) where status = 'active'`.execute(
    db,
  );

  await db.schema
    .createTable('consent_answers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) =>
      c.notNull().references('consent_campaigns.id').onDelete('cascade'),
    )
    .addColumn('child_id', 'text', (c) => c.references('children.id').onDelete('cascade'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('respondent', 'text', (c) => c.notNull().check(sql`respondent in ('guardian', 'staff')`))
    .addColumn('answer', 'text', (c) => c.notNull().check(sql`answer in ('agree', 'disagree')`))
    .addColumn('template_version', 'integer', (c) => c.notNull())
    .addColumn('answered_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'consent_answers_child_ck',
      sql`(respondent = 'guardian' and child_id is not null) or (respondent = 'staff' and child_id is null)`,
    )
    .execute();
  await db.schema
    .createIndex('consent_answers_campaign_idx')
    .on('consent_answers')
    .columns(['campaign_id', 'answered_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
