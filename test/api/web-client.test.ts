/**
 * The web app's API client (web/src/api.ts) against the real server in-process: every function the
 * screens use is called through a `fetch` that hands the request to `app.inject`, with a real session
 * and its CSRF token, on SQLite with the demo seed. So every path, method, request body and reply the
 * client assumes is checked against the server's routes and their TypeBox schemas (a wrong path is a
 * 404 "no route", a wrong body a 400 validation_failed, a wrong role a 403).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, ApiError } from '../../web/src/api.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';
import { buildTestApp, sessionFor, type TestApp } from '../support/app.js';
import { openSqliteTestDb, type TestDb } from '../support/db.js';

describe('the web app’s API client against the real server', () => {
  let db: TestDb;
  let t: TestApp;
  let cookie = '';
  const realFetch = globalThis.fetch;
  const seen: string[] = [];

  /** Logs the client in as a demo person: their session cookie on every request, then /api/session. */
  const as = async (subject: string) => {
    const p = await db.kysely
      .selectFrom('persons')
      .select('id')
      .where('subject', '=', subject)
      .executeTakeFirstOrThrow();
    cookie = (await sessionFor(t, p.id)).cookie;
    const me = await api.me();
    assert.ok(me, `a session for ${subject}`);
    return me;
  };

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db);
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
    globalThis.fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const method = init?.method ?? 'GET';
      seen.push(`${method} ${url.split('?')[0]}`);
      const res = await t.app.inject({
        method: method as 'GET',
        url,
        headers: { ...(init?.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
        ...(typeof init?.body === 'string' ? { payload: init.body } : {}),
      });
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : String(v));
      const empty = res.statusCode === 204 || res.rawPayload.length === 0;
      return new Response(empty ? null : res.rawPayload, { status: res.statusCode, headers });
    };
  });

  after(async () => {
    globalThis.fetch = realFetch;
    await t.close();
    await db.close();
  });

  test('logged out, the app start reads a null session without a 401', async () => {
    cookie = '';
    assert.equal(await api.me(), null);
  });

  test('a kindergarten administrator keeps every object of their kindergarten', async () => {
    await as('demo-kg-admin');
    const [kg] = await api.institutions();
    assert.ok(kg);
    assert.equal(kg.name, 'Детский сад №1 «Солнышко»');
    assert.equal((await api.institution(kg.id)).timeZone, 'Europe/Moscow');
    // Tariff and time zone are the city's decisions.
    await assert.rejects(api.updateInstitution(kg.id, { timeZone: 'Asia/Omsk' }), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 403);
      return true;
    });

    const rooms = await api.rooms.list(kg.id);
    const bees = rooms.find((r) => r.name === 'Группа «Пчёлки»');
    assert.equal(bees?.consent?.status, 'given');
    const owls = await api.rooms.create(kg.id, { kind: 'group', zone: 'common', name: 'Группа «Совята»' });
    assert.equal((await api.rooms.update(owls.id, { name: 'Группа «Совушки»' })).name, 'Группа «Совушки»');

    const probe = await api.cameras.probe({ sourceUrl: 'demo:owls', rtspTransport: 'tcp' });
    assert.equal(probe.video.codec, 'h264');
    assert.equal(probe.demo, true);
    const cam = await api.cameras.create(owls.id, {
      name: 'Совушки — игровая',
      sourceUrl: 'demo:owls',
      rtspTransport: 'tcp',
      enabled: true,
      audioAllowed: false,
      recordingPolicy: 'off',
    });
    assert.equal(cam.roomId, owls.id);
    assert.deepEqual(cam.source, { scheme: 'demo', host: null });
    assert.equal((await api.cameras.update(cam.id, { enabled: false })).enabled, false);
    assert.ok((await api.cameras.list(kg.id)).some((c) => c.id === cam.id && !c.enabled));
    const health = await api.cameraHealth();
    assert.ok(health.items.some((h) => h.cameraId === cam.id && h.state === 'disabled'));

    const schedule = await api.schedules.create(owls.id, {
      weekday: 1,
      startTime: '08:00',
      endTime: '18:00',
    });
    assert.deepEqual(
      (await api.schedules.list(owls.id)).map((s) => [s.weekday, s.startTime, s.endTime]),
      [[1, '08:00', '18:00']],
    );
    await api.schedules.remove(schedule.id);
    assert.deepEqual(await api.schedules.list(owls.id), []);

    await api.consents.create(owls.id, { status: 'given', note: 'протокол собрания №3' });
    assert.equal((await api.consents.list(owls.id))[0]?.note, 'протокол собрания №3');

    const day = await api.closedDays.create(kg.id, { day: '2026-12-31', reason: 'Новый год' });
    assert.ok((await api.closedDays.list(kg.id)).some((d) => d.day === '2026-12-31'));
    await api.closedDays.remove(day.id);

    const child = await api.children.create(kg.id, { fullName: 'Тёма Совин', birthDate: '2021-02-03' });
    assert.equal((await api.children.get(child.id)).birthDate, '2021-02-03');
    assert.ok((await api.children.list(kg.id)).some((c) => c.id === child.id));

    const enrolment = await api.enrolments.create(child.id, { roomId: owls.id, startDate: '2025-09-01' });
    assert.equal(enrolment.endDate, null);
    assert.equal(
      (await api.enrolments.update(enrolment.id, { endDate: '2025-12-31' })).endDate,
      '2025-12-31',
    );
    assert.equal((await api.enrolments.list(child.id)).length, 1);

    const mother = await api.guardians.create(child.id, {
      person: { subject: 'esia-777', displayName: 'Ольга Совина' },
      relation: 'mother',
      verified: false,
    });
    assert.equal(mother.person.displayName, 'Ольга Совина');
    assert.equal((await api.guardians.update(mother.id, { verified: true })).verified, true);
    const persons = await api.persons.list(kg.id);
    const anna = persons.find((p) => p.subject === 'demo-parent-anna');
    assert.ok(anna && persons.some((p) => p.displayName === 'Ольга Совина'));
    const second = await api.guardians.create(child.id, { personId: anna.id, relation: 'guardian' });
    assert.deepEqual((await api.guardians.list(child.id)).map((g) => g.relation).sort(), [
      'guardian',
      'mother',
    ]);
    await api.guardians.remove(second.id);
    await api.enrolments.remove(enrolment.id);

    const bindings = await api.roleBindings.list({});
    assert.ok(bindings.some((b) => b.role === 'kindergarten_admin' && b.scopeId === kg.id));

    const imported = await api.importCsv(
      kg.id,
      'child_ref,child_name,group,enrolled_from\nKG1-900,Соня Совина,Группа «Совушки»,2025-09-01\n',
    );
    assert.equal(imported.rows, 1);
    assert.equal(imported.children.created, 1);
    await assert.rejects(
      api.importCsv(kg.id, 'child_ref,child_name,group,enrolled_from\nKG1-901,,Нет такой,2025-09-01\n'),
      (e: unknown) => {
        assert.ok(e instanceof ApiError && e.code === 'validation_failed');
        const rows = e.details as { line: number; reason: string }[];
        assert.ok(rows.length >= 1 && rows.every((r) => r.line === 2 && typeof r.reason === 'string'));
        return true;
      },
    );

    await api.children.remove(child.id);
    await api.cameras.remove(cam.id);
  });

  test('a city operator creates a kindergarten and grants its auditor role', async () => {
    await as('demo-operator');
    const [region] = await api.regions();
    assert.ok(region);
    const kg = await api.createInstitution({
      regionId: region.id,
      kind: 'kindergarten',
      name: 'Детский сад №3 «Совушка»',
      timeZone: 'Europe/Moscow',
      freePilot: false,
      consentRequired: true,
    });
    assert.equal((await api.updateInstitution(kg.id, { monthlyFeeMinor: 25_000 })).monthlyFeeMinor, 25_000);
    const binding = await api.roleBindings.create({
      role: 'auditor',
      scopeKind: 'institution',
      scopeId: kg.id,
      person: { subject: 'esia-admin-3', displayName: 'Нина Админова' },
    });
    assert.deepEqual(
      (await api.roleBindings.list({ scopeKind: 'institution', scopeId: kg.id })).map((b) => b.id),
      [binding.id],
    );
    await api.roleBindings.remove(binding.id);
    await api.deleteInstitution(kg.id);
    assert.ok(!(await api.institutions()).some((i) => i.id === kg.id));
    // A city operator runs kindergartens: the office's cameras are not theirs to see.
    const names = (await api.cameraHealth()).items.map((h) => h.name);
    assert.ok(names.includes('Пчёлки — игровая') && names.includes('Ромашки — игровая'));
    assert.ok(!names.includes('Кабинет 1') && !names.includes('Кабинет 2'), names.join());
  });

  test('a parent reads their children and gets a grant; the auditor reads the log', async () => {
    await as('demo-parent-anna');
    const { items } = await api.parentChildren();
    assert.equal(items.length, 1);
    const [masha] = items;
    assert.equal(masha?.child.name, 'Маша Иванова');
    assert.equal(masha.verified, true);
    assert.equal(masha.institution.timeZone, 'Europe/Moscow');
    const camera = masha.cameras.find((c) => c.name === 'Пчёлки — игровая');
    assert.equal(camera?.availability.state, 'available');
    const grant = await api.createStream(camera.id);
    assert.equal(grant.cameraId, camera.id);
    assert.match(grant.wsUrl, /\/media\/live\/.+\/ws\?token=/);
    assert.equal((await api.renewStream(grant.streamId)).streamId, grant.streamId);

    await as('demo-auditor');
    const page = await api.audit({ action: 'admin.camera.create' });
    assert.ok(page.items.some((e) => e.actor?.subject === 'demo-kg-admin' && e.targetKind === 'camera'));
    assert.ok((await api.audit({ action: 'grant.live', decision: 'allow' })).items.length >= 1);
    const chain = await api.auditVerify();
    assert.equal(chain.ok, true);
    assert.ok(chain.entries > 10);
  });

  test('logout ends the session and says where to go next', async () => {
    await as('demo-parent-anna');
    const to = await api.logout();
    assert.equal(typeof to, 'string');
    assert.equal(await api.me(), null);
  });

  test('no request of the client hit a missing route', () => {
    // Every path the client used answered from a real route (a missing one throws "no route" above).
    assert.ok(seen.some((r) => r.startsWith('POST /api/admin/rooms/')));
    assert.ok(seen.some((r) => r.startsWith('PATCH /api/admin/enrolments/')));
    assert.ok(seen.some((r) => r.startsWith('PATCH /api/admin/guardian-links/')));
  });
});
