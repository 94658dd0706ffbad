/**
 * Media endpoints. Every byte is served against a grant token checked for this camera, this session
 * and this moment (the token's signature, expiry and bindings, no database), and against access now:
 * a connection (a WebSocket, an HLS player's first request) and a snapshot are admitted by the grant
 * service (session live, the policy allows, the grant's stream not revoked, spent or released), and
 * an open connection is kept to it by the live registry's re-checks. One grant opens one connection,
 * once (see src/streams/live-registry.ts): an HLS request of a grant whose connection ended is
 * refused, so a revoked stream is never registered again.
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
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { App, AppContext } from '../server/app.js';
import { auditContext } from '../server/request-context.js';
import { hashToken, SESSION_COOKIE } from '../identity/sessions.js';
import { AppError } from '../shared/errors.js';
import { UUID_PATTERN } from '../shared/ids.js';
import { takeSnapshot } from '../media/snapshot.js';
import { HLS_FILE_PATTERN, parseHlsFile } from '../media/hls-live.js';
import { binaryFrame, binaryFrames } from '../media/ws-frame.js';
import type { VerifiedGrant } from '../grants/index.js';
import { CameraNotAvailable, statusMessage, type LiveCamera } from '../streams/camera-manager.js';
import type { OpenStream, Recheck } from '../streams/live-registry.js';
import { RenewRefusals } from '../streams/renew-refusals.js';

const Params = Type.Object({ cameraId: Type.String({ pattern: UUID_PATTERN }) });
const TokenQuery = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 2048 }) },
  { additionalProperties: false },
);
const WS_HIGH_WATER_BYTES = 1024 * 1024;
const HLS_IDLE_MS = 20_000;
/** How long a blocking playlist reload or a preload-hinted part may wait. */
const HLS_BLOCK_MS = 6_000;

/**
 * The viewers told about a camera's state: one pair of supervisor listeners per camera, whatever the
 * number of viewers (not a pair per viewer, which grows the emitter's listener lists with the audience).
 */
const statusWatchers = new WeakMap<LiveCamera, Set<() => void>>();

function watchStatus(cam: LiveCamera, fn: () => void): () => void {
  let set = statusWatchers.get(cam);
  if (!set) {
    const watchers = new Set<() => void>();
    set = watchers;
    statusWatchers.set(cam, watchers);
    const notify = () => {
      for (const w of watchers) w();
    };
    cam.supervisor.on('state', notify);
    cam.supervisor.on('failure', notify);
  }
  set.add(fn);
  return () => void set.delete(fn);
}

/**
 * The request log level of the routes a player calls many times a second (live HLS: ~16 requests a
 * second per LL-HLS player; recorded playback parts): at info, every part would write two log lines
 * ("incoming request", "request completed"), tens of thousands a second on a busy site. The stream
 * itself is audited when it opens and ends; failures still log at warn and error.
 */
export const MEDIA_PART_LOG_LEVEL = 'warn';

export async function registerMediaRoutes(app: App, ctx: AppContext): Promise<void> {
  const { live } = ctx;

  async function refuse(
    req: FastifyRequest,
    cameraId: string,
    reason: string,
    streamId: string | null,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await ctx.audit(auditContext(req), {
      action: 'media.refused',
      targetKind: 'camera',
      targetId: cameraId,
      decision: 'deny',
      reason,
      streamId,
      ...(details ? { details } : {}),
    });
  }

  /** Verifies the token for this request (no database); audits a refusal unless told not to. */
  async function checkGrant(
    req: FastifyRequest,
    cameraId: string,
    token: string,
    opts: { allowExpiredHls?: boolean; audit?: boolean; sessionId?: string } = {},
  ): Promise<VerifiedGrant> {
    const sessionId = opts.sessionId ?? req.auth?.sessionId;
    const atMs = ctx.clock.now().getTime();
    const v = await live.verifier.verify(
      token,
      { cameraId, sessionId: sessionId ?? 'none', purpose: 'live' },
      atMs,
    );
    let grant: VerifiedGrant | null = v.ok ? v.grant : null;
    // HLS players keep their URL: an expired token runs on while the registry saw its renewals.
    if (!v.ok && v.reason === 'expired' && opts.allowExpiredHls && v.grant && sessionId) {
      const open = live.registry.byGrant(v.grant.streamId);
      if (
        open &&
        open.transport === 'hls' &&
        open.grantExpiresAtMs > atMs &&
        open.cameraId === cameraId &&
        open.sessionId === sessionId
      )
        grant = v.grant;
    }
    if (!grant || !sessionId) {
      const reason = !sessionId ? 'no_session' : v.ok ? 'unknown' : v.reason;
      if (opts.audit !== false) await refuse(req, cameraId, reason, v.grant?.streamId ?? null);
      throw new AppError('forbidden', `grant refused: ${reason}`, { reason });
    }
    return grant;
  }

  /** Access now for a new connection or a snapshot; a refusal is audited and thrown. */
  async function admit(
    req: FastifyRequest,
    grant: VerifiedGrant,
    kind: 'connection' | 'snapshot',
  ): Promise<Extract<Recheck, { ok: true }>> {
    const spent = live.registry.spentReason(grant.streamId);
    const who = {
      streamId: grant.streamId,
      personId: grant.personId,
      cameraId: grant.cameraId,
      sessionId: req.auth!.sessionId,
    };
    let r: Recheck;
    if (spent?.startsWith('access_revoked:'))
      r = { ok: false, reason: spent.slice('access_revoked:'.length) };
    else if (kind === 'connection' && spent !== undefined) r = { ok: false, reason: 'grant_spent' };
    else if (kind === 'connection' && live.registry.byGrant(grant.streamId))
      r = { ok: false, reason: 'grant_in_use' };
    else r = kind === 'connection' ? await live.grants.admit(who) : await live.grants.admitSnapshot(who);
    if (!r.ok) {
      await refuse(req, grant.cameraId, r.reason, grant.streamId);
      throw new AppError('forbidden', `access refused: ${r.reason}`, { reason: r.reason });
    }
    return r;
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
      connectionId: randomUUID(),
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
        // Handlers first: a viewer that disconnects while its grant is being checked leaves nothing.
        let gone = false;
        // Set once admitted (a holder, as the handlers above read them before that).
        const conn: { stream?: OpenStream; viewer?: { close(reason?: string): void } } = {};
        const renewals = new RenewRefusals((count, reason, streamId) =>
          refuse(req, cameraId, `renew_${reason}`, streamId, { count }).then(undefined, (err: unknown) =>
            req.log.error({ err }, 'could not audit refused renewals'),
          ),
        );
        socket.on('close', () => {
          gone = true;
          conn.viewer?.close('closed');
          if (conn.stream) void live.registry.end(conn.stream.connectionId, 'viewer_closed', false);
          renewals.close();
        });
        const sendClosed = (reason: string) => {
          if (socket.readyState === socket.OPEN) {
            socket.send(JSON.stringify({ type: 'closed', reason }));
            socket.close(4000, reason.slice(0, 120));
          }
        };
        socket.on('message', (raw: Buffer, isBinary: boolean) => {
          const stream = conn.stream;
          if (isBinary || raw.length > 4096 || !stream) return;
          let msg: unknown;
          try {
            msg = JSON.parse(raw.toString('utf8'));
          } catch {
            return;
          }
          if (typeof msg === 'object' && msg && (msg as { type?: unknown }).type === 'renew') {
            const token = (msg as { token?: unknown }).token;
            if (typeof token !== 'string') return;
            const s = stream;
            checkGrant(req, cameraId, token, { audit: false }).then(
              (g) => {
                if (g.streamId === s.streamId) live.registry.extend(g.streamId, g.expiresAtMs);
                else renewals.refused('other_stream', s.streamId);
              },
              (e: unknown) => {
                const reason = e instanceof AppError ? (reasonOf(e) ?? 'invalid') : 'invalid';
                // A socket that keeps sending bad renewals is closed (its audit entries aggregated).
                if (renewals.refused(reason, s.streamId) === 'close') sendClosed('bad_renewals');
              },
            );
          }
        });

        let grant: VerifiedGrant;
        let admission: Extract<Recheck, { ok: true }>;
        let cam: LiveCamera;
        const since = live.registry.mark();
        try {
          grant = await checkGrant(req, cameraId, req.query.token);
          if (gone) return;
          admission = await admit(req, grant, 'connection');
          if (gone) return;
          cam = await acquire(cameraId);
          if (gone) return;
        } catch (e) {
          sendClosed(
            e instanceof AppError
              ? e.code === 'not_found'
                ? 'camera_unavailable'
                : e.message.startsWith('access refused')
                  ? (reasonOf(e) ?? e.message)
                  : e.message
              : 'internal_error',
          );
          return;
        }
        const s = openStream(req, grant, 'ws', (reason) => {
          conn.viewer?.close(reason);
          sendClosed(reason);
        });
        const added = live.registry.add(s, admission, since);
        if (!added.ok) {
          await refuse(req, cameraId, added.reason, grant.streamId);
          sendClosed(added.reason);
          return;
        }
        conn.stream = s;
        // Fragments go to the TCP socket as pre-framed WebSocket messages: a server's frames are not
        // masked, so one frame (header + fragment) built once serves every viewer with one write
        // (ws would build a header, an options object and a callback per viewer and send).
        const tcp = (socket as unknown as { _socket: Socket })._socket;
        let drain: (() => void) | undefined;
        let blocked = false;
        const unblock = () => {
          blocked = false;
          drain?.();
        };
        const sent = () => {
          if (tcp.writableLength >= WS_HIGH_WATER_BYTES && !blocked) {
            blocked = true;
            tcp.once('drain', unblock);
          }
          return !blocked;
        };
        conn.viewer = cam.hub.subscribe({
          write: (data, info) => {
            if (socket.readyState !== socket.OPEN) return false;
            if (info.kind === 'init')
              socket.send(JSON.stringify({ type: 'init', mime: cam.hub.init?.mimeType }));
            s.bytes += data.length;
            tcp.write(binaryFrame(data));
            return sent();
          },
          // Merged writes (a crowded camera): the frames of both fragments in one write.
          writeBatch: (batch) => {
            if (socket.readyState !== socket.OPEN) return false;
            s.bytes += batch.bytes;
            tcp.write(binaryFrames(batch));
            return sent();
          },
          onDrain: (cb) => {
            drain = cb;
          },
          close: (reason) => {
            if (reason !== 'closed') void live.registry.end(s.connectionId, reason, true);
          },
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
        const unwatch = watchStatus(cam, sendStatus);
        socket.on('close', unwatch);
      },
    );
  });

  // HLS: a connection stays open while its player keeps fetching (and renewing its grant over HTTP).
  const hlsOpening = new Map<string, Promise<OpenStream>>();
  /** The HLS connection of this grant: the open one, or a new one after admission. */
  async function hlsConnection(req: FastifyRequest, grant: VerifiedGrant): Promise<OpenStream> {
    const open = live.registry.byGrant(grant.streamId);
    if (open) {
      if (open.transport !== 'hls' || open.sessionId !== req.auth!.sessionId) {
        await refuse(req, grant.cameraId, 'grant_in_use', grant.streamId);
        throw new AppError('forbidden', 'access refused: grant_in_use', { reason: 'grant_in_use' });
      }
      return open;
    }
    // Concurrent first requests of one player share one admission.
    let p = hlsOpening.get(grant.streamId);
    if (!p) {
      p = openHls(req, grant).finally(() => hlsOpening.delete(grant.streamId));
      hlsOpening.set(grant.streamId, p);
    }
    return p;
  }

  async function openHls(req: FastifyRequest, grant: VerifiedGrant): Promise<OpenStream> {
    const since = live.registry.mark();
    const admission = await admit(req, grant, 'connection');
    const release = await live.cameras.pin(grant.cameraId);
    const s = openStream(req, grant, 'hls', () => {
      release();
      hlsLastServed.delete(s.connectionId);
    });
    const added = live.registry.add(s, admission, since);
    if (!added.ok) {
      release();
      await refuse(req, grant.cameraId, added.reason, grant.streamId);
      throw new AppError('forbidden', `access refused: ${added.reason}`, { reason: added.reason });
    }
    return s;
  }

  /** Counts what a player got and notes when (a connection idle for HLS_IDLE_MS is ended). */
  function hlsServed(s: OpenStream, cam: LiveCamera, bytes: number): void {
    s.bytes += bytes;
    cam.hls.touch();
    hlsLastServed.set(s.connectionId, ctx.clock.now().getTime());
  }
  // One sweep every few seconds ends idle HLS connections: no timer set and cleared per request.
  const hlsLastServed = new Map<string, number>();
  const hlsIdleSweep = setInterval(
    () => {
      const now = ctx.clock.now().getTime();
      for (const [connectionId, at] of hlsLastServed)
        if (now - at >= HLS_IDLE_MS) {
          hlsLastServed.delete(connectionId);
          void live.registry.end(connectionId, 'viewer_idle', true);
        }
    },
    Math.min(5000, HLS_IDLE_MS / 4),
  ).unref();
  app.addHook('onClose', () => clearInterval(hlsIdleSweep));

  /**
   * The grant and open HLS connection of a request. Fast path, no database: a player of an open HLS
   * stream, whose token (signature cached by the verifier) names it and whose session cookie is the
   * session it was opened in. The session's validity is then the live registry's business, as for a
   * WebSocket viewer (logout and revocation close the stream; its sweep re-checks the session). Any
   * other request takes the full path: the session from the database, admission, audit.
   */
  async function hlsStream(req: FastifyRequest, cameraId: string, token: string): Promise<OpenStream> {
    const cookie = req.cookies[SESSION_COOKIE];
    if (cookie && !req.auth) {
      const sessionId = hashToken(cookie);
      const grant = await checkGrant(req, cameraId, token, {
        allowExpiredHls: true,
        audit: false,
        sessionId,
      }).catch(() => undefined);
      const open = grant && live.registry.byGrant(grant.streamId);
      if (open && open.transport === 'hls' && open.sessionId === sessionId && open.cameraId === cameraId)
        return open;
      const r = await ctx.sessions.resolve(cookie);
      if (r.ok) req.auth = r.session;
      else req.authProblem = r.reason;
    }
    const grant = await checkGrant(req, cameraId, token, { allowExpiredHls: true });
    return hlsConnection(req, grant);
  }

  const HlsParams = Type.Object({
    cameraId: Type.String({ pattern: UUID_PATTERN }),
    file: Type.String({ pattern: HLS_FILE_PATTERN }),
  });
  const HlsQuery = Type.Object({
    token: Type.String({ minLength: 1, maxLength: 2048 }),
    // Low-Latency HLS delivery directives (blocking playlist reload)
    _HLS_msn: Type.Optional(Type.Integer({ minimum: 0 })),
    _HLS_part: Type.Optional(Type.Integer({ minimum: 0 })),
    _HLS_skip: Type.Optional(Type.String({ maxLength: 8 })),
  });
  app.get(
    '/media/live/:cameraId/hls/:file',
    { logLevel: MEDIA_PART_LOG_LEVEL, schema: { hide: true, params: HlsParams, querystring: HlsQuery } },
    async (req, reply) => {
      const { cameraId } = req.params;
      const file = parseHlsFile(req.params.file);
      if (!file) throw new AppError('not_found', 'no such HLS file');
      const s = await hlsStream(req, cameraId, req.query.token);
      const cam = await acquire(cameraId);
      const hls = cam.hls;
      reply.header('cache-control', 'no-store');
      const { _HLS_msn: msn, _HLS_part: part } = req.query;
      if (file.kind === 'multivariant' || file.kind === 'media') {
        if (file.kind === 'media' && msn !== undefined) {
          const target = part === undefined ? { msn } : { msn, part };
          if (hls.tooFarAhead(target)) throw new AppError('bad_request', '_HLS_msn is too far ahead');
          if (!(await hls.waitFor(target, HLS_BLOCK_MS)))
            throw new AppError('unavailable', 'the camera is not sending video');
        } else if (part !== undefined) {
          throw new AppError('bad_request', '_HLS_part needs _HLS_msn');
        } else {
          await waitFor(() => hls.ready, 10_000);
          if (!hls.ready) throw new AppError('unavailable', 'the camera is not sending video yet');
        }
        const query = `token=${encodeURIComponent(req.query.token)}`;
        const body = file.kind === 'multivariant' ? hls.multivariantPlaylist(query) : hls.playlist(query);
        hlsServed(s, cam, 0);
        return reply.type('application/vnd.apple.mpegurl').send(body);
      }
      let data: Buffer | undefined;
      if (file.kind === 'init') data = hls.initFor(file.n)?.data;
      else if (file.kind === 'segment') data = hls.segment(file.n)?.data;
      else {
        data = hls.part(file.n)?.data;
        // The preload hint names the next part before it exists: answer when it does.
        if (!data && file.n >= hls.hintedPartId && !hls.tooFarAhead({ partId: file.n })) {
          if (await hls.waitFor({ partId: file.n }, HLS_BLOCK_MS)) data = hls.part(file.n)?.data;
        }
      }
      if (!data) throw new AppError('not_found', 'segment is no longer available');
      hlsServed(s, cam, data.length);
      return reply.type(file.kind === 'init' ? 'video/mp4' : 'video/iso.segment').send(data);
    },
  );

  const snapshots = new Map<string, { atMs: number; jpeg: Buffer }>();
  app.get(
    '/media/live/:cameraId/snapshot.jpg',
    { schema: { hide: true, params: Params, querystring: TokenQuery } },
    async (req, reply) => {
      const { cameraId } = req.params;
      const grant = await checkGrant(req, cameraId, req.query.token);
      await admit(req, grant, 'snapshot');
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

function reasonOf(e: AppError): string | undefined {
  const r = (e.details as { reason?: unknown } | undefined)?.reason;
  return typeof r === 'string' ? r : undefined;
}
