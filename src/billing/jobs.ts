/**
 * The paid service's background work, once an hour (and once shortly after start): the arrears check
 * as of today, and the end of free pilots whose last day has passed. Both are idempotent (the updates
 * are conditional on the current status), and a database lease (lease.ts) makes one process of many
 * run them each hour. After the commit, the children whose subscriptions were suspended or restored
 * (and the kindergartens whose pilot ended) are published as access changes, so open streams close
 * with «подписка приостановлена: не оплачена» at once and restored parents can watch again.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { SYSTEM_CONTEXT, appendAudit } from '../audit/audit-log.js';
import { BillingRepository } from '../storage/repositories/billing.js';
import { accessChanged } from '../streams/access-events.js';
import { applyArrears } from './arrears.js';
import { todayUtc, type BillingDeps } from './context.js';
import { processHolderId, tryAcquireLease } from '../storage/lease.js';

/** The lease the hourly job runs under, held the whole hour (docs/design/billing.md). */
export const BILLING_LEASE = 'billing.hourly';

const HOUR_MS = 60 * 60 * 1000;
/** held a little less than the hour, so the holder's own next tick always finds it renewable */
const LEASE_MS = HOUR_MS - 5 * 60 * 1000;

export async function runBillingJobs(
  deps: BillingDeps,
): Promise<{ suspended: number; restored: number; pilotsEnded: number }> {
  const today = todayUtc(deps);
  const out = await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now();
    const r = new BillingRepository(trx);
    const ended = await r.endedPilots(today);
    for (const p of ended) {
      await r.setPilot(p.id, false, p.pilot_until, now.toISOString());
      await lapseUnconfirmed(trx, p.id, p.pilot_until!, now);
      await appendAudit(
        trx,
        SYSTEM_CONTEXT,
        {
          action: 'billing.pilot.end',
          targetKind: 'institution',
          targetId: p.id,
          institutionId: p.id,
          details: {
            before: { freePilot: true, pilotUntil: p.pilot_until },
            after: { freePilot: false, pilotUntil: p.pilot_until },
          },
        },
        now,
      );
    }
    const out = await applyArrears(trx, SYSTEM_CONTEXT, {
      asOf: today,
      graceDay: deps.graceDay,
      now,
      suspend: true,
    });
    return {
      suspended: out.suspended,
      restored: out.restored,
      pilotsEnded: ended.length,
      childIds: out.childIds,
      institutionIds: ended.map((p) => p.id),
    };
  });
  accessChanged({ kind: 'child', ids: out.childIds });
  accessChanged({ kind: 'institution', ids: out.institutionIds });
  return { suspended: out.suspended, restored: out.restored, pilotsEnded: out.pilotsEnded };
}

/** The hourly run under the lease: null when another process holds it this hour. */
export async function runBillingJobsLeased(
  deps: BillingDeps,
  holder: string,
): Promise<{ suspended: number; restored: number; pilotsEnded: number } | null> {
  if (!(await tryAcquireLease(deps.db, BILLING_LEASE, holder, deps.clock.now(), LEASE_MS))) return null;
  return runBillingJobs(deps);
}

/** Starts the hourly job; returns its stop function. */
export function startBillingJobs(deps: BillingDeps, log: FastifyBaseLogger): () => void {
  const holder = processHolderId();
  const tick = () => {
    runBillingJobsLeased(deps, holder).then(
      (r) => {
        if (r && (r.suspended || r.restored || r.pilotsEnded)) log.info(r, 'billing jobs');
      },
      (err: unknown) => log.error({ err }, 'billing jobs failed'),
    );
  };
  const first = setTimeout(tick, 30_000).unref();
  const every = setInterval(tick, HOUR_MS).unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}

/**
 * When a free pilot ends, a subscription there continues only if its payer confirmed it (accepted the
 * offer, which opened a coverage period running past the pilot). The others (made by an administrator
 * during the pilot, never confirmed) are cancelled, audited with before/after.
 */
async function lapseUnconfirmed(
  trx: Transaction<Database>,
  institutionId: string,
  pilotUntil: string,
  now: Date,
): Promise<void> {
  const live = await trx
    .selectFrom('subscriptions as s')
    .innerJoin('children as c', 'c.id', 's.child_id')
    .select(['s.id', 's.status'])
    .where('c.institution_id', '=', institutionId)
    .where('s.status', '!=', 'cancelled')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('subscription_periods as p')
            .select('p.id')
            .whereRef('p.subscription_id', '=', 's.id')
            .where((w) => w.or([w('p.end_date', 'is', null), w('p.end_date', '>', pilotUntil)])),
        ),
      ),
    )
    .execute();
  const iso = now.toISOString();
  for (const s of live) {
    await trx
      .updateTable('subscriptions')
      .set({ status: 'cancelled', updated_at: iso })
      .where('id', '=', s.id)
      .execute();
    await appendAudit(
      trx,
      SYSTEM_CONTEXT,
      {
        action: 'billing.subscription.pilot_lapse',
        targetKind: 'subscription',
        targetId: s.id,
        institutionId,
        reason: 'pilot_ended_unconfirmed',
        details: { before: { status: s.status }, after: { status: 'cancelled' }, pilotUntil },
      },
      now,
    );
  }
}
