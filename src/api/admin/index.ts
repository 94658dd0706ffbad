/**
 * The admin API under /api/admin: every object of the domain model (docs/PRODUCT.md), scoped by role bindings
 * (docs/design/admin-api.md). Each route is a pipeline — authenticate (the onRequest hook and
 * `adminCaller`) → validate (the route's TypeBox schemas) → authorize (src/domain/scope.ts, inside the
 * service) → act in a transaction with its audit entry (src/domain/admin/context.ts `change`) →
 * present (src/domain/admin/views.ts; camera secrets never leave).
 */
import type { App, AppContext } from '../../server/app.js';
import { MAX_IMPORT_BYTES } from '../../domain/csv-import/import.js';
import { adminCaller } from './caller.js';
import { registerTenancyRoutes } from './tenancy.js';
import { registerRoomRoutes } from './rooms.js';
import { registerChildRoutes } from './children.js';
import { registerPeopleRoutes } from './people.js';
import { registerImportRoutes } from './import.js';
import { registerConsentAdminRoutes } from '../consent.js';
import { registerConnectionAdminRoutes } from '../connection.js';

export async function registerAdminRoutes(app: App, ctx: AppContext): Promise<void> {
  await app.register(
    async (admin: App) => {
      admin.addHook('onRequest', async (req) => {
        adminCaller(req);
      });
      // CSV uploads (the roster import): raw bytes, decoded and checked by the import itself.
      admin.addContentTypeParser(
        'text/csv',
        { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES },
        (_req, body, done) => done(null, body),
      );
      registerTenancyRoutes(admin, ctx);
      registerRoomRoutes(admin, ctx);
      registerChildRoutes(admin, ctx);
      registerPeopleRoutes(admin, ctx);
      registerImportRoutes(admin, ctx);
      registerConsentAdminRoutes(admin, ctx);
      registerConnectionAdminRoutes(admin, ctx);
    },
    { prefix: '/api/admin' },
  );
}
