/** Children of a kindergarten (an office has none). */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import type { Place } from '../../storage/repositories/places.js';
import { newId } from '../../shared/ids.js';
import { authorize, objectNotFound, requireVisible } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { invalid, localDate, optionalText, requiredText } from './rules.js';
import type { ChildCreate, ChildPatch, ChildView } from './schemas.js';
import { childView, pageOf } from './views.js';

export function requireKindergarten(place: Place, field = 'params/id'): void {
  if (place.institution?.kind !== 'kindergarten')
    throw invalid(field, 'children, enrolments, guardians and consents belong to kindergartens');
}

/** The earliest birth date of someone who is still a child today (under 18). */
export function oldestChildBirthDate(now: Date): string {
  const d = new Date(now);
  d.setUTCFullYear(d.getUTCFullYear() - 18);
  return d.toISOString().slice(0, 10);
}

function birthDate(deps: AdminDeps, value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (value > deps.clock.now().toISOString().slice(0, 10))
    throw invalid('body/birthDate', 'lies in the future');
  if (value < oldestChildBirthDate(deps.clock.now()))
    throw invalid('body/birthDate', 'lies more than 18 years ago: a child is younger (check the year)');
  return value;
}

export async function listChildren(
  deps: AdminDeps,
  caller: Caller,
  institutionId: string,
  filter: { roomId?: string | undefined; on?: string | undefined },
  page: PageRequest,
): Promise<Page<ChildView>> {
  const r = read(deps);
  authorize(caller.principal, 'child', 'read', await placeOf(r, 'institution', institutionId), 'institution');
  let enrolledIn: { roomId: string; on: string } | undefined;
  if (filter.roomId !== undefined) {
    const roomPlace = await r.places.locate('room', filter.roomId);
    if (roomPlace?.institution?.id !== institutionId) throw objectNotFound('room');
    const institution = found(await r.institutions.find(institutionId), 'institution');
    enrolledIn = {
      roomId: filter.roomId,
      on: filter.on ?? localDate(deps.clock.now(), institution.time_zone),
    };
  }
  return pageOf(await r.children.list(institutionId, { enrolledIn }, page), childView);
}

export async function getChild(deps: AdminDeps, caller: Caller, id: string): Promise<ChildView> {
  const r = read(deps);
  requireVisible(caller.principal, 'child', await r.places.locate('child', id));
  return childView(found(await r.children.find(id), 'child'));
}

export async function createChild(
  deps: AdminDeps,
  caller: Caller,
  institutionId: string,
  input: ChildCreate,
): Promise<ChildView> {
  const fullName = requiredText('body/fullName', input.fullName);
  const born = birthDate(deps, input.birthDate) ?? null;
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'institution', institutionId);
    const grant = authorize(caller.principal, 'child', 'create', place, 'institution');
    requireKindergarten(place);
    const now = nowIso(deps);
    const row = await r.children.insert({
      id: newId(),
      institution_id: institutionId,
      full_name: fullName,
      birth_date: born,
      external_ref: optionalText(input.externalRef),
      created_at: now,
      updated_at: now,
    });
    const after = childView(row);
    return {
      result: after,
      grant,
      audit: auditEvent('child', 'create', { id: row.id, institutionId }, null, after),
    };
  });
}

export async function updateChild(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: ChildPatch,
): Promise<ChildView> {
  const fullName = patch.fullName === undefined ? undefined : requiredText('body/fullName', patch.fullName);
  const born = birthDate(deps, patch.birthDate);
  return change(deps, caller, async (r) => {
    const grant = authorize(caller.principal, 'child', 'update', await placeOf(r, 'child', id));
    const before = childView(found(await r.children.find(id), 'child'));
    const row = await r.children.update(id, {
      full_name: fullName,
      birth_date: born,
      external_ref: patch.externalRef === undefined ? undefined : optionalText(patch.externalRef),
      updated_at: nowIso(deps),
    });
    const after = childView(found(row, 'child'));
    return {
      result: after,
      grant,
      audit: auditEvent('child', 'update', { id, institutionId: before.institutionId }, before, after),
    };
  });
}

/** Removes the child with their enrolments, guardian links and subscriptions. */
export async function deleteChild(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(deps, caller, async (r) => {
    const grant = authorize(caller.principal, 'child', 'delete', await placeOf(r, 'child', id));
    const before = childView(found(await r.children.find(id), 'child'));
    await r.children.delete(id);
    return {
      result: undefined,
      grant,
      audit: auditEvent('child', 'delete', { id, institutionId: before.institutionId }, before, null),
    };
  });
}
