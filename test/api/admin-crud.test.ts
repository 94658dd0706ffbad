/**
 * The admin API on both databases: create/read/update/delete of every object by the roles that may,
 * bad input that changes nothing, constraint violations as `conflict`, pagination, write-only camera
 * secrets, and audit entries written in the same transaction as the change.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { verifyAuditChain } from '../../src/audit/audit-log.js';
import { newId } from '../../src/shared/ids.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { dumpDatabase, Factory, TEST_ISSUER } from '../support/factory.js';

interface Reply {
  status: number;
  body: string;
  json: <T = Record<string, unknown>>() => T;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A client for one session that keeps every raw response body (to scan for secrets). */
function client(t: TestApp, s: TestSession, bodies: string[] = []) {
  return async (
    method: Method,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const res = await t.app.inject({
      method,
      url: `/api/admin${url}`,
      headers: { ...s.headers, ...headers },
      ...(payload === undefined
        ? {}
        : typeof payload === 'string'
          ? { payload }
          : { payload: payload as object }),
    });
    bodies.push(res.body);
    return { status: res.statusCode, body: res.body, json: <T>() => res.json<T>() };
  };
}

interface Item {
  id: string;
  [k: string]: unknown;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

for (const { name, open, skip } of testDatabases()) {
  describe(`admin API on ${name}`, { skip }, () => {
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

    const operatorOf = async (
      regionId: string,
      role: 'city_operator' | 'regional_operator' = 'city_operator',
    ) => client(t, await sessionFor(t, (await f.staff(role, 'region', regionId)).id));

    test('a city operator sets up a kindergarten and its administrator runs it', async () => {
      const region = await f.region();
      const op = await operatorOf(region.id);

      let r = await op('POST', '/institutions', {
        regionId: region.id,
        kind: 'kindergarten',
        name: 'Детский сад №7',
        timeZone: 'europe/moscow',
        monthlyFeeMinor: null,
      });
      assert.equal(r.status, 201, r.body);
      const kg = r.json<Item>();
      assert.equal(kg.timeZone, 'Europe/Moscow');
      assert.equal(kg.monthlyFeeMinor, null);
      assert.equal(kg.consentRequired, true);
      assert.equal(kg.freePilot, false);

      r = await op('PATCH', `/institutions/${kg.id}`, { monthlyFeeMinor: 25000, freePilot: true });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json().monthlyFeeMinor, 25000);
      r = await op('PATCH', `/regions/${region.id}`, { name: `${region.name} (renamed)` });
      assert.equal(r.json().name, `${region.name} (renamed)`);

      const subject = `kg-admin-${newId()}`;
      // The operator sees no video, so he may not make an administrator (who watches the groups);
      // the first administrator comes from the installation, and appoints the next ones.
      r = await op('POST', '/role-bindings', {
        person: { subject, displayName: 'Ольга Петровна' },
        role: 'kindergarten_admin',
        scopeKind: 'institution',
        scopeId: kg.id,
      });
      assert.equal(r.status, 403, r.body);
      const first = await f.staff('kindergarten_admin', 'institution', kg.id);
      r = await client(t, await sessionFor(t, first.id))('POST', '/role-bindings', {
        person: { subject, displayName: 'Ольга Петровна' },
        role: 'kindergarten_admin',
        scopeKind: 'institution',
        scopeId: kg.id,
      });
      assert.equal(r.status, 201, r.body);
      const adminPerson = (await f.r.persons.findByIdentity(TEST_ISSUER, subject))!;
      assert.equal(adminPerson.display_name, 'Ольга Петровна');
      const admin = client(t, await sessionFor(t, adminPerson.id));

      assert.equal((await admin('GET', `/institutions/${kg.id}`)).status, 200);
      assert.equal((await admin('PATCH', `/institutions/${kg.id}`, { name: 'Mine now' })).status, 403);

      r = await admin('POST', `/institutions/${kg.id}/rooms`, {
        kind: 'group',
        zone: 'common',
        name: 'Пчёлки',
      });
      assert.equal(r.status, 201, r.body);
      const group = r.json<Item>();
      assert.equal(group.consent, null);
      r = await admin('POST', `/institutions/${kg.id}/rooms`, {
        kind: 'workplace',
        zone: 'common',
        name: 'Desk',
      });
      assert.equal(r.status, 400, 'a kindergarten has no workplaces');
      r = await admin('POST', `/institutions/${kg.id}/rooms`, {
        kind: 'hall',
        zone: 'common',
        name: 'Музыкальный зал',
      });
      const hall = r.json<Item>();

      r = await admin('POST', `/institutions/${kg.id}/closed-days`, {
        day: '2026-01-07',
        reason: 'Рождество',
      });
      assert.equal(r.status, 201, r.body);
      const closed = r.json<Item>();
      r = await admin('PATCH', `/closed-days/${closed.id}`, { reason: null });
      assert.equal(r.json().reason, null);

      r = await admin('POST', `/rooms/${group.id}/viewing-schedules`, {
        weekday: 1,
        startTime: '08:00',
        endTime: '12:00',
      });
      assert.equal(r.status, 201, r.body);
      r = await admin('POST', `/rooms/${group.id}/viewing-schedules`, {
        weekday: 1,
        startTime: '12:00',
        endTime: '24:00',
      });
      assert.equal(r.status, 201, 'touching windows and 24:00 as the end are fine');
      const evening = r.json<Item>();
      r = await admin('POST', `/rooms/${group.id}/viewing-schedules`, {
        weekday: 1,
        startTime: '11:00',
        endTime: '13:00',
      });
      assert.equal(r.status, 409, r.body);
      r = await admin('PATCH', `/viewing-schedules/${evening.id}`, { weekday: 2, startTime: '07:30' });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual([r.json().weekday, r.json().startTime, r.json().endTime], [2, '07:30', '24:00']);

      r = await admin('POST', `/rooms/${group.id}/consents`, { status: 'given', note: 'собрание 01.09' });
      assert.equal(r.status, 201, r.body);
      r = await admin('POST', `/rooms/${group.id}/consents`, { status: 'withdrawn' });
      r = await admin('POST', `/rooms/${group.id}/consents`, { status: 'given' });
      const history = (await admin('GET', `/rooms/${group.id}/consents`)).json<Page>().items;
      assert.deepEqual(
        history.map((c) => c.status),
        ['given', 'withdrawn', 'given'],
      );
      assert.equal(
        (await admin('GET', `/rooms/${group.id}`)).json<{ consent: { status: string } }>().consent.status,
        'given',
      );

      r = await admin('POST', `/rooms/${group.id}/cameras`, {
        name: 'Игровая',
        sourceUrl: 'rtsp://admin:pa55@10.0.0.5:554/Streaming/Channels/101',
        recordingPolicy: 'off',
      });
      assert.equal(r.status, 201, r.body);
      const camera = r.json<Item>();
      assert.deepEqual(camera.source, { scheme: 'rtsp', host: '10.0.0.5:554' });
      assert.equal(camera.hasCredentials, true);
      r = await admin('PATCH', `/cameras/${camera.id}`, { roomId: hall.id, audioAllowed: true });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json().roomId, hall.id);
      r = await admin('GET', `/institutions/${kg.id}/cameras?roomId=${hall.id}`);
      assert.deepEqual(
        r.json<Page>().items.map((c) => c.id),
        [camera.id],
      );

      r = await admin('POST', `/institutions/${kg.id}/children`, {
        fullName: 'Маша Иванова',
        birthDate: '2021-05-14',
        externalRef: 'KG7-001',
      });
      assert.equal(r.status, 201, r.body);
      const child = r.json<Item>();
      r = await admin('POST', `/children/${child.id}/enrolments`, {
        roomId: group.id,
        startDate: '2025-09-01',
      });
      assert.equal(r.status, 201, r.body);
      const enrolment = r.json<Item>();
      r = await admin('POST', `/children/${child.id}/enrolments`, {
        roomId: hall.id,
        startDate: '2027-09-01',
      });
      assert.equal(r.status, 400, 'children are enrolled in group rooms only');
      const today = new Date().toISOString().slice(0, 10);
      r = await admin('GET', `/institutions/${kg.id}/children?roomId=${group.id}&on=${today}`);
      assert.deepEqual(
        r.json<Page>().items.map((c) => c.id),
        [child.id],
      );
      r = await admin('GET', `/institutions/${kg.id}/children?roomId=${group.id}&on=2025-08-31`);
      assert.deepEqual(r.json<Page>().items, []);

      const parentSubject = `parent-${newId()}`;
      r = await admin('POST', `/children/${child.id}/guardians`, {
        person: { subject: parentSubject, displayName: 'Анна Иванова', email: 'anna@example.org' },
        relation: 'mother',
      });
      assert.equal(r.status, 201, r.body);
      const link = r.json<Item & { person: { displayName: string } }>();
      assert.equal(link.verified, false);
      assert.equal(link.person.displayName, 'Анна Иванова');
      r = await admin('PATCH', `/guardian-links/${link.id}`, { verified: true });
      assert.equal(r.json().verified, true);
      r = await admin('POST', `/children/${child.id}/subscriptions`, { personId: link.personId });
      assert.equal(r.status, 201, r.body);
      const sub = r.json<Item>();
      assert.equal(sub.status, 'active');
      r = await admin('PATCH', `/subscriptions/${sub.id}`, { status: 'suspended', monthlyFeeMinor: 0 });
      assert.deepEqual([r.json().status, r.json().monthlyFeeMinor], ['suspended', 0]);
      r = await admin('POST', `/children/${child.id}/subscriptions`, { personId: adminPerson.id });
      assert.equal(r.status, 400, 'only a guardian subscribes');

      r = await admin('GET', `/persons?institutionId=${kg.id}`);
      assert.deepEqual(
        r
          .json<Page>()
          .items.map((p) => p.displayName)
          .filter((n) => n !== first.display_name)
          .sort(),
        ['Анна Иванова', 'Ольга Петровна'],
      );
      r = await admin('PATCH', `/persons/${link.personId as string}`, { phone: '+7 900 000-00-00' });
      assert.equal(r.status, 200, r.body);
      assert.equal((await admin('PATCH', `/persons/${adminPerson.id}`, { disabled: true })).status, 400);

      r = await admin('PATCH', `/enrolments/${enrolment.id}`, { endDate: '2026-05-31' });
      assert.equal(r.json().endDate, '2026-05-31');
      r = await admin('PATCH', `/children/${child.id}`, { fullName: 'Мария Иванова', birthDate: null });
      assert.deepEqual([r.json().fullName, r.json().birthDate], ['Мария Иванова', null]);

      r = await op('DELETE', `/institutions/${kg.id}`);
      assert.equal(r.status, 409, r.body);
      assert.match(r.json<{ message: string }>().message, /rooms or children/);

      // tear down, leaves first
      for (const url of [
        `/subscriptions/${sub.id}`,
        `/guardian-links/${link.id}`,
        `/enrolments/${enrolment.id}`,
        `/children/${child.id}`,
        `/cameras/${camera.id}`,
        `/viewing-schedules/${evening.id}`,
        `/closed-days/${closed.id}`,
        `/rooms/${hall.id}`,
        `/rooms/${group.id}`,
      ]) {
        r = await admin('DELETE', url);
        assert.equal(r.status, 204, `${url}: ${r.body}`);
        assert.equal((await admin('GET', url)).status, 404, url);
      }
      r = await op('DELETE', `/institutions/${kg.id}`);
      assert.equal(r.status, 204, r.body);
      assert.equal(
        await f.r.roleBindings
          .list(
            {
              reach: {
                regions: [{ regionId: region.id, kinds: ['kindergarten'], regionLevel: false }],
                institutions: [],
              },
            },
            {},
          )
          .then((p) => p.items.length),
        0,
        'bindings scoped to the institution went with it',
      );
      assert.deepEqual(await verifyAuditChain(db.kysely), {
        ok: true,
        entries: (await db.kysely.selectFrom('audit_log').select('id').execute()).length,
      });
    });

    test('camera credentials are write-only: no response, error or audit entry carries them', async () => {
      const region = await f.region();
      const w = await f.kindergartenWorld(region.id);
      const bodies: string[] = [];
      const admin = client(t, await sessionFor(t, w.admin.id), bodies);
      const secrets = [
        'topsecret-1',
        'topsecret-2',
        'topsecret-3',
        'camuser',
        'streamtoken',
        w.camera.source_password!,
      ];

      let r = await admin('POST', `/rooms/${w.group.id}/cameras`, {
        name: 'URL credentials',
        sourceUrl: 'rtsp://camuser:topsecret-1@cam.example:8554/live?token=streamtoken',
      });
      assert.equal(r.status, 201, r.body);
      const c1 = r.json<Item>();
      assert.deepEqual([c1.hasCredentials, c1.source], [true, { scheme: 'rtsp', host: 'cam.example:8554' }]);
      const stored = (await f.r.cameras.find(c1.id))!;
      assert.deepEqual(
        [stored.source_url, stored.source_username, stored.source_password],
        ['rtsp://cam.example:8554/live?token=streamtoken', 'camuser', 'topsecret-1'],
        'kept, apart from the URL',
      );
      r = await admin('POST', `/rooms/${w.group.id}/cameras`, {
        name: 'explicit credentials',
        sourceUrl: 'https://cam2.example/snapshot.mjpg',
        username: 'camuser',
        password: 'topsecret-2',
      });
      const c2 = r.json<Item>();
      r = await admin('PATCH', `/cameras/${c2.id}`, { password: 'topsecret-3' });
      assert.equal(r.status, 200);
      // a new address alone keeps the credentials
      r = await admin('PATCH', `/cameras/${c2.id}`, { sourceUrl: 'https://cam3.example/snapshot.mjpg' });
      assert.deepEqual(
        [r.json().hasCredentials, r.json().source],
        [true, { scheme: 'https', host: 'cam3.example' }],
      );
      assert.equal((await f.r.cameras.find(c2.id))?.source_password, 'topsecret-3');
      r = await admin('PATCH', `/cameras/${c2.id}`, { username: null, password: null });
      assert.equal(r.json().hasCredentials, false);
      r = await admin('PATCH', `/cameras/${c1.id}`, {
        sourceUrl: 'rtsp://camuser:topsecret-3@cam.example/live',
      });
      assert.equal(r.status, 200);
      r = await admin('POST', `/rooms/${w.group.id}/cameras`, {
        name: 'both',
        sourceUrl: 'rtsp://camuser:topsecret-1@cam.example/',
        password: 'topsecret-2',
      });
      assert.equal(r.status, 400);
      r = await admin('POST', `/rooms/${w.group.id}/cameras`, {
        name: 'ftp',
        sourceUrl: 'ftp://camuser:topsecret-1@cam/',
      });
      assert.equal(r.status, 400);
      r = await admin('POST', `/rooms/${w.group.id}/cameras`, {
        name: 'x',
        sourceUrl: 'rtsp://camuser:topsecret-1@',
      });
      assert.equal(r.status, 400);
      await admin('GET', `/cameras/${w.camera.id}`);
      await admin('GET', `/cameras/${c1.id}`);
      await admin('GET', `/institutions/${w.institution.id}/cameras`);
      await admin('DELETE', `/cameras/${c2.id}`);

      assert.ok(bodies.length >= 12);
      for (const body of bodies)
        for (const s of secrets) assert.ok(!body.includes(s), `a response carries ${s}: ${body}`);
      const audit = await db.kysely.selectFrom('audit_log').select(['action', 'details']).execute();
      assert.ok(
        audit.some(
          (a) => a.action === 'admin.camera.update' && a.details?.includes('"credentialsChanged":true'),
        ),
      );
      for (const a of audit)
        for (const s of secrets) assert.ok(!(a.details ?? '').includes(s), `audit carries ${s}`);
    });

    test('bad input is refused with a clear error and changes nothing', async () => {
      const region = await f.region();
      const w = await f.kindergartenWorld(region.id);
      const admin = client(t, await sessionFor(t, w.admin.id));
      const op = await operatorOf(region.id);
      const beforeDump = await dumpDatabase(db.kysely);
      const cases: [ReturnType<typeof client>, Method, string, unknown, string][] = [
        [
          admin,
          'POST',
          `/institutions/${w.institution.id}/rooms`,
          '{"kind": "group", "zone": ',
          'malformed JSON',
        ],
        [
          admin,
          'POST',
          `/institutions/${w.institution.id}/rooms`,
          { kind: 'group', zone: 'common', name: 'X', colour: 'red' },
          'unknown property',
        ],
        [admin, 'PATCH', `/rooms/${w.group.id}`, {}, 'empty patch'],
        [admin, 'PATCH', `/rooms/${w.group.id}`, { name: '   ' }, 'blank name'],
        [
          admin,
          'POST',
          `/institutions/${w.institution.id}/rooms`,
          { kind: 'kitchen', zone: 'common', name: 'X' },
          'unknown room kind',
        ],
        [
          op,
          'POST',
          '/institutions',
          { regionId: region.id, kind: 'kindergarten', name: 'X', timeZone: 'Mars/Olympus' },
          'bad time zone',
        ],
        [
          op,
          'POST',
          '/institutions',
          { regionId: region.id, kind: 'kindergarten', name: 'X', timeZone: '+03:00' },
          'offset is no IANA zone',
        ],
        [
          op,
          'PATCH',
          `/institutions/${w.institution.id}`,
          { timeZone: 'MSK' },
          'abbreviation is no IANA zone',
        ],
        [op, 'PATCH', `/institutions/${w.institution.id}`, { monthlyFeeMinor: -1 }, 'negative fee'],
        [
          admin,
          'POST',
          `/rooms/${w.group.id}/cameras`,
          { name: 'X', sourceUrl: 'ftp://cam.example/stream' },
          'camera scheme',
        ],
        [admin, 'POST', `/rooms/${w.group.id}/cameras`, { name: 'X', sourceUrl: 'not a url' }, 'camera URL'],
        [
          admin,
          'POST',
          `/rooms/${w.group.id}/cameras`,
          { name: 'X', sourceUrl: 'javascript:alert(1)' },
          'camera scheme',
        ],
        [
          admin,
          'POST',
          `/rooms/${w.group.id}/cameras`,
          { name: 'X', sourceUrl: 'rtsp:///nohost' },
          'camera host',
        ],
        [admin, 'POST', `/rooms/${w.group.id}/cameras`, { name: 'X', sourceUrl: 'demo:' }, 'demo name'],
        [
          admin,
          'PATCH',
          `/cameras/${w.camera.id}`,
          { sourceUrl: 'file:///etc/passwd' },
          'camera scheme on update',
        ],
        [admin, 'PATCH', `/cameras/${w.camera.id}`, { recordingPolicy: 'always' }, 'recording policy'],
        [
          admin,
          'POST',
          `/rooms/${w.group.id}/viewing-schedules`,
          { weekday: 8, startTime: '08:00', endTime: '09:00' },
          'weekday',
        ],
        [
          admin,
          'POST',
          `/rooms/${w.group.id}/viewing-schedules`,
          { weekday: 1, startTime: '18:00', endTime: '08:00' },
          'end before start',
        ],
        [
          admin,
          'POST',
          `/rooms/${w.group.id}/viewing-schedules`,
          { weekday: 1, startTime: '24:00', endTime: '24:00' },
          'start at 24:00',
        ],
        [
          admin,
          'POST',
          `/rooms/${w.group.id}/viewing-schedules`,
          { weekday: 1, startTime: '8:00', endTime: '09:00' },
          'time format',
        ],
        [
          admin,
          'POST',
          `/institutions/${w.institution.id}/closed-days`,
          { day: '2026-02-30' },
          'no such date',
        ],
        [
          admin,
          'POST',
          `/children/${w.child.id}/enrolments`,
          { roomId: w.group.id, startDate: '2030-02-01', endDate: '2030-01-01' },
          'end before start',
        ],
        [
          admin,
          'POST',
          `/institutions/${w.institution.id}/children`,
          { fullName: 'X', birthDate: '2999-01-01' },
          'born in the future',
        ],
        [
          admin,
          'POST',
          `/children/${w.child.id}/guardians`,
          { relation: 'mother' },
          'neither personId nor person',
        ],
        [
          admin,
          'POST',
          `/children/${w.child.id}/guardians`,
          { personId: w.parent.id, person: { subject: 's', displayName: 'x' } },
          'both',
        ],
        [
          admin,
          'POST',
          `/children/${w.child.id}/guardians`,
          { person: { subject: 'has space', displayName: 'x' } },
          'subject',
        ],
        [admin, 'PATCH', `/persons/${w.parent.id}`, { email: 'not-an-email' }, 'email'],
        [
          op,
          'POST',
          '/role-bindings',
          { personId: w.parent.id, role: 'kindergarten_admin', scopeKind: 'region', scopeId: region.id },
          'role on the wrong scope',
        ],
        [
          op,
          'POST',
          '/role-bindings',
          { personId: w.parent.id, role: 'superuser', scopeKind: 'region', scopeId: region.id },
          'unknown role',
        ],
        [admin, 'GET', `/rooms/${w.group.id.toUpperCase()}`, undefined, 'id not lowercase'],
        [admin, 'GET', '/rooms/12345', undefined, 'malformed id'],
        [admin, 'GET', `/institutions/${w.institution.id}/rooms?limit=201`, undefined, 'page too large'],
        [admin, 'GET', `/institutions/${w.institution.id}/rooms?limit=0`, undefined, 'page too small'],
        [admin, 'GET', `/institutions/${w.institution.id}/rooms?cursor=garbage`, undefined, 'cursor'],
        [admin, 'GET', `/institutions/${w.institution.id}/rooms?colour=red`, undefined, 'unknown filter'],
      ];
      for (const [call, method, url, payload, why] of cases) {
        const headers: Record<string, string> =
          typeof payload === 'string' ? { 'content-type': 'application/json' } : {};
        const r = await call(method, url, payload, headers);
        assert.equal(r.status, 400, `${why}: ${r.status} ${r.body}`);
        const body = r.json<{ code: string; message: string }>();
        assert.ok(['validation_failed', 'bad_request'].includes(body.code), `${why}: ${r.body}`);
        assert.ok(body.message.length > 0);
      }
      const withDetails = await admin('POST', `/institutions/${w.institution.id}/rooms`, {
        kind: 'group',
        zone: 'common',
        name: 'X',
        colour: 'red',
      });
      assert.deepEqual(withDetails.json<{ details: unknown[] }>().details, [
        { field: 'body', message: 'must NOT have additional properties', property: 'colour' },
      ]);
      const tz = await op('POST', '/institutions', {
        regionId: region.id,
        kind: 'kindergarten',
        name: 'X',
        timeZone: 'Mars/Olympus',
      });
      assert.deepEqual(tz.json<{ details: unknown[] }>().details, [
        { field: 'body/timeZone', message: 'not an IANA time zone (for example Europe/Moscow)' },
      ]);
      assert.deepEqual(await dumpDatabase(db.kysely), beforeDump);
    });

    test('state-changing requests without the CSRF token are refused and change nothing', async () => {
      const w = await f.kindergartenWorld((await f.region()).id);
      const s = await sessionFor(t, w.admin.id);
      const beforeDump = await dumpDatabase(db.kysely);
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/admin/rooms/${w.group.id}`,
        headers: { cookie: s.cookie },
        payload: { name: 'No token' },
      });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json<{ code: string }>().code, 'csrf_failed');
      assert.deepEqual(await dumpDatabase(db.kysely), beforeDump);
    });

    test('constraint violations answer 409 conflict with a message, on both databases', async () => {
      const region = await f.region();
      const w = await f.kindergartenWorld(region.id);
      await f.bind(w.admin.id, 'auditor', 'institution', w.institution.id);
      const admin = client(t, await sessionFor(t, w.admin.id));
      const op = await operatorOf(region.id);
      const other = await f.child(w.institution.id);
      await f.enrol(w.child.id, w.group.id, { start_date: '2019-01-01', end_date: '2019-12-31' });
      const cases: [() => Promise<Reply>, RegExp][] = [
        [
          () =>
            admin('POST', `/institutions/${w.institution.id}/rooms`, {
              kind: 'group',
              zone: 'common',
              name: w.group.name,
            }),
          /room with this name/,
        ],
        [
          () => admin('PATCH', `/children/${other.id}`, { externalRef: w.child.external_ref }),
          /child with this reference/,
        ],
        [
          () =>
            admin('POST', `/children/${w.child.id}/enrolments`, {
              roomId: w.group.id,
              startDate: '2026-03-01',
            }),
          /overlaps another enrolment/,
        ],
        [
          // moving the open enrolment's start back into the closed 2019 one
          () => admin('PATCH', `/enrolments/${w.enrolment.id}`, { startDate: '2019-06-01' }),
          /overlaps another enrolment/,
        ],
        [
          () => admin('POST', `/children/${w.child.id}/guardians`, { personId: w.parent.id }),
          /already a guardian/,
        ],
        [
          () => admin('POST', `/institutions/${w.institution.id}/closed-days`, { day: w.closedDay.day }),
          /already marked as closed/,
        ],
        [() => admin('DELETE', `/rooms/${w.group.id}`), /still has cameras or enrolments/],
        [
          () =>
            op('POST', '/institutions', {
              regionId: region.id,
              kind: 'kindergarten',
              name: w.institution.name,
              timeZone: 'UTC',
            }),
          /already exists in the region/,
        ],
        [
          () =>
            op('POST', '/role-bindings', {
              personId: w.admin.id,
              role: 'auditor',
              scopeKind: 'institution',
              scopeId: w.institution.id,
            }),
          /already holds this role/,
        ],
      ];
      const beforeDump = await dumpDatabase(db.kysely);
      for (const [request, message] of cases) {
        const r = await request();
        assert.equal(r.status, 409, `${String(message)}: ${r.body}`);
        assert.equal(r.json<{ code: string }>().code, 'conflict');
        assert.match(r.json<{ message: string }>().message, message);
      }
      assert.deepEqual(await dumpDatabase(db.kysely), beforeDump);
    });

    test('lists are paginated with an opaque cursor (at most 200 per page)', async () => {
      const w = await f.kindergartenWorld((await f.region()).id);
      const admin = client(t, await sessionFor(t, w.admin.id));
      for (let d = 10; d < 15; d++)
        assert.equal(
          (await admin('POST', `/institutions/${w.institution.id}/closed-days`, { day: `2026-05-${d}` }))
            .status,
          201,
        );
      const days: string[] = [];
      let url = `/institutions/${w.institution.id}/closed-days?limit=2&from=2026-05-01`;
      let pages = 0;
      for (;;) {
        const page = (await admin('GET', url)).json<Page>();
        days.push(...page.items.map((i) => i.day as string));
        pages++;
        if (!page.nextCursor) break;
        url = `/institutions/${w.institution.id}/closed-days?limit=2&from=2026-05-01&cursor=${page.nextCursor}`;
      }
      assert.equal(pages, 3);
      assert.deepEqual(days, ['2026-05-10', '2026-05-11', '2026-05-12', '2026-05-13', '2026-05-14']);
    });

    test('an office: its head runs workplaces and staff, and kindergarten-only objects are refused', async () => {
      const region = await f.region();
      const regional = await operatorOf(region.id, 'regional_operator');
      let r = await regional('POST', '/institutions', {
        regionId: region.id,
        kind: 'office',
        name: 'Опека',
        timeZone: 'Asia/Yekaterinburg',
      });
      assert.equal(r.status, 201, r.body);
      const office = r.json<Item>();
      assert.equal(office.consentRequired, false);
      const city = await operatorOf(region.id);
      assert.equal(
        (
          await city('POST', '/institutions', {
            regionId: region.id,
            kind: 'office',
            name: 'Other',
            timeZone: 'UTC',
          })
        ).status,
        403,
      );
      assert.equal(
        (await city('GET', `/institutions/${office.id}`)).status,
        404,
        'a city operator does not see offices',
      );

      const headSubject = `head-${newId()}`;
      r = await regional('POST', '/role-bindings', {
        person: { subject: headSubject, displayName: 'Head' },
        role: 'office_head',
        scopeKind: 'institution',
        scopeId: office.id,
      });
      assert.equal(r.status, 201, r.body);
      const head = client(
        t,
        await sessionFor(t, (await f.r.persons.findByIdentity(TEST_ISSUER, headSubject))!.id),
      );
      r = await head('POST', `/institutions/${office.id}/rooms`, {
        kind: 'workplace',
        zone: 'common',
        name: 'Кабинет 1',
      });
      assert.equal(r.status, 201, r.body);
      const desk = r.json<Item>();
      r = await head('POST', `/rooms/${desk.id}/cameras`, {
        name: 'Кабинет 1',
        sourceUrl: 'demo:desk-1',
        recordingPolicy: 'continuous',
        audioAllowed: true,
      });
      assert.equal(r.status, 201, r.body);
      r = await head('POST', `/institutions/${office.id}/children`, { fullName: 'X' });
      assert.equal(r.status, 404, 'an office head has no rights on children at all');
      r = await regional('POST', `/institutions/${office.id}/rooms`, {
        kind: 'group',
        zone: 'common',
        name: 'Group',
      });
      assert.equal(r.status, 400, 'an office has no group rooms');
      r = await head('POST', '/role-bindings', {
        person: { subject: `emp-${newId()}`, displayName: 'Employee' },
        role: 'employee',
        scopeKind: 'room',
        scopeId: desk.id,
      });
      assert.equal(r.status, 201, r.body);
      const binding = r.json<Item>();
      r = await head('POST', '/role-bindings', {
        personId: binding.personId,
        role: 'office_head',
        scopeKind: 'institution',
        scopeId: office.id,
      });
      assert.equal(r.status, 403, 'a head does not appoint heads');
      r = await head('GET', `/role-bindings?scopeKind=room&scopeId=${desk.id}`);
      assert.deepEqual(
        r.json<Page>().items.map((b) => b.id),
        [binding.id],
      );
      assert.equal((await head('DELETE', `/role-bindings/${binding.id}`)).status, 204);
    });

    test('a person shared by two kindergartens is changed only by someone who administers both', async () => {
      const region = await f.region();
      const a = await f.kindergartenWorld(region.id, 'A');
      const b = await f.kindergartenWorld(region.id, 'B');
      await f.guardian(a.parent.id, b.child.id);
      const adminA = client(t, await sessionFor(t, a.admin.id));
      assert.equal((await adminA('GET', `/persons/${a.parent.id}`)).status, 200);
      assert.equal((await adminA('PATCH', `/persons/${a.parent.id}`, { displayName: 'X' })).status, 403);
      assert.equal((await adminA('DELETE', `/persons/${a.parent.id}`)).status, 403);
      const op = await operatorOf(region.id);
      assert.equal((await op('PATCH', `/persons/${a.parent.id}`, { disabled: true })).status, 200);
      // the guardian links of B stay invisible to A's administrator
      const links = await adminA('GET', `/children/${a.child.id}/guardians`);
      assert.deepEqual(
        links.json<Page>().items.map((l) => l.personId),
        [a.parent.id],
      );
    });

    test('every change writes an audit entry with before and after, in its own transaction', async () => {
      const w = await f.kindergartenWorld((await f.region()).id);
      const admin = client(t, await sessionFor(t, w.admin.id));
      const r = await admin(
        'PATCH',
        `/rooms/${w.group.id}`,
        { name: 'Renamed group' },
        { 'user-agent': 'audit-test' },
      );
      assert.equal(r.status, 200);
      const entry = await db.kysely
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'admin.room.update')
        .where('target_id', '=', w.group.id)
        .executeTakeFirstOrThrow();
      assert.equal(entry.actor_person_id, w.admin.id);
      assert.equal(entry.actor_role, 'kindergarten_admin');
      assert.equal(entry.institution_id, w.institution.id);
      assert.equal(entry.target_kind, 'room');
      assert.equal(entry.user_agent, 'audit-test');
      const details = JSON.parse(entry.details!) as { before: { name: string }; after: { name: string } };
      assert.equal(details.before.name, w.group.name);
      assert.equal(details.after.name, 'Renamed group');
      assert.equal((await verifyAuditChain(db.kysely)).ok, true);
    });

    test('when the audit entry cannot be written, the change is rolled back', async () => {
      const w = await f.kindergartenWorld((await f.region()).id);
      const admin = client(t, await sessionFor(t, w.admin.id));
      const beforeDump = await dumpDatabase(db.kysely);
      await sql`alter table audit_head rename to audit_head_away`.execute(db.kysely);
      try {
        let r = await admin('PATCH', `/rooms/${w.group.id}`, { name: 'Unaudited' });
        assert.equal(r.status, 500, r.body);
        assert.equal(r.json<{ code: string }>().code, 'internal');
        r = await admin('POST', `/institutions/${w.institution.id}/rooms`, {
          kind: 'hall',
          zone: 'common',
          name: 'Unaudited hall',
        });
        assert.equal(r.status, 500);
        r = await admin('DELETE', `/cameras/${w.camera.id}`);
        assert.equal(r.status, 500);
      } finally {
        await sql`alter table audit_head_away rename to audit_head`.execute(db.kysely);
      }
      assert.deepEqual(await dumpDatabase(db.kysely), beforeDump, 'nothing of the failed changes remains');
      assert.equal((await f.r.rooms.find(w.group.id))?.name, w.group.name);
      assert.equal((await admin('PATCH', `/rooms/${w.group.id}`, { name: 'Audited' })).status, 200);
    });
  });
}
