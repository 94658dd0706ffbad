/**
 * Where alerts are raised (docs/design/alerts.md, "Kinds"): staff opening a children's camera raises
 * `video.privileged_view` (once per person × camera × hour), a parent's grant raises nothing, an office
 * camera raises nothing; changes that widen access raise `access.widened`. SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type KindergartenWorld, type OfficeWorld } from '../support/factory.js';
import { buildTestApp, sessionFor, type TestApp } from '../support/app.js';

for (const d of testDatabases()) {
  describe(`alerts raised (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let w: KindergartenWorld;
    let office: OfficeWorld;
    // Monday 2026-11-23, 10:00 in Moscow: inside the group's viewing hours.
    let nowMs = Date.parse('2026-11-23T07:00:00Z');
    const clock = { now: () => new Date(nowMs) };
    const changes = async () =>
      (await alerts('access.widened')).map((a) => (JSON.parse(a.evidence) as { change: string }).change);
    const alerts = (kind: string) =>
      db.kysely.selectFrom('alerts').selectAll().where('kind', '=', kind).orderBy('created_at').execute();

    before(async () => {
      db = await d.open();
      const f = new Factory(db.kysely, undefined, () => clock.now().toISOString());
      const region = await f.region();
      w = await f.kindergartenWorld(region.id, 'P');
      office = await f.officeWorld(region.id, 'O');
      t = await buildTestApp(db, { clock });
    });
    after(async () => {
      await t?.close();
      await db?.close();
    });

    test("staff opening a children's camera raises video.privileged_view; parents and offices do not", async () => {
      const parent = await sessionFor(t, w.parent.id);
      const ask = (s: { headers: Record<string, string> }, cameraId: string) =>
        t.app.inject({ method: 'POST', url: '/api/streams', headers: s.headers, payload: { cameraId } });
      const p = await ask(parent, w.camera.id);
      assert.equal(p.statusCode, 200, p.body);
      assert.deepEqual(await alerts('video.privileged_view'), [], 'a parent pays nothing');

      const admin = await sessionFor(t, w.admin.id);
      assert.equal((await ask(admin, w.camera.id)).statusCode, 200);
      assert.equal((await ask(admin, w.camera.id)).statusCode, 200);
      let rows = await alerts('video.privileged_view');
      assert.equal(rows.length, 1, 'one alert per person × camera × hour');
      const a = rows[0]!;
      assert.equal(a.actor_person_id, w.admin.id);
      assert.equal(a.camera_id, w.camera.id);
      assert.equal(a.institution_id, w.institution.id);
      assert.equal(a.room_id, w.group.id);
      assert.equal(a.severity, 'warning');
      const ev = JSON.parse(a.evidence) as Record<string, unknown>;
      assert.equal(ev.role, 'kindergarten_admin');
      assert.equal(ev.access, 'live');
      // the next hour: a new alert
      nowMs += 3600_000;
      assert.equal((await ask(await sessionFor(t, w.admin.id), w.camera.id)).statusCode, 200);
      rows = await alerts('video.privileged_view');
      assert.equal(rows.length, 2);

      // an inspector watching an office camera: not a children's camera
      const inspector = await new Factory(db.kysely).staff('inspector', 'region', office.region.id);
      const ins = await sessionFor(t, inspector.id);
      const r = await ask(ins, office.camera.id);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal((await alerts('video.privileged_view')).length, 2);
      // …but the same inspector on the kindergarten camera is alerted
      assert.equal((await ask(ins, w.camera.id)).statusCode, 200);
      assert.equal((await alerts('video.privileged_view')).length, 3);
    });

    test('changes that widen access raise access.widened (and a refused change raises nothing)', async () => {
      const admin = await sessionFor(t, w.admin.id);
      const before = (await alerts('access.widened')).length;
      const bad = await t.app.inject({
        method: 'POST',
        url: `/api/admin/rooms/${w.group.id}/viewing-schedules`,
        headers: admin.headers,
        payload: { weekday: 2, startTime: '19:00', endTime: '08:00' },
      });
      assert.equal(bad.statusCode, 400);
      assert.equal((await alerts('access.widened')).length, before);
      const ok = await t.app.inject({
        method: 'POST',
        url: `/api/admin/rooms/${w.group.id}/viewing-schedules`,
        headers: admin.headers,
        payload: { weekday: 2, startTime: '08:00', endTime: '12:00' },
      });
      assert.equal(ok.statusCode, 201, ok.body);
      const id = ok.json<{ id: string }>().id;
      const rows = await alerts('access.widened');
      assert.equal(rows.length, before + 1);
      assert.equal(
        (JSON.parse(rows.at(-1)!.evidence) as { change: string }).change,
        'viewing_schedule_added',
      );
      assert.equal(rows.at(-1)!.actor_person_id, w.admin.id);
      // narrowing raises nothing; extending does
      const narrow = await t.app.inject({
        method: 'PATCH',
        url: `/api/admin/viewing-schedules/${id}`,
        headers: admin.headers,
        payload: { endTime: '11:00' },
      });
      assert.equal(narrow.statusCode, 200, narrow.body);
      assert.equal((await alerts('access.widened')).length, before + 1);
      const extend = await t.app.inject({
        method: 'PATCH',
        url: `/api/admin/viewing-schedules/${id}`,
        headers: admin.headers,
        payload: { endTime: '15:00' },
      });
      assert.equal(extend.statusCode, 200);
      assert.equal((await changes()).filter((c) => c === 'viewing_schedule_extended').length, 1);
      // a guardian link verified by staff
      const link = await t.app.inject({
        method: 'PATCH',
        url: `/api/admin/guardian-links/${w.guardianLink.id}`,
        headers: admin.headers,
        payload: { verified: false },
      });
      assert.equal(link.statusCode, 200, link.body);
      const n = (await alerts('access.widened')).length;
      const verify = await t.app.inject({
        method: 'PATCH',
        url: `/api/admin/guardian-links/${w.guardianLink.id}`,
        headers: admin.headers,
        payload: { verified: true },
      });
      assert.equal(verify.statusCode, 200);
      assert.equal((await alerts('access.widened')).length, n + 1);
      assert.equal((await changes()).filter((c) => c === 'guardian_link_verified').length, 1);
    });
  });
}
