/**
 * Connecting a kindergarten (docs/design/connection.md): the city's profile, the administrator's
 * wizard (cameras checked against the profile, the picture attested, the uplink, consent, go-live)
 * and the city operator's overview. The probe and the snapshot are adapters passed in by the route.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit, type AuditContext } from '../../audit/audit-log.js';
import {
  checkCamera,
  checklist,
  DEFAULT_PROFILE,
  passes,
  uplinkMbps,
  type ConnectionProfile,
  type ProbedCamera,
  type Requirement,
  type Step,
} from '../../connection/profile.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { ConsentCampaignsRepository } from '../../storage/repositories/consent-campaigns.js';
import { ConnectionRepository, type ConnectionCameraRow } from '../../storage/repositories/connection.js';
import { PlacesRepository } from '../../storage/repositories/places.js';
import type { Database } from '../../storage/schema.js';
import { authorize, objectNotFound, readableRegionIds, reachOf, type Principal } from '../scope.js';

export interface ConnectionDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** measures a saved camera (ffprobe through the server's own credentials) */
  probe: (cameraId: string) => Promise<ProbedCamera>;
  /** one JPEG of the camera's current picture */
  snapshot: (cameraId: string) => Promise<Buffer>;
  /** where attested snapshots are kept (content-addressed by SHA-256) */
  snapshots: {
    put(sha256: string, jpeg: Buffer): Promise<void>;
    get(sha256: string): Promise<Buffer | null>;
  };
}

export interface ConnectionCaller {
  principal: Principal;
  audit(role: string): AuditContext;
}

export const ATTESTATION_STATEMENT =
  'На изображении только общая зона группы: нет спальни, туалета, раздевалки и мест, где дети переодеваются.';

export interface CameraConnectionView {
  id: string;
  name: string;
  roomName: string;
  roomKind: string;
  zone: string;
  check: {
    passed: boolean;
    checkedAt: string;
    requirements: Requirement[];
    measured: ProbedCamera | null;
    error: string | null;
  } | null;
  attestation: { at: string; byName: string; sha256: string } | null;
}

export interface ConnectionView {
  institution: { id: string; name: string; freePilot: boolean };
  profile: ConnectionProfile;
  rooms: { id: string; name: string; kind: string; zone: string }[];
  cameras: CameraConnectionView[];
  uplinkMbps: number;
  steps: Step[];
  wentLiveAt: string | null;
  consent: { groupsWithConsent: number; activeCampaigns: number };
}

async function profileOf(db: Kysely<Database>, regionId: string): Promise<ConnectionProfile> {
  const raw = await new ConnectionRepository(db).profile(regionId);
  return raw ? { ...DEFAULT_PROFILE, ...(JSON.parse(raw) as Partial<ConnectionProfile>) } : DEFAULT_PROFILE;
}

async function kindergartenPlace(db: Kysely<Database>, institutionId: string) {
  const place = await new PlacesRepository(db).institution(institutionId);
  if (!place || place.institution?.kind !== 'kindergarten') throw objectNotFound('institution');
  return place;
}

export async function getProfile(
  deps: Pick<ConnectionDeps, 'db'>,
  caller: ConnectionCaller,
  regionId: string,
) {
  authorize(caller.principal, 'connection_profile', 'read', { regionId, institution: null }, 'region');
  return profileOf(deps.db, regionId);
}

export async function setProfile(
  deps: Pick<ConnectionDeps, 'db' | 'clock'>,
  caller: ConnectionCaller,
  regionId: string,
  profile: ConnectionProfile,
): Promise<ConnectionProfile> {
  const grant = authorize(
    caller.principal,
    'connection_profile',
    'update',
    { regionId, institution: null },
    'region',
  );
  const problems: { path: string; message: string }[] = [];
  if (profile.minWidth > profile.maxWidth)
    problems.push({ path: '/minWidth', message: 'more than maxWidth' });
  if (profile.minHeight > profile.maxHeight)
    problems.push({ path: '/minHeight', message: 'more than maxHeight' });
  if (profile.minFps > profile.maxFps) problems.push({ path: '/minFps', message: 'more than maxFps' });
  if (profile.minBitrateKbps > profile.maxBitrateKbps)
    problems.push({ path: '/minBitrateKbps', message: 'more than maxBitrateKbps' });
  if (problems.length) throw new AppError('validation_failed', 'the profile contradicts itself', problems);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const before = await profileOf(trx, regionId);
    await new ConnectionRepository(trx).saveProfile(
      regionId,
      JSON.stringify(profile),
      now.toISOString(),
      caller.principal.personId,
    );
    await appendAudit(
      trx,
      caller.audit(grant.role),
      {
        action: 'connection.profile.update',
        targetKind: 'region',
        targetId: regionId,
        details: { before, after: profile },
      },
      now,
    );
  });
  return profile;
}

async function cameraOf(db: Kysely<Database>, cameraId: string) {
  const place = await new PlacesRepository(db).locate('camera', cameraId);
  if (!place || place.institution?.kind !== 'kindergarten') throw objectNotFound('camera');
  const cams = await new ConnectionRepository(db).cameras(place.institution.id);
  const cam = cams.find((c) => c.id === cameraId);
  if (!cam) throw objectNotFound('camera');
  return { place, cam };
}

function requirementsFor(cam: ConnectionCameraRow, probe: ProbedCamera, profile: ConnectionProfile) {
  return checkCamera(probe, profile, { roomKind: cam.room_kind, audioAllowed: cam.audio_allowed === 1 });
}

/** Probes the saved camera and checks it against the city's profile; every check is kept. */
export async function checkSavedCamera(
  deps: ConnectionDeps,
  caller: ConnectionCaller,
  cameraId: string,
): Promise<CameraConnectionView['check']> {
  const { place, cam } = await cameraOf(deps.db, cameraId);
  const grant = authorize(caller.principal, 'connection', 'update', place, 'camera');
  const profile = await profileOf(deps.db, place.regionId);
  let measured: ProbedCamera | null = null;
  let requirements: Requirement[] = [];
  let error: string | null = null;
  try {
    measured = await deps.probe(cameraId);
    requirements = requirementsFor(cam, measured, profile);
  } catch (e) {
    error = e instanceof Error ? e.message : 'the camera did not answer';
  }
  const passed = error === null && passes(requirements);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await new ConnectionRepository(trx).insertCheck({
      id: newId(),
      camera_id: cameraId,
      checked_at: now.toISOString(),
      checked_by: caller.principal.personId,
      passed: passed ? 1 : 0,
      result: JSON.stringify({ measured, requirements, error }),
    });
    await appendAudit(
      trx,
      caller.audit(grant.role),
      {
        action: 'connection.camera.check',
        targetKind: 'camera',
        targetId: cameraId,
        institutionId: place.institution!.id,
        details: {
          passed,
          notMet: requirements.filter((r) => r.state === 'not_met').map((r) => r.key),
          error,
        },
      },
      now,
    );
  });
  return { passed, checkedAt: now.toISOString(), requirements, measured, error };
}

/** A picture of the camera for the administrator to attest; kept by its hash until attested. */
export async function attestationSnapshot(
  deps: ConnectionDeps,
  caller: ConnectionCaller,
  cameraId: string,
): Promise<{ sha256: string; jpeg: Buffer }> {
  const { place } = await cameraOf(deps.db, cameraId);
  authorize(caller.principal, 'connection', 'update', place, 'camera');
  let jpeg: Buffer;
  try {
    jpeg = await deps.snapshot(cameraId);
  } catch (e) {
    throw new AppError(
      'unavailable',
      `no picture from the camera: ${e instanceof Error ? e.message : 'error'}`,
    );
  }
  const sha256 = createHash('sha256').update(jpeg).digest('hex');
  await deps.snapshots.put(sha256, jpeg);
  return { sha256, jpeg };
}

/** The administrator confirms that the picture with this hash shows only the common area. */
export async function attest(
  deps: ConnectionDeps,
  caller: ConnectionCaller,
  cameraId: string,
  sha256: string,
): Promise<{ at: string; sha256: string }> {
  const { place, cam } = await cameraOf(deps.db, cameraId);
  const grant = authorize(caller.principal, 'connection', 'update', place, 'camera');
  if (cam.zone !== 'common')
    throw new AppError(
      'conflict',
      'a camera of a restricted room is never shown to parents: nothing to attest',
    );
  if (!(await deps.snapshots.get(sha256)))
    throw new AppError('validation_failed', 'no snapshot with this hash: take the picture again', [
      { path: '/sha256', message: 'unknown snapshot' },
    ]);
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await new ConnectionRepository(trx).insertAttestation({
      id: newId(),
      camera_id: cameraId,
      attested_at: now.toISOString(),
      attested_by: caller.principal.personId,
      snapshot_sha256: sha256,
      statement: ATTESTATION_STATEMENT,
    });
    await appendAudit(
      trx,
      caller.audit(grant.role),
      {
        action: 'connection.camera.attest',
        targetKind: 'camera',
        targetId: cameraId,
        institutionId: place.institution!.id,
        details: { sha256, statement: ATTESTATION_STATEMENT },
      },
      now,
    );
  });
  return { at: now.toISOString(), sha256 };
}

async function view(db: Kysely<Database>, institutionId: string): Promise<ConnectionView> {
  const repo = new ConnectionRepository(db);
  const inst = await repo.institution(institutionId);
  if (!inst) throw objectNotFound('institution');
  const profile = await profileOf(db, inst.region_id);
  const rooms = await repo.rooms(institutionId);
  // Cameras parents may see are the ones the scheme is about; restricted rooms are listed, never shown.
  const cams = await repo.cameras(institutionId);
  const shown = cams.filter(
    (c) => c.zone === 'common' && (c.room_kind === 'group' || c.room_kind === 'hall'),
  );
  const checks = await repo.latestChecks(shown.map((c) => c.id));
  const attests = await repo.latestAttestations(shown.map((c) => c.id));
  const cameras: CameraConnectionView[] = shown.map((c) => {
    const ch = checks.get(c.id);
    const parsed = ch
      ? (JSON.parse(ch.result) as {
          measured: ProbedCamera | null;
          requirements: Requirement[];
          error: string | null;
        })
      : null;
    const at = attests.get(c.id);
    return {
      id: c.id,
      name: c.name,
      roomName: c.room_name,
      roomKind: c.room_kind,
      zone: c.zone,
      check: ch && parsed ? { passed: ch.passed === 1, checkedAt: ch.checked_at, ...parsed } : null,
      attestation: at ? { at: at.attested_at, byName: at.by_name, sha256: at.snapshot_sha256 } : null,
    };
  });
  const groups = rooms.filter((r) => r.kind === 'group');
  const live = await repo.goLive(institutionId);
  const groupsWithConsent = await repo.groupsWithConsent(institutionId);
  const activeCampaigns = (await new ConsentCampaignsRepository(db).active(institutionId)).length;
  const mbps = uplinkMbps(shown.length, profile);
  return {
    institution: { id: inst.id, name: inst.name, freePilot: inst.free_pilot === 1 },
    profile,
    rooms,
    cameras,
    uplinkMbps: mbps,
    steps: checklist({
      groups: groups.length,
      commonGroups: groups.filter((g) => g.zone === 'common').length,
      cameras: cameras.length,
      camerasPassed: cameras.filter((c) => c.check?.passed).length,
      camerasAttested: cameras.filter((c) => c.attestation).length,
      uplinkMbps: mbps,
      groupsWithConsent,
      wentLiveAt: live?.went_live_at ?? null,
    }),
    wentLiveAt: live?.went_live_at ?? null,
    consent: { groupsWithConsent, activeCampaigns },
  };
}

export async function connectionView(
  deps: Pick<ConnectionDeps, 'db'>,
  caller: ConnectionCaller,
  institutionId: string,
): Promise<ConnectionView> {
  authorize(
    caller.principal,
    'connection',
    'read',
    await kindergartenPlace(deps.db, institutionId),
    'institution',
  );
  return view(deps.db, institutionId);
}

/** Go-live: every step of the checklist but the last is done. */
export async function goLive(
  deps: Pick<ConnectionDeps, 'db' | 'clock'>,
  caller: ConnectionCaller,
  institutionId: string,
): Promise<ConnectionView> {
  const place = await kindergartenPlace(deps.db, institutionId);
  const grant = authorize(caller.principal, 'connection', 'update', place, 'institution');
  const v = await view(deps.db, institutionId);
  if (v.wentLiveAt) throw new AppError('conflict', 'the kindergarten is already connected');
  const open = v.steps.filter((s) => s.key !== 'live' && !s.done);
  if (open.length)
    throw new AppError('conflict', `not ready: ${open.map((s) => s.key).join(', ')}`, {
      open: open.map((s) => s.key),
    });
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await new ConnectionRepository(trx).setGoLive(
      institutionId,
      now.toISOString(),
      caller.principal.personId,
    );
    await appendAudit(
      trx,
      caller.audit(grant.role),
      {
        action: 'connection.go_live',
        targetKind: 'institution',
        targetId: institutionId,
        institutionId,
        details: {},
      },
      now,
    );
  });
  return view(deps.db, institutionId);
}

export interface OperatorRow {
  id: string;
  name: string;
  freePilot: boolean;
  state: 'live' | 'ready' | 'in_progress' | 'not_started';
  stepsDone: number;
  stepsTotal: number;
  cameras: number;
  consent: { groupsWithConsent: number; activeCampaigns: number };
  wentLiveAt: string | null;
}

/** Every kindergarten the operator oversees, with its connection state and the counts per state. */
export async function operatorOverview(
  deps: Pick<ConnectionDeps, 'db'>,
  caller: ConnectionCaller,
): Promise<{ items: OperatorRow[]; counts: Record<OperatorRow['state'], number>; pilots: number }> {
  const regions = reachOf(caller.principal, 'connection').regions.map((r) => r.regionId);
  const regionIds = [...new Set([...regions, ...readableRegionIds(caller.principal)])];
  const repo = new ConnectionRepository(deps.db);
  const items: OperatorRow[] = [];
  for (const k of await repo.kindergartens(regionIds)) {
    const v = await view(deps.db, k.id);
    const done = v.steps.filter((s) => s.done).length;
    const ready = v.steps.filter((s) => s.key !== 'live').every((s) => s.done);
    items.push({
      id: k.id,
      name: k.name,
      freePilot: k.free_pilot === 1,
      state: v.wentLiveAt ? 'live' : ready ? 'ready' : done > 0 ? 'in_progress' : 'not_started',
      stepsDone: done,
      stepsTotal: v.steps.length,
      cameras: v.cameras.length,
      consent: v.consent,
      wentLiveAt: v.wentLiveAt,
    });
  }
  const counts = { live: 0, ready: 0, in_progress: 0, not_started: 0 };
  for (const i of items) counts[i.state]++;
  return { items, counts, pilots: items.filter((i) => i.freePilot).length };
}
