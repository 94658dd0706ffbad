/**
 * The visits API in-process on a real database: reception opens and closes a visit; bad input gets a
 * clear 400 and changes nothing; authorization follows src/authz/table.ts (another office's head and
 * another workplace's employee get 404, reception may not resolve flags, an employee may not change
 * the mode); the regional operator sees every office's flags and coverage; the CSV is UTF-8 with a
 * header and streamed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteTestDb, type TestDb } from '../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { Factory, type OfficeWorld } from '../support/factory.js';
import { newId } from '../../src/shared/ids.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';

describe('visits API', () => {
  let db: TestDb;
  let t: TestApp;
  let w: OfficeWorld;
  let other: OfficeWorld;
  let reception: TestSession;
  let employee: TestSession;
  let head: TestSession;
  let otherHead: TestSession;
  let otherEmployee: TestSession;
  let operator: TestSession;
  let inspector: TestSession;
  let parent: TestSession;

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db);
    const f = new Factory(db.kysely);
    const region = await f.region();
    w = await f.officeWorld(region.id, 'A');
    other = await f.officeWorld(region.id, 'B');
    await db.kysely.updateTable('cameras').set({ recording_policy: 'manual' }).execute();
    reception = await sessionFor(t, (await f.staff('reception', 'institution', w.institution.id)).id);
    employee = await sessionFor(t, w.employee.id);
    head = await sessionFor(t, w.head.id);
    otherHead = await sessionFor(t, other.head.id);
    otherEmployee = await sessionFor(t, other.employee.id);
    operator = await sessionFor(t, (await f.staff('regional_operator', 'region', region.id)).id);
    inspector = await sessionFor(t, (await f.staff('inspector', 'region', region.id)).id);
    parent = await sessionFor(t, (await f.person()).id);
  });
  after(async () => {
    await t.close();
    await db.close();
  });

  const count = async (table: 'visits' | 'visit_flags' | 'audit_log') =>
    Number(
      (
        await db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  test('reception opens a visit for the workplace employee and closes it', async () => {
    const wp = await t.app.inject({ url: '/api/visits/workplaces', headers: reception.headers });
    assert.equal(wp.statusCode, 200);
    assert.deepEqual(
      wp.json<{ roomId: string }[]>().map((x) => x.roomId),
      [w.workplace.id],
    );
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/visits',
      headers: reception.headers,
      payload: { roomId: w.workplace.id, visitorCategory: 'foster_parent', caseRef: 'ОП-2026/17' },
    });
    assert.equal(opened.statusCode, 201, opened.body);
    const v = opened.json<{ id: string; employee: { id: string }; visitorCategoryLabel: string }>();
    assert.equal(v.employee.id, w.employee.id);
    assert.equal(v.visitorCategoryLabel, 'Приёмный родитель');
    const state = await t.app.inject({
      url: `/api/visits/workplaces/${w.workplace.id}/state`,
      headers: employee.headers,
    });
    assert.equal(state.statusCode, 200);
    const s = state.json<{ state: string; openVisit: { id: string } | null; mode: string }>();
    assert.equal(s.state, 'recording');
    assert.equal(s.openVisit?.id, v.id);
    assert.equal(s.mode, 'per_visit');

    const again = await t.app.inject({
      method: 'POST',
      url: '/api/visits',
      headers: employee.headers,
      payload: { roomId: w.workplace.id, visitorCategory: 'citizen' },
    });
    assert.equal(again.statusCode, 409);

    // Another office's head and employee do not even see it.
    for (const who of [otherHead, otherEmployee, parent]) {
      const r = await t.app.inject({ url: `/api/visits/${v.id}`, headers: who.headers });
      assert.equal(r.statusCode, 404, r.body);
      const c = await t.app.inject({
        method: 'POST',
        url: `/api/visits/${v.id}/close`,
        headers: who.headers,
      });
      assert.equal(c.statusCode, 404);
    }
    const insp = await t.app.inject({ url: `/api/visits/${v.id}`, headers: inspector.headers });
    assert.equal(insp.statusCode, 200, 'an inspector opens the visit to play it');
    assert.ok(insp.json<{ playback: { from: string } }>().playback.from);
    const insClose = await t.app.inject({
      method: 'POST',
      url: `/api/visits/${v.id}/close`,
      headers: inspector.headers,
    });
    assert.equal(insClose.statusCode, 403, 'an inspector reads visits but does not close them');

    const closed = await t.app.inject({
      method: 'POST',
      url: `/api/visits/${v.id}/close`,
      headers: reception.headers,
    });
    assert.equal(closed.statusCode, 200, closed.body);
    assert.equal(closed.json<{ status: string }>().status, 'closed');
  });

  test('bad input: a clear 400 and nothing changes', async () => {
    const before = [await count('visits'), await count('audit_log')];
    const bad = [
      { roomId: w.workplace.id, visitorCategory: 'vip' },
      { roomId: 'not-a-uuid', visitorCategory: 'citizen' },
      { roomId: w.workplace.id },
      { roomId: w.workplace.id, visitorCategory: 'citizen', caseRef: 'x'.repeat(61) },
      { roomId: w.workplace.id, visitorCategory: 'citizen', caseRef: '<script>' },
      { roomId: w.workplace.id, visitorCategory: 'citizen', name: 'Иванов Иван' },
      { roomId: w.workplace.id, visitorCategory: 'citizen', employeeId: other.employee.id },
    ];
    for (const payload of bad) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/visits',
        headers: reception.headers,
        payload,
      });
      assert.equal(r.statusCode, 400, `${JSON.stringify(payload)} → ${r.body}`);
    }
    const nowhere = await t.app.inject({
      method: 'POST',
      url: '/api/visits',
      headers: reception.headers,
      payload: { roomId: other.workplace.id, visitorCategory: 'citizen' },
    });
    assert.equal(nowhere.statusCode, 404, 'another office’s workplace is not found');
    const missing = await t.app.inject({
      method: 'POST',
      url: `/api/visits/${newId()}/close`,
      headers: reception.headers,
    });
    assert.equal(missing.statusCode, 404);
    const range = await t.app.inject({
      url: '/api/visits?from=2026-03-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      headers: head.headers,
    });
    assert.equal(range.statusCode, 400);
    const cov = await t.app.inject({
      url: '/api/visits/coverage?from=2026-13-01&to=x',
      headers: head.headers,
    });
    assert.equal(cov.statusCode, 400);
    assert.deepEqual([await count('visits'), await count('audit_log')], before);
  });

  test('without a session: 401 before any validation, whatever the body or query', async () => {
    const before = [await count('visits'), await count('audit_log')];
    const asked = [
      { method: 'POST' as const, url: '/api/visits', payload: { roomId: 'not-a-uuid' } },
      {
        method: 'POST' as const,
        url: '/api/visits',
        payload: { roomId: w.workplace.id, visitorCategory: 'citizen' },
      },
      { method: 'GET' as const, url: '/api/visits?from=x&to=y' },
      { method: 'GET' as const, url: '/api/visits/coverage?from=2026-13-01' },
      { method: 'POST' as const, url: `/api/visits/${newId()}/close` },
      { method: 'GET' as const, url: '/api/visits/categories' },
    ];
    for (const req of asked) {
      const r = await t.app.inject(req);
      assert.equal(r.statusCode, 401, `${req.method} ${req.url} → ${r.statusCode} ${r.body}`);
      assert.doesNotMatch(r.body, /roomId|visitorCategory|must match/, 'nothing about the API shapes');
    }
    assert.deepEqual([await count('visits'), await count('audit_log')], before);
  });

  test('mode: the office head changes it (audited, flagged); an employee may not', async () => {
    const denied = await t.app.inject({
      method: 'PUT',
      url: `/api/visits/workplaces/${w.workplace.id}/mode`,
      headers: employee.headers,
      payload: { mode: 'continuous' },
    });
    assert.equal(denied.statusCode, 404);
    const otherOffice = await t.app.inject({
      method: 'PUT',
      url: `/api/visits/workplaces/${w.workplace.id}/mode`,
      headers: otherHead.headers,
      payload: { mode: 'continuous' },
    });
    assert.equal(otherOffice.statusCode, 404);
    const badMode = await t.app.inject({
      method: 'PUT',
      url: `/api/visits/workplaces/${w.workplace.id}/mode`,
      headers: head.headers,
      payload: { mode: 'never' },
    });
    assert.equal(badMode.statusCode, 400);
    const ok = await t.app.inject({
      method: 'PUT',
      url: `/api/visits/workplaces/${w.workplace.id}/mode`,
      headers: head.headers,
      payload: { mode: 'both' },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const audit = await db.kysely
      .selectFrom('audit_log')
      .select(['details'])
      .where('action', '=', 'workplace.mode.set')
      .executeTakeFirstOrThrow();
    assert.match(audit.details!, /"before":\{"mode":"per_visit"/);
  });

  test('flags: listed for the office head and the operator; reception and others may not resolve', async () => {
    const mine = await t.app.inject({ url: '/api/visits/flags?status=open', headers: head.headers });
    assert.equal(mine.statusCode, 200);
    const flags = mine.json<{ id: string; code: string; institutionId: string }[]>();
    assert.ok(flags.some((x) => x.code === 'recording_changed'));
    const flag = flags[0]!;
    const theirs = await t.app.inject({ url: '/api/visits/flags', headers: otherHead.headers });
    assert.deepEqual(theirs.json(), [], 'another office sees none of them');
    const ops = await t.app.inject({ url: '/api/visits/flags', headers: operator.headers });
    assert.ok(ops.json<{ id: string }[]>().some((x) => x.id === flag.id));
    const recList = await t.app.inject({ url: '/api/visits/flags', headers: reception.headers });
    assert.deepEqual(recList.json(), [], 'reception is not shown flags');

    for (const who of [reception, employee, otherHead, inspector]) {
      const r = await t.app.inject({
        method: 'POST',
        url: `/api/visits/flags/${flag.id}/resolve`,
        headers: who.headers,
        payload: { comment: 'Проверено, нарушений нет' },
      });
      assert.equal(r.statusCode, 404, r.body);
    }
    const empty = await t.app.inject({
      method: 'POST',
      url: `/api/visits/flags/${flag.id}/resolve`,
      headers: head.headers,
      payload: { comment: '' },
    });
    assert.equal(empty.statusCode, 400);
    const done = await t.app.inject({
      method: 'POST',
      url: `/api/visits/flags/${flag.id}/resolve`,
      headers: operator.headers,
      payload: { comment: 'Режим изменён по приказу № 15' },
    });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json<{ status: string }>().status, 'resolved');
    const twice = await t.app.inject({
      method: 'POST',
      url: `/api/visits/flags/${flag.id}/resolve`,
      headers: head.headers,
      payload: { comment: 'Проверено ещё раз' },
    });
    assert.equal(twice.statusCode, 409);
  });

  test('coverage: head sees their office, operator the region, CSV streamed as UTF-8', async () => {
    await t.ctx.visits.check();
    const day = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
    const mine = await t.app.inject({
      url: `/api/visits/coverage?from=${from}&to=${day}&by=office`,
      headers: head.headers,
    });
    assert.equal(mine.statusCode, 200);
    const csv = await t.app.inject({
      url: `/api/visits/coverage.csv?from=${from}&to=${day}`,
      headers: operator.headers,
    });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /text\/csv; charset=utf-8/);
    assert.ok(csv.body.startsWith('\uFEFFОтдел;Рабочее место;'));
    const denied = await t.app.inject({
      url: `/api/visits/coverage.csv?from=${from}&to=${day}`,
      headers: employee.headers,
    });
    assert.equal(denied.statusCode, 404);
    assert.match(denied.headers['content-type'] as string, /json/);
    const foreign = await t.app.inject({
      url: `/api/visits/coverage?from=${from}&to=${day}&institutionId=${other.institution.id}`,
      headers: head.headers,
    });
    assert.equal(foreign.statusCode, 404);
  });
});

describe('visits in the demo', () => {
  test('the demo office has two weeks of visits, open and resolved flags, coverage by week', async () => {
    const db = await openSqliteTestDb();
    const t = await buildTestApp(db);
    try {
      const now = new Date();
      await seedDemo(db.kysely, devIssuer(t.config.publicUrl), now);
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
      const head = await as('demo-office-head');
      const open = (await t.app.inject({ url: '/api/visits/flags?status=open', headers: head.headers })).json<
        { code: string }[]
      >();
      const resolved = (
        await t.app.inject({ url: '/api/visits/flags?status=resolved', headers: head.headers })
      ).json<{ code: string; comment: string }[]>();
      assert.ok(open.length >= 3, JSON.stringify(open.map((f) => f.code)));
      assert.ok(resolved.length >= 2 && resolved.every((f) => f.comment.length > 0));
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      const weeks = (
        await t.app.inject({
          url: `/api/visits/coverage?from=${day(now.getTime() - 15 * 86_400_000)}&to=${day(now.getTime())}&by=week`,
          headers: (await as('demo-regional')).headers,
        })
      ).json<{ rows: { visits: number; coveragePercent: number | null; flaggedVisits: number }[] }>();
      assert.ok(weeks.rows.length >= 2);
      assert.ok(weeks.rows.reduce((n, r) => n + r.visits, 0) >= 40);
      assert.ok(weeks.rows.some((r) => r.flaggedVisits > 0));
      const desk = await t.app.inject({
        url: '/api/visits/workplaces',
        headers: (await as('demo-reception')).headers,
      });
      assert.equal(desk.json<unknown[]>().length, 2);
      // The check at start finds nothing new to flag in the demo's history.
      const before = (await t.app.inject({ url: '/api/visits/flags', headers: head.headers })).json<
        unknown[]
      >().length;
      await t.ctx.visits.check();
      const afterCheck = (await t.app.inject({ url: '/api/visits/flags', headers: head.headers })).json<
        unknown[]
      >().length;
      const added = (await t.app.inject({ url: '/api/visits/flags', headers: head.headers })).json<
        { code: string }[]
      >();
      assert.equal(afterCheck, before, JSON.stringify(added.map((f) => f.code)));
    } finally {
      await t.close();
      await db.close();
    }
  });
});
