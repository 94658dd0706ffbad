import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases } from '../support/db.js';
import { buildTestApp, sessionFor } from '../support/app.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';

for (const { name, open, skip } of testDatabases()) {
  describe(`audit API on ${name}`, { skip }, () => {
    test('auditors search their scope, export CSV and see the chain status; others get nothing', async () => {
      const db = await open();
      const t = await buildTestApp(db);
      try {
        await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
        const person = async (subject: string) =>
          (
            await db.kysely
              .selectFrom('persons')
              .select('id')
              .where('subject', '=', subject)
              .executeTakeFirstOrThrow()
          ).id;
        const anna = await sessionFor(t, await person('demo-parent-anna'));
        const petr = await sessionFor(t, await person('demo-parent-petr'));
        const cams = await db.kysely.selectFrom('cameras').select(['id', 'name']).execute();
        const bees = cams.find((c) => c.name === 'Пчёлки — игровая')!.id;
        const daisies = cams.find((c) => c.name === 'Ромашки — игровая')!.id;
        // A denial in kindergarten 1 and a denial in kindergarten 2 (Pyotr asks for Anna's group's camera).
        assert.equal(
          (
            await t.app.inject({
              method: 'POST',
              url: '/api/streams',
              headers: petr.headers,
              payload: { cameraId: bees },
            })
          ).statusCode,
          404,
        );
        assert.equal(
          (
            await t.app.inject({
              method: 'POST',
              url: '/api/streams',
              headers: anna.headers,
              payload: { cameraId: daisies },
            })
          ).statusCode,
          404,
        );

        const auditor = await sessionFor(t, await person('demo-auditor'));
        const r = await t.app.inject({
          url: '/api/audit?action=grant.live&decision=deny',
          headers: auditor.headers,
        });
        assert.equal(r.statusCode, 200);
        const items = r.json<{ items: { targetId: string; reason: string }[] }>().items;
        assert.deepEqual(new Set(items.map((i) => i.targetId)), new Set([bees, daisies]));

        const admin = await sessionFor(t, await person('demo-kg-admin'));
        const mine = await t.app.inject({ url: '/api/audit?action=grant.live', headers: admin.headers });
        assert.deepEqual(
          mine.json<{ items: { targetId: string }[] }>().items.map((i) => i.targetId),
          [bees],
          'a kindergarten administrator sees only their kindergarten',
        );

        const csv = await t.app.inject({ url: `/api/audit.csv?camera=${bees}`, headers: auditor.headers });
        assert.equal(csv.statusCode, 200);
        assert.match(csv.headers['content-type'] as string, /text\/csv/);
        assert.equal(csv.body.trim().split('\r\n').length, 2);

        const verify = await t.app.inject({ url: '/api/audit/verify', headers: auditor.headers });
        assert.equal(verify.json<{ ok: boolean }>().ok, true);

        for (const url of ['/api/audit', '/api/audit.csv', '/api/audit/verify'])
          assert.equal((await t.app.inject({ url, headers: anna.headers })).statusCode, 404, url);
        assert.equal(
          (await t.app.inject({ url: '/api/audit?from=yesterday', headers: auditor.headers })).statusCode,
          400,
        );
      } finally {
        await t.close();
        await db.close();
      }
    });
  });
}
