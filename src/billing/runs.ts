/**
 * The monthly billing run (docs/design/billing.md): for a month and a region (or one kindergarten),
 * one charge line per coverage stretch of every subscription, pro-rated by days (money.ts), plus an
 * adjustment line for every correction not yet billed. draft → reviewed → approved; an approved run
 * is immutable (database triggers). Computing a draft again writes only what differs, so a re-run
 * over unchanged data changes nothing.
 */
import type { Kysely } from 'kysely';
import { newId } from '../shared/ids.js';
import { AppError } from '../shared/errors.js';
import { authorize, objectNotFound, type Grant } from '../domain/scope.js';
import { change, type Caller } from '../domain/admin/context.js';
import { invalid } from '../domain/admin/rules.js';
import type { Database } from '../storage/schema.js';
import type { BillingLinesTable, BillingRunsTable } from '../storage/billing-schema.js';
import {
  BillingRepository,
  type CoverageRow,
  type PendingAdjustment,
} from '../storage/repositories/billing.js';
import { addDays, addMonths, chargeFor, daysInMonth, firstDay, isMonth, lastDay } from './money.js';
import {
  institutionPlace,
  moneyEvent,
  regionExists,
  regionPlace,
  todayUtc,
  type BillingDeps,
} from './context.js';

export interface RunView {
  id: string;
  period: string;
  regionId: string;
  institutionId: string | null;
  status: BillingRunsTable['status'];
  lineCount: number;
  totalKopecks: number;
  computedAt: string;
  reviewedAt: string | null;
  approvedAt: string | null;
}

export interface RunTotalsView extends RunView {
  kindergartens: {
    institutionId: string;
    name: string;
    lines: number;
    totalKopecks: number;
    adjustmentsKopecks: number;
  }[];
}

export function runView(r: BillingRunsTable): RunView {
  return {
    id: r.id,
    period: r.period,
    regionId: r.region_id,
    institutionId: r.institution_id,
    status: r.status,
    lineCount: r.line_count,
    totalKopecks: r.total_kopecks,
    computedAt: r.computed_at,
    reviewedAt: r.reviewed_at,
    approvedAt: r.approved_at,
  };
}

/** The account number a kindergarten bills a child under: its own reference, else the child's id. */
export function accountNumberOf(child: { external_ref: string | null; child_id: string }): string {
  return child.external_ref ?? child.child_id;
}

/** Prices per kindergarten for the month, looked up once each. */
async function pricesFor(
  r: BillingRepository,
  regionId: string,
  month: string,
  institutionIds: Iterable<string>,
): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  for (const id of institutionIds) if (!out.has(id)) out.set(id, await r.priceAt(id, regionId, month));
  return out;
}

/** The lines a run of `month` should hold, by line key (pure given its inputs). */
export function computeLines(
  runId: string,
  month: string,
  coverage: readonly CoverageRow[],
  prices: ReadonlyMap<string, number | null>,
  adjustments: readonly PendingAdjustment[],
): Map<string, Omit<BillingLinesTable, 'id'>> {
  const out = new Map<string, Omit<BillingLinesTable, 'id'>>();
  const monthDays = daysInMonth(month);
  for (const c of coverage) {
    const price = prices.get(c.institution_id) ?? null;
    if (price === null || price === 0) continue;
    // Free-pilot days cost nothing: a pilot without an end date, or days up to its last day.
    if (c.free_pilot === 1 && c.pilot_until === null) continue;
    const start =
      c.pilot_until !== null && c.start_date <= c.pilot_until ? addDays(c.pilot_until, 1) : c.start_date;
    const ch = chargeFor(month, price, { start, end: c.end_date });
    if (!ch || ch.amountKopecks === 0) continue;
    const key = `charge:${c.period_id}`;
    out.set(key, {
      run_id: runId,
      line_key: key,
      kind: 'charge',
      period: month,
      subscription_id: c.subscription_id,
      child_id: c.child_id,
      child_name: c.child_name,
      payer_person_id: c.payer_person_id,
      payer_name: c.payer_name,
      institution_id: c.institution_id,
      institution_name: c.institution_name,
      account_number: accountNumberOf(c),
      from_date: ch.from,
      to_date: ch.to,
      days: ch.days,
      month_days: monthDays,
      price_kopecks: price,
      amount_kopecks: ch.amountKopecks,
      note: null,
    });
  }
  for (const a of adjustments) {
    const key = `adjustment:${a.id}`;
    out.set(key, {
      run_id: runId,
      line_key: key,
      kind: 'adjustment',
      period: month,
      subscription_id: a.subscription_id,
      child_id: a.child_id,
      child_name: a.child_name,
      payer_person_id: a.payer_person_id,
      payer_name: a.payer_name,
      institution_id: a.institution_id,
      institution_name: a.institution_name,
      account_number: accountNumberOf(a),
      from_date: firstDay(a.for_period),
      to_date: lastDay(a.for_period),
      days: 0,
      month_days: daysInMonth(a.for_period),
      price_kopecks: 0,
      amount_kopecks: a.amount_kopecks,
      note: `корректировка за ${a.for_period}: ${a.reason}`,
    });
  }
  return out;
}

const SAME_FIELDS = [
  'kind',
  'subscription_id',
  'child_id',
  'child_name',
  'payer_person_id',
  'payer_name',
  'institution_id',
  'institution_name',
  'account_number',
  'from_date',
  'to_date',
  'days',
  'month_days',
  'price_kopecks',
  'amount_kopecks',
  'note',
] as const;

export interface ComputeResult {
  run: RunView;
  inserted: number;
  updated: number;
  deleted: number;
}

/**
 * Brings a draft's lines to what the data says now, writing only differences. Exposed for tests and
 * the benchmark (no authorization: callers do that).
 */
export async function recompute(
  db: Kysely<Database>,
  run: BillingRunsTable,
  nowIso: string,
): Promise<{ run: BillingRunsTable; inserted: number; updated: number; deleted: number }> {
  if (run.status !== 'draft')
    throw new AppError('conflict', `the run is ${run.status}: only a draft is computed`);
  const r = new BillingRepository(db);
  const coverage = await r.coverage(
    run.region_id,
    run.institution_id,
    firstDay(run.period),
    lastDay(run.period),
  );
  const prices = await pricesFor(
    r,
    run.region_id,
    run.period,
    new Set(coverage.map((c) => c.institution_id)),
  );
  const adjustments = await r.pendingAdjustments(run.region_id, run.institution_id, run.id);
  const want = computeLines(run.id, run.period, coverage, prices, adjustments);
  const have = await r.runLineIndex(run.id);
  const inserts: BillingLinesTable[] = [];
  let updated = 0;
  for (const [key, line] of want) {
    const old = have.get(key);
    if (!old) inserts.push({ id: newId(), ...line });
    else {
      have.delete(key);
      if (SAME_FIELDS.some((f) => old[f] !== line[f])) {
        await r.updateLine(old.id, line);
        updated++;
      }
    }
  }
  await r.insertLines(inserts);
  const gone = [...have.values()].map((l) => l.id);
  await r.deleteLines(gone);
  let total = 0;
  for (const l of want.values()) total += l.amount_kopecks;
  const changed = inserts.length + updated + gone.length > 0 || run.line_count !== want.size;
  const next: BillingRunsTable = changed
    ? { ...run, line_count: want.size, total_kopecks: total, computed_at: nowIso }
    : run;
  if (changed)
    await r.updateRun(run.id, {
      line_count: next.line_count,
      total_kopecks: next.total_kopecks,
      computed_at: nowIso,
    });
  return { run: next, inserted: inserts.length, updated, deleted: gone.length };
}

async function scopePlace(deps: BillingDeps, regionId: string, institutionId: string | null) {
  if (institutionId) {
    const place = await institutionPlace(deps.db, institutionId, 'institution');
    if (place.regionId !== regionId)
      throw invalid('body/institutionId', 'the kindergarten is not in this region');
    return place;
  }
  if (!(await regionExists(deps.db, regionId))) throw objectNotFound('region');
  return regionPlace(regionId);
}

/** Creates the draft for a month and scope, or computes the existing draft again. */
export async function runBilling(
  deps: BillingDeps,
  caller: Caller,
  input: { period: string; regionId: string; institutionId?: string | null | undefined },
): Promise<ComputeResult> {
  const institutionId = input.institutionId ?? null;
  const place = await scopePlace(deps, input.regionId, institutionId);
  const grant = authorize(
    caller.principal,
    'billing_run',
    'create',
    place,
    institutionId ? 'institution' : 'region',
  );
  if (!isMonth(input.period)) throw invalid('body/period', 'expected a month YYYY-MM');
  const latest = addMonths(todayUtc(deps).slice(0, 7), 1);
  if (input.period > latest) throw invalid('body/period', `months up to ${latest} can be billed`);
  const scopeKey = institutionId ?? '*';
  return change(deps, caller, async (_r, trx) => {
    const r = new BillingRepository(trx);
    const others = await r.runsOfPeriod(input.period, input.regionId);
    const clash = others.find((o) => o.scope_key !== scopeKey && (scopeKey === '*' || o.scope_key === '*'));
    if (clash)
      throw new AppError(
        'conflict',
        clash.scope_key === '*'
          ? 'the whole region is already billed for this month'
          : 'kindergartens of this region are already billed one by one for this month',
      );
    const now = deps.clock.now().toISOString();
    let run = others.find((o) => o.scope_key === scopeKey);
    const before = run ? runView(run) : null;
    if (!run) {
      run = {
        id: newId(),
        period: input.period,
        region_id: input.regionId,
        institution_id: institutionId,
        scope_key: scopeKey,
        status: 'draft',
        line_count: 0,
        total_kopecks: 0,
        computed_at: now,
        reviewed_at: null,
        reviewed_by: null,
        approved_at: null,
        approved_by: null,
        created_at: now,
      };
      await r.insertRun(run);
    }
    const res = await recompute(trx, run, now);
    const after = runView(res.run);
    return {
      result: { run: after, inserted: res.inserted, updated: res.updated, deleted: res.deleted },
      grant,
      audit: moneyEvent('run', 'compute', { id: run.id, institutionId }, before, after, {
        inserted: res.inserted,
        updated: res.updated,
        deleted: res.deleted,
      }),
    };
  });
}

async function runAndGrant(
  deps: BillingDeps,
  caller: Caller,
  id: string,
  action: 'read' | 'update',
): Promise<{ run: BillingRunsTable; grant: Grant }> {
  const run = await new BillingRepository(deps.db).findRun(id);
  if (!run) throw objectNotFound('billing_run');
  const place = run.institution_id
    ? await institutionPlace(deps.db, run.institution_id, 'billing_run')
    : regionPlace(run.region_id);
  authorize(caller.principal, 'billing_run', 'read', place);
  return { run, grant: authorize(caller.principal, 'billing_run', action, place) };
}

export async function getRun(deps: BillingDeps, caller: Caller, id: string): Promise<RunTotalsView> {
  const { run } = await runAndGrant(deps, caller, id, 'read');
  const totals = await new BillingRepository(deps.db).runTotals(id);
  return {
    ...runView(run),
    kindergartens: totals.map((t) => ({
      institutionId: t.institution_id,
      name: t.institution_name,
      lines: Number(t.lines),
      totalKopecks: Number(t.total_kopecks),
      adjustmentsKopecks: Number(t.adjustments_kopecks),
    })),
  };
}

export async function listRuns(deps: BillingDeps, caller: Caller, regionId: string): Promise<RunView[]> {
  if (!(await regionExists(deps.db, regionId))) throw objectNotFound('region');
  authorize(caller.principal, 'billing_run', 'read', regionPlace(regionId), 'region');
  return (await new BillingRepository(deps.db).listRuns(regionId)).map(runView);
}

const TRANSITIONS = {
  review: { from: 'draft', to: 'reviewed' },
  reopen: { from: 'reviewed', to: 'draft' },
  approve: { from: 'reviewed', to: 'approved' },
} as const;

/** draft → reviewed → approved (or reviewed → draft). Approval is final. */
export async function transitionRun(
  deps: BillingDeps,
  caller: Caller,
  id: string,
  step: keyof typeof TRANSITIONS,
): Promise<RunView> {
  const { grant } = await runAndGrant(deps, caller, id, 'update');
  const t = TRANSITIONS[step];
  return change(deps, caller, async (_r, trx) => {
    const r = new BillingRepository(trx);
    const run = await r.findRun(id);
    if (!run) throw objectNotFound('billing_run');
    if (run.status !== t.from) throw new AppError('conflict', `the run is ${run.status}, not ${t.from}`);
    const now = deps.clock.now().toISOString();
    const by = caller.principal.personId;
    const patch =
      step === 'review'
        ? { status: t.to, reviewed_at: now, reviewed_by: by }
        : step === 'approve'
          ? { status: t.to, approved_at: now, approved_by: by }
          : { status: t.to, reviewed_at: null, reviewed_by: null };
    await r.updateRun(id, patch);
    const after = runView({ ...run, ...patch });
    return {
      result: after,
      grant,
      audit: moneyEvent('run', step, { id, institutionId: run.institution_id }, runView(run), after),
    };
  });
}

/** A correction of an approved month: billed as an adjustment line by the next run of its scope. */
export async function addAdjustment(
  deps: BillingDeps,
  caller: Caller,
  input: { subscriptionId: string; forPeriod: string; amountKopecks: number; reason: string },
): Promise<{ id: string }> {
  const r0 = new BillingRepository(deps.db);
  const sub = await r0.findSubscription(input.subscriptionId);
  if (!sub) throw objectNotFound('subscription');
  const child = await deps.db
    .selectFrom('children')
    .select('institution_id')
    .where('id', '=', sub.child_id)
    .executeTakeFirstOrThrow();
  const place = await institutionPlace(deps.db, child.institution_id, 'subscription');
  const grant = authorize(caller.principal, 'billing_account', 'create', place, 'subscription');
  if (!isMonth(input.forPeriod)) throw invalid('body/forPeriod', 'expected a month YYYY-MM');
  if (!Number.isInteger(input.amountKopecks) || input.amountKopecks === 0)
    throw invalid('body/amountKopecks', 'expected non-zero whole kopecks (negative: a refund)');
  if (input.reason.trim().length < 3) throw invalid('body/reason', 'state the reason of the correction');
  const billed = (await r0.charged({ childId: sub.child_id })).some((c) => c.period === input.forPeriod);
  if (!billed) throw invalid('body/forPeriod', 'no approved charge for this child in that month to correct');
  return change(deps, caller, async (_r, trx) => {
    const row = {
      id: newId(),
      subscription_id: sub.id,
      for_period: input.forPeriod,
      amount_kopecks: input.amountKopecks,
      reason: input.reason.trim(),
      created_at: deps.clock.now().toISOString(),
      created_by: caller.principal.personId,
    };
    await new BillingRepository(trx).insertAdjustment(row);
    return {
      result: { id: row.id },
      grant,
      audit: moneyEvent(
        'adjustment',
        'create',
        { id: row.id, institutionId: child.institution_id },
        null,
        row,
      ),
    };
  });
}

/** An approved run the caller may read, for its export. */
export async function runForExport(
  deps: BillingDeps,
  caller: Caller,
  id: string,
): Promise<BillingRunsTable & { grant: Grant }> {
  const { run, grant } = await runAndGrant(deps, caller, id, 'read');
  if (run.status !== 'approved') throw new AppError('conflict', 'only an approved run is exported');
  return { ...run, grant };
}
