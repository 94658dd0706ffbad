/**
 * Rooms: group rooms (kindergartens), workplaces (offices), entrances and halls (both). The zone says
 * whether parents may ever see the room's cameras (`common`) or never (`restricted`).
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import type { InstitutionKind } from '../../storage/repositories/places.js';
import type { RoomRow } from '../../storage/repositories/rooms.js';
import { newId } from '../../shared/ids.js';
import { AppError } from '../../shared/errors.js';
import { raiseAlert } from '../../alerts/raise.js';
import { isStatedReasonSufficient } from '../../policy/access.js';
import { allows, authorize, requireVisible } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { invalid, requiredText } from './rules.js';
import type { RoomCreate, RoomPatch, RoomView } from './schemas.js';
import { pageOf, roomView } from './views.js';

const KINDS_IN: Record<InstitutionKind, readonly RoomRow['kind'][]> = {
  kindergarten: ['group', 'entrance', 'hall'],
  office: ['workplace', 'entrance', 'hall'],
};

function checkKind(kind: RoomRow['kind'], institutionKind: InstitutionKind): void {
  if (!KINDS_IN[institutionKind].includes(kind))
    throw invalid(
      'body/kind',
      `a ${institutionKind} has no ${kind} rooms (allowed: ${KINDS_IN[institutionKind].join(', ')})`,
    );
}

export async function listRooms(
  deps: AdminDeps,
  caller: Caller,
  institutionId: string,
  filter: { kind?: RoomRow['kind'] | undefined },
  page: PageRequest,
): Promise<Page<RoomView>> {
  const r = read(deps);
  authorize(caller.principal, 'room', 'read', await placeOf(r, 'institution', institutionId), 'institution');
  return pageOf(await r.rooms.list(institutionId, filter, page), roomView);
}

export async function getRoom(deps: AdminDeps, caller: Caller, id: string): Promise<RoomView> {
  const r = read(deps);
  requireVisible(caller.principal, 'room', await r.places.locate('room', id));
  return roomView(found(await r.rooms.find(id), 'room'));
}

export async function createRoom(
  deps: AdminDeps,
  caller: Caller,
  institutionId: string,
  input: RoomCreate,
): Promise<RoomView> {
  const name = requiredText('body/name', input.name);
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'institution', institutionId);
    const grant = authorize(caller.principal, 'room', 'create', place, 'institution');
    checkKind(input.kind, place.institution!.kind);
    const now = nowIso(deps);
    const row = await r.rooms.insert({
      id: newId(),
      institution_id: institutionId,
      kind: input.kind,
      zone: input.zone,
      name,
      created_at: now,
      updated_at: now,
    });
    const after = roomView({ ...row, consent_status: null, consent_recorded_at: null });
    return {
      result: after,
      grant,
      audit: auditEvent('room', 'create', { id: row.id, institutionId }, null, after),
    };
  });
}

export async function updateRoom(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: RoomPatch,
): Promise<RoomView> {
  const name = patch.name === undefined ? undefined : requiredText('body/name', patch.name);
  return change(deps, caller, async (r, trx) => {
    const place = await placeOf(r, 'room', id);
    let grant = authorize(caller.principal, 'room', 'update', place);
    const current = found(await r.rooms.find(id), 'room');
    if (patch.zone !== undefined && patch.zone !== current.zone && (await r.rooms.hasCameras(id))) {
      // A room with cameras changes zone only by an operator, with a stated reason, recorded for the
      // database's guard (migration 0009), audited with the change and alerted.
      if (!allows(caller.principal, 'room_zone', 'update', place))
        throw new AppError(
          'forbidden',
          'the room has cameras: only the city operator changes its zone, with a stated reason',
        );
      grant = authorize(caller.principal, 'room_zone', 'update', place);
      const reason = patch.zoneReason ?? '';
      if (!isStatedReasonSufficient(reason))
        throw invalid('body/zoneReason', 'state why the zone of a room with cameras changes (10+ letters)');
      const now = nowIso(deps);
      await r.rooms.recordZoneChange({
        id: newId(),
        room_id: id,
        from_zone: current.zone,
        to_zone: patch.zone,
        reason,
        actor_person_id: caller.principal.personId,
        changed_at: now,
        applied: 0,
      });
      await raiseAlert(trx, deps.clock, {
        kind: 'access.room_zone_changed',
        severity: patch.zone === 'common' ? 'critical' : 'warning',
        regionId: place.regionId,
        institutionId: current.institution_id,
        roomId: id,
        actorPersonId: caller.principal.personId,
        title:
          patch.zone === 'common'
            ? 'Помещение с камерами переведено в общую зону'
            : 'Помещение с камерами переведено в закрытую зону',
        body: `«${current.name}»: ${current.zone} → ${patch.zone}. Причина: ${reason}`,
        evidence: { from: current.zone, to: patch.zone, reason, role: grant.role },
      });
    }
    if (patch.kind !== undefined && patch.kind !== current.kind) {
      checkKind(patch.kind, place.institution!.kind);
      if (current.kind === 'group' && (await r.rooms.hasEnrolments(id)))
        throw new AppError('conflict', 'children are enrolled in this group: it stays a group room');
    }
    const row = await r.rooms.update(id, {
      kind: patch.kind,
      zone: patch.zone,
      name,
      updated_at: nowIso(deps),
    });
    const before = roomView(current);
    const after = roomView(found(row, 'room'));
    return {
      result: after,
      grant,
      audit: auditEvent(
        'room',
        'update',
        { id, institutionId: current.institution_id },
        before,
        after,
        patch.zoneReason !== undefined ? { zoneReason: patch.zoneReason } : {},
      ),
    };
  });
}

export async function deleteRoom(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(
    deps,
    caller,
    async (r) => {
      const grant = authorize(caller.principal, 'room', 'delete', await placeOf(r, 'room', id));
      const before = roomView(found(await r.rooms.find(id), 'room'));
      await r.rooms.delete(id);
      const bindings = await r.roleBindings.deleteScoped('room', id);
      return {
        result: undefined,
        grant,
        audit: auditEvent('room', 'delete', { id, institutionId: before.institutionId }, before, null, {
          roleBindingsRemoved: bindings,
        }),
      };
    },
    { foreignKey: 'the room still has cameras or enrolments: remove them first' },
  );
}
