/**
 * Cameras. The source URL and credentials are write-only: they are validated and stored here, and no
 * view, error message or audit entry ever carries them (views.ts shows scheme, host and whether
 * credentials are set). Credentials written into the URL (`rtsp://user:pass@host/…`) are moved out of
 * it into the username and password fields.
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import type { CameraRow } from '../../storage/repositories/cameras.js';
import { newId } from '../../shared/ids.js';
import { AppError } from '../../shared/errors.js';
import { authorize, objectNotFound, requireVisible } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { invalid, parseCameraSource, requiredText } from './rules.js';
import type { CameraCreate, CameraPatch, CameraView } from './schemas.js';
import { cameraView, pageOf } from './views.js';

const flag = (b: boolean | undefined): 0 | 1 | undefined => (b === undefined ? undefined : b ? 1 : 0);

type Secrets = Pick<CameraRow, 'source_url' | 'source_username' | 'source_password'>;

/**
 * The secret columns to write, from a new source URL and/or credentials given as fields. Credentials
 * in the URL replace both fields (giving fields as well is an error). A field left out keeps its
 * stored value on update (`keep`) and is empty on create; null clears it. A demo source has none.
 */
function secrets(
  sourceUrl: string | undefined,
  username: string | null | undefined,
  password: string | null | undefined,
  keep: boolean,
): Partial<Secrets> {
  const fields: Partial<Secrets> = {
    source_username: username === undefined ? (keep ? undefined : null) : username,
    source_password: password === undefined ? (keep ? undefined : null) : password,
  };
  if (sourceUrl === undefined) return fields;
  const parsed = parseCameraSource('body/sourceUrl', sourceUrl);
  if (parsed.url.startsWith('demo:')) {
    if (username || password) throw invalid('body/username', 'a demo source takes no credentials');
    return { source_url: parsed.url, source_username: null, source_password: null };
  }
  if (parsed.username !== null || parsed.password !== null) {
    if (username !== undefined || password !== undefined)
      throw invalid(
        'body/sourceUrl',
        'give the credentials either in the URL or as username/password, not both',
      );
    return { source_url: parsed.url, source_username: parsed.username, source_password: parsed.password };
  }
  return { source_url: parsed.url, ...fields };
}

export async function listCameras(
  deps: AdminDeps,
  caller: Caller,
  institutionId: string,
  filter: { roomId?: string | undefined },
  page: PageRequest,
): Promise<Page<CameraView>> {
  const r = read(deps);
  authorize(
    caller.principal,
    'camera',
    'read',
    await placeOf(r, 'institution', institutionId),
    'institution',
  );
  if (filter.roomId !== undefined) {
    const roomPlace = await r.places.locate('room', filter.roomId);
    if (roomPlace?.institution?.id !== institutionId) throw objectNotFound('room');
  }
  return pageOf(await r.cameras.list(institutionId, filter, page), cameraView);
}

export async function getCamera(deps: AdminDeps, caller: Caller, id: string): Promise<CameraView> {
  const r = read(deps);
  requireVisible(caller.principal, 'camera', await r.places.locate('camera', id));
  return cameraView(found(await r.cameras.find(id), 'camera'));
}

export async function createCamera(
  deps: AdminDeps,
  caller: Caller,
  roomId: string,
  input: CameraCreate,
): Promise<CameraView> {
  const name = requiredText('body/name', input.name);
  const src = secrets(input.sourceUrl, input.username, input.password, false) as Secrets;
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'room', roomId);
    const grant = authorize(caller.principal, 'camera', 'create', place, 'room');
    const now = nowIso(deps);
    const row = await r.cameras.insert({
      id: newId(),
      room_id: roomId,
      name,
      ...src,
      rtsp_transport: input.rtspTransport ?? 'tcp',
      enabled: input.enabled === false ? 0 : 1,
      audio_allowed: input.audioAllowed ? 1 : 0,
      recording_policy: input.recordingPolicy ?? 'off',
      created_at: now,
      updated_at: now,
    });
    const after = cameraView(row);
    return {
      result: after,
      grant,
      audit: auditEvent(
        'camera',
        'create',
        { id: row.id, institutionId: place.institution!.id },
        null,
        after,
      ),
    };
  });
}

export async function updateCamera(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: CameraPatch,
): Promise<CameraView> {
  const name = patch.name === undefined ? undefined : requiredText('body/name', patch.name);
  const changes = secrets(patch.sourceUrl, patch.username, patch.password, true);
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'camera', id);
    const grant = authorize(caller.principal, 'camera', 'update', place);
    const current = found(await r.cameras.find(id), 'camera');
    if (patch.roomId !== undefined && patch.roomId !== current.room_id) {
      // A camera moves between rooms of its own institution only.
      const target = await r.places.locate('room', patch.roomId);
      if (target?.institution?.id !== place.institution?.id) throw objectNotFound('room');
      // …and never between zones: a restricted room's camera stays restricted (migration 0009 too).
      const [from, to] = await Promise.all([r.rooms.find(current.room_id), r.rooms.find(patch.roomId)]);
      if (from && to && from.zone !== to.zone)
        throw new AppError(
          'conflict',
          `a camera is not moved between a ${from.zone} and a ${to.zone} room: remove it and add it anew`,
        );
    }
    if (
      patch.sourceUrl === undefined &&
      current.source_url.startsWith('demo:') &&
      (patch.username || patch.password)
    )
      throw invalid('body/username', 'a demo source takes no credentials');
    const row = await r.cameras.update(id, {
      name,
      room_id: patch.roomId,
      ...changes,
      rtsp_transport: patch.rtspTransport,
      enabled: flag(patch.enabled),
      audio_allowed: flag(patch.audioAllowed),
      recording_policy: patch.recordingPolicy,
      updated_at: nowIso(deps),
    });
    const updated = found(row, 'camera');
    const before = cameraView(current);
    const after = cameraView(updated);
    return {
      result: after,
      grant,
      audit: auditEvent('camera', 'update', { id, institutionId: place.institution!.id }, before, after, {
        // The secrets themselves never enter the audit log: only whether they changed.
        sourceChanged: updated.source_url !== current.source_url,
        credentialsChanged:
          updated.source_username !== current.source_username ||
          updated.source_password !== current.source_password,
      }),
    };
  });
}

export async function deleteCamera(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(deps, caller, async (r) => {
    const place = await placeOf(r, 'camera', id);
    const grant = authorize(caller.principal, 'camera', 'delete', place);
    const before = cameraView(found(await r.cameras.find(id), 'camera'));
    await r.cameras.delete(id);
    return {
      result: undefined,
      grant,
      audit: auditEvent('camera', 'delete', { id, institutionId: place.institution!.id }, before, null),
    };
  });
}
