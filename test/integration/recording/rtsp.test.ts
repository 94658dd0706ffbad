/**
 * Recording a real RTSP camera (GStreamer's RTSP server) through the real app and ffmpeg:
 *
 * - continuous recording across a camera outage: a camera_offline gap row from the last recorded
 *   instant to the first one after the camera came back, a health event, and every segment file
 *   readable to its end by ffprobe and matching its index row;
 * - `kill -9` of a server process mid-segment, then a restart: recovery salvages the partial segment,
 *   ffprobe reads it to the end, and the video lost is measured (goal ≤ 1 s) and printed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateToLatest, openDatabase } from '../../../src/storage/db.js';
import { checkIsClean, checkRecordings } from '../../../src/recording/check.js';
import { RecordingsRepository } from '../../../src/storage/repositories/recordings.js';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { Factory } from '../../support/factory.js';
import { skipWithoutRtspCamera, startRtspCamera, type RtspCamera } from '../../support/rtsp-camera.js';
import { FakeClock, probe } from '../../unit/recording/helpers.js';

const skip = skipWithoutRtspCamera();

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
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

const FAST_CAMERA = {
  watchdogMs: 1500,
  supervisor: { backoff: { initialMs: 300, maxMs: 800 }, failingAfterAttempts: 2, startTimeoutMs: 6000 },
};

describe('continuous recording of a real RTSP camera across an outage', { skip }, () => {
  let db: TestDb;
  let t: TestApp;
  let cam: RtspCamera;
  let dataDir: string;
  let cameraId: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'okno-rtsp-rec-'));
    db = await openSqliteTestDb();
    cam = await startRtspCamera({ keyIntFrames: 25 });
    const f = new Factory(db.kysely);
    const w = await f.officeWorld((await f.region()).id);
    cameraId = w.camera.id;
    await db.kysely
      .updateTable('cameras')
      .set({ source_url: cam.url, source_username: null, source_password: null })
      .where('id', '=', cameraId)
      .execute();
    t = await buildTestApp(db, {
      overrides: {
        dataDir,
        'recording.enabled': true,
        'recording.segmentSeconds': 2,
        'recording.minFreeBytes': 0,
      },
      cameraOptions: FAST_CAMERA,
    });
  });
  after(async () => {
    await t.close();
    await cam.stop();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a camera_offline gap with its cause, no corrupt file, files and index agree', async () => {
    const repo = t.ctx.recording.repo;
    const segments = () => repo.segmentsOverlapping(cameraId, 0, 4e12);
    await until('two segments', async () => (await segments()).length >= 2 || undefined);
    const port = cam.port;
    const killedAt = Date.now();
    await cam.kill();
    const gap = await until('an open gap', () => repo.openGap(cameraId));
    assert.equal(gap.cause, 'camera_offline');
    await new Promise((r) => setTimeout(r, 2500)); // restarts fail while the camera is away
    cam = await startRtspCamera({ port, keyIntFrames: 25 });
    const backAt = Date.now();
    await until(
      'recording again after the gap',
      async () => (await segments()).some((s) => s.startMs > gap.startMs) || undefined,
      30_000,
    );
    const [closed] = await repo.gapsOverlapping(cameraId, 0, 4e12);
    assert.ok(closed?.endMs != null, 'the gap is closed when recording resumes');
    const closedEnd = closed.endMs;
    assert.equal(closed.cause, 'camera_offline');
    assert.ok((closed.details?.restarts as number) >= 2, JSON.stringify(closed.details));
    console.log(
      `# outage: camera down ${((backAt - killedAt) / 1000).toFixed(1)} s; gap row ` +
        `${((closedEnd - closed.startMs) / 1000).toFixed(1)} s (${closed.cause}, ${String(closed.details?.reason)})`,
    );
    const segs = await segments();
    const before = segs.filter((s) => s.endMs <= closed.startMs);
    const afterGap = segs.filter((s) => s.startMs >= closedEnd);
    assert.equal(before.at(-1)?.endMs, closed.startMs, 'the gap starts where the video stops');
    assert.equal(afterGap[0]?.startMs, closedEnd, 'and ends where it resumes');
    assert.ok(Math.abs(closed.startMs - killedAt) < 1500, 'the video stops when the camera dies');

    for (const s of segs) {
      const p = await probe(path.join(t.ctx.recording.root, s.path));
      assert.equal(p.ok, true, `${s.path}: ${p.stderr}`);
      // Every frame the index says is there is there (25 fps), to the end of the file.
      const expected = ((s.endMs - s.startMs) / 1000) * 25;
      assert.ok(
        Math.abs(p.packets - expected) <= 2,
        `${s.path}: ${p.packets} frames, index says ${expected}`,
      );
    }
    const report = await checkRecordings(t.ctx.recording.root, repo, new FakeClock(Date.now()), {
      repair: false,
      verifyHashes: true,
    });
    assert.deepEqual(report.hashMismatches, []);
    assert.deepEqual(report.sizeMismatches, []);
    assert.deepEqual(report.chainBreaks, []);
    const events = await db.kysely
      .selectFrom('health_events')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .execute();
    assert.ok(events.some((e) => e.kind === 'gap' && e.details?.includes('camera_offline')));
  });
});

describe('kill -9 of the server mid-segment, then a restart', { skip }, () => {
  let cam: RtspCamera;
  let dataDir: string;
  let child: ChildProcess | undefined;
  let childLog = '';

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'okno-kill9-'));
    cam = await startRtspCamera({ keyIntFrames: 25 });
  });
  after(async () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null)
      process.kill(-child.pid, 'SIGKILL');
    await cam.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('recovery salvages the partial segment; ffprobe reads it to the end; the loss is measured', async () => {
    const dbFile = path.join(dataDir, 'okno.db');
    const setup = openDatabase({ sqlitePath: dbFile });
    await migrateToLatest(setup);
    const f = new Factory(setup.kysely);
    const w = await f.officeWorld((await f.region()).id);
    const cameraId = w.camera.id;
    await setup.kysely
      .updateTable('cameras')
      .set({ source_url: cam.url, source_username: null, source_password: null })
      .where('id', '=', cameraId)
      .execute();
    await setup.close();

    // A real server process (`okno serve`) in its own process group, so that kill -9 takes its ffmpeg too.
    child = spawn(process.execPath, ['bin/okno.js', 'serve'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        OKNO_DATA_DIR: dataDir,
        OKNO_PORT: '0',
        OKNO_LOG_LEVEL: 'warn',
        OKNO_RECORDING_MIN_FREE_BYTES: '0',
        OKNO_RECORDING_SEGMENT_SECONDS: '60',
      },
    });
    child.stdout?.on('data', (b: Buffer) => (childLog = (childLog + b.toString()).slice(-4000)));
    child.stderr?.on('data', (b: Buffer) => (childLog = (childLog + b.toString()).slice(-4000)));
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));

    const camDir = path.join(dataDir, 'recordings', cameraId);
    const file = await until(
      'a segment file',
      async () => {
        try {
          for (const day of await readdir(camDir)) {
            const names = await readdir(path.join(camDir, day));
            if (names[0]) return path.join(camDir, day, names[0]);
          }
        } catch {
          return undefined;
        }
        return undefined;
      },
      40_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; server output: ${childLog}`);
    });
    const firstSeen = Date.now();
    await until(
      '3 s of video written',
      async () => Date.now() - firstSeen > 3000 && (await stat(file)).size > 0,
    );
    const killedAt = Date.now();
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    const sizeAtKill = (await stat(file)).size;

    // Restart (in process, same data directory and database): startup recovery runs first.
    const db: TestDb = { ...openDatabase({ sqlitePath: dbFile }), name: 'sqlite' };
    const t = await buildTestApp(db, {
      overrides: { dataDir, 'recording.enabled': true, 'recording.minFreeBytes': 0 },
      cameraOptions: FAST_CAMERA,
    });
    try {
      const rel = path.relative(path.join(dataDir, 'recordings'), file);
      const orphan = t.ctx.recording.recovery?.orphans.find((o) => o.path === rel);
      assert.equal(orphan?.action, 'indexed', JSON.stringify(t.ctx.recording.recovery));
      const seg = (await t.ctx.recording.repo.allSegments()).find((s) => s.path === rel)!;
      assert.equal(seg.recovered, true);
      const p = await probe(file);
      assert.equal(p.ok, true, p.stderr);
      const lossMs = killedAt - seg.endMs;
      console.log(
        `# kill -9 mid-segment: recovered ${((seg.endMs - seg.startMs) / 1000).toFixed(2)} s ` +
          `(${p.packets} frames, ${seg.bytes} of ${sizeAtKill} bytes, ${orphan?.truncatedBytes ?? 0} cut); ` +
          `video lost at the kill: ${Math.max(0, lossMs)} ms (raw ${lossMs} ms; goal ≤ 1000 ms)`,
      );
      assert.ok(p.packets >= 70, `${p.packets} frames recovered`);
      assert.ok(Math.abs(p.durationSec - (seg.endMs - seg.startMs) / 1000) < 0.2, 'index and file agree');
      assert.ok(lossMs <= 1000, `lost ${lossMs} ms`);
      // Recording resumes, and the time the server was down is a server_restart gap.
      const gap = await until('a server_restart gap', async () =>
        (await t.ctx.recording.repo.gapsOverlapping(cameraId, 0, 4e12)).find(
          (g) => g.cause === 'server_restart',
        ),
      ).catch(async (e: Error) => {
        throw new Error(
          `${e.message}: ${JSON.stringify(t.ctx.recording.status())} ${JSON.stringify(t.ctx.live.cameras.stats())} ` +
            JSON.stringify(await t.ctx.recording.repo.gapsOverlapping(cameraId, 0, 4e12)),
        );
      });
      assert.equal(gap.startMs, seg.endMs);
    } finally {
      await t.close();
      await db.close();
    }
    // After a clean shutdown, files and index agree (the new segment was closed and indexed too).
    const after = openDatabase({ sqlitePath: dbFile });
    try {
      const report = await checkRecordings(
        path.join(dataDir, 'recordings'),
        new RecordingsRepository(after.kysely),
        new FakeClock(Date.now()),
        { repair: false, verifyHashes: true },
      );
      assert.equal(checkIsClean(report), true, JSON.stringify(report));
    } finally {
      await after.close();
    }
  });
});
