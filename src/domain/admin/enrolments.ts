/**
 * Enrolments: a child in a group room of their own kindergarten for a period (end inclusive, open
 * when null). Overlapping periods of one child are refused by the database trigger, answered as
 * `conflict`.
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import type { AdminRepositories } from '../../storage/repositories/admin.js';
import { newId } from '../../shared/ids.js';
import { authorize, objectNotFound, requireVisible } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { invalid } from './rules.js';
import type { EnrolmentCreate, EnrolmentPatch, EnrolmentView } from './schemas.js';
import { enrolmentView, pageOf } from './views.js';
import { raiseAccessWidened } from '../../alerts/access-widened.js';

/** The room must be a group room of the child's kindergarten (any other room: 404, as if absent). */
async function requireGroupOf(r: AdminRepositories, roomId: string, institutionId: string): Promise<void> {
  const room = await r.rooms.find(roomId);
  if (!room || room.institution_id !== institutionId) throw objectNotFound('room');
  if (room.kind !== 'group') throw invalid('body/roomId', 'children are enrolled in group rooms only');
}

function checkPeriod(start: string, end: string | null): void {
  if (end !== null && end < start) throw invalid('body/endDate', 'the end date is before the start date');
}

export async function listEnrolments(
  deps: AdminDeps,
  caller: Caller,
  childId: string,
  page: PageRequest,
): Promise<Page<EnrolmentView>> {
  const r = read(deps);
  authorize(caller.principal, 'enrolment', 'read', await placeOf(r, 'child', childId), 'child');
  return pageOf(await r.enrolments.list(childId, page), enrolmentView);
}

export async function getEnrolment(deps: AdminDeps, caller: Caller, id: string): Promise<EnrolmentView> {
  const r = read(deps);
  requireVisible(caller.principal, 'enrolment', await r.places.locate('enrolment', id));
  return enrolmentView(found(await r.enrolments.find(id), 'enrolment'));
}

export async function createEnrolment(
  deps: AdminDeps,
  caller: Caller,
  childId: string,
  input: EnrolmentCreate,
): Promise<EnrolmentView> {
  const end = input.endDate ?? null;
  checkPeriod(input.startDate, end);
  return change(deps, caller, async (r, trx) => {
    const place = await placeOf(r, 'child', childId);
    const grant = authorize(caller.principal, 'enrolment', 'create', place, 'child');
    await requireGroupOf(r, input.roomId, place.institution!.id);
    const now = nowIso(deps);
    const row = await r.enrolments.insert({
      id: newId(),
      child_id: childId,
      room_id: input.roomId,
      start_date: input.startDate,
      end_date: end,
      created_at: now,
      updated_at: now,
    });
    const after = enrolmentView(row);
    await raiseAccessWidened(trx, deps.clock, {
      change: 'enrolment_added',
      place,
      roomId: input.roomId,
      actorPersonId: caller.principal.personId,
      severity: 'info',
      body: `Ребёнок зачислен в группу с ${input.startDate}: его родители видят камеры группы.`,
      evidence: { enrolmentId: row.id, childId, roomId: input.roomId, startDate: input.startDate },
    });
    return {
      result: after,
      grant,
      audit: auditEvent(
        'enrolment',
        'create',
        { id: row.id, institutionId: place.institution!.id },
        null,
        after,
      ),
    };
  });
}

export async function updateEnrolment(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: EnrolmentPatch,
): Promise<EnrolmentView> {
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'enrolment', id);
    const grant = authorize(caller.principal, 'enrolment', 'update', place);
    const current = found(await r.enrolments.find(id), 'enrolment');
    if (patch.roomId !== undefined && patch.roomId !== current.room_id)
      await requireGroupOf(r, patch.roomId, place.institution!.id);
    const start = patch.startDate ?? current.start_date;
    const end = patch.endDate === undefined ? current.end_date : patch.endDate;
    checkPeriod(start, end);
    const row = await r.enrolments.update(id, {
      room_id: patch.roomId,
      start_date: start,
      end_date: end,
      updated_at: nowIso(deps),
    });
    const before = enrolmentView(current);
    const after = enrolmentView(found(row, 'enrolment'));
    return {
      result: after,
      grant,
      audit: auditEvent('enrolment', 'update', { id, institutionId: place.institution!.id }, before, after),
    };
  });
}

export async function deleteEnrolment(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(deps, caller, async (r) => {
    const place = await placeOf(r, 'enrolment', id);
    const grant = authorize(caller.principal, 'enrolment', 'delete', place);
    const before = enrolmentView(found(await r.enrolments.find(id), 'enrolment'));
    await r.enrolments.delete(id);
    return {
      result: undefined,
      grant,
      audit: auditEvent('enrolment', 'delete', { id, institutionId: place.institution!.id }, before, null),
    };
  });
}
