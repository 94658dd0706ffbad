import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteTestDb } from '../support/db.js';
import { buildTestApp, sessionFor } from '../support/app.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';

test('the recordings camera list: inspectors see their region, office staff their room, parents nothing', async () => {
  const db = await openSqliteTestDb();
  const t = await buildTestApp(db);
  try {
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
    const as = async (subject: string) =>
      sessionFor(
        t,
        (
          await db.kysely
            .selectFrom('persons')
            .select('id')
            .where('subject', '=', subject)
            .executeTakeFirstOrThrow()
        ).id,
      );
    const names = async (subject: string) => {
      const r = await t.app.inject({ url: '/api/recordings/cameras', headers: (await as(subject)).headers });
      return r.statusCode === 200
        ? r
            .json<{ items: { name: string }[] }>()
            .items.map((i) => i.name)
            .sort()
        : r.statusCode;
    };
    const all = await names('demo-inspector');
    assert.ok(Array.isArray(all) && all.includes('Кабинет 1') && all.includes('Пчёлки — игровая'));
    assert.deepEqual(await names('demo-employee'), ['Кабинет 1']);
    assert.equal(await names('demo-parent-anna'), 404);
    const body = (
      await t.app.inject({ url: '/api/recordings/cameras', headers: (await as('demo-inspector')).headers })
    ).body;
    assert.ok(!body.includes('demo:') && !body.includes('source'), 'no camera sources leak');
  } finally {
    await t.close();
    await db.close();
  }
});
