/**
 * All SQL of the paid service (docs/design/billing.md): tariffs, the offer, subscriptions and their
 * coverage periods, billing runs and lines, adjustments, payment imports and payments, and the
 * aggregates the screens and the arrears check read.
 */
import { sql, type Kysely, type Updateable } from 'kysely';
import type { Database, SubscriptionsTable } from '../schema.js';
import type {
  BillingAdjustmentsTable,
  BillingInstitutionPricesTable,
  BillingLinesTable,
  BillingOffersTable,
  BillingRegionPricesTable,
  BillingRunsTable,
  PaymentImportsTable,
  PaymentsTable,
  SubscriptionPeriodsTable,
} from '../billing-schema.js';

/** Rows per multi-row insert: well under SQLite's 32,766 and PostgreSQL's 65,535 bound values. */
const BATCH = 500;

export interface CoverageRow {
  period_id: string;
  start_date: string;
  end_date: string | null;
  subscription_id: string;
  child_id: string;
  child_name: string;
  external_ref: string | null;
  payer_person_id: string;
  payer_name: string;
  institution_id: string;
  institution_name: string;
  free_pilot: number;
  pilot_until: string | null;
}

export interface PendingAdjustment {
  id: string;
  subscription_id: string;
  for_period: string;
  amount_kopecks: number;
  reason: string;
  child_id: string;
  child_name: string;
  external_ref: string | null;
  payer_person_id: string;
  payer_name: string;
  institution_id: string;
  institution_name: string;
}

export interface InstitutionTariffRow {
  id: string;
  name: string;
  free_pilot: number;
  pilot_until: string | null;
  time_zone: string;
}

export interface SubscriptionWithPayer extends SubscriptionsTable {
  payer_name: string;
}

export interface AccountSums {
  child_id: string;
  account_number: string;
  period: string;
  institution_id: string;
  charged_kopecks: number;
  subscribers: number;
}

/** PostgreSQL returns bigint money totals (migration 0022) as strings: numbers for the rest of the code. */
function runRow<T extends { total_kopecks: number } | undefined>(r: T): T {
  if (r && typeof r.total_kopecks !== 'number') r.total_kopecks = Number(r.total_kopecks);
  return r;
}

export class BillingRepository {
  constructor(private readonly db: Kysely<Database>) {}

  // ---- offer and tariffs -------------------------------------------------------------------------

  latestOffer(): Promise<BillingOffersTable | undefined> {
    return this.db
      .selectFrom('billing_offers')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  regionPrices(regionId: string): Promise<BillingRegionPricesTable[]> {
    return this.db
      .selectFrom('billing_region_prices')
      .selectAll()
      .where('region_id', '=', regionId)
      .orderBy('effective_month', 'desc')
      .execute();
  }

  async insertRegionPrice(row: BillingRegionPricesTable): Promise<void> {
    await this.db.insertInto('billing_region_prices').values(row).execute();
  }

  kindergartens(regionId: string): Promise<InstitutionTariffRow[]> {
    return this.db
      .selectFrom('institutions')
      .select(['id', 'name', 'free_pilot', 'pilot_until', 'time_zone'])
      .where('region_id', '=', regionId)
      .where('kind', '=', 'kindergarten')
      .orderBy('name')
      .execute() as Promise<InstitutionTariffRow[]>;
  }

  institution(id: string): Promise<(InstitutionTariffRow & { region_id: string; kind: string }) | undefined> {
    return this.db
      .selectFrom('institutions')
      .select(['id', 'name', 'free_pilot', 'pilot_until', 'time_zone', 'region_id', 'kind'])
      .where('id', '=', id)
      .executeTakeFirst() as Promise<
      (InstitutionTariffRow & { region_id: string; kind: string }) | undefined
    >;
  }

  institutionPricesInRegion(regionId: string): Promise<BillingInstitutionPricesTable[]> {
    return this.db
      .selectFrom('billing_institution_prices')
      .selectAll('billing_institution_prices')
      .innerJoin('institutions', 'institutions.id', 'billing_institution_prices.institution_id')
      .where('institutions.region_id', '=', regionId)
      .orderBy('effective_month', 'desc')
      .execute();
  }

  institutionPrices(institutionId: string): Promise<BillingInstitutionPricesTable[]> {
    return this.db
      .selectFrom('billing_institution_prices')
      .selectAll()
      .where('institution_id', '=', institutionId)
      .orderBy('effective_month', 'desc')
      .execute();
  }

  async insertInstitutionPrice(row: BillingInstitutionPricesTable): Promise<void> {
    await this.db.insertInto('billing_institution_prices').values(row).execute();
  }

  async setPilot(
    institutionId: string,
    freePilot: boolean,
    pilotUntil: string | null,
    now: string,
  ): Promise<void> {
    await this.db
      .updateTable('institutions')
      .set({ free_pilot: freePilot ? 1 : 0, pilot_until: pilotUntil, updated_at: now })
      .where('id', '=', institutionId)
      .execute();
  }

  /** Pilots whose last day is before `day` and that are still flagged free. */
  endedPilots(day: string): Promise<InstitutionTariffRow[]> {
    return this.db
      .selectFrom('institutions')
      .select(['id', 'name', 'free_pilot', 'pilot_until', 'time_zone'])
      .where('free_pilot', '=', 1)
      .where('pilot_until', 'is not', null)
      .where('pilot_until', '<', day)
      .execute() as Promise<InstitutionTariffRow[]>;
  }

  /** The price of a kindergarten for a month: its own latest effective price, else the region's. */
  async priceAt(institutionId: string, regionId: string, month: string): Promise<number | null> {
    const own = await this.db
      .selectFrom('billing_institution_prices')
      .select('price_kopecks')
      .where('institution_id', '=', institutionId)
      .where('effective_month', '<=', month)
      .orderBy('effective_month', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (own) return own.price_kopecks;
    const rec = await this.db
      .selectFrom('billing_region_prices')
      .select('price_kopecks')
      .where('region_id', '=', regionId)
      .where('effective_month', '<=', month)
      .orderBy('effective_month', 'desc')
      .limit(1)
      .executeTakeFirst();
    return rec?.price_kopecks ?? null;
  }

  /** The latest month an approved run covers the institution (directly or by its region), or null. */
  async lastApprovedMonth(institutionId: string, regionId: string): Promise<string | null> {
    const r = await this.db
      .selectFrom('billing_runs')
      .select((eb) => eb.fn.max('period').as('m'))
      .where('status', '=', 'approved')
      .where('region_id', '=', regionId)
      .where((eb) => eb.or([eb('institution_id', '=', institutionId), eb('institution_id', 'is', null)]))
      .executeTakeFirst();
    return (r?.m as string | null | undefined) ?? null;
  }

  // ---- subscriptions ---------------------------------------------------------------------------

  subscriptionsOfChild(childId: string): Promise<SubscriptionWithPayer[]> {
    return this.db
      .selectFrom('subscriptions')
      .innerJoin('persons', 'persons.id', 'subscriptions.person_id')
      .selectAll('subscriptions')
      .select('persons.display_name as payer_name')
      .where('subscriptions.child_id', '=', childId)
      .orderBy('subscriptions.updated_at', 'desc')
      .execute();
  }

  findSubscription(id: string): Promise<SubscriptionsTable | undefined> {
    return this.db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insertSubscription(row: SubscriptionsTable): Promise<void> {
    await this.db.insertInto('subscriptions').values(row).execute();
  }

  async updateSubscription(id: string, patch: Updateable<SubscriptionsTable>): Promise<void> {
    await this.db.updateTable('subscriptions').set(patch).where('id', '=', id).execute();
  }

  periods(subscriptionId: string): Promise<SubscriptionPeriodsTable[]> {
    return this.db
      .selectFrom('subscription_periods')
      .selectAll()
      .where('subscription_id', '=', subscriptionId)
      .orderBy('start_date')
      .execute();
  }

  async insertPeriod(row: SubscriptionPeriodsTable): Promise<void> {
    await this.db.insertInto('subscription_periods').values(row).execute();
  }

  async closePeriod(id: string, endDate: string | null): Promise<void> {
    await this.db
      .updateTable('subscription_periods')
      .set({ end_date: endDate })
      .where('id', '=', id)
      .execute();
  }

  async deletePeriod(id: string): Promise<void> {
    await this.db.deleteFrom('subscription_periods').where('id', '=', id).execute();
  }

  /** Suspends for non-payment the live subscriptions of these children; returns the ones changed. */
  async suspendUnpaid(childIds: readonly string[], asOf: string, now: string): Promise<SubscriptionsTable[]> {
    const changed: SubscriptionsTable[] = [];
    for (let i = 0; i < childIds.length; i += BATCH) {
      const ids = childIds.slice(i, i + BATCH);
      const rows = await this.db
        .selectFrom('subscriptions')
        .selectAll()
        .where('child_id', 'in', ids)
        .where('status', '=', 'active')
        .execute();
      if (rows.length === 0) continue;
      await this.db
        .updateTable('subscriptions')
        .set({ status: 'suspended', suspended_reason: 'unpaid', suspended_as_of: asOf, updated_at: now })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      changed.push(...rows);
    }
    return changed;
  }

  suspendedUnpaid(regionId?: string): Promise<SubscriptionsTable[]> {
    let q = this.db
      .selectFrom('subscriptions as s')
      .innerJoin('children as c', 'c.id', 's.child_id')
      .innerJoin('institutions as i', 'i.id', 'c.institution_id')
      .selectAll('s')
      .where('s.status', '=', 'suspended')
      .where('s.suspended_reason', '=', 'unpaid');
    if (regionId) q = q.where('i.region_id', '=', regionId);
    return q.execute();
  }

  async restore(ids: readonly string[], now: string): Promise<void> {
    for (let i = 0; i < ids.length; i += BATCH)
      await this.db
        .updateTable('subscriptions')
        .set({ status: 'active', suspended_reason: null, suspended_as_of: null, updated_at: now })
        .where('id', 'in', ids.slice(i, i + BATCH))
        .execute();
  }

  // ---- billing runs ----------------------------------------------------------------------------

  async findRun(id: string): Promise<BillingRunsTable | undefined> {
    return runRow(
      await this.db.selectFrom('billing_runs').selectAll().where('id', '=', id).executeTakeFirst(),
    );
  }

  async findRunByScope(
    period: string,
    regionId: string,
    scopeKey: string,
  ): Promise<BillingRunsTable | undefined> {
    return runRow(
      await this.db
        .selectFrom('billing_runs')
        .selectAll()
        .where('period', '=', period)
        .where('region_id', '=', regionId)
        .where('scope_key', '=', scopeKey)
        .executeTakeFirst(),
    );
  }

  async runsOfPeriod(period: string, regionId: string): Promise<BillingRunsTable[]> {
    const rows = await this.db
      .selectFrom('billing_runs')
      .selectAll()
      .where('period', '=', period)
      .where('region_id', '=', regionId)
      .execute();
    return rows.map(runRow);
  }

  async listRuns(regionId: string): Promise<BillingRunsTable[]> {
    const rows = await this.db
      .selectFrom('billing_runs')
      .selectAll()
      .where('region_id', '=', regionId)
      .orderBy('period', 'desc')
      .orderBy('scope_key')
      .execute();
    return rows.map(runRow);
  }

  async insertRun(row: BillingRunsTable): Promise<void> {
    await this.db.insertInto('billing_runs').values(row).execute();
  }

  async updateRun(id: string, patch: Updateable<BillingRunsTable>): Promise<void> {
    await this.db.updateTable('billing_runs').set(patch).where('id', '=', id).execute();
  }

  /** The coverage stretches that overlap [first, last] in a region (or one kindergarten of it). */
  coverage(
    regionId: string,
    institutionId: string | null,
    first: string,
    last: string,
  ): Promise<CoverageRow[]> {
    let q = this.db
      .selectFrom('subscription_periods as p')
      .innerJoin('subscriptions as s', 's.id', 'p.subscription_id')
      .innerJoin('children as c', 'c.id', 's.child_id')
      .innerJoin('institutions as i', 'i.id', 'c.institution_id')
      .innerJoin('persons as payer', 'payer.id', 's.person_id')
      .select([
        'p.id as period_id',
        'p.start_date',
        'p.end_date',
        's.id as subscription_id',
        'c.id as child_id',
        'c.full_name as child_name',
        'c.external_ref',
        'payer.id as payer_person_id',
        'payer.display_name as payer_name',
        'i.id as institution_id',
        'i.name as institution_name',
        'i.free_pilot',
        'i.pilot_until',
      ])
      .where('i.region_id', '=', regionId)
      .where('p.start_date', '<=', last)
      .where((eb) => eb.or([eb('p.end_date', 'is', null), eb('p.end_date', '>=', first)]));
    if (institutionId) q = q.where('i.id', '=', institutionId);
    return q.execute() as Promise<CoverageRow[]>;
  }

  /** Adjustments in scope not billed by any run other than `runId`. */
  pendingAdjustments(
    regionId: string,
    institutionId: string | null,
    runId: string,
  ): Promise<PendingAdjustment[]> {
    let q = this.db
      .selectFrom('billing_adjustments as a')
      .innerJoin('subscriptions as s', 's.id', 'a.subscription_id')
      .innerJoin('children as c', 'c.id', 's.child_id')
      .innerJoin('institutions as i', 'i.id', 'c.institution_id')
      .innerJoin('persons as payer', 'payer.id', 's.person_id')
      .select([
        'a.id',
        'a.subscription_id',
        'a.for_period',
        'a.amount_kopecks',
        'a.reason',
        'c.id as child_id',
        'c.full_name as child_name',
        'c.external_ref',
        'payer.id as payer_person_id',
        'payer.display_name as payer_name',
        'i.id as institution_id',
        'i.name as institution_name',
      ])
      .where('i.region_id', '=', regionId)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('billing_lines as l')
              .select('l.id')
              .where('l.line_key', '=', sql<string>`'adjustment:' || a.id`)
              .where('l.run_id', '<>', runId),
          ),
        ),
      );
    if (institutionId) q = q.where('i.id', '=', institutionId);
    return q.execute();
  }

  async insertAdjustment(row: BillingAdjustmentsTable): Promise<void> {
    await this.db.insertInto('billing_adjustments').values(row).execute();
  }

  /** Every line of a run by its key, without the bulky name columns' cost mattering (one scan). */
  async runLineIndex(runId: string): Promise<Map<string, BillingLinesTable>> {
    const rows = await this.db.selectFrom('billing_lines').selectAll().where('run_id', '=', runId).execute();
    return new Map(rows.map((r) => [r.line_key, r]));
  }

  async insertLines(rows: readonly BillingLinesTable[]): Promise<void> {
    for (let i = 0; i < rows.length; i += BATCH)
      await this.db
        .insertInto('billing_lines')
        .values(rows.slice(i, i + BATCH))
        .execute();
  }

  async updateLine(id: string, patch: Updateable<BillingLinesTable>): Promise<void> {
    await this.db.updateTable('billing_lines').set(patch).where('id', '=', id).execute();
  }

  async deleteLines(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += BATCH)
      await this.db
        .deleteFrom('billing_lines')
        .where('id', 'in', ids.slice(i, i + BATCH))
        .execute();
  }

  runTotals(runId: string) {
    return this.db
      .selectFrom('billing_lines')
      .select((eb) => [
        'institution_id',
        'institution_name',
        eb.fn.countAll<number>().as('lines'),
        eb.fn.sum<number>('amount_kopecks').as('total_kopecks'),
        eb.fn
          .sum<number>(eb.case().when('kind', '=', 'adjustment').then(eb.ref('amount_kopecks')).else(0).end())
          .as('adjustments_kopecks'),
      ])
      .where('run_id', '=', runId)
      .groupBy(['institution_id', 'institution_name'])
      .orderBy('institution_name')
      .execute();
  }

  /** A page of a run's lines in export order (by line key: the unique index), after `afterKey`. */
  runLinesAfter(runId: string, afterKey: string | null, limit: number): Promise<BillingLinesTable[]> {
    let q = this.db.selectFrom('billing_lines').selectAll().where('run_id', '=', runId);
    if (afterKey !== null) q = q.where('line_key', '>', afterKey);
    return q.orderBy('line_key').limit(limit).execute();
  }

  /** Lines of approved runs for a child (the parent's charge history), newest first. */
  approvedLinesOfChild(childId: string): Promise<BillingLinesTable[]> {
    return this.db
      .selectFrom('billing_lines as l')
      .innerJoin('billing_runs as r', 'r.id', 'l.run_id')
      .selectAll('l')
      .where('l.child_id', '=', childId)
      .where('r.status', '=', 'approved')
      .orderBy('l.period', 'desc')
      .orderBy('l.from_date', 'desc')
      .execute();
  }

  // ---- payments --------------------------------------------------------------------------------

  /** The (account, period) pairs approved runs of the region billed. */
  async billedAccounts(regionId: string): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('billing_lines as l')
      .innerJoin('billing_runs as r', 'r.id', 'l.run_id')
      .select(['l.account_number', 'l.period'])
      .distinct()
      .where('r.status', '=', 'approved')
      .where('r.region_id', '=', regionId)
      .execute();
    return new Set(rows.map((r) => `${r.account_number}|${r.period}`));
  }

  async existingDedupeKeys(keys: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < keys.length; i += BATCH) {
      const rows = await this.db
        .selectFrom('payments')
        .select('dedupe_key')
        .where('dedupe_key', 'in', keys.slice(i, i + BATCH))
        .execute();
      for (const r of rows) out.add(r.dedupe_key);
    }
    return out;
  }

  async insertImport(row: PaymentImportsTable): Promise<void> {
    await this.db.insertInto('payment_imports').values(row).execute();
  }

  async insertPayments(rows: readonly PaymentsTable[]): Promise<void> {
    for (let i = 0; i < rows.length; i += BATCH)
      await this.db
        .insertInto('payments')
        .values(rows.slice(i, i + BATCH))
        .execute();
  }

  async listImports(regionId: string): Promise<PaymentImportsTable[]> {
    const rows = await this.db
      .selectFrom('payment_imports')
      .selectAll()
      .where('region_id', '=', regionId)
      .orderBy('created_at', 'desc')
      .limit(50)
      .execute();
    return rows.map(runRow);
  }

  // ---- aggregates ------------------------------------------------------------------------------

  /** Charged per child account and period by approved runs (optionally of one region / kindergarten). */
  charged(
    filter: { regionId?: string; institutionId?: string; childId?: string } = {},
  ): Promise<AccountSums[]> {
    let q = this.db
      .selectFrom('billing_lines as l')
      .innerJoin('billing_runs as r', 'r.id', 'l.run_id')
      .select((eb) => [
        'l.child_id',
        'l.account_number',
        'l.period',
        'l.institution_id',
        eb.fn.sum<number>('l.amount_kopecks').as('charged_kopecks'),
        eb.fn.sum<number>(eb.case().when('l.kind', '=', 'charge').then(1).else(0).end()).as('subscribers'),
      ])
      .where('r.status', '=', 'approved')
      .groupBy(['l.child_id', 'l.account_number', 'l.period', 'l.institution_id']);
    if (filter.regionId) q = q.where('r.region_id', '=', filter.regionId);
    if (filter.institutionId) q = q.where('l.institution_id', '=', filter.institutionId);
    if (filter.childId) q = q.where('l.child_id', '=', filter.childId);
    return q.execute();
  }

  /** Paid per account and period (all payments, or those of some accounts). */
  async paid(accounts?: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const run = async (ids?: readonly string[]) => {
      let q = this.db
        .selectFrom('payments')
        .select((eb) => ['account_number', 'period', eb.fn.sum<number>('amount_kopecks').as('paid')])
        .groupBy(['account_number', 'period']);
      if (ids) q = q.where('account_number', 'in', ids);
      for (const r of await q.execute()) out.set(`${r.account_number}|${r.period}`, Number(r.paid));
    };
    if (!accounts) await run();
    else for (let i = 0; i < accounts.length; i += BATCH) await run(accounts.slice(i, i + BATCH));
    return out;
  }

  /** Subscriptions of a kindergarten with payer and child, for its administrator. */
  subscribersOf(institutionId: string) {
    return this.db
      .selectFrom('subscriptions as s')
      .innerJoin('children as c', 'c.id', 's.child_id')
      .innerJoin('persons as p', 'p.id', 's.person_id')
      .select([
        's.id',
        's.status',
        's.suspended_reason',
        's.accepted_at',
        'c.id as child_id',
        'c.full_name as child_name',
        'c.external_ref',
        'p.display_name as payer_name',
      ])
      .where('c.institution_id', '=', institutionId)
      .orderBy('c.full_name')
      .execute();
  }
}
