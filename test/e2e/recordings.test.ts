/**
 * End to end in Chromium, recordings (issue 6, "an inspector plays back a range and exports it"): the
 * real server records the demo office camera «Кабинет 1» (policy continuous, a `demo:` source, 2 s
 * segments, a temporary recording directory). The demo inspector at a desk opens the recordings
 * screen, picks «Кабинет 1», sees the recorded span on the timeline, types a range and a reason,
 * plays it (the video element's time advances) and exports it (the screen says the package is
 * intact); the downloaded package passes `okno export verify`, and the audit log holds the playback
 * and the export with the stated reason. Then an office employee starts and stops recording a visit
 * on the manual camera «Кабинет 2» from the same screen.
 *
 * Any console error or page error fails the test in which it happened; nothing sleeps a fixed time
 * (the timeline is polled until it shows a span). Screenshots go to screenshots/ (git-ignored).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { newId } from '../../src/shared/ids.js';
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

const ELENA = 'Елена Морозова'; // demo-inspector, the demo region
const IGOR = 'Игорь Соколов'; // demo-employee, the office's workplace 1
const REASON = 'Проверка обращения № 42/2026 о вымогательстве на приёме';
const ZONE = 'Europe/Moscow'; // the visitors' browsers (support.ts)

/** The page's globals, typed here without the DOM library (these functions run in the page). */
type InPage = { document: { querySelector(s: string): { currentTime: number } | null } };

interface TimelineBody {
  spans: { start: string; end: string }[];
  recording: { start: string; end: string } | null;
}

/** 'HH:MM' of an instant in the browsers' time zone. */
function hhmm(ms: number): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(ms));
}

describe(
  'recordings in Chromium: an inspector plays back and exports a range',
  { skip: skipWithoutChromium },
  () => {
    let server: E2eServer;
    let browser: Browser;
    let recDir: string;
    const visitors: Visitor[] = [];
    let desk1 = '';
    let desk2 = '';

    before(async () => {
      recDir = await mkdtemp(path.join(tmpdir(), 'okno-e2e-rec-'));
      [server, browser] = await Promise.all([
        startE2eServer({
          'recording.enabled': true,
          'recording.dir': recDir,
          'recording.segmentSeconds': 2,
        }),
        launchChromium(),
      ]);
      const db = server.running.db.kysely;
      const camera = (name: string) =>
        db.selectFrom('cameras').select(['id', 'room_id']).where('name', '=', name).executeTakeFirstOrThrow();
      const [c1, c2] = await Promise.all([camera('Кабинет 1'), camera('Кабинет 2')]);
      desk1 = c1.id;
      desk2 = c2.id;
      // The demo employee works at desk 1 (recorded around the clock); here they also receive visitors
      // at desk 2, whose camera records visits on demand.
      const igor = await db
        .selectFrom('persons')
        .select('id')
        .where('subject', '=', 'demo-employee')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('role_bindings')
        .values({
          id: newId(),
          person_id: igor.id,
          role: 'employee',
          scope_kind: 'room',
          scope_id: c2.room_id,
          created_at: new Date().toISOString(),
        })
        .execute();
    });

    after(async () => {
      for (const v of visitors) await v.close().catch(() => undefined);
      await browser?.close();
      await server?.close();
      await rm(recDir, { recursive: true, force: true });
    });

    test('the inspector sees the recorded span, plays a range and exports it (intact)', async (t) => {
      const elena = await newVisitor(browser, 'desktop');
      visitors.push(elena);
      const { page } = elena;
      await logInAs(page, server.base, ELENA, '/recordings');

      // «Кабинет 1» records from the server's start: poll its timeline (the inspector's session) until
      // a few seconds are in finished segments.
      const waited = Date.now();
      const s = await page.evaluate(async (id) => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const to = new Date(Date.now() + 60_000).toISOString();
          const from = new Date(Date.now() - 3600_000).toISOString();
          const r = await fetch(`/api/recordings/${id}/timeline?from=${from}&to=${to}`);
          const tl = (await r.json()) as TimelineBody;
          const last = tl.spans.at(-1);
          if (last && Date.parse(last.end) - Date.parse(last.start) >= 4000) return last;
          if (Date.now() > deadline) throw new Error(`no recorded span: ${JSON.stringify(tl)}`);
          await new Promise((done) => setTimeout(done, 250)); // the polling interval
        }
      }, desk1);
      const span = { start: Date.parse(s.start), end: Date.parse(s.end) };
      t.diagnostic(
        `recording: ${seconds(span.end - span.start)} recorded ${seconds(Date.now() - waited)} after login`,
      );

      // The list shows the cameras of the region's institutions, with their recording policy.
      await page.getByRole('heading', { name: 'Записи', level: 1 }).waitFor();
      const tile = page.getByRole('link', { name: /Кабинет 1/ });
      await tile.getByText('Запись круглосуточно').waitFor();
      await page.getByRole('link', { name: /Пчёлки — игровая/ }).waitFor();
      await shoot(page, 'recordings-1-cameras');
      await tile.click();
      await page.waitForURL(`${server.base}/recordings/${desk1}`);
      await page.getByRole('heading', { name: 'Кабинет 1', level: 1 }).waitFor();

      // The timeline with a recorded span; the inspector has no manual start/stop here.
      await page
        .getByRole('img', { name: /Шкала записи за/ })
        .locator('.timeline-span')
        .first()
        .waitFor();
      assert.equal(await page.getByText('За этот день записей нет.').count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Начать запись' }).count(), 0);

      // The range, typed (minutes), around the recorded span; then the reason.
      const fromText = hhmm(span.start);
      const toText = hhmm(span.end + 60_000);
      await page.getByLabel('С', { exact: true }).fill(fromText);
      await page.getByLabel('До', { exact: true }).fill(toText);
      await page.locator('.timeline-sel').waitFor();
      // A reason too short is refused on the screen, before any request.
      await page.getByLabel('Причина просмотра').fill('жалоба');
      await page.getByRole('button', { name: 'Смотреть отрезок' }).click();
      await page.getByText(/Укажите причину — не короче 10 букв или цифр/).waitFor();
      await page.getByLabel('Причина просмотра').fill(REASON);

      // Play: the video element's time advances.
      const granted = page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().endsWith(`/api/recordings/${desk1}/playback`),
      );
      const clicked = Date.now();
      await page.getByRole('button', { name: 'Смотреть отрезок' }).click();
      assert.equal((await granted).status(), 200);
      await page.waitForFunction(
        () => ((globalThis as unknown as InPage).document.querySelector('video')?.currentTime ?? 0) > 1,
        null,
        { timeout: 15_000 },
      );
      t.diagnostic(`playback: the video passed 1 s ${seconds(Date.now() - clicked)} after the click`);
      await shoot(page, 'recordings-2-playback');

      // Export: the screen shows the package verified right after it was written.
      const exported = page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().endsWith(`/api/recordings/${desk1}/exports`),
      );
      await page.getByRole('button', { name: 'Выгрузить отрезок' }).click();
      const exportRes = await exported;
      assert.equal(exportRes.status(), 200);
      const { exportId } = (await exportRes.json()) as { exportId: string };
      const result = page.locator('.export-result');
      await result.getByText('Файл готов').waitFor();
      await result.getByText('Целостность подтверждена').waitFor();
      assert.equal(await result.getByText('Целостность НЕ подтверждена').count(), 0);
      await shoot(page, 'recordings-3-export');

      // The download, checked by the command an investigator would run.
      const dir = await mkdtemp(path.join(tmpdir(), 'okno-e2e-export-'));
      try {
        const downloading = page.waitForEvent('download');
        await result.getByRole('link', { name: 'Скачать файл' }).click();
        const download = await downloading;
        assert.equal(download.suggestedFilename(), `okno-export-${exportId}.tar`);
        const file = path.join(dir, download.suggestedFilename());
        await download.saveAs(file);
        assert.ok((await stat(file)).size > 10_000, 'the package holds video');
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [path.resolve('bin/okno.js'), 'export', 'verify', file],
          { env: { ...process.env, OKNO_DATA_DIR: server.dataDir } },
        );
        assert.match(stdout, /export intact/);
        assert.ok(stdout.includes(REASON), 'the package names the stated reason');
        assert.doesNotMatch(stdout, /ALTERED/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }

      // The audit log: the playback and the export, by the inspector, with the stated reason.
      const entries = await server.running.db.kysely
        .selectFrom('audit_log')
        .select(['action', 'decision', 'actor_subject', 'actor_role', 'target_id', 'details'])
        .where('action', 'in', ['recording.playback', 'recording.export'])
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        entries.map((e) => [e.action, e.decision, e.actor_subject, e.actor_role, e.target_id]),
        [
          ['recording.playback', 'allow', 'demo-inspector', 'inspector', desk1],
          ['recording.export', 'allow', 'demo-inspector', 'inspector', desk1],
        ],
      );
      for (const e of entries) {
        const details = JSON.parse(e.details ?? '{}') as { statedReason?: string; exportId?: string };
        assert.equal(details.statedReason, REASON, `${e.action} keeps the reason`);
      }
      assert.equal(
        (JSON.parse(entries[1]?.details ?? '{}') as { exportId?: string }).exportId,
        exportId,
        'the export entry names the package',
      );
      elena.assertNoProblems();
    });

    test('an office employee starts and stops recording a visit on «Кабинет 2»', async () => {
      const igor = await newVisitor(browser, 'phone');
      visitors.push(igor);
      const { page } = igor;
      await logInAs(page, server.base, IGOR, '/recordings');
      // Their two workplaces, and nothing else.
      const tiles = page.locator('.tile-title');
      await tiles.first().waitFor();
      assert.deepEqual(await tiles.allTextContents(), ['Кабинет 1', 'Кабинет 2']);
      await page
        .getByRole('link', { name: /Кабинет 2/ })
        .getByText('Запись визитов вручную')
        .waitFor();
      await page.getByRole('link', { name: /Кабинет 2/ }).click();
      await page.getByRole('heading', { name: 'Кабинет 2', level: 1 }).waitFor();

      const start = page.getByRole('button', { name: 'Начать запись' });
      const stop = page.getByRole('button', { name: 'Остановить запись' });
      assert.ok(await stop.isDisabled(), 'nothing to stop yet');
      await start.click();
      await page
        .getByRole('status')
        .getByText(/Запись идёт с \d\d:\d\d/)
        .waitFor();
      assert.ok(await start.isDisabled(), 'a started visit cannot be started twice');
      await shoot(page, 'recordings-4-manual');
      await stop.click();
      await page
        .getByRole('status')
        .getByText(/Запись остановлена — допишется до \d\d:\d\d/)
        .waitFor();
      await start.waitFor({ state: 'visible' });
      assert.ok(await start.isEnabled(), 'the next visit can be started');

      const entries = await server.running.db.kysely
        .selectFrom('audit_log')
        .select(['action', 'decision', 'actor_subject', 'target_id'])
        .where('action', 'in', ['recording.start', 'recording.stop'])
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        entries.map((e) => [e.action, e.decision, e.actor_subject, e.target_id]),
        [
          ['recording.start', 'allow', 'demo-employee', desk2],
          ['recording.stop', 'allow', 'demo-employee', desk2],
        ],
      );
      // On «Кабинет 1» (recorded around the clock) the screen offers no start/stop.
      await page.goto(`${server.base}/recordings/${desk1}`);
      await page.getByRole('heading', { name: 'Кабинет 1', level: 1 }).waitFor();
      await page.locator('.timeline-span').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Начать запись' }).count(), 0);
      igor.assertNoProblems();
    });
  },
);
