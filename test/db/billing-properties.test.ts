/**
 * Properties of the billing run on a real database (SQLite, with the real migrations and triggers):
 * for any coverage dates and prices, re-running a draft changes nothing and each child's lines add up
 * to its share; an approved month never changes, whatever is tried against it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openSqliteTestDb, type TestDb } from '../support/db.js';
import { Factory } from '../support/factory.js';
import type { Caller } from '../../src/domain/admin/context.js';
import type { BillingDeps } from '../../src/billing/context.js';
import { runBilling, transitionRun } from '../../src/billing/runs.js';
import { chargeFor } from '../../src/billing/money.js';
import { newId } from '../../src/shared/ids.js';
import { FIRST_OFFER_VERSION } from '../../src/storage/migrations/0013_billing.js';

let db: TestDb;
let f: Factory;
before(async () => {
  db = await openSqliteTestDb();
  f = new Factory(db.kysely);
});
after(() => db.close());

const day = fc.integer({ min: 1, max: 90 }).map((n) => {
  const d = new Date(Date.UTC(2026, 1, 1 + n)); // 2 February … 2 May 2026
  return d.toISOString().slice(0, 10);
});
const stretch = fc
  .tuple(day, fc.option(day, { nil: null }))
  .map(([a, b]) => (b !== null && b < a ? { start: b, end: a } : { start: a, end: b }));

async function world(price: number, stretches: { start: string; end: string | null }[][]) {
  const region = await f.region();
  const kg = await f.institution(region.id);
  await db.kysely
    .insertInto('billing_institution_prices')
    .values({
      id: newId(),
      institution_id: kg.id,
      effective_month: '2026-01',
      price_kopecks: price,
      created_at: 'x',
    })
    .execute();
  for (const list of stretches) {
    const child = await f.child(kg.id);
    const parent = await f.person();
    const sub = await f.subscription(parent.id, child.id);
    for (const s of list)
      await db.kysely
        .insertInto('subscription_periods')
        .values({
          id: newId(),
          subscription_id: sub.id,
          start_date: s.start,
          end_date: s.end,
          offer_version: FIRST_OFFER_VERSION,
          created_at: 'x',
        })
        .execute();
  }
  const op = await f.person();
  const caller: Caller = {
    principal: {
      personId: op.id,
      bindings: [{ role: 'city_operator', scopeKind: 'region', scopeId: region.id }],
    },
    audit: (role) => ({
      actor: { personId: op.id, subject: op.id, role },
      ip: null,
      userAgent: null,
      sessionId: null,
    }),
  };
  return { region, caller };
}

const deps = (): BillingDeps => ({
  db: db.kysely,
  clock: { now: () => new Date('2026-03-20T10:00:00Z') },
  graceDay: 25,
  pilotNoticeDays: 14,
});

test('re-running a draft changes nothing; the lines are the pro-rated shares', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.array(fc.array(stretch, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 4 }),
      async (price, stretches) => {
        const { region, caller } = await world(price, stretches);
        const first = await runBilling(deps(), caller, { period: '2026-03', regionId: region.id });
        const lines = await db.kysely
          .selectFrom('billing_lines')
          .selectAll()
          .where('run_id', '=', first.run.id)
          .orderBy('id')
          .execute();
        const again = await runBilling(deps(), caller, { period: '2026-03', regionId: region.id });
        assert.deepEqual([again.inserted, again.updated, again.deleted], [0, 0, 0]);
        assert.deepEqual(
          await db.kysely
            .selectFrom('billing_lines')
            .selectAll()
            .where('run_id', '=', first.run.id)
            .orderBy('id')
            .execute(),
          lines,
        );
        const expected = stretches
          .flat()
          .map((s) => chargeFor('2026-03', price, s)?.amountKopecks ?? 0)
          .reduce((a, b) => a + b, 0);
        assert.equal(first.run.totalKopecks, expected);
      },
    ),
    { numRuns: 15 },
  );
});

type Attack = 'update_amount' | 'delete_line' | 'insert_line' | 'reopen_run' | 'delete_run' | 'rerun';

test('an approved month never changes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 100, max: 1_000_000 }),
      fc.array(fc.array(stretch, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }),
      fc.array(
        fc.constantFrom<Attack>(
          'update_amount',
          'delete_line',
          'insert_line',
          'reopen_run',
          'delete_run',
          'rerun',
        ),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
      async (price, stretches, attacks) => {
        const { region, caller } = await world(price, stretches);
        const { run } = await runBilling(deps(), caller, { period: '2026-03', regionId: region.id });
        await transitionRun(deps(), caller, run.id, 'review');
        await transitionRun(deps(), caller, run.id, 'approve');
        const snapshot = async () => ({
          run: await db.kysely
            .selectFrom('billing_runs')
            .selectAll()
            .where('id', '=', run.id)
            .executeTakeFirst(),
          lines: await db.kysely
            .selectFrom('billing_lines')
            .selectAll()
            .where('run_id', '=', run.id)
            .orderBy('id')
            .execute(),
        });
        const before = await snapshot();
        for (const a of attacks) {
          const line = before.lines[0];
          const attempt = async () => {
            switch (a) {
              case 'update_amount':
                await db.kysely
                  .updateTable('billing_lines')
                  .set({ amount_kopecks: 1 })
                  .where('run_id', '=', run.id)
                  .execute();
                if (!line) throw new Error('no line: nothing to change');
                return;
              case 'delete_line':
                await db.kysely.deleteFrom('billing_lines').where('run_id', '=', run.id).execute();
                if (!line) throw new Error('no line: nothing to delete');
                return;
              case 'insert_line':
                await db.kysely
                  .insertInto('billing_lines')
                  .values({
                    ...(line ?? ({} as never)),
                    id: newId(),
                    line_key: `charge:${newId()}`,
                    run_id: run.id,
                  })
                  .execute();
                return;
              case 'reopen_run':
                await db.kysely
                  .updateTable('billing_runs')
                  .set({ status: 'draft' })
                  .where('id', '=', run.id)
                  .execute();
                return;
              case 'delete_run':
                await db.kysely.deleteFrom('billing_runs').where('id', '=', run.id).execute();
                return;
              case 'rerun':
                await runBilling(deps(), caller, { period: '2026-03', regionId: region.id });
                return;
            }
          };
          await assert.rejects(attempt());
        }
        assert.deepEqual(await snapshot(), before);
      },
    ),
    { numRuns: 15 },
  );
});
