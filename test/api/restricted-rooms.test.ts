/**
 * Restricted rooms as an invariant (issue 9, item 3) and role grants (item 4), over HTTP on SQLite
 * and PostgreSQL: every admin sequence that would expose a bedroom is refused and changes nothing;
 * the city operator changes the zone of a room with cameras only with a stated reason (audited,
 * alerted); the database itself refuses the two exposing writes; nobody grants a role to themselves
 * or one with more video than their own, and grants of video roles are alerted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { dumpDatabase, Factory } from '../support/factory.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

for (const { name, open, skip } of testDatabases()) {
  describe(`restricted rooms and role grants on ${name}`, { skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let f: Factory;
    before(async () => {
      db = await open();
      t = await buildTestApp(db);
      f = new Factory(db.kysely);
    });
    after(async () => {
      await t.close();
      await db.close();
    });

    const as = (s: TestSession) => async (method: Method, url: string, payload?: object) => {
      const res = await t.app.inject({
        method,
        url: `/api/admin${url}`,
        headers: s.headers,
        ...(payload ? { payload } : {}),
      });
      return { status: res.statusCode, body: res.body };
    };

    async function world() {
      const region = await f.region();
      const w = await f.kindergartenWorld(region.id);
      const bedroomCamera = await f.camera(w.bedroom.id);
      const admin = as(await sessionFor(t, w.admin.id));
      const operator = await f.staff('city_operator', 'region', region.id);
      return { w, bedroomCamera, admin, op: as(await sessionFor(t, operator.id)), operator };
    }

    test('no sequence of administrator actions exposes a restricted room', async () => {
      const { w, bedroomCamera, admin } = await world();
      const before = await dumpDatabase(db.kysely);
      const attempts: [Method, string, object, number][] = [
        // move the bedroom camera into the common group room
        ['PATCH', `/cameras/${bedroomCamera.id}`, { roomId: w.group.id }, 409],
        // …or the group camera into the bedroom and back later
        ['PATCH', `/cameras/${w.camera.id}`, { roomId: w.bedroom.id }, 409],
        // flip the bedroom to common, with or without a reason
        ['PATCH', `/rooms/${w.bedroom.id}`, { zone: 'common' }, 403],
        ['PATCH', `/rooms/${w.bedroom.id}`, { zone: 'common', zoneReason: 'Перепланировка помещения' }, 403],
        // turn the bedroom into a group room with the zone in one request
        ['PATCH', `/rooms/${w.bedroom.id}`, { kind: 'group', zone: 'common' }, 403],
        // make the group room restricted, then move the bedroom camera there, then flip it back
        ['PATCH', `/rooms/${w.group.id}`, { zone: 'restricted' }, 403],
      ];
      for (const [method, url, payload, status] of attempts) {
        const r = await admin(method, url, payload);
        assert.equal(r.status, status, `${method} ${url} ${JSON.stringify(payload)}: ${r.body}`);
      }
      // consent recorded for the bedroom changes nothing about its zone
      const consent = await admin('POST', `/rooms/${w.bedroom.id}/consents`, { status: 'given' });
      assert.ok(consent.status === 201 || consent.status === 400 || consent.status === 409, consent.body);
      const after = await dumpDatabase(db.kysely);
      assert.deepEqual(after.rooms, before.rooms);
      assert.deepEqual(after.cameras, before.cameras);
      // a camera still moves between rooms of the same zone
      const closet = await admin('POST', `/institutions/${w.institution.id}/rooms`, {
        kind: 'group',
        zone: 'restricted',
        name: 'Спальня 2',
      });
      assert.equal(closet.status, 201, closet.body);
      const id = (JSON.parse(closet.body) as { id: string }).id;
      const moved = await admin('PATCH', `/cameras/${bedroomCamera.id}`, { roomId: id });
      assert.equal(moved.status, 200, moved.body);
    });

    test('the city operator changes the zone of a room with cameras only with a reason: audited, alerted', async () => {
      const { w, op, operator } = await world();
      let r = await op('PATCH', `/rooms/${w.bedroom.id}`, { zone: 'common' });
      assert.equal(r.status, 400, r.body);
      assert.match(r.body, /zoneReason/);
      r = await op('PATCH', `/rooms/${w.bedroom.id}`, { zone: 'common', zoneReason: 'короче' });
      assert.equal(r.status, 400, r.body);
      const reason = 'Спальня переоборудована в игровую, акт № 12';
      r = await op('PATCH', `/rooms/${w.bedroom.id}`, { zone: 'common', zoneReason: reason });
      assert.equal(r.status, 200, r.body);
      const room = await db.kysely
        .selectFrom('rooms')
        .select('zone')
        .where('id', '=', w.bedroom.id)
        .executeTakeFirst();
      assert.equal(room?.zone, 'common');
      const alert = await db.kysely
        .selectFrom('alerts')
        .selectAll()
        .where('kind', '=', 'access.room_zone_changed')
        .where('room_id', '=', w.bedroom.id)
        .executeTakeFirst();
      assert.equal(alert?.severity, 'critical');
      assert.equal(alert?.actor_person_id, operator.id);
      const audit = await db.kysely
        .selectFrom('audit_log')
        .select(['details', 'actor_role'])
        .where('action', '=', 'admin.room.update')
        .where('target_id', '=', w.bedroom.id)
        .executeTakeFirst();
      assert.equal(audit?.actor_role, 'city_operator');
      assert.match(String(audit?.details), /переоборудована/);
    });

    test('the database refuses the exposing writes whoever sends them', async () => {
      const { w, bedroomCamera } = await world();
      await assert.rejects(
        sql`update cameras set room_id = ${w.group.id} where id = ${bedroomCamera.id}`.execute(db.kysely),
        /restricted_room_guard/,
      );
      await assert.rejects(
        sql`update rooms set zone = 'common' where id = ${w.bedroom.id}`.execute(db.kysely),
        /restricted_room_guard/,
      );
      // a recorded change lets exactly one zone change through
      await sql`insert into room_zone_changes (id, room_id, from_zone, to_zone, reason, actor_person_id, changed_at, applied)
        values ('z1', ${w.bedroom.id}, 'restricted', 'common', 'recorded reason here', 'someone', '2026-01-01T00:00:00Z', 0)`.execute(
        db.kysely,
      );
      await sql`update rooms set zone = 'common' where id = ${w.bedroom.id}`.execute(db.kysely);
      await sql`update rooms set zone = 'restricted' where id = ${w.bedroom.id}`.execute(db.kysely).then(
        () => assert.fail('a second change went through on a consumed record'),
        (e: Error) => assert.match(e.message, /restricted_room_guard/),
      );
    });

    test('nobody grants a role to themselves or one with more video; video grants are alerted', async () => {
      const { w, admin, op, operator } = await world();
      const bind = (who: typeof op, personId: string, role: string) =>
        who('POST', '/role-bindings', {
          personId,
          role,
          scopeKind: 'institution',
          scopeId: w.institution.id,
        });
      // the first round's hole: the operator made himself the kindergarten's administrator
      let r = await bind(op, operator.id, 'kindergarten_admin');
      assert.equal(r.status, 403, r.body);
      r = await bind(op, operator.id, 'auditor');
      assert.equal(r.status, 403, r.body);
      assert.match(r.body, /themselves/);
      r = await bind(op, w.parent.id, 'kindergarten_admin');
      assert.equal(r.status, 403, r.body);
      r = await bind(admin, w.parent.id, 'inspector');
      assert.equal(r.status, 403, r.body);
      r = await admin('POST', '/role-bindings', {
        personId: w.admin.id,
        role: 'teacher',
        scopeKind: 'room',
        scopeId: w.group.id,
      });
      assert.equal(r.status, 403, r.body);
      assert.equal(
        (
          await db.kysely
            .selectFrom('alerts')
            .select('id')
            .where('kind', '=', 'access.role_with_video_granted')
            .execute()
        ).length,
        0,
      );
      r = await bind(admin, w.parent.id, 'kindergarten_admin');
      assert.equal(r.status, 201, r.body);
      const alert = await db.kysely
        .selectFrom('alerts')
        .selectAll()
        .where('kind', '=', 'access.role_with_video_granted')
        .where('institution_id', '=', w.institution.id)
        .executeTakeFirst();
      assert.equal(alert?.actor_person_id, w.admin.id);
      r = await bind(op, w.parent.id, 'auditor');
      assert.equal(r.status, 201, r.body);
    });
  });
}
