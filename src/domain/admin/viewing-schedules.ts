/**
 * Viewing schedules: the local hours (institution time zone) in which parents may watch a room, per
 * ISO weekday. Windows are [start, end) with end up to 24:00; windows of one room and weekday do not
 * overlap (touching is fine: 08:00–12:00 and 12:00–18:00).
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import type { ViewingScheduleRow } from '../../storage/repositories/viewing-schedules.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { AdminRepositories } from '../../storage/repositories/admin.js';
import { authorize, requireVisible } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { invalid, minutesOf } from './rules.js';
import type { ViewingScheduleCreate, ViewingSchedulePatch, ViewingScheduleView } from './schemas.js';
import { pageOf, viewingScheduleView } from './views.js';
import { raiseAccessWidened } from '../../alerts/access-widened.js';

interface Window {
  weekday: number;
  startTime: string;
  endTime: string;
}

function checkWindow(w: Window): void {
  const start = minutesOf(w.startTime);
  const end = minutesOf(w.endTime);
  if (start === null || start >= 1440)
    throw invalid('body/startTime', 'not a start time HH:MM (00:00–23:59)');
  if (end === null) throw invalid('body/endTime', 'not an end time HH:MM (00:01–24:00)');
  if (end <= start) throw invalid('body/endTime', 'the end must be after the start');
}

async function refuseOverlap(
  r: AdminRepositories,
  roomId: string,
  w: Window,
  selfId: string | null,
): Promise<void> {
  const others = (await r.viewingSchedules.onWeekday(roomId, w.weekday)).filter((o) => o.id !== selfId);
  const clash = others.find((o) => o.start_time < w.endTime && w.startTime < o.end_time);
  if (clash)
    throw new AppError(
      'conflict',
      `the window overlaps ${clash.start_time}–${clash.end_time} on the same weekday (change or remove that one)`,
    );
}

export async function listViewingSchedules(
  deps: AdminDeps,
  caller: Caller,
  roomId: string,
  page: PageRequest,
): Promise<Page<ViewingScheduleView>> {
  const r = read(deps);
  authorize(caller.principal, 'viewing_schedule', 'read', await placeOf(r, 'room', roomId), 'room');
  return pageOf(await r.viewingSchedules.list(roomId, page), viewingScheduleView);
}

export async function getViewingSchedule(
  deps: AdminDeps,
  caller: Caller,
  id: string,
): Promise<ViewingScheduleView> {
  const r = read(deps);
  requireVisible(caller.principal, 'viewing_schedule', await r.places.locate('viewing_schedule', id));
  return viewingScheduleView(found(await r.viewingSchedules.find(id), 'viewing_schedule'));
}

export async function createViewingSchedule(
  deps: AdminDeps,
  caller: Caller,
  roomId: string,
  input: ViewingScheduleCreate,
): Promise<ViewingScheduleView> {
  checkWindow(input);
  return change(deps, caller, async (r, trx) => {
    const place = await placeOf(r, 'room', roomId);
    const grant = authorize(caller.principal, 'viewing_schedule', 'create', place, 'room');
    await refuseOverlap(r, roomId, input, null);
    const row: ViewingScheduleRow = {
      id: newId(),
      room_id: roomId,
      weekday: input.weekday,
      start_time: input.startTime,
      end_time: input.endTime,
      created_at: nowIso(deps),
    };
    await r.viewingSchedules.insert(row);
    await raiseAccessWidened(trx, deps.clock, {
      change: 'viewing_schedule_added',
      place,
      roomId,
      actorPersonId: caller.principal.personId,
      body: `Добавлено окно просмотра: день недели ${row.weekday}, ${row.start_time}–${row.end_time}.`,
      evidence: {
        scheduleId: row.id,
        weekday: row.weekday,
        startTime: row.start_time,
        endTime: row.end_time,
      },
    });
    const after = viewingScheduleView(row);
    return {
      result: after,
      grant,
      audit: auditEvent(
        'viewing_schedule',
        'create',
        { id: row.id, institutionId: place.institution!.id },
        null,
        after,
      ),
    };
  });
}

export async function updateViewingSchedule(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: ViewingSchedulePatch,
): Promise<ViewingScheduleView> {
  return change(deps, caller, async (r, trx) => {
    const place = await placeOf(r, 'viewing_schedule', id);
    const grant = authorize(caller.principal, 'viewing_schedule', 'update', place);
    const current = found(await r.viewingSchedules.find(id), 'viewing_schedule');
    const w: Window = {
      weekday: patch.weekday ?? Number(current.weekday),
      startTime: patch.startTime ?? current.start_time,
      endTime: patch.endTime ?? current.end_time,
    };
    checkWindow(w);
    await refuseOverlap(r, current.room_id, w, id);
    const row = await r.viewingSchedules.update(id, {
      weekday: w.weekday,
      start_time: w.startTime,
      end_time: w.endTime,
    });
    const before = viewingScheduleView(current);
    const widened =
      w.weekday !== Number(current.weekday) ||
      w.startTime < current.start_time ||
      w.endTime > current.end_time;
    if (widened)
      await raiseAccessWidened(trx, deps.clock, {
        change: 'viewing_schedule_extended',
        place,
        roomId: current.room_id,
        actorPersonId: caller.principal.personId,
        body: `Окно просмотра изменено: день ${current.weekday}, ${current.start_time}–${current.end_time} → день ${w.weekday}, ${w.startTime}–${w.endTime}.`,
        evidence: {
          scheduleId: id,
          before: {
            weekday: Number(current.weekday),
            startTime: current.start_time,
            endTime: current.end_time,
          },
          after: w,
        },
      });
    const after = viewingScheduleView(found(row, 'viewing_schedule'));
    return {
      result: after,
      grant,
      audit: auditEvent(
        'viewing_schedule',
        'update',
        { id, institutionId: place.institution!.id },
        before,
        after,
      ),
    };
  });
}

export async function deleteViewingSchedule(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(deps, caller, async (r) => {
    const place = await placeOf(r, 'viewing_schedule', id);
    const grant = authorize(caller.principal, 'viewing_schedule', 'delete', place);
    const before = viewingScheduleView(found(await r.viewingSchedules.find(id), 'viewing_schedule'));
    await r.viewingSchedules.delete(id);
    return {
      result: undefined,
      grant,
      audit: auditEvent(
        'viewing_schedule',
        'delete',
        { id, institutionId: place.institution!.id },
        before,
        null,
      ),
    };
  });
}
