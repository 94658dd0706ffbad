/**
 * Connecting a kindergarten over HTTP (docs/design/connection.md), under /api/admin: the city's
 * connection profile, the administrator's wizard (check, snapshot, attest, go-live), the passport PDF
 * and the city operator's overview. The probe and the snapshot adapters live here: ffprobe through
 * the server's own copy of the camera's credentials, and a frame of the running camera.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../server/app.js';
import {
  attest,
  attestationSnapshot,
  checkSavedCamera,
  connectionView,
  getProfile,
  goLive,
  operatorOverview,
  setProfile,
  type ConnectionDeps,
} from '../domain/connection/connection.js';
import { passportPdf } from '../connection/passport.js';
import { probeCamera } from '../media/probe.js';
import { takeSnapshot } from '../media/snapshot.js';
import { CameraSourcesRepository } from '../storage/repositories/camera-sources.js';
import { AppError } from '../shared/errors.js';
import { adminCaller } from './admin/caller.js';
import { ERRORS, IdParams, WRITE_ERRORS, closed } from './admin/http.js';
import type { ProbedCamera } from '../connection/profile.js';

const Profile = Type.Object(
  {
    allowH265: Type.Boolean(),
    minWidth: Type.Integer({ minimum: 160, maximum: 7680 }),
    minHeight: Type.Integer({ minimum: 120, maximum: 4320 }),
    maxWidth: Type.Integer({ minimum: 160, maximum: 7680 }),
    maxHeight: Type.Integer({ minimum: 120, maximum: 4320 }),
    minFps: Type.Integer({ minimum: 1, maximum: 120 }),
    maxFps: Type.Integer({ minimum: 1, maximum: 120 }),
    maxKeyframeIntervalS: Type.Number({ minimum: 0.5, maximum: 10 }),
    minBitrateKbps: Type.Integer({ minimum: 100, maximum: 50_000 }),
    maxBitrateKbps: Type.Integer({ minimum: 100, maximum: 50_000 }),
    audioOffInGroups: Type.Boolean(),
    timeSyncRequired: Type.Boolean(),
  },
  closed,
);
const Requirement = Type.Object({
  key: Type.String(),
  state: Type.String(),
  required: Type.String(),
  actual: Type.String(),
  fix: Type.String(),
});
const Check = Type.Union([
  Type.Object({
    passed: Type.Boolean(),
    checkedAt: Type.String(),
    requirements: Type.Array(Requirement),
    measured: Type.Unknown(),
    error: Type.Union([Type.String(), Type.Null()]),
  }),
  Type.Null(),
]);
const Step = Type.Object({ key: Type.String(), done: Type.Boolean(), detail: Type.String() });
const ConnectionViewSchema = Type.Object({
  institution: Type.Object({ id: Type.String(), name: Type.String(), freePilot: Type.Boolean() }),
  profile: Profile,
  rooms: Type.Array(
    Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String(), zone: Type.String() }),
  ),
  cameras: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      roomName: Type.String(),
      roomKind: Type.String(),
      zone: Type.String(),
      check: Check,
      attestation: Type.Union([
        Type.Object({ at: Type.String(), byName: Type.String(), sha256: Type.String() }),
        Type.Null(),
      ]),
    }),
  ),
  uplinkMbps: Type.Number(),
  steps: Type.Array(Step),
  wentLiveAt: Type.Union([Type.String(), Type.Null()]),
  consent: Type.Object({ groupsWithConsent: Type.Integer(), activeCampaigns: Type.Integer() }),
});
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** The synthetic demo cameras' picture, as their encoder makes it (src/media/ffmpeg-args.ts demoInput). */
const DEMO_PROBE: ProbedCamera = {
  video: { codec: 'h264', width: 640, height: 360, fps: 25, keyframeIntervalMs: 1000 },
};

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

export function connectionDeps(ctx: AppContext): ConnectionDeps {
  const sources = new CameraSourcesRepository(ctx.db.kysely);
  const dir = path.join(ctx.config.dataDir, 'attestations');
  return {
    db: ctx.db.kysely,
    clock: ctx.clock,
    probe: async (cameraId) => {
      const s = await sources.get(cameraId);
      if (!s) throw new AppError('not_found', 'camera not found');
      if (s.url.startsWith('demo:')) return DEMO_PROBE;
      const r = await probeCamera({
        url: s.url,
        ...(s.username ? { username: s.username } : {}),
        ...(s.password ? { password: s.password } : {}),
        transport: s.transport,
        ffprobePath: ctx.config.ffprobePath,
        timeoutMs: 12_000,
      });
      // The ingest copies AAC and transcodes anything else: it reads the codec found here.
      await sources.recordProbe(cameraId, s.url, r.audio?.codec ?? 'none', ctx.clock.now().toISOString());
      return { video: r.video, ...(r.audio ? { audio: { codec: r.audio.codec } } : {}) };
    },
    snapshot: async (cameraId) => {
      const cam = await ctx.live.cameras.acquire(cameraId);
      await waitFor(() => cam.hub.latestKeyframe() !== undefined, 10_000);
      const kf = cam.hub.latestKeyframe();
      if (!kf) throw new Error('no picture from the camera yet');
      return takeSnapshot(kf.init.data, kf.fragment.data, { ffmpegPath: ctx.config.ffmpegPath, width: 640 });
    },
    snapshots: {
      // Content-addressed: the same picture is the same file; written whole, then renamed into place.
      put: async (sha256, jpeg) => {
        await mkdir(dir, { recursive: true });
        const tmp = path.join(dir, `.${sha256}.tmp`);
        await writeFile(tmp, jpeg);
        await rename(tmp, path.join(dir, `${sha256}.jpg`));
      },
      get: async (sha256) => readFile(path.join(dir, `${sha256}.jpg`)).catch(() => null),
    },
  };
}

export function registerConnectionAdminRoutes(admin: App, ctx: AppContext): void {
  const deps = connectionDeps(ctx);
  const tags = ['admin: connecting kindergartens'];
  admin.get(
    '/regions/:id/connection-profile',
    {
      schema: {
        tags,
        summary: "The city's connection profile for cameras",
        params: IdParams,
        response: { 200: Profile, ...ERRORS },
      },
    },
    async (req) => getProfile(deps, adminCaller(req), req.params.id),
  );
  admin.put(
    '/regions/:id/connection-profile',
    {
      schema: {
        tags,
        summary: "Set the city's connection profile (what every kindergarten camera must deliver)",
        params: IdParams,
        body: Profile,
        response: { 200: Profile, ...WRITE_ERRORS },
      },
    },
    async (req) => setProfile(deps, adminCaller(req), req.params.id, req.body),
  );
  admin.get(
    '/institutions/:id/connection',
    {
      schema: {
        tags,
        summary: "A kindergarten's connection: cameras with their checks and attestations, uplink, checklist",
        params: IdParams,
        response: { 200: ConnectionViewSchema, ...ERRORS },
      },
    },
    async (req) => connectionView(deps, adminCaller(req), req.params.id),
  );
  admin.post(
    '/cameras/:id/connection-check',
    {
      schema: {
        tags,
        summary:
          "Probe the saved camera and check it against the city's profile (each requirement, in Russian)",
        params: IdParams,
        response: { 200: Check, ...WRITE_ERRORS },
      },
    },
    async (req) => checkSavedCamera(deps, adminCaller(req), req.params.id),
  );
  admin.post(
    '/cameras/:id/attestation-snapshot',
    {
      schema: {
        tags,
        summary: 'A picture of the camera for the attestation, with its SHA-256',
        params: IdParams,
        response: { 200: Type.Object({ sha256: Sha256, dataUrl: Type.String() }), ...WRITE_ERRORS },
      },
    },
    async (req) => {
      const s = await attestationSnapshot(deps, adminCaller(req), req.params.id);
      return { sha256: s.sha256, dataUrl: `data:image/jpeg;base64,${s.jpeg.toString('base64')}` };
    },
  );
  admin.post(
    '/cameras/:id/attestation',
    {
      schema: {
        tags,
        summary:
          'Confirm that the picture with this hash shows only the common area (who, when and the hash are kept)',
        params: IdParams,
        body: Type.Object({ sha256: Sha256 }, closed),
        response: { 200: Type.Object({ at: Type.String(), sha256: Type.String() }), ...WRITE_ERRORS },
      },
    },
    async (req) => attest(deps, adminCaller(req), req.params.id, req.body.sha256),
  );
  admin.post(
    '/institutions/:id/go-live',
    {
      schema: {
        tags,
        summary: 'Connect the kindergarten once every step of the checklist is done',
        params: IdParams,
        response: { 200: ConnectionViewSchema, ...WRITE_ERRORS },
      },
    },
    async (req) => goLive(deps, adminCaller(req), req.params.id),
  );
  admin.get(
    '/institutions/:id/passport.pdf',
    { schema: { tags, summary: 'The connection passport (PDF) to sign and keep', params: IdParams } },
    async (req, reply) => {
      const view = await connectionView(deps, adminCaller(req), req.params.id);
      const snapshots = new Map<string, Buffer>();
      for (const c of view.cameras)
        if (c.attestation) {
          const jpeg = await deps.snapshots.get(c.attestation.sha256);
          if (jpeg) snapshots.set(c.attestation.sha256, jpeg);
        }
      const doc = passportPdf({ view, snapshots, generatedAt: ctx.clock.now() });
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="passport-${req.params.id}.pdf"`)
        .send(doc);
    },
  );
  admin.get(
    '/connections',
    {
      schema: {
        tags,
        summary: "The city operator's kindergartens with their connection state, and the counts per state",
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                freePilot: Type.Boolean(),
                state: Type.String(),
                stepsDone: Type.Integer(),
                stepsTotal: Type.Integer(),
                cameras: Type.Integer(),
                consent: Type.Object({ groupsWithConsent: Type.Integer(), activeCampaigns: Type.Integer() }),
                wentLiveAt: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
            counts: Type.Object({
              live: Type.Integer(),
              ready: Type.Integer(),
              in_progress: Type.Integer(),
              not_started: Type.Integer(),
            }),
            pilots: Type.Integer(),
          }),
          ...ERRORS,
        },
      },
    },
    async (req) => operatorOverview(deps, adminCaller(req)),
  );
}
