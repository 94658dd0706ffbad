/**
 * Citizens' requests through the real app, real databases and the real pipeline: a clip made by
 * ffmpeg (video and audio) is ingested through the real recorder; privacy masks and a request are
 * made over HTTP; the package is produced by re-encoding with ffmpeg; then the exported clip is
 * MEASURED — pixel variance inside the mask ≈ 0, the rest of the picture not uniform, the blurred
 * region smoother than it was, the frame size unchanged, audio removed (or kept) as asked — and
 * `okno export verify` accepts the package, before and after the hand-over receipt is added.
 *
 * Also: authorization (employees and other offices), bad input (clear errors, nothing changed), the
 * four-eyes approval, and the employee's transparency view.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { testDatabases, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../../support/app.js';
import { Factory, type OfficeWorld } from '../../support/factory.js';
import { CameraRecorder } from '../../../src/recording/recorder.js';
import { Fmp4Parser } from '../../../src/media/fmp4.js';
import { loadExportPublicKey } from '../../../src/recording/export-key.js';
import { verifyExportPackage } from '../../../src/recording/export.js';
import { FakeClock } from '../../unit/recording/helpers.js';

const execFileAsync = promisify(execFile);
const W = 640;
const H = 360;
const MASK = { x: 0.1, y: 0.1, w: 0.3, h: 0.4 };
const REGION = { x: 0.55, y: 0.55, w: 0.35, h: 0.4 };
const REASON = 'Жалоба 17/2026: проверка приёма на рабочем месте 1';

/** Frames of a rectangle of a video as 8-bit luma, one Buffer per frame. */
async function lumaFrames(file: string, x: number, y: number, w: number, h: number): Promise<Buffer[]> {
  const { stdout } = await execFileAsync(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-vf', `crop=${w}:${h}:${x}:${y},format=gray`, '-f', 'rawvideo', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const size = w * h;
  const frames: Buffer[] = [];
  for (let o = 0; o + size <= stdout.length; o += size) frames.push(stdout.subarray(o, o + size));
  return frames;
}
function variance(b: Buffer): number {
  let s = 0;
  let s2 = 0;
  for (const v of b) {
    s += v;
    s2 += v * v;
  }
  const m = s / b.length;
  return s2 / b.length - m * m;
}
/** Mean absolute difference of horizontally adjacent pixels: the picture's fine detail. */
function detail(b: Buffer, w: number): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < b.length; i++)
    if (i % w !== w - 1) {
      d += Math.abs(b[i]! - b[i + 1]!);
      n++;
    }
  return d / n;
}
/** Pixel box of a 0..1 rectangle, shrunk by `inset` pixels on every side. */
function px(r: typeof MASK, inset: number): [number, number, number, number] {
  const x = Math.ceil(r.x * W) + inset;
  const y = Math.ceil(r.y * H) + inset;
  const w = Math.floor((r.x + r.w) * W) - inset - x;
  const h = Math.floor((r.y + r.h) * H) - inset - y;
  return [x & ~1, y & ~1, w & ~1, h & ~1];
}
async function streams(file: string): Promise<{ codec_type: string; width?: number; height?: number }[]> {
  const { stdout } = await execFileAsync('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_type,width,height',
    '-of',
    'json',
    file,
  ]);
  return (JSON.parse(stdout) as { streams: { codec_type: string; width?: number; height?: number }[] })
    .streams;
}

for (const d of testDatabases()) {
  describe(`citizens' requests with the real pipeline (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let dataDir: string;
    let work: string;
    let t: TestApp;
    let w: OfficeWorld;
    let other: OfficeWorld;
    let head: TestSession;
    let operator: TestSession;
    let inspector: TestSession;
    let employee: TestSession;
    let otherHead: TestSession;
    let cameraId: string;
    let recordedFrom: number;
    let recordedTo: number;
    let source: string;

    before(async () => {
      db = await d.open();
      dataDir = await mkdtemp(path.join(tmpdir(), 'okno-citizen-'));
      work = path.join(dataDir, 'work');
      await mkdir(work);
      t = await buildTestApp(db, { overrides: { dataDir } });
      const f = new Factory(db.kysely);
      const region = await f.region();
      w = await f.officeWorld(region.id);
      other = await f.officeWorld(region.id);
      cameraId = w.camera.id;
      head = await sessionFor(t, w.head.id);
      operator = await sessionFor(
        t,
        (await f.staff('regional_operator', 'region', region.id, { display_name: 'Оператор Региона' })).id,
      );
      inspector = await sessionFor(
        t,
        (await f.staff('inspector', 'institution', w.institution.id, { display_name: 'Инспектор Петрова' }))
          .id,
      );
      employee = await sessionFor(t, w.employee.id);
      otherHead = await sessionFor(t, other.head.id);

      // A real H.264 + AAC clip (6 s), fragmented like the camera pipeline's output, through the recorder.
      source = path.join(work, 'source.mp4');
      await execFileAsync('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${W}x${H}:rate=25:duration=6`,
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=6',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-g',
        '25',
        '-bf',
        '0',
        '-c:a',
        'aac',
        '-f',
        'mp4',
        '-movflags',
        '+frag_keyframe+empty_moov+default_base_moof',
        '-frag_duration',
        '200000',
        source,
      ]);
      const items = new Fmp4Parser().push(await readFile(source));
      const init = items[0]?.type === 'init' ? items[0].init : undefined;
      assert.ok(init, 'init segment');
      assert.ok(
        init.tracks.some((x) => x.kind === 'audio'),
        'the source has audio',
      );
      const clock = new FakeClock(Date.now() - 30_000);
      recordedFrom = clock.ms;
      const rec = new CameraRecorder({
        cameraId,
        root: t.ctx.recording.root,
        repo: t.ctx.recording.repo,
        clock,
        segmentMs: 4000,
        syncIntervalMs: 500,
        preRollMs: 6000,
      });
      await rec.load();
      rec.setWanted(true, false);
      rec.onInit(init);
      for (const it of items)
        if (it.type === 'fragment') {
          const fr = it.fragment;
          clock.advance(fr.durationTicks && fr.timescale ? (fr.durationTicks * 1000) / fr.timescale : 200);
          rec.onFragment(fr);
        }
      await rec.close();
      recordedTo = clock.ms;
    });
    after(async () => {
      await t.close();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    const send = (method: 'POST' | 'PUT' | 'GET', s: TestSession, url: string, payload?: unknown) =>
      t.app.inject({
        method,
        url,
        headers: s.headers,
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
    const count = async (table: 'citizen_requests' | 'privacy_masks') =>
      Number(
        (
          await db.kysely
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const audits = (action: string) =>
      db.kysely.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();
    const range = () => ({
      from: new Date(recordedFrom).toISOString(),
      to: new Date(recordedTo).toISOString(),
    });
    async function produced(id: string): Promise<{ status: string; productionError: string | null }> {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const r = await send('GET', head, `/api/citizen-requests/${id}`);
        const v = r.json<{ status: string; productionError: string | null }>();
        if (v.status !== 'producing' || Date.now() > deadline) return v;
        await new Promise((res) => setTimeout(res, 200));
      }
    }
    async function extract(tarBytes: Buffer, name: string): Promise<string> {
      const dir = path.join(work, name);
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, 'package.tar');
      await writeFile(file, tarBytes);
      await execFileAsync('tar', ['-xf', file, '-C', dir]);
      return dir;
    }

    test('privacy masks: office head only, bad rectangles refused with nothing changed, audited', async () => {
      const url = `/api/privacy-masks/${cameraId}`;
      assert.equal((await send('PUT', employee, url, { masks: [MASK] })).statusCode, 404);
      assert.equal((await send('PUT', otherHead, url, { masks: [MASK] })).statusCode, 404);
      assert.equal((await send('PUT', inspector, url, { masks: [MASK] })).statusCode, 404);
      const ok = await send('PUT', head, url, { masks: [{ ...MASK, label: 'соседний стол' }] });
      assert.equal(ok.statusCode, 200, ok.body);
      for (const [bad, message] of [
        [{ x: 1.2, y: 0, w: 0.1, h: 0.1 }, /mask 1: x and y must be between 0 and 1/],
        [{ x: 0.1, y: 0.1, w: 0, h: 0.2 }, /mask 1: width and height must be above 0/],
        [{ x: 0.8, y: 0.1, w: 0.3, h: 0.2 }, /mask 1: goes past the edge of the picture/],
      ] as const) {
        const r = await send('PUT', head, url, { masks: [MASK, bad].reverse() });
        assert.equal(r.statusCode, 400, r.body);
        assert.match(r.json<{ message: string }>().message, message);
      }
      const now = await send('GET', head, url);
      assert.deepEqual(
        now.json<{ masks: unknown[] }>().masks,
        [{ ...MASK, label: 'соседний стол' }],
        'the refused saves changed nothing',
      );
      const [entry, ...rest] = await audits('privacy_mask.update');
      assert.equal(rest.length, 0);
      assert.deepEqual(JSON.parse(entry!.details!), {
        before: [],
        after: [{ ...MASK, label: 'соседний стол' }],
      });
      assert.equal(entry!.actor_role, 'office_head');

      const snap = await send('GET', head, `${url}/snapshot.jpg`);
      assert.equal(snap.statusCode, 200, snap.body);
      assert.deepEqual([...snap.rawPayload.subarray(0, 3)], [0xff, 0xd8, 0xff]);
      assert.equal((await send('GET', employee, `${url}/snapshot.jpg`)).statusCode, 404);
      assert.equal((await audits('privacy_mask.snapshot')).length, 1);
    });

    test('requests: employees and other offices refused, bad input explained, nothing changed', async () => {
      const body = {
        cameraId,
        ...range(),
        reference: '17-12/345',
        receivedOn: '2026-03-02',
        keepAudio: false,
      };
      assert.equal((await send('POST', employee, '/api/citizen-requests', body)).statusCode, 404);
      assert.equal((await send('POST', otherHead, '/api/citizen-requests', body)).statusCode, 404);
      assert.equal(
        (await send('POST', operator, '/api/citizen-requests', body)).statusCode,
        403,
        'the regional operator approves, never requests',
      );
      const inverted = await send('POST', head, '/api/citizen-requests', {
        ...body,
        from: body.to,
        to: body.from,
      });
      assert.equal(inverted.statusCode, 400);
      assert.match(inverted.json<{ message: string }>().message, /end of the range must be after its start/);
      const outside = await send('POST', head, '/api/citizen-requests', {
        ...body,
        regions: [{ x: 0.5, y: 0.5, w: 0.6, h: 0.1 }],
      });
      assert.equal(outside.statusCode, 400);
      assert.match(outside.json<{ message: string }>().message, /region 1: goes past the edge/);
      const badDate = await send('POST', head, '/api/citizen-requests', {
        ...body,
        receivedOn: '02.03.2026',
      });
      assert.equal(badDate.statusCode, 400);
      assert.equal(await count('citizen_requests'), 0, 'nothing was created');
      assert.equal((await audits('citizen_request.create')).length, 0);
      assert.equal(
        (await send('GET', employee, '/api/citizen-requests')).json<{ items: [] }>().items.length,
        0,
      );
    });

    let firstId: string;
    test('a masked export: the mask uniform, the rest not, the size kept, audio removed; verify passes', async (tc) => {
      const created = await send('POST', head, '/api/citizen-requests', {
        cameraId,
        ...range(),
        reference: '17-12/345',
        receivedOn: '2026-03-02',
        note: 'гражданин просит запись своего приёма',
        regions: [REGION],
        regionStyle: 'blur',
        keepAudio: false,
      });
      assert.equal(created.statusCode, 200, created.body);
      const req = created.json<{ id: string; status: string; may: { approve: boolean } }>();
      firstId = req.id;
      assert.equal(req.status, 'pending');
      assert.equal(req.may.approve, false, 'not for the one who asked');

      assert.equal((await send('POST', head, `/api/citizen-requests/${req.id}/produce`)).statusCode, 409);
      const self = await send('POST', head, `/api/citizen-requests/${req.id}/approve`, {});
      assert.equal(self.statusCode, 403);
      assert.match(self.json<{ message: string }>().message, /second person/);
      assert.equal(
        (await send('POST', employee, `/api/citizen-requests/${req.id}/approve`, {})).statusCode,
        404,
      );
      assert.equal(
        (await send('POST', otherHead, `/api/citizen-requests/${req.id}/approve`, {})).statusCode,
        404,
      );
      const approved = await send('POST', operator, `/api/citizen-requests/${req.id}/approve`, {
        note: 'основание проверено',
      });
      assert.equal(approved.statusCode, 200, approved.body);
      assert.equal(approved.json<{ status: string }>().status, 'approved');

      const started = await send('POST', head, `/api/citizen-requests/${req.id}/produce`);
      assert.equal(started.statusCode, 202, started.body);
      const done = await produced(req.id);
      assert.equal(done.status, 'produced', done.productionError ?? '');

      const dl = await send('GET', head, `/api/citizen-requests/${req.id}/package`);
      assert.equal(dl.statusCode, 200, dl.body);
      assert.equal((await send('GET', employee, `/api/citizen-requests/${req.id}/package`)).statusCode, 404);
      const dir = await extract(dl.rawPayload, 'first');
      const clip = path.join(dir, 'clip.mp4');

      const s = await streams(clip);
      assert.deepEqual(
        s.map((x) => [x.codec_type, x.width, x.height]),
        [['video', W, H]],
        'frame size unchanged, no audio stream',
      );
      const [mx, my, mw, mh] = px(MASK, 4);
      const inside = await lumaFrames(clip, mx, my, mw, mh);
      assert.ok(inside.length >= 100, `${inside.length} frames`);
      const maxInside = Math.max(...inside.map(variance));
      tc.diagnostic(`variance inside the mask: max ${maxInside.toFixed(3)} over ${inside.length} frames`);
      assert.ok(maxInside < 0.5, `the mask is uniform (variance ${maxInside})`);
      // The top right quarter is neither masked nor blurred: the picture is still there.
      const outside = await lumaFrames(clip, 360, 20, 240, 150);
      const minOutside = Math.min(...outside.map(variance));
      tc.diagnostic(`variance outside: min ${minOutside.toFixed(1)}`);
      assert.ok(minOutside > 100, `the rest is not uniform (variance ${minOutside})`);
      const [rx, ry, rw, rh] = px(REGION, 4);
      const blurred = await lumaFrames(clip, rx, ry, rw, rh);
      const original = await lumaFrames(source, rx, ry, rw, rh);
      const avg = (fs: Buffer[]) => fs.reduce((n, b) => n + detail(b, rw), 0) / fs.length;
      tc.diagnostic(`detail in the region: ${avg(original).toFixed(2)} → ${avg(blurred).toFixed(2)}`);
      assert.ok(avg(blurred) < avg(original) * 0.25, 'the extra region is blurred strongly');

      const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as {
        masking: { masks: unknown[]; regions: unknown[]; audio: string };
        custody: {
          request: { reference: string };
          requested: { displayName: string; role: string };
          approved: { displayName: string; role: string; note: string };
          produced: { displayName: string };
        };
        source: { sha256: string };
        segments: unknown[];
      };
      assert.deepEqual(manifest.masking.masks, [MASK]);
      assert.deepEqual(manifest.masking.regions, [REGION]);
      assert.equal(manifest.masking.audio, 'removed');
      assert.equal(manifest.custody.request.reference, '17-12/345');
      assert.equal(manifest.custody.requested.role, 'office_head');
      assert.equal(manifest.custody.approved.displayName, 'Оператор Региона');
      assert.equal(manifest.custody.approved.role, 'regional_operator');
      assert.equal(manifest.custody.approved.note, 'основание проверено');
      assert.match(manifest.source.sha256, /^[0-9a-f]{64}$/);
      assert.ok(manifest.segments.length >= 1);

      const key = loadExportPublicKey(dataDir);
      assert.equal((await verifyExportPackage(path.join(dir, 'package.tar'), key)).ok, true);
      assert.deepEqual(
        (await audits('citizen_request.produce')).map((a) => [a.decision, a.actor_role]),
        [['allow', 'office_head']],
      );

      // The hand-over: a signed receipt added to the package, verified with it.
      assert.equal(
        (await send('POST', head, `/api/citizen-requests/${req.id}/handover`, { handedTo: ' ' })).statusCode,
        400,
      );
      const handed = await send('POST', head, `/api/citizen-requests/${req.id}/handover`, {
        handedTo: 'Иванов И. И., паспорт 4510 123456',
        note: 'на флеш-накопителе',
      });
      assert.equal(handed.statusCode, 200, handed.body);
      assert.equal(handed.json<{ status: string }>().status, 'handed_over');
      assert.equal(
        (await send('POST', head, `/api/citizen-requests/${req.id}/handover`, { handedTo: 'x' })).statusCode,
        409,
      );
      const final = await send('GET', head, `/api/citizen-requests/${req.id}/package`);
      const finalFile = path.join(work, 'final.tar');
      await writeFile(finalFile, final.rawPayload);
      const v = await verifyExportPackage(finalFile, key);
      assert.equal(v.ok, true, v.problems.join('; '));
      assert.equal(v.handover?.handedTo, 'Иванов И. И., паспорт 4510 123456');
      const bad = Buffer.from(final.rawPayload);
      const at = bad.indexOf('Иванов');
      bad[at + 1]! ^= 0x01;
      await writeFile(path.join(work, 'bad.tar'), bad);
      const tampered = await verifyExportPackage(path.join(work, 'bad.tar'), key);
      assert.equal(tampered.ok, false);
      assert.match(tampered.problems.join('\n'), /handover\.json or handover\.sig: altered/);

      if (d.name !== 'sqlite') return;
      const pem = path.join(work, 'site.pem');
      const pub = await execFileAsync(process.execPath, ['bin/okno.js', 'export', 'public-key'], {
        env: { ...process.env, OKNO_DATA_DIR: dataDir },
      });
      await writeFile(pem, pub.stdout);
      for (const file of [path.join(dir, 'package.tar'), finalFile]) {
        const out = await execFileAsync(
          process.execPath,
          ['bin/okno.js', 'export', 'verify', file, '--public-key', pem],
          {
            env: { ...process.env, OKNO_DATA_DIR: dataDir },
          },
        );
        assert.match(out.stdout, /^export intact\n/);
        assert.match(out.stdout, /citizen's request 17-12\/345/);
      }
    });

    test('audio kept when the request says so; fill instead of blur', async () => {
      const created = await send('POST', head, '/api/citizen-requests', {
        cameraId,
        ...range(),
        reference: '17-12/346',
        receivedOn: '2026-03-03',
        regions: [REGION],
        regionStyle: 'fill',
        keepAudio: true,
      });
      assert.equal(created.statusCode, 200, created.body);
      const { id } = created.json<{ id: string }>();
      assert.equal((await send('POST', operator, `/api/citizen-requests/${id}/approve`, {})).statusCode, 200);
      assert.equal((await send('POST', operator, `/api/citizen-requests/${id}/produce`)).statusCode, 202);
      assert.equal((await produced(id)).status, 'produced');
      const dl = await send('GET', head, `/api/citizen-requests/${id}/package`);
      const dir = await extract(dl.rawPayload, 'second');
      const clip = path.join(dir, 'clip.mp4');
      assert.deepEqual(
        (await streams(clip)).map((x) => x.codec_type).sort(),
        ['audio', 'video'],
        'audio kept',
      );
      const [rx, ry, rw, rh] = px(REGION, 4);
      const filled = await lumaFrames(clip, rx, ry, rw, rh);
      assert.ok(Math.max(...filled.map(variance)) < 0.5, 'the region is filled, uniform');
    });

    test('two servers on one database: the other sees it being produced and cannot start it again; a dead server’s production may be redone', async () => {
      const t2 = await buildTestApp(db, { overrides: { dataDir } });
      try {
        const head2 = await sessionFor(t2, w.head.id);
        const view = async (app: TestApp, s: TestSession, id: string) =>
          (await app.app.inject({ url: `/api/citizen-requests/${id}`, headers: s.headers })).json<{
            status: string;
            productionError: string | null;
            may: { produce: boolean };
          }>();
        const request = async (reference: string) => {
          const created = await send('POST', head, '/api/citizen-requests', {
            cameraId,
            ...range(),
            reference,
            receivedOn: '2026-03-04',
            regions: [REGION],
            regionStyle: 'fill',
            keepAudio: false,
          });
          assert.equal(created.statusCode, 200, created.body);
          const { id } = created.json<{ id: string }>();
          assert.equal(
            (await send('POST', operator, `/api/citizen-requests/${id}/approve`, {})).statusCode,
            200,
          );
          return id;
        };

        // Server 1 produces; server 2 sees it running, offers no «Подготовить», refuses to start it.
        const id = await request('17-12/347');
        assert.equal((await send('POST', head, `/api/citizen-requests/${id}/produce`)).statusCode, 202);
        const seen = await view(t2, head2, id);
        assert.deepEqual([seen.status, seen.may.produce], ['producing', false]);
        const again = await t2.app.inject({
          method: 'POST',
          url: `/api/citizen-requests/${id}/produce`,
          headers: head2.headers,
        });
        assert.equal(again.statusCode, 409, again.body);
        assert.equal((await produced(id)).status, 'produced');
        assert.equal((await view(t2, head2, id)).status, 'produced');
        assert.equal(
          (await audits('citizen_request.produce')).filter((a) => a.details?.includes(id)).length,
          1,
        );

        // A server died while producing: the row still says so, its lease lapsed a second ago.
        const orphan = await request('17-12/348');
        await db.kysely
          .updateTable('citizen_requests')
          .set({ status: 'producing' })
          .where('id', '=', orphan)
          .execute();
        const lease = {
          name: `citizen_request.produce:${orphan}`,
          holder: 'a-server-that-died',
          acquired_at: new Date(Date.now() - 61_000).toISOString(),
          expires_at: new Date(Date.now() - 1_000).toISOString(),
        };
        await db.kysely.insertInto('leases').values(lease).execute();
        const dead = await view(t2, head2, orphan);
        assert.deepEqual([dead.status, dead.may.produce], ['failed', true]);
        assert.match(dead.productionError ?? '', /прервано/);
        // …whereas a lease still running (a live server elsewhere) keeps it «producing».
        await db.kysely
          .updateTable('leases')
          .set({ expires_at: new Date(Date.now() + 30_000).toISOString() })
          .where('name', '=', lease.name)
          .execute();
        assert.deepEqual(
          [(await view(t2, head2, orphan)).status, (await view(t, head, orphan)).may.produce],
          ['producing', false],
        );
        // Once it lapses, server 2 produces it.
        await db.kysely
          .updateTable('leases')
          .set({ expires_at: new Date(Date.now() - 1_000).toISOString() })
          .where('name', '=', lease.name)
          .execute();
        const redo = await t2.app.inject({
          method: 'POST',
          url: `/api/citizen-requests/${orphan}/produce`,
          headers: head2.headers,
        });
        assert.equal(redo.statusCode, 202, redo.body);
        assert.equal((await produced(orphan)).status, 'produced');
        // The lease is given up once the production's last step (after the status) is done.
        const leaseRow = () =>
          db.kysely.selectFrom('leases').select('name').where('name', '=', lease.name).executeTakeFirst();
        for (let i = 0; i < 50 && (await leaseRow()); i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(await leaseRow(), undefined, 'released');
      } finally {
        await t2.close();
      }
    });

    test('the database itself refuses a self-approval and a mask outside the picture', async () => {
      const row = await db.kysely
        .selectFrom('citizen_requests')
        .selectAll()
        .where('reference', '=', '17-12/345')
        .executeTakeFirstOrThrow();
      await assert.rejects(
        db.kysely
          .insertInto('citizen_requests')
          .values({ ...row, id: crypto.randomUUID(), decided_by: row.requested_by })
          .execute(),
        'four eyes',
      );
      await assert.rejects(
        db.kysely
          .insertInto('citizen_requests')
          .values({ ...row, id: crypto.randomUUID(), decided_by: null, to_at: row.from_at })
          .execute(),
        'an empty range',
      );
      await assert.rejects(
        db.kysely
          .insertInto('privacy_masks')
          .values({
            id: crypto.randomUUID(),
            camera_id: cameraId,
            position: 9,
            x: 0.9,
            y: 0,
            w: 0.2,
            h: 0.1,
            label: null,
            created_by: w.head.id,
            created_at: new Date().toISOString(),
          })
          .execute(),
        'outside the picture',
      );
    });

    test('transparency: the employee sees the schedule, the recordings and who watched, with the reason', async () => {
      const play = await send('POST', inspector, `/api/recordings/${cameraId}/playback`, {
        ...range(),
        reason: REASON,
      });
      assert.equal(play.statusCode, 200, play.body);
      const mine = await send('GET', employee, '/api/workplaces/mine');
      assert.equal(mine.statusCode, 200, mine.body);
      assert.deepEqual(
        mine.json<{ items: { id: string }[] }>().items.map((x) => x.id),
        [w.workplace.id],
      );
      const r = await send('GET', employee, `/api/workplaces/${w.workplace.id}/transparency`);
      assert.equal(r.statusCode, 200, r.body);
      const v = r.json<{
        cameras: { modeText: string }[];
        recordings: { spans: unknown[] }[];
        visits: unknown[];
        access: { action: string; actionText: string; person: { name: string }; reason: string | null }[];
      }>();
      assert.equal(v.cameras[0]?.modeText, 'непрерывная запись');
      assert.ok((v.recordings[0]?.spans.length ?? 0) >= 1);
      assert.deepEqual(v.visits, [], 'visits come with the visits capability');
      const seen = v.access.find((a) => a.action === 'recording.playback');
      assert.equal(seen?.person.name, 'Инспектор Петрова');
      assert.equal(seen?.reason, REASON);
      assert.equal(seen?.actionText, 'просмотр записи');
      assert.ok(v.access.some((a) => a.action === 'citizen_request.produce'));
      assert.ok(v.access.some((a) => a.action === 'privacy_mask.snapshot'));
      // Someone else's workplace: not found.
      const theirs = await send('GET', employee, `/api/workplaces/${other.workplace.id}/transparency`);
      assert.equal(theirs.statusCode, 404);
      assert.ok(firstId);
    });
  });
}
