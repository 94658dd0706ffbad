/**
 * Cross-tenant isolation of the admin API, over every admin endpoint (checked against the OpenAPI
 * document, so a new endpoint without a probe fails this suite):
 * - the administrator of kindergarten A gets 404 for every object of kindergarten B — GET, PATCH,
 *   DELETE, nested POST, list filters and references in bodies — and nothing changes anywhere;
 * - the same requests with A's own objects are answered (not 404), so the probes are well-formed;
 * - an operator of another region gets 404 for everything; an auditor reads but changes nothing;
 * - a parent, an employee (no admin role) and an anonymous caller get nothing at all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { dumpDatabase, Factory, type KindergartenWorld } from '../support/factory.js';
import { newId } from '../../src/shared/ids.js';
import { systemClock } from '../../src/shared/clock.js';
import { sweepCampaigns } from '../../src/domain/consent/campaigns.js';

interface Probe {
  /** the route as OpenAPI names it, e.g. "PATCH /api/admin/rooms/{id}" */
  route: string;
  url: string;
  payload?: unknown;
  csv?: string;
}

const probe = (route: string, id: string, payload?: unknown, query = ''): Probe => {
  const path = route.split(' ')[1]!;
  return { route, url: path.replace('{id}', id) + query, ...(payload !== undefined ? { payload } : {}) };
};

const rosterFor = (w: KindergartenWorld) =>
  `child_ref,child_name,group,enrolled_from\nNEW-1,New Child,${w.group.id},2030-01-01\n`;

/** One request per endpoint that takes an id, aimed at the world's objects. */
function objectProbes(w: KindergartenWorld): Probe[] {
  const I = w.institution.id;
  return [
    probe('GET /api/admin/institutions/{id}', I),
    probe('PATCH /api/admin/institutions/{id}', I, { name: 'Renamed' }),
    probe('GET /api/admin/institutions/{id}/closed-days', I),
    probe('POST /api/admin/institutions/{id}/closed-days', I, { day: '2026-03-08' }),
    probe('GET /api/admin/closed-days/{id}', w.closedDay.id),
    probe('PATCH /api/admin/closed-days/{id}', w.closedDay.id, { reason: 'changed' }),
    probe('GET /api/admin/institutions/{id}/rooms', I),
    probe('POST /api/admin/institutions/{id}/rooms', I, { kind: 'group', zone: 'common', name: 'Intruder' }),
    probe('GET /api/admin/rooms/{id}', w.group.id),
    probe('PATCH /api/admin/rooms/{id}', w.group.id, { name: 'Renamed' }),
    probe('GET /api/admin/institutions/{id}/cameras', I),
    probe('POST /api/admin/rooms/{id}/cameras', w.group.id, { name: 'Intruder', sourceUrl: 'demo:intruder' }),
    probe('GET /api/admin/cameras/{id}', w.camera.id),
    probe('PATCH /api/admin/cameras/{id}', w.camera.id, { enabled: false }),
    probe('GET /api/admin/rooms/{id}/viewing-schedules', w.group.id),
    probe('POST /api/admin/rooms/{id}/viewing-schedules', w.group.id, {
      weekday: 6,
      startTime: '10:00',
      endTime: '11:00',
    }),
    probe('GET /api/admin/viewing-schedules/{id}', w.schedule.id),
    probe('PATCH /api/admin/viewing-schedules/{id}', w.schedule.id, { endTime: '17:00' }),
    probe('GET /api/admin/rooms/{id}/consents', w.group.id),
    probe('POST /api/admin/rooms/{id}/consents', w.group.id, { status: 'withdrawn' }),
    probe('GET /api/admin/consents/{id}', w.consent.id),
    probe('GET /api/admin/institutions/{id}/children', I),
    probe('POST /api/admin/institutions/{id}/children', I, { fullName: 'Intruder' }),
    probe('GET /api/admin/children/{id}', w.child.id),
    probe('PATCH /api/admin/children/{id}', w.child.id, { fullName: 'Renamed' }),
    probe('GET /api/admin/children/{id}/enrolments', w.child.id),
    probe('POST /api/admin/children/{id}/enrolments', w.child.id, {
      roomId: w.group.id,
      startDate: '2030-01-01',
    }),
    probe('GET /api/admin/enrolments/{id}', w.enrolment.id),
    probe('PATCH /api/admin/enrolments/{id}', w.enrolment.id, { endDate: '2030-06-30' }),
    probe('GET /api/admin/children/{id}/guardians', w.child.id),
    probe('POST /api/admin/children/{id}/guardians', w.child.id, {
      person: { subject: `intruder-${newId()}`, displayName: 'Intruder' },
    }),
    probe('GET /api/admin/guardian-links/{id}', w.guardianLink.id),
    probe('PATCH /api/admin/guardian-links/{id}', w.guardianLink.id, { verified: false }),
    probe('GET /api/admin/children/{id}/subscriptions', w.child.id),
    probe('POST /api/admin/children/{id}/subscriptions', w.child.id, { personId: w.parent.id }),
    probe('GET /api/admin/subscriptions/{id}', w.subscription.id),
    probe('PATCH /api/admin/subscriptions/{id}', w.subscription.id, { status: 'suspended' }),
    probe('GET /api/admin/persons/{id}', w.parent.id),
    probe('PATCH /api/admin/persons/{id}', w.parent.id, { displayName: 'Renamed' }),
    probe('GET /api/admin/role-bindings/{id}', w.adminBinding.id),
    { ...probe('POST /api/admin/institutions/{id}/import', I), csv: rosterFor(w) },
    // consent campaigns and the connection wizard (src/api/consent.ts, src/api/connection.ts)
    probe('GET /api/admin/institutions/{id}/consent-rule', I),
    probe('PUT /api/admin/institutions/{id}/consent-rule', I, {
      kind: 'share',
      sharePercent: 67,
      graceDays: 7,
    }),
    probe('GET /api/admin/institutions/{id}/consent-templates', I),
    probe('GET /api/admin/institutions/{id}/consent-campaigns', I),
    probe('GET /api/admin/rooms/{id}/consent-campaigns', w.group.id),
    probe('POST /api/admin/rooms/{id}/consent-campaigns', w.group.id, {}),
    probe('GET /api/admin/consent-campaigns/{id}/answers.csv', CAMPAIGNS.get(w.group.id) ?? ''),
    probe('POST /api/admin/consent-campaigns/{id}/remind', CAMPAIGNS.get(w.group.id) ?? ''),
    probe('POST /api/admin/consent-campaigns/{id}/close', CAMPAIGNS.get(w.group.id) ?? ''),
    probe('GET /api/admin/institutions/{id}/connection', I),
    probe('POST /api/admin/cameras/{id}/connection-check', w.camera.id),
    probe('POST /api/admin/cameras/{id}/attestation', w.camera.id, { sha256: '0'.repeat(64) }),
    probe('POST /api/admin/cameras/{id}/attestation-snapshot', w.camera.id),
    probe('POST /api/admin/institutions/{id}/go-live', I),
    probe('GET /api/admin/institutions/{id}/passport.pdf', I),
  ];
}

/** The active consent campaign of each world's group (made in `before`). */
const CAMPAIGNS = new Map<string, string>();

/** A consent text for the region and an active campaign in the world's group, as the demo has. */
async function seedCampaign(db: TestDb, w: KindergartenWorld): Promise<void> {
  const at = new Date().toISOString();
  let template = await db.kysely
    .selectFrom('consent_templates')
    .select('id')
    .where('region_id', '=', w.region.id)
    .executeTakeFirst();
  if (!template) {
    template = { id: newId() };
    await db.kysely
      .insertInto('consent_templates')
      .values({
        id: template.id,
        region_id: w.region.id,
        version: 1,
        title: 'T',
        body: 'B'.repeat(30),
        published_at: at,
        published_by: null,
      })
      .execute();
  }
  const id = newId();
  await db.kysely
    .insertInto('consent_campaigns')
    .values({
      id,
      room_id: w.group.id,
      institution_id: w.institution.id,
      template_id: template.id,
      template_version: 1,
      title: 'T',
      body: 'B'.repeat(30),
      rule_kind: 'all',
      share_percent: 100,
      grace_days: 14,
      status: 'active',
      launched_at: at,
      launched_on: at.slice(0, 10),
      launched_by: null,
      closed_at: null,
      last_reminder_at: null,
    })
    .execute();
  CAMPAIGNS.set(w.group.id, id);
}

/** Deletions, leaves first (each is also tried on a fresh world of the caller's own). */
function deleteProbes(w: KindergartenWorld): Probe[] {
  return [
    probe('DELETE /api/admin/subscriptions/{id}', w.subscription.id),
    probe('DELETE /api/admin/guardian-links/{id}', w.guardianLink.id),
    probe('DELETE /api/admin/enrolments/{id}', w.enrolment.id),
    probe('DELETE /api/admin/viewing-schedules/{id}', w.schedule.id),
    probe('DELETE /api/admin/cameras/{id}', w.camera.id),
    probe('DELETE /api/admin/closed-days/{id}', w.closedDay.id),
    probe('DELETE /api/admin/persons/{id}', w.parent.id),
    probe('DELETE /api/admin/children/{id}', w.child.id),
    probe('DELETE /api/admin/role-bindings/{id}', w.adminBinding.id),
    probe('DELETE /api/admin/rooms/{id}', w.bedroom.id),
    probe('DELETE /api/admin/institutions/{id}', w.institution.id),
  ];
}

/** The region is not one kindergarten's object: only operators and auditors see it. */
function regionProbes(w: KindergartenWorld): Probe[] {
  return [
    probe('GET /api/admin/regions/{id}', w.region.id),
    probe('PATCH /api/admin/regions/{id}', w.region.id, { name: `Renamed ${newId()}` }),
    probe('GET /api/admin/regions/{id}/consent-templates', w.region.id),
    probe('POST /api/admin/regions/{id}/consent-templates', w.region.id, {
      title: 'Согласие',
      body: 'Текст согласия родителей группы, новая версия.',
    }),
    probe('GET /api/admin/regions/{id}/connection-profile', w.region.id),
    probe('PUT /api/admin/regions/{id}/connection-profile', w.region.id, {
      allowH265: false,
      minWidth: 640,
      minHeight: 360,
      maxWidth: 1920,
      maxHeight: 1080,
      minFps: 12,
      maxFps: 25,
      maxKeyframeIntervalS: 2,
      minBitrateKbps: 1000,
      maxBitrateKbps: 4000,
      audioOffInGroups: true,
      timeSyncRequired: true,
    }),
  ];
}

/** Requests by `own`'s administrator that name `foreign`'s objects in a body or a filter. */
function referenceProbes(own: KindergartenWorld, foreign: KindergartenWorld): Probe[] {
  return [
    probe('PATCH /api/admin/cameras/{id}', own.camera.id, { roomId: foreign.group.id }),
    probe('POST /api/admin/children/{id}/enrolments', own.child.id, {
      roomId: foreign.group.id,
      startDate: '2030-01-01',
    }),
    probe('PATCH /api/admin/enrolments/{id}', own.enrolment.id, { roomId: foreign.group.id }),
    probe('POST /api/admin/children/{id}/guardians', own.child.id, { personId: foreign.parent.id }),
    probe(
      'GET /api/admin/institutions/{id}/cameras',
      own.institution.id,
      undefined,
      `?roomId=${foreign.group.id}`,
    ),
    probe(
      'GET /api/admin/institutions/{id}/children',
      own.institution.id,
      undefined,
      `?roomId=${foreign.group.id}`,
    ),
    probe('GET /api/admin/persons', '', undefined, `?institutionId=${foreign.institution.id}`),
    probe(
      'GET /api/admin/role-bindings',
      '',
      undefined,
      `?scopeKind=institution&scopeId=${foreign.institution.id}`,
    ),
    probe('GET /api/admin/role-bindings', '', undefined, `?personId=${foreign.parent.id}`),
    probe('POST /api/admin/role-bindings', '', {
      personId: own.parent.id,
      role: 'kindergarten_admin',
      scopeKind: 'institution',
      scopeId: foreign.institution.id,
    }),
    probe('POST /api/admin/institutions', '', {
      regionId: foreign.region.id,
      kind: 'kindergarten',
      name: 'Intruder',
      timeZone: 'Europe/Moscow',
    }),
  ];
}

/** Unfiltered lists: answered, but without a trace of what is out of scope. */
const LIST_PROBES: Probe[] = [
  probe('GET /api/admin/regions', ''),
  probe('GET /api/admin/institutions', ''),
  probe('GET /api/admin/persons', ''),
  probe('GET /api/admin/role-bindings', ''),
  probe('GET /api/admin/connections', ''),
];

/**
 * Admin routes registered outside src/api/admin that name no stored object (nothing of B can be
 * reached through them): they are only checked to refuse parents and anonymous callers.
 */
const NO_OBJECT_ROUTES: Probe[] = [
  // src/api/camera-health.ts: probes a camera URL given in the body before it is saved
  probe('POST /api/admin/cameras/probe', '', { sourceUrl: 'demo:probe' }),
];

async function send(t: TestApp, s: TestSession | null, p: Probe) {
  const method = p.route.split(' ')[0] as 'GET' | 'POST' | 'PATCH' | 'DELETE';
  const headers: Record<string, string> = { ...(s?.headers ?? {}) };
  if (p.csv !== undefined) headers['content-type'] = 'text/csv';
  return t.app.inject({
    method,
    url: p.url,
    headers,
    ...(p.csv !== undefined
      ? { payload: p.csv }
      : p.payload !== undefined
        ? { payload: p.payload as object }
        : {}),
  });
}

/** Ids and names of a world that must never show up in another tenant's answers. */
function secretsOf(w: KindergartenWorld): string[] {
  return [
    w.institution.id,
    w.institution.name,
    w.group.id,
    w.group.name,
    w.bedroom.id,
    w.camera.id,
    w.camera.name,
    w.child.id,
    w.child.full_name,
    w.parent.id,
    w.parent.display_name,
    w.parent.subject,
    w.admin.id,
    w.adminBinding.id,
    w.guardianLink.id,
    w.subscription.id,
    w.enrolment.id,
    w.schedule.id,
    w.consent.id,
    w.closedDay.id,
  ];
}

for (const { name, open, skip } of testDatabases()) {
  describe(`admin API cross-tenant isolation on ${name}`, { skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let f: Factory;
    let a: KindergartenWorld;
    let b: KindergartenWorld;
    let adminA: TestSession;

    before(async () => {
      db = await open();
      t = await buildTestApp(db);
      f = new Factory(db.kysely);
      const region = await f.region({ name: 'City' });
      a = await f.kindergartenWorld(region.id, 'A');
      b = await f.kindergartenWorld(region.id, 'B');
      await seedCampaign(db, a);
      await seedCampaign(db, b);
      // The server's periodic consent sweep (every 60 s) settles new campaigns, writing consent
      // entries: settle them now, so a slow run does not see it inside "nothing changes".
      await sweepCampaigns({ db: db.kysely, clock: systemClock });
      adminA = await sessionFor(t, a.admin.id);
    });
    after(async () => {
      await t.close();
      await db.close();
    });

    test('every admin endpoint is probed by this suite', () => {
      const spec = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
      const routes = Object.entries(spec.paths)
        .filter(([path]) => path.startsWith('/api/admin/'))
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      const probed = new Set(
        [
          ...objectProbes(b),
          ...deleteProbes(b),
          ...regionProbes(b),
          ...referenceProbes(a, b),
          ...LIST_PROBES,
          ...NO_OBJECT_ROUTES,
        ].map((p) => p.route),
      );
      assert.ok(routes.length >= 50, `only ${routes.length} admin routes found`);
      assert.deepEqual(
        routes.filter((r) => !probed.has(r)),
        [],
        'admin routes without a cross-tenant probe',
      );
    });

    test("kindergarten A's administrator gets 404 for every object of kindergarten B, and nothing changes", async () => {
      const beforeDump = await dumpDatabase(db.kysely);
      const hidden = secretsOf(b);
      for (const p of [
        ...objectProbes(b),
        ...regionProbes(b),
        ...referenceProbes(a, b),
        ...deleteProbes(b),
      ]) {
        const res = await send(t, adminA, p);
        assert.equal(res.statusCode, 404, `${p.route} ${p.url}: ${res.body}`);
        assert.equal(res.json<{ code: string }>().code, 'not_found');
        for (const s of hidden) assert.ok(!res.body.includes(s), `${p.route} leaks ${s}`);
      }
      for (const p of LIST_PROBES) {
        const res = await send(t, adminA, p);
        assert.equal(res.statusCode, 200, p.route);
        for (const s of hidden) assert.ok(!res.body.includes(s), `${p.route} lists ${s}`);
      }
      assert.deepEqual(await dumpDatabase(db.kysely), beforeDump, 'kindergarten B (or anything) changed');
    });

    test('the same requests on A’s own objects are answered (the probes are well-formed)', async () => {
      // what a kindergarten administrator may not do to their own objects, and the clashes the probes cause
      const EXPECTED: Record<string, number> = {
        'PATCH /api/admin/institutions/{id}': 403, // the city's decision (tariff, pilot, time zone)
        'POST /api/admin/children/{id}/enrolments': 409, // overlaps the child's open enrolment
        'POST /api/admin/children/{id}/subscriptions': 409, // the parent is already subscribed
        'POST /api/admin/institutions/{id}/import': 200, // counts, not one new object
        'DELETE /api/admin/institutions/{id}': 403,
        'POST /api/admin/rooms/{id}/consents': 409, // the group's active consent campaign decides
        'POST /api/admin/rooms/{id}/consent-campaigns': 409, // the group already has an active campaign
        'POST /api/admin/consent-campaigns/{id}/remind': 200,
        'POST /api/admin/consent-campaigns/{id}/close': 200,
        'POST /api/admin/cameras/{id}/connection-check': 200, // checked: the camera did not answer
        'POST /api/admin/cameras/{id}/attestation': 400, // no picture with this hash was taken
        'POST /api/admin/cameras/{id}/attestation-snapshot': 503, // the test camera does not exist
        'POST /api/admin/institutions/{id}/go-live': 409, // not ready
      };
      for (const p of objectProbes(a)) {
        const res = await send(t, adminA, p);
        const expected = EXPECTED[p.route] ?? (p.route.startsWith('POST ') ? 201 : 200);
        assert.equal(res.statusCode, expected, `${p.route}: ${res.body}`);
      }
      // e.g. a camera moves to another room of its own kindergarten (never to one of another zone)
      const moved = await send(
        t,
        adminA,
        probe('PATCH /api/admin/cameras/{id}', a.camera.id, { roomId: a.bedroom.id }),
      );
      assert.equal(moved.statusCode, 409, moved.body);
      const filtered = await send(
        t,
        adminA,
        probe(
          'GET /api/admin/institutions/{id}/children',
          a.institution.id,
          undefined,
          `?roomId=${a.group.id}`,
        ),
      );
      assert.equal(filtered.statusCode, 200);
      // every deletion, each on a fresh kindergarten of the caller's own
      for (const route of deleteProbes(a).map((p) => p.route)) {
        const w = await f.kindergartenWorld(a.region.id);
        const s = await sessionFor(t, w.admin.id);
        const p = deleteProbes(w).find((x) => x.route === route)!;
        const res = await send(t, s, p);
        assert.equal(res.statusCode, EXPECTED[route] ?? 204, `${route}: ${res.body}`);
      }
      const operator = await sessionFor(t, (await f.staff('city_operator', 'region', a.region.id)).id);
      for (const p of regionProbes(a)) {
        const res = await send(t, operator, p);
        assert.equal(res.statusCode, 200, `${p.route}: ${res.body}`);
      }
    });

    test('an operator of another region gets 404 for everything in this one', async () => {
      const other = await f.region();
      const s = await sessionFor(t, (await f.staff('city_operator', 'region', other.id)).id);
      const beforeDump = await dumpDatabase(db.kysely);
      for (const p of [...objectProbes(b), ...regionProbes(b), ...deleteProbes(b)]) {
        const res = await send(t, s, p);
        assert.equal(res.statusCode, 404, `${p.route}: ${res.body}`);
      }
      assert.deepEqual(await dumpDatabase(db.kysely), beforeDump);
    });

    test('an auditor of the region reads everything and changes nothing', async () => {
      const s = await sessionFor(t, (await f.staff('auditor', 'region', b.region.id)).id);
      const beforeDump = await dumpDatabase(db.kysely);
      for (const p of [...objectProbes(b), ...regionProbes(b), ...deleteProbes(b)]) {
        const res = await send(t, s, p);
        const read = p.route.startsWith('GET ');
        assert.equal(res.statusCode, read ? 200 : 403, `${p.route}: ${res.body}`);
      }
      assert.deepEqual(await dumpDatabase(db.kysely), beforeDump);
    });

    test('a parent, an employee and an anonymous caller get nothing from the admin API', async () => {
      const parent = await sessionFor(t, b.parent.id);
      const office = await f.officeWorld(b.region.id);
      const employee = await sessionFor(t, office.employee.id);
      const beforeDump = await dumpDatabase(db.kysely);
      const all = [...objectProbes(b), ...regionProbes(b), ...deleteProbes(b), ...LIST_PROBES];
      for (const p of all) {
        for (const s of [parent, employee]) {
          const res = await send(t, s, p);
          assert.equal(res.statusCode, 403, `${p.route}: ${res.body}`);
          assert.equal(res.json<{ code: string }>().code, 'forbidden');
        }
        const anon = await send(t, null, p);
        assert.equal(anon.statusCode, 401, `${p.route}: ${anon.body}`);
      }
      for (const p of NO_OBJECT_ROUTES) {
        for (const s of [parent, employee]) {
          const res = await send(t, s, p);
          assert.ok([403, 404].includes(res.statusCode), `${p.route}: ${res.body}`);
        }
        assert.equal((await send(t, null, p)).statusCode, 401, p.route);
      }
      assert.deepEqual(await dumpDatabase(db.kysely), beforeDump);
    });
  });
}
