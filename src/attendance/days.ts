/** Local days, the morning window and the order cut-off, in the kindergarten's time zone. Pure. */
import { addDays, firstInstantAtOrAfterLocal, toLocalTime } from '../policy/local-time.js';

/** Arrivals counted at the door between 06:00 and 10:30 local time are the morning's arrivals. */
export const MORNING_WINDOW = { fromMinute: 6 * 60, toMinute: 10 * 60 + 30 } as const;

export function localToday(nowMs: number, timeZone: string): string {
  return toLocalTime(nowMs, timeZone).date;
}

export function localTomorrow(nowMs: number, timeZone: string): string {
  return addDays(localToday(nowMs, timeZone), 1);
}

/** The instant the order for `day` becomes final: `cutoffHour`:00 local on the day before. */
export function cutoffOf(day: string, cutoffHour: number, timeZone: string): Date {
  return new Date(firstInstantAtOrAfterLocal(addDays(day, -1), cutoffHour * 60, timeZone));
}

/**
 * Whether door count and register disagree enough to flag: more than 2 children and more than 10 %
 * of the register apart (a child who came late, or a parent counted by mistake, is not a flag).
 */
export function disagrees(doorArrivals: number | null, present: number): boolean {
  if (doorArrivals === null) return false;
  const diff = Math.abs(doorArrivals - present);
  return diff > 2 && diff > 0.1 * present;
}
