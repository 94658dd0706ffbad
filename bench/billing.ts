/**
 * The paid service at city scale (issue 11): a billing run over 100,000 subscriptions on SQLite and on
 * PostgreSQL (and the re-run of the same draft), the approved run's CSV export streamed to a sink with
 * the process's memory growth, and a payment import of 100,000 lines. Real migrations and services.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { openPostgresTestDb, openSqliteTestDb } from '../test/support/db.js';
import type { Database } from '../src/storage/schema.js';
import type { Caller } from '../src/domain/admin/context.js';
import type { BillingDeps } from '../src/billing/context.js';
import { runBilling, runForExport, transitionRun } from '../src/billing/runs.js';
import { exportStream } from '../src/billing/export.js';
import { importPayments } from '../src/billing/payments.js';
import { newId } from '../src/shared/ids.js';
import { FIRST_OFFER_VERSION } from '../src/storage/migrations/0013_billing.js';
import { benchPostgresUrl } from './lib/okno.js';
import { summarize } from './lib/stats.js';
import type { Figure } from './lib/report.js';

const BATCH = 500;

async function insertAll<T extends keyof Database>(db: Kysely<Database>, table: T, rows: readonly object[]) {
  for (let i = 0; i < rows.length; i += BATCH)
    await db
      .insertInto(table)
      .values(rows.slice(i, i + BATCH) as never)
      .execute();
}

async function seed(db: Kysely<Database>, n: number): Promise<{ regionId: string; caller: Caller }> {
  const t = '2026-01-01T00:00:00.000Z';
  const regionId = newId();
  await db
    .insertInto('regions')
    .values({ id: regionId, name: 'Bench', created_at: t, updated_at: t })
    .execute();
  const kgs = Array.from({ length: 200 }, (_, i) => ({
    id: newId(),
    region_id: regionId,
    kind: 'kindergarten' as const,
    name: `Детский сад №${i + 1}`,
    time_zone: 'Europe/Moscow',
    free_pilot: 0 as const,
    monthly_fee_minor: null,
    consent_required: 1 as const,
    created_at: t,
    updated_at: t,
  }));
  await insertAll(db, 'institutions', kgs);
  await insertAll(
    db,
    'billing_institution_prices',
    kgs.map((k, i) => ({
      id: newId(),
      institution_id: k.id,
      effective_month: '2026-01',
      price_kopecks: 150000 + i,
      created_at: t,
    })),
  );
  for (let i = 0; i < n; i += 10_000) {
    const persons = [];
    const children = [];
    const subs = [];
    const periods = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++) {
      const p = newId();
      const c = newId();
      const s = newId();
      const kg = kgs[j % kgs.length]!;
      persons.push({
        id: p,
        issuer: 'bench',
        subject: `p${j}`,
        display_name: `Родитель ${j}`,
        email: null,
        phone: null,
        disabled: 0,
        created_at: t,
        updated_at: t,
      });
      children.push({
        id: c,
        institution_id: kg.id,
        full_name: `Ребёнок ${j}`,
        birth_date: null,
        external_ref: `LS${String(j).padStart(7, '0')}`,
        created_at: t,
        updated_at: t,
      });
      subs.push({
        id: s,
        person_id: p,
        child_id: c,
        status: 'active',
        monthly_fee_minor: null,
        offer_version: FIRST_OFFER_VERSION,
        accepted_at: t,
        created_at: t,
        updated_at: t,
      });
      // a tenth start mid-month: pro-rated lines
      const start = j % 10 === 0 ? `2026-03-${String(1 + (j % 28)).padStart(2, '0')}` : '2026-01-15';
      periods.push({
        id: newId(),
        subscription_id: s,
        start_date: start,
        end_date: null,
        offer_version: FIRST_OFFER_VERSION,
        created_at: t,
      });
    }
    await insertAll(db, 'persons', persons);
    await insertAll(db, 'children', children);
    await insertAll(db, 'subscriptions', subs);
    await insertAll(db, 'subscription_periods', periods);
  }
  const op = newId();
  await db
    .insertInto('persons')
    .values({
      id: op,
      issuer: 'bench',
      subject: 'op',
      display_name: 'Оператор',
      email: null,
      phone: null,
      disabled: 0,
      created_at: t,
      updated_at: t,
    })
    .execute();
  return {
    regionId,
    caller: {
      principal: {
        personId: op,
        bindings: [{ role: 'city_operator', scopeKind: 'region', scopeId: regionId }],
      },
      audit: (role) => ({
        actor: { personId: op, subject: 'op', role },
        ip: null,
        userAgent: null,
        sessionId: null,
      }),
    },
  };
}

export async function benchBilling(database: 'sqlite' | 'postgres', n: number): Promise<Figure[]> {
  if (database === 'postgres') process.env.OKNO_TEST_DATABASE_URL ||= benchPostgresUrl();
  const db = database === 'sqlite' ? await openSqliteTestDb() : await openPostgresTestDb();
  try {
    const { regionId, caller } = await seed(db.kysely, n);
    const deps: BillingDeps = {
      db: db.kysely,
      clock: { now: () => new Date('2026-04-20T10:00:00Z') },
      graceDay: 25,
      pilotNoticeDays: 14,
    };
    const t0 = performance.now();
    const first = await runBilling(deps, caller, { period: '2026-03', regionId });
    const runS = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const again = await runBilling(deps, caller, { period: '2026-03', regionId });
    const rerunS = (performance.now() - t1) / 1000;
    if (first.inserted !== n || again.inserted + again.updated + again.deleted !== 0)
      throw new Error('unexpected run result');
    await transitionRun(deps, caller, first.run.id, 'review');
    await transitionRun(deps, caller, first.run.id, 'approve');
    const run = await runForExport(deps, caller, first.run.id);
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    let bytes = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t2 = performance.now();
    await pipeline(
      exportStream(db.kysely, run, 'csv-1251'),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          peak = Math.max(peak, process.memoryUsage().rss);
          cb();
        },
      }),
    );
    clearInterval(sampler);
    const exportS = (performance.now() - t2) / 1000;
    const growthMb = (peak - rss0) / 1024 / 1024;
    const lines = ['account,period,amount,paid_date'];
    for (let j = 0; j < n; j++) lines.push(`LS${String(j).padStart(7, '0')},2026-03,100.00,2026-04-10`);
    const file = Buffer.from(lines.join('\n'));
    const t3 = performance.now();
    const imp = await importPayments(deps, caller, regionId, 'bench.csv', file);
    const importS = (performance.now() - t3) / 1000;
    if (imp.importedCount !== n) throw new Error(`import: ${JSON.stringify(imp.errors.slice(0, 3))}`);
    const one = (v: number) => summarize([v]);
    const over = `${n.toLocaleString('en')} subscriptions, 200 kindergartens`;
    return [
      {
        id: `billing.run.${database}`,
        title: `billing run (${database})`,
        unit: 's',
        summary: one(runS),
        over,
        goal: { on: 'median', op: '<=', value: 10 },
      },
      {
        id: `billing.rerun.${database}`,
        title: `re-run of the same draft (${database})`,
        unit: 's',
        summary: one(rerunS),
        over,
      },
      {
        id: `billing.export.${database}`,
        title: `export CSV Windows-1251, streamed (${database})`,
        unit: 'MB',
        summary: one(growthMb),
        over: `${(bytes / 1e6).toFixed(1)} MB of CSV in ${exportS.toFixed(1)} s; figure: RSS growth`,
        goal: { on: 'median', op: '<=', value: 100 },
      },
      {
        id: `billing.import.${database}`,
        title: `payment import (${database})`,
        unit: 's',
        summary: one(importS),
        over: `${n.toLocaleString('en')} lines`,
        goal: { on: 'median', op: '<=', value: 10 },
      },
    ];
  } finally {
    await db.close();
  }
}
