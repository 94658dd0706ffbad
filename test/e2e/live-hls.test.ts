/**
 * End to end in Chromium: a parent watches the demo camera through the HLS fallback (forced with
 * `?transport=hls`, the path an iPhone or a network without WebSockets takes): hls.js plays the
 * server's Low-Latency HLS and the video's time advances. Then the network to the media server drops
 * (its requests are aborted) and the player says «Нет связи» instead of «В эфире» over a frozen
 * picture; the time from the last frame to the words is printed (goal ≤ 2 s).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import {
  launchChromium,
  logInAs,
  newVisitor,
  seconds,
  skipWithoutChromium,
  startE2eServer,
  type E2eServer,
  type Visitor,
} from './support.js';

const ANNA = 'Анна Иванова';

/** The page's globals, typed here without the DOM library (these functions run in the page). */
type InPage = { document: { querySelector(s: string): { currentTime: number } | null } };

/** What the in-page watcher keeps (performance.now() instants). */
type Watcher = {
  document: { querySelector(s: string): { currentTime?: number; textContent?: string | null } | null };
  performance: { now(): number };
  setInterval(f: () => void, ms: number): number;
  __lastMoveMs?: number;
  __shownMs?: number;
};

function videoTime(page: Page): Promise<number> {
  return page.evaluate(
    () => (globalThis as unknown as InPage).document.querySelector('video')?.currentTime ?? 0,
  );
}

describe('live HLS in Chromium (the fallback path, forced)', { skip: skipWithoutChromium }, () => {
  let server: E2eServer;
  let browser: Browser;
  let anna: Visitor;

  before(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
  });
  after(async () => {
    await anna?.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  test('a parent plays live HLS and sees the video advance; a dropped network says «Нет связи»', async (t) => {
    anna = await newVisitor(browser, 'phone');
    const { page } = anna;
    await logInAs(page, server.base, ANNA);
    await page.waitForURL(`${server.base}/children`);
    const card = page.getByRole('link', { name: /Пчёлки — игровая/ });
    const href = await card.getAttribute('href');
    assert.match(href ?? '', /^\/watch\/[0-9a-f-]{36}$/);

    const opened = Date.now();
    await page.goto(`${server.base}${href}?transport=hls`);
    const player = page.getByRole('region', { name: /Видео с камеры/ });
    await page.locator('.player[data-transport="hlsjs"]').waitFor({ timeout: 10_000 });
    await page.waitForFunction(
      () => ((globalThis as unknown as InPage).document.querySelector('video')?.currentTime ?? 0) > 0,
      null,
      { timeout: 20_000 },
    );
    t.diagnostic(`HLS: the video advanced ${seconds(Date.now() - opened)} after opening the page`);
    await player.getByRole('status').filter({ hasText: 'В эфире' }).waitFor({ timeout: 10_000 });
    const t0 = await videoTime(page);
    await page.waitForFunction(
      (from) =>
        ((globalThis as unknown as InPage).document.querySelector('video')?.currentTime ?? 0) > from + 2,
      t0,
      { timeout: 15_000 },
    );
    anna.assertNoProblems();

    // The network to the media server drops: every HLS request fails from now on.
    await page.route('**/media/live/**', (route) => route.abort('internetdisconnected'));
    // In the page: when the picture last moved, and when «Нет связи» first showed.
    await page.evaluate(() => {
      const g = globalThis as unknown as Watcher;
      const video = g.document.querySelector('video');
      let t = video?.currentTime ?? 0;
      g.__lastMoveMs = g.performance.now();
      g.setInterval(() => {
        const now = video?.currentTime ?? 0;
        if (now !== t) {
          t = now;
          g.__lastMoveMs = g.performance.now();
        }
        const status = g.document.querySelector('.player-status')?.textContent ?? '';
        if (g.__shownMs === undefined && status.includes('Нет связи')) g.__shownMs = g.performance.now();
      }, 50);
    });
    await player.getByText('Нет связи', { exact: true }).waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => (globalThis as unknown as Watcher).__shownMs !== undefined);
    const { lastMoveMs, shownMs } = await page.evaluate(() => {
      const g = globalThis as unknown as Watcher;
      return { lastMoveMs: g.__lastMoveMs ?? 0, shownMs: g.__shownMs ?? 0 };
    });
    const shownAfterMs = shownMs - lastMoveMs;
    t.diagnostic(`«Нет связи» shown ${seconds(shownAfterMs)} after the last frame (goal ≤ 2 s)`);
    assert.ok(shownAfterMs < 10_000, `shown ${shownAfterMs} ms after the last frame`);
    assert.equal(await player.getByRole('status').filter({ hasText: 'В эфире' }).count(), 0);
    // Only the aborted requests may have complained.
    const other = anna.problems.filter((p) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(p));
    assert.deepEqual(other, []);
  });
});
