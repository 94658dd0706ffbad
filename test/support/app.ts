/**
 * The real app in-process (Fastify inject) on a real database, and sessions made directly in the
 * session store for tests that are not about login itself.
 */
import { loadConfig, type Config } from '../../src/config/config.js';
import { buildApp, type App, type AppContext, type BuildOptions } from '../../src/server/app.js';
import { SESSION_COOKIE } from '../../src/identity/sessions.js';
import type { Clock } from '../../src/shared/clock.js';
import { systemClock } from '../../src/shared/clock.js';
import type { TestDb } from './db.js';

export interface TestApp {
  app: App;
  ctx: AppContext;
  config: Config;
  close(): Promise<void>;
}

export async function buildTestApp(
  db: TestDb,
  opts: {
    overrides?: Record<string, unknown>;
    clock?: Clock;
    recheckMs?: number;
    cameraOptions?: BuildOptions['cameraOptions'];
    /** the app's log lines (JSON), for tests about what is logged */
    logStream?: { write(line: string): void };
    /** log every request at info, as production does (default: only at debug, as the demo does) */
    requestLogs?: boolean;
    recordingOptions?: BuildOptions['recordingOptions'];
    mailer?: BuildOptions['mailer'];
  } = {},
): Promise<TestApp> {
  // Recording is off unless a test asks for it (it would record demo cameras under ./data).
  const config = loadConfig({
    env: {},
    overrides: {
      logLevel: 'silent',
      'recording.enabled': false,
      'audit.checkpointSeconds': 0,
      // the periodic visit check runs where a test asks for it (or calls ctx.visits.check())
      'visits.checkSeconds': 0,
      // The alert delivery worker runs only where a test asks for it (test/api/alerts-*.test.ts).
      'alerts.delivery': false,
      ...opts.overrides,
    },
  });
  const { app, ctx } = await buildApp({
    config,
    db,
    clock: opts.clock ?? systemClock,
    logLevel: opts.logStream ? 'info' : false,
    ...(opts.logStream ? { logStream: opts.logStream, quietRequests: !opts.requestLogs } : {}),
    ephemeralKeys: true,
    ...(opts.recheckMs ? { recheckMs: opts.recheckMs } : {}),
    ...(opts.cameraOptions ? { cameraOptions: opts.cameraOptions } : {}),
    ...(opts.recordingOptions ? { recordingOptions: opts.recordingOptions } : {}),
    ...(opts.mailer !== undefined ? { mailer: opts.mailer } : {}),
  });
  await app.ready();
  return { app, ctx, config, close: () => app.close() };
}

export interface TestSession {
  personId: string;
  cookie: string;
  csrfToken: string;
  /** headers for inject(): the session cookie and, for state-changing requests, the CSRF token */
  headers: Record<string, string>;
}

export async function sessionFor(t: TestApp, personId: string): Promise<TestSession> {
  const s = await t.ctx.sessions.create(personId, { ip: '127.0.0.1', userAgent: 'test' });
  const cookie = `${SESSION_COOKIE}=${s.token}`;
  return { personId, cookie, csrfToken: s.csrfToken, headers: { cookie, 'x-csrf-token': s.csrfToken } };
}
