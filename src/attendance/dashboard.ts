/**
 * The education department's dashboard over the kindergartens in the caller's reach: attendance rate by
 * day and kindergarten (today live from the register and the door, earlier days from the nightly
 * aggregates), the days where door counts and registers disagree, meal orders against actual
 * attendance, the forecast's accuracy (MAPE over 30 days) and tomorrow's orders.
 */
import type { Kysely } from 'kysely';
import { addDays, isLocalDate } from '../policy/local-time.js';
import type { Principal } from '../domain/scope.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import {
  AttendanceRepository,
  type AttendanceDayRow,
  type InstitutionInfo,
} from '../storage/repositories/attendance.js';
import type { Database } from '../storage/schema.js';
import { kindergartensInReach } from './access.js';
import { computeDay } from './aggregate.js';
import { localToday } from './days.js';
import { accuracy, ordersFor } from './orders.js';

export interface DashboardDeps {
  db: Kysely<Database>;
  clock: Clock;
  cutoffHour: number;
}

export interface KindergartenDay {
  institutionId: string;
  day: string;
  enrolled: number;
  present: number;
  unmarked: number;
  doorArrivals: number | null;
  flagged: boolean;
}

export interface Dashboard {
  from: string;
  to: string;
  today: string;
  tomorrow: string;
  kindergartens: {
    id: string;
    name: string;
    today: KindergartenDay | null;
    mape30: number | null;
    mapeDays: number;
    tomorrowOrder: { total: number; status: 'draft' | 'final'; cutoffAt: string };
  }[];
  /** all kindergartens together, per day: the chart */
  days: {
    day: string;
    enrolled: number;
    present: number;
    rate: number | null;
    ordered: number | null;
    actual: number | null;
  }[];
  perKindergarten: KindergartenDay[];
  disagreements: (KindergartenDay & { name: string; difference: number })[];
}

const MAX_RANGE_DAYS = 92;

const dayView = (r: AttendanceDayRow): KindergartenDay => ({
  institutionId: r.institution_id,
  day: r.day,
  enrolled: Number(r.enrolled),
  present: Number(r.present),
  unmarked: Number(r.unmarked),
  doorArrivals: r.door_arrivals === null ? null : Number(r.door_arrivals),
  flagged: Number(r.flagged) === 1,
});

export async function dashboard(
  deps: DashboardDeps,
  p: Principal,
  range: { from?: string | undefined; to?: string | undefined },
): Promise<Dashboard> {
  const kgs = await kindergartensInReach(deps.db, p, 'attendance');
  const nowMs = deps.clock.now().getTime();
  const zone = kgs[0]?.timeZone ?? 'Europe/Moscow';
  const today = localToday(nowMs, zone);
  const tomorrow = addDays(today, 1);
  const to = range.to ?? today;
  const from = range.from ?? addDays(to, -29);
  if (!isLocalDate(from) || !isLocalDate(to) || from > to || addDays(from, MAX_RANGE_DAYS) < to)
    throw new AppError(
      'validation_failed',
      `from and to are days (YYYY-MM-DD), at most ${MAX_RANGE_DAYS} days apart`,
    );
  const repo = new AttendanceRepository(deps.db);
  const ids = kgs.map((k) => k.id);
  const stored = (await repo.days(ids, from, to)).filter((r) => r.day !== today).map(dayView);
  // Today: live, not yet aggregated.
  const live: KindergartenDay[] = [];
  if (from <= today && today <= to && kgs.length > 0) {
    const byZone = new Map<string, InstitutionInfo[]>();
    for (const k of kgs) byZone.set(k.timeZone, [...(byZone.get(k.timeZone) ?? []), k]);
    for (const [z, list] of byZone) {
      const d = localToday(nowMs, z);
      const agg = await computeDay(
        deps.db,
        d,
        list.map((k) => k.id),
        new Date(nowMs).toISOString(),
      );
      live.push(...agg.days.map(dayView));
    }
  }
  const perKindergarten = [...stored, ...live].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const orders = await repo.orders(ids, from, to);
  const days = new Map<string, Dashboard['days'][number]>();
  for (const d of perKindergarten) {
    const x = days.get(d.day) ?? {
      day: d.day,
      enrolled: 0,
      present: 0,
      rate: null,
      ordered: null,
      actual: null,
    };
    x.enrolled += d.enrolled;
    x.present += d.present;
    x.rate = x.enrolled > 0 ? Math.round((x.present / x.enrolled) * 1000) / 10 : null;
    days.set(d.day, x);
  }
  for (const o of orders) {
    const x = days.get(o.day);
    if (!x || o.status !== 'final') continue;
    x.ordered = (x.ordered ?? 0) + Number(o.correction ?? o.forecast);
    if (o.actual !== null) x.actual = (x.actual ?? 0) + Number(o.actual);
  }
  const names = new Map(kgs.map((k) => [k.id, k.name]));
  const acc = await accuracy(deps.db, kgs, today);
  const tomorrowOrders = await ordersFor(deps, tomorrow, kgs);
  return {
    from,
    to,
    today,
    tomorrow,
    kindergartens: kgs.map((k) => {
      const o = tomorrowOrders.find((x) => x.institutionId === k.id)!;
      return {
        id: k.id,
        name: k.name,
        today: live.find((d) => d.institutionId === k.id) ?? null,
        mape30: acc.get(k.id)?.mape ?? null,
        mapeDays: acc.get(k.id)?.days ?? 0,
        tomorrowOrder: { total: o.total, status: o.status, cutoffAt: o.cutoffAt },
      };
    }),
    days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1)),
    perKindergarten,
    disagreements: perKindergarten
      .filter((d) => d.flagged)
      .map((d) => ({
        ...d,
        name: names.get(d.institutionId) ?? '',
        difference: (d.doorArrivals ?? 0) - d.present,
      }))
      .reverse(),
  };
}
