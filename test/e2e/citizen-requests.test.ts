/**
 * End to end in Chromium (issue 13, items 5 and 6): an employee sees who viewed their recordings.
 * The demo inspector Елена Морозова plays back a range of «Кабинет 1» with a stated reason (through
 * the API from her own logged-in browser: the playback screen has its own test); the demo employee
 * Игорь Соколов, bound to that workplace, opens «Моё рабочее место» on a phone and sees the
 * inspector's name, what she did and her reason. The demo office head Наталья Орлова draws a
 * privacy mask with a finger-like drag on the mask editor and saves it; the employee sees no mask
 * editor and no requests section. The office head makes a request from a visit chosen in
 * «Выбрать приём»: its camera and recorded range are taken, and the request page shows the visit.
 *
 * Any console error or page error fails the test in which it happened. Screenshots go to
 * screenshots/ (git-ignored).
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

const ELENA = 'Елена Морозова'; // demo-inspector, the demo region
const IGOR = 'Игорь Соколов'; // demo-employee, the office's workplace 1
const NATALIA = 'Наталья Орлова'; // demo-office-head
const SERGEY = 'Виктор Степанов'; // demo-regional: approves what the office head requests
const REASON = 'Проверка обращения № 42/2026 о вымогательстве на приёме';

describe('citizens’ requests and transparency in Chromium', { skip: skipWithoutChromium }, () => {
  let server: E2eServer;
  let browser: Browser;
  const visitors: Visitor[] = [];
  let desk1 = '';

  before(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    const db = server.running.db.kysely;
    desk1 = (
      await db.selectFrom('cameras').select('id').where('name', '=', 'Кабинет 1').executeTakeFirstOrThrow()
    ).id;
  });
  after(async () => {
    for (const v of visitors) await v.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  test('an employee sees who viewed the recordings of their workplace, with the reason', async () => {
    const elena = await newVisitor(browser, 'desktop');
    visitors.push(elena);
    await logInAs(elena.page, server.base, ELENA, '/recordings');
    const played = await elena.page.evaluate(
      async ({ cameraId, reason }) => {
        const s = (await (await fetch('/api/session')).json()) as { session: { csrfToken: string } };
        const to = new Date(Date.now() - 60_000).toISOString();
        const from = new Date(Date.now() - 15 * 60_000).toISOString();
        const r = await fetch(`/api/recordings/${cameraId}/playback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': s.session.csrfToken },
          body: JSON.stringify({ from, to, reason }),
        });
        return r.status;
      },
      { cameraId: desk1, reason: REASON },
    );
    assert.equal(played, 200);
    elena.assertNoProblems();

    const igor = await newVisitor(browser, 'phone');
    visitors.push(igor);
    const { page } = igor;
    await logInAs(page, server.base, IGOR, '/my-workplace');
    await page.getByRole('heading', { name: 'Моё рабочее место', level: 1 }).waitFor();
    const log = page.getByTestId('access-log');
    const entry = log.locator('li', { hasText: ELENA });
    await entry.waitFor();
    assert.match(await entry.innerText(), /инспектор/);
    assert.match(await entry.innerText(), /просмотр записи/);
    assert.match(await entry.innerText(), new RegExp(REASON.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await page.getByText('непрерывная запись').first().waitFor();
    // The demo's two weeks of visits at his desk, from the office's visit log.
    const visits = page.getByTestId('workplace-visits');
    await visits.locator('li').first().waitFor();
    assert.ok((await visits.locator('li').count()) > 0);
    // Employees neither request copies nor draw masks.
    assert.equal(await page.getByRole('link', { name: 'Запросы граждан' }).count(), 0);
    await shoot(page, 'my-workplace');
    igor.assertNoProblems();
  });

  test('the office head draws a privacy mask and saves it', async () => {
    const natalia = await newVisitor(browser, 'desktop');
    visitors.push(natalia);
    const { page } = natalia;
    await logInAs(page, server.base, NATALIA, '/citizen-requests');
    await page.getByRole('heading', { name: 'Запросы граждан', level: 1 }).waitFor();
    await page
      .getByRole('link', { name: /Кабинет 1/ })
      .first()
      .click();
    const canvas = page.getByRole('application', { name: 'Закрытые зоны камер' });
    await canvas.waitFor();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.6, { steps: 5 });
    await page.mouse.up();
    // The demo's mask over the neighbouring desk, and the new one.
    await page.getByTestId('rect').nth(1).waitFor();
    assert.equal(await page.getByTestId('rect').count(), 2);
    await page.getByRole('button', { name: 'Сохранить' }).click();
    await page.getByText('Сохранено.').waitFor();
    const rows = await server.running.db.kysely
      .selectFrom('privacy_masks')
      .selectAll()
      .where('camera_id', '=', desk1)
      .orderBy('position')
      .execute();
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.label, 'соседний стол', 'the existing mask kept its label');
    const r = rows[1]!;
    assert.ok(Math.abs(Number(r.x) - 0.1) < 0.02 && Math.abs(Number(r.w) - 0.3) < 0.02, JSON.stringify(r));
    assert.ok(Math.abs(Number(r.y) - 0.2) < 0.02 && Math.abs(Number(r.h) - 0.4) < 0.02, JSON.stringify(r));
    await shoot(page, 'privacy-masks');
    natalia.assertNoProblems();
  });

  test('the office head records a request with an extra region; the regional operator approves it', async () => {
    const natalia = await newVisitor(browser, 'phone');
    visitors.push(natalia);
    const { page } = natalia;
    await logInAs(page, server.base, NATALIA, '/citizen-requests/new');
    await page.getByRole('heading', { name: 'Новый запрос', level: 1 }).waitFor();
    await page.getByLabel('Номер обращения гражданина').fill('17-12/345');
    await page.getByLabel('Дата обращения').fill('2026-03-02');
    const canvas = page.getByRole('application', { name: 'Дополнительно скрыть на этой записи' });
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.9, { steps: 6 });
    await page.mouse.up();
    await page.getByText('Оставить звук').click();
    await page.getByRole('button', { name: 'Создать запрос' }).click();
    await page.getByRole('heading', { name: '№ 17-12/345', level: 1 }).waitFor();
    await page.getByText('Ждёт согласования').first().waitFor();
    await page.getByText('руководитель не согласует свой собственный запрос').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Согласовать' }).count(), 0);
    const id = page.url().split('/').at(-1)!;
    const row = await server.running.db.kysely
      .selectFrom('citizen_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.keep_audio, 1);
    const regions = JSON.parse(row.regions) as { x: number; w: number }[];
    assert.equal(regions.length, 1);
    assert.ok(Math.abs(regions[0]!.x - 0.5) < 0.03 && Math.abs(regions[0]!.w - 0.3) < 0.03, row.regions);
    await shoot(page, 'citizen-request-pending');
    natalia.assertNoProblems();

    const sergey = await newVisitor(browser, 'desktop');
    visitors.push(sergey);
    await logInAs(sergey.page, server.base, SERGEY, `/citizen-requests/${id}`);
    await sergey.page.getByRole('button', { name: 'Согласовать' }).click();
    await sergey.page.getByText('Согласован', { exact: true }).first().waitFor();
    await sergey.page.getByText(SERGEY, { exact: true }).first().waitFor();
    await shoot(sergey.page, 'citizen-request-approved');
    sergey.assertNoProblems();
  });

  test('the office head makes a request from a visit chosen in «Выбрать приём»', async () => {
    const natalia = await newVisitor(browser, 'phone');
    visitors.push(natalia);
    const { page } = natalia;
    await logInAs(page, server.base, NATALIA, '/citizen-requests/new');
    await page.getByRole('heading', { name: 'Новый запрос', level: 1 }).waitFor();
    await page.getByLabel('Номер обращения гражданина').fill('17-12/346');
    const choose = page.getByLabel('Выбрать приём');
    await choose.locator('option').nth(1).waitFor({ state: 'attached' });
    const visitId = await choose.locator('option').nth(1).getAttribute('value');
    assert.ok(visitId);
    await choose.selectOption(visitId);
    await page.getByTestId('visit-range').waitFor();
    assert.equal(await page.getByLabel('Начало').count(), 0, 'no manual range with a visit');
    await page.getByRole('button', { name: 'Создать запрос' }).click();
    await page.getByRole('heading', { name: '№ 17-12/346', level: 1 }).waitFor();
    await page.getByText('Приём', { exact: true }).first().waitFor();
    const id = page.url().split('/').at(-1)!;
    const db = server.running.db.kysely;
    const row = await db
      .selectFrom('citizen_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const v = await db.selectFrom('visits').selectAll().where('id', '=', visitId).executeTakeFirstOrThrow();
    assert.equal(row.visit_id, visitId);
    assert.equal(Date.parse(row.from_at), Date.parse(v.started_at) - Number(v.pre_roll_ms));
    assert.equal(Date.parse(row.to_at), Date.parse(v.ended_at!) + Number(v.post_roll_ms));
    await shoot(page, 'citizen-request-from-visit');
    natalia.assertNoProblems();
  });
});
