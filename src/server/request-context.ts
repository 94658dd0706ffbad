/**
 * Per-request authentication and audit context. Every request gets `request.auth` (the session or
 * null) and `auditContext(request)`, which carries actor, IP, user agent and session into audited writes.
 * State-changing API requests must carry the session's CSRF token in the `x-csrf-token` header.
 *
 * Deny by default: every `/api/` route needs a session unless it says `config: { anonymous: true }`
 * (the app start's /api/session, the API description, the door devices' signed intake). A request
 * without one is refused here, before its body or query is read or validated, so a stranger learns
 * nothing about the API's shapes (401, not a 400 naming fields) and no handler runs for them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { AuditContext } from '../audit/audit-log.js';
import { SESSION_COOKIE, type AuthenticatedSession, type SessionStore } from '../identity/sessions.js';
import { AppError } from '../shared/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An `/api/` route anyone may call (it authenticates otherwise, or needs nobody). */
    anonymous?: boolean;
  }
  interface FastifyRequest {
    auth: AuthenticatedSession | null;
    /** why a presented session cookie was not accepted (for the client and the log) */
    authProblem: string | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function registerRequestContext(app: FastifyInstance, sessions: SessionStore): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('authProblem', null);
  app.addHook('onRequest', async (req) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) {
      // Live HLS requests (a dozen a second per player) resolve the session themselves, from the open
      // stream when there is one (src/api/media.ts, hlsStream): no database per part.
      if (isLiveHlsUrl(req.url)) return;
      const r = await sessions.resolve(token);
      if (r.ok) req.auth = r.session;
      else req.authProblem = r.reason;
    }
    if (!req.auth && req.url.startsWith('/api/') && req.routeOptions.config.anonymous !== true)
      requireAuth(req);
  });
  app.addHook('preHandler', async (req) => {
    if (SAFE_METHODS.has(req.method) || !req.auth) return;
    if (!req.url.startsWith('/api/')) return;
    const sent = req.headers['x-csrf-token'];
    const expected = Buffer.from(req.auth.csrfToken);
    const given = Buffer.from(typeof sent === 'string' ? sent : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new AppError('csrf_failed', 'missing or wrong x-csrf-token header');
  });
}

/** `/media/live/<camera>/hls/<file>` (the route resolves its session itself). */
export function isLiveHlsUrl(url: string): boolean {
  return url.startsWith('/media/live/') && url.indexOf('/hls/', 12) > 0;
}

export function requireAuth(req: FastifyRequest): AuthenticatedSession {
  if (!req.auth)
    throw new AppError(
      'unauthenticated',
      req.authProblem ? `session ended (${req.authProblem})` : 'log in first',
    );
  return req.auth;
}

export function auditContext(req: FastifyRequest, role?: string): AuditContext {
  const a = req.auth;
  return {
    actor: a ? { personId: a.person.id, subject: a.person.subject, role: role ?? primaryRole(a) } : null,
    ip: req.ip,
    userAgent: req.headers['user-agent']?.slice(0, 512) ?? null,
    sessionId: a?.sessionId ?? null,
  };
}

function primaryRole(a: AuthenticatedSession): string {
  return a.roles[0]?.role ?? 'parent';
}
