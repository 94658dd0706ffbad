/**
 * Camera health through the camera manager with a real RTSP camera: killed → stalled/failing and a
 * stored offline event; back on the same port → live again without intervention and a recovery event;
 * the health API shows the state to the kindergarten administrator.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp } from '../../support/app.js';
import { skipWithoutRtspCamera, startRtspCamera, type RtspCamera } from '../../support/rtsp-camera.js';
import { seedDemo } from '../../../src/demo/seed.js';
import { devIssuer } from '../../../src/identity/dev-provider-info.js';

const skip = skipWithoutRtspCamera();

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('camera health with a real RTSP camera', { skip }, () => {
  let db: TestDb;
  let t: TestApp;
  let cam: RtspCamera;
  let cameraId: string;

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db, {
      cameraOptions: {
        offlineEventMs: 1500,
        watchdogMs: 1500,
        supervisor: {
          backoff: { initialMs: 200, maxMs: 800 },
          failingAfterAttempts: 2,
          startTimeoutMs: 6000,
        },
      },
    });
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
    cam = await startRtspCamera({ keyIntFrames: 10, user: 'okno', password: 's3cret-pass' });
    const row = await db.kysely
      .selectFrom('cameras')
      .select('id')
      .where('name', '=', 'Звёздочки — игровая')
      .executeTakeFirstOrThrow();
    cameraId = row.id;
    await db.kysely
      .updateTable('cameras')
      .set({ source_url: cam.url, source_username: 'okno', source_password: 's3cret-pass' })
      .where('id', '=', cameraId)
      .execute();
  });
  after(async () => {
    await t.close();
    await cam.stop();
    await db.close();
  });

  test('offline → event; back → live and a recovery event; the API shows it without secrets', async () => {
    const live = await t.ctx.live.cameras.acquire(cameraId);
    await until('live', () => live.supervisor.state === 'live');
    const admin = await db.kysely
      .selectFrom('persons')
      .select('id')
      .where('subject', '=', 'demo-kg-admin')
      .executeTakeFirstOrThrow();
    const s = await sessionFor(t, admin.id);
    const h1 = await t.app.inject({ url: '/api/cameras/health', headers: s.headers });
    assert.equal(h1.statusCode, 200);
    assert.ok(!h1.body.includes('s3cret-pass') && !h1.body.includes('rtsp://'));
    const item = h1
      .json<{ items: { cameraId: string; state: string; online: boolean }[] }>()
      .items.find((i) => i.cameraId === cameraId);
    assert.equal(item?.state, 'live');

    const port = cam.port;
    await cam.kill();
    await until('stalled or failing', () => ['stalled', 'failing'].includes(live.supervisor.state));
    await until('offline event', async () =>
      db.kysely
        .selectFrom('health_events')
        .selectAll()
        .where('camera_id', '=', cameraId)
        .where('kind', '=', 'offline')
        .executeTakeFirst(),
    );
    cam = await startRtspCamera({ port, keyIntFrames: 10, user: 'okno', password: 's3cret-pass' });
    await until('live again', () => live.supervisor.state === 'live', 30_000);
    await until('recovered event', async () =>
      db.kysely
        .selectFrom('health_events')
        .selectAll()
        .where('camera_id', '=', cameraId)
        .where('kind', '=', 'recovered')
        .executeTakeFirst(),
    );
    const tail = live.supervisor.stderrTail().join('\n');
    assert.ok(!tail.includes('s3cret-pass'), 'ffmpeg diagnostics are redacted');
    const h2 = await t.app.inject({ url: '/api/cameras/health', headers: s.headers });
    const kinds = h2.json<{ events: { kind: string }[] }>().events.map((e) => e.kind);
    assert.deepEqual(kinds.sort(), ['offline', 'recovered']);
  });
});
