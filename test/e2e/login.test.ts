/**
 * End to end in Chromium: the real server (startServer, SQLite in a temporary data directory, the
 * demo seed) and Debian's Chromium driven by playwright-core. A demo parent logs in through the web
 * app's login screen and the embedded development provider, lands in the app with their name and a
 * session, and logs out with the app's button through the provider's confirmation page; the session
 * is gone. Any console error or page error fails the test. Screenshots (phone 390 px, desktop
 * 1280 px) go to screenshots/. Without Chromium the test is skipped, except under CI (support.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/identity/sessions.js';
import {
  launchChromium,
  newVisitor,
  shoot,
  skipWithoutChromium,
  startE2eServer,
  type E2eServer,
} from './support.js';

describe('login in Chromium through the embedded development provider', { skip: skipWithoutChromium }, () => {
  let server: E2eServer;
  let browser: Browser;

  before(async () => {
    server = await startE2eServer();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a demo parent logs in, the app shows them with a session, and logs out', async () => {
    const { base } = server;
    const v = await newVisitor(browser, 'phone');
    const { page, context } = v;
    // Asked outside the page: a 401 seen by the page would be logged as a console error.
    const apiMeStatus = async () => (await context.request.get(`${base}/api/me`)).status();
    try {
      // Logged out, `/` is the web app's login screen.
      await page.goto(`${base}/`);
      const login = page.getByRole('link', { name: 'Войти через портал госуслуг' });
      await login.waitFor();
      await page.getByRole('heading', { name: 'Вход в Окно' }).waitFor();
      assert.equal(await apiMeStatus(), 401);
      await shoot(page, 'login-1-app');

      await login.click();
      await page.waitForURL(/\/dev-idp\/interaction\//);
      await page.getByText('Development identity provider — not for production').waitFor();
      await shoot(page, 'login-2-dev-provider');

      await page.getByRole('button', { name: 'Войти как Анна Иванова' }).click();
      // Back in the app, which sends a parent to their children.
      await page.waitForURL(`${base}/children`);
      await page.getByText('Здравствуйте, Анна Иванова').waitFor();
      await page.getByRole('heading', { name: 'Маша Иванова' }).waitFor();
      assert.equal(await page.locator('.account-name').textContent(), 'Анна Иванова');
      await shoot(page, 'login-3-logged-in');

      // The page itself reads /api/me with its session cookie.
      const me = await page.evaluate(async () => {
        const r = await fetch('/api/me', { headers: { accept: 'application/json' } });
        return { status: r.status, body: (await r.json()) as { person: { displayName: string } } };
      });
      assert.equal(me.status, 200, '/api/me answers the page with a session');
      assert.equal(me.body.person.displayName, 'Анна Иванова');
      const cookie = (await context.cookies(base)).find((c) => c.name === SESSION_COOKIE);
      assert.ok(cookie?.httpOnly, 'the session cookie is httpOnly');
      assert.equal(cookie.sameSite, 'Lax');

      await page.getByRole('button', { name: 'Выйти' }).click();
      // Okno's session ends at once; the development provider then asks about its own session.
      await page.waitForURL(/\/dev-idp\/session\/end/);
      assert.equal(await apiMeStatus(), 401, 'the session has ended');
      await shoot(page, 'login-4-provider-logout');
      await page.getByRole('button', { name: 'Да, выйти' }).click();
      await page.waitForURL(`${base}/`);
      await page.getByRole('link', { name: 'Войти через портал госуслуг' }).waitFor();
      assert.equal(await apiMeStatus(), 401);
      assert.equal(
        (await context.cookies(base)).find((c) => c.name === SESSION_COOKIE),
        undefined,
      );

      // Logging in again shows the provider's page of demo people again (it asks every time).
      await page.getByRole('link', { name: 'Войти через портал госуслуг' }).click();
      await page.waitForURL(/\/dev-idp\/interaction\//);
      await page.getByRole('button', { name: 'Войти как Пётр Смирнов' }).click();
      await page.waitForURL(`${base}/children`);
      await page.getByRole('heading', { name: 'Ваня Смирнов' }).waitFor();
      assert.equal(await apiMeStatus(), 200);
    } finally {
      await v.close();
    }
    v.assertNoProblems();
  });

  test('opened by another name for the server (localhost for 127.0.0.1), login still works', async () => {
    const { base } = server;
    const other = base.replace('127.0.0.1', 'localhost');
    const v = await newVisitor(browser, 'phone');
    const { page } = v;
    try {
      await page.goto(`${other}/children`);
      await page.getByRole('link', { name: 'Войти через портал госуслуг' }).click();
      // Sent to the public address before the login starts, so the callback finds its cookie.
      await page.waitForURL(/\/dev-idp\/interaction\//);
      assert.ok(page.url().startsWith(base), page.url());
      await page.getByRole('button', { name: 'Войти как Анна Иванова' }).click();
      await page.waitForURL(`${base}/children`);
      await page.getByRole('heading', { name: 'Маша Иванова' }).waitFor();
    } finally {
      await v.close();
    }
    v.assertNoProblems();
  });
});
