/**
 * End to end in Chromium: an alert raised in the demo kindergarten reaches its administrator's bell
 * (the delivery worker of the real server fans it out); she opens it from the bell, reads the
 * evidence, resolves it with a comment, and the bell's count goes down. Any console or page error
 * fails the test. Screenshots: notifications-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { raiseAlert } from '../../src/alerts/raise.js';
import { systemClock } from '../../src/shared/clock.js';
import {
  launchChromium,
  logInAs,
  newVisitor,
  shoot,
  skipWithoutChromium,
  startE2eServer,
  type E2eServer,
} from './support.js';

describe('the notification centre in Chromium', { skip: skipWithoutChromium }, () => {
  let server: E2eServer;
  let browser: Browser;

  before(async () => {
    server = await startE2eServer({ 'alerts.pollMs': 200 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('an administrator sees the bell count, opens the alert and resolves it', async () => {
    const db = server.running.db.kysely;
    const binding = await db
      .selectFrom('role_bindings')
      .innerJoin('persons', 'persons.id', 'role_bindings.person_id')
      .innerJoin('institutions', 'institutions.id', 'role_bindings.scope_id')
      .select(['role_bindings.scope_id as institution_id', 'institutions.region_id'])
      .where('persons.subject', '=', 'demo-kg-admin')
      .where('role_bindings.role', '=', 'kindergarten_admin')
      .executeTakeFirstOrThrow();
    const alert = await db.transaction().execute((trx) =>
      raiseAlert(trx, systemClock, {
        kind: 'camera_offline',
        severity: 'critical',
        regionId: binding.region_id,
        institutionId: binding.institution_id,
        title: 'Камера «Пчёлки — игровая» не работает',
        body: 'Камера недоступна с 09:14.',
        evidence: { reason: 'unreachable', detail: 'connection refused' },
      }),
    );
    const v = await newVisitor(browser, 'phone');
    const { page } = v;
    try {
      await logInAs(page, server.base, 'Ольга Петровна Кузнецова');
      const bell = page.locator('a.bell');
      await bell.waitFor();
      const count = page.getByTestId('bell-count');
      await count.waitFor({ timeout: 20_000 });
      const before = Number(await count.textContent());
      assert.ok(before >= 1, `bell shows ${before}`);
      await bell.click();
      await page.waitForURL(`${server.base}/notifications`);
      await page.getByRole('heading', { name: 'Уведомления' }).waitFor();
      const item = page.getByRole('link', { name: /Камера «Пчёлки — игровая» не работает/ });
      await item.waitFor();
      await shoot(page, 'notifications-1-list');
      await item.click();
      await page.waitForURL(`${server.base}/notifications/${alert.id}`);
      await page.getByText('connection refused').waitFor();
      await page.getByText('Критично').first().waitFor();
      // opening it marks it read: the bell goes down by one
      await page.waitForFunction(
        (n) => {
          const doc = (
            globalThis as unknown as {
              document: { querySelector(s: string): { textContent: string } | null };
            }
          ).document;
          const el = doc.querySelector('[data-testid="bell-count"]');
          return (el ? Number(el.textContent) : 0) === n - 1;
        },
        before,
        { timeout: 10_000 },
      );
      await page.getByLabel('Что сделано').fill('Проверили питание камеры, работает');
      await shoot(page, 'notifications-2-alert');
      await page.getByRole('button', { name: 'Отметить решённым' }).click();
      await page.getByText(/Решено .*Ольга Петровна Кузнецова/).waitFor();
      const row = await db
        .selectFrom('alerts')
        .selectAll()
        .where('id', '=', alert.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.resolution_comment, 'Проверили питание камеры, работает');
      const audit = await db
        .selectFrom('audit_log')
        .select('action')
        .where('action', '=', 'alert.resolve')
        .where('target_id', '=', alert.id)
        .execute();
      assert.equal(audit.length, 1);
      // the settings screen opens
      await page.goto(`${server.base}/notifications/settings`);
      await page.getByRole('heading', { name: 'Настройки уведомлений' }).waitFor();
      await page.getByText('Адрес: olga@example.test').waitFor();
      await shoot(page, 'notifications-3-settings');
      v.assertNoProblems();
    } finally {
      await v.close();
    }
  });
});
