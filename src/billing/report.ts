/**
 * What the operator and the kindergarten administrator read: the revenue report by month and
 * kindergarten (subscribers, charged, paid, arrears), a kindergarten's subscribers with their arrears,
 * and the arrears check (suspend what is overdue as of a day, restore what is paid).
 */
import { authorize, objectNotFound } from '../domain/scope.js';
import { change, type Caller } from '../domain/admin/context.js';
import { invalid } from '../domain/admin/rules.js';
import { BillingRepository } from '../storage/repositories/billing.js';
import { applyArrears, balances, overdue, type ArrearsOutcome } from './arrears.js';
import { isDay } from './money.js';
import {
  institutionPlace,
  moneyEvent,
  regionExists,
  regionPlace,
  todayUtc,
  type BillingDeps,
} from './context.js';

export interface RevenueRow {
  period: string;
  institutionId: string;
  institutionName: string;
  subscribers: number;
  chargedKopecks: number;
  paidKopecks: number;
  /** unpaid after the due date, as of today */
  arrearsKopecks: number;
}

export async function revenueReport(
  deps: BillingDeps,
  caller: Caller,
  regionId: string,
): Promise<RevenueRow[]> {
  if (!(await regionExists(deps.db, regionId))) throw objectNotFound('region');
  authorize(caller.principal, 'billing_run', 'read', regionPlace(regionId), 'region');
  const r = new BillingRepository(deps.db);
  const names = new Map((await r.kindergartens(regionId)).map((k) => [k.id, k.name]));
  const today = todayUtc(deps);
  const rows = new Map<string, RevenueRow>();
  for (const b of await balances(r, deps.graceDay, { regionId })) {
    const key = `${b.period}|${b.institution_id}`;
    const row =
      rows.get(key) ??
      ({
        period: b.period,
        institutionId: b.institution_id,
        institutionName: names.get(b.institution_id) ?? b.institution_id,
        subscribers: 0,
        chargedKopecks: 0,
        paidKopecks: 0,
        arrearsKopecks: 0,
      } satisfies RevenueRow);
    row.subscribers += b.subscribers > 0 ? 1 : 0;
    row.chargedKopecks += b.charged_kopecks;
    row.paidKopecks += Math.min(b.paid_kopecks, Math.max(b.charged_kopecks, 0));
    if (overdue(b, today)) row.arrearsKopecks += b.charged_kopecks - b.paid_kopecks;
    rows.set(key, row);
  }
  return [...rows.values()].sort(
    (a, b) => a.period.localeCompare(b.period) || a.institutionName.localeCompare(b.institutionName),
  );
}

export interface SubscriberRow {
  subscriptionId: string;
  childId: string;
  childName: string;
  accountNumber: string;
  payerName: string;
  status: string;
  suspendedReason: string | null;
  chargedKopecks: number;
  paidKopecks: number;
  arrearsKopecks: number;
}

export async function subscribers(
  deps: BillingDeps,
  caller: Caller,
  institutionId: string,
): Promise<SubscriberRow[]> {
  const place = await institutionPlace(deps.db, institutionId, 'institution');
  authorize(caller.principal, 'billing_account', 'read', place, 'institution');
  const r = new BillingRepository(deps.db);
  const today = todayUtc(deps);
  const bal = await balances(r, deps.graceDay, { institutionId });
  return (await r.subscribersOf(institutionId)).map((s) => {
    const mine = bal.filter((b) => b.child_id === s.child_id);
    return {
      subscriptionId: s.id,
      childId: s.child_id,
      childName: s.child_name,
      accountNumber: s.external_ref ?? s.child_id,
      payerName: s.payer_name,
      status: s.status,
      suspendedReason: s.suspended_reason ?? null,
      chargedKopecks: mine.reduce((x, b) => x + b.charged_kopecks, 0),
      paidKopecks: mine.reduce((x, b) => x + b.paid_kopecks, 0),
      arrearsKopecks: mine
        .filter((b) => overdue(b, today))
        .reduce((x, b) => x + b.charged_kopecks - b.paid_kopecks, 0),
    };
  });
}

/** The arrears check as of a day (default today): suspends the overdue, restores the paid. */
export async function checkArrears(
  deps: BillingDeps,
  caller: Caller,
  regionId: string,
  asOf: string | undefined,
): Promise<ArrearsOutcome> {
  if (!(await regionExists(deps.db, regionId))) throw objectNotFound('region');
  const grant = authorize(caller.principal, 'billing_account', 'create', regionPlace(regionId), 'region');
  const day = asOf ?? todayUtc(deps);
  if (!isDay(day)) throw invalid('body/asOf', 'expected a date YYYY-MM-DD');
  return change(deps, caller, async (_r, trx) => {
    const out = await applyArrears(trx, caller.audit(grant.role), {
      asOf: day,
      graceDay: deps.graceDay,
      now: deps.clock.now(),
      suspend: true,
      regionId,
    });
    return {
      result: out,
      grant,
      audit: moneyEvent('arrears', 'check', { id: regionId, institutionId: null }, null, out),
    };
  });
}
