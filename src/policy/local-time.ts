/**
 * Conversions between UTC instants and an IANA zone's local calendar, with Intl (full ICU) and no
 * library. Daylight-saving changes are handled exactly: a local wall time may occur twice (autumn)
 * or not at all (spring); the functions below say which instants have a given wall time.
 *
 * Instants are epoch milliseconds. A "wall" value is the local date and time written as if it were
 * UTC (Date.UTC of the local fields), which makes offsets and comparisons plain arithmetic.
 */
import type { Weekday } from './facts.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone (use it to validate institutions' time zones on input). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone === '') return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The local wall value of an instant (see the module comment), at whole seconds. */
export function wallMs(atMs: number, timeZone: string): number {
  const f: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of formatter(timeZone).formatToParts(atMs)) f[part.type] = Number(part.value);
  return Date.UTC(f.year ?? NaN, (f.month ?? NaN) - 1, f.day, f.hour, f.minute, f.second);
}

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
export function offsetMs(atMs: number, timeZone: string): number {
  const wholeSecondMs = Math.floor(atMs / 1000) * 1000;
  return wallMs(atMs, timeZone) - wholeSecondMs;
}

export interface LocalTime {
  /** Local date 'YYYY-MM-DD'. */
  readonly date: string;
  readonly weekday: Weekday;
  /** Minutes since local midnight, 0…1439. */
  readonly minuteOfDay: number;
}

/** The local date, weekday and minute of an instant in a zone. */
export function toLocalTime(atMs: number, timeZone: string): LocalTime {
  const wall = wallMs(atMs, timeZone);
  const dayStart = Math.floor(wall / DAY_MS) * DAY_MS;
  return {
    date: new Date(dayStart).toISOString().slice(0, 10),
    weekday: weekdayOfWall(dayStart),
    minuteOfDay: Math.floor((wall - dayStart) / MINUTE_MS),
  };
}

function weekdayOfWall(wall: number): Weekday {
  const sundayZero = new Date(wall).getUTCDay();
  return (sundayZero === 0 ? 7 : sundayZero) as Weekday;
}

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether a string is a real calendar date written 'YYYY-MM-DD'. */
export function isLocalDate(value: string): boolean {
  const m = LOCAL_DATE.exec(value);
  if (m === null) return false;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(wall).toISOString().slice(0, 10) === value;
}

/** The wall value of local midnight starting a 'YYYY-MM-DD' date. Throws on a malformed date. */
export function wallOfDate(date: string): number {
  if (!isLocalDate(date)) throw new RangeError(`not a local date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  return Date.parse(date + 'T00:00:00Z');
}

export function addDays(date: string, days: number): string {
  return new Date(wallOfDate(date) + days * DAY_MS).toISOString().slice(0, 10);
}

export function weekdayOfDate(date: string): Weekday {
  return weekdayOfWall(wallOfDate(date));
}

/**
 * Every instant whose local wall time is `minuteOfDay` on `date`: one normally, two when the clocks
 * go back through it, none when they jump over it. Sorted.
 */
export function instantsAtLocal(date: string, minuteOfDay: number, timeZone: string): number[] {
  const wall = wallOfDate(date) + minuteOfDay * MINUTE_MS;
  // The instant lies within ±14 h of the wall value; a day either side is before/after any change.
  const offsets = new Set([offsetMs(wall - DAY_MS, timeZone), offsetMs(wall + DAY_MS, timeZone)]);
  const found: number[] = [];
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (wallMs(candidate, timeZone) === wall) found.push(candidate);
  }
  return found.sort((a, b) => a - b);
}

/**
 * The first instant at which the local wall time is at or past `minuteOfDay` on `date`: the instant
 * of that wall time, or, when the clocks jump over it, the instant of the jump.
 */
export function firstInstantAtOrAfterLocal(date: string, minuteOfDay: number, timeZone: string): number {
  const exact = instantsAtLocal(date, minuteOfDay, timeZone);
  if (exact[0] !== undefined) return exact[0];
  const wall = wallOfDate(date) + minuteOfDay * MINUTE_MS;
  const before = offsetMs(wall - DAY_MS, timeZone);
  const after = offsetMs(wall + DAY_MS, timeZone);
  // A gap: with the later (larger) offset the instant is before the jump (wall < target), with the
  // earlier one after it (wall > target). Search the minute the wall value first reaches the target.
  let lo = Math.floor((wall - Math.max(before, after)) / MINUTE_MS);
  let hi = Math.ceil((wall - Math.min(before, after)) / MINUTE_MS);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallMs(mid * MINUTE_MS, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi * MINUTE_MS;
}

/**
 * The instant the zone's offset changes during a local date (a daylight-saving switch), or null
 * when it does not. Assumes at most one change a day, as every real zone has.
 */
export function offsetChangeOnLocalDate(date: string, timeZone: string): number | null {
  const start = firstInstantAtOrAfterLocal(date, 0, timeZone);
  const end = firstInstantAtOrAfterLocal(addDays(date, 1), 0, timeZone);
  const first = offsetMs(start, timeZone);
  if (offsetMs(end - 1, timeZone) === first) return null;
  let lo = Math.floor(start / MINUTE_MS);
  let hi = Math.ceil((end - 1) / MINUTE_MS);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMs(mid * MINUTE_MS, timeZone) === first) lo = mid;
    else hi = mid;
  }
  return hi * MINUTE_MS;
}
