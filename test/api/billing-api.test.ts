/**
 * The paid service over HTTP on both databases, on the demo's history: the operator's reads answer
 * what their response schemas say (and nothing more), run lines come a page at a time, the parent
 * sees price, pilot and payer; subscribing and a suspension re-check open streams at once (access
 * events), the hourly job runs once under its lease with two processes, and when a free pilot ends
 * only its confirmed subscriptions continue.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases } from '../support/db.js';
import { buildTestApp, sessionFor } from '../support/app.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';
import { accessEvents, type AccessChange } from '../../src/streams/access-events.js';
import { runBillingJobs, runBillingJobsLeased } from '../../src/billing/jobs.js';
import { billingDeps } from '../../src/api/billing.js';
import { addMonths } from '../../src/billing/money.js';

for (const { name, open, skip } of testDatabases()) {
  describe(`billing API on ${name}`, { skip }, () => {
    test('operator, kindergarten administrator and parents on the demo history', async () => {
      const db = await open();
      const t = await buildTestApp(db);
      const events: AccessChange[] = [];
      const unsubscribe = accessEvents.subscribe((c) => events.push(c));
      try {
        const seeded = await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
        const region = seeded.regionId;
        const person = async (subject: string) =>
          (
            await db.kysely
              .selectFrom('persons')
              .select('id')
              .where('subject', '=', subject)
              .executeTakeFirstOrThrow()
          ).id;
        const op = await sessionFor(t, await person('demo-operator'));
        const get = async <T>(url: string, s = op) => {
          const res = await t.app.inject({ method: 'GET', url, headers: s.headers });
          assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
          return res.json<T>();
        };

        const tariffs = await get<{
          kindergartens: { name: string; freePilot: boolean; currentPriceKopecks: number | null }[];
        }>(`/api/billing/regions/${region}/tariffs`);
        const sun = tariffs.kindergartens.find((k) => k.name.includes('Солнышко'))!;
        const pilotKg = tariffs.kindergartens.find((k) => k.name.includes('Берёзка'))!;
        assert.equal(sun.currentPriceKopecks, 30000);
        assert.equal(pilotKg.freePilot, true);

        const runs = await get<{ items: { id: string; status: string; period: string }[] }>(
          `/api/billing/regions/${region}/runs`,
        );
        assert.equal(runs.items.length, 3);
        assert.ok(runs.items.every((r) => r.status === 'approved'));
        const last = runs.items[0]!;
        const totals = await get<{ kindergartens: { adjustmentsKopecks: number }[] }>(
          `/api/billing/runs/${last.id}`,
        );
        assert.equal(totals.kindergartens[0]?.adjustmentsKopecks, -2000);

        // Lines a page at a time: every line once, in order; the cursor ends.
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
          const page: { items: { lineKey: string; kind: string }[]; nextCursor: string | null } = await get(
            `/api/billing/runs/${last.id}/lines?limit=2${q}`,
          );
          seen.push(...page.items.map((l) => l.lineKey));
          cursor = page.nextCursor;
        } while (cursor);
        assert.equal(new Set(seen).size, seen.length);
        assert.deepEqual([...seen].sort(), seen);
        assert.ok(seen.some((k) => k.startsWith('adjustment:')));

        const report = await get<{
          items: { period: string; arrearsKopecks: number; subscribers: number }[];
        }>(`/api/billing/regions/${region}/report`);
        assert.ok(
          report.items.some((r) => r.arrearsKopecks > 0),
          'the demo has arrears',
        );
        const imports = await get<{ items: { status: string }[] }>(`/api/billing/regions/${region}/payments`);
        assert.deepEqual(imports.items.map((i) => i.status).sort(), [
          'imported',
          'imported',
          'imported',
          'rejected',
        ]);

        // The kindergarten administrator: subscribers with the suspended family and its arrears.
        const admin = await sessionFor(t, await person('demo-kg-admin'));
        const kg1 = (
          await db.kysely
            .selectFrom('institutions')
            .select('id')
            .where('name', 'like', '%Солнышко%')
            .executeTakeFirstOrThrow()
        ).id;
        const subs = await get<{
          items: { childName: string; status: string; arrearsKopecks: number; payerName: string }[];
        }>(`/api/billing/institutions/${kg1}/subscribers`, admin);
        const artem = subs.items.find((s) => s.childName === 'Артём Козлов')!;
        assert.equal(artem.status, 'suspended');
        assert.ok(artem.arrearsKopecks > 0);
        // ... but not the operator's screens.
        const denied = await t.app.inject({
          method: 'GET',
          url: `/api/billing/regions/${region}/runs`,
          headers: admin.headers,
        });
        assert.equal(denied.statusCode, 404);
        for (const url of [`/api/billing/runs/${last.id}/lines`, `/api/billing/runs/${last.id}`]) {
          const res = await t.app.inject({ method: 'GET', url, headers: admin.headers });
          assert.equal(res.statusCode, 404, `${url} is not the kindergarten administrator's`);
        }

        // Parents: the payer shown to both guardians; the pilot with its end; the suspended reason.
        type PB = {
          offer: { version: string };
          children: {
            child: { id: string; name: string };
            priceKopecks: number | null;
            pilot: { until: string; active: boolean } | null;
            subscription: {
              status: string;
              suspendedReason: string | null;
              payer: { name: string; isMe: boolean };
            } | null;
          }[];
        };
        const sergey = await get<PB>(
          '/api/parent/billing',
          await sessionFor(t, await person('demo-parent-sergey')),
        );
        assert.deepEqual(sergey.children[0]?.subscription?.payer, { name: 'Анна Иванова', isMe: false });
        const petr = await get<PB>(
          '/api/parent/billing',
          await sessionFor(t, await person('demo-parent-petr')),
        );
        assert.ok(petr.children.every((c) => c.pilot?.active));
        const nina = await get<PB>(
          '/api/parent/billing',
          await sessionFor(t, await person('demo-parent-nina')),
        );
        assert.equal(nina.children[0]?.subscription?.suspendedReason, 'unpaid');

        // Subscribing publishes the child's access change.
        const elena = await sessionFor(t, await person('demo-parent-elena'));
        const before = await get<PB>('/api/parent/billing', elena);
        const lisa = before.children[0]!;
        assert.equal(lisa.subscription, null);
        assert.equal(lisa.priceKopecks, 30000);
        events.length = 0;
        const sub = await t.app.inject({
          method: 'POST',
          url: `/api/parent/children/${lisa.child.id}/subscription`,
          headers: elena.headers,
          payload: { offerVersion: before.offer.version },
        });
        assert.equal(sub.statusCode, 200, sub.body);
        assert.deepEqual(Object.keys(sub.json<object>()).sort(), [
          'acceptedAt',
          'id',
          'offerVersion',
          'payer',
          'status',
          'suspendedReason',
        ]);
        assert.ok(events.some((e) => e.kind === 'child' && e.ids?.includes(lisa.child.id)));

        // The arrears check responds by its schema (the touched children stay inside).
        const month = new Date().toISOString().slice(0, 7);
        const check = await t.app.inject({
          method: 'POST',
          url: `/api/billing/regions/${region}/arrears-check`,
          headers: op.headers,
          payload: { asOf: `${addMonths(month, 1)}-28` },
        });
        assert.equal(check.statusCode, 200, check.body);
        assert.deepEqual(Object.keys(check.json<object>()).sort(), ['asOf', 'restored', 'suspended']);

        // The hourly job: two processes, one run per hour.
        const deps = billingDeps(t.ctx);
        events.length = 0;
        const first = await runBillingJobsLeased(deps, 'process-a');
        const second = await runBillingJobsLeased(deps, 'process-b');
        assert.notEqual(first, null);
        assert.equal(second, null);
        assert.notEqual(await runBillingJobsLeased(deps, 'process-a'), null, 'the holder renews');

        // The pilot ends (the job, eleven days on): Ваня's confirmed subscription continues, Катя's
        // unconfirmed one lapses; the kindergarten's open streams are re-checked.
        const subOf = async (name: string) =>
          await db.kysely
            .selectFrom('subscriptions as s')
            .innerJoin('children as c', 'c.id', 's.child_id')
            .select(['s.status', 'c.institution_id'])
            .where('c.full_name', '=', name)
            .executeTakeFirstOrThrow();
        const later = new Date(Date.now() + 12 * 86_400_000);
        events.length = 0;
        const ended = await runBillingJobs({ ...deps, clock: { now: () => later } });
        assert.equal(ended.pilotsEnded, 1);
        assert.equal((await subOf('Ваня Смирнов')).status, 'active');
        const katya = await subOf('Катя Смирнова');
        assert.equal(katya.status, 'cancelled');
        assert.ok(events.some((e) => e.kind === 'institution' && e.ids?.includes(katya.institution_id)));
        const lapse = await db.kysely
          .selectFrom('audit_log')
          .select('details')
          .where('action', '=', 'billing.subscription.pilot_lapse')
          .execute();
        assert.equal(lapse.length, 1);
      } finally {
        unsubscribe();
        await t.close();
        await db.close();
      }
    });
  });
}
