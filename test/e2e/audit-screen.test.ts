/**
 * End to end in Chromium: the auditor's screen. A demo parent opens her group's live video (a grant
 * through the API from her logged-in page) and another parent is refused; the auditor types part of
 * the parent's name into «Человек», picks the suggestion, chooses «Открыл живое видео» and sees only
 * that parent's rows, with names (parent, child, camera, room, kindergarten) and Russian words, the
 * codes in small grey text and no raw ids in the main text; at phone width the rows are cards.
 * Screenshots: screenshots/audit-3-*.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import {
  launchChromium,
  logInAs,
  newVisitor,
  shoot,
  skipWithoutChromium,
  startE2eServer,
  VIEWPORTS,
  type E2eServer,
} from './support.js';

/** The page's globals this test reads (the tests compile without the DOM library). */
type InPage = {
  getComputedStyle(el: unknown): { fontSize: string; color: string; display: string };
  document: {
    documentElement: { scrollWidth: number };
    querySelector(s: string): { value?: string; getBoundingClientRect(): { height: number } } | null;
  };
  innerWidth: number;
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Asks for a live grant from the logged-in page (the app's own client would do the same). */
async function askLive(page: Page, cameraId: string): Promise<number> {
  return page.evaluate(async (id) => {
    const me = (await (await fetch('/api/me')).json()) as { csrfToken: string };
    const r = await fetch('/api/streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
      body: JSON.stringify({ cameraId: id }),
    });
    return r.status;
  }, cameraId);
}

describe('the auditor’s screen in Chromium', { skip: skipWithoutChromium }, () => {
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

  test('the auditor picks a parent by part of her name and sees her live-video rows with names', async () => {
    const cams = await server.running.db.kysely.selectFrom('cameras').select(['id', 'name']).execute();
    const bees = cams.find((c) => c.name === 'Пчёлки — игровая')!.id;

    const anna = await newVisitor(browser, 'phone');
    await logInAs(anna.page, server.base, 'Анна Иванова');
    assert.equal(await askLive(anna.page, bees), 200, 'Anna may watch her group');
    assert.equal(await askLive(anna.page, bees), 200, 'twice');
    const petr = await newVisitor(browser, 'phone');
    await logInAs(petr.page, server.base, 'Пётр Смирнов');
    assert.equal(await askLive(petr.page, bees), 404, 'Pyotr may not');
    await anna.close();
    await petr.close();

    const marina = await newVisitor(browser, 'desktop');
    const { page } = marina;
    try {
      await logInAs(page, server.base, 'Марина Лебедева');
      await page.waitForURL(`${server.base}/audit`);
      await page.locator('.audit-table tbody tr').first().waitFor();

      // «Человек»: a typed name is not enough, a suggestion must be picked.
      const person = page.getByRole('combobox', { name: 'Человек' });
      await person.fill('а');
      await page.getByText('Введите хотя бы 2 буквы.').waitFor();
      await person.fill('иван');
      const option = page.getByRole('option', { name: /Анна Иванова/ });
      await option.waitFor();
      await option.getByText('родитель: Маша Иванова').waitFor();
      await shoot(page, 'audit-3-suggestions', { fullPage: false });
      await option.click();
      assert.equal(await person.inputValue(), 'Анна Иванова');

      await page.getByLabel('Действие').selectOption({ label: 'Открыл живое видео' });
      await page.getByRole('button', { name: 'Найти' }).click();
      await page.waitForURL(
        (u) => u.searchParams.has('person') && u.searchParams.get('action') === 'grant.live',
      );

      const rows = page.locator('.audit-table tbody tr');
      await rows.first().getByText('Анна Иванова').waitFor();
      const n = await rows.count();
      assert.ok(n >= 2, `Anna's two grants (${n})`);
      for (let i = 0; i < n; i++) {
        const row = rows.nth(i);
        const text = await row.innerText();
        for (const words of [
          'Анна Иванова',
          'Открыл живое видео',
          'Пчёлки — игровая',
          'Маша Иванова',
          'Группа «Пчёлки» · Детский сад №1 «Солнышко»',
          'Разрешено',
          'законный представитель ребёнка из группы',
        ])
          assert.ok(text.includes(words), `row ${i} says «${words}»: ${text}`);
        assert.doesNotMatch(text, UUID, 'no raw id in the row');
        assert.ok(!text.includes('demo-parent-anna'), 'no login subject in the row');
        assert.ok(!text.includes('Пётр Смирнов'), 'only the picked parent');
        // The codes stay, small and grey.
        const code = row.locator('code.code-note').first();
        assert.equal((await code.innerText()).replace(/\s/g, ''), 'grant.live');
        const grey = await code.evaluate((el: unknown) => {
          const s = (globalThis as unknown as InPage).getComputedStyle(el);
          return { size: parseFloat(s.fontSize), color: s.color };
        });
        assert.ok(grey.size < 14, `the code is small (${grey.size}px)`);
      }
      // The whole main text of the results: no ids anywhere (details are folded).
      assert.doesNotMatch(await page.locator('.audit-table tbody').innerText(), UUID);
      // The picked name survives a reload (it comes back from the server for the id in the URL).
      await page.reload();
      await rows.first().getByText('Анна Иванова').waitFor();
      await page.waitForFunction(
        () =>
          (globalThis as unknown as InPage).document.querySelector('input[role="combobox"]')?.value ===
          'Анна Иванова',
      );
      // The CSV link carries the same filters.
      const csv = await page.getByRole('link', { name: 'Скачать CSV' }).getAttribute('href');
      assert.match(csv ?? '', /person=[0-9a-f-]{36}/);
      assert.match(csv ?? '', /action=grant\.live/);
      await shoot(page, 'audit-3-picked');

      // At phone width each entry is a card: the header row is hidden, cells stack.
      await page.setViewportSize(VIEWPORTS.phone);
      const display = await rows
        .first()
        .evaluate((el: unknown) => (globalThis as unknown as InPage).getComputedStyle(el).display);
      assert.equal(display, 'block', 'a card on a phone');
      assert.equal(
        await page.evaluate(
          () =>
            (globalThis as unknown as InPage).document
              .querySelector('.audit-table thead')
              ?.getBoundingClientRect().height,
        ),
        1,
      );
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px)`);

      // Text typed but not picked is not searched: the field says what to do.
      await page.setViewportSize(VIEWPORTS.desktop);
      await page.getByRole('button', { name: /Убрать: Анна Иванова/ }).click();
      await person.fill('Кто-то');
      await page.getByRole('button', { name: 'Найти' }).click();
      await page.getByText('Выберите вариант из подсказок (или очистите поле).').waitFor();
      assert.ok(new URL(page.url()).searchParams.has('person'), 'the search did not run');
      marina.assertNoProblems();
    } finally {
      await marina.close();
    }
  });
});
