/**
 * Home inspections' routes (docs/design/inspections.md). Each: authenticate → validate → the
 * InspectionService (authorize, act and audit in one transaction) → present.
 *
 *   GET  /api/inspections/mine                         the specialist's overdue, today's and next ones
 *   GET  /api/inspections/plan?from&to                 the office head's plan vs done, overdue first
 *   GET  /api/inspections/:id?reason=                  one inspection (inspectors state a reason)
 *   POST /api/inspections/:id/start                    «Начать проверку»
 *   POST /api/inspections/:id/uploads                  announce a photo {sha256, bytes, …}: bytes the server has
 *   GET  /api/inspections/:id/uploads/:sha256          how many bytes the server has
 *   PUT  /api/inspections/:id/uploads/:sha256?offset=  next chunk (application/octet-stream, ≤ 1 MiB)
 *   POST /api/inspections/:id/finish                   «Завершить»: seal with a signed manifest
 *   POST /api/inspections/:id/corrections              a new sealed version with a reason
 *   GET  /media/inspections/photo?token=               a photo behind a short-lived signed link (audited)
 */
import { createReadStream } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { App, AppContext } from '../server/app.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import { AppError } from '../shared/errors.js';
import { UUID_PATTERN } from '../shared/ids.js';
import { InspectionService, type InspectionCaller } from '../inspections/service.js';

export const CHUNK_MAX_BYTES = 1024 * 1024;

const Uuid = Type.String({ pattern: UUID_PATTERN });
const Sha = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Instant = Type.String({ format: 'date-time', maxLength: 40 });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Params = Type.Object({ id: Uuid });
const UploadParams = Type.Object({ id: Uuid, sha256: Sha });
const Position = Type.Union([
  Type.Object(
    {
      latitude: Type.Number({ minimum: -90, maximum: 90 }),
      longitude: Type.Number({ minimum: -180, maximum: 180 }),
      accuracyM: Type.Union([Type.Number({ minimum: 0, maximum: 1e6 }), Type.Null()]),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const Outcome = Type.Union([
  Type.Literal('satisfactory'),
  Type.Literal('needs_attention'),
  Type.Literal('unsatisfactory'),
]);
const Answers = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.Literal('yes'), Type.Literal('no'), Type.Literal('na')]),
);
const UploadState = Type.Object({
  state: Type.Union([Type.Literal('partial'), Type.Literal('stored')]),
  received: Type.Integer(),
  bytes: Type.Integer(),
  photoId: Type.Optional(Type.String()),
  duplicate: Type.Optional(Type.Boolean()),
  clockSkewFlagged: Type.Optional(Type.Boolean()),
});
const Sealed = Type.Object({
  id: Type.String(),
  status: Type.Literal('sealed'),
  version: Type.Integer(),
  manifestSha256: Type.Optional(Type.String()),
  alreadySealed: Type.Boolean(),
});

function callerOf(req: FastifyRequest): InspectionCaller {
  const auth = requireAuth(req);
  return {
    principal: { personId: auth.person.id, bindings: auth.roles },
    displayName: auth.person.displayName,
    audit: (role) => auditContext(req, role),
  };
}

export async function registerInspectionRoutes(app: App, ctx: AppContext): Promise<InspectionService> {
  const service = new InspectionService({ db: ctx.db.kysely, clock: ctx.clock, config: ctx.config });
  const tags = ['inspections'];

  app.get(
    '/api/inspections/mine',
    { schema: { summary: "Specialists: my overdue, today's and coming inspections", tags } },
    async (req) => ({ items: await service.mine(callerOf(req)) }),
  );

  app.get(
    '/api/inspections/plan',
    {
      schema: {
        summary: 'Office heads: the plan against what was done, overdue first',
        tags,
        querystring: Type.Object(
          { from: Type.Optional(Day), to: Type.Optional(Day) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const now = ctx.clock.now().getTime();
      const from = req.query.from ?? new Date(now - 90 * 86400_000).toISOString().slice(0, 10);
      const to = req.query.to ?? new Date(now + 31 * 86400_000).toISOString().slice(0, 10);
      if (from > to) throw new AppError('bad_request', 'from is after to');
      return service.plan(callerOf(req), from, to);
    },
  );

  app.get(
    '/api/inspections/:id',
    {
      schema: {
        summary: 'One inspection: photos (signed links), times, place, checklist, versions, verification',
        tags,
        params: Params,
        querystring: Type.Object(
          { reason: Type.Optional(Type.String({ maxLength: 1000 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => service.detail(callerOf(req), req.params.id, req.query.reason),
  );

  app.post(
    '/api/inspections/:id/start',
    {
      schema: {
        summary: '«Начать проверку»: the specialist is at the address',
        tags,
        params: Params,
        body: Type.Object(
          { startedAt: Instant, position: Type.Optional(Position) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => service.start(callerOf(req), req.params.id, req.body),
  );

  app.post(
    '/api/inspections/:id/uploads',
    {
      schema: {
        summary: 'Announce a photo (idempotent by sha256): how many of its bytes the server has',
        tags,
        params: Params,
        body: Type.Object(
          {
            sha256: Sha,
            bytes: Type.Integer({ minimum: 1 }),
            category: Type.Union([
              Type.Literal('living_conditions'),
              Type.Literal('ward'),
              Type.Literal('document'),
              Type.Literal('other'),
            ]),
            live: Type.Boolean({ description: 'taken with the camera in the app; false: from the gallery' }),
            deviceTakenAt: Instant,
            deviceNow: Instant,
            position: Type.Optional(Position),
          },
          { additionalProperties: false },
        ),
        response: { 200: UploadState },
      },
    },
    async (req) => service.beginUpload(callerOf(req), req.params.id, req.body),
  );

  app.get(
    '/api/inspections/:id/uploads/:sha256',
    {
      schema: {
        summary: 'How many bytes of a photo the server has',
        tags,
        params: UploadParams,
        response: { 200: UploadState },
      },
    },
    async (req) => service.uploadStatus(callerOf(req), req.params.id, req.params.sha256),
  );

  // Chunks are raw bytes; the parser lives in this encapsulated scope only.
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: CHUNK_MAX_BYTES },
      (_req, body, done) => done(null, body),
    );
    const s = scope as unknown as App;
    s.put(
      '/api/inspections/:id/uploads/:sha256',
      {
        bodyLimit: CHUNK_MAX_BYTES,
        schema: {
          summary:
            'The next chunk of a photo at ?offset= (the bytes the server has); the last one stores the photo',
          tags,
          params: UploadParams,
          querystring: Type.Object({ offset: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
          response: { 200: UploadState },
        },
      },
      async (req) => {
        const body = req.body;
        if (!Buffer.isBuffer(body))
          throw new AppError('unsupported_media_type', 'send the bytes as application/octet-stream');
        const deviceNow = req.headers['x-device-now'];
        return service.putChunk(
          callerOf(req),
          req.params.id,
          req.params.sha256,
          req.query.offset,
          body,
          typeof deviceNow === 'string' ? deviceNow : undefined,
        );
      },
    );
  });

  app.post(
    '/api/inspections/:id/finish',
    {
      schema: {
        summary: '«Завершить»: seal the inspection with a signed manifest',
        tags,
        params: Params,
        body: Type.Object(
          {
            answers: Answers,
            notes: Type.String({ maxLength: 10000 }),
            outcome: Outcome,
            doneAt: Instant,
            deviceNow: Instant,
            photos: Type.Array(Sha, { maxItems: 500 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Sealed },
      },
    },
    async (req) => service.finish(callerOf(req), req.params.id, req.body),
  );

  app.post(
    '/api/inspections/:id/corrections',
    {
      schema: {
        summary: 'Correct a sealed inspection: a new signed version with a reason (the old one stays)',
        tags,
        params: Params,
        body: Type.Object(
          {
            reason: Type.String({ minLength: 1, maxLength: 1000 }),
            outcome: Type.Optional(Outcome),
            notes: Type.Optional(Type.String({ maxLength: 10000 })),
            answers: Type.Optional(Answers),
          },
          { additionalProperties: false },
        ),
        response: { 200: Sealed },
      },
    },
    async (req) => service.correct(callerOf(req), req.params.id, req.body),
  );

  app.get(
    '/media/inspections/photo',
    {
      schema: {
        summary: 'A photo behind a short-lived signed link (the viewer’s own session; every view audited)',
        tags,
        querystring: Type.Object(
          { token: Type.String({ minLength: 1, maxLength: 2048 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const f = await service.openPhoto(req.query.token, req.auth?.person.id ?? null, (role) =>
        auditContext(req, role),
      );
      return reply
        .header('cache-control', 'private, no-store')
        .header('content-disposition', 'inline')
        .type(f.mime)
        .send(createReadStream(f.file));
    },
  );
  return service;
}
