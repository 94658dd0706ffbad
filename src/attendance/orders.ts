/**
 * Tomorrow's meal order per kindergarten × age group × diet (docs/design/attendance.md, "Meal order").
 * Until the cut-off (attendance.orderCutoffHour on the day before, local time) the order is a draft,
 * recomputed whenever it is read: a parent's notice lowers it at once, and the kindergarten may set a
 * line's quantity (a correction, audited). At the cut-off it is made final from the notices given
 * before then; a final order never changes (the nightly job only adds the actual attendance).
 */
import type { Kysely } from 'kysely';
import { addDays } from '../policy/local-time.js';
import type { Clock } from '../shared/clock.js';
import {
  AttendanceRepository,
  type InstitutionInfo,
  type MealOrderRow,
} from '../storage/repositories/attendance.js';
import type { AgeGroup, Database } from '../storage/schema.js';
import { cutoffOf } from './days.js';
import { forecastDay, HISTORY_DAYS, mape, type ForecastChild, type Reasoning } from './forecast.js';

export interface OrderLineView {
  ageGroup: AgeGroup;
  diet: string;
  enrolled: number;
  notified: number;
  expectedAbsent: number;
  forecast: number;
  correction: number | null;
  /** what is ordered: the correction where there is one, else the forecast */
  quantity: number;
  actual: number | null;
}

export interface OrderView {
  institutionId: string;
  institutionName: string;
  day: string;
  status: 'draft' | 'final';
  cutoffAt: string;
  total: number;
  lines: OrderLineView[];
  reasoning: Reasoning | null;
}

export interface OrderDeps {
  db: Kysely<Database>;
  clock: Clock;
  cutoffHour: number;
}

/**
 * Computes and stores the orders for `day` of these kindergartens: drafts before their cut-off, final
 * after it (final ones already stored are left alone). Set-based: a few statements for all of them.
 */
export async function computeOrders(
  deps: OrderDeps,
  day: string,
  kgs: readonly InstitutionInfo[],
): Promise<number> {
  if (kgs.length === 0) return 0;
  const repo = new AttendanceRepository(deps.db);
  const now = deps.clock.now();
  const ids = kgs.map((k) => k.id);
  const finalized = await repo.finalizedInstitutions(ids, day);
  const todo = kgs.filter((k) => !finalized.has(k.id));
  if (todo.length === 0) return 0;
  const todoIds = todo.map((k) => k.id);
  const cutoffs = new Map(todo.map((k) => [k.id, cutoffOf(day, deps.cutoffHour, k.timeZone)]));
  const isFinal = (id: string) => now.getTime() >= cutoffs.get(id)!.getTime();
  // After the cut-off only notices given before it count (later ones reach the teacher, not the order):
  // kindergartens are counted together per cut-off instant (drafts: every notice counts).
  const byCutoff = groupBy(todo, (k) => (isFinal(k.id) ? cutoffs.get(k.id)!.toISOString() : ''));
  const [buckets, history] = await Promise.all([
    Promise.all(
      [...byCutoff].map(([before, list]) =>
        repo.bucketCounts(
          day,
          list.map((k) => k.id),
          { marks: false, noticesBefore: before || undefined },
        ),
      ),
    ).then((parts) => parts.flat()),
    repo.forecastHistory(todoIds, addDays(day, -HISTORY_DAYS), day),
  ]);
  const bucketsOf = groupBy(buckets, (b) => b.institutionId);
  const historyOf = groupBy(history, (h) => h.institution_id);
  const at = now.toISOString();
  const rows: MealOrderRow[] = [];
  for (const k of todo) {
    // The forecast takes children one by one; the database counted them per group and bucket.
    // (forecastDay only reads them: one object per bucket and notice state, repeated).
    const children: ForecastChild[] = [];
    for (const b of bucketsOf.get(k.id) ?? []) {
      const c = { roomId: b.roomId, ageGroup: b.ageGroup, diet: b.diet };
      const told: ForecastChild = { ...c, notified: true };
      const untold: ForecastChild = { ...c, notified: false };
      for (let i = 0; i < b.enrolled; i++) children.push(i < b.notified ? told : untold);
    }
    const f = forecastDay(
      day,
      children,
      (historyOf.get(k.id) ?? []).map((h) => ({
        roomId: h.room_id,
        day: h.day,
        enrolled: h.enrolled,
        absentNotified: h.absent_notified,
        absentUnannounced: h.absent_unannounced,
      })),
    );
    const reasoning = JSON.stringify(f.reasoning);
    for (const l of f.lines)
      rows.push({
        institution_id: k.id,
        day,
        age_group: l.ageGroup,
        diet: l.diet,
        enrolled: l.enrolled,
        notified: l.notified,
        expected_absent: l.expectedAbsent,
        forecast: l.order,
        correction: null,
        corrected_by: null,
        corrected_at: null,
        status: isFinal(k.id) ? 'final' : 'draft',
        reasoning,
        computed_at: at,
        actual: null,
      });
  }
  await repo.upsertOrders(rows);
  return todo.length;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

export function lineView(r: MealOrderRow): OrderLineView {
  return {
    ageGroup: r.age_group,
    diet: r.diet,
    enrolled: Number(r.enrolled),
    notified: Number(r.notified),
    expectedAbsent: Number(r.expected_absent),
    forecast: Number(r.forecast),
    correction: r.correction === null ? null : Number(r.correction),
    quantity: Number(r.correction ?? r.forecast),
    actual: r.actual === null ? null : Number(r.actual),
  };
}

/** The order of each kindergarten for `day`, brought up to date first (drafts are recomputed). */
export async function ordersFor(
  deps: OrderDeps,
  day: string,
  kgs: readonly InstitutionInfo[],
): Promise<OrderView[]> {
  await computeOrders(deps, day, kgs);
  const rows = await new AttendanceRepository(deps.db).orders(
    kgs.map((k) => k.id),
    day,
    day,
  );
  const byKg = groupBy(rows, (r) => r.institution_id);
  return kgs.map((k) => {
    const mine = byKg.get(k.id) ?? [];
    const lines = mine.map(lineView);
    return {
      institutionId: k.id,
      institutionName: k.name,
      day,
      status: mine.some((r) => r.status === 'final') ? 'final' : 'draft',
      cutoffAt: cutoffOf(day, deps.cutoffHour, k.timeZone).toISOString(),
      total: lines.reduce((s, l) => s + l.quantity, 0),
      lines,
      reasoning: mine[0] ? (JSON.parse(mine[0].reasoning) as Reasoning) : null,
    };
  });
}

/** Per kindergarten: the mean absolute percentage error of final orders against actual, last 30 days. */
export async function accuracy(
  db: Kysely<Database>,
  kgs: readonly InstitutionInfo[],
  today: string,
): Promise<Map<string, { mape: number | null; days: number }>> {
  const rows = await new AttendanceRepository(db).orders(
    kgs.map((k) => k.id),
    addDays(today, -30),
    addDays(today, -1),
  );
  const perDay = new Map<string, { kg: string; order: number; actual: number; complete: boolean }>();
  for (const r of rows) {
    const key = `${r.institution_id}|${r.day}`;
    const d = perDay.get(key) ?? { kg: r.institution_id, order: 0, actual: 0, complete: true };
    d.order += Number(r.correction ?? r.forecast);
    d.actual += Number(r.actual ?? 0);
    if (r.actual === null || r.status !== 'final') d.complete = false;
    perDay.set(key, d);
  }
  const out = new Map<string, { mape: number | null; days: number }>();
  for (const k of kgs) {
    const pairs = [...perDay.values()].filter((d) => d.kg === k.id && d.complete && d.actual > 0);
    out.set(k.id, { mape: mape(pairs), days: pairs.length });
  }
  return out;
}

/** The supplier's CSV: one line per kindergarten × age group × diet. */
export function supplierCsv(orders: readonly OrderView[]): string {
  const q = (s: string) => (/[",\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['day,kindergarten_id,kindergarten,age_group,diet,quantity,status'];
  for (const o of orders)
    for (const l of o.lines)
      lines.push(
        [o.day, o.institutionId, q(o.institutionName), l.ageGroup, l.diet, String(l.quantity), o.status].join(
          ',',
        ),
      );
  return lines.join('\r\n') + '\r\n';
}
