/**
 * Door events over HTTP on both databases: a signed batch is stored; unsigned, wrongly signed,
 * unknown-device, malformed and stale (replayed after the window) batches are refused whole with a
 * clear error, counted in /metrics, and change nothing; a replay inside the window and duplicate event
 * ids are stored once; late and out-of-order events count for the day they happened, and a late event
 * for a day already aggregated is counted when the job next runs. The device secret is shown once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signBody } from '../../src/attendance/signature.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type KindergartenWorld } from '../support/factory.js';

class TestClock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
}

/** 12:00 in Moscow on Thursday 3 December 2026. */
const NOON = Date.parse('2026-12-03T09:00:00Z');

for (const dbc of testDatabases()) {
  describe(`attendance event intake over HTTP (${dbc.name})`, { skip: dbc.skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let w: KindergartenWorld;
    let admin: TestSession;
    let device: { id: string; secret: string };
    const clock = new TestClock(NOON);

    const post = (body: string, headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/attendance/events',
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
      });
    const signed = (events: unknown[], opts: { ts?: number; secret?: string } = {}) => {
      const body = JSON.stringify({ events });
      const ts = opts.ts ?? Math.floor(clock.ms / 1000);
      return {
        body,
        headers: {
          'x-okno-device': device.id,
          'x-okno-timestamp': String(ts),
          'x-okno-signature': signBody(opts.secret ?? device.secret, ts, body),
        },
      };
    };
    const send = async (events: unknown[], opts: { ts?: number; secret?: string } = {}) => {
      const s = signed(events, opts);
      return post(s.body, s.headers);
    };
    const eventCount = async () =>
      Number(
        (
          await db.kysely
            .selectFrom('attendance_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const metric = async (pattern: RegExp) => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      const m = text.split('\n').find((l) => pattern.test(l));
      return m ? Number(m.split(' ').pop()) : 0;
    };

    before(async () => {
      db = await dbc.open();
      t = await buildTestApp(db, { clock, overrides: { 'attendance.jobs': false } });
      const f = new Factory(db.kysely);
      const region = await f.region();
      w = await f.kindergartenWorld(region.id, 'A');
      const entrance = await f.room(w.institution.id, { kind: 'entrance', name: 'Вход' });
      const camera = await f.camera(entrance.id, { name: 'Вход' });
      admin = await sessionFor(t, w.admin.id);
      // a group camera is not an entrance
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/api/attendance/devices',
        headers: admin.headers,
        payload: { cameraId: w.camera.id },
      });
      assert.equal(wrong.statusCode, 400, wrong.body);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/attendance/devices',
        headers: admin.headers,
        payload: { cameraId: camera.id },
      });
      assert.equal(res.statusCode, 201, res.body);
      device = res.json();
      assert.ok(device.secret.length >= 32);
    });
    after(async () => {
      await t?.close();
      await db?.close();
    });

    test('the secret is never returned after creation', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/attendance/institutions/${w.institution.id}/devices`,
        headers: admin.headers,
      });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json<{ items: unknown[] }>().items.length, 1);
      assert.ok(!res.body.includes(device.secret));
      // another kindergarten's administrator does not even see the list
      const f = new Factory(db.kysely);
      const other = await f.kindergartenWorld((await f.region({ name: 'Другой город' })).id, 'B');
      const res2 = await t.app.inject({
        method: 'GET',
        url: `/api/attendance/institutions/${w.institution.id}/devices`,
        headers: (await sessionFor(t, other.admin.id)).headers,
      });
      assert.equal(res2.statusCode, 404);
    });

    test('a signed batch is stored; a duplicate event id is stored once', async () => {
      const res = await send([
        { eventId: 'e-1', at: '2026-12-03T05:01:00Z', direction: 'in', count: 2 },
        { eventId: 'e-2', at: '2026-12-03T05:02:00+03:00', direction: 'in' },
        { eventId: 'e-2', at: '2026-12-03T05:02:00+03:00', direction: 'in' },
      ]);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { accepted: 2, duplicates: 1, rejected: [] });
      const again = await send([{ eventId: 'e-1', at: '2026-12-03T05:01:00Z', direction: 'in', count: 2 }]);
      assert.deepEqual(again.json(), { accepted: 0, duplicates: 1, rejected: [] });
      assert.equal(await eventCount(), 2);
      const row = await db.kysely
        .selectFrom('attendance_events')
        .selectAll()
        .where('device_event_id', '=', 'e-1')
        .executeTakeFirstOrThrow();
      assert.equal(row.local_day, '2026-12-03');
      assert.equal(row.local_minute, 8 * 60 + 1); // 05:01Z is 08:01 in Moscow
      assert.equal(row.count, 2);
      assert.ok((await metric(/^okno_attendance_events_total\{via="http",outcome="accepted"\}/)) >= 2);
    });

    test('unsigned, wrongly signed, unknown-device and malformed batches change nothing', async () => {
      const before = await eventCount();
      const events = [{ eventId: 'x-1', at: '2026-12-03T05:10:00Z', direction: 'in' }];
      const s = signed(events);
      const cases: [string, Promise<{ statusCode: number; json: () => unknown }>, number, string][] = [
        ['unsigned', post(s.body, {}), 401, 'unsigned'],
        [
          'no signature',
          post(s.body, { 'x-okno-device': device.id, 'x-okno-timestamp': s.headers['x-okno-timestamp'] }),
          401,
          'unsigned',
        ],
        ['wrong secret', send(events, { secret: 'not-the-secret' }), 401, 'bad_signature'],
        ['body changed after signing', post(s.body.replace('x-1', 'x-2'), s.headers), 401, 'bad_signature'],
        [
          'unknown device',
          post(s.body, { ...s.headers, 'x-okno-device': '00000000-0000-4000-8000-000000000000' }),
          401,
          'unknown_device',
        ],
        ['not a batch', send([{ eventId: 'x-3', direction: 'sideways' }]), 400, 'malformed'],
      ];
      const notJson = (() => {
        const ts = Math.floor(clock.ms / 1000);
        const body = '{"events": [';
        return post(body, {
          'x-okno-device': device.id,
          'x-okno-timestamp': String(ts),
          'x-okno-signature': signBody(device.secret, ts, body),
        });
      })();
      cases.push(['not JSON', notJson, 400, 'malformed']);
      for (const [name, p, status, reason] of cases) {
        const res = await p;
        assert.equal(res.statusCode, status, name);
        const body = res.json() as { code: string; message: string; details: { reason: string } };
        assert.equal(body.details.reason, reason, name);
        assert.ok(body.message.length > 5, name);
      }
      assert.equal(await eventCount(), before);
      assert.equal(await metric(/^okno_attendance_refused_total\{via="http",reason="unsigned"\}/), 2);
      assert.equal(await metric(/^okno_attendance_refused_total\{via="http",reason="bad_signature"\}/), 2);
      assert.equal(await metric(/^okno_attendance_refused_total\{via="http",reason="malformed"\}/), 2);
    });

    test('a replay inside the window is a duplicate; after the window it is refused', async () => {
      const s = signed([{ eventId: 'r-1', at: '2026-12-03T05:20:00Z', direction: 'in' }]);
      assert.deepEqual((await post(s.body, s.headers)).json(), { accepted: 1, duplicates: 0, rejected: [] });
      clock.ms += 60_000;
      assert.deepEqual((await post(s.body, s.headers)).json(), { accepted: 0, duplicates: 1, rejected: [] });
      clock.ms += 10 * 60_000;
      const late = await post(s.body, s.headers);
      assert.equal(late.statusCode, 401);
      assert.equal(late.json<{ details: { reason: string } }>().details.reason, 'stale_timestamp');
      assert.equal(await metric(/^okno_attendance_refused_total\{via="http",reason="stale_timestamp"\}/), 1);
      clock.ms = NOON;
    });

    test('late and out-of-order events count for their own day; too old and future ones are rejected alone', async () => {
      // Friday's backlog arrives today (after an outage), newest first.
      const backlog = [
        { eventId: 'b-3', at: '2026-12-02T15:00:00Z', direction: 'out', count: 3 },
        { eventId: 'b-2', at: '2026-12-02T05:30:00Z', direction: 'in', count: 1 },
        { eventId: 'b-1', at: '2026-12-02T04:30:00Z', direction: 'in', count: 4 },
        { eventId: 'old', at: '2026-10-01T05:00:00Z', direction: 'in' },
        { eventId: 'future', at: '2026-12-04T05:00:00Z', direction: 'in' },
      ];
      const res = await send(backlog);
      assert.equal(res.statusCode, 200);
      const r = res.json<{ accepted: number; rejected: { eventId: string; code: string }[] }>();
      assert.equal(r.accepted, 3);
      assert.deepEqual(
        r.rejected.map((x) => [x.eventId, x.code]),
        [
          ['old', 'too_old'],
          ['future', 'in_future'],
        ],
      );
      // Yesterday is aggregated by the job: 5 arrivals in the morning window, 3 departures.
      const jobs = t.app.attendance.jobs;
      const run1 = await jobs.runOnce();
      assert.ok(run1.ran);
      const day = () =>
        db.kysely
          .selectFrom('attendance_days')
          .selectAll()
          .where('institution_id', '=', w.institution.id)
          .where('day', '=', '2026-12-02')
          .executeTakeFirstOrThrow();
      assert.equal((await day()).door_arrivals, 5);
      assert.equal((await day()).door_departures, 3);
      // A later event for yesterday (sent late, out of order) is counted by the next run.
      clock.ms += 120_000;
      await send([{ eventId: 'b-0', at: '2026-12-02T04:00:00Z', direction: 'in', count: 2 }]);
      await jobs.runOnce();
      assert.equal((await day()).door_arrivals, 7);
      clock.ms = NOON;
    });

    test('two processes never run the job at once (lease)', async () => {
      const { AttendanceJobs } = await import('../../src/attendance/jobs.js');
      const { tryAcquireLease, releaseLease } = await import('../../src/storage/lease.js');
      const other = new AttendanceJobs({ db: db.kysely, clock, cutoffHour: 12, holder: 'other-process' });
      assert.ok(await tryAcquireLease(db.kysely, 'attendance.daily', 'other-process', clock.now(), 60_000));
      assert.equal((await t.app.attendance.jobs.runOnce()).ran, false);
      await releaseLease(db.kysely, 'attendance.daily', 'other-process');
      assert.equal((await t.app.attendance.jobs.runOnce()).ran, true);
      assert.equal((await other.runOnce()).ran, true); // free again after the first one finished
    });
  });
}
