/**
 * The paid service's background work, once an hour (and once shortly after start): the arrears check
 * as of today, and the end of free pilots whose last day has passed. Both are idempotent, so two
 * processes doing them at once write the same result (the updates are conditional on the current
 * status); a lease is not needed for correctness.
 */
import type { FastifyBaseLogger } from 'fastify';
import { SYSTEM_CONTEXT, appendAudit } from '../audit/audit-log.js';
import { BillingRepository } from '../storage/repositories/billing.js';
import { applyArrears } from './arrears.js';
import { todayUtc, type BillingDeps } from './context.js';

const HOUR_MS = 60 * 60 * 1000;

export async function runBillingJobs(
  deps: BillingDeps,
): Promise<{ suspended: number; restored: number; pilotsEnded: number }> {
  const today = todayUtc(deps);
  return deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now();
    const r = new BillingRepository(trx);
    const ended = await r.endedPilots(today);
    for (const p of ended) {
      await r.setPilot(p.id, false, p.pilot_until, now.toISOString());
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
    return { suspended: out.suspended, restored: out.restored, pilotsEnded: ended.length };
  });
}

/** Starts the hourly job; returns its stop function. */
export function startBillingJobs(deps: BillingDeps, log: FastifyBaseLogger): () => void {
  const tick = () => {
    runBillingJobs(deps).then(
      (r) => {
        if (r.suspended || r.restored || r.pilotsEnded) log.info(r, 'billing jobs');
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
