/**
 * Viewing hours: whether a room is open for parents' viewing at an instant, in its institution's
 * time zone, and when it next opens (for the player's "outside viewing hours, opens at …").
 *
 * The rule is stated on local wall time: open when the local date is not a closed day and the local
 * time is inside a window of the local weekday. On a daylight-saving day this means a window the
 * clocks jump over does not open, and a window the clocks go back through opens twice; the next
 * opening is computed from the same rule, so the two functions never disagree.
 */
import type { ViewingCalendar, ViewingWindow, Weekday } from './facts.js';
import {
  addDays,
  instantsAtLocal,
  firstInstantAtOrAfterLocal,
  isLocalDate,
  offsetChangeOnLocalDate,
  toLocalTime,
  weekdayOfDate,
} from './local-time.js';

export type ViewingState = 'open' | 'closed_day' | 'outside_viewing_hours';

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since midnight of 'HH:MM' ('24:00' allowed as an end). Throws on anything else. */
export function parseWallTime(value: string, allowEndOfDay = false): number {
  if (allowEndOfDay && value === '24:00') return 24 * 60;
  const m = HH_MM.exec(value);
  if (m === null) throw new RangeError(`not a wall time (HH:MM): ${JSON.stringify(value)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export interface ParsedWindow {
  readonly weekday: Weekday;
  readonly startMinute: number;
  /** Exclusive. */
  readonly endMinute: number;
}

/** Checks one viewing window (weekday 1…7, start before end, end up to '24:00'). Throws if invalid. */
export function parseViewingWindow(window: ViewingWindow): ParsedWindow {
  const { weekday } = window;
  if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7) {
    throw new RangeError(`weekday must be 1 (Monday) … 7 (Sunday), got ${String(weekday)}`);
  }
  const startMinute = parseWallTime(window.start);
  const endMinute = parseWallTime(window.end, true);
  if (endMinute <= startMinute) {
    throw new RangeError(`viewing window ends before it starts: ${window.start}–${window.end}`);
  }
  return { weekday, startMinute, endMinute };
}

function checkClosedDay(date: string): string {
  if (!isLocalDate(date)) throw new RangeError(`closed day is not a local date: ${JSON.stringify(date)}`);
  return date;
}

/** Whether the room is open for viewing at an instant, and if not, why. */
export function viewingStateAt(calendar: ViewingCalendar, atMs: number): ViewingState {
  const local = toLocalTime(atMs, calendar.timeZone);
  if (calendar.closedDays.some((d) => checkClosedDay(d) === local.date)) return 'closed_day';
  for (const window of calendar.windows) {
    const w = parseViewingWindow(window);
    if (
      w.weekday === local.weekday &&
      local.minuteOfDay >= w.startMinute &&
      local.minuteOfDay < w.endMinute
    ) {
      return 'open';
    }
  }
  return 'outside_viewing_hours';
}

/** How far ahead nextViewingOpening looks (a closed summer is well inside it). */
export const OPENING_HORIZON_DAYS = 400;

/**
 * The first instant at or after `atMs` at which the room is open for viewing (`atMs` itself when it
 * is open now), or null when it does not open within OPENING_HORIZON_DAYS.
 */
export function nextViewingOpening(calendar: ViewingCalendar, atMs: number): number | null {
  if (viewingStateAt(calendar, atMs) === 'open') return atMs;
  const { timeZone } = calendar;
  const closed = new Set(calendar.closedDays.map(checkClosedDay));
  const byWeekday = new Map<Weekday, ParsedWindow[]>();
  for (const window of calendar.windows) {
    const w = parseViewingWindow(window);
    const list = byWeekday.get(w.weekday) ?? [];
    list.push(w);
    byWeekday.set(w.weekday, list);
  }
  if (byWeekday.size === 0) return null;

  // The room can only become open where the local wall time reaches a window's start, or where it
  // jumps (an offset change). Those instants, checked in time order, give the answer. A jump back
  // over midnight can make a later day's candidate the earlier instant, so once one is found on a
  // day, the next day's candidates are checked as well.
  const opensOn = (date: string): number | null => {
    const windows = closed.has(date) ? [] : (byWeekday.get(weekdayOfDate(date)) ?? []);
    const candidates: number[] = [];
    for (const w of windows) {
      const exact = instantsAtLocal(date, w.startMinute, timeZone);
      // A start the clocks jump over opens at the jump (also where the jump skips midnight itself,
      // which offsetChangeOnLocalDate does not report).
      if (exact.length > 0) candidates.push(...exact);
      else candidates.push(firstInstantAtOrAfterLocal(date, w.startMinute, timeZone));
    }
    const change = offsetChangeOnLocalDate(date, timeZone);
    if (change !== null) candidates.push(change);
    candidates.sort((a, b) => a - b);
    return candidates.find((c) => c > atMs && viewingStateAt(calendar, c) === 'open') ?? null;
  };

  let date = toLocalTime(atMs, timeZone).date;
  for (let i = 0; i <= OPENING_HORIZON_DAYS; i++, date = addDays(date, 1)) {
    const found = opensOn(date);
    if (found !== null) {
      const nextDay = opensOn(addDays(date, 1));
      return nextDay !== null && nextDay < found ? nextDay : found;
    }
  }
  return null;
}
