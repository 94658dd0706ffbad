/**
 * End to end in Chromium on a phone viewport with Chromium's fake camera (issue 14): the demo
 * specialist opens today's inspection, presses «Начать проверку», goes offline, takes three photos
 * with the in-app camera (the app shows them as only on the phone), fills the checklist and presses
 * «Завершить»; back online the photos upload and the inspection is sealed. The office head sees the
 * photos with a valid verification; `okno inspections verify` passes, and fails after one bit of one
 * stored original is flipped.
 *
 * Any console error or page error fails the test; nothing sleeps a fixed time.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import {
  CHROMIUM,
  logInAs,
  newVisitor,
  shoot,
  skipWithoutChromium,
  startE2eServer,
  type E2eServer,
  type Visitor,
} from './support.js';

const TATIANA = 'Татьяна Гусева'; // demo-specialist
const NATALIA = 'Наталья Орлова'; // demo-office-head
const WARD = 'Кирилл Лебедев'; // the demo case due today

const run = promisify(execFile);

/** The page's globals, typed here without the DOM library. */
type InPage = {
  document: { querySelectorAll(s: string): ArrayLike<{ complete: boolean; naturalWidth: number }> };
  navigator: { onLine: boolean };
};

describe(
  'home inspections in Chromium: offline photos, seal, verification',
  { skip: skipWithoutChromium },
  () => {
    let server: E2eServer;
    let browser: Browser;
    const visitors: Visitor[] = [];
    before(async () => {
      server = await startE2eServer();
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--use-fake-device-for-media-stream',
          '--use-fake-ui-for-media-stream',
        ],
      });
    });
    after(async () => {
      for (const v of visitors) await v.close().catch(() => undefined);
      await browser?.close();
      await server?.close();
    });

    test('three photos taken offline upload when back online; the head sees them; verify catches a flipped bit', async () => {
      const spec = await newVisitor(browser, 'phone');
      visitors.push(spec);
      await spec.context.grantPermissions(['camera', 'geolocation'], { origin: server.base });
      await spec.context.setGeolocation({ latitude: 55.7558, longitude: 37.6173, accuracy: 15 });
      const page = spec.page;
      await logInAs(page, server.base, TATIANA, '/inspections');
      await page.getByRole('heading', { name: 'Проверки условий проживания' }).waitFor();
      await page.getByText('Просрочена').first().waitFor();
      await page.getByRole('link', { name: new RegExp(WARD) }).click();

      const started = page.waitForResponse((r) => r.url().endsWith('/start') && r.status() === 200);
      await page.getByRole('button', { name: 'Начать проверку' }).click();
      await started;
      const shutter = page.getByRole('button', { name: 'Снять фото' });
      await shutter.waitFor();
      await page.waitForFunction(() => {
        const b = (
          globalThis as unknown as { document: { querySelector(s: string): { disabled: boolean } | null } }
        ).document.querySelector('.insp-camera button');
        return b !== null && !b.disabled;
      });

      await spec.context.setOffline(true);
      await page.waitForFunction(() => !(globalThis as unknown as InPage).navigator.onLine);
      await page.getByText('Нет связи').waitFor();
      const photos = page.getByTestId('local-photo');
      for (let n = 1; n <= 3; n++) {
        await shutter.click();
        await page.waitForFunction(
          (k) =>
            (globalThis as unknown as InPage).document.querySelectorAll('[data-testid="local-photo"]')
              .length === k,
          n,
        );
        await page.waitForFunction(() => {
          const b = (
            globalThis as unknown as { document: { querySelector(s: string): { disabled: boolean } | null } }
          ).document.querySelector('.insp-camera button');
          return b !== null && !b.disabled;
        });
      }
      assert.equal(await photos.count(), 3);
      for (let i = 0; i < 3; i++) assert.equal(await photos.nth(i).getAttribute('data-state'), 'waiting');
      await page.getByText('только на телефоне — ждёт отправки').first().waitFor();
      await page
        .getByTestId('pending-text')
        .getByText(/Только на телефоне: 3 фото/)
        .waitFor();

      // The checklist and «Завершить», still offline.
      await page
        .getByRole('group', { name: 'У ребёнка есть отдельное спальное место' })
        .getByLabel('Да')
        .check();
      await page
        .getByRole('group', { name: 'Ребёнок накормлен, в доме есть запас продуктов' })
        .getByLabel('Нет')
        .check();
      await page.getByLabel('Заметки').fill('Холодильник пуст, опекун обещал закупить продукты');
      await page.getByLabel('Итог проверки').selectOption('needs_attention');
      await page.getByRole('button', { name: 'Завершить' }).click();
      await page.getByText('Проверка завершена на телефоне').waitFor();
      await page
        .getByTestId('pending-text')
        .getByText(/3 фото и завершение проверки/)
        .waitFor();
      await shoot(page, 'inspection-offline');

      // Back online: the photos upload, then the seal.
      await spec.context.setOffline(false);
      await page.getByText(/Проверка запечатана \(версия 1\)/).waitFor({ timeout: 90_000 });
      await page.getByTestId('all-sent').waitFor();
      for (let i = 0; i < 3; i++) assert.equal(await photos.nth(i).getAttribute('data-state'), 'stored');
      spec.assertNoProblems();

      // The office head sees the three photos, their times and place, and a valid verification.
      const head = await newVisitor(browser, 'desktop');
      visitors.push(head);
      await logInAs(head.page, server.base, NATALIA, '/inspections/office');
      await head.page.getByRole('link', { name: WARD }).first().click();
      await head.page.getByText('Подпись верна, фото не изменены').waitFor();
      await head.page.waitForFunction(() => {
        const imgs = (globalThis as unknown as InPage).document.querySelectorAll(
          '[data-testid="server-photo"] img',
        );
        if (imgs.length !== 3) return false;
        for (let i = 0; i < imgs.length; i++)
          if (!imgs[i]!.complete || imgs[i]!.naturalWidth === 0) return false;
        return true;
      });
      assert.equal(await head.page.getByText('снято в приложении').count(), 3);
      await head.page
        .getByText(/55\.755\d+, 37\.617\d+/)
        .first()
        .waitFor();
      await shoot(head.page, 'inspection-review');
      head.assertNoProblems();

      // okno inspections verify: intact, then not after one flipped bit.
      const env: NodeJS.ProcessEnv = { ...process.env, OKNO_DATA_DIR: server.dataDir };
      delete env.OKNO_DATABASE_URL;
      const cli = path.resolve('bin/okno.js');
      const ok = await run(process.execPath, [cli, 'inspections', 'verify'], { env });
      assert.match(ok.stdout, /inspections intact: 1 sealed version/);
      const sha = /photo ([0-9a-f]{12})…: sha256 matches/.exec(ok.stdout)?.[1];
      assert.ok(sha, ok.stdout);
      const rows = (
        await server.running.db.kysely.selectFrom('inspection_photos').select('sha256').execute()
      ).map((r) => r.sha256);
      const full = rows.find((r) => r.startsWith(sha))!;
      const file = path.join(server.dataDir, 'inspections', 'originals', full.slice(0, 2), full);
      const bytes = readFileSync(file);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      chmodSync(file, 0o644);
      writeFileSync(file, bytes);
      const bad = await run(process.execPath, [cli, 'inspections', 'verify'], { env }).then(
        () => assert.fail('verify passed on an altered photo'),
        (e: { code: number; stdout: string }) => e,
      );
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /ALTERED/);
      assert.match(bad.stdout, /inspections NOT intact/);
    });
  },
);
