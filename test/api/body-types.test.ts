/**
 * Request bodies are taken as sent (issue 9, item 8): a number or an array where a name is expected,
 * year 0000 or an impossible date are refused with 400 `validation_failed` naming the field, and
 * nothing is written. Query strings are still text turned into numbers (`?limit=5`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { dumpDatabase, Factory, type KindergartenWorld } from '../support/factory.js';

interface Refusal {
  code: string;
  details?: { field: string; message: string }[];
}

for (const { name, open, skip } of testDatabases()) {
  describe(`request bodies are not coerced on ${name}`, { skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let w: KindergartenWorld;
    let admin: TestSession;

    before(async () => {
      db = await open();
      t = await buildTestApp(db);
      const f = new Factory(db.kysely);
      w = await f.kindergartenWorld((await f.region()).id, 'A');
      admin = await sessionFor(t, w.admin.id);
    });
    after(async () => {
      await t.close();
      await db.close();
    });

    const send = (method: 'POST' | 'PATCH', url: string, payload: object) =>
      t.app.inject({ method, url, headers: admin.headers, payload });

    const BAD: { what: string; body: Record<string, unknown>; field: string; message: RegExp }[] = [
      { what: 'a number as a name', body: { fullName: 12345 }, field: 'body/fullName', message: /string/ },
      {
        what: 'an array as a name',
        body: { fullName: ['Аня'] },
        field: 'body/fullName',
        message: /string/,
      },
      {
        what: 'year 0000 as a birth date',
        body: { fullName: 'Аня', birthDate: '0000-01-01' },
        field: 'body/birthDate',
        message: /pattern/,
      },
      {
        what: 'an impossible date',
        body: { fullName: 'Аня', birthDate: '2025-02-30' },
        field: 'body/birthDate',
        message: /date/,
      },
      {
        what: 'a birth date 40 years ago',
        body: { fullName: 'Аня', birthDate: '1986-05-14' },
        field: 'body/birthDate',
        message: /18 years/,
      },
      {
        what: 'a number as a birth date',
        body: { fullName: 'Аня', birthDate: 20210514 },
        field: 'body/birthDate',
        message: /string/,
      },
    ];

    for (const bad of BAD) {
      test(`${bad.what} is refused with 400 naming the field, and nothing is written`, async () => {
        const before = await dumpDatabase(db.kysely);
        for (const [method, url] of [
          ['POST', `/api/admin/institutions/${w.institution.id}/children`],
          ['PATCH', `/api/admin/children/${w.child.id}`],
        ] as const) {
          const res = await send(method, url, bad.body);
          assert.equal(res.statusCode, 400, `${method} ${url}: ${res.body}`);
          const body = res.json<Refusal>();
          assert.match(body.code, /validation_failed|invalid/);
          const detail = body.details?.find((d) => d.field === bad.field);
          assert.ok(detail, `${method}: no detail for ${bad.field}: ${res.body}`);
          assert.match(detail.message, bad.message, res.body);
        }
        assert.deepEqual(await dumpDatabase(db.kysely), before);
      });
    }

    test('a boolean given as a string is refused in a body', async () => {
      const res = await send('PATCH', `/api/admin/cameras/${w.camera.id}`, { enabled: 'false' });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json<Refusal>().details?.[0]?.field, 'body/enabled');
    });

    test('a well-typed body is accepted, and query strings are still turned into numbers', async () => {
      const created = await send('POST', `/api/admin/institutions/${w.institution.id}/children`, {
        fullName: 'Аня Новая',
        birthDate: '2021-05-14',
      });
      assert.equal(created.statusCode, 201, created.body);
      const list = await t.app.inject({
        method: 'GET',
        url: `/api/admin/institutions/${w.institution.id}/children?limit=1`,
        headers: admin.headers,
      });
      assert.equal(list.statusCode, 200, list.body);
      assert.equal(list.json<{ items: unknown[] }>().items.length, 1);
    });
  });
}
