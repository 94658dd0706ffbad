/**
 * The register, notices and meal orders through the API on both databases: a teacher marks only her
 * own group (404 elsewhere); a parent's notice before the cut-off lowers the draft order by one; a
 * correction before the cut-off is audited and kept; after the cut-off the order is final, a notice no
 * longer changes it and a correction is refused; the supplier CSV has one line per age group × diet.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type KindergartenWorld } from '../support/factory.js';

class TestClock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
}
/** 10:00 in Moscow on Thursday 3 December 2026: before the 12:00 cut-off for Friday. */
const MORNING = Date.parse('2026-12-03T07:00:00Z');
const TOMORROW = '2026-12-04';

interface Order {
  status: string;
  total: number;
  lines: { ageGroup: string; diet: string; quantity: number; correction: number | null }[];
}

for (const dbc of testDatabases()) {
  describe(`register, notices and meal orders over the API (${dbc.name})`, { skip: dbc.skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let w: KindergartenWorld;
    let admin: TestSession;
    let parent: TestSession;
    let teacher: TestSession;
    const clock = new TestClock(MORNING);
    const order = async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/attendance/institutions/${w.institution.id}/orders?day=${TOMORROW}`,
        headers: admin.headers,
      });
      assert.equal(res.statusCode, 200, res.body);
      return res.json<Order>();
    };

    before(async () => {
      db = await dbc.open();
      t = await buildTestApp(db, { clock, overrides: { 'attendance.jobs': false } });
      const f = new Factory(db.kysely);
      w = await f.kindergartenWorld((await f.region()).id, 'O');
      for (let i = 0; i < 5; i++) {
        const c = await f.child(w.institution.id, { full_name: `Ребёнок ${i}` });
        await f.enrol(c.id, w.group.id);
      }
      admin = await sessionFor(t, w.admin.id);
      parent = await sessionFor(t, w.parent.id);
      teacher = await sessionFor(t, (await f.staff('teacher', 'room', w.group.id)).id);
    });
    after(async () => {
      await t?.close();
      await db?.close();
    });

    test('a teacher marks her own group only', async () => {
      const mark = (roomId: string) =>
        t.app.inject({
          method: 'POST',
          url: `/api/attendance/rooms/${roomId}/register`,
          headers: teacher.headers,
          payload: {
            marks: [
              {
                childId: w.child.id,
                day: '2026-12-03',
                status: 'absent',
                reason: 'ill',
                markedAt: new Date(MORNING).toISOString(),
              },
            ],
          },
        });
      const ok = await mark(w.group.id);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(ok.json(), { kept: 1, ignored: 0 });
      assert.equal((await mark(w.bedroom.id)).statusCode, 404);
      const view = await t.app.inject({
        method: 'GET',
        url: `/api/attendance/rooms/${w.group.id}/register`,
        headers: teacher.headers,
      });
      const child = view
        .json<{ children: { childId: string; mark: { status: string } | null }[] }>()
        .children.find((c) => c.childId === w.child.id);
      assert.equal(child?.mark?.status, 'absent');
      // an older mark from a phone's queue does not overwrite it
      const old = await t.app.inject({
        method: 'POST',
        url: `/api/attendance/rooms/${w.group.id}/register`,
        headers: teacher.headers,
        payload: {
          marks: [
            {
              childId: w.child.id,
              day: '2026-12-03',
              status: 'present',
              markedAt: new Date(MORNING - 3600_000).toISOString(),
            },
          ],
        },
      });
      assert.deepEqual(old.json(), { kept: 0, ignored: 1 });
    });

    test('a notice before the cut-off lowers the draft by one; a correction is audited and kept', async () => {
      const before0 = await order();
      assert.equal(before0.status, 'draft');
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/attendance/my/notices',
        headers: parent.headers,
        payload: { childId: w.child.id, fromDay: TOMORROW, toDay: TOMORROW, reason: 'vacation' },
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json<{ lowersOrderFor: string }>().lowersOrderFor, TOMORROW);
      assert.equal((await order()).total, before0.total - 1);
      // another person's child: 404
      const other = await t.app.inject({
        method: 'POST',
        url: '/api/attendance/my/notices',
        headers: teacher.headers,
        payload: { childId: w.child.id, fromDay: TOMORROW, toDay: TOMORROW, reason: 'ill' },
      });
      assert.equal(other.statusCode, 404);

      const line = before0.lines[0]!;
      const corr = await t.app.inject({
        method: 'PUT',
        url: `/api/attendance/institutions/${w.institution.id}/orders/${TOMORROW}`,
        headers: admin.headers,
        payload: { ageGroup: line.ageGroup, diet: line.diet, quantity: 9 },
      });
      assert.equal(corr.statusCode, 200, corr.body);
      assert.equal((await order()).lines[0]!.quantity, 9);
      const audit = await db.kysely
        .selectFrom('audit_log')
        .select('action')
        .where('action', 'in', [
          'attendance.order.correct',
          'attendance.notice.create',
          'attendance.register.mark',
        ])
        .execute();
      assert.equal(new Set(audit.map((a) => a.action)).size, 3);
    });

    test('after the cut-off the order is final: notices reach the teacher only, corrections are refused', async () => {
      clock.ms = Date.parse('2026-12-03T09:30:00Z'); // 12:30 in Moscow
      admin = await sessionFor(t, w.admin.id); // the morning's sessions ended (idle)
      parent = await sessionFor(t, w.parent.id);
      const final = await order();
      assert.equal(final.status, 'final');
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/attendance/my/notices',
        headers: parent.headers,
        payload: { childId: w.child.id, fromDay: TOMORROW, toDay: '2026-12-05', reason: 'ill' },
      });
      assert.equal(res.statusCode, 201);
      assert.equal(res.json<{ lowersOrderFor: string | null }>().lowersOrderFor, '2026-12-05');
      assert.deepEqual(await order(), final);
      const corr = await t.app.inject({
        method: 'PUT',
        url: `/api/attendance/institutions/${w.institution.id}/orders/${TOMORROW}`,
        headers: admin.headers,
        payload: { ageGroup: final.lines[0]!.ageGroup, diet: final.lines[0]!.diet, quantity: 3 },
      });
      assert.equal(corr.statusCode, 409);
      const csv = await t.app.inject({
        method: 'GET',
        url: `/api/attendance/orders.csv?day=${TOMORROW}`,
        headers: admin.headers,
      });
      assert.equal(csv.statusCode, 200);
      const lines = csv.body.trim().split('\r\n');
      assert.equal(lines[0], 'day,kindergarten_id,kindergarten,age_group,diet,quantity,status');
      assert.equal(lines.length, 1 + final.lines.length);
      assert.ok(lines.slice(1).every((l) => l.endsWith(',final')));
    });
  });
}
