/**
 * The paid service (docs/design/billing.md): tariffs, the offer, subscription coverage periods,
 * monthly billing runs with their charge lines, adjustments, and imported payments.
 *
 * - Money is integer kopecks (`*_kopecks`); billing months are 'YYYY-MM'; days are local 'YYYY-MM-DD'.
 * - An approved run is immutable: triggers on both engines refuse any change to an approved run and
 *   any insert, update or delete of its lines.
 * - `subscriptions` gains the facts the paid service needs (accepted offer, why it is suspended) and
 *   `institutions` the free pilot's last day.
 */
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

export const FIRST_OFFER_VERSION = '2026-09-01';
export const FIRST_OFFER_TEXT = [
  'Оферта на услугу «Окно: просмотр группы детского сада».',
  '1. Исполнитель предоставляет законному представителю ребёнка доступ к просмотру камер группы ребёнка в часы просмотра, установленные детским садом.',
  '2. Плата взимается ежемесячно и включается в квитанцию за присмотр и уход; за неполный месяц — пропорционально числу дней подписки.',
  '3. Одна подписка на ребёнка действует для всех его законных представителей; плательщиком является оформивший её представитель.',
  '4. Подписку можно отменить в любой момент: доступ прекращается сразу, день отмены не оплачивается.',
  '5. Если начисление не оплачено до 25-го числа следующего месяца, подписка приостанавливается до оплаты.',
].join('\n');

export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = isPostgres(db);

  await sql`alter table institutions add column pilot_until text`.execute(db);
  await sql`alter table subscriptions add column offer_version text`.execute(db);
  await sql`alter table subscriptions add column accepted_at text`.execute(db);
  await sql`alter table subscriptions add column suspended_reason text`.execute(db);
  await sql`alter table subscriptions add column suspended_as_of text`.execute(db);

  await db.schema
    .createTable('billing_offers')
    .addColumn('version', 'text', (c) => c.primaryKey())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into billing_offers (version, text, published_at)
            values (${FIRST_OFFER_VERSION}, ${FIRST_OFFER_TEXT}, ${'2026-09-01T00:00:00.000Z'})`.execute(db);

  await db.schema
    .createTable('billing_region_prices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('region_id', 'text', (c) => c.notNull().references('regions.id').onDelete('cascade'))
    .addColumn('effective_month', 'text', (c) => c.notNull().check(sql`length(effective_month) = 7`))
    .addColumn('price_kopecks', 'integer', (c) => c.notNull().check(sql`price_kopecks >= 0`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('billing_region_prices_uq', ['region_id', 'effective_month'])
    .execute();

  await db.schema
    .createTable('billing_institution_prices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('institution_id', 'text', (c) => c.notNull().references('institutions.id').onDelete('cascade'))
    .addColumn('effective_month', 'text', (c) => c.notNull().check(sql`length(effective_month) = 7`))
    .addColumn('price_kopecks', 'integer', (c) => c.notNull().check(sql`price_kopecks >= 0`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('billing_institution_prices_uq', ['institution_id', 'effective_month'])
    .execute();

  // What a subscription covers: one row per uninterrupted stretch (a cancel closes it, a new
  // subscribe opens another). Billing pro-rates these days; the status on `subscriptions` is access.
  await db.schema
    .createTable('subscription_periods')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) =>
      c.notNull().references('subscriptions.id').onDelete('cascade'),
    )
    .addColumn('start_date', 'text', (c) => c.notNull().check(sql`length(start_date) = 10`))
    .addColumn('end_date', 'text') // inclusive; null while it runs
    .addColumn('offer_version', 'text', (c) => c.notNull().references('billing_offers.version'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addCheckConstraint('subscription_periods_order_ck', sql`end_date is null or end_date >= start_date`)
    .execute();
  await db.schema
    .createIndex('subscription_periods_sub_idx')
    .on('subscription_periods')
    .column('subscription_id')
    .execute();

  await db.schema
    .createTable('billing_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('period', 'text', (c) => c.notNull().check(sql`length(period) = 7`))
    .addColumn('region_id', 'text', (c) => c.notNull().references('regions.id').onDelete('restrict'))
    .addColumn('institution_id', 'text', (c) => c.references('institutions.id').onDelete('restrict'))
    // institution id, or '*' for the whole region: one run per scope and month
    .addColumn('scope_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('draft', 'reviewed', 'approved')`))
    .addColumn('line_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total_kopecks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addColumn('reviewed_at', 'text')
    .addColumn('reviewed_by', 'text')
    .addColumn('approved_at', 'text')
    .addColumn('approved_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('billing_runs_scope_uq', ['period', 'region_id', 'scope_key'])
    .execute();

  await db.schema
    .createTable('billing_lines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('billing_runs.id').onDelete('restrict'))
    // 'charge:<period id>' or 'adjustment:<adjustment id>': what the line bills, once per run
    .addColumn('line_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('charge', 'adjustment')`))
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('child_id', 'text', (c) => c.notNull())
    .addColumn('child_name', 'text', (c) => c.notNull())
    .addColumn('payer_person_id', 'text', (c) => c.notNull())
    .addColumn('payer_name', 'text', (c) => c.notNull())
    .addColumn('institution_id', 'text', (c) => c.notNull())
    .addColumn('institution_name', 'text', (c) => c.notNull())
    .addColumn('account_number', 'text', (c) => c.notNull())
    .addColumn('from_date', 'text', (c) => c.notNull())
    .addColumn('to_date', 'text', (c) => c.notNull())
    .addColumn('days', 'integer', (c) => c.notNull())
    .addColumn('month_days', 'integer', (c) => c.notNull())
    .addColumn('price_kopecks', 'integer', (c) => c.notNull())
    .addColumn('amount_kopecks', 'integer', (c) => c.notNull())
    .addColumn('note', 'text')
    .addUniqueConstraint('billing_lines_key_uq', ['run_id', 'line_key'])
    .execute();
  await db.schema
    .createIndex('billing_lines_account_idx')
    .on('billing_lines')
    .columns(['account_number', 'period'])
    .execute();
  await db.schema
    .createIndex('billing_lines_child_idx')
    .on('billing_lines')
    .columns(['child_id', 'period'])
    .execute();
  await db.schema
    .createIndex('billing_lines_sub_idx')
    .on('billing_lines')
    .column('subscription_id')
    .execute();

  // A correction of an approved month: billed as an adjustment line by the next run of its scope.
  await db.schema
    .createTable('billing_adjustments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) =>
      c.notNull().references('subscriptions.id').onDelete('restrict'),
    )
    .addColumn('for_period', 'text', (c) => c.notNull().check(sql`length(for_period) = 7`))
    .addColumn('amount_kopecks', 'integer', (c) => c.notNull().check(sql`amount_kopecks <> 0`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .execute();

  await db.schema
    .createTable('payment_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('region_id', 'text', (c) => c.notNull().references('regions.id').onDelete('restrict'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('imported', 'rejected')`))
    .addColumn('line_count', 'integer', (c) => c.notNull())
    .addColumn('imported_count', 'integer', (c) => c.notNull())
    .addColumn('duplicate_count', 'integer', (c) => c.notNull())
    .addColumn('total_kopecks', 'integer', (c) => c.notNull())
    .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('import_id', 'text', (c) => c.notNull().references('payment_imports.id').onDelete('restrict'))
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('account_number', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull().check(sql`length(period) = 7`))
    .addColumn('amount_kopecks', 'integer', (c) => c.notNull().check(sql`amount_kopecks > 0`))
    .addColumn('paid_date', 'text', (c) => c.notNull().check(sql`length(paid_date) = 10`))
    // account|period|amount|date: the same payment reported twice is recorded once
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('payments_account_idx')
    .on('payments')
    .columns(['account_number', 'period'])
    .execute();

  // Approved runs never change (docs/PRODUCT.md, Domain model: billing month draft → approved, immutable).
  const runApproved = (ref: string) =>
    `(select status from billing_runs where id = ${ref}.run_id) = 'approved'`;
  if (pg) {
    await sql
      .raw(
        `create function okno_billing_run_immutable() returns trigger language plpgsql as $$
        begin
          if OLD.status = 'approved' then
            raise exception 'billing_run_approved' using errcode = '42501';
          end if;
          if TG_OP = 'DELETE' then return OLD; end if;
          return NEW;
        end $$`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger billing_runs_immutable before update or delete on billing_runs
         for each row execute function okno_billing_run_immutable()`,
      )
      .execute(db);
    await sql
      .raw(
        `create function okno_billing_line_immutable() returns trigger language plpgsql as $$
        begin
          if TG_OP <> 'INSERT' and ${runApproved('OLD')} then
            raise exception 'billing_run_approved' using errcode = '42501';
          end if;
          if TG_OP <> 'DELETE' and ${runApproved('NEW')} then
            raise exception 'billing_run_approved' using errcode = '42501';
          end if;
          if TG_OP = 'DELETE' then return OLD; end if;
          return NEW;
        end $$`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger billing_lines_immutable before insert or update or delete on billing_lines
         for each row execute function okno_billing_line_immutable()`,
      )
      .execute(db);
  } else {
    for (const ev of ['update', 'delete']) {
      await sql
        .raw(
          `create trigger billing_runs_immutable_${ev} before ${ev} on billing_runs
           for each row when OLD.status = 'approved'
           begin select raise(abort, 'billing_run_approved'); end`,
        )
        .execute(db);
      await sql
        .raw(
          `create trigger billing_lines_immutable_${ev} before ${ev} on billing_lines
           for each row when ${runApproved('OLD')}
           begin select raise(abort, 'billing_run_approved'); end`,
        )
        .execute(db);
    }
    await sql
      .raw(
        `create trigger billing_lines_immutable_insert before insert on billing_lines
         for each row when ${runApproved('NEW')}
         begin select raise(abort, 'billing_run_approved'); end`,
      )
      .execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
