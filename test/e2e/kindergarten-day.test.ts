/**
 * End to end in Chromium, one kindergarten day in order, on the real server with the demo seed
 * (support.ts): a parent on a phone sees only their own child's group and watches it live; the
 * kindergarten administrator at a desk (a second browser context) ends the child's enrolment and the
 * parent's player says access ended; the administrator adds a camera through the probe (a real RTSP
 * test camera, or a `demo:` source where GStreamer is missing outside CI); the auditor finds all of
 * it in the audit log. Then every main screen is saved at phone and desktop widths in screenshots/.
 *
 * The tests share one server and build on each other (the auditor looks for what the others did), so
 * they run in this order. Any console error or page error fails the test in which it happened. Times
 * are measured and printed; only the 5 s revocation is a requirement (docs/design/live-streams.md) —
 * the 1 s live-view goal is printed, and the assertion has a generous bound.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { rtspCameraSupport, startRtspCamera, type RtspCamera } from '../support/rtsp-camera.js';
import {
  launchChromium,
  logInAs,
  newVisitor,
  seconds,
  shoot,
  skipWithoutChromium,
  startE2eServer,
  type E2eServer,
  type Visitor,
} from './support.js';

const ANNA = 'Анна Иванова';
const OLGA = 'Ольга Петровна Кузнецова'; // demo-kg-admin, kindergarten №1
const MARINA = 'Марина Лебедева'; // demo-auditor, the demo city
const SERGEY = 'Сергей Волков'; // demo-operator, the demo city

/** The page's globals, typed here without the DOM library (these functions run in the page). */
type InPage = { document: { querySelector(s: string): { currentTime: number } | null } };

/** Seconds of video the element has played (a function, not a string: the CSP allows no eval). */
function videoTime(page: Page): Promise<number> {
  return page.evaluate(
    () => (globalThis as unknown as InPage).document.querySelector('video')?.currentTime ?? 0,
  );
}

describe(
  'a kindergarten day in Chromium: parent, administrator, auditor',
  { skip: skipWithoutChromium },
  () => {
    let server: E2eServer;
    let browser: Browser;
    let camera: RtspCamera | null = null;
    const visitors: Visitor[] = [];
    let anna: Visitor;
    let olga: Visitor;
    /** the administrator's kindergarten page, /admin/institutions/:id */
    let kindergartenPath = '';

    const visitor = async (...args: Parameters<typeof newVisitor>[1][]) => {
      const v = await newVisitor(browser, args[0]);
      visitors.push(v);
      return v;
    };

    before(async () => {
      // A real camera for the probe where the system can run one; under CI it must.
      const useRtsp = rtspCameraSupport().available || Boolean(process.env.CI);
      [server, browser, camera] = await Promise.all([
        startE2eServer(),
        launchChromium(),
        useRtsp
          ? startRtspCamera({
              width: 640,
              height: 360,
              keyIntFrames: 25,
              user: 'okno',
              password: 'cam-pass-1',
            })
          : Promise.resolve(null),
      ]);
    });

    after(async () => {
      for (const v of visitors) await v.close().catch(() => undefined);
      await browser?.close();
      await server?.close();
      await camera?.stop();
    });

    test('a parent logs in and sees only their own child’s group', async () => {
      anna = await visitor('phone');
      const { page } = anna;
      await logInAs(page, server.base, ANNA);
      await page.waitForURL(`${server.base}/children`);
      const masha = page.getByRole('region', { name: 'Маша Иванова' });
      await masha.waitFor();
      await masha.getByText('Группа «Пчёлки»').waitFor();
      // One child, one group, one camera: the bedroom of the same group is a restricted zone.
      assert.equal(await page.locator('section.child').count(), 1);
      const cards = page.locator('.camera-card');
      assert.deepEqual(await cards.locator('.camera-card-name').allTextContents(), ['Пчёлки — игровая']);
      await cards.getByText('Можно смотреть').waitFor();
      const text = await page.locator('main').innerText();
      for (const other of ['Звёздочки', 'Ромашки', 'Ваня', 'Дима', 'Соня', 'Лиза', 'спальня'])
        assert.ok(!text.includes(other), `the parent's page does not mention ${other}`);
      // The card's live snapshot (its grant is reused when the parent opens the camera).
      await page.locator('.snapshot img.is-loaded').waitFor();
      await shoot(page, 'parent-1-children');
      anna.assertNoProblems();
    });

    test('the live video plays: the video element’s time advances', async (t) => {
      const { page } = anna;
      const opened = Date.now();
      await page.getByRole('link', { name: /Пчёлки — игровая/ }).click();
      await page.waitForURL(/\/watch\//);
      await page.waitForFunction(
        () => ((globalThis as unknown as InPage).document.querySelector('video')?.currentTime ?? 0) > 0,
        null,
        { timeout: 10_000 },
      );
      const firstAdvanceMs = Date.now() - opened;
      t.diagnostic(`live view: the video advanced ${seconds(firstAdvanceMs)} after opening (goal ≤ 1 s)`);
      assert.ok(firstAdvanceMs < 10_000);
      await page.getByRole('status').filter({ hasText: 'В эфире' }).waitFor();
      // It keeps playing, not one frame and a stall.
      const before = await videoTime(page);
      await page.waitForFunction(
        (t0) =>
          ((globalThis as unknown as InPage).document.querySelector('video')?.currentTime ?? 0) > t0 + 1,
        before,
        { timeout: 10_000 },
      );
      await page.getByText(/Зритель [A-Z0-9-]+/).waitFor();
      await shoot(page, 'parent-2-live');
      anna.assertNoProblems();
    });

    test('the administrator ends the enrolment; the parent’s player says access ended within 5 s', async (t) => {
      olga = await visitor('desktop');
      const { page } = olga;
      await logInAs(page, server.base, OLGA, '/admin');
      // The administrator of one kindergarten goes straight to it.
      await page.waitForURL(/\/admin\/institutions\/[0-9a-f-]{36}$/);
      kindergartenPath = new URL(page.url()).pathname;
      await page.getByRole('heading', { name: 'Детский сад №1 «Солнышко»' }).waitFor();
      await page.getByRole('link', { name: 'Дети', exact: true }).click();
      await page.getByRole('link', { name: 'Маша Иванова' }).click();
      await page.getByRole('heading', { name: 'Маша Иванова', level: 1 }).waitFor();
      const enrolment = page.getByRole('row').filter({ hasText: 'Группа «Пчёлки»' });
      await enrolment.getByText('по настоящее время').waitFor();

      const ended = page.waitForResponse(
        (r) => r.request().method() === 'PATCH' && /\/api\/admin\/enrolments\//.test(r.url()),
      );
      const clicked = Date.now();
      await enrolment.getByRole('button', { name: 'Завершить (с сегодняшнего дня)' }).click();
      assert.equal((await ended).status(), 200);
      const savedMs = Date.now() - clicked;
      await enrolment.getByText('завершено').waitFor();

      // The parent's phone, still on the live view.
      const player = anna.page.getByRole('region', { name: /Видео с камеры/ });
      await player.getByText('Доступ закрыт').waitFor({ timeout: 10_000 });
      const shownMs = Date.now() - clicked;
      await player.getByText('Ребёнок больше не числится в этой группе.').waitFor();
      t.diagnostic(
        `revocation: the enrolment was saved ${seconds(savedMs)} and the parent's player said ` +
          `"Доступ закрыт" ${seconds(shownMs)} after the administrator's click (requirement ≤ 5 s)`,
      );
      assert.ok(shownMs <= 5000, `access ended shown after ${shownMs} ms`);
      // The picture is gone and the player does not reconnect by itself.
      assert.equal(await anna.page.getByRole('status').filter({ hasText: 'В эфире' }).count(), 0);
      await shoot(anna.page, 'parent-3-access-ended');
      await shoot(page, 'admin-4-child');
      anna.assertNoProblems();
      olga.assertNoProblems();
    });

    test('the administrator adds a camera through the probe, and it appears in the list', async (t) => {
      const { page } = olga;
      await page.goto(`${server.base}${kindergartenPath}/cameras`);
      await page.getByRole('heading', { name: 'Пчёлки — игровая' }).waitFor();
      await page.getByRole('link', { name: 'Добавить камеру' }).first().click();
      await page.getByRole('heading', { name: 'Добавить камеру', level: 1 }).waitFor();

      await page.getByLabel('Название камеры').fill('Пчёлки — раздевалка');
      await page.getByLabel('Помещение').selectOption({ label: 'Группа «Пчёлки» (общая зона)' });
      if (camera) {
        await page.getByLabel('Адрес потока (RTSP)').fill(camera.url);
        await page.getByLabel('Логин камеры').fill('okno');
        await page.getByLabel('Пароль камеры').fill('cam-pass-1');
      } else {
        t.diagnostic('no RTSP test camera here (GStreamer missing): probing a demo: source');
        await page.getByLabel('Адрес потока (RTSP)').fill('demo:bees-cloakroom');
      }
      const probed = Date.now();
      await page.getByRole('button', { name: 'Проверить камеру' }).click();
      await page.getByText('Проверяем камеру…').waitFor();
      const result = page.locator('.probe-result');
      await result.getByText('Камера отвечает').waitFor({ timeout: 20_000 });
      t.diagnostic(
        `probe: ${camera ? 'the RTSP camera' : 'the demo source'} answered in ${seconds(Date.now() - probed)}`,
      );
      await result.getByText('H.264').waitFor();
      await result.getByText('640 × 360').waitFor();
      if (camera) {
        await result.getByText(/каждые 25 кадров/).waitFor();
        // The preview picture taken from the camera.
        await page.locator('.probe-snapshot').waitFor();
        await page.waitForFunction(
          "(() => { const i = document.querySelector('.probe-snapshot'); return !!i && i.complete && i.naturalWidth > 0; })()",
        );
      }
      await shoot(page, 'admin-5-camera-probe');

      const created = page.waitForResponse(
        (r) => r.request().method() === 'POST' && /\/api\/admin\/rooms\/[^/]+\/cameras$/.test(r.url()),
      );
      await page.getByRole('button', { name: 'Сохранить камеру' }).click();
      assert.equal((await created).status(), 201);
      await page.waitForURL(`${server.base}${kindergartenPath}/cameras`);
      const item = page.locator('li.camera-admin').filter({ hasText: 'Пчёлки — раздевалка' });
      await item.getByText('Группа «Пчёлки» · Общая зона — видно родителям').waitFor();
      if (camera) await item.getByText('Есть логин и пароль').waitFor();
      assert.equal(await page.locator('li.camera-admin').count(), 6, 'five demo cameras and the new one');
      // The list never shows the camera's password (nor the page's HTML).
      assert.ok(!(await page.content()).includes('cam-pass-1'));
      await shoot(page, 'admin-6-cameras');
      olga.assertNoProblems();
    });

    test('the auditor finds the grant decisions, the enrolment change and the camera creation', async () => {
      const marina = await visitor('desktop');
      const { page } = marina;
      await logInAs(page, server.base, MARINA);
      await page.waitForURL(`${server.base}/audit`);
      await page.getByText(/Цепочка журнала цела: проверено записей — \d+\./).waitFor();
      await page.locator('.audit-table tbody tr').first().waitFor();
      await shoot(page, 'audit-1-log');

      /** Searches the log by action (picked by its words) through the filter form; returns the rows. */
      const search = async (action: string, words: string) => {
        await page.getByLabel('Действие').selectOption(action);
        await page.getByRole('button', { name: 'Найти' }).click();
        await page.waitForURL((u) => u.searchParams.get('action') === action);
        const rows = page.locator('.audit-table tbody tr');
        await rows.first().getByText(words, { exact: true }).waitFor();
        const actions = await rows.locator('td[data-label="Действие"] .audit-action').allTextContents();
        assert.ok(
          actions.length > 0 && actions.every((a) => a === words),
          `only ${action}: ${actions.join()}`,
        );
        const codes = await rows.locator('td[data-label="Действие"] code.code-note').allTextContents();
        assert.ok(
          codes.every((c) => c === action),
          `the code stays beside the words: ${codes.join()}`,
        );
        return rows;
      };

      // The parent's grant (allowed) for the live view, and the end of her stream with its reason.
      const grants = await search('grant.live', 'Открыл живое видео');
      const annaGrant = grants.filter({ hasText: 'Анна Иванова' }).filter({ hasText: 'Разрешено' });
      assert.ok((await annaGrant.count()) >= 1, 'the parent’s live grant is in the log');
      const ends = await search('stream.end', 'Трансляция закончилась');
      await ends
        .filter({ hasText: 'Анна Иванова' })
        .getByText('доступ отозван: ребёнок не числится в группе')
        .first()
        .waitFor();

      // The administrator's changes, with who did them.
      const enrolment = await search('admin.enrolment.update', 'Изменил зачисление');
      await enrolment.filter({ hasText: 'Ольга Петровна Кузнецова' }).first().waitFor();
      const cameras = await search('admin.camera.create', 'Добавил камеру');
      const created = cameras.filter({ hasText: 'Ольга Петровна Кузнецова' });
      await created.first().waitFor();
      // The audit entry keeps the camera's source but never its password.
      await created.first().getByText('Подробности').click();
      const details = await created.first().locator('.audit-details').innerText();
      assert.ok(details.includes('Пчёлки — раздевалка'));
      assert.ok(!details.includes('cam-pass-1'), 'no camera password in the audit log');
      await shoot(page, 'audit-2-camera-created');
      marina.assertNoProblems();
    });

    test('every main screen at phone and desktop widths', async () => {
      // The administrator's tabs (the child page, the probe and the cameras were saved above).
      const { page } = olga;
      const tabs: [string, string, RegExp | string][] = [
        ['', 'admin-1-overview', 'Плату, пилотный режим'],
        ['/rooms', 'admin-2-rooms', 'Спальня «Пчёлок»'],
        ['/children', 'admin-3-children', 'Лиза Новикова'],
        ['/schedules', 'admin-7-schedules', 'Родители видят камеры группы только в эти часы'],
        ['/closed-days', 'admin-8-closed-days', 'Здесь пока пусто.'],
        ['/consents', 'admin-9-consents', 'Согласие получено'],
        ['/staff', 'admin-10-staff', 'Администратор детского сада'],
        ['/import', 'admin-11-import', 'Импорт детей, зачислений и представителей'],
      ];
      for (const [tab, name, ready] of tabs) {
        await page.goto(`${server.base}${kindergartenPath}${tab}`);
        await page.locator('.tab-panel').getByText(ready).first().waitFor();
        await shoot(page, name);
      }
      olga.assertNoProblems();

      // The city operator: camera health and the institutions.
      const sergey = await visitor('desktop');
      await logInAs(sergey.page, server.base, SERGEY);
      await sergey.page.waitForURL(`${server.base}/operator`);
      await sergey.page.getByRole('cell', { name: 'Пчёлки — раздевалка' }).waitFor();
      await shoot(sergey.page, 'operator-1-health');
      await sergey.page.getByRole('link', { name: 'Учреждения' }).click();
      await sergey.page.getByText('Детский сад №2 «Берёзка» (пилот)').waitFor();
      await shoot(sergey.page, 'operator-2-institutions');
      sergey.assertNoProblems();
      // The parent's phone stayed on the ended live view all along: still nothing logged there.
      anna.assertNoProblems();
    });
  },
);
