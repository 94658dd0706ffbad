/**
 * Attendance end to end in Chromium, on the real server with the demo seed: the education officer
 * reads tomorrow's meal order of kindergarten №1; Анна, on her phone, says Маша will not come
 * tomorrow (before the cut-off) and the order drops by exactly one; the teacher marks today's register
 * on her phone (one tap per child, a reason for the absent one); the dashboard shows today's count.
 *
 * The cut-off is set to 23:00 Moscow time so the test runs before it; in the one hour after 23:00 it
 * checks the other rule instead: a notice after the cut-off leaves the final order as it was.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import {
  launchChromium,
  logInAs,
  newVisitor,
  skipWithoutChromium,
  startE2eServer,
  type E2eServer,
  type Visitor,
} from './support.js';

const ANNA = 'Анна Иванова';
const TEACHER = 'Татьяна Сергеевна Попова';
const OFFICER = 'Наталья Викторовна Егорова';
const KG1 = 'Детский сад №1 «Солнышко»';
const CUTOFF_HOUR = 23;

const moscowHour = () =>
  Number(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Moscow', hour: '2-digit', hourCycle: 'h23' }).format(
      new Date(),
    ),
  );

async function tomorrowOrder(page: Page): Promise<number> {
  const cell = page.locator(`tr[data-kindergarten="${KG1}"] .edu-order-total`);
  await cell.waitFor({ timeout: 30_000 });
  return Number(await cell.textContent());
}

describe(
  'attendance in Chromium: parent notice, teacher register, education dashboard',
  { skip: skipWithoutChromium },
  () => {
    let server: E2eServer;
    let browser: Browser;
    const visitors: Visitor[] = [];
    let officer: Visitor;
    let before0 = 0;

    before(async () => {
      server = await startE2eServer({ 'attendance.orderCutoffHour': CUTOFF_HOUR });
      browser = await launchChromium();
    });
    after(async () => {
      for (const v of visitors) await v.close();
      await browser?.close();
      await server?.close();
    });

    test('the education officer sees tomorrow’s order', async () => {
      officer = await newVisitor(browser, 'desktop');
      visitors.push(officer);
      await logInAs(officer.page, server.base, OFFICER);
      await officer.page.waitForURL(/\/education$/);
      await officer.page.getByRole('heading', { name: 'Посещаемость и питание' }).waitFor();
      before0 = await tomorrowOrder(officer.page);
      assert.ok(before0 > 0, `tomorrow's order is ${before0}`);
      // the history's charts and the accuracy are there from the first start
      assert.ok((await officer.page.locator('.edu-bar').count()) >= 20);
      officer.assertNoProblems();
    });

    test('Анна says Маша will not come tomorrow, and the order drops by one', async () => {
      const anna = await newVisitor(browser, 'phone');
      visitors.push(anna);
      await logInAs(anna.page, server.base, ANNA, '/absence');
      const beforeCutoff = moscowHour() < CUTOFF_HOUR;
      await anna.page.getByRole('button', { name: 'Маша не придёт' }).click();
      await anna.page
        .getByText(beforeCutoff ? /Заказ питания на \d{4}-\d{2}-\d{2} уменьшен/ : /уже сделан/)
        .waitFor({ timeout: 30_000 });
      await anna.page.locator('.absence-list li', { hasText: 'Болеет' }).waitFor();
      anna.assertNoProblems();
      await officer.page.reload();
      const after0 = await tomorrowOrder(officer.page);
      assert.equal(after0, beforeCutoff ? before0 - 1 : before0);
      officer.assertNoProblems();
    });

    test('the teacher marks today’s register on her phone; the dashboard shows the day', async () => {
      const teacher = await newVisitor(browser, 'phone');
      visitors.push(teacher);
      await logInAs(teacher.page, server.base, TEACHER);
      await teacher.page.waitForURL(/\/register$/);
      const liza = teacher.page.locator('li[data-child="Лиза Новикова"]');
      const masha = teacher.page.locator('li[data-child="Маша Иванова"]');
      await liza.getByRole('button', { name: 'Пришёл' }).click();
      await masha.getByRole('button', { name: 'Нет' }).click();
      await masha.getByRole('button', { name: 'Болеет' }).click();
      await teacher.page.getByText('Пришли 1 из 2, не отмечены 0').waitFor();
      await teacher.page.getByText('Все отметки отправлены').waitFor({ timeout: 30_000 });
      // the teacher sees Анна's notice for tomorrow
      await teacher.page.getByText('Сообщения родителей').waitFor();
      teacher.assertNoProblems();

      await officer.page.reload();
      const present = officer.page.locator(`tr[data-kindergarten="${KG1}"] .edu-present`);
      await present.waitFor();
      assert.match((await present.textContent()) ?? '', /^1 \/ \d+$/);
      officer.assertNoProblems();
    });
  },
);
