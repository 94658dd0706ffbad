/**
 * Issue 10, item 5: a camera whose frames keep coming while their timestamps stop advancing must never
 * produce a segment whose indexed duration disagrees with the video in its file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory } from '../support/factory.js';
import { CameraRecorder } from '../../src/recording/recorder.js';
import { fragmentMs, scanSegmentFile } from '../../src/recording/fmp4-file.js';
import { Fmp4Parser, type Fragment } from '../../src/media/fmp4.js';
import { RecordingsRepository } from '../../src/storage/repositories/recordings.js';
import { FakeClock } from '../unit/recording/helpers.js';
import { H264_TRACK, NON_SYNC, SYNC, fragment, initSegment } from '../unit/media/helpers.js';

const T0 = Date.parse('2026-03-02T06:00:00.000Z');

for (const d of testDatabases()) {
  describe(`recorder and stalled timestamps (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let root: string;
    before(async () => {
      db = await d.open();
      root = await mkdtemp(path.join(tmpdir(), 'okno-rec-stall-'));
    });
    after(async () => {
      await db.close();
      await rm(root, { recursive: true, force: true });
    });

    test('frames with frozen timestamps are not written: the index matches the file', async () => {
      const f = new Factory(db.kysely);
      const cameraId = (await f.officeWorld((await f.region()).id)).camera.id;
      const repo = new RecordingsRepository(db.kysely);
      const clock = new FakeClock(T0);
      const rec = new CameraRecorder({
        cameraId,
        root,
        repo,
        clock,
        segmentMs: 60_000,
        syncIntervalMs: 200,
        preRollMs: 6000,
      });
      await rec.load();
      rec.setWanted(true, false);
      const parser = new Fmp4Parser();
      const initItem = parser.push(initSegment([H264_TRACK]))[0];
      assert.equal(initItem?.type, 'init');
      if (initItem?.type === 'init') rec.onInit(initItem.init);
      let seq = 1;
      const send = (decodeTime: number, duration: number, key: boolean) => {
        const item = parser.push(
          fragment(
            seq++,
            [{ trackId: 1, decodeTime, samples: [{ duration, flags: key ? SYNC : NON_SYNC }] }],
            300,
          ),
        )[0];
        if (item?.type !== 'fragment') throw new Error('no fragment');
        clock.advance(40);
        rec.onFragment(item.fragment);
      };
      // 10 s of a healthy camera (90 kHz, 40 ms a frame), then 6 s whose timestamps creep by one tick.
      for (let i = 0; i < 250; i++) send(i * 3600, 3600, i % 25 === 0);
      for (let i = 0; i < 150; i++) send(250 * 3600 + i, 1, i % 25 === 0);
      await rec.close();

      const segs = (await repo.allSegments()).filter((s) => s.cameraId === cameraId);
      assert.ok(segs.length >= 1);
      for (const s of segs) {
        const scanned = scanSegmentFile(await readFile(path.join(root, s.path)));
        const mediaMs = scanned.fragments.reduce(
          (n, x: { fragment: Fragment }) => n + fragmentMs(x.fragment),
          0,
        );
        const indexedMs = s.endMs - s.startMs;
        assert.ok(
          Math.abs(indexedMs - mediaMs) <= 100 && scanned.fragments.length * 40 <= indexedMs + 100,
          `indexed ${indexedMs} ms, file ${scanned.fragments.length} fragments (${mediaMs} ms of media)`,
        );
      }
    });
  });
}
