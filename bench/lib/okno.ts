/**
 * The real Okno app for the benchmarks: real migrations on SQLite (a file in a temp dir, WAL, as in
 * production) or on a fresh PostgreSQL schema, its data dir in a temp dir, the recorder off, the demo seed, optionally listening on 127.0.0.1, and
 * sessions made directly in the session store (as test/support/app.ts `sessionFor` does).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { loadConfig, type Config } from '../../src/config/config.js';
import { buildApp, type App, type AppContext, type BuildOptions } from '../../src/server/app.js';
import { migrateToLatest, openDatabase, type Db } from '../../src/storage/db.js';
import type { Database } from '../../src/storage/schema.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';
import { SESSION_COOKIE } from '../../src/identity/sessions.js';
import { systemClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import type { AuditContext } from '../../src/audit/audit-log.js';
import type { IssuedStream } from '../../src/streams/grant-service.js';
import { defaultSpawner, type Spawner } from '../../src/media/supervisor.js';

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function benchPostgresUrl(): string {
  return process.env.OKNO_BENCH_DATABASE_URL || DEFAULT_PG_URL;
}

export interface Session {
  personId: string;
  subject: string;
  sessionId: string;
  cookie: string;
  csrfToken: string;
  /** The audit context a request on this session carries. */
  audit: AuditContext;
}

/** What a viewer needs to open the WebSocket: the path (with its token) and its session cookie. */
export interface ViewerTicket {
  wsPath: string;
  cookie: string;
  streamId: string;
}

export interface DemoIds {
  cameras: { bees: string; stars: string; beesBedroom: string; daisies: string };
  people: { anna: string; petr: string; kgAdmin: string };
}

export interface Okno {
  app: App;
  ctx: AppContext;
  db: Db;
  config: Config;
  ids: DemoIds;
  /** "127.0.0.1:PORT" when listening. */
  host: string | undefined;
  session(personId: string): Promise<Session>;
  /** A live grant through the grant service (the policy, the audit write, the stream row). */
  grant(session: Session, cameraId: string): Promise<IssuedStream>;
  /**
   * Parents in group «Пчёлки» (paid kindergarten), each with a child of their own enrolled there, a
   * verified guardian link and an active subscription, so each may hold `streams.maxPerViewer` streams.
   */
  addParents(count: number): Promise<string[]>;
  /**
   * `count` new parents in «Пчёлки» (see addParents), each with a session and one live grant for the
   * group's camera: what `count` different families watching at once look like to the server.
   */
  parentViewers(count: number): Promise<ViewerTicket[]>;
  close(): Promise<void>;
}

export interface StartOptions {
  database: 'sqlite' | 'postgres';
  listen?: boolean;
  cameraOptions?: BuildOptions['cameraOptions'];
  recheckMs?: number;
  overrides?: Record<string, unknown>;
}

/**
 * Spawns ffmpeg as the supervisor would, with `-write_prft wallclock` added before the output: ffmpeg
 * then puts a 32-byte `prft` box carrying its wall clock at the moment it writes each fragment in front
 * of the fragment's moof (Okno's parser keeps such boxes with the fragment), so a viewer can tell how
 * long ago the fragment left ffmpeg. Nothing else about the stream changes.
 */
export const prftSpawner: Spawner = (command, args) => {
  const out = args.length - 1; // buildIngestArgs ends with the output, 'pipe:1'
  return defaultSpawner(command, [...args.slice(0, out), '-write_prft', 'wallclock', ...args.slice(out)]);
};

/** Opens the database, migrates, seeds the demo and builds the app. Throws if PostgreSQL is unreachable. */
export async function startOkno(opts: StartOptions): Promise<Okno> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'okno-bench-data-'));
  const removeDataDir = async () => rmSync(dataDir, { recursive: true, force: true });
  const opened = await (opts.database === 'sqlite' ? openSqlite(dataDir) : openPostgres()).catch(
    async (err: unknown) => {
      await removeDataDir();
      throw err;
    },
  );
  const { db } = opened;
  const cleanup = async () => {
    await opened.cleanup();
    await removeDataDir();
  };
  try {
    // The recorder is off: the demo seed has a continuously recorded camera, whose ffmpeg and segment
    // writes would run beside every figure. Everything the app writes goes to a temp dir.
    const config = loadConfig({
      env: {},
      overrides: { logLevel: 'silent', dataDir, 'recording.enabled': false, ...opts.overrides },
    });
    await seedDemo(db.kysely, devIssuer(config.publicUrl), new Date());
    const { app, ctx } = await buildApp({
      config,
      db,
      clock: systemClock,
      logLevel: false,
      ephemeralKeys: true,
      ...(opts.cameraOptions ? { cameraOptions: opts.cameraOptions } : {}),
      ...(opts.recheckMs ? { recheckMs: opts.recheckMs } : {}),
    });
    await app.ready();
    let host: string | undefined;
    if (opts.listen) {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const addr = app.server.address();
      host = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    }
    const ids = await demoIds(db.kysely);
    const okno: Okno = {
      app,
      ctx,
      db,
      config,
      ids,
      host,
      session: async (personId) => {
        const person = await db.kysely
          .selectFrom('persons')
          .select('subject')
          .where('id', '=', personId)
          .executeTakeFirstOrThrow();
        const s = await ctx.sessions.create(personId, { ip: '127.0.0.1', userAgent: 'okno-bench' });
        return {
          personId,
          subject: person.subject,
          sessionId: s.sessionId,
          cookie: `${SESSION_COOKIE}=${s.token}`,
          csrfToken: s.csrfToken,
          audit: {
            actor: { personId, subject: person.subject, role: 'parent' },
            ip: '127.0.0.1',
            userAgent: 'okno-bench',
            sessionId: s.sessionId,
          },
        };
      },
      grant: (session, cameraId) =>
        ctx.live.grants.requestLive(
          { personId: session.personId, sessionId: session.sessionId },
          cameraId,
          session.audit,
        ),
      addParents: (count) => addParents(db.kysely, ids.cameras.bees, count, devIssuer(config.publicUrl)),
      parentViewers: async (count) => {
        const tickets: ViewerTicket[] = [];
        for (const personId of await okno.addParents(count)) {
          const session = await okno.session(personId);
          const g = await okno.grant(session, ids.cameras.bees);
          tickets.push({ wsPath: g.wsUrl, cookie: session.cookie, streamId: g.streamId });
        }
        return tickets;
      },
      close: async () => {
        await app.close();
        await db.close();
        await cleanup();
      },
    };
    return okno;
  } catch (err) {
    await db.close().catch(() => undefined);
    await cleanup().catch(() => undefined);
    throw err;
  }
}

async function openSqlite(dir: string): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  const db = openDatabase({ sqlitePath: path.join(dir, 'okno.db') });
  await migrateToLatest(db);
  return { db, cleanup: async () => undefined };
}

/** A fresh schema in the bench database (as test/support/db.ts does), dropped on close. */
async function openPostgres(): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  const url = benchPostgresUrl();
  const schema = 'bench_' + randomBytes(6).toString('hex');
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: url, max: 10, options: `-c search_path=${schema}` });
  pool.on('error', () => undefined);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const db: Db = {
    kysely,
    dialect: 'postgres',
    description: `postgres schema ${schema}`,
    close: () => kysely.destroy(),
  };
  await migrateToLatest(db, schema);
  return {
    db,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`drop schema ${schema} cascade`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Is the bench PostgreSQL reachable? Returns why not, or undefined. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: benchPostgresUrl(), connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function demoIds(db: Kysely<Database>): Promise<DemoIds> {
  const cams = await db.selectFrom('cameras').select(['id', 'name']).execute();
  const cam = (name: string) => {
    const found = cams.find((c) => c.name === name);
    if (!found) throw new Error(`demo camera ${name} not found: has the demo seed changed?`);
    return found.id;
  };
  const people = await db.selectFrom('persons').select(['id', 'subject']).execute();
  const person = (subject: string) => {
    const found = people.find((p) => p.subject === subject);
    if (!found) throw new Error(`demo person ${subject} not found: has the demo seed changed?`);
    return found.id;
  };
  return {
    cameras: {
      bees: cam('Пчёлки — игровая'),
      stars: cam('Звёздочки — игровая'),
      beesBedroom: cam('Пчёлки — спальня'),
      daisies: cam('Ромашки — игровая'),
    },
    people: {
      anna: person('demo-parent-anna'),
      petr: person('demo-parent-petr'),
      kgAdmin: person('demo-kg-admin'),
    },
  };
}

async function addParents(
  db: Kysely<Database>,
  groupCameraId: string,
  count: number,
  issuer: string,
): Promise<string[]> {
  const group = await db
    .selectFrom('cameras')
    .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
    .select(['rooms.id as roomId', 'rooms.institution_id as institutionId'])
    .where('cameras.id', '=', groupCameraId)
    .executeTakeFirstOrThrow();
  const ts = new Date().toISOString();
  const stamp = { created_at: ts, updated_at: ts };
  const ids: string[] = [];
  const batch = 100;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const rows = Array.from({ length: n }, (_, i) => ({
      personId: newId(),
      childId: newId(),
      number: start + i + 1,
    }));
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('persons')
        .values(
          rows.map((r) => ({
            id: r.personId,
            issuer,
            subject: `bench-parent-${r.personId}`,
            display_name: `Bench parent ${r.number}`,
            email: null,
            phone: null,
            disabled: 0 as const,
            ...stamp,
          })),
        )
        .execute();
      await trx
        .insertInto('children')
        .values(
          rows.map((r) => ({
            id: r.childId,
            institution_id: group.institutionId,
            full_name: `Bench child ${r.number}`,
            birth_date: null,
            external_ref: `BENCH-${r.childId}`,
            ...stamp,
          })),
        )
        .execute();
      await trx
        .insertInto('enrolments')
        .values(
          rows.map((r) => ({
            id: newId(),
            child_id: r.childId,
            room_id: group.roomId,
            start_date: '2025-09-01',
            end_date: null,
            ...stamp,
          })),
        )
        .execute();
      await trx
        .insertInto('guardian_links')
        .values(
          rows.map((r) => ({
            id: newId(),
            person_id: r.personId,
            child_id: r.childId,
            relation: 'parent',
            verified: 1 as const,
            ...stamp,
          })),
        )
        .execute();
      await trx
        .insertInto('subscriptions')
        .values(
          rows.map((r) => ({
            id: newId(),
            person_id: r.personId,
            child_id: r.childId,
            status: 'active' as const,
            monthly_fee_minor: null,
            ...stamp,
          })),
        )
        .execute();
    });
    ids.push(...rows.map((r) => r.personId));
  }
  return ids;
}
