/**
 * Playback in Chromium: the demo inspector logs in, states a reason, gets a playback grant for a range
 * that spans two segment files and a gap (the camera dropped out), and the range plays in the browser —
 * HLS VOD through hls.js (MSE, a discontinuity at the gap) and the single MP4 in a <video> element —
 * past the gap to its end, without a console error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { CameraRecorder } from '../../../src/recording/recorder.js';
import { RecordingsRepository } from '../../../src/storage/repositories/recordings.js';
import {
  launchChromium,
  logInAs,
  newVisitor,
  skipWithoutChromium,
  startE2eServer,
  type E2eServer,
} from '../../e2e/support.js';
import { FakeClock, feed, realCamera } from '../../unit/recording/helpers.js';

const HLS_JS = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

/** The few browser objects the in-page code uses (the project's TypeScript has no DOM library). */
interface PageVideo {
  muted: boolean;
  src: string;
  playbackRate: number;
  readonly currentTime: number;
  readonly duration: number;
  readonly ended: boolean;
  readonly error: { message: string } | null;
  play(): Promise<void>;
  addEventListener(event: 'ended' | 'error', listener: () => void): void;
}
interface InPage {
  document: { createElement(tag: 'video'): PageVideo; body: { append(el: PageVideo): void } };
  Hls: {
    new (config: { enableWorker: boolean }): {
      loadSource(url: string): void;
      attachMedia(video: PageVideo): void;
    };
    isSupported(): boolean;
  };
}

describe('recorded range with a gap plays in Chromium', { skip: skipWithoutChromium }, () => {
  let server: E2eServer;
  let browser: Browser;
  let recDir: string;
  let cameraId: string;
  let from: number;
  let to: number;

  before(async () => {
    recDir = await mkdtemp(path.join(tmpdir(), 'okno-rec-chromium-'));
    server = await startE2eServer({ 'recording.dir': recDir });
    browser = await launchChromium();
    const db = server.running.db.kysely;
    cameraId = (
      await db.selectFrom('cameras').select('id').where('name', '=', 'Кабинет 1').executeTakeFirstOrThrow()
    ).id;
    // 4 s of video, 3 s without (the camera dropped out), 4 s more: two segment files and a gap.
    const clock = new FakeClock(Date.now() - 30_000);
    from = clock.ms;
    const rec = new CameraRecorder({
      cameraId,
      root: recDir,
      repo: new RecordingsRepository(db),
      clock,
      segmentMs: 60_000,
      syncIntervalMs: 500,
      preRollMs: 6000,
    });
    await rec.load();
    rec.setWanted(true, false);
    let src = await realCamera(2);
    rec.onInit(src.init);
    feed(src, clock, 4000, (f) => rec.onFragment(f));
    rec.onStall('no video for 2000 ms');
    rec.onSpawn();
    clock.advance(1500);
    rec.onSpawn();
    clock.advance(1500);
    src = await realCamera(2);
    rec.onInit(src.init);
    feed(src, clock, 4000, (f) => rec.onFragment(f));
    await rec.close();
    to = clock.ms;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await rm(recDir, { recursive: true, force: true });
  });

  test('HLS (hls.js) and MP4 play across the gap to the end', async () => {
    const { base } = server;
    const v = await newVisitor(browser, 'desktop');
    try {
      // The inspector lands on the camera's recordings screen of the web app (its timeline comes from here).
      await logInAs(v.page, base, 'Елена Морозова', `/recordings/${cameraId}`);
      const grant = await v.page.evaluate(
        async ({ cameraId, from, to }) => {
          const me = (await (await fetch('/api/me')).json()) as { csrfToken: string };
          const r = await fetch(`/api/recordings/${cameraId}/playback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
            body: JSON.stringify({
              from: new Date(from).toISOString(),
              to: new Date(to).toISOString(),
              reason: 'Проверка жалобы № 17/2026 о вымогательстве',
            }),
          });
          return (await r.json()) as { hlsUrl: string; mp4Url: string };
        },
        { cameraId, from, to },
      );
      assert.ok(grant.hlsUrl, JSON.stringify(grant));

      // The app's CSP allows same-origin scripts only: serve hls.js from a same-origin test path.
      await v.context.route(`${base}/__test__/hls.min.js`, (route) =>
        route.fulfill({ path: HLS_JS, contentType: 'text/javascript' }),
      );
      await v.page.addScriptTag({ url: `${base}/__test__/hls.min.js` });
      const hls = await v.page.evaluate(async (url) => {
        const w = globalThis as unknown as InPage;
        if (!w.Hls.isSupported())
          return { error: 'MSE not supported', currentTime: 0, duration: 0, ended: false };
        const video = w.document.createElement('video');
        video.muted = true;
        w.document.body.append(video);
        const player = new w.Hls({ enableWorker: false }); // the app's CSP allows no blob: workers
        player.loadSource(url);
        player.attachMedia(video);
        video.playbackRate = 4;
        await video.play();
        await new Promise<void>((resolve, reject) => {
          video.addEventListener('ended', () => resolve());
          video.addEventListener('error', () => reject(new Error(video.error?.message ?? 'video error')));
          setTimeout(() => resolve(), 15_000);
        });
        return { error: null, currentTime: video.currentTime, duration: video.duration, ended: video.ended };
      }, grant.hlsUrl);
      assert.equal(hls.error, null);
      assert.ok(hls.ended, `HLS ended at ${hls.currentTime} of ${hls.duration} s`);
      assert.ok(hls.currentTime >= 7.5, `HLS played ${hls.currentTime} s of 8 s`);

      const mp4 = await v.page.evaluate(async (url) => {
        const w = globalThis as unknown as InPage;
        const video = w.document.createElement('video');
        video.muted = true;
        video.src = url;
        w.document.body.append(video);
        video.playbackRate = 4;
        await video.play();
        await new Promise<void>((resolve, reject) => {
          video.addEventListener('ended', () => resolve());
          video.addEventListener('error', () => reject(new Error(video.error?.message ?? 'video error')));
          setTimeout(() => resolve(), 15_000);
        });
        return { currentTime: video.currentTime, duration: video.duration, ended: video.ended };
      }, grant.mp4Url);
      assert.ok(mp4.ended, `MP4 ended at ${mp4.currentTime} of ${mp4.duration} s`);
      assert.ok(mp4.currentTime >= 10.5, `the MP4 keeps the 3 s gap: played to ${mp4.currentTime} s`);
      v.assertNoProblems();
    } finally {
      await v.close();
    }
  });
});
