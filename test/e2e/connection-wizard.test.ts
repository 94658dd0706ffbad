/**
 * End to end in Chromium: the kindergarten administrator walks the connection wizard with a real RTSP
 * camera (GStreamer) that fails one of the city's requirements (a key frame every 4 s). The wizard
 * shows which and how to fix it; the camera is fixed (restarted in place, a key frame every second)
 * and re-checked; the administrator attests its picture. (Consent: test/e2e/consent.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startRtspCamera, type RtspCamera } from '../support/rtsp-camera.js';
import {
  launchChromium,
  logInAs,
  newVisitor,
  shoot,
  skipWithoutChromium,
  startE2eServer,
  type E2eServer,
} from './support.js';

describe('connection wizard in Chromium with a real camera', { skip: skipWithoutChromium }, () => {
  let server: E2eServer;
  let browser: Browser;
  let cam: RtspCamera;
  before(async () => {
    [server, browser, cam] = await Promise.all([
      startE2eServer(),
      launchChromium(),
      startRtspCamera({
        width: 1280,
        height: 720,
        fps: 25,
        keyIntFrames: 100,
        user: 'okno',
        password: 'cam-pass-7',
      }),
    ]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await cam?.stop();
  });

  test('a failing requirement is shown with its fix, fixed on the camera, re-checked and attested', async () => {
    await server.running.db.kysely
      .updateTable('cameras')
      .set({ source_url: cam.url, source_username: 'okno', source_password: 'cam-pass-7' })
      .where('name', '=', 'Звёздочки — игровая')
      .execute();
    const v = await newVisitor(browser, 'desktop');
    const { page } = v;
    try {
      await logInAs(page, server.base, 'Ольга Петровна Кузнецова', '/admin');
      await page.waitForURL(/\/admin\/institutions\/[0-9a-f-]{36}$/);
      await page.goto(`${page.url()}/connection`);
      await page.getByRole('heading', { name: 'Подключение к сервису' }).waitFor();
      const card = page.getByRole('region', { name: /Звёздочки — игровая/ });
      await card.getByRole('button', { name: 'Проверить по требованиям' }).click();
      await card.getByText('Не соответствует требованиям').waitFor({ timeout: 30_000 });
      await card.getByText(/Сейчас: раз в 4 с/).waitFor();
      await card.getByText(/Как исправить: Уменьшите интервал опорных кадров/).waitFor();
      await shoot(page, 'connect-1-check-failed');

      // The administrator fixes the camera: a key frame every second, the same address.
      const port = cam.port;
      await cam.stop();
      cam = await startRtspCamera({
        port,
        width: 1280,
        height: 720,
        fps: 25,
        keyIntFrames: 25,
        user: 'okno',
        password: 'cam-pass-7',
      });
      await card.getByRole('button', { name: 'Проверить снова' }).click();
      await card.getByText('Соответствует требованиям').waitFor({ timeout: 30_000 });

      await card.getByRole('button', { name: 'Сделать снимок для подтверждения' }).click();
      await card
        .getByRole('img', { name: 'Снимок с камеры «Звёздочки — игровая»' })
        .waitFor({ timeout: 30_000 });
      await card.getByText(/только общая зона группы/).waitFor();
      await shoot(page, 'connect-2-attest');
      await card.getByRole('button', { name: 'Подтверждаю' }).click();
      await card.getByText(/Подтвердил\(а\) Ольга Петровна Кузнецова/).waitFor();
      await shoot(page, 'connect-3-attested');
    } finally {
      await v.close();
    }
    v.assertNoProblems();
  });
});
