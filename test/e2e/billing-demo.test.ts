/**
 * End to end in Chromium: the paid service as the demo shows it on first start. Пётр: the free pilot
 * ends soon; one child is confirmed to continue after it, the other is not, and he confirms now.
 * Сергей: Маша's mother pays; he sees that and cannot cancel. Нина: suspended for an unpaid month,
 * with what to pay. The kindergarten administrator: subscribers and arrears. The money path itself
 * (subscribe, bill, export, arrears, payment) is billing.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import {
  launchChromium,
  logInAs,
  newVisitor,
  shoot,
  skipWithoutChromium,
  startE2eServer,
  type E2eServer,
  type Visitor,
} from './support.js';

describe('the paid service in the demo, in Chromium', { skip: skipWithoutChromium }, () => {
  let server: E2eServer;
  let browser: Browser;
  const visitors: Visitor[] = [];
  const visitor = async (size: 'phone' | 'desktop') => {
    const v = await newVisitor(browser, size);
    visitors.push(v);
    return v;
  };

  before(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
  });
  after(async () => {
    for (const v of visitors) await v.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  test("the demo on first start: a pilot ending, the payer shown to both parents, a suspended family, the kindergarten's arrears", async () => {
    const petr = await visitor('phone');
    await logInAs(petr.page, server.base, 'Пётр Смирнов');
    const vanya = petr.page.locator('.child', { hasText: 'Ваня Смирнов' });
    const katya = petr.page.locator('.child', { hasText: 'Катя Смирнова' });
    await vanya.getByText(/^Бесплатно — пилотный детский сад до /).waitFor();
    await vanya.getByText(/Вы подтвердили: после .* подписка продолжится за 250 ₽ в месяц/).waitFor();
    await katya.getByText(/^Пилот заканчивается /).waitFor();
    await shoot(petr.page, 'billing-0a-parent-pilot-ending');
    await katya.getByRole('button', { name: 'Продолжить после пилота' }).click();
    await katya.getByText(/Вы подтвердили: после .* подписка продолжится/).waitFor();

    const sergey = await visitor('phone');
    await logInAs(sergey.page, server.base, 'Сергей Иванов');
    await sergey.page.getByText('Оплачивает Анна Иванова').waitFor();
    await sergey.page.getByText(/Отменить подписку может только Анна Иванова/).waitFor();
    assert.equal(await sergey.page.getByRole('button', { name: 'Отменить подписку' }).count(), 0);
    await shoot(sergey.page, 'billing-0b-parent-payer-is-the-other');

    const nina = await visitor('phone');
    await logInAs(nina.page, server.base, 'Нина Козлова');
    await nina.page.locator('.camera-card').getByText('Подписка приостановлена: не оплачена').waitFor();
    await nina.page
      .locator('.child-billing')
      .getByText(/Оплатите по квитанции детского сада: октябрь/)
      .waitFor();
    await nina.page.locator('.child-billing').getByText('просрочено').first().waitFor();
    await shoot(nina.page, 'billing-0c-parent-suspended');

    const olga = await visitor('desktop');
    await logInAs(olga.page, server.base, 'Ольга Петровна Кузнецова', '/admin');
    await olga.page.waitForURL(/\/admin\/institutions\/[0-9a-f-]{36}$/);
    await olga.page.getByRole('link', { name: 'Подписки и оплата' }).click();
    const artem = olga.page.getByRole('row').filter({ hasText: 'Артём Козлов' });
    await artem.getByText('приостановлена: не оплачена').waitFor();
    await artem.getByText('140 ₽').waitFor();
    await shoot(olga.page, 'billing-0d-admin-subscribers');
    for (const v of visitors) v.assertNoProblems();
  });
});
