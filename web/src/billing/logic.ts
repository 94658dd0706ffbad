/** Pure helpers of the paid service's screens (tested in web/test/billing-logic.test.ts). */
import type { ParentBillingChild, RevenueRow } from './client.js';

const WEEKDAYS_RU = ['Пн', 'Вт', 'Ср', 'Чт', 'Пт', 'Сб', 'Вс'];
const WEEKDAYS_EN = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Viewing windows in short words: «Пн–Вс 00:00–24:00» when every day is the same. */
export function hoursText(hours: ParentBillingChild['included']['hours'], lang: 'ru' | 'en'): string {
  const names = lang === 'ru' ? WEEKDAYS_RU : WEEKDAYS_EN;
  const byTime = new Map<string, number[]>();
  for (const h of hours) {
    const k = `${h.start}–${h.end}`;
    byTime.set(k, [...(byTime.get(k) ?? []), h.weekday]);
  }
  return [...byTime]
    .map(([time, days]) => {
      const d = [...new Set(days)].sort((a, b) => a - b);
      const run = d.length > 1 && d[d.length - 1]! - d[0]! === d.length - 1;
      const dayText = run
        ? `${names[d[0]! - 1]}–${names[d[d.length - 1]! - 1]}`
        : d.map((x) => names[x - 1]).join(', ');
      return `${dayText} ${time}`;
    })
    .join('; ');
}

export interface MonthTotal {
  period: string;
  subscribers: number;
  charged: number;
  paid: number;
  arrears: number;
}

export function monthTotals(rows: readonly RevenueRow[]): MonthTotal[] {
  const by = new Map<string, MonthTotal>();
  for (const r of rows) {
    const m = by.get(r.period) ?? { period: r.period, subscribers: 0, charged: 0, paid: 0, arrears: 0 };
    m.subscribers += r.subscribers;
    m.charged += r.chargedKopecks;
    m.paid += r.paidKopecks;
    m.arrears += r.arrearsKopecks;
    by.set(r.period, m);
  }
  return [...by.values()].sort((a, b) => a.period.localeCompare(b.period));
}
