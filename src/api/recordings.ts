/**
 * Recording routes: manual recording (visits), timeline, playback grants, exports, legal holds,
 * working hours, ring buffer and retention settings (API), and the playback media endpoints.
 * Each route: authenticate → validate (schema) → RecordingOperations (authorise, act and audit in one
 * transaction) → present.
 *
 *   POST /api/recordings/:cameraId/start | stop            office staff of the room
 *   GET  /api/recordings/:cameraId/timeline?from&to        staff covering the camera
 *   POST /api/recordings/:cameraId/playback {from,to,reason}   inspectors → {hlsUrl, mp4Url}
 *   POST /api/recordings/:cameraId/exports  {from,to,reason}   inspectors → signed package
 *   GET|POST /api/recordings/:cameraId/holds, POST /api/recordings/holds/:holdId/lift
 *   GET|PUT /api/recordings/rooms/:roomId/schedule, PUT /api/recordings/:cameraId/settings,
 *   PUT /api/recordings/retention/:institutionId/:roomKind, GET /api/recordings/status
 *
 *   GET /media/recordings/:cameraId/:streamId/index.m3u8?token=     HLS VOD playlist
 *   GET /media/recordings/:cameraId/:streamId/init/:segment?token=  init segment of a segment file
 *   GET /media/recordings/:cameraId/:streamId/part/:segment/:range?token=  GOPs of a segment file
 *   GET /media/recordings/:cameraId/:streamId/clip.mp4?token=       the range as one MP4 (Range ok)
 *   GET /media/recordings/:cameraId/exports/:file?stream=&token=    an export package
 */
import { MEDIA_PART_LOG_LEVEL } from './media.js';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, AppContext } from '../server/app.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import { AppError } from '../shared/errors.js';
import { UUID_PATTERN } from '../shared/ids.js';
import type { Weekday } from '../policy/facts.js';
import { RecordingOperations } from '../recording/operations.js';
import { fragmentStartsAt, readClip, readSegmentBytes, vodPlaylist } from '../recording/playback.js';

const Uuid = Type.String({ pattern: UUID_PATTERN });
const CameraParams = Type.Object({ cameraId: Uuid });
const Instant = Type.String({ format: 'date-time', maxLength: 40 });
const StatedReason = Type.String({
  minLength: 1,
  maxLength: 1000,
  description: 'why the recording is needed (at least 10 letters or digits); goes into the audit log',
});
const RangeBody = Type.Object(
  { from: Instant, to: Instant, reason: StatedReason },
  { additionalProperties: false },
);
const TokenQuery = Type.Object({ token: Type.String({ minLength: 1, maxLength: 2048 }) });
const Window = Type.Object(
  {
    weekday: Type.Integer({ minimum: 1, maximum: 7, description: '1 = Monday … 7 = Sunday' }),
    start: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' }),
    end: Type.String({ pattern: '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$' }),
  },
  { additionalProperties: false },
);
const Span = Type.Object({ start: Type.String(), end: Type.String() });
const TimelineSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  spans: Type.Array(Span),
  gaps: Type.Array(
    Type.Object({ start: Type.String(), end: Type.String(), cause: Type.String(), open: Type.Boolean() }),
  ),
  recording: Type.Union([Span, Type.Null()]),
});

export async function registerRecordingRoutes(app: App, ctx: AppContext): Promise<void> {
  const ops = new RecordingOperations({
    db: ctx.db.kysely,
    clock: ctx.clock,
    config: ctx.config,
    service: ctx.recording,
    keyRing: ctx.live.keyRing,
    verifier: ctx.live.verifier,
  });
  const tags = ['recordings'];

  app.post(
    '/api/recordings/:cameraId/start',
    {
      schema: {
        summary: 'Start recording a visit on a manual camera (with pre-roll from the live buffer)',
        tags,
        params: CameraParams,
        body: Type.Object(
          { purpose: Type.Optional(Type.String({ maxLength: 200 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => ops.startManual(requireAuth(req), req.params.cameraId, req.body ?? {}, auditContext(req)),
  );

  app.post(
    '/api/recordings/:cameraId/stop',
    {
      schema: {
        summary: 'Stop recording a visit (recording goes on for the configured post-roll)',
        tags,
        params: CameraParams,
        body: Type.Object({ sessionId: Type.Optional(Uuid) }, { additionalProperties: false }),
      },
    },
    async (req) => ops.stopManual(requireAuth(req), req.params.cameraId, req.body ?? {}, auditContext(req)),
  );

  app.get(
    '/api/recordings/:cameraId/timeline',
    {
      schema: {
        summary: 'Recorded spans and gaps (with their cause) of a camera in a time range',
        tags,
        params: CameraParams,
        querystring: Type.Object({ from: Instant, to: Instant }, { additionalProperties: false }),
        response: { 200: TimelineSchema },
      },
    },
    async (req) => ops.timeline(requireAuth(req), req.params.cameraId, req.query.from, req.query.to),
  );

  app.post(
    '/api/recordings/:cameraId/playback',
    {
      schema: {
        summary: 'Inspectors: watch a recorded range (stated reason required, audited) — HLS and MP4 URLs',
        tags,
        params: CameraParams,
        body: RangeBody,
      },
    },
    async (req) => ops.playback(requireAuth(req), req.params.cameraId, req.body, auditContext(req)),
  );

  app.post(
    '/api/recordings/:cameraId/exports',
    {
      schema: {
        summary: 'Inspectors: export a range as a signed package (MP4, manifest, Ed25519 signature)',
        tags,
        params: CameraParams,
        body: RangeBody,
      },
    },
    async (req) => ops.createExport(requireAuth(req), req.params.cameraId, req.body, auditContext(req)),
  );

  app.get(
    '/api/recordings/:cameraId/holds',
    { schema: { summary: 'Legal holds of a camera', tags, params: CameraParams } },
    async (req) => ({ items: await ops.listHolds(requireAuth(req), req.params.cameraId) }),
  );

  app.post(
    '/api/recordings/:cameraId/holds',
    {
      schema: {
        summary: 'Inspectors: place a legal hold (the range is exempt from retention until lifted)',
        tags,
        params: CameraParams,
        body: RangeBody,
      },
    },
    async (req) => ops.placeHold(requireAuth(req), req.params.cameraId, req.body, auditContext(req)),
  );

  app.post(
    '/api/recordings/holds/:holdId/lift',
    {
      schema: {
        summary: 'Inspectors: lift a legal hold (stated reason required, audited)',
        tags,
        params: Type.Object({ holdId: Uuid }),
        body: Type.Object({ reason: StatedReason }, { additionalProperties: false }),
      },
    },
    async (req) => ops.liftHold(requireAuth(req), req.params.holdId, req.body, auditContext(req)),
  );

  app.get(
    '/api/recordings/rooms/:roomId/schedule',
    {
      schema: {
        summary: "A room's working hours (schedule-driven recording; gaps inside them raise health events)",
        tags,
        params: Type.Object({ roomId: Uuid }),
      },
    },
    async (req) => ops.getSchedule(requireAuth(req), req.params.roomId),
  );

  app.put(
    '/api/recordings/rooms/:roomId/schedule',
    {
      schema: {
        summary: "Office heads and regional operators: replace a room's working hours",
        tags,
        params: Type.Object({ roomId: Uuid }),
        body: Type.Object({ windows: Type.Array(Window, { maxItems: 50 }) }, { additionalProperties: false }),
      },
    },
    async (req) =>
      ops.setSchedule(
        requireAuth(req),
        req.params.roomId,
        req.body.windows.map((w) => ({ ...w, weekday: w.weekday as Weekday })),
        auditContext(req),
      ),
  );

  app.put(
    '/api/recordings/:cameraId/settings',
    {
      schema: {
        summary:
          'Office heads and regional operators: ring-buffer mode (oldest video may go when the disk is low)',
        tags,
        params: CameraParams,
        body: Type.Object({ ringBuffer: Type.Boolean() }, { additionalProperties: false }),
      },
    },
    async (req) =>
      ops.setRingBuffer(requireAuth(req), req.params.cameraId, req.body.ringBuffer, auditContext(req)),
  );

  app.put(
    '/api/recordings/retention/:institutionId/:roomKind',
    {
      schema: {
        summary: 'Regional operators: how many days recordings of a room kind are kept in an institution',
        tags,
        params: Type.Object({
          institutionId: Uuid,
          roomKind: Type.Union([
            Type.Literal('group'),
            Type.Literal('workplace'),
            Type.Literal('entrance'),
            Type.Literal('hall'),
          ]),
        }),
        body: Type.Object(
          { days: Type.Integer({ minimum: 1, maximum: 3650 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) =>
      ops.setRetention(
        requireAuth(req),
        req.params.institutionId,
        req.params.roomKind,
        req.body.days,
        auditContext(req),
      ),
  );

  app.get(
    '/api/recordings/status',
    { schema: { summary: 'Operators: recorder state of this process (disk guard, cameras)', tags } },
    async (req) => {
      const auth = requireAuth(req);
      if (!auth.roles.some((r) => r.role === 'city_operator' || r.role === 'regional_operator'))
        throw new AppError('forbidden', 'operators only');
      return ctx.recording.status();
    },
  );

  // -------------------------------------------------------------------------------------------------
  // Media.

  const MediaParams = Type.Object({ cameraId: Uuid, streamId: Uuid });
  const authorize = (req: FastifyRequest, cameraId: string, streamId: string, token: string) =>
    ops.authorizeMedia(req.auth?.sessionId, cameraId, streamId, token, auditContext(req));

  app.get(
    '/media/recordings/:cameraId/:streamId/index.m3u8',
    { logLevel: MEDIA_PART_LOG_LEVEL, schema: { hide: true, params: MediaParams, querystring: TokenQuery } },
    async (req, reply) => {
      const { cameraId, streamId } = req.params;
      const view = await authorize(req, cameraId, streamId, req.query.token);
      const pieces = await ops.piecesOf(view);
      if (pieces.length === 0) throw new AppError('not_found', 'nothing was recorded in this range');
      const q = `?token=${encodeURIComponent(req.query.token)}`;
      const body = vodPlaylist(pieces, {
        init: (seg) => `init/${seg}.mp4${q}`,
        part: (seg, a, b) => `part/${seg}/${a}-${b}.m4s${q}`,
      });
      reply.header('cache-control', 'private, no-store');
      return reply.type('application/vnd.apple.mpegurl').send(body);
    },
  );

  async function segmentOfView(
    cameraId: string,
    view: { from_at: string; to_at: string },
    segmentId: string,
  ) {
    const seg = await ctx.recording.segment(cameraId, segmentId); // the one being written too
    if (
      !seg ||
      seg.cameraId !== cameraId ||
      seg.state !== 'ok' ||
      seg.startMs >= Date.parse(view.to_at) ||
      seg.endMs <= Date.parse(view.from_at)
    )
      throw new AppError('not_found', 'segment not found');
    return seg;
  }

  app.get(
    '/media/recordings/:cameraId/:streamId/init/:segment',
    {
      logLevel: MEDIA_PART_LOG_LEVEL,
      schema: {
        hide: true,
        params: Type.Object({
          cameraId: Uuid,
          streamId: Uuid,
          segment: Type.String({ pattern: '^[0-9a-f-]{36}\\.mp4$' }),
        }),
        querystring: TokenQuery,
      },
    },
    async (req, reply) => {
      const { cameraId, streamId } = req.params;
      const view = await authorize(req, cameraId, streamId, req.query.token);
      const seg = await segmentOfView(cameraId, view, req.params.segment.slice(0, 36));
      const data = await readSegmentBytes(ctx.recording.root, seg, 0, seg.initBytes);
      await ops.served(streamId, data.length);
      reply.header('cache-control', 'private, max-age=3600');
      return reply.type('video/mp4').send(data);
    },
  );

  app.get(
    '/media/recordings/:cameraId/:streamId/part/:segment/:range',
    {
      logLevel: MEDIA_PART_LOG_LEVEL,
      schema: {
        hide: true,
        params: Type.Object({
          cameraId: Uuid,
          streamId: Uuid,
          segment: Uuid,
          range: Type.String({ pattern: '^\\d{1,12}-\\d{1,12}\\.m4s$' }),
        }),
        querystring: TokenQuery,
      },
    },
    async (req, reply) => {
      const { cameraId, streamId } = req.params;
      const view = await authorize(req, cameraId, streamId, req.query.token);
      const seg = await segmentOfView(cameraId, view, req.params.segment);
      const [a, b] = req.params.range.replace('.m4s', '').split('-').map(Number) as [number, number];
      const points = new Set([...seg.keyframes.map(([o]) => o), seg.bytes]);
      // A playlist made while the segment was written ends its last part where the file ended then:
      // a fragment boundary, not a keyframe.
      const end = points.has(b) || (b < seg.bytes && (await fragmentStartsAt(ctx.recording.root, seg, b)));
      if (!(b > a) || !points.has(a) || !end || b > seg.bytes || a < seg.initBytes)
        throw new AppError('not_found', 'no such part');
      const data = await readSegmentBytes(ctx.recording.root, seg, a, b);
      await ops.served(streamId, data.length);
      reply.header('cache-control', 'private, max-age=3600');
      return reply.type('video/iso.segment').send(data);
    },
  );

  app.get(
    '/media/recordings/:cameraId/:streamId/clip.mp4',
    { schema: { hide: true, params: MediaParams, querystring: TokenQuery } },
    async (req, reply) => {
      const { cameraId, streamId } = req.params;
      const view = await authorize(req, cameraId, streamId, req.query.token);
      const clip = await ops.clipOf(view);
      const range = parseRange(req.headers.range, clip.bytes);
      reply.header('accept-ranges', 'bytes');
      reply.header('cache-control', 'private, no-store');
      reply.header(
        'content-disposition',
        `inline; filename="okno-${cameraId.slice(0, 8)}-${view.from_at}.mp4"`,
      );
      reply.type('video/mp4');
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${clip.bytes}`);
        throw new AppError('bad_request', 'requested range not satisfiable');
      }
      const [start, end] = range ?? [0, clip.bytes];
      if (range) reply.status(206).header('content-range', `bytes ${start}-${end - 1}/${clip.bytes}`);
      reply.header('content-length', String(end - start));
      await ops.served(streamId, end - start);
      return sendStream(reply, Readable.from(readClip(clip, start, end)));
    },
  );

  app.get(
    '/media/recordings/:cameraId/exports/:file',
    {
      schema: {
        hide: true,
        params: Type.Object({ cameraId: Uuid, file: Type.String({ pattern: '^[0-9a-f-]{36}\\.tar$' }) }),
        querystring: Type.Object({ stream: Uuid, token: Type.String({ minLength: 1, maxLength: 2048 }) }),
      },
    },
    async (req, reply) => {
      const { cameraId } = req.params;
      const view = await authorize(req, cameraId, req.query.stream, req.query.token);
      const exportId = req.params.file.slice(0, 36);
      const f = await ops.exportFile(cameraId, exportId, view.person_id);
      await ops.served(req.query.stream, f.bytes);
      reply.header('cache-control', 'private, no-store');
      reply.header('content-disposition', `attachment; filename="okno-export-${exportId}.tar"`);
      reply.header('content-length', String(f.bytes));
      return sendStream(reply.type('application/x-tar'), createReadStream(f.path));
    },
  );
}

function sendStream(reply: FastifyReply, stream: Readable): FastifyReply {
  return reply.send(stream);
}

/** One `bytes=a-b` range (the only form players send), or undefined for the whole body. */
function parseRange(
  header: string | undefined,
  size: number,
): [number, number] | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
  }
  if (start >= size || end <= start) return 'unsatisfiable';
  return [start, end];
}
