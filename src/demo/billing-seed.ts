/**
 * The paid service in the demo, so the operator's screens, the revenue chart and the parents' billing
 * show something on first start: the paid kindergarten («Солнышко») with three approved months of
 * charges (a month started mid-way, a price change, an adjustment), payments for them (one family
 * behind: suspended for the unpaid month, with a partial payment), a rejected payment file among the
 * imports; the free pilot («Берёзка») ending in ten days, with one of its two children confirmed to
 * continue after it.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { newId } from '../shared/ids.js';
import { FIRST_OFFER_VERSION } from '../storage/migrations/0013_billing.js';
import { recompute } from '../billing/runs.js';
import { addDays, addMonths, dueDate, firstDay } from '../billing/money.js';
import type { BillingRunsTable } from '../storage/billing-schema.js';

export interface BillingDemoInput {
  now: Date;
  regionId: string;
  /** the paid kindergarten and the free pilot */
  kg1: string;
  kg2: string;
  operatorId: string;
  paid: { masha: string; dima: string; sonya: string; artem: string };
  pilot: { vanya: string; katya: string };
  /** not subscribed: the parent subscribes in one tap */
  lisa: string;
}

const GRACE_DAY = 25;

export async function seedBillingDemo(trx: Transaction<Database>, d: BillingDemoInput): Promise<void> {
  const ts = d.now.toISOString();
  const today = ts.slice(0, 10);
  const month = today.slice(0, 7);
  const m = (n: number) => addMonths(month, n);
  const at = (day: string) => `${day}T07:00:00.000Z`;

  await trx
    .insertInto('billing_region_prices')
    .values({
      id: newId(),
      region_id: d.regionId,
      effective_month: m(-6),
      price_kopecks: 25000,
      created_at: ts,
    })
    .execute();
  for (const [from, price] of [
    [m(-6), 28000],
    [m(-1), 30000],
  ] as const)
    await trx
      .insertInto('billing_institution_prices')
      .values({
        id: newId(),
        institution_id: d.kg1,
        effective_month: from,
        price_kopecks: price,
        created_at: ts,
      })
      .execute();
  await trx
    .updateTable('institutions')
    .set({ free_pilot: 1, pilot_until: addDays(today, 10), updated_at: ts })
    .where('id', '=', d.kg2)
    .execute();

  const subOf = async (childId: string) =>
    trx.selectFrom('subscriptions').selectAll().where('child_id', '=', childId).executeTakeFirstOrThrow();
  const cover = async (childId: string, start: string) => {
    const s = await subOf(childId);
    await trx
      .updateTable('subscriptions')
      .set({ offer_version: FIRST_OFFER_VERSION, accepted_at: at(start) })
      .where('id', '=', s.id)
      .execute();
    await trx
      .insertInto('subscription_periods')
      .values({
        id: newId(),
        subscription_id: s.id,
        start_date: start,
        end_date: null,
        offer_version: FIRST_OFFER_VERSION,
        created_at: at(start),
      })
      .execute();
    return s.id;
  };
  const masha = await cover(d.paid.masha, firstDay(m(-3)));
  await cover(d.paid.dima, `${m(-3)}-15`);
  await cover(d.paid.sonya, firstDay(m(-2)));
  const artem = await cover(d.paid.artem, firstDay(m(-3)));
  // Ваня's father confirmed that the subscription continues after the pilot; Катя's is not confirmed.
  await cover(d.pilot.vanya, firstDay(m(-2)));

  // A correction: the camera of «Пчёлки» was off for two days three months ago.
  const adjust = () =>
    trx
      .insertInto('billing_adjustments')
      .values({
        id: newId(),
        subscription_id: masha,
        for_period: m(-3),
        amount_kopecks: -2000,
        reason: 'камера группы не работала 2 дня',
        created_at: at(`${m(-1)}-20`),
        created_by: d.operatorId,
      })
      .execute();

  // Three approved region-wide runs, computed by the real billing code.
  for (const n of [-3, -2, -1]) {
    const period = m(n);
    const made = at(`${m(n + 1)}-01`);
    const run: BillingRunsTable = {
      id: newId(),
      period,
      region_id: d.regionId,
      institution_id: null,
      scope_key: '*',
      status: 'draft',
      line_count: 0,
      total_kopecks: 0,
      computed_at: made,
      reviewed_at: null,
      reviewed_by: null,
      approved_at: null,
      approved_by: null,
      created_at: made,
    };
    if (n === -1) await adjust();
    await trx.insertInto('billing_runs').values(run).execute();
    await recompute(trx, run, made);
    await trx
      .updateTable('billing_runs')
      .set({
        status: 'approved',
        reviewed_at: made,
        reviewed_by: d.operatorId,
        approved_at: made,
        approved_by: d.operatorId,
      })
      .where('id', '=', run.id)
      .execute();
  }

  // Payments: everything paid but Артём's family, who paid part of one month and nothing since.
  const lines = await trx
    .selectFrom('billing_lines as l')
    .innerJoin('billing_runs as r', 'r.id', 'l.run_id')
    .select(['l.account_number', 'l.period', 'l.child_id'])
    .select((eb) => eb.fn.sum<number>('l.amount_kopecks').as('amount'))
    .where('r.region_id', '=', d.regionId)
    .groupBy(['l.account_number', 'l.period', 'l.child_id'])
    .execute();
  for (const n of [-3, -2, -1]) {
    const period = m(n);
    const importId = newId();
    const paidDate = n === -1 ? addDays(today, -1) : `${m(n + 1)}-10`;
    const rows = lines
      .filter((l) => l.period === period)
      .flatMap((l) => {
        const amount = Number(l.amount);
        if (l.child_id !== d.paid.artem) return [{ l, amount }];
        if (n === -3) return [{ l, amount }];
        if (n === -2) return [{ l, amount: Math.floor(amount / 2) }];
        return [];
      })
      .filter((x) => x.amount > 0);
    await trx
      .insertInto('payment_imports')
      .values({
        id: importId,
        region_id: d.regionId,
        file_name: `oplaty-${period}.csv`,
        status: 'imported',
        line_count: rows.length,
        imported_count: rows.length,
        duplicate_count: 0,
        total_kopecks: rows.reduce((s, x) => s + x.amount, 0),
        errors: '[]',
        created_at: at(paidDate),
        created_by: d.operatorId,
      })
      .execute();
    let lineNo = 1;
    for (const { l, amount } of rows)
      await trx
        .insertInto('payments')
        .values({
          id: newId(),
          import_id: importId,
          line_no: ++lineNo,
          account_number: l.account_number,
          period: l.period,
          amount_kopecks: amount,
          paid_date: paidDate,
          dedupe_key: `${l.account_number}|${l.period}|${amount}|${paidDate}`,
          created_at: at(paidDate),
        })
        .execute();
  }
  // A file the payment system sent with mistakes: rejected, nothing imported, the errors kept.
  await trx
    .insertInto('payment_imports')
    .values({
      id: newId(),
      region_id: d.regionId,
      file_name: `oplaty-${m(-1)}-ispr.csv`,
      status: 'rejected',
      line_count: 3,
      imported_count: 0,
      duplicate_count: 0,
      total_kopecks: 0,
      errors: JSON.stringify([
        { line: 3, column: 'amount', message: 'expected a positive amount in rubles, got "триста"' },
        { line: 4, column: 'account', message: `no approved charge for account KG1-999 in ${m(-1)}` },
      ]),
      created_at: at(addDays(today, -1)),
      created_by: d.operatorId,
    })
    .execute();

  // Артём's month two months ago was due on the grace day of the next: suspended the day after.
  await trx
    .updateTable('subscriptions')
    .set({
      status: 'suspended',
      suspended_reason: 'unpaid',
      suspended_as_of: addDays(dueDate(m(-2), GRACE_DAY), 1),
      updated_at: ts,
    })
    .where('id', '=', artem)
    .execute();
}
