/**
 * Home inspections through the HTTP API on SQLite and PostgreSQL (issue 14): the specialist's flow
 * (start, chunked photo uploads, seal), resumable and idempotent uploads (a connection cut mid-chunk
 * on a real socket, the same photo twice), bad input (non-image, too large, truncated, wrong hash,
 * sealed, clocks far off), the office head's plan and detail, signed photo links and their audit,
 * verification failing after one flipped bit, corrections as new versions, and every role outside
 * the case refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  chmodSync,
  writeFileSync,
  existsSync,
  readdirSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { testDatabases, type TestDb } from '../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { Factory } from '../support/factory.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';
import type { Role } from '../../src/storage/schema.js';
import { sweepInspectionRetention } from '../../src/inspections/retention.js';
import { systemClock } from '../../src/shared/clock.js';

const REASON = 'Проверка жалобы № 17/2026 на условия проживания подопечного';

export async function testJpeg(seed: number, size = 640): Promise<Buffer> {
  const raw = Buffer.alloc(size * size * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = (x >> 16) & 0xff;
  }
  return sharp(raw, { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Ctx {
  db: TestDb;
  t: TestApp;
  dataDir: string;
  f: Factory;
  officeId: string;
  regionId: string;
  ids: Record<string, string>;
  spec: TestSession;
  head: TestSession;
}

async function personId(db: TestDb, subject: string): Promise<string> {
  return (
    await db.kysely
      .selectFrom('persons')
      .select('id')
      .where('subject', '=', subject)
      .executeTakeFirstOrThrow()
  ).id;
}

async function inspectionsOf(c: Ctx) {
  const r = await c.t.app.inject({ method: 'GET', url: '/api/inspections/mine', headers: c.spec.headers });
  assert.equal(r.statusCode, 200, r.body);
  return r.json<{
    items: { id: string; status: string; overdue: boolean; dueToday: boolean; case: { number: string } }[];
  }>().items;
}

function announce(c: Ctx, s: TestSession, id: string, photo: Buffer, extra: Record<string, unknown> = {}) {
  const now = new Date().toISOString();
  return c.t.app.inject({
    method: 'POST',
    url: `/api/inspections/${id}/uploads`,
    headers: s.headers,
    payload: {
      sha256: sha(photo),
      bytes: photo.length,
      category: 'living_conditions',
      live: true,
      deviceTakenAt: now,
      deviceNow: now,
      position: { latitude: 55.75, longitude: 37.61, accuracyM: 12 },
      ...extra,
    },
  });
}

function chunk(c: Ctx, s: TestSession, id: string, photo: Buffer, from: number, to: number) {
  return c.t.app.inject({
    method: 'PUT',
    url: `/api/inspections/${id}/uploads/${sha(photo)}?offset=${from}`,
    headers: { ...s.headers, 'content-type': 'application/octet-stream' },
    payload: photo.subarray(from, to),
  });
}

async function upload(c: Ctx, id: string, photo: Buffer, step = 100_000) {
  const a = await announce(c, c.spec, id, photo);
  assert.equal(a.statusCode, 200, a.body);
  let state = a.json<{ state: string; received: number; photoId?: string; duplicate?: boolean }>();
  while (state.state === 'partial') {
    const r = await chunk(
      c,
      c.spec,
      id,
      photo,
      state.received,
      Math.min(photo.length, state.received + step),
    );
    assert.equal(r.statusCode, 200, r.body);
    state = r.json();
  }
  return state;
}

function finish(c: Ctx, id: string, photos: Buffer[], s = c.spec) {
  const now = new Date().toISOString();
  return c.t.app.inject({
    method: 'POST',
    url: `/api/inspections/${id}/finish`,
    headers: s.headers,
    payload: {
      answers: { sleep: 'yes', food: 'no' },
      notes: 'Холодильник пуст',
      outcome: 'needs_attention',
      doneAt: now,
      deviceNow: now,
      photos: photos.map(sha),
    },
  });
}

for (const { name, open, skip } of testDatabases()) {
  describe(`home inspections on ${name}`, { skip }, () => {
    const c = {} as Ctx;
    before(async () => {
      c.db = await open();
      c.dataDir = mkdtempSync(path.join(tmpdir(), 'okno-insp-'));
      c.t = await buildTestApp(c.db, {
        overrides: { dataDir: c.dataDir, 'inspections.maxPhotoBytes': 2 * 1024 * 1024 },
      });
      const seeded = await seedDemo(c.db.kysely, devIssuer(c.t.config.publicUrl), new Date());
      c.regionId = seeded.regionId;
      c.officeId = (
        await c.db.kysely
          .selectFrom('institutions')
          .select('id')
          .where('kind', '=', 'office')
          .executeTakeFirstOrThrow()
      ).id;
      c.f = new Factory(c.db.kysely, devIssuer(c.t.config.publicUrl));
      c.spec = await sessionFor(c.t, await personId(c.db, 'demo-specialist'));
      c.head = await sessionFor(c.t, await personId(c.db, 'demo-office-head'));
      const items = await inspectionsOf(c);
      c.ids = {
        today: items.find((i) => i.dueToday)!.id,
        overdue: items.find((i) => i.overdue)!.id,
      };
    });
    after(async () => {
      await c.t.close();
      await c.db.close();
      rmSync(c.dataDir, { recursive: true, force: true });
    });

    test('the specialist sees overdue and today’s inspections; starts, uploads three photos, seals; the head sees them', async () => {
      const items = await inspectionsOf(c);
      assert.ok(items.some((i) => i.overdue) && items.some((i) => i.dueToday));
      const id = c.ids.today!;
      const start = await c.t.app.inject({
        method: 'POST',
        url: `/api/inspections/${id}/start`,
        headers: c.spec.headers,
        payload: {
          startedAt: new Date().toISOString(),
          position: { latitude: 55.75, longitude: 37.61, accuracyM: 20 },
        },
      });
      assert.equal(start.statusCode, 200, start.body);
      const photos = [await testJpeg(1), await testJpeg(2), await testJpeg(3)];
      for (const p of photos) assert.equal((await upload(c, id, p)).state, 'stored');
      const sealed = await finish(c, id, photos);
      assert.equal(sealed.statusCode, 200, sealed.body);
      assert.equal(sealed.json<{ version: number }>().version, 1);
      // A repeated «Завершить» (the phone lost the answer) is not an error.
      assert.equal((await finish(c, id, photos)).json<{ alreadySealed: boolean }>().alreadySealed, true);

      const plan = await c.t.app.inject({
        method: 'GET',
        url: '/api/inspections/plan',
        headers: c.head.headers,
      });
      assert.equal(plan.statusCode, 200, plan.body);
      const planBody = plan.json<{
        items: { id: string; overdue: boolean; status: string }[];
        totals: { done: number; overdue: number };
      }>();
      assert.equal(planBody.items[0]!.overdue, true, 'overdue first');
      assert.equal(planBody.totals.done, 1);

      const d = await c.t.app.inject({
        method: 'GET',
        url: `/api/inspections/${id}`,
        headers: c.head.headers,
      });
      assert.equal(d.statusCode, 200, d.body);
      const detail = d.json<{
        photos: {
          sha256: string;
          thumbUrl: string;
          originalUrl: string;
          live: boolean;
          position: unknown;
          serverReceivedAt: string;
        }[];
        verification: { state: string };
        answers: Record<string, string>;
        outcome: string;
      }>();
      assert.equal(detail.photos.length, 3);
      assert.equal(detail.verification.state, 'intact');
      assert.equal(detail.outcome, 'needs_attention');
      assert.deepEqual(new Set(detail.photos.map((p) => p.sha256)), new Set(photos.map(sha)));

      // The original comes back byte for byte through its link, for the head's own session only.
      const p0 = detail.photos[0]!;
      const img = await c.t.app.inject({
        method: 'GET',
        url: p0.originalUrl,
        headers: { cookie: c.head.cookie },
      });
      assert.equal(img.statusCode, 200);
      assert.equal(sha(img.rawPayload), p0.sha256);
      assert.equal(
        (await c.t.app.inject({ method: 'GET', url: p0.thumbUrl, headers: { cookie: c.spec.cookie } }))
          .statusCode,
        403,
      );
      assert.equal((await c.t.app.inject({ method: 'GET', url: p0.thumbUrl })).statusCode, 403);
      const at = p0.thumbUrl.length - 20; // inside the signature (its last character carries padding bits)
      const tampered =
        p0.thumbUrl.slice(0, at) + (p0.thumbUrl[at] === 'A' ? 'B' : 'A') + p0.thumbUrl.slice(at + 1);
      assert.equal(
        (await c.t.app.inject({ method: 'GET', url: tampered, headers: { cookie: c.head.cookie } }))
          .statusCode,
        403,
      );
      const views = await c.db.kysely
        .selectFrom('audit_log')
        .select(['action', 'actor_role'])
        .where('action', '=', 'inspection.photo.view')
        .execute();
      assert.equal(views.length, 1);
      assert.equal(views[0]!.actor_role, 'office_head');

      // A photo for a sealed inspection: refused, nothing stored.
      const late = await announce(c, c.spec, id, await testJpeg(4));
      assert.equal(late.statusCode, 409);
      assert.match(late.json<{ message: string }>().message, /sealed/);

      // One flipped bit in one stored original: verification says altered.
      const file = path.join(c.dataDir, 'inspections', 'originals', p0.sha256.slice(0, 2), p0.sha256);
      const bytes = readFileSync(file);
      bytes[bytes.length >> 1]! ^= 1;
      chmodSync(file, 0o644);
      writeFileSync(file, bytes);
      const again = await c.t.app.inject({
        method: 'GET',
        url: `/api/inspections/${id}`,
        headers: c.head.headers,
      });
      assert.equal(again.json<{ verification: { state: string } }>().verification.state, 'altered');
      bytes[bytes.length >> 1]! ^= 1;
      writeFileSync(file, bytes);

      // A correction is a new version with a reason; the old one stays.
      const noReason = await c.t.app.inject({
        method: 'POST',
        url: `/api/inspections/${id}/corrections`,
        headers: c.head.headers,
        payload: { reason: 'опечатка', outcome: 'satisfactory' },
      });
      assert.equal(noReason.statusCode, 400);
      const corr = await c.t.app.inject({
        method: 'POST',
        url: `/api/inspections/${id}/corrections`,
        headers: c.head.headers,
        payload: { reason: 'Продукты были в кладовой, специалист не увидел', outcome: 'satisfactory' },
      });
      assert.equal(corr.statusCode, 200, corr.body);
      const v2 = await c.t.app.inject({
        method: 'GET',
        url: `/api/inspections/${id}`,
        headers: c.head.headers,
      });
      const vb = v2.json<{
        versions: { version: number; outcome: string; reason: string | null }[];
        outcome: string;
        verification: { state: string };
      }>();
      assert.deepEqual(
        vb.versions.map((v) => [v.version, v.outcome]),
        [
          [1, 'needs_attention'],
          [2, 'satisfactory'],
        ],
      );
      assert.equal(vb.outcome, 'satisfactory');
      assert.equal(vb.verification.state, 'intact');
    });

    test('uploads resume after a connection cut mid-chunk, and the same photo twice is one photo', async () => {
      const id = c.ids.overdue!;
      const photo = await testJpeg(7, 900);
      assert.ok(photo.length > 300_000, `a test photo of ${photo.length} bytes`);
      assert.equal((await announce(c, c.spec, id, photo)).json<{ received: number }>().received, 0);
      assert.equal(
        (await chunk(c, c.spec, id, photo, 0, 100_000)).json<{ received: number }>().received,
        100_000,
      );

      // A real socket: the next chunk's request promises 100 000 bytes, sends 30 000 and dies.
      const addr = await c.t.app.listen({ port: 0, host: '127.0.0.1' });
      await new Promise<void>((resolve) => {
        const req = request(`${addr}/api/inspections/${id}/uploads/${sha(photo)}?offset=100000`, {
          method: 'PUT',
          headers: {
            ...c.spec.headers,
            'content-type': 'application/octet-stream',
            'content-length': '100000',
          },
        });
        req.on('error', () => resolve());
        req.write(photo.subarray(100_000, 130_000), () => setImmediate(() => (req.destroy(), resolve())));
      });
      // The server kept only whole chunks: it says where to go on.
      let status = { received: -1, state: '' };
      for (let i = 0; i < 50; i++) {
        status = (
          await c.t.app.inject({
            method: 'GET',
            url: `/api/inspections/${id}/uploads/${sha(photo)}`,
            headers: c.spec.headers,
          })
        ).json();
        if (status.received === 100_000) break;
      }
      assert.equal(status.received, 100_000);
      // A chunk at the wrong offset: told where the server is.
      const wrong = await chunk(c, c.spec, id, photo, 130_000, 200_000);
      assert.equal(wrong.statusCode, 409);
      assert.equal(wrong.json<{ details: { received: number } }>().details.received, 100_000);
      const done = await upload(c, id, photo);
      assert.equal(done.state, 'stored');
      assert.equal(done.duplicate, false);
      // The same photo again (announce and chunk): the stored one, no second row.
      const twice = await upload(c, id, photo);
      assert.equal(twice.duplicate, true);
      assert.equal(twice.photoId, done.photoId);
      const replay = await chunk(c, c.spec, id, photo, 0, 100_000);
      assert.equal(replay.json<{ state: string; duplicate: boolean }>().duplicate, true);
      const rows = await c.db.kysely
        .selectFrom('inspection_photos')
        .select('id')
        .where('inspection_id', '=', id)
        .execute();
      assert.equal(rows.length, 1);
    });

    test('bad input: each a clear answer, nothing half-stored', async () => {
      const id = c.ids.overdue!;
      const count = async () =>
        (
          await c.db.kysely
            .selectFrom('inspection_photos')
            .select('id')
            .where('inspection_id', '=', id)
            .execute()
        ).length;
      const before = await count();
      // Not an image.
      const text = Buffer.from('this is not a picture '.repeat(100));
      assert.equal((await announce(c, c.spec, id, text)).statusCode, 200);
      const notImage = await chunk(c, c.spec, id, text, 0, text.length);
      assert.equal(notImage.statusCode, 415, notImage.body);
      assert.equal(
        (
          await c.t.app.inject({
            method: 'GET',
            url: `/api/inspections/${id}/uploads/${sha(text)}`,
            headers: c.spec.headers,
          })
        ).statusCode,
        404,
      );
      assert.equal(
        existsSync(path.join(c.dataDir, 'inspections', 'originals', sha(text).slice(0, 2), sha(text))),
        false,
      );
      // Too large (the limit is 2 MB here): refused before any byte.
      const huge = await announce(c, c.spec, id, Buffer.alloc(1), {
        bytes: 3 * 1024 * 1024,
        sha256: 'a'.repeat(64),
      });
      assert.equal(huge.statusCode, 413);
      // A chunk larger than the route takes.
      const big = await c.t.app.inject({
        method: 'PUT',
        url: `/api/inspections/${id}/uploads/${'b'.repeat(64)}?offset=0`,
        headers: { ...c.spec.headers, 'content-type': 'application/octet-stream' },
        payload: Buffer.alloc(1024 * 1024 + 1),
      });
      assert.equal(big.statusCode, 413);
      // Bytes that do not match the announced hash.
      const photo = await testJpeg(11);
      const liar = Buffer.from(photo);
      liar[liar.length - 10]! ^= 0xff;
      assert.equal((await announce(c, c.spec, id, liar, { sha256: sha(photo) })).statusCode, 200);
      const mismatch = await c.t.app.inject({
        method: 'PUT',
        url: `/api/inspections/${id}/uploads/${sha(photo)}?offset=0`,
        headers: { ...c.spec.headers, 'content-type': 'application/octet-stream' },
        payload: liar,
      });
      assert.equal(mismatch.statusCode, 400);
      assert.equal(mismatch.json<{ details: { reason: string } }>().details.reason, 'hash_mismatch');
      // More bytes than announced.
      const short = await testJpeg(12);
      assert.equal((await announce(c, c.spec, id, short, { bytes: 100 })).statusCode, 200);
      assert.equal(
        (
          await c.t.app.inject({
            method: 'PUT',
            url: `/api/inspections/${id}/uploads/${sha(short)}?offset=0`,
            headers: { ...c.spec.headers, 'content-type': 'application/octet-stream' },
            payload: short.subarray(0, 200),
          })
        ).statusCode,
        400,
      );
      // A truncated upload never becomes a photo: sealing with it waiting is refused and names it.
      const trunc = await testJpeg(13);
      assert.equal((await announce(c, c.spec, id, trunc)).statusCode, 200);
      assert.equal((await chunk(c, c.spec, id, trunc, 0, 1000)).json<{ state: string }>().state, 'partial');
      const early = await finish(c, id, [trunc]);
      assert.equal(early.statusCode, 409);
      assert.deepEqual(early.json<{ details: { missing: string[] } }>().details.missing, [sha(trunc)]);
      // A phone whose clock is days off: refused with the reason; minutes off: stored and flagged.
      const off = await announce(c, c.spec, id, await testJpeg(14), {
        deviceNow: new Date(Date.now() - 5 * 86400_000).toISOString(),
      });
      assert.equal(off.statusCode, 400);
      assert.equal(off.json<{ details: { reason: string } }>().details.reason, 'clock_off');
      const skewed = await testJpeg(15);
      const tenMinAgo = new Date(Date.now() - 600_000).toISOString();
      assert.equal(
        (await announce(c, c.spec, id, skewed, { deviceNow: tenMinAgo, deviceTakenAt: tenMinAgo }))
          .statusCode,
        200,
      );
      const flagged = await chunk(c, c.spec, id, skewed, 0, skewed.length);
      assert.equal(flagged.json<{ clockSkewFlagged: boolean }>().clockSkewFlagged, true);
      const alerts = await c.db.kysely
        .selectFrom('alerts')
        .select('kind')
        .where('kind', '=', 'inspection.clock_skew')
        .execute();
      assert.equal(alerts.length, 1);
      assert.equal(await count(), before + 1, 'only the skewed photo was stored');
      const parts = readdirSync(path.join(c.dataDir, 'inspections', 'uploads'));
      assert.deepEqual(
        parts.filter((p) => p.includes(sha(text)) || p.includes(sha(photo))),
        [],
      );
    });

    test('every role outside the case is refused; inspectors state a reason', async () => {
      const id = c.ids.overdue!;
      const other = await c.f.institution(c.regionId, { kind: 'office' });
      const kg = await c.db.kysely
        .selectFrom('institutions')
        .select('id')
        .where('kind', '=', 'kindergarten')
        .executeTakeFirstOrThrow();
      const room = await c.db.kysely
        .selectFrom('rooms')
        .select('id')
        .where('institution_id', '=', kg.id)
        .executeTakeFirstOrThrow();
      const outsiders: [string, Role | null, 'region' | 'institution' | 'room', string][] = [
        ['another specialist of the same office', 'specialist', 'institution', c.officeId],
        ['a specialist of another office', 'specialist', 'institution', other.id],
        ['the head of another office', 'office_head', 'institution', other.id],
        ['an employee of the office', 'employee', 'institution', c.officeId],
        ['reception of the office', 'reception', 'institution', c.officeId],
        ['the regional operator', 'regional_operator', 'region', c.regionId],
        ['an auditor', 'auditor', 'region', c.regionId],
        ['the city operator', 'city_operator', 'region', c.regionId],
        ['a kindergarten administrator', 'kindergarten_admin', 'institution', kg.id],
        ['a teacher', 'teacher', 'room', room.id],
        ['an education officer', 'education_officer', 'region', c.regionId],
        ['a parent (no role)', null, 'region', c.regionId],
      ];
      const photo = await testJpeg(21);
      for (const [who, role, scopeKind, scopeId] of outsiders) {
        const p = await c.f.person();
        if (role) await c.f.bind(p.id, role, scopeKind, scopeId);
        const s = await sessionFor(c.t, p.id);
        const read = await c.t.app.inject({
          method: 'GET',
          url: `/api/inspections/${id}?reason=${encodeURIComponent(REASON)}`,
          headers: s.headers,
        });
        assert.equal(read.statusCode, 404, `${who} reads: ${read.body}`);
        const up = await announce(c, s, id, photo);
        assert.equal(up.statusCode, 404, `${who} uploads`);
        const st = await c.t.app.inject({
          method: 'POST',
          url: `/api/inspections/${id}/start`,
          headers: s.headers,
          payload: { startedAt: new Date().toISOString() },
        });
        assert.equal(st.statusCode, 404, `${who} starts`);
        const fin = await finish(c, id, [], s);
        assert.equal(fin.statusCode, 404, `${who} seals`);
      }
      // The demo inspector: refused without a reason, allowed with one (audited with it), never writes.
      const insp = await sessionFor(c.t, await personId(c.db, 'demo-inspector'));
      const bare = await c.t.app.inject({
        method: 'GET',
        url: `/api/inspections/${id}`,
        headers: insp.headers,
      });
      assert.equal(bare.statusCode, 403);
      assert.equal(bare.json<{ details: { reason: string } }>().details.reason, 'reason_required');
      const withReason = await c.t.app.inject({
        method: 'GET',
        url: `/api/inspections/${id}?reason=${encodeURIComponent(REASON)}`,
        headers: insp.headers,
      });
      assert.equal(withReason.statusCode, 200, withReason.body);
      const entry = await c.db.kysely
        .selectFrom('audit_log')
        .select(['reason', 'actor_role'])
        .where('action', '=', 'inspection.view')
        .where('actor_role', '=', 'inspector')
        .executeTakeFirstOrThrow();
      assert.equal(entry.reason, REASON);
      assert.equal((await announce(c, insp, id, photo)).statusCode, 404);
      // The plan is the office head's.
      assert.equal(
        (await c.t.app.inject({ method: 'GET', url: '/api/inspections/plan', headers: insp.headers }))
          .statusCode,
        403,
      );
    });
    test('retention deletes photos of a long-closed case unless a legal hold keeps them', async () => {
      const id = c.ids.today!;
      const ins = await c.db.kysely
        .selectFrom('inspections')
        .select('case_id')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const photos = await c.db.kysely
        .selectFrom('inspection_photos')
        .select(['sha256'])
        .where('inspection_id', '=', id)
        .execute();
      assert.equal(photos.length, 3);
      const closedOn = new Date(Date.now() - 6 * 365 * 86400_000).toISOString().slice(0, 10);
      await c.db.kysely
        .updateTable('guardianship_cases')
        .set({ closed_on: closedOn })
        .where('id', '=', ins.case_id)
        .execute();
      const hold = {
        id: '00000000-0000-4000-8000-000000000001',
        case_id: ins.case_id,
        reason: 'суд',
        placed_by: 'test',
        placed_at: new Date().toISOString(),
        lifted_by: null,
        lifted_at: null,
      };
      await c.db.kysely.insertInto('inspection_holds').values(hold).execute();
      assert.deepEqual((await sweepInspectionRetention(c.db.kysely, systemClock, c.dataDir)).purged, []);
      await c.db.kysely
        .updateTable('inspection_holds')
        .set({ lifted_at: new Date().toISOString(), lifted_by: 'test' })
        .where('id', '=', hold.id)
        .execute();
      assert.equal((await sweepInspectionRetention(c.db.kysely, systemClock, c.dataDir)).purged.length, 3);
      for (const p of photos)
        assert.equal(
          existsSync(path.join(c.dataDir, 'inspections', 'originals', p.sha256.slice(0, 2), p.sha256)),
          false,
        );
      const d = await c.t.app.inject({
        method: 'GET',
        url: `/api/inspections/${id}`,
        headers: c.head.headers,
      });
      const body = d.json<{
        photos: { purged: boolean; thumbUrl: string | null }[];
        verification: { state: string };
      }>();
      assert.ok(body.photos.every((p) => p.purged && p.thumbUrl === null));
      assert.equal(body.verification.state, 'intact', 'the record says the photos were deleted by retention');
    });
  });
}
