/**
 * Login, callback and logout (the OpenID Connect relying party), the embedded development provider
 * when configured, and the landing page.
 *
 *   GET  /auth/login?returnTo=/path  → login attempt + cookie → 302 to the provider
 *   GET  /auth/callback              → checks → session cookie → 303 to returnTo (or 401 with a reason)
 *   POST /auth/logout                → CSRF check → session ended → 303 to the provider's logout, or /
 *                                      (asked with Accept: application/json: 200 {redirectTo} instead,
 *                                      and the web app goes there itself)
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../server/app.js';
import { auditContext } from '../server/request-context.js';
import { AppError } from '../shared/errors.js';
import { SESSION_COOKIE } from './sessions.js';
import { DevProvider } from './dev-provider.js';
import { RelyingParty, LoginRefused, type LoginFailureReason } from './rp.js';
import { LoginService } from './login.js';
import { LOGIN_ATTEMPT_TTL_MS } from './store.js';
import { escapeHtml, renderPage, sendPage, wantsHtml } from './html.js';

/** The cookie that binds a login attempt to the browser that started it (only sent to /auth/*). */
export const LOGIN_COOKIE = 'okno_login';
const LOGIN_COOKIE_PATH = '/auth';

export async function registerIdentityRoutes(app: App, ctx: AppContext): Promise<void> {
  const { config } = ctx;
  const publicUrl = config.publicUrl.replace(/\/+$/, '');
  const redirectUri = `${publicUrl}/auth/callback`;
  const publicHost = new URL(publicUrl).host.toLowerCase();
  const secure = publicUrl.startsWith('https://');

  let rp: RelyingParty;
  if (config.oidc.devProvider) {
    const dev = new DevProvider({
      mode: config.mode,
      publicUrl,
      dataDir: config.dataDir,
      clientId: config.oidc.clientId,
    });
    await dev.register(app);
    rp = new RelyingParty({
      issuer: dev.issuer,
      clientId: config.oidc.clientId,
      clientSecret: dev.clientSecret,
      redirectUri,
      allowHttp: true,
      fetch: dev.fetchVia(app),
    });
  } else {
    if (!config.oidc.issuer) throw new Error('oidc.issuer is required when oidc.devProvider is false');
    rp = new RelyingParty({
      issuer: config.oidc.issuer,
      clientId: config.oidc.clientId,
      clientSecret: config.oidc.clientSecret,
      redirectUri,
      allowHttp: config.mode === 'development',
    });
  }
  const login = new LoginService(ctx.db.kysely, ctx.clock, ctx.sessions, rp);

  app.get(
    '/auth/login',
    {
      schema: {
        summary: 'Start a login at the identity provider (a browser navigation; answers with a redirect)',
        tags: ['identity'],
        security: [],
        querystring: Type.Object(
          { returnTo: Type.Optional(Type.String({ maxLength: 512 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const returnTo = safeReturnTo(req.query.returnTo);
      // The login's cookies and the provider's redirect belong to the public address: a browser that
      // came by another name for this server (http://127.0.0.1:8080 for http://localhost:8080, the
      // address the listener logs) is sent there first, or the callback would not find its cookie.
      // Only another name on the same port is redirected (a proxy in front keeps its own port); a
      // reverse proxy that names the public host in X-Forwarded-Host is trusted to be that address.
      if (!req.headers['x-forwarded-host'] && isOtherNameForUs(req.headers.host, publicHost)) {
        reply.header('cache-control', 'no-store');
        return reply.redirect(`${publicUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, 302);
      }
      let started: { attemptId: string; redirectTo: string };
      try {
        started = await login.begin(returnTo);
      } catch (e) {
        if (e instanceof LoginRefused) {
          req.log.warn({ reason: e.reason, details: e.details }, 'login cannot start');
          return refuse(req, reply, e);
        }
        throw e;
      }
      reply.setCookie(LOGIN_COOKIE, started.attemptId, {
        httpOnly: true,
        sameSite: 'lax',
        secure,
        path: LOGIN_COOKIE_PATH,
        maxAge: LOGIN_ATTEMPT_TTL_MS / 1000,
      });
      reply.header('cache-control', 'no-store');
      return reply.redirect(started.redirectTo, 302);
    },
  );

  app.get(
    '/auth/callback',
    {
      schema: {
        summary: 'The identity provider returns the browser here (exact redirect URI)',
        tags: ['identity'],
        security: [],
      },
    },
    async (req, reply) => {
      const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
      try {
        const done = await login.complete(req.cookies[LOGIN_COOKIE], new URLSearchParams(rawQuery), {
          ip: req.ip,
          userAgent: req.headers['user-agent']?.slice(0, 512) ?? null,
          previousSessionId: req.auth?.sessionId ?? null,
        });
        req.log.info(
          { personId: done.person.id, personCreated: done.person.created },
          'login: session created',
        );
        reply.clearCookie(LOGIN_COOKIE, { path: LOGIN_COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure });
        reply.setCookie(SESSION_COOKIE, done.token, {
          httpOnly: true,
          sameSite: 'lax',
          secure,
          path: '/',
          expires: new Date(done.expiresAt),
        });
        reply.header('cache-control', 'no-store');
        return reply.redirect(done.returnTo, 303);
      } catch (e) {
        if (!(e instanceof LoginRefused)) throw e;
        req.log.warn({ reason: e.reason, details: e.details }, 'login refused');
        return refuse(req, reply, e);
      }
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        summary: 'End the session (needs the CSRF token: x-csrf-token header or form field csrf)',
        tags: ['identity'],
      },
    },
    async (req, reply) => {
      const a = req.auth;
      reply.header('cache-control', 'no-store');
      // The web app logs out with fetch and then navigates itself: a form post redirected to an
      // external provider would need the provider in every page's CSP form-action.
      const json = wantsJson(req.headers.accept);
      if (!a) {
        // Nothing to end (no session, or one that has already ended): just forget the cookie.
        reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
        return json ? { redirectTo: '/' } : reply.redirect('/', 303);
      }
      // The request-context CSRF check covers /api/ only; logout is a form post, checked here.
      const header = req.headers['x-csrf-token'];
      const field = (req.body as Record<string, unknown> | undefined)?.csrf;
      const given = typeof header === 'string' ? header : typeof field === 'string' ? field : '';
      if (!sameString(given, a.csrfToken))
        throw new AppError('csrf_failed', 'missing or wrong CSRF token (x-csrf-token header or csrf field)');
      await login.logout(a, auditContext(req));
      req.log.info({ personId: a.person.id }, 'logout: session ended');
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
      const to = (await login.endSessionUrl(a.idTokenHint, `${publicUrl}/`)) ?? '/';
      return json ? { redirectTo: to } : reply.redirect(to, 303);
    },
  );
}

function wantsJson(accept: string | undefined): boolean {
  return !!accept && accept.includes('application/json') && !accept.includes('text/html');
}

/** A same-site relative path (`/…`, not `//host` or `/\host`), and not back into /auth/. */
/** Whether `host` (a Host header) names this server's port under a name other than the public one. */
export function isOtherNameForUs(host: string | undefined, publicHost: string): boolean {
  if (!host) return false;
  const split = (h: string) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h.toLowerCase());
    return m ? { name: m[1]!, port: m[2] ?? '' } : null;
  };
  const a = split(host);
  const b = split(publicHost);
  return a !== null && b !== null && a.port === b.port && a.name !== b.name;
}

export function safeReturnTo(v: string | undefined): string {
  if (v === undefined || v === '') return '/';
  const bad = () =>
    new AppError('bad_request', 'returnTo must be a relative path on this site, like /cameras');
  const hasControl = [...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (!v.startsWith('/') || v.startsWith('//') || v.includes('\\') || hasControl) throw bad();
  const base = 'http://okno.invalid';
  const u = new URL(v, base);
  if (u.origin !== base) throw bad();
  if (u.pathname === '/auth' || u.pathname.startsWith('/auth/')) return '/';
  return u.pathname + u.search + u.hash;
}

const REASON_TEXT: Record<LoginFailureReason, string> = {
  no_login_attempt: 'Вход начат в другом браузере или cookie отключены.',
  login_attempt_unknown: 'Неизвестная попытка входа.',
  login_attempt_expired: 'Вход занял больше 10 минут.',
  login_attempt_reused: 'Эта попытка входа уже использована.',
  provider_error: 'Поставщик удостоверений отказал во входе.',
  state_mismatch: 'Ответ поставщика не относится к этому входу (state).',
  missing_code: 'В ответе поставщика нет кода авторизации.',
  missing_pkce: 'Попытка входа без PKCE.',
  code_rejected: 'Поставщик не принял код авторизации.',
  issuer_mismatch: 'Токен выдан другим поставщиком.',
  audience_mismatch: 'Токен выдан для другого приложения.',
  nonce_mismatch: 'Токен не относится к этому входу (nonce).',
  id_token_expired: 'Срок действия токена истёк.',
  id_token_signature_invalid: 'Подпись токена неверна.',
  id_token_invalid: 'Токен недействителен.',
  person_disabled: 'Учётная запись отключена.',
  provider_unavailable: 'Поставщик удостоверений недоступен. Попробуйте позже.',
};

function refuse(req: FastifyRequest, reply: FastifyReply, e: LoginRefused): FastifyReply {
  const unavailable = e.reason === 'provider_unavailable';
  if (!wantsHtml(req.headers.accept))
    throw new AppError(unavailable ? 'unavailable' : 'unauthenticated', `login refused: ${e.message}`, {
      reason: e.reason,
    });
  const page = renderPage({
    title: 'Вход не выполнен — Okno',
    body: `<h1>Вход не выполнен</h1>
<div class="card error">
<p>${escapeHtml(REASON_TEXT[e.reason])}</p>
<p class="muted">Код причины: <code id="reason">${escapeHtml(e.reason)}</code>, запрос <code>${escapeHtml(req.id)}</code></p>
<p><a class="button" href="/auth/login">Попробовать снова</a> <a href="/">На главную</a></p>
</div>`,
  });
  return sendPage(reply, unavailable ? 503 : 401, page);
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
