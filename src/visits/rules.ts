/**
 * Office visits, pure parts (docs/design/office-visits.md): a workplace's working intervals on a local
 * day, how much of them the recording covers, the camera that mode asks for, and the labels people
 * read. No database, no clock.
 */
import type { ViewingCalendar } from '../policy/facts.js';
import { addDays, firstInstantAtOrAfterLocal, weekdayOfDate } from '../policy/local-time.js';
import { parseViewingWindow } from '../policy/schedule.js';
import type { RecordingPolicy } from '../storage/repositories/recordings-policy.js';
import type { FlagCode, VisitorCategory, WorkplaceMode } from '../storage/schema.js';

export type Interval = readonly [number, number];

export const MODE_LABELS: Record<WorkplaceMode, string> = {
  per_visit: 'Запись на время приёма',
  continuous: 'Непрерывная запись в рабочие часы',
  both: 'В рабочие часы и на время каждого приёма',
};

export const VISITOR_LABELS: Record<VisitorCategory, string> = {
  citizen: 'Гражданин',
  guardian: 'Опекун (попечитель)',
  foster_parent: 'Приёмный родитель',
  applicant: 'Кандидат в опекуны',
  minor: 'Несовершеннолетний',
  representative: 'Представитель по доверенности',
  official: 'Представитель организации',
  other: 'Другое',
};

export const FLAG_LABELS: Record<FlagCode, string> = {
  visit_gap: 'Пропуск в записи приёма',
  visit_camera_offline: 'Приём начат при неработающей камере',
  camera_dark: 'Камера не работала в рабочие часы',
  recording_changed: 'Запись отключена или режим изменён',
  visit_too_long: 'Приём длился дольше допустимого',
  visits_missing: 'Рабочий день без открытых приёмов',
};

/** The camera recording policy a workplace mode asks for. */
export function policyForMode(mode: WorkplaceMode): 'manual' | 'schedule' {
  return mode === 'per_visit' ? 'manual' : 'schedule';
}

/** The mode a camera's policy (and the workplace's `both`) stands for; `off` is off. */
export function modeOfPolicy(policy: RecordingPolicy, visitsAlso: boolean): WorkplaceMode | 'off' {
  if (policy === 'manual') return 'per_visit';
  if (policy === 'schedule' || policy === 'continuous') return visitsAlso ? 'both' : 'continuous';
  return 'off';
}

/**
 * The working intervals of a local day: the calendar's windows of that weekday, as instants in its
 * zone; none on a closed day. A room without windows has no working hours (coverage is not defined).
 */
export function workingIntervals(calendar: ViewingCalendar, day: string): Interval[] {
  if (calendar.closedDays.includes(day)) return [];
  const weekday = weekdayOfDate(day);
  const out: [number, number][] = [];
  for (const w of calendar.windows) {
    const p = parseViewingWindow(w);
    if (p.weekday !== weekday) continue;
    const start = firstInstantAtOrAfterLocal(day, p.startMinute, calendar.timeZone);
    const end =
      p.endMinute >= 24 * 60
        ? firstInstantAtOrAfterLocal(addDays(day, 1), 0, calendar.timeZone)
        : firstInstantAtOrAfterLocal(day, p.endMinute, calendar.timeZone);
    if (end > start) out.push([start, end]);
  }
  return union(out);
}

/** Sorted, merged intervals. */
export function union(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function totalMs(intervals: readonly Interval[]): number {
  return intervals.reduce((n, [a, b]) => n + (b - a), 0);
}

/** How much of `within` the `covered` intervals cover (both are merged first). */
export function coveredMs(within: readonly Interval[], covered: readonly Interval[]): number {
  const w = union(within);
  const c = union(covered);
  let n = 0;
  let j = 0;
  for (const [a, b] of w) {
    while (j < c.length && c[j]![1] <= a) j++;
    for (let k = j; k < c.length && c[k]![0] < b; k++) n += Math.min(b, c[k]![1]) - Math.max(a, c[k]![0]);
  }
  return n;
}

/** Percentage with one decimal, null when there were no working hours. */
export function percent(covered: number, working: number): number | null {
  return working > 0 ? Math.round((covered / working) * 1000) / 10 : null;
}

/** RFC 4180 field: quoted when it holds a separator, quote or line break; formulas defused. */
export function csvField(v: string | number | null | undefined): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@]/.test(s) && Number.isNaN(Number(s))) s = `'${s}`;
  return /[",;\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
