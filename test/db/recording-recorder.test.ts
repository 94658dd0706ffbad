/**
 * The recorder on real SQLite and PostgreSQL, real files and simulated time: segments start on
 * keyframes and rotate, rows follow durable files with a sha256 chain, every interruption becomes a
 * gap with its cause, manual recording writes its pre-roll, and a file cut short by a crash is
 * salvaged and indexed by recovery.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory } from '../support/factory.js';
import { CameraRecorder } from '../../src/recording/recorder.js';
import { SegmentWriter } from '../../src/recording/segment-writer.js';
import { checkRecordings } from '../../src/recording/check.js';
import { scanSegmentFile } from '../../src/recording/fmp4-file.js';
import { RecordingsRepository } from '../../src/storage/repositories/recordings.js';
import { FakeClock, feed, syntheticCamera } from '../unit/recording/helpers.js';

const T0 = Date.parse('2026-03-02T06:00:00.000Z');

for (const d of testDatabases()) {
  describe(`recorder (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let root: string;
    let repo: RecordingsRepository;
    let f: Factory;
    let regionId: string;

    before(async () => {
      db = await d.open();
      root = await mkdtemp(path.join(tmpdir(), 'okno-rec-'));
      repo = new RecordingsRepository(db.kysely);
      f = new Factory(db.kysely);
      regionId = (await f.region()).id;
    });
    after(async () => {
      await db.close();
      await rm(root, { recursive: true, force: true });
    });

    async function camera(): Promise<string> {
      const w = await f.officeWorld(regionId);
      return w.camera.id;
    }

    function recorder(cameraId: string, clock: FakeClock, segmentMs = 10_000) {
      return new CameraRecorder({
        cameraId,
        root,
        repo,
        clock,
        segmentMs,
        syncIntervalMs: 200,
        preRollMs: 6000,
      });
    }

    test('continuous: keyframe-aligned segments, contiguous, durable, chained', async () => {
      const cameraId = await camera();
      const clock = new FakeClock(T0);
      const cam = syntheticCamera();
      const rec = recorder(cameraId, clock);
      await rec.load();
      rec.setWanted(true, false);
      rec.onInit(cam.init);
      feed(cam, clock, 25_000, (fr) => rec.onFragment(fr));
      await rec.close();

      const segs = (await repo.allSegments()).filter((s) => s.cameraId === cameraId);
      assert.equal(segs.length, 3);
      assert.deepEqual(
        segs.map((s) => Math.round((s.endMs - s.startMs) / 1000)),
        [10, 10, 5],
      );
      for (const [i, s] of segs.entries()) {
        assert.equal(s.seq, i + 1);
        assert.equal(s.prevSha256, i === 0 ? null : segs[i - 1]!.sha256);
        if (i > 0) assert.equal(s.startMs, segs[i - 1]!.endMs, 'segments of a run are contiguous');
        const file = await readFile(path.join(root, s.path));
        assert.equal(file.length, s.bytes);
        assert.equal(createHash('sha256').update(file).digest('hex'), s.sha256);
        assert.match(
          s.path,
          new RegExp(`^${cameraId}/2026-03-02/2026-03-02T\\d\\d-\\d\\d-\\d\\d\\.\\d{3}Z\\.mp4$`),
        );
        // Seek points are keyframe fragments, one per second.
        assert.equal(s.keyframes.length, Math.round((s.endMs - s.startMs) / 1000));
        for (const [offset] of s.keyframes)
          assert.equal(file.toString('latin1', offset + 4, offset + 8), 'moof');
        const scan = scanSegmentFile(file);
        assert.equal(scan.validBytes, file.length);
        assert.ok(scan.fragments[0]!.fragment.keyframe, 'a segment starts on a keyframe');
      }
      const gaps = await repo.gapsOverlapping(cameraId, T0 - 1, T0 + 3_600_000);
      assert.deepEqual(gaps, []);
    });

    test('a camera outage is a camera_offline gap; a quick ffmpeg restart is an ingest_restart gap', async () => {
      const cameraId = await camera();
      const clock = new FakeClock(T0);
      const rec = recorder(cameraId, clock);
      await rec.load();
      rec.setWanted(true, false);
      let cam = syntheticCamera();
      rec.onInit(cam.init);
      feed(cam, clock, 5000, (fr) => rec.onFragment(fr));
      const outageAt = clock.ms;
      rec.onStall('no video for 5000 ms');
      rec.onSpawn();
      clock.advance(8000);
      rec.onSpawn();
      cam = syntheticCamera({ startDecode: 0 });
      rec.onInit(cam.init);
      feed(cam, clock, 3000, (fr) => rec.onFragment(fr));
      // A crash of ffmpeg that the first restart fixes.
      rec.onStall('ffmpeg exited with code 1: Connection reset by peer');
      clock.advance(1000);
      rec.onSpawn();
      cam = syntheticCamera();
      rec.onInit(cam.init);
      feed(cam, clock, 3000, (fr) => rec.onFragment(fr));
      await rec.close();

      const gaps = await repo.gapsOverlapping(cameraId, T0, clock.ms);
      assert.deepEqual(
        gaps.map((g) => g.cause),
        ['camera_offline', 'ingest_restart'],
      );
      const segs = (await repo.allSegments()).filter((s) => s.cameraId === cameraId);
      assert.equal(segs.length, 3);
      assert.equal(gaps[0]!.startMs, segs[0]!.endMs, 'the gap starts where the video ends');
      assert.ok(Math.abs(gaps[0]!.startMs - outageAt) <= 40);
      assert.equal(gaps[0]!.endMs, segs[1]!.startMs, 'and ends where it resumes');
      assert.deepEqual(gaps[0]!.details, { reason: 'no video for 5000 ms', restarts: 2 });
      assert.equal(gaps[1]!.endMs, segs[2]!.startMs);
      assert.notEqual(segs[0]!.runId, segs[1]!.runId);
    });

    test('manual: pre-roll of at least 5 s from the buffer, then a policy_off gap after the stop', async () => {
      const cameraId = await camera();
      const clock = new FakeClock(T0);
      const rec = recorder(cameraId, clock, 60_000);
      await rec.load();
      const cam = syntheticCamera();
      rec.setWanted(false, true);
      rec.onInit(cam.init);
      feed(cam, clock, 20_000, (fr) => rec.onFragment(fr));
      const startAt = clock.ms;
      rec.setWanted(true, true);
      feed(cam, clock, 10_000, (fr) => rec.onFragment(fr));
      const stopAt = clock.ms;
      rec.setWanted(false, true);
      feed(cam, clock, 3000, (fr) => rec.onFragment(fr));
      await rec.close();

      const [seg, ...more] = (await repo.allSegments()).filter((s) => s.cameraId === cameraId);
      assert.equal(more.length, 0);
      const preRollMs = startAt - seg!.startMs;
      assert.ok(preRollMs >= 5000 && preRollMs <= 7100, `pre-roll ${preRollMs} ms`);
      assert.ok(Math.abs(seg!.endMs - stopAt) <= 40);
      const gaps = await repo.gapsOverlapping(cameraId, T0 - 1000, clock.ms + 1);
      assert.deepEqual(
        gaps.map((g) => [g.cause, g.startMs, g.endMs]),
        [
          ['policy_off', T0, seg!.startMs],
          ['policy_off', seg!.endMs, null],
        ],
      );
    });

    test('manual: two visits on one ingest run, each with its pre-roll, the time between a gap', async () => {
      const cameraId = await camera();
      const clock = new FakeClock(T0);
      const rec = recorder(cameraId, clock, 60_000);
      await rec.load();
      const cam = syntheticCamera();
      rec.setWanted(false, true);
      rec.onInit(cam.init);
      const visits: [number, number][] = [];
      for (let i = 0; i < 2; i++) {
        feed(cam, clock, 20_000, (fr) => rec.onFragment(fr));
        const start = clock.ms;
        rec.setWanted(true, true);
        feed(cam, clock, 5000, (fr) => rec.onFragment(fr));
        visits.push([start, clock.ms]);
        rec.setWanted(false, true);
      }
      await rec.close();
      const segs = (await repo.allSegments()).filter((s) => s.cameraId === cameraId);
      assert.equal(segs.length, 2);
      for (const [i, [start, stop]] of visits.entries()) {
        const pre = start - segs[i]!.startMs;
        assert.ok(pre >= 5000 && pre <= 7100, `visit ${i + 1}: pre-roll ${pre} ms`);
        assert.ok(Math.abs(segs[i]!.endMs - stop) <= 40);
      }
      const gaps = await repo.gapsOverlapping(cameraId, T0, clock.ms + 1);
      assert.deepEqual(
        gaps.map((g) => [g.cause, g.startMs, g.endMs]),
        [
          ['policy_off', T0, segs[0]!.startMs],
          ['policy_off', segs[0]!.endMs, segs[1]!.startMs],
          ['policy_off', segs[1]!.endMs, null],
        ],
      );
    });

    test('after a restart of the process, the hole is a server_restart gap', async () => {
      const cameraId = await camera();
      const clock = new FakeClock(T0);
      let rec = recorder(cameraId, clock);
      await rec.load();
      rec.setWanted(true, false);
      let cam = syntheticCamera();
      rec.onInit(cam.init);
      feed(cam, clock, 4000, (fr) => rec.onFragment(fr));
      await rec.close();
      const stoppedAt = clock.ms;
      clock.advance(30_000);
      rec = recorder(cameraId, clock);
      await rec.load();
      rec.setWanted(true, false);
      cam = syntheticCamera();
      rec.onInit(cam.init);
      feed(cam, clock, 2000, (fr) => rec.onFragment(fr));
      await rec.close();
      const gaps = await repo.gapsOverlapping(cameraId, T0, clock.ms);
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0]!.cause, 'server_restart');
      assert.ok(Math.abs(gaps[0]!.startMs - stoppedAt) <= 40);
      assert.ok(gaps[0]!.endMs! - gaps[0]!.startMs >= 30_000);
    });

    test('recovery salvages a segment cut short by a crash, up to its last complete fragment', async () => {
      const cameraId = await camera();
      const cam = syntheticCamera({ bytes: 4000 });
      const startMs = T0 + 3_600_000;
      const w = new SegmentWriter({ root, cameraId, startMs, init: cam.init.data, syncIntervalMs: 100 });
      let offsetMs = 0;
      for (let i = 0; i < 75; i++) {
        const fr = cam.next();
        w.append(fr.data, fr.keyframe, offsetMs);
        offsetMs += 40;
      }
      const rel = await w.abandon(); // the process died: no finish(), no row
      assert.ok(rel);
      const abs = path.join(root, rel);
      const whole = (await stat(abs)).size;
      const half = cam.next().data.subarray(0, 2500); // a fragment cut mid-write
      await appendFile(abs, half);

      const dry = await checkRecordings(root, repo, new FakeClock(T0), { repair: false, verifyHashes: true });
      assert.equal(dry.orphans.find((o) => o.path === rel)?.action, 'can be indexed (--repair)');
      const report = await checkRecordings(root, repo, new FakeClock(T0), {
        repair: true,
        verifyHashes: false,
      });
      const o = report.orphans.find((x) => x.path === rel);
      assert.equal(o?.action, 'indexed');
      assert.equal(o?.fragments, 75);
      assert.equal(o?.truncatedBytes, 2500);
      assert.equal((await stat(abs)).size, whole);
      const seg = (await repo.allSegments()).find((s) => s.path === rel)!;
      assert.equal(seg.recovered, true);
      assert.equal(seg.startMs, startMs);
      assert.equal(seg.endMs, startMs + 3000);
      assert.equal(seg.keyframes.length, 3);
      const again = await checkRecordings(root, repo, new FakeClock(T0), {
        repair: false,
        verifyHashes: true,
      });
      assert.deepEqual(again.orphans, []);
      assert.deepEqual(again.hashMismatches, []);
      assert.deepEqual(again.chainBreaks, []);
    });
  });
}
