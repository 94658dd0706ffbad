/**
 * Shared by the end-to-end tests in Chromium: the real server (startServer, SQLite in a temporary data
 * directory, the demo seed) on a free port, Debian's Chromium driven by playwright-core, logging in as
 * a demo person through the embedded development provider, and a watch on every page for console
 * errors and page errors (any one fails the test that opened the page).
 *
 * Without Chromium the tests are skipped on a developer machine; under CI a missing Chromium is an
 * error, so a broken CI image cannot pass silently.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type Running } from '../../src/server/serve.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';
import { DEFAULT_DIST_DIR } from '../../src/api/web.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`Chromium is required in CI but ${CHROMIUM} is missing`);
if (haveChromium && !existsSync(path.join(DEFAULT_DIST_DIR, 'index.html')))
  throw new Error('the web app is not built: run `npm run build:web` before the end-to-end tests');

/** For `describe(name, { skip: skipWithoutChromium }, …)`. */
export const skipWithoutChromium: string | false = haveChromium ? false : `no Chromium at ${CHROMIUM}`;

export const SHOTS_DIR = path.resolve('screenshots');
export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

/** A free TCP port: the public URL (the redirect URI the provider checks) must name the real port. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface E2eServer {
  running: Running;
  /** http://127.0.0.1:PORT */
  base: string;
  /** the server's data directory (its database, export key and exports) */
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The real server on a free port with the demo seeded into a fresh SQLite database. Recording is off
 * unless asked for (it would record the office's demo cameras and cost CPU the other tests need).
 */
export async function startE2eServer(overrides: Record<string, unknown> = {}): Promise<E2eServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'okno-e2e-'));
  let running: Running | undefined;
  let lastError: unknown;
  for (let tries = 0; tries < 3 && !running; tries++) {
    const port = await freePort();
    const config = loadConfig({
      env: {},
      overrides: {
        host: '127.0.0.1',
        port,
        publicUrl: `http://127.0.0.1:${port}`,
        dataDir,
        logLevel: 'warn',
        'recording.enabled': false,
        ...overrides,
      },
    });
    try {
      running = await startServer(config, {
        beforeListen: async (db) => {
          await seedDemo(db.kysely, devIssuer(config.publicUrl), new Date());
        },
      });
    } catch (e) {
      lastError = e; // the port was taken between finding and using it: try another
    }
  }
  if (!running) {
    rmSync(dataDir, { recursive: true, force: true });
    throw lastError;
  }
  const r = running;
  return {
    running: r,
    base: r.url,
    dataDir,
    close: async () => {
      await r.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** One person's browser: its own cookies, one page, and every console error and page error seen. */
export interface Visitor {
  context: BrowserContext;
  page: Page;
  problems: string[];
  /** fails when any console error or page error was seen */
  assertNoProblems(): void;
  close(): Promise<void>;
}

export async function newVisitor(
  browser: Browser,
  viewport: ViewportName = 'phone',
  opts: { locale?: string } = {},
): Promise<Visitor> {
  const context = await browser.newContext({
    viewport: VIEWPORTS[viewport],
    locale: opts.locale ?? 'ru-RU',
    timezoneId: 'Europe/Moscow',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  return {
    context,
    page,
    problems,
    assertNoProblems: () => assert.deepEqual(problems, [], 'no console errors or page errors'),
    close: () => context.close(),
  };
}

/**
 * Logs in through the app's login screen and the development provider's "log in as" page, starting
 * at `path` (the app brings the person back there), and waits until the app shows their name.
 */
export async function logInAs(page: Page, base: string, displayName: string, path = '/'): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.getByRole('link', { name: 'Войти через портал госуслуг' }).click();
  await page.waitForURL(/\/dev-idp\/interaction\//);
  await page.getByRole('button', { name: `Войти как ${displayName}` }).click();
  await page.waitForURL((url) => url.origin === base && !url.pathname.startsWith('/dev-idp'));
  // The name is in the top bar (hidden by the layout on phones, so only attached is required).
  await page.locator('.account-name', { hasText: displayName }).waitFor({ state: 'attached' });
}

/**
 * Saves the page at phone and desktop widths as screenshots/<name>-<phone|desktop>.png (git-ignored),
 * then puts the viewport back. `ready` is awaited after each resize (layouts that load more at width).
 */
export async function shoot(
  page: Page,
  name: string,
  opts: { ready?: () => Promise<void>; fullPage?: boolean } = {},
): Promise<void> {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const before = page.viewportSize();
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await opts.ready?.();
    // From the top: a full-page shot of a scrolled page draws the sticky top bar mid-page.
    await page.evaluate(() =>
      (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
    );
    await page.screenshot({
      path: path.join(SHOTS_DIR, `${name}-${label}.png`),
      fullPage: opts.fullPage ?? true,
      animations: 'disabled',
      caret: 'hide',
    });
  }
  if (before) await page.setViewportSize(before);
}

/** Seconds with one decimal, for the printed measurements. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
