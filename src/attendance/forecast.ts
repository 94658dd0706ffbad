/**
 * Tomorrow's meal order for one kindergarten (docs/design/attendance.md, "Forecast"). Pure.
 *
 *   order(bucket) = enrolled − notified − expected unannounced absences
 *   expected      = Σ over the bucket's enrolled children of p(child), rounded once per bucket (so
 *                   each notice lowers the order by exactly one)
 *   p(child)      = weekday rate × season level × recent illness in the child's group   (≤ 0.95)
 *
 * learned from the kindergarten's history of group-days (the register, aggregated nightly):
 * - weekday rate: unannounced absences ÷ children expected (enrolled − notified) on the same weekday
 *   over the last 8 weeks, shrunk towards the overall rate so a few days do not swing it;
 * - season level: the median group's rate over the last 14 days ÷ the rate of the 8 weeks (winters are
 *   worse, and the level follows them; the median, so one group's outbreak does not raise all), within
 *   [0.5, 2];
 * - recent illness in the group: the group's rate over its last 3 days ÷ that recent level, shrunk,
 *   within [0.5, 3] (an outbreak in one group raises that group only).
 * No history: no expected absences (the order is enrolled − notified), and the reasoning says so.
 */
import type { AgeGroup } from '../storage/schema.js';
import { addDays, weekdayOfDate } from '../policy/local-time.js';

export interface ForecastChild {
  roomId: string;
  ageGroup: AgeGroup;
  diet: string;
  notified: boolean;
}

export interface HistoryGroupDay {
  roomId: string;
  day: string;
  enrolled: number;
  absentNotified: number;
  absentUnannounced: number;
}

export interface OrderLine {
  ageGroup: AgeGroup;
  diet: string;
  enrolled: number;
  notified: number;
  expectedAbsent: number;
  order: number;
}

export interface Reasoning {
  day: string;
  weekday: number;
  historyDays: number;
  overallRate: number;
  weekdayRate: number;
  recentRate: number;
  seasonFactor: number;
  groupFactors: Record<string, number>;
  text: string;
}

export interface Forecast {
  lines: OrderLine[];
  reasoning: Reasoning;
}

export const HISTORY_DAYS = 56;
const RECENT_DAYS = 14;
const GROUP_RECENT_DAYS = 3;
/** shrinkage, in child-days, of the weekday / recent / group rates towards the overall rate */
const K_WEEKDAY = 150;
const K_RECENT = 150;
const K_GROUP = 40;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function rate(days: readonly HistoryGroupDay[]): { absent: number; expected: number } {
  let absent = 0;
  let expected = 0;
  for (const d of days) {
    absent += d.absentUnannounced;
    expected += Math.max(0, d.enrolled - d.absentNotified);
  }
  return { absent, expected };
}

const shrunk = (r: { absent: number; expected: number }, prior: number, k: number) =>
  (r.absent + k * prior) / (r.expected + k);

export function forecastDay(
  day: string,
  children: readonly ForecastChild[],
  history: readonly HistoryGroupDay[],
): Forecast {
  const from = addDays(day, -HISTORY_DAYS);
  const hist = history.filter((h) => h.day >= from && h.day < day && h.enrolled > 0);
  const weekday = weekdayOfDate(day);
  // Group-days repeat a handful of dates: the weekday of each date is worked out once.
  const weekdays = new Map<string, number>();
  const weekdayOf = (d: string) => {
    let w = weekdays.get(d);
    if (w === undefined) weekdays.set(d, (w = weekdayOfDate(d)));
    return w;
  };
  const historyDays = new Set(hist.map((h) => h.day)).size;
  const overall = rate(hist);
  const overallRate = overall.expected > 0 ? overall.absent / overall.expected : 0;
  const weekdayRate = shrunk(rate(hist.filter((h) => weekdayOf(h.day) === weekday)), overallRate, K_WEEKDAY);
  const recentFrom = addDays(day, -RECENT_DAYS);
  // The season's level: the median group's recent rate, so an outbreak in one group does not raise all.
  const recentHist = hist.filter((h) => h.day >= recentFrom);
  const groupRecent = [...new Set(recentHist.map((h) => h.roomId))]
    .map((roomId) => shrunk(rate(recentHist.filter((h) => h.roomId === roomId)), overallRate, K_RECENT / 4))
    .sort((a, b) => a - b);
  const recentRate =
    groupRecent.length === 0
      ? overallRate
      : groupRecent.length % 2
        ? groupRecent[(groupRecent.length - 1) / 2]!
        : (groupRecent[groupRecent.length / 2 - 1]! + groupRecent[groupRecent.length / 2]!) / 2;
  const seasonFactor = overallRate > 0 ? clamp(recentRate / overallRate, 0.5, 2) : 1;

  // The group's last few days with a register.
  const byRoom = new Map<string, HistoryGroupDay[]>();
  for (const h of hist) {
    const list = byRoom.get(h.roomId) ?? [];
    list.push(h);
    byRoom.set(h.roomId, list);
  }
  const groupFactors: Record<string, number> = {};
  for (const roomId of new Set(children.map((c) => c.roomId))) {
    const recent = (byRoom.get(roomId) ?? [])
      .sort((a, b) => (a.day < b.day ? 1 : -1))
      .slice(0, GROUP_RECENT_DAYS);
    const g = shrunk(rate(recent), recentRate, K_GROUP);
    groupFactors[roomId] = recentRate > 0 ? round(clamp(g / recentRate, 0.5, 3)) : 1;
  }

  const buckets = new Map<string, OrderLine>();
  for (const c of children) {
    const key = `${c.ageGroup}\u0000${c.diet}`;
    let line = buckets.get(key);
    if (!line) {
      line = { ageGroup: c.ageGroup, diet: c.diet, enrolled: 0, notified: 0, expectedAbsent: 0, order: 0 };
      buckets.set(key, line);
    }
    line.enrolled++;
    if (c.notified) line.notified++;
    // Over every enrolled child, notified or not: then each notice lowers the order by exactly one
    // (a parent who says so sees it), at the cost of a notified child's own small chance (≈ 0.1).
    line.expectedAbsent += Math.min(0.95, weekdayRate * seasonFactor * (groupFactors[c.roomId] ?? 1));
  }
  const lines = [...buckets.values()]
    .map((l) => ({
      ...l,
      expectedAbsent: round(l.expectedAbsent, 2),
      order: Math.max(0, l.enrolled - l.notified - Math.round(l.expectedAbsent)),
    }))
    .sort((a, b) => (a.ageGroup + a.diet < b.ageGroup + b.diet ? -1 : 1));
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const text =
    historyDays === 0
      ? 'Истории посещаемости ещё нет: заказ = записанные − сообщённые отсутствия.'
      : `Заказ = записанные − сообщённые отсутствия − ожидаемые несообщённые. ` +
        `Ожидаемые: доля несообщённых отсутствий в этот день недели ${pct(weekdayRate)} ` +
        `(за ${historyDays} дн.; в среднем ${pct(overallRate)}), ` +
        `сезонный уровень ×${seasonFactor.toFixed(2)} (последние 2 недели ${pct(recentRate)}), ` +
        `болезни в группе за последние дни — множитель по группе.`;
  return {
    lines,
    reasoning: {
      day,
      weekday,
      historyDays,
      overallRate: round(overallRate, 4),
      weekdayRate: round(weekdayRate, 4),
      recentRate: round(recentRate, 4),
      seasonFactor: round(seasonFactor),
      groupFactors,
      text,
    },
  };
}

/** Mean absolute percentage error of orders against actual attendance, in percent (days with actual > 0). */
export function mape(pairs: readonly { order: number; actual: number }[]): number | null {
  const usable = pairs.filter((p) => p.actual > 0);
  if (usable.length === 0) return null;
  return (usable.reduce((s, p) => s + Math.abs(p.order - p.actual) / p.actual, 0) / usable.length) * 100;
}
