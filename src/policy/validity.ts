/**
 * How long a live-access decision can hold by the clock alone. The decision depends on time through
 * the local date (enrolment dates, closed days) and the local minute (viewing windows), in the
 * institution's zone; between those boundaries only a change of facts can alter it, and changes of
 * facts arrive as access events. The live registry re-checks an open stream at this instant.
 */
import type { ViewingCalendar } from './facts.js';
import { addDays, firstInstantAtOrAfterLocal, instantsAtLocal, toLocalTime } from './local-time.js';
import { parseViewingWindow } from './schedule.js';

/**
 * The first instant after `atMs` at which the decision could change by time alone: the next start or
 * end of a viewing window today, or the next local midnight, whichever comes first. Conservative: an
 * instant where nothing changes is fine (it costs one re-check), a missed one is not.
 */
export function liveDecisionStableUntil(calendar: ViewingCalendar, atMs: number): number {
  const { timeZone } = calendar;
  const local = toLocalTime(atMs, timeZone);
  const candidates = [firstInstantAtOrAfterLocal(addDays(local.date, 1), 0, timeZone)];
  for (const window of calendar.windows) {
    const w = parseViewingWindow(window);
    if (w.weekday !== local.weekday) continue;
    for (const minute of [w.startMinute, w.endMinute]) {
      if (minute <= local.minuteOfDay || minute >= 24 * 60) continue;
      // Where the clocks go back through the minute it occurs twice: the first one still ahead.
      const exact = instantsAtLocal(local.date, minute, timeZone).find((c) => c > atMs);
      candidates.push(exact ?? firstInstantAtOrAfterLocal(local.date, minute, timeZone));
    }
  }
  const after = candidates.filter((c) => c > atMs);
  // A daylight-saving jump can put a wall time behind us: never wait more than an hour then.
  return after.length > 0 ? Math.min(...after) : atMs + 3600_000;
}
