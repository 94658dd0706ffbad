/**
 * The pure arithmetic of the paid service (docs/design/billing.md): billing months, days, pro-rating
 * and due dates. Amounts are integer kopecks; dates are local 'YYYY-MM-DD'; months 'YYYY-MM'.
 *
 * Pro-rating rule (cumulative floor): in a month of D days at price P, the days a..b (1-based,
 * inclusive) cost floor(P·b/D) − floor(P·(a−1)/D). The amounts telescope, so any split of the month
 * into consecutive stretches adds up to exactly P, a whole month costs exactly P, and no stretch is
 * ever charged more than its exact share rounded up.
 */

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const DAY = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export function isMonth(s: string): boolean {
  return MONTH.test(s);
}

export function isDay(s: string): boolean {
  const m = DAY.exec(s);
  if (!m) return false;
  return Number(m[3]) <= daysInMonth(`${m[1]}-${m[2]}`);
}

export function daysInMonth(month: string): number {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function monthOf(day: string): string {
  return day.slice(0, 7);
}

export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function firstDay(month: string): string {
  return `${month}-01`;
}

export function lastDay(month: string): string {
  return `${month}-${String(daysInMonth(month)).padStart(2, '0')}`;
}

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Price of days `fromDay..toDay` (1-based, inclusive) of a month of `monthDays` days at `priceKopecks`. */
export function prorate(priceKopecks: number, monthDays: number, fromDay: number, toDay: number): number {
  if (!Number.isInteger(priceKopecks) || priceKopecks < 0)
    throw new RangeError('price must be whole kopecks');
  if (!(1 <= fromDay && fromDay <= toDay && toDay <= monthDays)) throw new RangeError('bad day range');
  const upTo = (d: number) => Math.floor((priceKopecks * d) / monthDays);
  return upTo(toDay) - upTo(fromDay - 1);
}

export interface Coverage {
  /** first covered day, inclusive */
  start: string;
  /** last covered day, inclusive; null: open-ended */
  end: string | null;
}

export interface MonthCharge {
  from: string;
  to: string;
  days: number;
  monthDays: number;
  amountKopecks: number;
}

/** The part of `month` a coverage stretch covers and what it costs, or null when it covers none. */
export function chargeFor(month: string, priceKopecks: number, c: Coverage): MonthCharge | null {
  const first = firstDay(month);
  const last = lastDay(month);
  const from = c.start > first ? c.start : first;
  const to = c.end === null || c.end > last ? last : c.end;
  if (from > to) return null;
  const monthDays = daysInMonth(month);
  const a = Number(from.slice(8));
  const b = Number(to.slice(8));
  return { from, to, days: b - a + 1, monthDays, amountKopecks: prorate(priceKopecks, monthDays, a, b) };
}

/** The day after which a charge of `period` counts as unpaid: `graceDay` of the next month. */
export function dueDate(period: string, graceDay: number): string {
  const next = addMonths(period, 1);
  return `${next}-${String(Math.min(graceDay, daysInMonth(next))).padStart(2, '0')}`;
}

/** Rubles for people: 150000 → "1 500,00 ₽". */
export function formatRub(kopecks: number): string {
  const sign = kopecks < 0 ? '−' : '';
  const abs = Math.abs(kopecks);
  const rub = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u00a0');
  return `${sign}${rub},${String(abs % 100).padStart(2, '0')}\u00a0₽`;
}

/** "1500.00" for exports and payment files (a dot, no grouping). */
export function kopecksToDecimal(kopecks: number): string {
  const sign = kopecks < 0 ? '-' : '';
  const abs = Math.abs(kopecks);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** "1500", "1500.5", "1500,50" → kopecks; null when not a positive amount with ≤ 2 decimals. */
export function parseAmount(s: string): number | null {
  const m = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(s.trim());
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}
