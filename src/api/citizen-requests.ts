/**
 * Citizens' requests, privacy masks and the employees' transparency screen
 * (docs/design/citizen-requests.md). Thin routes: authenticate → validate → src/citizen/ (authorise
 * through src/authz/, act and audit in one transaction) → present.
 *
 *   GET  /api/citizen-requests/cameras                    cameras the caller may mask or request
 *   GET|PUT /api/privacy-masks/:cameraId                  a camera's masks (0..1 rectangles)
 *   GET  /api/privacy-masks/:cameraId/snapshot.jpg        the latest recorded picture (audited)
 *   GET|POST /api/citizen-requests                        list, create (office head)
 *   GET  /api/citizen-requests/:id
 *   POST /api/citizen-requests/:id/approve | reject       a second person
 *   POST /api/citizen-requests/:id/produce                re-encode and sign (202, poll the request)
 *   GET  /api/citizen-requests/:id/package                the signed package (audited)
 *   POST /api/citizen-requests/:id/handover               record the hand-over (signed receipt)
 *   GET  /api/workplaces/mine                             the employee's own workplaces
 *   GET  /api/workplaces/:roomId/transparency?days=       schedule, recordings, who watched and why
 */
import { createReadStream } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../server/app.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import { UUID_PATTERN } from '../shared/ids.js';
import { CitizenRequests } from '../citizen/requests.js';
import { visitsOfWorkplace, WorkplaceTransparency } from '../citizen/transparency.js';
import { VisitsRepository } from '../storage/repositories/visits.js';

const Uuid = Type.String({ pattern: UUID_PATTERN });
const Rect = Type.Object(
  {
    x: Type.Number({ description: 'left edge, 0..1 of the picture width' }),
    y: Type.Number({ description: 'top edge, 0..1 of the picture height' }),
    w: Type.Number({ description: 'width, 0..1' }),
    h: Type.Number({ description: 'height, 0..1' }),
  },
  { additionalProperties: false },
);
const MaskRect = Type.Object(
  {
    x: Type.Number(),
    y: Type.Number(),
    w: Type.Number(),
    h: Type.Number(),
    label: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export async function registerCitizenRequestRoutes(app: App, ctx: AppContext): Promise<CitizenRequests> {
  const service = new CitizenRequests({
    db: ctx.db.kysely,
    clock: ctx.clock,
    config: ctx.config,
    recording: ctx.recording,
  });
  const transparency = new WorkplaceTransparency({
    db: ctx.db.kysely,
    clock: ctx.clock,
    recording: ctx.recording,
    visits: visitsOfWorkplace(new VisitsRepository(ctx.db.kysely)),
  });
  const tags = ['citizen-requests'];
  const IdParams = Type.Object({ id: Uuid });

  app.get(
    '/api/citizen-requests/cameras',
    { schema: { summary: 'Office cameras the caller may draw privacy masks on or make requests for', tags } },
    async (req) => ({ items: await service.cameras(requireAuth(req)) }),
  );

  app.get(
    '/api/privacy-masks/:cameraId',
    { schema: { summary: "A camera's privacy masks", tags, params: Type.Object({ cameraId: Uuid }) } },
    async (req) => service.masks(requireAuth(req), req.params.cameraId),
  );

  app.put(
    '/api/privacy-masks/:cameraId',
    {
      schema: {
        summary: "Office heads and regional operators: replace a camera's privacy masks (audited)",
        tags,
        params: Type.Object({ cameraId: Uuid }),
        body: Type.Object(
          { masks: Type.Array(MaskRect, { maxItems: 100 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => service.setMasks(requireAuth(req), req.params.cameraId, req.body.masks, auditContext(req)),
  );

  app.get(
    '/api/privacy-masks/:cameraId/snapshot.jpg',
    { schema: { hide: true, params: Type.Object({ cameraId: Uuid }) } },
    async (req, reply) => {
      const jpeg = await service.snapshot(requireAuth(req), req.params.cameraId, auditContext(req));
      reply.header('cache-control', 'private, no-store');
      return reply.type('image/jpeg').send(jpeg);
    },
  );

  app.get(
    '/api/citizen-requests',
    { schema: { summary: "Citizens' requests in the caller's offices, newest first", tags } },
    async (req) => ({ items: await service.list(requireAuth(req)) }),
  );

  app.post(
    '/api/citizen-requests',
    {
      schema: {
        summary: "Office heads: a citizen's request for the recording of their visit",
        tags,
        body: Type.Object(
          {
            cameraId: Type.Optional(Uuid),
            from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
            to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
            visitId: Type.Optional(
              Type.String({
                ...Uuid,
                description: 'a closed visit: its camera and range (pre-roll to post-roll) are taken',
              }),
            ),
            reference: Type.String({ minLength: 1, maxLength: 100 }),
            receivedOn: Type.String({ maxLength: 10 }),
            note: Type.Optional(Type.String({ maxLength: 1000 })),
            regions: Type.Optional(Type.Array(Rect, { maxItems: 100 })),
            regionStyle: Type.Optional(Type.Union([Type.Literal('blur'), Type.Literal('fill')])),
            keepAudio: Type.Boolean(),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => service.create(requireAuth(req), req.body, auditContext(req)),
  );

  app.get(
    '/api/citizen-requests/:id',
    { schema: { summary: "One citizen's request with its custody trail", tags, params: IdParams } },
    async (req) => service.get(requireAuth(req), req.params.id),
  );

  const NoteBody = Type.Object(
    { note: Type.Optional(Type.String({ maxLength: 1000 })) },
    { additionalProperties: false },
  );
  app.post(
    '/api/citizen-requests/:id/approve',
    {
      schema: {
        summary: 'Approve a request (a second person: never the one who created it)',
        tags,
        params: IdParams,
        body: NoteBody,
      },
    },
    async (req) =>
      service.decide(
        requireAuth(req),
        req.params.id,
        { approve: true, note: req.body?.note },
        auditContext(req),
      ),
  );
  app.post(
    '/api/citizen-requests/:id/reject',
    { schema: { summary: 'Reject a request (with the reason)', tags, params: IdParams, body: NoteBody } },
    async (req) =>
      service.decide(
        requireAuth(req),
        req.params.id,
        { approve: false, note: req.body?.note },
        auditContext(req),
      ),
  );

  app.post(
    '/api/citizen-requests/:id/produce',
    {
      schema: {
        summary: 'Produce the masked, signed package (answers at once; follow production.progress)',
        tags,
        params: IdParams,
      },
    },
    async (req, reply) => {
      const view = await service.produce(requireAuth(req), req.params.id, auditContext(req));
      return reply.status(202).send(view);
    },
  );

  app.get(
    '/api/citizen-requests/:id/package',
    { schema: { summary: 'Download the signed package (audited)', tags, params: IdParams } },
    async (req, reply) => {
      const f = await service.packageFile(requireAuth(req), req.params.id, auditContext(req));
      reply.header('cache-control', 'private, no-store');
      reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(f.name)}`);
      reply.header('content-length', String(f.bytes));
      return reply.type('application/x-tar').send(createReadStream(f.path));
    },
  );

  app.post(
    '/api/citizen-requests/:id/handover',
    {
      schema: {
        summary: 'Record that the copy was handed over (adds a signed receipt to the package)',
        tags,
        params: IdParams,
        body: Type.Object(
          {
            handedTo: Type.String({ minLength: 1, maxLength: 200 }),
            note: Type.Optional(Type.String({ maxLength: 1000 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => service.handOver(requireAuth(req), req.params.id, req.body, auditContext(req)),
  );

  app.get(
    '/api/workplaces/mine',
    { schema: { summary: 'Employees: the workplaces their role bindings name', tags } },
    async (req) => ({ items: await transparency.mine(requireAuth(req)) }),
  );

  app.get(
    '/api/workplaces/:roomId/transparency',
    {
      schema: {
        summary:
          "A workplace's recording schedule, recordings and who watched or exported them, with the reason",
        tags,
        params: Type.Object({ roomId: Uuid }),
        querystring: Type.Object(
          { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => transparency.workplace(requireAuth(req), req.params.roomId, req.query.days ?? 14),
  );

  return service;
}
