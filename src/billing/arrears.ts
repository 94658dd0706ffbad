/**
 * Arrears: a charge of an approved run not paid in full by the grace day (config billing.graceDay of
 * the next month) suspends the child's subscription with reason `unpaid`; the access policy then
 * refuses with «подписка приостановлена: не оплачена» and the live registry closes open streams on
 * its next re-check. A subscription suspended for arrears is restored as soon as every charge that was
 * overdue on the day it was suspended is paid (a payment import runs this at once).
 */
import type { Transaction } from 'kysely';
import { appendAudit, type AuditContext } from '../audit/audit-log.js';
import type { Database } from '../storage/schema.js';
import { BillingRepository, type AccountSums } from '../storage/repositories/billing.js';
import { dueDate } from './money.js';

export interface AccountBalance extends AccountSums {
  paid_kopecks: number;
  due_date: string;
}

/** Charged and paid per child account and period, with the due date. */
export async function balances(
  r: BillingRepository,
  graceDay: number,
  filter: { regionId?: string; institutionId?: string; childId?: string } = {},
): Promise<AccountBalance[]> {
  const charged = await r.charged(filter);
  const narrow = filter.childId !== undefined || filter.institutionId !== undefined;
  const paid = await r.paid(narrow ? [...new Set(charged.map((c) => c.account_number))] : undefined);
  return charged.map((c) => ({
    ...c,
    charged_kopecks: Number(c.charged_kopecks),
    subscribers: Number(c.subscribers),
    paid_kopecks: paid.get(`${c.account_number}|${c.period}`) ?? 0,
    due_date: dueDate(c.period, graceDay),
  }));
}

/** Whether a balance is unpaid past its due date as of a day. */
export function overdue(b: AccountBalance, asOf: string): boolean {
  return b.due_date < asOf && b.paid_kopecks < b.charged_kopecks;
}

export interface ArrearsOutcome {
  asOf: string;
  suspended: number;
  restored: number;
  /** children whose subscription was suspended or restored: the caller publishes their access change */
  childIds: string[];
}

/** Suspends for arrears as of `asOf` and restores what was paid; audited per subscription. */
export async function applyArrears(
  trx: Transaction<Database>,
  ctx: AuditContext,
  opts: { asOf: string; graceDay: number; now: Date; suspend: boolean; regionId?: string },
): Promise<ArrearsOutcome> {
  const r = new BillingRepository(trx);
  const all = await balances(r, opts.graceDay, opts.regionId ? { regionId: opts.regionId } : {});
  const byChild = new Map<string, AccountBalance[]>();
  for (const b of all) {
    const list = byChild.get(b.child_id) ?? [];
    list.push(b);
    byChild.set(b.child_id, list);
  }
  const nowIso = opts.now.toISOString();
  let suspended = 0;
  const touched = new Set<string>();
  if (opts.suspend) {
    const late = [...byChild].filter(([, bs]) => bs.some((b) => overdue(b, opts.asOf))).map(([c]) => c);
    const changed = await r.suspendUnpaid(late, opts.asOf, nowIso);
    for (const s of changed) {
      touched.add(s.child_id);
      const owed = (byChild.get(s.child_id) ?? []).filter((b) => overdue(b, opts.asOf));
      await appendAudit(
        trx,
        ctx,
        {
          action: 'billing.subscription.suspend',
          targetKind: 'subscription',
          targetId: s.id,
          reason: 'unpaid',
          details: {
            before: { status: s.status },
            after: { status: 'suspended', reason: 'unpaid', asOf: opts.asOf },
            overdue: owed.map((b) => ({
              period: b.period,
              charged: b.charged_kopecks,
              paid: b.paid_kopecks,
            })),
          },
        },
        opts.now,
      );
    }
    suspended = changed.length;
  }
  const restore = (await r.suspendedUnpaid(opts.regionId)).filter(
    (s) => !(byChild.get(s.child_id) ?? []).some((b) => overdue(b, s.suspended_as_of ?? opts.asOf)),
  );
  await r.restore(
    restore.map((s) => s.id),
    nowIso,
  );
  for (const s of restore) {
    touched.add(s.child_id);
    await appendAudit(
      trx,
      ctx,
      {
        action: 'billing.subscription.restore',
        targetKind: 'subscription',
        targetId: s.id,
        details: { before: { status: 'suspended', reason: 'unpaid' }, after: { status: 'active' } },
      },
      opts.now,
    );
  }
  return { asOf: opts.asOf, suspended, restored: restore.length, childIds: [...touched] };
}
