/**
 * Alerts that reach people (docs/design/alerts.md):
 * - `leases`: named leases (holder + expiry, taken in one statement) so that of several processes on
 *   one database only one runs a periodic job at a time — the alert delivery worker first
 *   (src/storage/lease.ts);
 * - `alerts.fanned_out_at`: the outbox mark — null until the delivery worker has written the alert's
 *   notifications and deliveries;
 * - `alert_notifications`: the in-app notification centre, one row per alert × recipient, read or not;
 * - `alert_deliveries`: the delivery log, one row per alert × channel × recipient/endpoint: attempts,
 *   status, last error, next attempt;
 * - `alert_webhooks`: webhook endpoints of a region or an institution (the secret is never returned by
 *   the API after creation);
 * - `alert_preferences`: per person: e-mail on/off, minimum severity, kinds not wanted by e-mail.
 */
import { sql, type Kysely } from 'kysely';

const SEVERITY = sql`in ('info', 'warning', 'critical')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('alerts').addColumn('fanned_out_at', 'text').execute();
  // The outbox: alerts not yet fanned out, oldest first (a partial index on both engines).
  await sql`create index alerts_outbox_idx on alerts (created_at) where fanned_out_at is null`.execute(db);

  await db.schema
    .createTable('alert_notifications')
    .addColumn('alert_id', 'text', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .addPrimaryKeyConstraint('alert_notifications_pk', ['alert_id', 'person_id'])
    .execute();
  await db.schema
    .createIndex('alert_notifications_person_idx')
    .on('alert_notifications')
    .columns(['person_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('alert_webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('region_id', 'text', (c) => c.references('regions.id').onDelete('cascade'))
    .addColumn('institution_id', 'text', (c) => c.references('institutions.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('min_severity', 'text', (c) =>
      c
        .notNull()
        .defaultTo('info')
        .check(sql`min_severity ${SEVERITY}`),
    )
    /** JSON array of alert kinds (prefix match with a trailing `*`), or null for every kind */
    .addColumn('kinds', 'text')
    .addColumn('enabled', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(1)
        .check(sql`enabled in (0, 1)`),
    )
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('alert_webhooks_one_scope', sql`(region_id is null) <> (institution_id is null)`)
    .execute();
  await db.schema.createIndex('alert_webhooks_region_idx').on('alert_webhooks').column('region_id').execute();
  await db.schema
    .createIndex('alert_webhooks_institution_idx')
    .on('alert_webhooks')
    .column('institution_id')
    .execute();

  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('alert_id', 'text', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'webhook')`))
    .addColumn('person_id', 'text', (c) => c.references('persons.id').onDelete('cascade'))
    .addColumn('webhook_id', 'text', (c) => c.references('alert_webhooks.id').onDelete('cascade'))
    /** the e-mail address or URL at fan-out (the log shows where it went even if it changes later) */
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending', 'sending', 'sent', 'failed')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('last_attempt_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('delivered_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'alert_deliveries_recipient',
      sql`(channel = 'email' and person_id is not null and webhook_id is null) or (channel = 'webhook' and webhook_id is not null and person_id is null)`,
    )
    .execute();
  // One delivery per alert × channel × recipient/endpoint (two fan-outs cannot double it).
  await sql`create unique index alert_deliveries_uq on alert_deliveries (alert_id, channel, coalesce(person_id, webhook_id))`.execute(
    db,
  );
  await sql`create index alert_deliveries_due_idx on alert_deliveries (next_attempt_at) where status = 'pending'`.execute(
    db,
  );
  await db.schema
    .createIndex('alert_deliveries_alert_idx')
    .on('alert_deliveries')
    .columns(['alert_id'])
    .execute();

  await db.schema
    .createTable('alert_preferences')
    .addColumn('person_id', 'text', (c) => c.primaryKey().references('persons.id').onDelete('cascade'))
    .addColumn('email_enabled', 'integer', (c) => c.notNull().check(sql`email_enabled in (0, 1)`))
    .addColumn('email_min_severity', 'text', (c) => c.notNull().check(sql`email_min_severity ${SEVERITY}`))
    /** JSON array of alert kinds not wanted by e-mail (in the app every alert is shown) */
    .addColumn('email_muted_kinds', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
