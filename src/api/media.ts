/**
 * Media endpoints. Every byte is served against a grant token checked for this camera, this session
 * and this moment, without a database round trip (the token's signature, expiry and bindings), plus
 * the in-process registry of open streams (a revoked stream is refused at once).
 *
 *   WS  /media/live/:cameraId/ws?token=          MSE-ready fMP4 over WebSocket
 *   GET /media/live/:cameraId/hls/index.m3u8?token=   HLS (fMP4) playlist, init and segments
 *   GET /media/live/:cameraId/snapshot.jpg?token=     JPEG of the latest keyframe
 *
 * WebSocket protocol: text `{type:'init', mime}` before every init segment (a second one means the
 * source restarted: reset the player), then binary init and fragments; the player sends
 * `{type:'renew', token}` after renewing over HTTP; the server sends `{type:'closed', reason}` and
 * closes when the stream ends (grant_expired, access_revoked:<reason>, camera_unavailable, …).
 * While the camera is not live the server sends `{type:'status', state, reason?, text?}` (a typed
 * reason and what to do, in Russian; see streams/camera-manager.ts), at once and on every change.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { App, AppContext } from '../server/app.js';
import { auditContext } from '../server/request-context.js';
import { AppError } from '../shared/errors.js';
import { UUID_PATTERN } from '../shared/ids.js';
import { takeSnapshot } from '../media/snapshot.js';
import type { VerifiedGrant } from '../grants/index.js';
import { CameraNotAvailable, statusMessage, type LiveCamera } from '../streams/camera-manager.js';
import type { OpenStream } from '../streams/live-registry.js';

const Params = Type.Object({ cameraId: Type.String({ pattern: UUID_PATTERN }) });
const TokenQuery = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 2048 }) },
  { additionalProperties: false },
);
const WS_HIGH_WATER_BYTES = 1024 * 1024;
const HLS_IDLE_MS = 20_000;

export async function registerMediaRoutes(app: App, ctx: AppContext): Promise<void> {
  const { live } = ctx;

  /** Verifies the token for this request; allowExpired lets HLS run on renewals the registry saw. */
  async function checkGrant(
    req: FastifyRequest,
    cameraId: string,
    token: string,
    allowExpired = false,
  ): Promise<VerifiedGrant> {
    const sessionId = req.auth?.sessionId;
    const atMs = ctx.clock.now().getTime();
    const v = await live.verifier.verify(
      token,
      { cameraId, sessionId: sessionId ?? 'none', purpose: 'live' },
      atMs,
    );
    let grant: VerifiedGrant | null = v.ok ? v.grant : null;
    if (!v.ok && v.reason === 'expired' && allowExpired && v.grant && sessionId) {
      const open = live.registry.get(v.grant.streamId);
      if (open && open.grantExpiresAtMs > atMs && open.cameraId === cameraId && open.sessionId === sessionId)
        grant = v.grant;
    }
    if (!grant || !sessionId) {
      const reason = !sessionId ? 'no_session' : v.ok ? 'unknown' : v.reason;
      await ctx.audit(auditContext(req), {
        action: 'media.refused',
        targetKind: 'camera',
        targetId: cameraId,
        decision: 'deny',
        reason,
        streamId: v.grant?.streamId ?? null,
      });
      throw new AppError('forbidden', `grant refused: ${reason}`, { reason });
    }
    return grant;
  }

  async function acquire(cameraId: string): Promise<LiveCamera> {
    try {
      return await live.cameras.acquire(cameraId);
    } catch (e) {
      if (e instanceof CameraNotAvailable) throw new AppError('not_found', 'camera not available');
      throw e;
    }
  }

  function openStream(
    req: FastifyRequest,
    grant: VerifiedGrant,
    transport: 'ws' | 'hls',
    close: (r: string) => void,
  ): OpenStream {
    return {
      streamId: grant.streamId,
      personId: grant.personId,
      subject: req.auth?.person.subject ?? '',
      cameraId: grant.cameraId,
      sessionId: req.auth!.sessionId,
      transport,
      grantExpiresAtMs: grant.expiresAtMs,
      startedAtMs: ctx.clock.now().getTime(),
      bytes: 0,
      audit: auditContext(req),
      close,
    };
  }

  await app.register(async (scope) => {
    scope.get(
      '/media/live/:cameraId/ws',
      { websocket: true, schema: { hide: true, params: Params, querystring: TokenQuery } },
      async (
        socket: WebSocket,
        req: FastifyRequest<{ Params: { cameraId: string }; Querystring: { token: string } }>,
      ) => {
        const { cameraId } = req.params;
        const sendClosed = (reason: string) => {
          if (socket.readyState === socket.OPEN) {
            socket.send(JSON.stringify({ type: 'closed', reason }));
            socket.close(4000, reason.slice(0, 120));
          }
        };
        let grant: VerifiedGrant;
        let cam: LiveCamera;
        try {
          grant = await checkGrant(req, cameraId, req.query.token);
          cam = await acquire(cameraId);
        } catch (e) {
          sendClosed(
            e instanceof AppError
              ? e.code === 'not_found'
                ? 'camera_unavailable'
                : e.message
              : 'internal_error',
          );
          return;
        }
        const stream = openStream(req, grant, 'ws', (reason) => {
          viewer.close(reason);
          sendClosed(reason);
        });
        let pendingBytes = 0;
        let drain: (() => void) | undefined;
        let blocked = false;
        const viewer = cam.hub.subscribe({
          write: (data, info) => {
            if (socket.readyState !== socket.OPEN) return false;
            if (info.kind === 'init')
              socket.send(JSON.stringify({ type: 'init', mime: cam.hub.init?.mimeType }));
            pendingBytes += data.length;
            stream.bytes += data.length;
            socket.send(data, { binary: true }, () => {
              pendingBytes -= data.length;
              if (blocked && pendingBytes < WS_HIGH_WATER_BYTES / 2) {
                blocked = false;
                drain?.();
              }
            });
            if (pendingBytes >= WS_HIGH_WATER_BYTES) blocked = true;
            return !blocked;
          },
          onDrain: (cb) => {
            drain = cb;
          },
          close: (reason) => {
            if (reason !== 'closed') void live.registry.end(grant.streamId, reason, true);
          },
        });
        socket.on('message', (raw: Buffer, isBinary: boolean) => {
          if (isBinary || raw.length > 4096) return;
          let msg: unknown;
          try {
            msg = JSON.parse(raw.toString('utf8'));
          } catch {
            return;
          }
          if (typeof msg === 'object' && msg && (msg as { type?: unknown }).type === 'renew') {
            const token = (msg as { token?: unknown }).token;
            if (typeof token !== 'string') return;
            checkGrant(req, cameraId, token).then(
              (g) => {
                if (g.streamId === grant.streamId) live.registry.extend(g.streamId, g.expiresAtMs);
              },
              () => undefined,
            );
          }
        });
        // Tell the viewer why the camera is not live, now and whenever that changes.
        // (Only once there is a reason, and then until it is gone: a healthy start sends nothing new.)
        let told = false;
        const sendStatus = () => {
          const message = statusMessage(cam);
          if (!message.reason && !told) return;
          told = message.reason !== undefined;
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
        };
        sendStatus();
        cam.supervisor.on('state', sendStatus);
        cam.supervisor.on('failure', sendStatus);
        socket.on('close', () => {
          cam.supervisor.off('state', sendStatus);
          cam.supervisor.off('failure', sendStatus);
          viewer.close('closed');
          void live.registry.end(grant.streamId, 'viewer_closed', false);
        });
        await live.registry.add(stream);
      },
    );
  });

  // HLS: a stream stays open while its player keeps fetching (and renewing its grant over HTTP).
  const hlsTimers = new Map<string, NodeJS.Timeout>();
  async function hlsStream(
    req: FastifyRequest,
    grant: VerifiedGrant,
    cam: LiveCamera,
    bytes: number,
  ): Promise<void> {
    let s = live.registry.get(grant.streamId);
    if (!s) {
      const release = await live.cameras.pin(cam.cameraId);
      s = openStream(req, grant, 'hls', () => {
        release();
        const t = hlsTimers.get(grant.streamId);
        if (t) clearTimeout(t);
        hlsTimers.delete(grant.streamId);
      });
      await live.registry.add(s);
    }
    s.bytes += bytes;
    cam.hls.touch();
    const old = hlsTimers.get(grant.streamId);
    if (old) clearTimeout(old);
    hlsTimers.set(
      grant.streamId,
      setTimeout(() => void live.registry.end(grant.streamId, 'viewer_idle', true), HLS_IDLE_MS).unref(),
    );
  }

  const HlsParams = Type.Object({
    cameraId: Type.String({ pattern: UUID_PATTERN }),
    file: Type.String({ pattern: '^(index\\.m3u8|init-\\d{1,9}\\.mp4|seg-\\d{1,12}\\.m4s)$' }),
  });
  app.get(
    '/media/live/:cameraId/hls/:file',
    { schema: { hide: true, params: HlsParams, querystring: TokenQuery } },
    async (req, reply) => {
      const { cameraId, file } = req.params;
      const grant = await checkGrant(req, cameraId, req.query.token, true);
      const cam = await acquire(cameraId);
      reply.header('cache-control', 'no-store');
      if (file === 'index.m3u8') {
        await waitFor(() => cam.hls.ready, 10_000);
        if (!cam.hls.ready) throw new AppError('unavailable', 'the camera is not sending video yet');
        const body = cam.hls.playlist(`token=${encodeURIComponent(req.query.token)}`);
        await hlsStream(req, grant, cam, 0);
        return reply.type('application/vnd.apple.mpegurl').send(body);
      }
      const n = Number(file.replace(/\D/g, ''));
      const data = file.startsWith('init-') ? cam.hls.initFor(n)?.data : cam.hls.segment(n)?.data;
      if (!data) throw new AppError('not_found', 'segment is no longer available');
      await hlsStream(req, grant, cam, data.length);
      return reply.type(file.endsWith('.mp4') ? 'video/mp4' : 'video/iso.segment').send(data);
    },
  );

  const snapshots = new Map<string, { atMs: number; jpeg: Buffer }>();
  app.get(
    '/media/live/:cameraId/snapshot.jpg',
    { schema: { hide: true, params: Params, querystring: TokenQuery } },
    async (req, reply) => {
      const { cameraId } = req.params;
      await checkGrant(req, cameraId, req.query.token);
      const nowMs = ctx.clock.now().getTime();
      const cached = snapshots.get(cameraId);
      let jpeg = cached && nowMs - cached.atMs < 2000 ? cached.jpeg : undefined;
      if (!jpeg) {
        const cam = await acquire(cameraId);
        await waitFor(() => cam.hub.latestKeyframe() !== undefined, 8000);
        const kf = cam.hub.latestKeyframe();
        if (!kf) throw new AppError('unavailable', 'no picture from the camera yet');
        jpeg = await takeSnapshot(kf.init.data, kf.fragment.data, {
          ffmpegPath: ctx.config.ffmpegPath,
          width: 640,
        });
        snapshots.set(cameraId, { atMs: nowMs, jpeg });
      }
      reply.header('cache-control', 'private, no-store');
      return reply.type('image/jpeg').send(jpeg);
    },
  );
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
