/**
 * Office visits end to end in Chromium on the demo: reception opens a visit at desk 2 (recorded per
 * visit) on a phone-sized tablet screen, sees «Идёт запись» and the full-screen notice for the
 * citizen, closes the visit and sees «Запись не идёт» again; the office head sees the demo's flags
 * with their evidence and resolves one with a comment (audited).
 *
 * Any console error or page error fails the test; nothing sleeps a fixed time.
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

const OLGA = 'Ольга Никитина'; // demo-reception
const NATALIA = 'Наталья Орлова'; // demo-office-head

describe('office visits in Chromium', { skip: skipWithoutChromium }, () => {
  let server: E2eServer;
  let browser: Browser;
  const visitors: Visitor[] = [];
  before(async () => {
    // No post-roll: the state is back to «Запись не идёт» seconds after the close.
    server = await startE2eServer({ 'recording.postRollSeconds': 0 });
    browser = await launchChromium();
  });
  after(async () => {
    for (const v of visitors) await v.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  test('reception opens and closes a visit: the recording state and the citizen notice', async () => {
    const olga = await newVisitor(browser, 'phone');
    visitors.push(olga);
    const { page } = olga;
    await logInAs(page, server.base, OLGA, '/desk');
    await page.getByRole('heading', { name: 'Приём граждан', level: 1 }).waitFor();
    await page.getByRole('link', { name: /Кабинет 2 — приём граждан/ }).click();
    await page.getByRole('heading', { name: 'Кабинет 2 — приём граждан', level: 1 }).waitFor();
    const state = page.locator('.rec-state');
    await state.getByText('Запись не идёт').waitFor();
    await page.getByLabel('Категория посетителя').selectOption('guardian');
    await page.getByLabel('Номер дела (необязательно)').fill('ОП-2026/512');
    await shoot(page, 'visits-1-desk');
    await page.getByRole('button', { name: 'Начать приём' }).click();

    const notice = page.getByRole('dialog', { name: 'Приём записывается' });
    await notice.waitFor();
    await notice.getByText('Идёт запись').waitFor();
    await shoot(page, 'visits-2-notice', { fullPage: false });
    await notice.getByRole('button', { name: 'Скрыть уведомление' }).click();
    await state.getByText('Идёт запись').waitFor();
    await page.getByText(/Опекун \(попечитель\) · дело ОП-2026\/512/).waitFor();
    // A reload keeps the open visit (it lives on the server), and the notice is shown again.
    await page.reload();
    await page.locator('.rec-state').getByText('Идёт запись').waitFor();
    await notice.getByRole('button', { name: 'Завершить приём' }).click();
    await page.getByRole('button', { name: 'Начать приём' }).waitFor();
    await page.locator('.rec-state').getByText('Запись не идёт').waitFor({ timeout: 15_000 });

    const rows = await server.running.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'actor_subject'])
      .where('action', 'in', ['visit.open', 'visit.close'])
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      rows.map((r) => [r.action, r.actor_subject]),
      [
        ['visit.open', 'demo-reception'],
        ['visit.close', 'demo-reception'],
      ],
    );
    olga.assertNoProblems();
  });

  test('the office head sees a flag with its evidence and resolves it with a comment', async () => {
    const head = await newVisitor(browser, 'desktop');
    visitors.push(head);
    const { page } = head;
    await logInAs(page, server.base, NATALIA, '/visits/flags');
    await page.getByRole('heading', { name: 'Флаги приёмов и записи', level: 1 }).waitFor();
    const card = page.locator('.flag-card', { hasText: 'Пропуск в записи приёма' }).first();
    await card.waitFor();
    await card.getByText(/камера недоступна/).waitFor();
    await shoot(page, 'visits-3-flags');
    const comment = 'Проверено: камеру перезапустили, запись восстановлена';
    await card.getByLabel('Комментарий').fill(comment);
    await card.getByRole('button', { name: 'Закрыть флаг' }).click();
    await card.getByText(`«${comment}»`).waitFor();
    await card.getByText('закрыт', { exact: true }).waitFor();

    await page.getByRole('link', { name: 'Закрытые' }).click();
    await page.locator('.flag-card', { hasText: comment }).waitFor();
    const audit = await server.running.db.kysely
      .selectFrom('audit_log')
      .select(['actor_subject', 'details'])
      .where('action', '=', 'visit.flag.resolve')
      .execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.actor_subject, 'demo-office-head');
    assert.match(audit[0]!.details!, /камеру перезапустили/);

    await page.goto(`${server.base}/visits/coverage`);
    await page.getByRole('heading', { name: 'Покрытие рабочего времени записью', level: 1 }).waitFor();
    await page.locator('.cov-bar').first().waitFor({ state: 'attached' });
    await page.locator('.cov-table tbody tr').first().waitFor();
    await shoot(page, 'visits-4-coverage');
    head.assertNoProblems();
  });
});
