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
  const [children, marks, notices, doors] = await Promise.all([
    repo.enrolledBuckets(day, institutionIds),
    repo.markStatuses(institutionIds, day),
    repo.noticesCovering(institutionIds, day),
    repo.doorCounts(institutionIds, day, MORNING_WINDOW),
  ]);
  const markOf = new Map(marks.map((m) => [m.child_id, m]));
  const notified = new Set(notices.map((n) => n.child_id));
  const groups = new Map<string, GroupDayRow>();
  type KgDay = AttendanceDayRow & { marked: number };
  const kg = new Map<string, KgDay>();
  const actual = new Map<string, DayAggregate['actuals'][number]>();
  for (const c of children) {
    let g = groups.get(c.roomId);
    if (!g) {
      g = {
        room_id: c.roomId,
        day,
        institution_id: c.institutionId,
        enrolled: 0,
        present: 0,
        absent_notified: 0,
        absent_unannounced: 0,
        ill: 0,
        unmarked: 0,
        computed_at: computedAt,
      };
      groups.set(c.roomId, g);
    }
    let k: KgDay | undefined = kg.get(c.institutionId);
    if (!k) {
      const door = doors.get(c.institutionId);
      k = {
        institution_id: c.institutionId,
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
      kg.set(c.institutionId, k);
    }
    const key = `${c.institutionId}\u0000${c.ageGroup}\u0000${c.diet}`;
    let a = actual.get(key);
    if (!a) {
      a = { institutionId: c.institutionId, day, ageGroup: c.ageGroup, diet: c.diet, actual: 0 };
      actual.set(key, a);
    }
    g.enrolled++;
    k.enrolled++;
    const m = markOf.get(c.childId);
    if (m) k.marked++;
    if (m?.status === 'present') {
      g.present++;
      k.present++;
      a.actual++;
    } else if (notified.has(c.childId)) g.absent_notified++;
    else if (m?.status === 'absent') {
      g.absent_unannounced++;
      if (m.reason === 'ill') g.ill++;
    } else {
      g.unmarked++;
      k.unmarked++;
    }
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
