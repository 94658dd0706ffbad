/**
 * A live recording directory, with a real RTSP camera recorded by a running server (60 s segments, so
 * the first one is being written throughout):
 *
 * - playback and export include the segment being written (issue 10, item 8);
 * - one owner per recording directory: a second server on the same data directory and
 *   `okno recordings check --repair` are refused before they touch anything; `okno recordings check`
 *   reads only and reports the segment being written as in progress; afterwards files and index agree,
 *   nothing was "recovered", and the segment keeps the id its playlist used.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateToLatest, openDatabase } from '../../../src/storage/db.js';
import { checkIsClean, checkRecordings } from '../../../src/recording/check.js';
import { RecordingsRepository } from '../../../src/storage/repositories/recordings.js';
import type { TestDb } from '../../support/db.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { Factory } from '../../support/factory.js';
import { sessionFor } from '../../support/app.js';
import { skipWithoutRtspCamera, startRtspCamera, type RtspCamera } from '../../support/rtsp-camera.js';
import { FakeClock, probe } from '../../unit/recording/helpers.js';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../../src/config/config.js';
import { startServer } from '../../../src/server/serve.js';

const execFileAsync = promisify(execFile);
const skip = skipWithoutRtspCamera();

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('one owner per recording directory (real RTSP camera)', { skip }, () => {
  let cam: RtspCamera;
  let dataDir: string;
  let dbFile: string;
  let db: TestDb;
  let t: TestApp;
  let cameraId: string;
  let institutionId: string;
  let playlistSegmentId: string;
  const overrides = () => ({
    dataDir,
    'recording.enabled': true,
    'recording.segmentSeconds': 60,
    'recording.minFreeBytes': 0,
  });

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'okno-owner-'));
    dbFile = path.join(dataDir, 'okno.db');
    cam = await startRtspCamera({ keyIntFrames: 25 });
    db = { ...openDatabase({ sqlitePath: dbFile }), name: 'sqlite' };
    await migrateToLatest(db);
    const f = new Factory(db.kysely);
    const w = await f.officeWorld((await f.region()).id);
    cameraId = w.camera.id;
    institutionId = w.institution.id;
    await db.kysely
      .updateTable('cameras')
      .set({ source_url: cam.url, source_username: null, source_password: null })
      .where('id', '=', cameraId)
      .execute();
    t = await buildTestApp(db, { overrides: overrides() });
  });
  after(async () => {
    await t.close();
    await db.close();
    await cam.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('playback and export include the segment being written', async () => {
    const repo = t.ctx.recording.repo;
    const seg = await until('4 s written into the first segment', async () => {
      const s = t.ctx.recording.recorder(cameraId)?.unindexedSegments()[0];
      return s && s.endMs - s.startMs >= 4000 ? s : undefined;
    });
    assert.equal((await repo.allSegments()).length, 0, 'nothing is indexed yet: the segment is open');
    const f = new Factory(db.kysely);
    const inspector = await sessionFor(t, (await f.staff('inspector', 'institution', institutionId)).id);
    const REASON = 'Complaint 18/2026: checking the visit that is going on now';
    const range = {
      from: new Date(seg.startMs - 5000).toISOString(),
      to: new Date().toISOString(),
      reason: REASON,
    };
    const r = await t.app.inject({
      method: 'POST',
      url: `/api/recordings/${cameraId}/playback`,
      headers: inspector.headers,
      payload: range,
    });
    assert.equal(r.statusCode, 200, r.body);
    const g = r.json<{ hlsUrl: string; mp4Url: string }>();
    const playlist = await t.app.inject({ url: g.hlsUrl, headers: inspector.headers });
    assert.equal(playlist.statusCode, 200, playlist.body);
    const lines = playlist.body.split('\n');
    const seconds = lines
      .filter((l) => l.startsWith('#EXTINF:'))
      .reduce((a, l) => a + Number(l.slice(8, -1)), 0);
    assert.ok(seconds >= 3.5, `the playlist holds ${seconds} s of the open segment`);
    const base = g.hlsUrl.slice(0, g.hlsUrl.indexOf('index.m3u8'));
    const parts = lines.filter((l) => l.startsWith('part/'));
    playlistSegmentId = parts[0]!.split('/')[1]!;
    // Fetched after more was written: the last part still ends where the file ended then.
    await new Promise((res) => setTimeout(res, 500));
    for (const p of [parts[0]!, parts.at(-1)!]) {
      const part = await t.app.inject({ url: base + p, headers: inspector.headers });
      assert.equal(part.statusCode, 200, p);
      assert.equal(part.rawPayload.toString('latin1', 4, 8), 'moof');
    }
    const mp4 = await t.app.inject({ url: g.mp4Url, headers: inspector.headers });
    assert.equal(mp4.statusCode, 200);
    const file = path.join(dataDir, 'open-segment.mp4');
    await writeFile(file, mp4.rawPayload);
    const p = await probe(file);
    assert.equal(p.ok, true, p.stderr);
    assert.ok(p.packets >= 25 * 3.5, `${p.packets} frames of the open segment`);

    const ex = await t.app.inject({
      method: 'POST',
      url: `/api/recordings/${cameraId}/exports`,
      headers: inspector.headers,
      payload: range,
    });
    assert.equal(ex.statusCode, 200, ex.body);
    const body = ex.json<{
      verification: { ok: boolean };
      manifest?: { segments: { inProgress?: boolean }[] };
    }>();
    assert.equal(body.verification.ok, true);
  });

  test('a second server and check --repair are refused; check reads only and reports the segment in progress', async () => {
    const repo = t.ctx.recording.repo;
    await until(
      'a segment being written',
      async () => (t.ctx.recording.recorder(cameraId)?.unindexedSegments().length ?? 0) > 0,
    );

    // A second server on the same data directory: refused before its recovery runs.
    const db2: TestDb = { ...openDatabase({ sqlitePath: dbFile }), name: 'sqlite' };
    try {
      await assert.rejects(
        buildTestApp(db2, { overrides: overrides() }),
        /recording directory .* is in use by okno serve \(pid \d+/,
      );
    } finally {
      await db2.close();
    }

    const cli = (...args: string[]) =>
      execFileAsync(process.execPath, ['bin/okno.js', ...args], {
        env: { ...process.env, OKNO_DATA_DIR: dataDir, OKNO_DATABASE_URL: '' },
      }).then(
        (o) => ({ code: 0, out: o.stdout + o.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    const repair = await cli('recordings', 'check', '--repair');
    assert.equal(repair.code, 75, repair.out);
    assert.match(repair.out, /REFUSED: the recording directory .* is in use by okno serve/);

    const check = await cli('recordings', 'check');
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /^read-only: /m);
    assert.match(check.out, new RegExp(`in progress: ${cameraId}/\\S+\\.mp4 \\(\\d+ bytes so far`));
    assert.doesNotMatch(check.out, /file without a row/);

    // The recorder went on undisturbed: after a clean stop every file has its row, none "recovered",
    // and the segment that was played while open has the id its playlist used.
    await t.close();
    const report = await checkRecordings(
      path.join(dataDir, 'recordings'),
      new RecordingsRepository(db.kysely),
      new FakeClock(Date.now()),
      { repair: false, verifyHashes: true },
    );
    assert.ok(checkIsClean(report), JSON.stringify(report));
    assert.deepEqual(report.foreignFiles, []);
    const rows = await repo.allSegments();
    assert.ok(rows.length >= 1 && rows.every((r) => !r.recovered));
    assert.ok(rows.some((r) => r.id === playlistSegmentId));
    // And the directory is free again: a new owner takes it.
    t = await buildTestApp(db, { overrides: overrides() });
  });
});

describe('a server that dies on a busy port', () => {
  test('releases the recording directory it had taken, so the next start gets it', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'okno-busy-port-'));
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    const cfg = (p: number) =>
      loadConfig({
        env: {},
        overrides: {
          dataDir,
          port: p,
          logLevel: 'silent',
          'recording.enabled': true,
          'recording.minFreeBytes': 0,
          'audit.checkpointSeconds': 0,
        },
      });
    try {
      await assert.rejects(startServer(cfg(port)), /EADDRINUSE/);
      const running = await startServer(cfg(0));
      try {
        const again = await startServer(cfg(0)).then(
          async (r) => {
            await r.close();
            return 'started';
          },
          (e: Error) => e.message,
        );
        assert.match(again, /in use by okno serve/, 'while one runs, a second is refused');
      } finally {
        await running.close();
      }
    } finally {
      blocker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
