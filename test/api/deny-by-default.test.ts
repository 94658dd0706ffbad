/**
 * Deny by default (src/server/request-context.ts): every `/api/` route the app has, asked without a
 * session — a stranger, or a parent whose session ended — with a malformed path, query and body, is
 * refused with 401 before anything is validated or run, and nothing in the database changes. Only
 * the routes marked anonymous answer otherwise. The list of routes is the app's own API description,
 * so a route added later is tried without anyone remembering to.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openSqliteTestDb, type TestDb } from '../support/db.js';
import { buildTestApp, sessionFor, type TestApp } from '../support/app.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';

/** What the anonymous routes answer a request that has no session and a malformed everything. */
const ANONYMOUS: Record<string, number> = {
  'GET /api/session': 200,
  'GET /api/openapi.json': 200,
  // the door devices' intake: its own signature check refuses the unsigned batch
  'POST /api/attendance/events': 401,
};

describe('every /api/ route needs a session unless marked anonymous', () => {
  let db: TestDb;
  let t: TestApp;
  let routes: { method: string; path: string }[];

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db);
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
    const spec = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    // (/auth/* and /media/* have their own rules: the login flow, and grant tokens checked per request)
    routes = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })));
    routes.push({ method: 'GET', path: '/api/openapi.json' }); // hidden from its own description
  });
  after(async () => {
    await t.close();
    await db.close();
  });

  /** Row counts of every table: what "nothing changed" means here. */
  async function counts(): Promise<Record<string, number>> {
    const tables = await sql<{ name: string }>`
      select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db.kysely);
    const out: Record<string, number> = {};
    for (const { name } of tables.rows) {
      const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(name)}`.execute(db.kysely);
      out[name] = Number(r.rows[0]!.n);
    }
    return out;
  }

  async function tryAll(cookie: string | undefined): Promise<string[]> {
    const wrong: string[] = [];
    for (const { method, path } of routes) {
      const url = `${path.replace(/\{[^}]+\}/g, 'not-an-id')}?from=x&to=y&limit=-5`;
      const r = await t.app.inject({
        method: method as 'GET',
        url,
        ...(cookie ? { headers: { cookie } } : {}),
        ...(method === 'GET' || method === 'DELETE' ? {} : { payload: { bogus: 1, roomId: 'x' } }),
      });
      const key = `${method} ${path}`;
      const expected = ANONYMOUS[key] ?? 401;
      if (r.statusCode !== expected) wrong.push(`${key} → ${r.statusCode} (expected ${expected}) ${r.body}`);
      else if (expected === 401 && /must|should|bogus|roomId/.test(r.body))
        wrong.push(`${key} → 401 that talks about the request's shape: ${r.body}`);
    }
    return wrong;
  }

  test('without a session cookie', async () => {
    assert.ok(routes.length > 100, `${routes.length} routes`);
    const before = await counts();
    assert.deepEqual(await tryAll(undefined), []);
    assert.deepEqual(await counts(), before);
  });

  test('with the cookie of a session that has ended (logged out)', async () => {
    const p = await db.kysely
      .selectFrom('persons')
      .select('id')
      .where('subject', '=', 'demo-parent-anna')
      .executeTakeFirstOrThrow();
    const s = await sessionFor(t, p.id);
    const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: s.headers });
    assert.ok(out.statusCode < 400, out.body);
    const before = await counts();
    assert.deepEqual(await tryAll(s.cookie), []);
    assert.deepEqual(await counts(), before);
    const r = await t.app.inject({ url: '/api/me', headers: { cookie: s.cookie } });
    assert.equal(r.statusCode, 401);
    assert.match(r.body, /session ended/);
  });
});
