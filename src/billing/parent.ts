/**
 * The parent's side of the paid service: per child, the price (or «Бесплатно — пилотный детский сад
 * до …»), what is included (the group's cameras and viewing hours), the offer to accept, the
 * subscription (one per child, covering every guardian; the guardian who subscribed is the payer and
 * both see who that is), the charge history with payment status, and the next charge date.
 *
 * Subscribing records the accepted offer version and opens a coverage period from today. Cancelling
 * ends access at once; the coverage ends yesterday, so the day of cancelling is not charged.
 */
import { newId } from '../shared/ids.js';
import { AppError, notFound } from '../shared/errors.js';
import type { AuditContext } from '../audit/audit-log.js';
import { appendAudit } from '../audit/audit-log.js';
import { toLocalTime } from '../policy/local-time.js';
import { ParentViewRepository } from '../storage/repositories/parent-view.js';
import { BillingRepository, type SubscriptionWithPayer } from '../storage/repositories/billing.js';
import { addDays, addMonths, dueDate, firstDay } from './money.js';
import { balances } from './arrears.js';
import { accessChanged } from '../streams/access-events.js';
import type { BillingDeps } from './context.js';

export type PaymentState = 'paid' | 'partial' | 'unpaid' | 'overdue';

export interface ParentBillingChild {
  child: { id: string; name: string };
  institution: { id: string; name: string };
  verified: boolean;
  /** null: no price set (the service is not sold there yet) */
  priceKopecks: number | null;
  pilot: { until: string | null; active: boolean; noticeFrom: string | null } | null;
  included: {
    group: string | null;
    cameras: string[];
    hours: { weekday: number; start: string; end: string }[];
  };
  subscription: {
    id: string;
    status: 'active' | 'suspended' | 'cancelled';
    suspendedReason: string | null;
    payer: { name: string; isMe: boolean };
    offerVersion: string | null;
    acceptedAt: string | null;
  } | null;
  nextChargeDate: string | null;
  charges: {
    period: string;
    from: string;
    to: string;
    days: number;
    amountKopecks: number;
    kind: 'charge' | 'adjustment';
    state: PaymentState;
    dueDate: string;
  }[];
}

export interface ParentBillingView {
  offer: { version: string; text: string } | null;
  children: ParentBillingChild[];
}

/** The live subscription of a child (active or suspended), else the latest cancelled one. */
function currentOf(subs: readonly SubscriptionWithPayer[]): SubscriptionWithPayer | undefined {
  return subs.find((s) => s.status !== 'cancelled') ?? subs[0];
}

export async function parentOverview(deps: BillingDeps, personId: string): Promise<ParentBillingView> {
  const pv = new ParentViewRepository(deps.db);
  const r = new BillingRepository(deps.db);
  const offer = await r.latestOffer();
  const nowMs = deps.clock.now().getTime();
  const out: ParentBillingChild[] = [];
  for (const c of await pv.children(personId)) {
    const today = toLocalTime(nowMs, c.timeZone).date;
    const inst = (await r.institution(c.institutionId))!;
    const month = today.slice(0, 7);
    const group = await pv.groupOn(c.childId, today);
    const cameras = group ? (await pv.camerasOfRoom(group.id)).map((x) => x.name) : [];
    const hours = group
      ? await deps.db
          .selectFrom('viewing_schedules')
          .select(['weekday', 'start_time', 'end_time'])
          .where('room_id', '=', group.id)
          .orderBy('weekday')
          .orderBy('start_time')
          .execute()
      : [];
    const subs = await r.subscriptionsOfChild(c.childId);
    const sub = currentOf(subs);
    const pilotActive = inst.free_pilot === 1 && (inst.pilot_until === null || inst.pilot_until >= today);
    const priceNow = await r.priceAt(inst.id, inst.region_id, month);
    const priceAfterPilot =
      inst.pilot_until !== null
        ? await r.priceAt(inst.id, inst.region_id, addDays(inst.pilot_until, 1).slice(0, 7))
        : null;
    const bal = await balances(r, deps.graceDay, { childId: c.childId });
    const stateOf = (period: string, account: string): PaymentState => {
      const b = bal.find((x) => x.period === period && x.account_number === account);
      if (!b || b.paid_kopecks >= b.charged_kopecks) return 'paid';
      if (b.due_date < today) return 'overdue';
      return b.paid_kopecks > 0 ? 'partial' : 'unpaid';
    };
    const lines = await r.approvedLinesOfChild(c.childId);
    const live = sub && sub.status !== 'cancelled';
    out.push({
      child: { id: c.childId, name: c.childName },
      institution: { id: inst.id, name: inst.name },
      verified: c.verified,
      priceKopecks: pilotActive ? (inst.pilot_until ? priceAfterPilot : 0) : priceNow,
      pilot:
        inst.free_pilot === 1 || inst.pilot_until !== null
          ? {
              until: inst.pilot_until,
              active: pilotActive,
              noticeFrom: inst.pilot_until ? addDays(inst.pilot_until, -deps.pilotNoticeDays) : null,
            }
          : null,
      included: {
        group: group?.name ?? null,
        cameras,
        hours: hours.map((h) => ({ weekday: h.weekday, start: h.start_time, end: h.end_time })),
      },
      subscription: sub
        ? {
            id: sub.id,
            status: sub.status,
            suspendedReason: sub.suspended_reason ?? null,
            payer: { name: sub.payer_name, isMe: sub.person_id === personId },
            offerVersion: sub.offer_version ?? null,
            acceptedAt: sub.accepted_at ?? null,
          }
        : null,
      nextChargeDate:
        live && !(pilotActive && inst.pilot_until === null) ? firstDay(addMonths(month, 1)) : null,
      charges: lines.map((l) => ({
        period: l.period,
        from: l.from_date,
        to: l.to_date,
        days: l.days,
        amountKopecks: l.amount_kopecks,
        kind: l.kind,
        state: stateOf(l.period, l.account_number),
        dueDate: dueDate(l.period, deps.graceDay),
      })),
    });
  }
  return { offer: offer ? { version: offer.version, text: offer.text } : null, children: out };
}

async function guardianChild(deps: BillingDeps, personId: string, childId: string) {
  const link = await deps.db
    .selectFrom('guardian_links')
    .innerJoin('children', 'children.id', 'guardian_links.child_id')
    .innerJoin('institutions', 'institutions.id', 'children.institution_id')
    .select(['guardian_links.verified', 'children.institution_id', 'institutions.time_zone'])
    .where('guardian_links.person_id', '=', personId)
    .where('guardian_links.child_id', '=', childId)
    .executeTakeFirst();
  if (!link) throw notFound('child');
  if (link.verified !== 1)
    throw new AppError('forbidden', 'the kindergarten has not yet confirmed you as a guardian of this child');
  return link;
}

export async function subscribe(
  deps: BillingDeps,
  ctx: AuditContext,
  personId: string,
  childId: string,
  offerVersion: string,
): Promise<ParentBillingChild['subscription']> {
  const link = await guardianChild(deps, personId, childId);
  const now = deps.clock.now();
  const today = toLocalTime(now.getTime(), link.time_zone).date;
  const out = await deps.db.transaction().execute(async (trx) => {
    const r = new BillingRepository(trx);
    const offer = await r.latestOffer();
    if (!offer || offer.version !== offerVersion)
      throw new AppError('conflict', 'the offer has changed: read the current one and accept it');
    const subs = await r.subscriptionsOfChild(childId);
    const live = subs.find((s) => s.status !== 'cancelled');
    if (live) {
      if (live.person_id !== personId)
        throw new AppError('conflict', `the child is already subscribed; the payer is ${live.payer_name}`, {
          payer: live.payer_name,
        });
      if (live.status === 'suspended')
        throw new AppError('conflict', 'the subscription is suspended until the charges are paid');
      // An active subscription made before the paid service (by an administrator) has no coverage
      // yet: accepting the offer starts it today.
      if ((await r.periods(live.id)).some((p) => p.end_date === null)) return present(live, personId);
    }
    const mine = live ?? subs.find((s) => s.person_id === personId);
    const iso = now.toISOString();
    const fields = {
      status: 'active' as const,
      offer_version: offer.version,
      accepted_at: iso,
      suspended_reason: null,
      suspended_as_of: null,
      updated_at: iso,
    };
    const id = mine?.id ?? newId();
    if (mine) await r.updateSubscription(id, fields);
    else
      await r.insertSubscription({
        id,
        person_id: personId,
        child_id: childId,
        monthly_fee_minor: null,
        created_at: iso,
        ...fields,
      });
    // A re-subscription on the day of a cancellation continues the same coverage.
    const periods = await r.periods(id);
    const reopen = periods.find((p) => p.end_date !== null && p.end_date >= addDays(today, -1));
    if (reopen) await r.closePeriod(reopen.id, null);
    else
      await r.insertPeriod({
        id: newId(),
        subscription_id: id,
        start_date: today,
        end_date: null,
        offer_version: offer.version,
        created_at: iso,
      });
    const after = (await r.subscriptionsOfChild(childId)).find((s) => s.id === id)!;
    await appendAudit(
      trx,
      ctx,
      {
        action: 'billing.subscription.subscribe',
        targetKind: 'subscription',
        targetId: id,
        institutionId: link.institution_id,
        details: {
          before: mine ? { status: mine.status } : null,
          after: { status: 'active', offerVersion: offer.version, startDate: today, payer: personId },
        },
      },
      now,
    );
    return present(after, personId);
  });
  // Every guardian of the child may watch now (or, after a cancellation, no longer).
  accessChanged({ kind: 'child', ids: [childId] });
  return out;
}

function present(s: SubscriptionWithPayer, personId: string): ParentBillingChild['subscription'] {
  return {
    id: s.id,
    status: s.status,
    suspendedReason: s.suspended_reason ?? null,
    payer: { name: s.payer_name, isMe: s.person_id === personId },
    offerVersion: s.offer_version ?? null,
    acceptedAt: s.accepted_at ?? null,
  };
}

export async function cancel(
  deps: BillingDeps,
  ctx: AuditContext,
  personId: string,
  childId: string,
): Promise<ParentBillingChild['subscription']> {
  const link = await guardianChild(deps, personId, childId);
  const now = deps.clock.now();
  const today = toLocalTime(now.getTime(), link.time_zone).date;
  const out = await deps.db.transaction().execute(async (trx) => {
    const r = new BillingRepository(trx);
    const live = (await r.subscriptionsOfChild(childId)).find((s) => s.status !== 'cancelled');
    if (!live) throw new AppError('conflict', 'the child has no subscription to cancel');
    if (live.person_id !== personId)
      throw new AppError('forbidden', `only the payer (${live.payer_name}) can cancel the subscription`);
    await r.updateSubscription(live.id, { status: 'cancelled', updated_at: now.toISOString() });
    for (const p of await r.periods(live.id)) {
      if (p.end_date !== null && p.end_date < today) continue;
      if (p.start_date >= today) await r.deletePeriod(p.id);
      else await r.closePeriod(p.id, addDays(today, -1));
    }
    await appendAudit(
      trx,
      ctx,
      {
        action: 'billing.subscription.cancel',
        targetKind: 'subscription',
        targetId: live.id,
        institutionId: link.institution_id,
        details: {
          before: { status: live.status },
          after: { status: 'cancelled', coveredUntil: addDays(today, -1) },
        },
      },
      now,
    );
    return present({ ...live, status: 'cancelled' }, personId);
  });
  accessChanged({ kind: 'child', ids: [childId] });
  return out;
}
