/**
 * Builds the HTTP application: plugins, the request pipeline (request id → session → CSRF → route),
 * the error mapping, OpenAPI, metrics and every route module. Nothing listens here: `serve.ts` does.
 */
import { CameraLeases, type CameraLeaseOptions } from '../recording/camera-leases.js';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawServerDefault,
} from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Config } from '../config/config.js';
import type { Db } from '../storage/db.js';
import type { Clock } from '../shared/clock.js';
import { SessionStore } from '../identity/sessions.js';
import { registerRequestContext } from './request-context.js';
import { registerErrorHandler } from './error-handler.js';
import { createMetrics, registerDatabaseMetrics, registerMetrics, type Metrics } from './metrics.js';
import { registerHealthRoutes } from '../api/health.js';
import { registerIdentityRoutes } from '../identity/routes.js';
import { registerAdminRoutes } from '../api/admin/index.js';
import websocket from '@fastify/websocket';
import { recordAudit, type AuditContext, type AuditEvent } from '../audit/audit-log.js';
import { AuditGroupCommit } from '../audit/group-commit.js';
import { GrantVerifier, type GrantKeyRing } from '../grants/index.js';
import { loadOrCreateKeyRing } from '../grants/key-store.js';
import { CameraManager, type CameraManagerOptions } from '../streams/camera-manager.js';
import { GrantService } from '../streams/grant-service.js';
import { LiveRegistry } from '../streams/live-registry.js';
import { CameraSourcesRepository } from '../storage/repositories/camera-sources.js';
import { StreamSessionsRepository } from '../storage/repositories/stream-sessions.js';
import { registerStreamRoutes } from '../api/streams.js';
import { registerMediaRoutes } from '../api/media.js';
import { registerCameraHealthRoutes } from '../api/camera-health.js';
import { registerAuditRoutes } from '../api/audit.js';
import { registerRecordingRoutes } from '../api/recordings.js';
import { registerConsentRoutes } from '../api/consent.js';
import { RecordingService, type RecordingServiceOptions } from '../recording/service.js';
import { registerWebApp } from '../api/web.js';
import { registerAttendanceRoutes } from '../api/attendance.js';
import { registerInspectionRoutes } from '../api/inspections.js';
import { createAuditCheckpointer } from '../audit/checkpointer-setup.js';
import type { AuditCheckpointer } from '../audit/checkpoints.js';
import { registerBillingRoutes } from '../api/billing.js';
import { registerVisitRoutes } from '../api/visits.js';
import { VisitsService } from '../visits/service.js';
import { registerCitizenRequestRoutes } from '../api/citizen-requests.js';
import { registerAlertRoutes } from '../api/alerts.js';
import { AlertDeliveryWorker, type Mailer } from '../alerts/delivery.js';

export interface AppContext {
  config: Config;
  db: Db;
  clock: Clock;
  sessions: SessionStore;
  metrics: Metrics;
  /** the live plane of this process: cameras, grants, open streams */
  live: LiveServices;
  /** recording: recorders of this process, the segment index, retention (src/recording) */
  recording: RecordingService;
  /** office visits, their flags and coverage (src/visits) */
  visits: VisitsService;
  /** records an audit entry in a transaction of its own */
  audit(ctx: AuditContext, ev: AuditEvent): Promise<void>;
  /** signs checkpoints of the audit chain's head into a file outside the database (null: switched off) */
  auditCheckpoints: AuditCheckpointer | null;
  /** delivers alerts (in-app, e-mail, webhooks) under a lease; null when alerts.delivery is off */
  alertDelivery: AlertDeliveryWorker | null;
}

export interface LiveServices {
  cameras: CameraManager;
  grants: GrantService;
  registry: LiveRegistry;
  verifier: GrantVerifier;
  keyRing: () => GrantKeyRing;
}

export interface BuildOptions {
  config: Config;
  db: Db;
  clock: Clock;
  /** pino log level, or false for no logs (tests) */
  logLevel?: string | false;
  /** where the logs go (default stdout); tests pass a stream to read what was logged */
  logStream?: { write(line: string): void };
  /** keep grant signing keys in memory only (tests), instead of DATA_DIR/grant-keys.json */
  ephemeralKeys?: boolean;
  /** camera manager tuning (tests) */
  cameraOptions?: Pick<
    CameraManagerOptions,
    'idleStopMs' | 'offlineEventMs' | 'watchdogMs' | 'supervisor' | 'alertAfterMs' | 'idleChecks'
  >;
  /** log each request at debug instead of info (the demo: its banner stays readable) */
  quietRequests?: boolean;
  /** the live registry's full sweep period (default 60 s; access events re-check at once) */
  recheckMs?: number;
  /** recording service tuning (tests: simulated free space, tick and sweep periods) */
  recordingOptions?: Pick<RecordingServiceOptions, 'freeBytes' | 'tickMs' | 'sweepEveryMs'> & {
    /** per-camera lease tuning on PostgreSQL (tests: short leases) */
    leases?: CameraLeaseOptions;
  };
  /** alert e-mails (tests; default: SMTP from the config) */
  mailer?: Mailer | null;
}

/** The app with its TypeBox type provider: route schemas type the handlers' request and reply. */
export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Fastify's own validator factory (@fastify/ajv-compiler, loaded from where Fastify itself loads it,
 * so it is the very compiler Fastify would use and no second copy of Ajv is added).
 */
const fastifyAjvCompiler = createRequire(createRequire(import.meta.url).resolve('fastify'))(
  '@fastify/ajv-compiler',
) as () => ValidatorFactory;

/**
 * Query strings, path parameters and headers are text: their schemas need coercion ("5" → 5,
 * "a" → ["a"]). Request bodies are JSON and are taken as sent: a number or an array where a name is
 * expected is refused (400), never turned into "5" or "a" (issue 9, item 8). Two Ajv instances with
 * the same options but `coerceTypes`, chosen per part of the request.
 */
const bodiesNotCoerced: ValidatorFactory = (externalSchemas, serverOptions) => {
  const factory = fastifyAjvCompiler();
  const options = { ...serverOptions } as AjvCompilerOptions;
  const text = factory(externalSchemas, options);
  const json = factory(externalSchemas, {
    ...options,
    customOptions: { ...options.customOptions, coerceTypes: false },
  });
  return (route) => (route.httpPart === 'body' ? json(route) : text(route));
};
type ValidatorFactory = import('@fastify/ajv-compiler').ValidatorFactory;
type AjvCompilerOptions = Exclude<Parameters<ValidatorFactory>[1], undefined | { mode: 'JTD' }>;

export async function buildApp(opts: BuildOptions): Promise<{ app: App; ctx: AppContext }> {
  const app = Fastify({
    logger: opts.logLevel
      ? {
          level: opts.logLevel,
          redact: ['req.headers.cookie', 'req.headers.authorization'],
          ...(opts.logStream ? { stream: opts.logStream } : {}),
        }
      : false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    ...(opts.quietRequests ? { logController: new LogController({ disableRequestLogging: true }) } : {}),
    trustProxy: opts.config.mode === 'production' ? 'loopback' : false,
    bodyLimit: 2 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
    schemaController: { compilersFactory: { buildValidator: bodiesNotCoerced } },
  }).withTypeProvider<TypeBoxTypeProvider>() as App;

  if (opts.quietRequests)
    app.addHook('onResponse', async (req, reply) => {
      req.log.debug(
        { method: req.method, url: req.url, statusCode: reply.statusCode, ms: reply.elapsedTime },
        'request completed',
      );
    });

  const sessions = new SessionStore(opts.db.kysely, opts.clock, opts.config.session);
  const streams = new StreamSessionsRepository(opts.db.kysely);
  const keyRing = await loadOrCreateKeyRing(
    opts.ephemeralKeys ? null : opts.config.dataDir,
    opts.clock.now().getTime(),
  );
  // One group commit per database: grant decisions, stream starts and ends share transactions.
  const writes = new AuditGroupCommit(opts.db.kysely);
  const grants = new GrantService({
    db: opts.db.kysely,
    writes,
    streams,
    sessions,
    clock: opts.clock,
    keyRing: () => keyRing,
    ttlSeconds: opts.config.streams.grantTtlSeconds,
    streamLimit: opts.config.streams.maxPerViewer,
    log: app.log,
  });
  const live: LiveServices = {
    cameras: new CameraManager({
      sources: new CameraSourcesRepository(opts.db.kysely),
      ffmpegPath: opts.config.ffmpegPath,
      clock: opts.clock,
      log: app.log as unknown as import('pino').Logger,
      db: opts.db.kysely,
      alertAfterMs: opts.config.cameras.alertAfterSeconds * 1000,
      idleChecks: { periodMs: opts.config.cameras.idleCheckMinutes * 60_000 },
      mergeWritesFromViewers: opts.config.cameras.mergeWritesFromViewers,
      ...opts.cameraOptions,
    }),
    grants,
    registry: new LiveRegistry({
      writes,
      streams,
      clock: opts.clock,
      recheck: (s) => grants.recheck(s),
      streamLimit: opts.config.streams.maxPerViewer,
      log: app.log as unknown as import('pino').Logger,
      ...(opts.recheckMs ? { sweepMs: opts.recheckMs } : {}),
    }),
    verifier: new GrantVerifier(keyRing.publicOnly()),
    keyRing: () => keyRing,
  };
  const recording = new RecordingService({
    db: opts.db.kysely,
    live: live.cameras,
    clock: opts.clock,
    config: opts.config,
    log: app.log as unknown as import('pino').Logger,
    ...opts.recordingOptions,
    // Several processes may share a PostgreSQL database: each camera is recorded under a lease.
    // SQLite has one process per database, whose recording directory lock is the owner.
    leases:
      opts.db.dialect === 'postgres'
        ? new CameraLeases(opts.db.kysely, opts.clock, opts.recordingOptions?.leases)
        : undefined,
  });
  const ctx: AppContext = {
    config: opts.config,
    db: opts.db,
    clock: opts.clock,
    sessions,
    metrics: createMetrics(),
    live,
    recording,
    visits: new VisitsService({
      db: opts.db.kysely,
      clock: opts.clock,
      config: opts.config,
      recording,
      live: live.cameras,
    }),
    audit: async (actx, ev) => {
      await recordAudit(opts.db.kysely, actx, ev, opts.clock.now());
    },
    auditCheckpoints: createAuditCheckpointer(opts.config, opts.db.kysely, opts.clock, app.log),
    alertDelivery: opts.config.alerts.delivery
      ? new AlertDeliveryWorker({
          db: opts.db.kysely,
          clock: opts.clock,
          config: opts.config,
          log: app.log,
          ...(opts.mailer !== undefined ? { mailer: opts.mailer } : {}),
        })
      : null,
  };
  // Streams open when the process stopped (a crash) stay open in the database unless closed here:
  // a row whose grant lapsed unrenewed is carried by no connection anywhere.
  const stale = await streams.closeAbandoned(
    opts.clock.now().toISOString(),
    opts.clock.now().toISOString(),
    'server_restart',
  );
  if (stale > 0) app.log.info({ streams: stale }, 'closed stream rows left open by a previous run');
  live.registry.start();
  app.addHook('onClose', async () => {
    await ctx.visits.stop();
    await recording.close();
    await live.registry.closeAll('server_shutdown');
    await live.cameras.close();
    await ctx.auditCheckpoints?.close();
    await ctx.alertDelivery?.stop();
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
  });

  await app.register(cookie);
  await app.register(formbody);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Okno API',
        version: '0.1.0',
        description:
          'Okno control-plane API. Authenticated by the session cookie; state-changing requests need the x-csrf-token header (from GET /api/me).',
      },
      components: {
        securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'okno_session' } },
      },
      security: [{ session: [] }],
    },
  });
  registerErrorHandler(app);
  registerRequestContext(app, ctx.sessions);
  registerMetrics(app, ctx.metrics);
  registerDatabaseMetrics(ctx.metrics, ctx.db);

  app.get('/api/openapi.json', { schema: { hide: true }, config: { anonymous: true } }, async () =>
    app.swagger(),
  );
  await registerHealthRoutes(app, ctx);
  await registerIdentityRoutes(app, ctx);
  await registerAdminRoutes(app, ctx);
  await registerStreamRoutes(app, ctx);
  await registerMediaRoutes(app, ctx);
  await registerCameraHealthRoutes(app, ctx);
  await registerAuditRoutes(app, ctx);
  await registerRecordingRoutes(app, ctx);
  registerConsentRoutes(app, ctx);
  await registerAttendanceRoutes(app, ctx);
  await registerInspectionRoutes(app, ctx);
  await registerBillingRoutes(app, ctx);
  await registerVisitRoutes(app, ctx);
  const citizenRequests = await registerCitizenRequestRoutes(app, ctx);
  app.addHook('onClose', () => citizenRequests.idle());
  registerAlertRoutes(app, ctx);
  await registerWebApp(app, ctx);
  try {
    await recording.start();
  } catch (e) {
    await app.close(); // e.g. the recording directory is owned by another process: stop what started
    throw e;
  }
  ctx.auditCheckpoints?.start();
  ctx.visits.start((err) => app.log.error({ err }, 'visit check failed'));
  ctx.alertDelivery?.start();
  return { app, ctx };
}
