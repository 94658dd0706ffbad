/**
 * Office visits glued to citizens' requests and the employees' transparency screen, in-process on a
 * real database: a request made from a closed visit takes the visit's camera and its recorded range
 * (pre-roll before the start, post-roll after the end) and shows the visit; another office's visit
 * and a visit still open are refused with a clear Russian message and nothing is stored; the
 * employee's transparency screen lists the visits recorded at their workplace, with the case
 * reference.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteTestDb, type TestDb } from '../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { Factory, type OfficeWorld } from '../support/factory.js';
import { newId } from '../../src/shared/ids.js';

describe("citizens' requests from office visits", () => {
  let db: TestDb;
  let t: TestApp;
  let w: OfficeWorld;
  let other: OfficeWorld;
  let head: TestSession;
  let otherHead: TestSession;
  let employee: TestSession;
  let otherEmployee: TestSession;
  let operator: TestSession;

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db);
    const f = new Factory(db.kysely);
    const region = await f.region();
    w = await f.officeWorld(region.id, 'A');
    other = await f.officeWorld(region.id, 'B');
    await db.kysely.updateTable('cameras').set({ recording_policy: 'manual' }).execute();
    head = await sessionFor(t, w.head.id);
    otherHead = await sessionFor(t, other.head.id);
    employee = await sessionFor(t, w.employee.id);
    otherEmployee = await sessionFor(t, other.employee.id);
    operator = await sessionFor(t, (await f.staff('regional_operator', 'region', region.id)).id);
  });
  after(async () => {
    await t.close();
    await db.close();
  });

  const requests = async () =>
    Number(
      (
        await db.kysely
          .selectFrom('citizen_requests')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  const openVisit = async (who: TestSession, roomId: string, caseRef: string) => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/visits',
      headers: who.headers,
      payload: { roomId, visitorCategory: 'citizen', caseRef },
    });
    assert.equal(r.statusCode, 201, r.body);
    return r.json<{ id: string }>().id;
  };
  const closeVisit = async (who: TestSession, id: string) => {
    const r = await t.app.inject({ method: 'POST', url: `/api/visits/${id}/close`, headers: who.headers });
    assert.equal(r.statusCode, 200, r.body);
    return r.json<{ playback: { from: string; to: string } }>();
  };
  const create = (who: TestSession, payload: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/citizen-requests',
      headers: who.headers,
      payload: { reference: 'ЗГ-1', receivedOn: '2026-01-10', keepAudio: false, ...payload },
    });

  let visitA = '';
  let visitB = '';

  test('a request made from a closed visit takes its camera and range with pre- and post-roll', async () => {
    visitA = await openVisit(employee, w.workplace.id, 'ОП-2026/41');
    const closed = await closeVisit(employee, visitA);
    const row = await db.kysely
      .selectFrom('visits')
      .selectAll()
      .where('id', '=', visitA)
      .executeTakeFirstOrThrow();
    assert.ok(Number(row.pre_roll_ms) > 0 && Number(row.post_roll_ms) > 0, 'the visit has pre/post-roll');
    const expFrom = new Date(Date.parse(row.started_at) - Number(row.pre_roll_ms)).toISOString();
    const expTo = new Date(Date.parse(row.ended_at!) + Number(row.post_roll_ms)).toISOString();
    assert.equal(closed.playback.from, expFrom);

    const r = await create(head, { visitId: visitA });
    assert.equal(r.statusCode, 200, r.body);
    const req = r.json<{
      id: string;
      camera: { id: string };
      from: string;
      to: string;
      visitId: string;
      visit: { id: string; caseRef: string; roomName: string; employee: string; endedAt: string };
    }>();
    assert.equal(req.camera.id, w.camera.id);
    assert.equal(req.from, expFrom);
    assert.equal(req.to, expTo);
    assert.equal(req.visitId, visitA);
    assert.equal(req.visit.caseRef, 'ОП-2026/41');
    assert.equal(req.visit.roomName, w.workplace.name);
    assert.equal(req.visit.employee, w.employee.display_name);
    const stored = await db.kysely
      .selectFrom('citizen_requests')
      .select(['visit_id', 'camera_id'])
      .where('id', '=', req.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(stored, { visit_id: visitA, camera_id: w.camera.id });
    const page = await t.app.inject({ url: `/api/citizen-requests/${req.id}`, headers: head.headers });
    assert.equal(page.json<{ visit: { id: string } }>().visit.id, visitA);
  });

  test("another office's visit, a visit still open, a missing one and a foreign camera are refused", async () => {
    visitB = await openVisit(otherEmployee, other.workplace.id, 'Б-1');
    await closeVisit(otherEmployee, visitB);
    const before = await requests();

    const foreign = await create(head, { visitId: visitB });
    assert.equal(foreign.statusCode, 404, foreign.body);
    assert.match(foreign.json<{ message: string }>().message, /Приём не найден/);

    const missing = await create(head, { visitId: newId() });
    assert.equal(missing.statusCode, 404);

    const open = await openVisit(employee, w.workplace.id, 'ОП-2026/42');
    const refused = await create(head, { visitId: open });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.match(refused.json<{ message: string }>().message, /Приём ещё не завершён/);
    await closeVisit(employee, open);

    const wrongCamera = await create(otherHead, { visitId: visitB, cameraId: w.camera.id });
    assert.equal(wrongCamera.statusCode, 400, wrongCamera.body);
    assert.match(wrongCamera.json<{ message: string }>().message, /камера не записывала/);

    const nothing = await create(head, {});
    assert.equal(nothing.statusCode, 400);
    assert.match(nothing.json<{ message: string }>().message, /Выберите приём/);

    const emp = await create(employee, { visitId: visitA });
    assert.equal(emp.statusCode, 404, 'an employee may not make requests (the visit is not theirs to use)');

    const regional = await create(operator, { visitId: visitA });
    assert.equal(regional.statusCode, 403, 'the regional operator approves, never requests');

    assert.equal(await requests(), before, 'nothing stored');

    // The other office's head may make one from their own visit.
    const ok = await create(otherHead, { visitId: visitB });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json<{ camera: { id: string } }>().camera.id, other.camera.id);
  });

  test('a manual camera and range still work without a visit', async () => {
    const to = new Date(Date.now() - 60_000).toISOString();
    const from = new Date(Date.now() - 600_000).toISOString();
    const r = await create(head, { cameraId: w.camera.id, from, to });
    assert.equal(r.statusCode, 200, r.body);
    const v = r.json<{ visitId: string | null; visit: unknown; from: string }>();
    assert.equal(v.visitId, null);
    assert.equal(v.visit, null);
    assert.equal(v.from, from);
  });

  test("the employee's transparency screen lists the visits recorded at their workplace", async () => {
    const r = await t.app.inject({
      url: `/api/workplaces/${w.workplace.id}/transparency`,
      headers: employee.headers,
    });
    assert.equal(r.statusCode, 200, r.body);
    const visits = r.json<{
      visits: {
        id: string;
        openedAt: string;
        closedAt: string | null;
        caseRef: string | null;
        recorded: { from: string; to: string | null };
        employee: string | null;
      }[];
    }>().visits;
    assert.equal(visits.length, 2, 'both visits at workplace A, none of office B');
    assert.ok(visits.every((v) => v.closedAt !== null));
    assert.deepEqual(visits.map((v) => v.caseRef).sort(), ['ОП-2026/41', 'ОП-2026/42']);
    assert.ok(!visits.some((v) => v.id === visitB));
    const a = visits.find((v) => v.id === visitA)!;
    assert.ok(Date.parse(a.recorded.from) < Date.parse(a.openedAt), 'pre-roll before the opening');
    assert.equal(a.employee, w.employee.display_name);

    const theirs = await t.app.inject({
      url: `/api/workplaces/${other.workplace.id}/transparency`,
      headers: employee.headers,
    });
    assert.equal(theirs.statusCode, 404, "another workplace's visits are not shown");
  });
});
