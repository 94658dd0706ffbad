/**
 * Visits with a real RTSP camera (GStreamer's RTSP server), the real app, ffmpeg and the recorder:
 *
 * - «Начать приём» on a per-visit workplace: the visit's playback (the inspector's MP4 of exactly the
 *   visit's range, with a stated reason) starts at least 5 s before the click (the recorder's pre-roll
 *   buffer) and ends with the post-roll after «Завершить приём» — measured with ffprobe;
 * - the camera killed during a visit: the visit gets a `visit_gap` flag (cause camera_offline) and its
 *   alert `flag.visit_gap` is delivered by e-mail to the office head (a real SMTP server) and by the
 *   office's signed webhook (a real HTTP receiver) within 60 s of the camera going dark.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../../support/app.js';
import { Factory } from '../../support/factory.js';
import { skipWithoutRtspCamera, startRtspCamera, type RtspCamera } from '../../support/rtsp-camera.js';
import { probe } from '../../unit/recording/helpers.js';
import { TestSmtpServer } from '../../support/mail.js';
import { verifyWebhookSignature } from '../../../src/alerts/webhook-signature.js';

const skip = skipWithoutRtspCamera();
const REASON = 'Проверка жалобы гражданина № 4512 на приём';

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('visits recorded from a real RTSP camera', { skip }, () => {
  let db: TestDb;
  let t: TestApp;
  let cam: RtspCamera;
  let dataDir: string;
  let cameraId: string;
  let roomId: string;
  let employee: TestSession;
  let inspector: TestSession;
  let head: TestSession;
  let institutionId: string;
  let smtp: TestSmtpServer;
  const hits: { at: number; body: string; headers: http.IncomingHttpHeaders }[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ at: Date.now(), body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(204).end();
    });
  });

  before(async () => {
    smtp = await new TestSmtpServer().start();
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    dataDir = await mkdtemp(path.join(tmpdir(), 'okno-visits-rtsp-'));
    db = await openSqliteTestDb();
    cam = await startRtspCamera({ keyIntFrames: 25 });
    const f = new Factory(db.kysely);
    const region = await f.region();
    const w = await f.officeWorld(region.id);
    cameraId = w.camera.id;
    roomId = w.workplace.id;
    institutionId = w.institution.id;
    await db.kysely
      .updateTable('persons')
      .set({ email: 'head@office.test' })
      .where('id', '=', w.head.id)
      .execute();
    await db.kysely
      .updateTable('cameras')
      .set({ source_url: cam.url, source_username: null, source_password: null, recording_policy: 'manual' })
      .where('id', '=', cameraId)
      .execute();
    t = await buildTestApp(db, {
      overrides: {
        dataDir,
        'recording.enabled': true,
        'recording.segmentSeconds': 2,
        'recording.minFreeBytes': 0,
        'recording.preRollSeconds': 6,
        'recording.postRollSeconds': 3,
        'visits.checkSeconds': 2,
        'alerts.delivery': true,
        'smtp.host': '127.0.0.1',
        'smtp.port': smtp.port,
      },
      cameraOptions: {
        watchdogMs: 1500,
        supervisor: {
          backoff: { initialMs: 300, maxMs: 800 },
          failingAfterAttempts: 2,
          startTimeoutMs: 6000,
        },
      },
    });
    employee = await sessionFor(t, w.employee.id);
    head = await sessionFor(t, w.head.id);
    inspector = await sessionFor(t, (await f.staff('inspector', 'region', region.id)).id);
  });
  after(async () => {
    await t?.close();
    await cam?.stop();
    await smtp?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const state = async () =>
    (await t.app.inject({ url: `/api/visits/workplaces/${roomId}/state`, headers: employee.headers })).json<{
      state: string;
      openVisit: { id: string } | null;
    }>();

  test('the visit plays from ≥ 5 s before the click to the post-roll after the close', async () => {
    // A per-visit camera runs its ingest to keep the pre-roll buffer; give it time to fill.
    await until('the camera live', () => t.ctx.live.cameras.state(cameraId) === 'live');
    await sleep(8000);
    assert.equal((await state()).state, 'not_recording');

    const clickMs = Date.now();
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/visits',
      headers: employee.headers,
      payload: { roomId, visitorCategory: 'citizen', caseRef: 'ОП-17' },
    });
    assert.equal(opened.statusCode, 201, opened.body);
    const visitId = opened.json<{ id: string }>().id;
    assert.equal((await state()).state, 'recording');
    await sleep(4000);
    const closed = await t.app.inject({
      method: 'POST',
      url: `/api/visits/${visitId}/close`,
      headers: employee.headers,
    });
    assert.equal(closed.statusCode, 200, closed.body);
    const closeMs = Date.parse(closed.json<{ endedAt: string }>().endedAt);
    const v = closed.json<{ playback: { from: string; to: string } }>();
    assert.equal(Date.parse(v.playback.to), closeMs + 3000);

    // The post-roll runs out, the last segment is closed and indexed.
    await until(
      'recording stopped after the post-roll',
      async () => (await state()).state === 'not_recording',
    );
    await t.ctx.recording.idle();
    const segs = await t.ctx.recording.repo.segmentsOverlapping(
      cameraId,
      Date.parse(v.playback.from),
      Date.parse(v.playback.to),
    );
    assert.ok(segs.length > 0);
    const firstMs = segs[0]!.startMs;
    const lastMs = segs.at(-1)!.endMs;
    console.log(
      `# visit: recorded from ${((clickMs - firstMs) / 1000).toFixed(2)} s before the click ` +
        `to ${((lastMs - closeMs) / 1000).toFixed(2)} s after the close`,
    );
    assert.ok(clickMs - firstMs >= 5000, `pre-roll ${clickMs - firstMs} ms`);
    assert.ok(lastMs - closeMs >= 3000 - 300, `post-roll ${lastMs - closeMs} ms`);

    // The inspector opens the visit and plays exactly its range, with a stated reason.
    const visit = (await t.app.inject({ url: `/api/visits/${visitId}`, headers: inspector.headers })).json<{
      playback: { from: string; to: string };
      cameras: { id: string }[];
    }>();
    assert.deepEqual(
      visit.cameras.map((c) => c.id),
      [cameraId],
    );
    const grant = await t.app.inject({
      method: 'POST',
      url: `/api/recordings/${cameraId}/playback`,
      headers: inspector.headers,
      payload: { ...visit.playback, reason: REASON },
    });
    assert.equal(grant.statusCode, 200, grant.body);
    const mp4 = await t.app.inject({
      url: grant.json<{ mp4Url: string }>().mp4Url,
      headers: inspector.headers,
    });
    assert.equal(mp4.statusCode, 200);
    const file = path.join(dataDir, 'visit.mp4');
    await writeFile(file, mp4.rawPayload);
    const p = await probe(file);
    assert.equal(p.ok, true, p.stderr);
    const wanted = (closeMs + 3000 - (clickMs - 5000)) / 1000;
    console.log(
      `# visit playback: ffprobe ${p.durationSec.toFixed(2)} s, ${p.packets} frames; ` +
        `click−5 s … close+post-roll is ${wanted.toFixed(2)} s`,
    );
    assert.ok(p.durationSec >= wanted - 0.5, `${p.durationSec} s < ${wanted} s`);
    assert.ok(p.packets >= Math.floor((wanted - 0.5) * 25), `${p.packets} frames`);
  });

  test('the camera killed during a visit: a gap flag, delivered by e-mail and webhook within 60 s', async () => {
    const hook = await t.app.inject({
      method: 'POST',
      url: '/api/alerts/webhooks',
      headers: head.headers,
      payload: {
        institutionId,
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
        kinds: ['flag.visit_gap'],
      },
    });
    assert.equal(hook.statusCode, 201, hook.body);
    const secret = hook.json<{ secret: string }>().secret;
    await until('the camera live', () => t.ctx.live.cameras.state(cameraId) === 'live');
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/visits',
      headers: employee.headers,
      payload: { roomId, visitorCategory: 'guardian' },
    });
    assert.equal(opened.statusCode, 201, opened.body);
    const visitId = opened.json<{ id: string }>().id;
    await sleep(3000);
    const killedAt = Date.now();
    await cam.kill();
    const flag = await until(
      'a visit_gap flag',
      async () => {
        const r = await t.app.inject({ url: `/api/visits/flags?visitId=${visitId}`, headers: head.headers });
        return r
          .json<{ code: string; alertId: string; evidence: { gaps: { cause: string }[] } }[]>()
          .find((x) => x.code === 'visit_gap');
      },
      60_000,
    );
    const flaggedAfter = Date.now() - killedAt;
    const alert = await db.kysely
      .selectFrom('alerts')
      .selectAll()
      .where('id', '=', flag.alertId)
      .executeTakeFirstOrThrow();
    console.log(
      `# camera killed → visit_gap flag and alert ${alert.kind} after ${(flaggedAfter / 1000).toFixed(1)} s`,
    );
    assert.ok(flaggedAfter <= 60_000);
    assert.equal(alert.kind, 'flag.visit_gap');
    assert.equal(flag.evidence.gaps[0]!.cause, 'camera_offline');
    // delivered: the office head's e-mail and the office's signed webhook, within 60 s of going dark
    const mail = await until(
      'the flag e-mail',
      () => smtp.to('head@office.test').find((m) => m.subject.includes('Пропуск в записи приёма')),
      60_000,
    );
    const hit = await until(
      'the flag webhook',
      () =>
        hits.find((h) => (JSON.parse(h.body) as { alert: { kind: string } }).alert.kind === 'flag.visit_gap'),
      60_000,
    );
    const mailS = (mail.at - killedAt) / 1000;
    const hookS = (hit.at - killedAt) / 1000;
    console.log(`# camera killed → flag e-mail ${mailS.toFixed(1)} s, webhook ${hookS.toFixed(1)} s`);
    assert.ok(mailS <= 60 && hookS <= 60);
    assert.deepEqual(
      verifyWebhookSignature(
        secret,
        {
          timestamp: hit.headers['okno-timestamp'] as string,
          signature: hit.headers['okno-signature'] as string,
        },
        hit.body,
        Math.floor(Date.now() / 1000),
      ),
      { ok: true },
    );
    assert.equal((await state()).state, 'camera_down', 'the workplace shows the camera down');
    const closed = await t.app.inject({
      method: 'POST',
      url: `/api/visits/${visitId}/close`,
      headers: employee.headers,
    });
    assert.equal(closed.statusCode, 200);
  });
});
