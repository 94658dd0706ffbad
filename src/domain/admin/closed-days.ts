/** Days an institution is closed: no viewing on these local dates. */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import { newId } from '../../shared/ids.js';
import { authorize, requireVisible } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { invalid, isLocalDate, optionalText } from './rules.js';
import type { ClosedDayCreate, ClosedDayPatch, ClosedDayView } from './schemas.js';
import { closedDayView, pageOf } from './views.js';

function day(field: string, value: string): string {
  if (!isLocalDate(value)) throw invalid(field, 'not a calendar date (YYYY-MM-DD)');
  return value;
}

export async function listClosedDays(
  deps: AdminDeps,
  caller: Caller,
  institutionId: string,
  range: { from?: string | undefined; to?: string | undefined },
  page: PageRequest,
): Promise<Page<ClosedDayView>> {
  const r = read(deps);
  authorize(
    caller.principal,
    'closed_day',
    'read',
    await placeOf(r, 'institution', institutionId),
    'institution',
  );
  return pageOf(await r.closedDays.list(institutionId, range, page), closedDayView);
}

export async function getClosedDay(deps: AdminDeps, caller: Caller, id: string): Promise<ClosedDayView> {
  const r = read(deps);
  requireVisible(caller.principal, 'closed_day', await r.places.locate('closed_day', id));
  return closedDayView(found(await r.closedDays.find(id), 'closed_day'));
}

export async function createClosedDay(
  deps: AdminDeps,
  caller: Caller,
  institutionId: string,
  input: ClosedDayCreate,
): Promise<ClosedDayView> {
  const d = day('body/day', input.day);
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'institution', institutionId);
    const grant = authorize(caller.principal, 'closed_day', 'create', place, 'institution');
    const row = await r.closedDays.insert({
      id: newId(),
      institution_id: institutionId,
      day: d,
      reason: optionalText(input.reason),
      created_at: nowIso(deps),
    });
    const after = closedDayView(row);
    return {
      result: after,
      grant,
      audit: auditEvent('closed_day', 'create', { id: row.id, institutionId }, null, after),
    };
  });
}

export async function updateClosedDay(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: ClosedDayPatch,
): Promise<ClosedDayView> {
  const d = patch.day === undefined ? undefined : day('body/day', patch.day);
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'closed_day', id);
    const grant = authorize(caller.principal, 'closed_day', 'update', place);
    const before = closedDayView(found(await r.closedDays.find(id), 'closed_day'));
    const row = await r.closedDays.update(id, {
      day: d,
      reason: patch.reason === undefined ? undefined : optionalText(patch.reason),
    });
    const after = closedDayView(found(row, 'closed_day'));
    return {
      result: after,
      grant,
      audit: auditEvent('closed_day', 'update', { id, institutionId: before.institutionId }, before, after),
    };
  });
}

export async function deleteClosedDay(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(deps, caller, async (r) => {
    const grant = authorize(caller.principal, 'closed_day', 'delete', await placeOf(r, 'closed_day', id));
    const before = closedDayView(found(await r.closedDays.find(id), 'closed_day'));
    await r.closedDays.delete(id);
    return {
      result: undefined,
      grant,
      audit: auditEvent('closed_day', 'delete', { id, institutionId: before.institutionId }, before, null),
    };
  });
}
