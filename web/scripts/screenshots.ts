/**
 * A visual check of the web app, not a test: serves web/dist through the real `registerWebApp`
 * (so the Content-Security-Policy applies), answers the API with canned data via Playwright's
 * `page.route` (and the live WebSocket with a real fMP4 stream made by ffmpeg), and saves
 * screenshots of every main screen at phone and desktop widths into screenshots/web/ (git-ignored).
 * Any console error or CSP violation is printed and makes the run fail.
 *
 *   npm run build:web && node --import tsx web/scripts/screenshots.ts [name-filter]
 *
 * The end-to-end tests against the real server are separate (test/e2e).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { chromium, type Page, type Route } from 'playwright-core';
import { loadConfig } from '../../src/config/config.js';
import type { App } from '../../src/server/app.js';
import { registerErrorHandler } from '../../src/server/error-handler.js';
import { registerWebApp } from '../../src/api/web.js';

// The canned data and the browser both live in Moscow time.
process.env.TZ = 'Europe/Moscow';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = path.join(ROOT, 'screenshots', 'web');
const filter = process.argv[2] ?? '';

// ---------------------------------------------------------------------------------------------------
// A real fMP4 stream and a JPEG from ffmpeg's test source

interface Media {
  init: Buffer;
  fragments: Buffer[];
  jpeg: Buffer;
}

function makeMedia(): Media | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'okno-shots-'));
  try {
    const mp4 = path.join(dir, 'live.mp4');
    const jpg = path.join(dir, 'still.jpg');
    const src = 'testsrc2=size=1280x720:rate=25';
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      src,
      '-t',
      '40',
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-level',
      '3.1',
      '-pix_fmt',
      'yuv420p',
      '-g',
      '25',
      '-tune',
      'zerolatency',
      '-f',
      'mp4',
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      '200000',
      mp4,
    ]);
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      src,
      '-frames:v',
      '1',
      '-q:v',
      '4',
      jpg,
    ]);
    const data = readFileSync(mp4);
    const boxes: { type: string; buf: Buffer }[] = [];
    for (let off = 0; off + 8 <= data.length;) {
      const size = data.readUInt32BE(off);
      if (size < 8) break;
      boxes.push({ type: data.toString('latin1', off + 4, off + 8), buf: data.subarray(off, off + size) });
      off += size;
    }
    const firstMoof = boxes.findIndex((b) => b.type === 'moof');
    const init = Buffer.concat(boxes.slice(0, firstMoof).map((b) => b.buf));
    const fragments: Buffer[] = [];
    for (let i = firstMoof; i + 1 < boxes.length; i += 2)
      fragments.push(Buffer.concat([boxes[i]!.buf, boxes[i + 1]!.buf]));
    return { init, fragments, jpeg: readFileSync(jpg) };
  } catch (err) {
    console.warn('ffmpeg not usable, live video and snapshots are left out:', (err as Error).message);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Canned API answers

const iso = (d: Date) => d.toISOString();
const now = new Date();
/** The admin API's timestamps on every object. */
const stamp = { createdAt: iso(now), updatedAt: iso(now) };
const tomorrow7Msk = (() => {
  const d = new Date(now.getTime() + 24 * 3600_000);
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(d);
  return `${day}T04:00:00.000Z`; // 07:00 in Moscow
})();

const INST = '4f3c2a10-0000-4000-8000-000000000001';
const CAM = '0c1d2e3f-0000-4000-8000-00000000c001';

function me(kind: 'parent' | 'admin' | 'operator' | 'auditor' | 'inspector') {
  const people = {
    parent: ['Анна Смирнова', []],
    admin: [
      'Ольга Петровна Кузнецова',
      [{ role: 'kindergarten_admin', scopeKind: 'institution', scopeId: INST }],
    ],
    operator: ['Дмитрий Волков', [{ role: 'city_operator', scopeKind: 'region', scopeId: 'r1' }]],
    auditor: ['Ирина Соколова', [{ role: 'auditor', scopeKind: 'region', scopeId: 'r1' }]],
    inspector: ['Сергей Орлов', [{ role: 'inspector', scopeKind: 'region', scopeId: 'r1' }]],
  } as const;
  const [displayName, roles] = people[kind];
  return {
    person: { id: `p-${kind}`, displayName },
    roles,
    csrfToken: 'csrf',
    sessionExpiresAt: iso(new Date(now.getTime() + 3600_000)),
  };
}

const children = {
  items: [
    {
      child: { id: 'c1', name: 'Маша Смирнова' },
      verified: true,
      institution: {
        id: INST,
        name: 'Детский сад № 12 «Солнышко»',
        connected: true,
        timeZone: 'Europe/Moscow',
      },
      group: { id: 'g1', name: 'Пчёлки' },
      cameras: [
        { id: CAM, name: 'Игровая', availability: { state: 'available' } },
        {
          id: 'cam-2',
          name: 'Музыкальный зал',
          availability: { state: 'outside_hours', nextOpenAt: tomorrow7Msk },
        },
      ],
    },
    {
      child: { id: 'c2', name: 'Петя Смирнов' },
      verified: true,
      institution: {
        id: 'i2',
        name: 'Детский сад № 5 «Ромашка»',
        connected: false,
        timeZone: 'Europe/Moscow',
      },
      group: { id: 'g2', name: 'Ромашки' },
      cameras: [],
    },
    {
      child: { id: 'c3', name: 'Варя Смирнова' },
      verified: true,
      institution: {
        id: 'i3',
        name: 'Детский сад № 8 «Звёздочка»',
        connected: true,
        timeZone: 'Asia/Yekaterinburg',
      },
      group: { id: 'g3', name: 'Звёздочки' },
      cameras: [{ id: 'cam-3', name: 'Игровая', availability: { state: 'consent_pending' } }],
    },
  ],
};

const grant = {
  streamId: 's1',
  cameraId: CAM,
  token: 'tok',
  expiresAt: iso(new Date(now.getTime() + 60_000)),
  renewAfterMs: 30_000,
  wsUrl: `/media/live/${CAM}/ws?token=tok`,
  hlsUrl: `/media/live/${CAM}/hls/index.m3u8?token=tok`,
  snapshotUrl: `/media/live/${CAM}/snapshot.jpg?token=tok`,
  viewerTag: 'R7-K2Q9',
  mode: 'live',
};

const institutions = {
  items: [
    {
      id: INST,
      regionId: 'r1',
      kind: 'kindergarten',
      name: 'Детский сад № 12 «Солнышко»',
      timeZone: 'Europe/Moscow',
      freePilot: true,
      consentRequired: true,
      monthlyFeeMinor: null,
      ...stamp,
    },
    {
      id: 'i2',
      regionId: 'r1',
      kind: 'kindergarten',
      name: 'Детский сад № 5 «Ромашка»',
      timeZone: 'Europe/Moscow',
      freePilot: false,
      consentRequired: true,
      monthlyFeeMinor: 15000,
      ...stamp,
    },
    {
      id: 'i4',
      regionId: 'r1',
      kind: 'office',
      name: 'Отдел опеки и попечительства Центрального района',
      timeZone: 'Europe/Moscow',
      freePilot: false,
      consentRequired: false,
      monthlyFeeMinor: null,
      ...stamp,
    },
  ],
  nextCursor: null,
};

const rooms = {
  items: [
    { id: 'g1', name: 'Пчёлки', kind: 'group', zone: 'common' },
    { id: 'g5', name: 'Божьи коровки', kind: 'group', zone: 'common' },
    { id: 'h1', name: 'Музыкальный зал', kind: 'hall', zone: 'common' },
    { id: 'b1', name: 'Спальня «Пчёлок»', kind: 'group', zone: 'restricted' },
    { id: 'e1', name: 'Главный вход', kind: 'entrance', zone: 'restricted' },
  ].map((r) => ({ ...r, institutionId: INST, consent: null, ...stamp })),
  nextCursor: null,
};

const cameras = {
  items: [
    {
      id: CAM,
      roomId: 'g1',
      name: 'Пчёлки — игровая',
      source: { scheme: 'rtsp', host: '10.0.12.21' },
      hasCredentials: true,
      rtspTransport: 'tcp',
      enabled: true,
      audioAllowed: false,
      recordingPolicy: 'off',
      ...stamp,
    },
    {
      id: 'cam-2',
      roomId: 'h1',
      name: 'Музыкальный зал',
      source: { scheme: 'rtsp', host: '10.0.12.22' },
      hasCredentials: true,
      rtspTransport: 'tcp',
      enabled: true,
      audioAllowed: true,
      recordingPolicy: 'off',
      ...stamp,
    },
    {
      id: 'cam-5',
      roomId: 'g5',
      name: 'Божьи коровки — игровая',
      source: { scheme: 'rtsp', host: '10.0.12.23' },
      hasCredentials: true,
      rtspTransport: 'tcp',
      enabled: true,
      audioAllowed: false,
      recordingPolicy: 'off',
      ...stamp,
    },
    {
      id: 'cam-e',
      roomId: 'e1',
      name: 'Вход — счётчик',
      source: { scheme: 'rtsp', host: '10.0.12.30' },
      hasCredentials: false,
      rtspTransport: 'udp',
      enabled: false,
      audioAllowed: false,
      recordingPolicy: 'continuous',
      ...stamp,
    },
  ],
  nextCursor: null,
};

const health = {
  items: [
    {
      cameraId: CAM,
      name: 'Пчёлки — игровая',
      institutionId: INST,
      state: 'live',
      online: true,
      fps: 25,
      bitrateBps: 2_400_000,
      viewers: 14,
      lastKeyframeAgeMs: 420,
      restarts: 0,
      drops: 0,
    },
    {
      cameraId: 'cam-2',
      name: 'Музыкальный зал',
      institutionId: INST,
      state: 'idle',
      online: false,
      fps: 0,
      bitrateBps: 0,
      viewers: 0,
      lastKeyframeAgeMs: null,
      restarts: 0,
      drops: 0,
    },
    {
      cameraId: 'cam-5',
      name: 'Божьи коровки — игровая',
      institutionId: INST,
      state: 'stalled',
      online: false,
      fps: 0,
      bitrateBps: 0,
      viewers: 3,
      lastKeyframeAgeMs: 48_000,
      restarts: 4,
      drops: 0,
    },
    {
      cameraId: 'cam-e',
      name: 'Вход — счётчик',
      institutionId: INST,
      state: 'disabled',
      online: false,
      fps: 0,
      bitrateBps: 0,
      viewers: 0,
      lastKeyframeAgeMs: null,
      restarts: 0,
      drops: 0,
    },
    {
      cameraId: 'cam-9',
      name: 'Ромашки — игровая',
      institutionId: 'i2',
      state: 'live',
      online: true,
      fps: 15,
      bitrateBps: 1_100_000,
      viewers: 6,
      lastKeyframeAgeMs: 900,
      restarts: 1,
      drops: 0,
    },
    {
      cameraId: 'cam-10',
      name: 'Опека — приём, окно 1',
      institutionId: 'i4',
      state: 'failing',
      online: false,
      fps: 0,
      bitrateBps: 0,
      viewers: 0,
      lastKeyframeAgeMs: 3_600_000,
      restarts: 17,
      drops: 0,
    },
  ],
  events: [],
};

const auditItems = Array.from({ length: 9 }, (_, i) => {
  // The server's words (src/audit/describe.ts) beside each code.
  const kinds = [
    {
      action: 'grant.live',
      actionText: 'Открыл живое видео',
      decision: 'allow',
      reason: 'guardian',
      reasonText: 'законный представитель ребёнка из группы',
      targetKind: 'camera',
    },
    {
      action: 'stream.start',
      actionText: 'Начал смотреть трансляцию',
      decision: null,
      reason: null,
      reasonText: null,
      targetKind: 'camera',
    },
    {
      action: 'grant.live',
      actionText: 'Открыл живое видео',
      decision: 'deny',
      reason: 'outside_viewing_hours',
      reasonText: 'вне часов просмотра',
      targetKind: 'camera',
    },
    {
      action: 'stream.end',
      actionText: 'Трансляция закончилась',
      decision: null,
      reason: 'access_revoked:not_enrolled',
      reasonText: 'доступ отозван: ребёнок не числится в группе',
      targetKind: 'camera',
    },
    {
      action: 'admin.enrolment.update',
      actionText: 'Изменил зачисление',
      decision: null,
      reason: null,
      reasonText: null,
      targetKind: 'enrolment',
    },
  ] as const;
  const k = kinds[i % kinds.length]!;
  const admin = i % 5 === 4;
  return {
    id: `a${i}`,
    seq: 1040 - i,
    at: iso(new Date(now.getTime() - i * 7 * 60_000)),
    actor: admin
      ? {
          personId: 'p-admin',
          subject: 'demo-admin-olga',
          role: 'kindergarten_admin',
          name: 'Ольга Петровна Кузнецова',
          roleText: 'администратор детского сада',
        }
      : {
          personId: 'p-parent',
          subject: 'demo-parent-anna',
          role: 'parent',
          name: 'Анна Иванова',
          roleText: 'родитель',
        },
    action: k.action,
    actionText: k.actionText,
    targetKind: k.targetKind,
    targetId: admin ? 'e-77' : CAM,
    target: admin
      ? { kind: 'enrolment', kindText: 'зачисление', id: 'e-77', name: null }
      : { kind: 'camera', kindText: 'камера', id: CAM, name: 'Пчёлки — игровая' },
    child: { id: 'c1', name: 'Маша Иванова' },
    camera: admin ? null : { id: CAM, name: 'Пчёлки — игровая' },
    room: { id: 'r1', name: 'Группа «Пчёлки»' },
    institution: { id: INST, name: 'Детский сад №1 «Солнышко»' },
    decision: k.decision,
    reason: k.reason,
    reasonText: k.reasonText,
    ip: '192.0.2.14',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)',
    institutionId: INST,
    sessionId: null,
    streamId: 's1',
    details: i % 5 === 3 ? { bytes: 48_211_456, durationMs: 1_520_000 } : null,
    detailLines:
      i % 5 === 3
        ? [
            { label: 'байт', value: '48211456' },
            { label: 'длительность, мс', value: '1520000' },
          ]
        : [],
  };
});

function dayAt(h: number, m = 0): string {
  const d = new Date(now);
  d.setHours(h, m, 0, 0);
  return iso(d);
}
const timeline = {
  from: dayAt(0, 0),
  to: dayAt(23, 59),
  recording: null,
  spans: [
    { start: dayAt(8, 55), end: dayAt(10, 40) },
    { start: dayAt(10, 52), end: dayAt(13, 0) },
    { start: dayAt(14, 0), end: dayAt(17, 45) },
  ],
  gaps: [
    { start: dayAt(10, 40), end: dayAt(10, 52), cause: 'camera_offline', open: false },
    { start: dayAt(13, 0), end: dayAt(14, 0), cause: 'policy_off', open: false },
  ],
};

type Handler = (route: Route, method: string, pathname: string) => Promise<void>;

const json = (route: Route, body: unknown, status = 200) =>
  route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });

function api(overrides: Record<string, (route: Route) => Promise<void>>, media: Media | null): Handler {
  return async (route, method, pathname) => {
    const key = `${method} ${pathname}`;
    for (const [pattern, fn] of Object.entries(overrides)) {
      const [m, p] = pattern.split(' ');
      if (m === method && new RegExp(`^${p}$`).test(pathname)) return fn(route);
    }
    if (/\/snapshot\.jpg$/.test(pathname) && media)
      return route.fulfill({ status: 200, contentType: 'image/jpeg', body: media.jpeg });
    return json(route, { code: 'not_found', message: `no route ${key}` }, 404);
  };
}

// ---------------------------------------------------------------------------------------------------
// Scenarios

interface Scenario {
  name: string;
  path: string;
  api: Record<string, (route: Route) => Promise<void>>;
  /** wait for this to be visible before the screenshot (and act on the page) */
  ready(page: Page): Promise<void>;
  live?: 'play' | 'revoke' | 'drop';
  dark?: boolean;
  widths?: number[];
  lang?: 'en';
  init?: string;
}

const asMe = (kind: Parameters<typeof me>[0]) => ({
  'GET /api/session': (r: Route) => json(r, { session: me(kind) }),
});

function viewerSamples(): string {
  const pts: { m: number; v: number }[] = [];
  // A whole working day, whatever the time of the run, so the chart shows its shape.
  for (let m = 6 * 60 + 30; m <= 19 * 60; m += 5) {
    const h = m / 60;
    const v = Math.max(
      0,
      Math.round(
        30 * Math.exp(-((h - 9.5) ** 2) / 1.2) + 42 * Math.exp(-((h - 16.5) ** 2) / 1.6) + 4 * Math.sin(m),
      ),
    );
    pts.push({ m, v });
  }
  const day = new Intl.DateTimeFormat('en-CA').format(now);
  return `localStorage.setItem('okno.viewers.${day}', ${JSON.stringify(JSON.stringify(pts))});`;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'login',
    path: '/children',
    api: { 'GET /api/session': (r) => json(r, { session: null }) },
    ready: (p) => p.getByRole('link', { name: /госуслуг/ }).waitFor(),
  },
  {
    name: 'parent-home',
    path: '/',
    api: {
      ...asMe('parent'),
      'GET /api/parent/children': (r) => json(r, children),
      'POST /api/streams': (r) => json(r, grant),
    },
    ready: async (p) => {
      await p.getByRole('heading', { name: 'Маша Смирнова' }).waitFor();
      await p
        .locator('.snapshot img.is-loaded')
        .first()
        .waitFor({ timeout: 5000 })
        .catch(() => undefined);
    },
    widths: [360, 390, 1280],
  },
  {
    name: 'parent-home-en',
    path: '/children',
    lang: 'en',
    api: {
      ...asMe('parent'),
      'GET /api/parent/children': (r) => json(r, children),
      'POST /api/streams': (r) => json(r, grant),
    },
    ready: (p) => p.getByRole('heading', { name: 'My children' }).waitFor(),
    widths: [390],
  },
  {
    name: 'parent-empty',
    path: '/children',
    api: { ...asMe('parent'), 'GET /api/parent/children': (r) => json(r, { items: [] }) },
    ready: (p) => p.getByRole('heading', { name: 'Здесь появятся ваши дети' }).waitFor(),
    widths: [360],
  },
  {
    name: 'watch-live',
    path: `/watch/${CAM}`,
    live: 'play',
    api: {
      ...asMe('parent'),
      'GET /api/parent/children': (r) => json(r, children),
      'POST /api/streams': (r) => json(r, grant),
    },
    ready: async (p) => {
      await p.getByRole('status').filter({ hasText: 'В эфире' }).waitFor({ timeout: 8000 });
      // A function, not a string: the page's CSP (no 'unsafe-eval') refuses string code.
      await p.waitForFunction(
        () => {
          const doc = (
            globalThis as unknown as {
              document: { querySelector(s: string): { currentTime: number } | null };
            }
          ).document;
          return (doc.querySelector('video')?.currentTime ?? 0) > 1;
        },
        null,
        { timeout: 8000 },
      );
    },
    widths: [360, 1280],
  },
  {
    name: 'watch-ended',
    path: `/watch/${CAM}`,
    live: 'revoke',
    api: {
      ...asMe('parent'),
      'GET /api/parent/children': (r) => json(r, children),
      'POST /api/streams': (r) => json(r, grant),
    },
    ready: (p) => p.getByText('Ребёнок больше не числится в этой группе.').waitFor({ timeout: 10_000 }),
    widths: [360, 1280],
  },
  {
    name: 'watch-reconnecting',
    path: `/watch/${CAM}`,
    live: 'drop',
    api: {
      ...asMe('parent'),
      'GET /api/parent/children': (r) => json(r, children),
      'POST /api/streams': (r) => {
        grantsMade++;
        return json(r, grant);
      },
    },
    ready: async (p) => {
      // Live, then the socket drops: the player says so and asks for a new grant by itself.
      await p.getByRole('status').filter({ hasText: 'В эфире' }).waitFor({ timeout: 8000 });
      await p.getByText('Связь прервалась').first().waitFor({ timeout: 8000 });
      const before = grantsMade;
      await p.getByRole('status').filter({ hasText: 'В эфире' }).waitFor({ timeout: 10_000 });
      if (grantsMade <= before) throw new Error('no new grant after the drop');
      await p.getByText('Связь прервалась').first().waitFor({ timeout: 8000 });
    },
    widths: [390],
  },
  {
    name: 'parent-home-dark',
    path: '/children',
    dark: true,
    api: {
      ...asMe('parent'),
      'GET /api/parent/children': (r) => json(r, children),
      'POST /api/streams': (r) => json(r, grant),
    },
    ready: (p) => p.getByRole('heading', { name: 'Маша Смирнова' }).waitFor(),
    widths: [390],
  },
  {
    name: 'watch-outside-hours',
    path: '/watch/cam-2',
    api: {
      ...asMe('parent'),
      'GET /api/parent/children': (r) => json(r, children),
      'POST /api/streams': (r) =>
        json(
          r,
          {
            code: 'forbidden',
            message: 'outside viewing hours',
            details: { reason: 'outside_viewing_hours', nextOpenAt: tomorrow7Msk },
          },
          403,
        ),
    },
    ready: (p) => p.getByText('Сейчас не время просмотра').waitFor(),
    widths: [360, 1280],
  },
  {
    name: 'admin-institutions',
    path: '/admin',
    api: {
      ...asMe('operator'),
      'GET /api/admin/institutions': (r) => json(r, institutions),
      'GET /api/admin/regions': (r) =>
        json(r, { items: [{ id: 'r1', name: 'Демо-город', ...stamp }], nextCursor: null }),
    },
    ready: (p) => p.getByText('Отдел опеки').waitFor(),
  },
  {
    name: 'admin-overview',
    path: `/admin/institutions/${INST}`,
    api: { ...asMe('admin'), [`GET /api/admin/institutions/${INST}`]: (r) => json(r, institutions.items[0]) },
    // The kindergarten administrator reads the operator's decisions (fee, pilot, time zone).
    ready: (p) => p.getByText('Плату, пилотный режим').waitFor(),
  },
  {
    name: 'admin-rooms',
    path: `/admin/institutions/${INST}/rooms`,
    api: {
      ...asMe('admin'),
      [`GET /api/admin/institutions/${INST}`]: (r) => json(r, institutions.items[0]),
      [`GET /api/admin/institutions/${INST}/rooms`]: (r) => json(r, rooms),
    },
    ready: (p) => p.getByText('Главный вход').first().waitFor(),
  },
  {
    name: 'admin-cameras',
    path: `/admin/institutions/${INST}/cameras`,
    api: {
      ...asMe('admin'),
      [`GET /api/admin/institutions/${INST}`]: (r) => json(r, institutions.items[0]),
      [`GET /api/admin/institutions/${INST}/rooms`]: (r) => json(r, rooms),
      [`GET /api/admin/institutions/${INST}/cameras`]: (r) => json(r, cameras),
      'GET /api/cameras/health': (r) => json(r, health),
    },
    ready: (p) => p.getByText('Нет картинки').waitFor(),
  },
  {
    name: 'admin-camera-probe',
    path: `/admin/institutions/${INST}/cameras/new`,
    api: {
      ...asMe('admin'),
      [`GET /api/admin/institutions/${INST}`]: (r) => json(r, institutions.items[0]),
      [`GET /api/admin/institutions/${INST}/rooms`]: (r) => json(r, rooms),
      'POST /api/admin/cameras/probe': async (r) => {
        await new Promise((res) => setTimeout(res, 1200));
        return json(r, {
          video: {
            codec: 'h264',
            profile: 'High',
            width: 1920,
            height: 1080,
            fps: 25,
            keyframeIntervalFrames: 50,
            keyframeIntervalMs: 2000,
          },
          audio: { codec: 'aac', sampleRateHz: 16000, channels: 1, ingestMode: 'copy' },
          videoPacketsRead: 75,
          durationMs: 3100,
        });
      },
    },
    ready: async (p) => {
      await p.getByLabel('Название камеры').fill('Пчёлки — игровая 2');
      await p.getByLabel('Адрес потока (RTSP)').fill('rtsp://10.0.12.24:554/stream1');
      await p.getByLabel('Логин камеры').fill('viewer');
      await p.getByLabel('Пароль камеры').fill('secret');
      await p.getByRole('button', { name: 'Проверить камеру' }).click();
      await p.getByText('Камера отвечает').waitFor();
    },
  },
  {
    name: 'admin-import-errors',
    path: `/admin/institutions/${INST}/import`,
    api: {
      ...asMe('admin'),
      [`GET /api/admin/institutions/${INST}`]: (r) => json(r, institutions.items[0]),
      [`POST /api/admin/institutions/${INST}/import`]: (r) =>
        json(
          r,
          {
            code: 'validation_failed',
            message: 'the file has errors; nothing was imported',
            details: [
              { line: 4, column: 'birth_date', reason: 'not a date: 31.02.2020' },
              { line: 7, column: 'group', reason: 'no group named «Пчелки» (did you mean «Пчёлки»?)' },
              { line: 12, reason: 'the same child appears twice (lines 3 and 12)' },
            ],
          },
          400,
        ),
    },
    ready: async (p) => {
      await p
        .getByLabel('или вставьте содержимое')
        .fill(
          'full_name,birth_date,group,guardian_subject\nМаша Смирнова,2020-03-14,Пчёлки,demo-parent-anna\n…',
        );
      await p.getByRole('button', { name: 'Загрузить' }).click();
      await p.getByText('Файл не загружен').waitFor();
    },
  },
  {
    name: 'operator-health',
    path: '/operator',
    init: viewerSamples(),
    api: { ...asMe('operator'), 'GET /api/cameras/health': (r) => json(r, health) },
    ready: (p) => p.getByText('Опека — приём, окно 1').first().waitFor(),
  },
  {
    name: 'audit',
    path: '/audit',
    api: {
      ...asMe('auditor'),
      'GET /api/audit': (r) => json(r, { items: auditItems, nextCursor: '1031' }),
      'GET /api/audit/verify': (r) => json(r, { ok: true, entries: 1040 }),
      'GET /api/audit/actions': (r) =>
        json(r, {
          items: [
            { code: 'grant.live', text: 'Открыл живое видео' },
            { code: 'stream.end', text: 'Трансляция закончилась' },
            { code: 'admin.enrolment.update', text: 'Изменил зачисление' },
          ],
        }),
    },
    ready: (p) => p.getByText('Цепочка журнала цела').waitFor(),
  },
  {
    name: 'recordings',
    path: `/recordings/${CAM}`,
    api: {
      ...asMe('inspector'),
      'GET /api/recordings/cameras': (r) =>
        json(r, {
          items: [
            {
              cameraId: CAM,
              name: 'Опека — приём, окно 1',
              institutionId: INST,
              state: 'live',
              recordingPolicy: 'continuous',
              manual: false,
            },
          ],
        }),
      [`GET /api/recordings/${CAM}/timeline`]: (r) => json(r, timeline),
      [`POST /api/recordings/${CAM}/exports`]: (r) =>
        json(r, {
          exportId: 'x1',
          verification: {
            ok: true,
            details: {
              passed: ['signature (key okno-export-key-2025)', 'manifest', 'video sha256', '42 segments'],
              problems: [],
            },
          },
          file: 'x1.tar',
          bytes: 48_211_456,
          sha256: 'b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184',
          mp4Sha256: 'c1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184',
          keyId: 'okno-export-key-2025',
          downloadUrl: `/media/recordings/${CAM}/exports/x1.tar?stream=s1&token=t`,
          from: dayAt(9, 30),
          to: dayAt(10, 15),
        }),
    },
    ready: async (p) => {
      await p.getByLabel('С', { exact: true }).fill('09:30');
      await p.getByLabel('До', { exact: true }).fill('10:15');
      await p.getByLabel('Причина просмотра').fill('Обращение гражданина № 1478 от 12.03');
      await p.getByRole('button', { name: 'Выгрузить отрезок' }).click();
      await p.getByText('Целостность подтверждена').waitFor();
    },
  },
];

// ---------------------------------------------------------------------------------------------------

let media: Media | null = null;
let grantsMade = 0;

async function main(): Promise<void> {
  media = makeMedia();
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>() as App;
  registerErrorHandler(app);
  await registerWebApp(app, { config: loadConfig({ env: {}, overrides: { logLevel: 'silent' } }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  mkdirSync(OUT, { recursive: true });

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  const problems: string[] = [];
  try {
    for (const s of SCENARIOS.filter((x) => x.name.includes(filter))) {
      for (const width of s.widths ?? [360, 1280]) {
        const context = await browser.newContext({
          viewport: { width, height: width < 600 ? 780 : 820 },
          deviceScaleFactor: width < 600 ? 2 : 1,
          locale: 'ru-RU',
          timezoneId: 'Europe/Moscow',
          colorScheme: s.dark ? 'dark' : 'light',
        });
        const page = await context.newPage();
        page.on('console', (m) => {
          // Chromium logs every 4xx answer; the canned 401/403/400 answers are on purpose.
          const expected =
            /Failed to load resource: the server responded with a status of (400|401|403)/.test(m.text());
          if (m.type() === 'error' && !expected) problems.push(`${s.name}@${width}: console: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`${s.name}@${width}: page error: ${e.message}`));
        if (s.lang) await page.addInitScript(`localStorage.setItem('okno.lang', '${s.lang}')`);
        if (s.init) await page.addInitScript(s.init);
        const handle = api(s.api, media);
        await page.route('**/*', (route) => {
          const u = new URL(route.request().url());
          if (
            u.pathname.startsWith('/api/') ||
            u.pathname.startsWith('/auth/') ||
            u.pathname.startsWith('/media/')
          )
            return handle(route, route.request().method(), u.pathname);
          return route.continue();
        });
        await page.routeWebSocket('**/media/live/**', (ws) => {
          if (!media) return ws.close({ code: 4000, reason: 'camera_unavailable' });
          const m = media;
          ws.send(JSON.stringify({ type: 'init', mime: 'video/mp4; codecs="avc1.64001f"' }));
          ws.send(m.init);
          let i = 0;
          const timer = setInterval(() => {
            const f = m.fragments[i++];
            if (!f) return clearInterval(timer);
            try {
              ws.send(f);
            } catch {
              clearInterval(timer);
            }
          }, 200);
          if (s.live === 'drop')
            setTimeout(() => {
              clearInterval(timer);
              void ws.close({ code: 1011 });
            }, 2000);
          if (s.live === 'revoke')
            setTimeout(() => {
              clearInterval(timer);
              ws.send(JSON.stringify({ type: 'closed', reason: 'access_revoked:not_enrolled' }));
              void ws.close({ code: 4000, reason: 'access_revoked:not_enrolled' });
            }, 2500);
          ws.onClose(() => clearInterval(timer));
        });
        await page.goto(base + s.path);
        try {
          await s.ready(page);
        } catch (err) {
          problems.push(`${s.name}@${width}: not ready: ${(err as Error).message.split('\n')[0]}`);
        }
        await page.evaluate('window.scrollTo(0, 0)');
        const file = path.join(OUT, `${s.name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log('saved', path.relative(ROOT, file));
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await app.close();
  }
  if (problems.length) {
    console.error(`\n${problems.length} problem(s):\n${problems.join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
