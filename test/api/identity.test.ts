/**
 * Login through OpenID Connect, on SQLite and PostgreSQL: the happy path against the real embedded
 * oidc-provider (driven in-process by a small cookie-keeping browser), the negative suite (wrong
 * state, nonce, issuer, audience, expired ID token, reused code, missing PKCE, …: each refused with
 * 401, audited as auth.login_failed with its reason, logged as a warning, and no session made),
 * logout with CSRF, and the idle and absolute session timeouts on an injected clock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { calculatePKCECodeChallenge, randomPKCECodeVerifier } from 'openid-client';
import { loadConfig, type Config } from '../../src/config/config.js';
import { buildApp, type App, type AppContext } from '../../src/server/app.js';
import { verifyAuditChain } from '../../src/audit/audit-log.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';
import { DevProvider } from '../../src/identity/dev-provider.js';
import { SESSION_COOKIE, hashToken } from '../../src/identity/sessions.js';
import { LOGIN_COOKIE, safeReturnTo } from '../../src/identity/routes.js';
import { AppError } from '../../src/shared/errors.js';
import { newId } from '../../src/shared/ids.js';
import type { Clock } from '../../src/shared/clock.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { TestBrowser, pick } from './identity-browser.js';
import { startFakeOp, type FakeOp } from './identity-fake-op.js';

const PUBLIC_URL = 'http://okno.test';
const CALLBACK = `${PUBLIC_URL}/auth/callback`;

/** A clock the test moves forward. */
class TestClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advanceMinutes(m: number): void {
    this.offsetMs += m * 60_000;
  }
}

interface Harness {
  app: App;
  ctx: AppContext;
  config: Config;
  db: TestDb;
  clock: TestClock;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

async function harness(db: TestDb, overrides: Record<string, unknown>): Promise<Harness> {
  const config = loadConfig({
    env: {},
    // No recorder: two harnesses of one test may share a data directory (its recording lock is one).
    overrides: { logLevel: 'silent', publicUrl: PUBLIC_URL, 'recording.enabled': false, ...overrides },
  });
  const clock = new TestClock();
  const logs: Record<string, unknown>[] = [];
  const { app, ctx } = await buildApp({
    config,
    db,
    clock,
    logLevel: 'warn',
    logStream: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  await app.ready();
  return { app, ctx, config, db, clock, logs, close: () => app.close() };
}

async function countRows(db: TestDb, table: 'sessions' | 'persons' | 'audit_log'): Promise<number> {
  const r = await db.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function lastAudit(db: TestDb) {
  return db.kysely
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
}

/** GET /auth/login; returns the provider URL it sends the browser to and the attempt's parameters. */
async function startLogin(b: TestBrowser, returnTo = '/') {
  const res = await b.get(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  assert.equal(res.statusCode, 302, res.body);
  const providerUrl = new URL(String(res.headers.location));
  return {
    providerUrl,
    state: providerUrl.searchParams.get('state')!,
    nonce: providerUrl.searchParams.get('nonce')!,
    attemptId: b.cookie(LOGIN_COOKIE)!.value,
  };
}

/**
 * Goes through the embedded provider as a demo person, up to (not into) the callback: returns the
 * callback URL the provider sent the browser to.
 */
async function throughProvider(b: TestBrowser, providerUrl: URL, subject: string): Promise<URL> {
  const page = await b.follow(await b.get(providerUrl.toString()));
  assert.equal(page.res.statusCode, 200, page.res.body);
  assert.match(page.res.body, /Development identity provider — not for production/);
  const action = pick(page.res.body, /<form method="post" action="([^"]+)"/);
  const chosen = await b.post(action, { subject });
  const toCallback = await b.follow(chosen, (loc) => loc.startsWith(CALLBACK));
  assert.ok(
    toCallback.stoppedAt,
    `the provider did not return to the callback: ${toCallback.res.statusCode}`,
  );
  return new URL(toCallback.stoppedAt);
}

async function loginAs(b: TestBrowser, subject: string, returnTo = '/') {
  const start = await startLogin(b, returnTo);
  const callback = await throughProvider(b, start.providerUrl, subject);
  const res = await b.get(callback.toString());
  return { ...start, callback, res };
}

/** Asserts a refused callback: 401, the reason audited, a warning logged, no session made. */
async function assertRefused(
  h: Harness,
  b: TestBrowser,
  res: Awaited<ReturnType<TestBrowser['get']>>,
  reason: string,
  sessionsBefore: number,
): Promise<void> {
  assert.equal(
    res.statusCode,
    401,
    `expected a refusal (${reason}), got ${res.statusCode}: ${res.body.slice(0, 300)}`,
  );
  assert.match(res.headers['content-type'] as string, /text\/html/);
  assert.match(res.body, new RegExp(`<code id="reason">${reason}</code>`));
  assert.equal(b.cookie(SESSION_COOKIE), undefined, 'no session cookie');
  assert.equal(await countRows(h.db, 'sessions'), sessionsBefore, 'no session row');
  const a = await lastAudit(h.db);
  assert.equal(a.action, 'auth.login_failed');
  assert.equal(a.decision, 'deny');
  assert.equal(a.reason, reason);
  assert.equal(a.actor_person_id, null);
  assert.ok(
    h.logs.some((l) => l.level === 40 && l.msg === 'login refused' && l.reason === reason),
    `a warning with reason ${reason} was logged`,
  );
}

for (const dbx of testDatabases()) {
  describe(`identity on ${dbx.name}`, { skip: dbx.skip }, () => {
    let db: TestDb;
    let dataDir: string;
    before(async () => {
      db = await dbx.open();
      dataDir = mkdtempSync(path.join(tmpdir(), 'okno-identity-'));
    });
    after(async () => {
      await db?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    describe('the embedded development provider', () => {
      let h: Harness;
      before(async () => {
        h = await harness(db, { dataDir });
      });
      after(async () => h?.close());

      test('login as a demo parent: a new person with no roles, a session, /api/me, then logout ends it', async () => {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const personsBefore = await countRows(db, 'persons');
        const { res, providerUrl } = await loginAs(b, 'demo-parent-anna', '/cameras?x=1');
        // The authorization request: code flow, PKCE S256, state, nonce, the exact redirect URI.
        assert.equal(providerUrl.origin + providerUrl.pathname, `${devIssuer(PUBLIC_URL)}/auth`);
        assert.equal(providerUrl.searchParams.get('response_type'), 'code');
        assert.equal(providerUrl.searchParams.get('code_challenge_method'), 'S256');
        assert.equal(providerUrl.searchParams.get('redirect_uri'), CALLBACK);
        assert.equal(providerUrl.searchParams.get('client_id'), 'okno');
        assert.ok((providerUrl.searchParams.get('state') ?? '').length >= 32);
        assert.ok((providerUrl.searchParams.get('nonce') ?? '').length >= 32);

        assert.equal(res.statusCode, 303, res.body);
        assert.equal(res.headers.location, '/cameras?x=1');
        const cookie = b.cookie(SESSION_COOKIE);
        assert.ok(cookie, 'session cookie set');
        assert.equal(cookie.path, '/');
        assert.ok(cookie.httpOnly);
        assert.equal(cookie.sameSite, 'Lax');
        assert.equal(cookie.secure, false, 'not Secure on an http public URL');
        assert.equal(b.cookie(LOGIN_COOKIE), undefined, 'the login-attempt cookie is cleared');

        const me = await b.get('/api/me', { accept: 'application/json' });
        assert.equal(me.statusCode, 200, me.body);
        const body = me.json<{
          person: { id: string; displayName: string };
          roles: unknown[];
          csrfToken: string;
        }>();
        assert.equal(body.person.displayName, 'Анна Иванова');
        assert.deepEqual(body.roles, [], 'an unknown person gets no roles');
        assert.equal(await countRows(db, 'persons'), personsBefore + 1);
        const person = await db.kysely
          .selectFrom('persons')
          .selectAll()
          .where('id', '=', body.person.id)
          .executeTakeFirstOrThrow();
        assert.equal(person.issuer, devIssuer(PUBLIC_URL));
        assert.equal(person.subject, 'demo-parent-anna');
        assert.equal(person.email, 'anna@example.test');

        const login = await lastAudit(db);
        assert.equal(login.action, 'auth.login');
        assert.equal(login.decision, 'allow');
        assert.equal(login.actor_person_id, body.person.id);
        assert.equal(login.session_id, hashToken(cookie.value));
        assert.deepEqual(JSON.parse(login.details!), { issuer: devIssuer(PUBLIC_URL), personCreated: true });

        // The attempt is used.
        const attempts = await db.kysely.selectFrom('login_attempts').selectAll().execute();
        assert.ok(attempts.every((x) => x.used_at !== null || x.return_to !== '/cameras?x=1'));

        // The app reads the CSRF token from the session (the web app posts it with logout).
        const csrf = body.csrfToken;

        // Logout without the CSRF token is refused and ends nothing.
        const forged = await b.request('POST', '/auth/logout', {
          form: {},
          headers: { accept: 'application/json' },
        });
        assert.equal(forged.statusCode, 403);
        assert.equal((await b.get('/api/me', { accept: 'application/json' })).statusCode, 200);

        const out = await b.post('/auth/logout', { csrf });
        assert.equal(out.statusCode, 303);
        const endSession = new URL(String(out.headers.location));
        assert.equal(endSession.origin + endSession.pathname, `${devIssuer(PUBLIC_URL)}/session/end`);
        assert.equal(endSession.searchParams.get('post_logout_redirect_uri'), `${PUBLIC_URL}/`);
        assert.ok(endSession.searchParams.get('id_token_hint'));
        assert.equal(b.cookie(SESSION_COOKIE), undefined, 'the session cookie is cleared');
        const row = await db.kysely
          .selectFrom('sessions')
          .selectAll()
          .where('id', '=', hashToken(cookie.value))
          .executeTakeFirstOrThrow();
        assert.equal(row.end_reason, 'logout');
        assert.equal((await lastAudit(db)).action, 'auth.logout');

        // The old cookie no longer works, even presented again.
        const replayed = await h.app.inject({
          url: '/api/me',
          headers: { cookie: `${SESSION_COOKIE}=${cookie.value}` },
        });
        assert.equal(replayed.statusCode, 401);
        assert.equal((await b.get('/api/me', { accept: 'application/json' })).statusCode, 401);

        // The provider's logout page is clearly the development provider's, and finishes at Okno's home.
        const op = await b.get(endSession.toString());
        assert.equal(op.statusCode, 200);
        assert.match(op.body, /Development identity provider — not for production/);
        const formAction = pick(op.body, /<form[^>]*action="([^"]+)"/);
        const xsrf = pick(op.body, /name="xsrf" value="([^"]+)"/);
        const confirmed = await b.post(formAction, { xsrf, logout: 'yes' });
        assert.equal(confirmed.statusCode, 303);
        assert.equal(confirmed.headers.location, `${PUBLIC_URL}/`);
      });

      test('a known person is matched by (issuer, subject); every login gets a new session id', async () => {
        const id = newId();
        const ts = new Date().toISOString();
        await db.kysely
          .insertInto('persons')
          .values({
            id,
            issuer: devIssuer(PUBLIC_URL),
            subject: 'demo-kg-admin',
            display_name: 'Ольга (из базы)',
            email: null,
            phone: null,
            disabled: 0,
            created_at: ts,
            updated_at: ts,
          })
          .execute();
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const first = await loginAs(b, 'demo-kg-admin');
        assert.equal(first.res.statusCode, 303);
        const firstToken = b.cookie(SESSION_COOKIE)!.value;
        const me = (await b.get('/api/me', { accept: 'application/json' })).json<{
          person: { id: string; displayName: string };
        }>();
        assert.equal(me.person.id, id);
        assert.equal(me.person.displayName, 'Ольга (из базы)', 'the stored name is kept');
        assert.equal(
          (JSON.parse((await lastAudit(db)).details!) as { personCreated: boolean }).personCreated,
          false,
        );

        const second = await loginAs(b, 'demo-kg-admin');
        assert.equal(second.res.statusCode, 303);
        const secondToken = b.cookie(SESSION_COOKIE)!.value;
        assert.notEqual(secondToken, firstToken);
        const old = await db.kysely
          .selectFrom('sessions')
          .select('end_reason')
          .where('id', '=', hashToken(firstToken))
          .executeTakeFirstOrThrow();
        assert.equal(old.end_reason, 'revoked', 'the session this browser had before is ended');
      });

      test('a disabled person is refused', async () => {
        const id = newId();
        const ts = new Date().toISOString();
        await db.kysely
          .insertInto('persons')
          .values({
            id,
            issuer: devIssuer(PUBLIC_URL),
            subject: 'demo-inspector',
            display_name: 'Елена',
            email: null,
            phone: null,
            disabled: 1,
            created_at: ts,
            updated_at: ts,
          })
          .execute();
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const before = await countRows(db, 'sessions');
        const { res } = await loginAs(b, 'demo-inspector');
        await assertRefused(h, b, res, 'person_disabled', before);
      });

      test('wrong state is refused, and does not spoil the real login in progress', async () => {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const start = await startLogin(b);
        const callback = await throughProvider(b, start.providerUrl, 'demo-parent-petr');
        const forged = new URL(callback);
        forged.searchParams.set('state', 'x' + start.state.slice(1));
        const before = await countRows(db, 'sessions');
        await assertRefused(h, b, await b.get(forged.toString()), 'state_mismatch', before);
        const real = await b.get(callback.toString());
        assert.equal(real.statusCode, 303, 'the genuine callback still completes');
      });

      test('wrong nonce is refused (the ID token carries another login’s nonce)', async () => {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const start = await startLogin(b);
        const callback = await throughProvider(b, start.providerUrl, 'demo-parent-petr');
        // The attempt now expects another nonce than the one the provider put into the ID token.
        await db.kysely
          .updateTable('login_attempts')
          .set({ nonce: 'another-logins-nonce-0123456789abcdef' })
          .where('id', '=', start.attemptId)
          .execute();
        const before = await countRows(db, 'sessions');
        await assertRefused(h, b, await b.get(callback.toString()), 'nonce_mismatch', before);
      });

      test('a reused authorization code is refused: by the used attempt, and by the provider', async () => {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const { callback, res, attemptId, state, nonce } = await loginAs(b, 'demo-parent-petr');
        assert.equal(res.statusCode, 303);
        const before = await countRows(db, 'sessions');

        // Replayed in the same browser: its attempt is used.
        const replay = new TestBrowser(h.app, PUBLIC_URL);
        const replayed = await replay.get(callback.toString(), {
          cookie: `${LOGIN_COOKIE}=${attemptId}`,
        });
        await assertRefused(h, replay, replayed, 'login_attempt_reused', before);

        // Replayed through a fresh attempt that matches in every other way: the provider refuses the code.
        const attempt = await db.kysely
          .selectFrom('login_attempts')
          .selectAll()
          .where('id', '=', attemptId)
          .executeTakeFirstOrThrow();
        const copyId = newId();
        await db.kysely
          .insertInto('login_attempts')
          .values({ ...attempt, id: copyId, used_at: null, created_at: h.clock.now().toISOString() })
          .execute();
        assert.equal(attempt.state, state);
        assert.equal(attempt.nonce, nonce);
        const again = await replay.get(callback.toString(), { cookie: `${LOGIN_COOKIE}=${copyId}` });
        await assertRefused(h, replay, again, 'code_rejected', before);
        const audited = JSON.parse((await lastAudit(db)).details!) as { error?: string };
        assert.equal(audited.error, 'invalid_grant');
      });

      test('missing PKCE: an authorization request without code_challenge is refused by the provider', async () => {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const start = await startLogin(b);
        const stripped = new URL(start.providerUrl);
        stripped.searchParams.delete('code_challenge');
        stripped.searchParams.delete('code_challenge_method');
        const res = await b.get(stripped.toString());
        assert.equal(res.statusCode, 303);
        const back = new URL(String(res.headers.location));
        assert.equal(back.origin + back.pathname, CALLBACK);
        assert.equal(back.searchParams.get('error'), 'invalid_request');
        assert.match(back.searchParams.get('error_description') ?? '', /PKCE/);
        const before = await countRows(db, 'sessions');
        await assertRefused(h, b, await b.get(back.toString()), 'provider_error', before);
        assert.match((await lastAudit(db)).details!, /PKCE/);
      });

      test('missing or wrong PKCE verifier at the code exchange is refused', async () => {
        // An attempt without a verifier: Okno will not exchange a code without PKCE.
        const b1 = new TestBrowser(h.app, PUBLIC_URL);
        const s1 = await startLogin(b1);
        const c1 = await throughProvider(b1, s1.providerUrl, 'demo-parent-petr');
        await db.kysely
          .updateTable('login_attempts')
          .set({ code_verifier: '' })
          .where('id', '=', s1.attemptId)
          .execute();
        const before = await countRows(db, 'sessions');
        await assertRefused(h, b1, await b1.get(c1.toString()), 'missing_pkce', before);

        // A verifier that does not match the challenge (a code injected into another login).
        const b2 = new TestBrowser(h.app, PUBLIC_URL);
        const s2 = await startLogin(b2);
        const c2 = await throughProvider(b2, s2.providerUrl, 'demo-parent-petr');
        await db.kysely
          .updateTable('login_attempts')
          .set({ code_verifier: randomPKCECodeVerifier() })
          .where('id', '=', s2.attemptId)
          .execute();
        await assertRefused(h, b2, await b2.get(c2.toString()), 'code_rejected', before);
      });

      test('a callback without the login-attempt cookie, or with an expired attempt, is refused', async () => {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const s = await startLogin(b);
        const c = await throughProvider(b, s.providerUrl, 'demo-parent-petr');
        const before = await countRows(db, 'sessions');
        const other = new TestBrowser(h.app, PUBLIC_URL);
        await assertRefused(h, other, await other.get(c.toString()), 'no_login_attempt', before);

        h.clock.advanceMinutes(11);
        try {
          await assertRefused(h, b, await b.get(c.toString()), 'login_attempt_expired', before);
        } finally {
          h.clock.offsetMs = 0;
        }
      });

      test('cancel on the provider page: refused with the provider’s error', async () => {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const s = await startLogin(b);
        const page = await b.follow(await b.get(s.providerUrl.toString()));
        const action = pick(page.res.body, /<form method="post" action="([^"]+)"/);
        const back = await b.follow(await b.post(action, { cancel: '1' }), (loc) => loc.startsWith(CALLBACK));
        const before = await countRows(db, 'sessions');
        await assertRefused(h, b, await b.get(back.stoppedAt!), 'provider_error', before);
        assert.match((await lastAudit(db)).details!, /access_denied/);
      });

      test('a refusal answers JSON to API clients', async () => {
        const res = await h.app.inject({
          url: '/auth/callback?code=x&state=y',
          headers: { accept: 'application/json' },
        });
        assert.equal(res.statusCode, 401);
        const body = res.json<{ code: string; details: { reason: string } }>();
        assert.equal(body.code, 'unauthenticated');
        assert.equal(body.details.reason, 'no_login_attempt');
      });

      test('returnTo must be a relative path on this site', async () => {
        for (const bad of [
          '//evil.example/x',
          'https://evil.example/',
          '/\\evil.example',
          'cameras',
          '/a\nb',
        ])
          assert.throws(() => safeReturnTo(bad), AppError, bad);
        assert.equal(safeReturnTo(undefined), '/');
        assert.equal(safeReturnTo('/cameras?room=1#live'), '/cameras?room=1#live');
        assert.equal(safeReturnTo('/auth/logout'), '/', 'never back into /auth/');
        const res = await h.app.inject({ url: '/auth/login?returnTo=%2F%2Fevil.example' });
        assert.equal(res.statusCode, 400);
        assert.equal(res.headers['set-cookie'], undefined, 'no attempt is started');
      });

      test('idle timeout ends a session (injected clock)', async () => {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        assert.equal((await loginAs(b, 'demo-parent-petr')).res.statusCode, 303);
        const token = b.cookie(SESSION_COOKIE)!.value;
        try {
          h.clock.advanceMinutes(29);
          assert.equal(
            (await b.get('/api/me', { accept: 'application/json' })).statusCode,
            200,
            'still alive',
          );
          h.clock.advanceMinutes(31);
          const me = await b.get('/api/me', { accept: 'application/json' });
          assert.equal(me.statusCode, 401);
          assert.match(me.json<{ message: string }>().message, /idle_timeout/);
        } finally {
          h.clock.offsetMs = 0;
        }
        const row = await db.kysely
          .selectFrom('sessions')
          .selectAll()
          .where('id', '=', hashToken(token))
          .executeTakeFirstOrThrow();
        assert.equal(row.end_reason, 'idle_timeout');
        assert.equal(
          (await b.get('/api/me', { accept: 'application/json' })).statusCode,
          401,
          'ended for good',
        );
      });

      test('absolute timeout ends a session however busy (injected clock)', async () => {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        assert.equal((await loginAs(b, 'demo-parent-petr')).res.statusCode, 303);
        const token = b.cookie(SESSION_COOKIE)!.value;
        try {
          // Used every 20 minutes, so never idle, for 11 h 40 min: alive.
          for (let i = 0; i < 35; i++) {
            h.clock.advanceMinutes(20);
            const me = await b.get('/api/me', { accept: 'application/json' });
            assert.equal(me.statusCode, 200, `alive after ${(i + 1) * 20} min`);
          }
          h.clock.advanceMinutes(20);
          const me = await b.get('/api/me', { accept: 'application/json' });
          assert.equal(me.statusCode, 401);
          assert.match(me.json<{ message: string }>().message, /absolute_timeout/);
        } finally {
          h.clock.offsetMs = 0;
        }
        const row = await db.kysely
          .selectFrom('sessions')
          .selectAll()
          .where('id', '=', hashToken(token))
          .executeTakeFirstOrThrow();
        assert.equal(row.end_reason, 'absolute_timeout');
      });

      test('the signing key is kept in the data directory, private to the owner', () => {
        const st = statSync(path.join(dataDir, 'dev-idp-jwks.json'));
        assert.equal(st.mode & 0o077, 0);
      });

      test('the audit chain is intact after all of it', async () => {
        assert.deepEqual((await verifyAuditChain(db.kysely)).ok, true);
      });
    });

    describe('ID tokens a real provider would not issue (a misbehaving test provider)', () => {
      let h: Harness;
      let op: FakeOp;
      before(async () => {
        op = await startFakeOp();
        h = await harness(db, {
          dataDir,
          'oidc.devProvider': false,
          'oidc.issuer': op.issuer,
          'oidc.clientId': op.clientId,
          'oidc.clientSecret': op.clientSecret,
        });
      });
      after(async () => {
        await h?.close();
        await op?.close();
      });

      async function callbackWith(
        claims: Record<string, unknown>,
        opts: { signWithForeignKey?: boolean; unsigned?: boolean } = {},
      ) {
        const b = new TestBrowser(h.app, PUBLIC_URL);
        const s = await startLogin(b);
        assert.equal(s.providerUrl.origin, new URL(op.issuer).origin);
        op.setExpectedNonce(s.nonce);
        op.nextIdToken(claims, opts);
        const res = await b.get(`${CALLBACK}?code=code-${newId()}&state=${encodeURIComponent(s.state)}`);
        return { b, res };
      }

      test('control: a correct ID token from this provider is accepted', async () => {
        const before = await countRows(db, 'sessions');
        const { b, res } = await callbackWith({});
        assert.equal(res.statusCode, 303, res.body);
        assert.ok(b.cookie(SESSION_COOKIE));
        assert.equal(await countRows(db, 'sessions'), before + 1);
        const req = op.tokenRequests.at(-1)!;
        assert.equal(req.redirectUri, CALLBACK, 'the exact redirect URI');
        assert.ok(req.codeVerifier && req.codeVerifier.length >= 43, 'PKCE verifier sent');
        assert.match(req.authorization ?? '', /^Basic /, 'client_secret_basic');
        const me = (await b.get('/api/me', { accept: 'application/json' })).json<{
          person: { displayName: string };
        }>();
        assert.equal(me.person.displayName, 'Персона Из Другого Провайдера');
      });

      test('wrong issuer', async () => {
        const before = await countRows(db, 'sessions');
        const { b, res } = await callbackWith({ iss: 'https://evil.example' });
        await assertRefused(h, b, res, 'issuer_mismatch', before);
      });

      test('wrong audience', async () => {
        const before = await countRows(db, 'sessions');
        const { b, res } = await callbackWith({ aud: 'some-other-client' });
        await assertRefused(h, b, res, 'audience_mismatch', before);
      });

      test('expired ID token', async () => {
        const before = await countRows(db, 'sessions');
        const now = Math.floor(Date.now() / 1000);
        const { b, res } = await callbackWith({ iat: now - 1200, exp: now - 600 });
        await assertRefused(h, b, res, 'id_token_expired', before);
      });

      test('wrong nonce', async () => {
        const before = await countRows(db, 'sessions');
        const { b, res } = await callbackWith({ nonce: 'a-nonce-from-another-login' });
        await assertRefused(h, b, res, 'nonce_mismatch', before);
      });

      test('signature by a key not in the provider’s JWKS', async () => {
        const before = await countRows(db, 'sessions');
        const { b, res } = await callbackWith({}, { signWithForeignKey: true });
        await assertRefused(h, b, res, 'id_token_signature_invalid', before);
      });

      test('an unsigned ID token (alg none)', async () => {
        const before = await countRows(db, 'sessions');
        const { b, res } = await callbackWith({}, { unsigned: true });
        await assertRefused(h, b, res, 'id_token_signature_invalid', before);
      });

      test('an unreachable provider: login cannot start (503), nothing is stored', async () => {
        const down = await harness(db, {
          dataDir,
          'oidc.devProvider': false,
          'oidc.issuer': 'http://127.0.0.1:1',
          'oidc.clientSecret': 'x',
        });
        try {
          const res = await down.app.inject({ url: '/auth/login', headers: { accept: 'application/json' } });
          assert.equal(res.statusCode, 503);
          assert.equal(res.json<{ code: string }>().code, 'unavailable');
          assert.equal(res.headers['set-cookie'], undefined);
          assert.ok(
            down.logs.some((l) => l.msg === 'login cannot start' && l.reason === 'provider_unavailable'),
          );
        } finally {
          await down.close();
        }
      });
    });
  });
}

describe('the embedded development provider on its own', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'okno-devidp-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('is refused in production mode', () => {
    assert.throws(
      () =>
        new DevProvider({ mode: 'production', publicUrl: 'https://okno.example', dataDir, clientId: 'okno' }),
      /refused in production/,
    );
  });

  test('requires PKCE at the token endpoint: a code issued with a challenge needs the verifier', async () => {
    const dev = new DevProvider({ mode: 'development', publicUrl: PUBLIC_URL, dataDir, clientId: 'okno' });
    const app = Fastify() as unknown as App;
    await app.register(formbody);
    await dev.register(app);
    await app.ready();
    try {
      const b = new TestBrowser(app, PUBLIC_URL);
      const verifier = randomPKCECodeVerifier();
      const authorize = new URL(`${dev.issuer}/auth`);
      authorize.search = new URLSearchParams({
        client_id: 'okno',
        response_type: 'code',
        scope: 'openid',
        redirect_uri: CALLBACK,
        state: 'state-0123456789',
        nonce: 'nonce-0123456789',
        code_challenge: await calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      const callback = await throughProvider(b, authorize, 'demo-parent-anna');
      const code = callback.searchParams.get('code')!;
      const token = (params: Record<string, string>) =>
        app.inject({
          method: 'POST',
          url: new URL(`${dev.issuer}/token`).pathname,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: 'Basic ' + Buffer.from(`okno:${dev.clientSecret}`).toString('base64'),
          },
          payload: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: CALLBACK,
            ...params,
          }).toString(),
        });
      const without = await token({});
      assert.equal(without.statusCode, 400);
      assert.equal(without.json<{ error: string }>().error, 'invalid_grant');
      // (The failed exchange above does not consume the code; the right verifier still works once.)
      const withIt = await token({ code_verifier: verifier });
      assert.equal(withIt.statusCode, 200, withIt.body);
      const reused = await token({ code_verifier: verifier });
      assert.equal(reused.statusCode, 400, 'a code works once');
      assert.equal(reused.json<{ error: string }>().error, 'invalid_grant');
    } finally {
      await app.close();
    }
  });
});
