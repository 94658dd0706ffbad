import { sql } from 'kysely';
import type { FastifyRequest } from 'fastify';
import type { App, AppContext } from '../server/app.js';
import { requireAuth } from '../server/request-context.js';

export async function registerHealthRoutes(app: App, ctx: AppContext): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(ctx.db.kysely);
      return { status: 'ok', database: ctx.db.dialect };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: ctx.db.dialect });
    }
  });

  const me = (a: NonNullable<ReturnType<typeof currentAuth>>) => ({
    person: { id: a.person.id, displayName: a.person.displayName },
    roles: a.roles,
    csrfToken: a.csrfToken,
    sessionExpiresAt: a.expiresAt,
  });

  app.get(
    '/api/me',
    {
      schema: {
        summary:
          'The logged-in person, their roles and the CSRF token for state-changing requests (401 when logged out)',
        tags: ['identity'],
      },
    },
    async (req) => me(requireAuth(req)),
  );

  app.get(
    '/api/session',
    {
      config: { anonymous: true },
      schema: {
        summary:
          'Like /api/me, but answers 200 with `session: null` when nobody is logged in (for the app start)',
        tags: ['identity'],
      },
    },
    async (req) => {
      const a = currentAuth(req);
      return { session: a ? me(a) : null, ...(req.authProblem ? { ended: req.authProblem } : {}) };
    },
  );
}

function currentAuth(req: FastifyRequest) {
  return req.auth;
}
