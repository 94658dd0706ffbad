/**
 * A day's attendance, set-based over many kindergartens: per group the register (present, absent with
 * a parent's notice, absent unannounced, ill, not marked), per kindergarten the register against the
 * door's morning arrivals (flagged when they disagree), and the day's actual count on its meal-order
 * lines. Stored by the nightly job; computed without storing for today's live dashboard.
 */
import type { Kysely } from 'kysely';
import {
  AttendanceRepository,
  type AttendanceDayRow,
  type GroupDayRow,
} from '../storage/repositories/attendance.js';
import type { AgeGroup, Database } from '../storage/schema.js';
import { disagrees, MORNING_WINDOW } from './days.js';

export interface DayAggregate {
  groups: GroupDayRow[];
  days: AttendanceDayRow[];
  actuals: { institutionId: string; day: string; ageGroup: AgeGroup; diet: string; actual: number }[];
}

export async function computeDay(
  db: Kysely<Database>,
  day: string,
  institutionIds: readonly string[],
  computedAt: string,
): Promise<DayAggregate> {
  const repo = new AttendanceRepository(db);
  const [buckets, doors] = await Promise.all([
    repo.bucketCounts(day, institutionIds, { marks: true }),
    repo.doorCounts(institutionIds, day, MORNING_WINDOW),
  ]);
  const groups = new Map<string, GroupDayRow>();
  type KgDay = AttendanceDayRow & { marked: number };
  const kg = new Map<string, KgDay>();
  const actual = new Map<string, DayAggregate['actuals'][number]>();
  // The database counted each kindergarten × group × age group × diet (bucketCounts); summed here.
  for (const b of buckets) {
    let g = groups.get(b.roomId);
    if (!g) {
      g = {
        room_id: b.roomId,
        day,
        institution_id: b.institutionId,
        enrolled: 0,
        present: 0,
        absent_notified: 0,
        absent_unannounced: 0,
        ill: 0,
        unmarked: 0,
        computed_at: computedAt,
      };
      groups.set(b.roomId, g);
    }
    let k: KgDay | undefined = kg.get(b.institutionId);
    if (!k) {
      const door = doors.get(b.institutionId);
      k = {
        institution_id: b.institutionId,
        day,
        enrolled: 0,
        present: 0,
        unmarked: 0,
        door_arrivals: door ? door.arrivals : null,
        door_departures: door ? door.departures : null,
        flagged: 0,
        computed_at: computedAt,
        marked: 0,
      };
      kg.set(b.institutionId, k);
    }
    const key = `${b.institutionId}\u0000${b.ageGroup}\u0000${b.diet}`;
    let a = actual.get(key);
    if (!a) {
      a = { institutionId: b.institutionId, day, ageGroup: b.ageGroup, diet: b.diet, actual: 0 };
      actual.set(key, a);
    }
    g.enrolled += b.enrolled;
    g.present += b.present;
    g.absent_notified += b.absentNotified;
    g.absent_unannounced += b.absentUnannounced;
    g.ill += b.ill;
    g.unmarked += b.unmarked;
    k.enrolled += b.enrolled;
    k.present += b.present;
    k.unmarked += b.unmarked;
    k.marked += b.marked;
    a.actual += b.present;
  }
  // A day without a register (a weekend, a closed day, not yet marked) is not history.
  const kept = [...kg.values()].filter((k) => k.marked > 0 || (k.door_arrivals ?? 0) > 0);
  const keptIds = new Set(kept.filter((k) => k.marked > 0).map((k) => k.institution_id));
  return {
    groups: [...groups.values()].filter((g) => keptIds.has(g.institution_id)),
    days: kept.map(({ marked, ...k }) => ({
      ...k,
      flagged: marked > 0 && disagrees(k.door_arrivals, k.present) ? 1 : 0,
    })),
    actuals: [...actual.values()].filter((a) => keptIds.has(a.institutionId)),
  };
}

export async function storeDay(db: Kysely<Database>, agg: DayAggregate): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const repo = new AttendanceRepository(trx);
    await repo.upsertGroupDays(agg.groups);
    await repo.upsertDays(agg.days);
    await repo.setActuals(agg.actuals);
  });
}
