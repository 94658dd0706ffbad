/**
 * Office visits (docs/design/office-visits.md). Each route: authenticate → validate (schema) →
 * VisitsService (authorise through src/authz/, act and audit in one transaction) → present.
 *
 *   GET  /api/visits/workplaces                       workplaces the caller receives at
 *   GET  /api/visits/workplaces/:roomId/state         recording state at the workplace (polled by the desk)
 *   PUT  /api/visits/workplaces/:roomId/mode {mode}   per_visit | continuous | both (audited, flagged)
 *   POST /api/visits {roomId, visitorCategory, caseRef?, employeeId?}   «Начать приём»
 *   POST /api/visits/:visitId/close                   «Завершить приём» (post-roll follows)
 *   GET  /api/visits?from&to[&roomId|&cameraId]       the register; GET /api/visits/:visitId
 *   GET  /api/visits/flags?status&institutionId&visitId, POST /api/visits/flags/:flagId/resolve {comment}
 *   GET  /api/visits/coverage?from&to&by[&institutionId], GET /api/visits/coverage.csv?from&to
 *   GET  /api/visits/categories                       visitor categories with their Russian labels
 */
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../server/app.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import { UUID_PATTERN } from '../shared/ids.js';
import { VISITOR_CATEGORIES } from '../storage/schema.js';
import { MODE_LABELS, VISITOR_LABELS } from '../visits/rules.js';

const Uuid = Type.String({ pattern: UUID_PATTERN });
const Instant = Type.String({ format: 'date-time', maxLength: 40 });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Category = Type.Union(VISITOR_CATEGORIES.map((c) => Type.Literal(c)));
const Mode = Type.Union([Type.Literal('per_visit'), Type.Literal('continuous'), Type.Literal('both')]);

export async function registerVisitRoutes(app: App, ctx: AppContext): Promise<void> {
  // Every visits route needs a session: an anonymous request is refused (401) before its body or
  // query is validated, so a stranger learns nothing of the API's shapes.
  await app.register(async (scoped: App) => {
    scoped.addHook('onRequest', async (req) => {
      requireAuth(req);
    });
    visitRoutes(scoped, ctx);
  });
}

function visitRoutes(app: App, ctx: AppContext): void {
  const visits = ctx.visits;
  const tags = ['visits'];

  app.get(
    '/api/visits/categories',
    { schema: { summary: 'Visitor categories and workplace modes with their Russian labels', tags } },
    async (req) => {
      requireAuth(req);
      return {
        categories: VISITOR_CATEGORIES.map((c) => ({ code: c, label: VISITOR_LABELS[c] })),
        modes: Object.entries(MODE_LABELS).map(([code, label]) => ({ code, label })),
      };
    },
  );

  app.get(
    '/api/visits/workplaces',
    { schema: { summary: 'Workplaces where the caller may open visits', tags } },
    async (req) => visits.myWorkplaces(requireAuth(req)),
  );

  app.get(
    '/api/visits/workplaces/:roomId/state',
    {
      schema: {
        summary:
          'Recording state at a workplace (recording / not recording / camera down) and its open visit',
        tags,
        params: Type.Object({ roomId: Uuid }),
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return visits.workplaceState(requireAuth(req), req.params.roomId);
    },
  );

  app.put(
    '/api/visits/workplaces/:roomId/mode',
    {
      schema: {
        summary: "Set a workplace's recording mode (audited; raises a flag)",
        tags,
        params: Type.Object({ roomId: Uuid }),
        body: Type.Object({ mode: Mode }, { additionalProperties: false }),
      },
    },
    async (req) => visits.setMode(requireAuth(req), req.params.roomId, req.body.mode, auditContext(req)),
  );

  app.post(
    '/api/visits',
    {
      schema: {
        summary: 'Open a visit at a workplace: recording starts with the pre-roll',
        tags,
        body: Type.Object(
          {
            roomId: Uuid,
            visitorCategory: Category,
            caseRef: Type.Optional(Type.String({ maxLength: 60 })),
            employeeId: Type.Optional(Uuid),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const v = await visits.open(requireAuth(req), req.body.roomId, req.body, auditContext(req));
      return reply.code(201).send(v);
    },
  );

  app.post(
    '/api/visits/:visitId/close',
    {
      schema: {
        summary: 'Close a visit (recording goes on for the post-roll)',
        tags,
        params: Type.Object({ visitId: Uuid }),
      },
    },
    async (req) => visits.close(requireAuth(req), req.params.visitId, auditContext(req)),
  );

  app.get(
    '/api/visits',
    {
      schema: {
        summary:
          'Visits overlapping a time range, at one workplace, one camera, or every workplace the caller sees',
        tags,
        querystring: Type.Object(
          { from: Instant, to: Instant, roomId: Type.Optional(Uuid), cameraId: Type.Optional(Uuid) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => visits.list(requireAuth(req), req.query),
  );

  app.get(
    '/api/visits/flags',
    {
      schema: {
        summary: 'Flags of the offices the caller oversees, with their evidence',
        tags,
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])),
            institutionId: Type.Optional(Uuid),
            visitId: Type.Optional(Uuid),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => visits.flags(requireAuth(req), req.query),
  );

  app.post(
    '/api/visits/flags/:flagId/resolve',
    {
      schema: {
        summary: 'Resolve a flag with a comment (audited; resolves its alert)',
        tags,
        params: Type.Object({ flagId: Uuid }),
        body: Type.Object(
          { comment: Type.String({ minLength: 1, maxLength: 2000 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) =>
      visits.resolveFlag(requireAuth(req), req.params.flagId, req.body.comment, auditContext(req)),
  );

  const CoverageQuery = Type.Object(
    {
      from: Day,
      to: Day,
      by: Type.Optional(
        Type.Union([
          Type.Literal('office'),
          Type.Literal('workplace'),
          Type.Literal('employee'),
          Type.Literal('day'),
          Type.Literal('week'),
        ]),
      ),
      institutionId: Type.Optional(Uuid),
    },
    { additionalProperties: false },
  );

  app.get(
    '/api/visits/coverage',
    {
      schema: {
        summary: 'Working hours covered by recording, visits and visits with flags, grouped',
        tags,
        querystring: CoverageQuery,
      },
    },
    async (req) => visits.coverage(requireAuth(req), { ...req.query, by: req.query.by ?? 'office' }),
  );

  app.get(
    '/api/visits/coverage.csv',
    {
      schema: {
        summary: 'Coverage per workplace and day as CSV (UTF-8, semicolons, streamed)',
        tags,
        querystring: CoverageQuery,
      },
    },
    async (req, reply) => {
      const caller = requireAuth(req);
      const lines = visits.coverageCsv(caller, req.query);
      // The first line is produced before the response starts, so a refusal is a plain JSON error.
      const first = await lines.next();
      reply.header(
        'content-disposition',
        `attachment; filename="okno-coverage-${req.query.from}-${req.query.to}.csv"`,
      );
      reply.type('text/csv; charset=utf-8');
      return reply.send(
        Readable.from(
          (async function* () {
            if (!first.done) yield first.value;
            yield* lines;
          })(),
        ),
      );
    },
  );

  app.get(
    '/api/visits/:visitId',
    {
      schema: {
        summary: 'One visit with its recorded range and cameras',
        tags,
        params: Type.Object({ visitId: Uuid }),
      },
    },
    async (req) => visits.visit(requireAuth(req), req.params.visitId),
  );
}
