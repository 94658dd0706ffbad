/**
 * Step one of every admin route: the authenticated caller with an administrative role. Runs as an
 * onRequest hook for the whole /api/admin prefix (so authentication precedes body validation) and
 * again in each handler to obtain the caller.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../server/app.js';
import type { Caller } from '../../domain/admin/context.js';
import type { IdentityDeps } from '../../domain/admin/context.js';
import { identityIssuer } from '../../domain/admin/persons-identity.js';
import { isAdministrator, type Principal } from '../../domain/scope.js';
import { AppError } from '../../shared/errors.js';
import { auditContext, requireAuth } from '../../server/request-context.js';

export function adminCaller(req: FastifyRequest): Caller {
  const auth = requireAuth(req);
  const principal: Principal = { personId: auth.person.id, bindings: auth.roles };
  if (!isAdministrator(principal)) throw new AppError('forbidden', 'the admin API is for administrators');
  return { principal, audit: (role) => auditContext(req, role) };
}

/** What the admin services need from the app context: the database, the clock, the login issuer. */
export function adminDeps(ctx: AppContext): IdentityDeps {
  return { db: ctx.db.kysely, clock: ctx.clock, issuer: identityIssuer(ctx.config) };
}
