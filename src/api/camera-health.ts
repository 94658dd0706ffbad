/**
 * Camera operations for staff: health of the cameras in the caller's scope (state, fps, bitrate,
 * viewers, last keyframe age, restarts, recent health events) and the camera probe used before saving.
 */
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../server/app.js';
import { requireAuth } from '../server/request-context.js';
import { AppError } from '../shared/errors.js';
import { CameraSourcesRepository } from '../storage/repositories/camera-sources.js';
import { CameraOutagesRepository } from '../storage/repositories/camera-outages.js';
import { probeCamera } from '../media/probe.js';
import { grabCameraFrame } from '../media/snapshot.js';
import { ProbeError } from '../media/errors.js';
import type { AuthenticatedSession } from '../identity/sessions.js';
import { allows, mayAnywhere, type Action, type ObjectKind } from '../authz/index.js';
import { principalOf } from '../authz/places.js';

interface CameraPlace {
  roomId: string;
  institutionId: string;
  institutionKind: 'kindergarten' | 'office';
  regionId: string;
}

/** May the caller do `action` to `object` at this camera's place? (src/authz/, the one check) */
function inScope(auth: AuthenticatedSession, p: CameraPlace, object: ObjectKind, action: Action): boolean {
  return allows(principalOf(auth), object, action, {
    regionId: p.regionId,
    institution: { id: p.institutionId, kind: p.institutionKind },
    roomIds: [p.roomId],
  });
}

export async function registerCameraHealthRoutes(app: App, ctx: AppContext): Promise<void> {
  const sources = new CameraSourcesRepository(ctx.db.kysely);
  const outages = new CameraOutagesRepository(ctx.db.kysely);
  const cameraGauge = new (await import('prom-client')).Gauge({
    name: 'okno_camera_viewers',
    help: 'live viewers per running camera',
    labelNames: ['camera'],
    registers: [ctx.metrics.registry],
    collect() {
      this.reset();
      for (const s of ctx.live.cameras.stats()) this.set({ camera: s.cameraId }, s.viewers);
    },
  });
  void cameraGauge;
  const states = ['idle', 'starting', 'live', 'stalled', 'failing', 'disabled'] as const;
  new (await import('prom-client')).Gauge({
    name: 'okno_camera_state',
    help: 'running cameras by state (1 for the current state)',
    labelNames: ['camera', 'state'],
    registers: [ctx.metrics.registry],
    collect() {
      this.reset();
      for (const s of ctx.live.cameras.stats())
        for (const st of states) this.set({ camera: s.cameraId, state: st }, s.state === st ? 1 : 0);
    },
  });

  app.get(
    '/api/cameras/health',
    { schema: { summary: 'Health of the cameras in your scope', tags: ['cameras'] } },
    async (req) => {
      const auth = requireAuth(req);
      const places = (await sources.listPlaces()).filter((p) => inScope(auth, p, 'camera_health', 'read'));
      if (places.length === 0 && !mayAnywhere(principalOf(auth), 'camera_health', 'read'))
        throw new AppError('not_found', 'nothing here');
      const running = new Map(ctx.live.cameras.stats().map((s) => [s.cameraId, s]));
      const ids = places.map((p) => p.cameraId);
      const events = await sources.healthEvents(ids, 50);
      const recentOutages = await outages.recent(ids, 50);
      return {
        items: places.map((p) => {
          const s = running.get(p.cameraId);
          const check = ctx.live.cameras.lastCheck(p.cameraId);
          const failure = p.enabled ? s?.failure : undefined;
          return {
            cameraId: p.cameraId,
            name: p.name,
            institutionId: p.institutionId,
            state: p.enabled ? (s?.state ?? 'idle') : 'disabled',
            online: s?.state === 'live',
            fps: s?.fps ?? 0,
            bitrateBps: s?.bitrateBps ?? 0,
            viewers: s?.viewers ?? 0,
            lastKeyframeAgeMs: s?.lastKeyframeAgeMs ?? null,
            restarts: s?.restarts ?? 0,
            drops: s?.drops ?? 0,
            /** why it is not live (a CameraFailureCode), null while fine */
            reason: failure?.code ?? null,
            /** the supervisor's account, English and redacted, for the operator's details */
            reasonDetail: failure?.message ?? null,
            /** the last idle check (cameras nobody watches), null before the first */
            lastCheck: check
              ? {
                  at: check.at,
                  ok: check.ok,
                  reason: check.failure?.code ?? null,
                  durationMs: check.durationMs,
                }
              : null,
          };
        }),
        events: events.map((e) => ({ id: e.id, cameraId: e.camera_id, kind: e.kind, at: e.at })),
        outages: recentOutages.map((o) => ({
          id: o.id,
          cameraId: o.camera_id,
          startedAt: o.started_at,
          endedAt: o.ended_at,
          reason: o.reason,
          alerted: o.alerted_at !== null,
        })),
      };
    },
  );

  app.get(
    '/api/recordings/cameras',
    {
      schema: {
        summary: 'Cameras whose recordings you work with (inspectors, office staff), with their live state',
        tags: ['recordings'],
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      if (!mayAnywhere(principalOf(auth), 'recording_timeline', 'read'))
        throw new AppError('not_found', 'nothing here');
      const running = new Map(ctx.live.cameras.stats().map((s) => [s.cameraId, s]));
      const places = (await sources.listPlaces()).filter((p) =>
        inScope(auth, p, 'recording_timeline', 'read'),
      );
      return {
        items: places.map((p) => ({
          cameraId: p.cameraId,
          name: p.name,
          institutionId: p.institutionId,
          state: p.enabled ? (running.get(p.cameraId)?.state ?? 'idle') : 'disabled',
          reason: p.enabled ? (running.get(p.cameraId)?.failure?.code ?? null) : null,
          recordingPolicy: p.recordingPolicy,
          /** the caller may start and stop recording a visit here (a manual camera of their room) */
          manual: p.recordingPolicy === 'manual' && inScope(auth, p, 'visit_recording', 'create'),
        })),
      };
    },
  );

  app.post(
    '/api/admin/cameras/probe',
    {
      schema: {
        summary: 'Probe a camera before saving it: codecs, resolution, fps and keyframe interval',
        tags: ['cameras'],
        body: Type.Object(
          {
            sourceUrl: Type.String({ minLength: 1, maxLength: 2048 }),
            username: Type.Optional(Type.String({ maxLength: 256 })),
            password: Type.Optional(Type.String({ maxLength: 256 })),
            rtspTransport: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')])),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      if (!mayAnywhere(principalOf(auth), 'camera', 'create'))
        throw new AppError('not_found', 'nothing here');
      const b = req.body;
      if (b.sourceUrl.startsWith('demo:'))
        return {
          video: { codec: 'h264', width: 640, height: 360, fps: 25, keyframeIntervalFrames: 25 },
          demo: true,
        };
      try {
        const input = {
          kind: 'rtsp' as const,
          url: b.sourceUrl,
          ...(b.username ? { username: b.username } : {}),
          ...(b.password ? { password: b.password } : {}),
          transport: b.rtspTransport ?? 'tcp',
        };
        const r = await probeCamera({ ...input, ffprobePath: ctx.config.ffprobePath, timeoutMs: 12_000 });
        // A preview picture, so the administrator sees the camera points where it should.
        let snapshotDataUrl: string | undefined;
        try {
          const jpeg = await grabCameraFrame(input, { ffmpegPath: ctx.config.ffmpegPath, width: 480 });
          snapshotDataUrl = `data:image/jpeg;base64,${jpeg.toString('base64')}`;
        } catch (err) {
          req.log.info({ err }, 'probe preview failed');
        }
        return { ...r, ...(snapshotDataUrl ? { snapshotDataUrl } : {}) };
      } catch (e) {
        if (e instanceof ProbeError) throw new AppError(e.code, e.message);
        throw e;
      }
    },
  );
}
