/**
 * Attendance (migration 0017): the register, parents' notices, daily aggregates, meal orders and the
 * leases of scheduled work. Queries that feed the nightly work are set-based over many kindergartens
 * (a few statements per run, not per kindergarten).
 */
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type {
  AbsenceNoticesTable,
  AgeGroup,
  AttendanceDaysTable,
  AttendanceGroupDaysTable,
  Database,
  MealOrdersTable,
  RegisterMarksTable,
} from '../schema.js';
import { chunked } from './chunks.js';

export type RegisterMarkRow = RegisterMarksTable;
export type AbsenceNoticeRow = AbsenceNoticesTable;
export type GroupDayRow = AttendanceGroupDaysTable;
export type AttendanceDayRow = AttendanceDaysTable;
export type MealOrderRow = MealOrdersTable;

export interface EnrolledChild {
  childId: string;
  fullName: string;
  institutionId: string;
  roomId: string;
  ageGroup: AgeGroup;
  diet: string;
}

export type ForecastHistoryRow = Pick<
  GroupDayRow,
  'institution_id' | 'room_id' | 'day' | 'enrolled' | 'absent_notified' | 'absent_unannounced'
>;

/** Children of one kindergarten × group × age group × diet on a day (bucketCounts). */
export interface BucketCount {
  institutionId: string;
  roomId: string;
  ageGroup: AgeGroup;
  diet: string;
  enrolled: number;
  notified: number;
  present: number;
  marked: number;
  absentNotified: number;
  absentUnannounced: number;
  ill: number;
  unmarked: number;
}

export interface InstitutionInfo {
  id: string;
  name: string;
  regionId: string;
  timeZone: string;
}

const num = (v: unknown): number => Number(v ?? 0);

export class AttendanceRepository {
  constructor(private readonly db: Kysely<Database>) {}

  // ── places ────────────────────────────────────────────────────────────────────────────────────────
  async kindergartens(
    filter: { regionIds?: readonly string[]; ids?: readonly string[] } = {},
  ): Promise<InstitutionInfo[]> {
    let q = this.db
      .selectFrom('institutions')
      .select(['id', 'name', 'region_id', 'time_zone'])
      .where('kind', '=', 'kindergarten');
    if (filter.regionIds) {
      if (filter.regionIds.length === 0) return [];
      q = q.where('region_id', 'in', filter.regionIds);
    }
    if (filter.ids) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    const rows = await q.orderBy('name').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, regionId: r.region_id, timeZone: r.time_zone }));
  }

  async timeZone(institutionId: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('institutions')
      .select('time_zone')
      .where('id', '=', institutionId)
      .executeTakeFirst();
    return r?.time_zone;
  }

  groupRooms(
    institutionIds: readonly string[],
  ): Promise<{ id: string; name: string; institution_id: string }[]> {
    if (institutionIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('rooms')
      .select(['id', 'name', 'institution_id'])
      .where('kind', '=', 'group')
      .where('institution_id', 'in', institutionIds)
      .orderBy('name')
      .execute();
  }

  room(
    roomId: string,
  ): Promise<{ id: string; name: string; institution_id: string; kind: string } | undefined> {
    return this.db
      .selectFrom('rooms')
      .select(['id', 'name', 'institution_id', 'kind'])
      .where('id', '=', roomId)
      .executeTakeFirst();
  }

  // ── enrolment ─────────────────────────────────────────────────────────────────────────────────────
  /** Children enrolled on `day` in group rooms of these kindergartens (or of one room). */
  async enrolled(
    day: string,
    where: { institutionIds?: readonly string[]; roomId?: string },
  ): Promise<EnrolledChild[]> {
    const run = async (ids: readonly string[] | undefined) => {
      let q = this.db
        .selectFrom('enrolments as e')
        .innerJoin('children as c', 'c.id', 'e.child_id')
        .innerJoin('rooms as r', 'r.id', 'e.room_id')
        .select(['c.id', 'c.full_name', 'c.institution_id', 'e.room_id', 'c.age_group', 'c.diet'])
        .where('r.kind', '=', 'group')
        .where('e.start_date', '<=', day)
        .where((eb) => eb.or([eb('e.end_date', 'is', null), eb('e.end_date', '>=', day)]));
      if (ids) q = q.where('c.institution_id', 'in', ids);
      if (where.roomId) q = q.where('e.room_id', '=', where.roomId);
      const rows = await q.orderBy('c.full_name').orderBy('c.id').execute();
      return rows.map((r) => ({
        childId: r.id,
        fullName: r.full_name,
        institutionId: r.institution_id,
        roomId: r.room_id,
        ageGroup: r.age_group ?? 'kindergarten',
        diet: r.diet ?? 'standard',
      }));
    };
    if (!where.institutionIds) return run(undefined);
    const out: EnrolledChild[] = [];
    for (const part of chunked(where.institutionIds)) out.push(...(await run(part)));
    return out;
  }

  /**
   * Per kindergarten × group room × age group × diet, the children enrolled on `day` and what the
   * register and the parents' notices say of them — counted by the database (one statement per chunk
   * of kindergartens), so that 160,000 children never travel to the process one row each.
   * - notified: a notice covers the day (not cancelled; made before `noticesBefore` when given);
   * - present: marked present; marked: marked at all (only with `marks`);
   * - absentNotified: not present and notified; absentUnannounced: marked absent, not notified
   *   (ill: of them, for illness); unmarked: neither marked nor notified.
   */
  async bucketCounts(
    day: string,
    institutionIds: readonly string[],
    opts: { marks: boolean; noticesBefore?: string | undefined },
  ): Promise<BucketCount[]> {
    const out: BucketCount[] = [];
    const one = (cond: Expression<SqlBool>) => sql<number>`sum(case when ${cond} then 1 else 0 end)`;
    for (const part of chunked(institutionIds)) {
      let notices = this.db
        .selectFrom('absence_notices')
        .select('child_id')
        .distinct()
        .where('from_day', '<=', day)
        .where('to_day', '>=', day)
        .where('cancelled_at', 'is', null);
      if (opts.noticesBefore) notices = notices.where('created_at', '<', opts.noticesBefore);
      const base = this.db
        .selectFrom('children as c')
        .innerJoin('enrolments as e', 'e.child_id', 'c.id')
        .innerJoin('rooms as r', 'r.id', 'e.room_id')
        .leftJoin(notices.as('n'), 'n.child_id', 'c.id')
        .where('c.institution_id', 'in', part)
        .where('r.kind', '=', 'group')
        .where('e.start_date', '<=', day)
        .where((eb) => eb.or([eb('e.end_date', 'is', null), eb('e.end_date', '>=', day)]))
        .groupBy(['c.institution_id', 'e.room_id', 'c.age_group', 'c.diet'])
        .select((eb) => [
          'c.institution_id',
          'e.room_id',
          'c.age_group',
          'c.diet',
          eb.fn.countAll<number>().as('enrolled'),
          one(eb('n.child_id', 'is not', null)).as('notified'),
        ]);
      const rows = opts.marks
        ? await base
            .leftJoin('register_marks as m', (j) => j.onRef('m.child_id', '=', 'c.id').on('m.day', '=', day))
            .select((eb) => {
              const notified = eb('n.child_id', 'is not', null);
              const notNotified = eb('n.child_id', 'is', null);
              const absent = eb('m.status', '=', 'absent');
              return [
                one(eb('m.status', '=', 'present')).as('present'),
                one(eb('m.child_id', 'is not', null)).as('marked'),
                one(
                  eb.and([eb.or([eb('m.status', 'is', null), eb('m.status', '<>', 'present')]), notified]),
                ).as('absent_notified'),
                one(eb.and([absent, notNotified])).as('absent_unannounced'),
                one(eb.and([absent, eb('m.reason', '=', 'ill'), notNotified])).as('ill'),
                one(eb.and([eb('m.child_id', 'is', null), notNotified])).as('unmarked'),
              ];
            })
            .execute()
        : await base.execute();
      for (const r of rows) {
        const x = r as typeof r &
          Partial<
            Record<
              'present' | 'marked' | 'absent_notified' | 'absent_unannounced' | 'ill' | 'unmarked',
              unknown
            >
          >;
        out.push({
          institutionId: r.institution_id,
          roomId: r.room_id,
          ageGroup: r.age_group ?? 'kindergarten',
          diet: r.diet ?? 'standard',
          enrolled: num(r.enrolled),
          notified: num(r.notified),
          present: num(x.present),
          marked: num(x.marked),
          absentNotified: num(x.absent_notified),
          absentUnannounced: num(x.absent_unannounced),
          ill: num(x.ill),
          unmarked: num(x.unmarked),
        });
      }
    }
    return out;
  }

  /** The group room a child is enrolled in on `day`, with the child's kindergarten. */
  enrolmentOf(
    childId: string,
    day: string,
  ): Promise<{ room_id: string; institution_id: string; full_name: string } | undefined> {
    return this.db
      .selectFrom('enrolments as e')
      .innerJoin('children as c', 'c.id', 'e.child_id')
      .select(['e.room_id', 'c.institution_id', 'c.full_name'])
      .where('e.child_id', '=', childId)
      .where('e.start_date', '<=', day)
      .where((eb) => eb.or([eb('e.end_date', 'is', null), eb('e.end_date', '>=', day)]))
      .executeTakeFirst();
  }

  child(childId: string): Promise<{ id: string; institution_id: string; full_name: string } | undefined> {
    return this.db
      .selectFrom('children')
      .select(['id', 'institution_id', 'full_name'])
      .where('id', '=', childId)
      .executeTakeFirst();
  }

  async setMealProfile(childId: string, ageGroup: AgeGroup, diet: string, at: string): Promise<void> {
    await sql`update children set age_group = ${ageGroup}, diet = ${diet}, updated_at = ${at} where id = ${childId}`.execute(
      this.db,
    );
  }

  async isVerifiedGuardian(personId: string, childId: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('guardian_links')
      .select('id')
      .where('person_id', '=', personId)
      .where('child_id', '=', childId)
      .where('verified', '=', 1)
      .executeTakeFirst();
    return r !== undefined;
  }

  guardedChildren(personId: string): Promise<{ id: string; full_name: string; institution_id: string }[]> {
    return this.db
      .selectFrom('guardian_links as g')
      .innerJoin('children as c', 'c.id', 'g.child_id')
      .select(['c.id', 'c.full_name', 'c.institution_id'])
      .where('g.person_id', '=', personId)
      .where('g.verified', '=', 1)
      .orderBy('c.full_name')
      .execute();
  }

  // ── register ──────────────────────────────────────────────────────────────────────────────────────
  marks(where: {
    roomId?: string;
    institutionIds?: readonly string[];
    day: string;
  }): Promise<RegisterMarkRow[]> {
    let q = this.db.selectFrom('register_marks').selectAll().where('day', '=', where.day);
    if (where.roomId) q = q.where('room_id', '=', where.roomId);
    if (where.institutionIds) {
      if (where.institutionIds.length === 0) return Promise.resolve([]);
      q = q.where('institution_id', 'in', where.institutionIds);
    }
    return q.execute();
  }

  async marksFor(institutionIds: readonly string[], day: string): Promise<RegisterMarkRow[]> {
    const out: RegisterMarkRow[] = [];
    for (const part of chunked(institutionIds))
      out.push(...(await this.marks({ institutionIds: part, day })));
    return out;
  }

  /**
   * Writes marks; a mark made earlier (by its own clock) than the stored one for the same child and day
   * loses, so a phone syncing an old queue never overwrites a newer mark. Returns the marks kept.
   */
  async upsertMarks(rows: readonly RegisterMarkRow[]): Promise<number> {
    let kept = 0;
    for (const row of rows) {
      const r = await this.db
        .insertInto('register_marks')
        .values(row)
        .onConflict((oc) =>
          oc
            .columns(['child_id', 'day'])
            .doUpdateSet((eb) => ({
              status: eb.ref('excluded.status'),
              reason: eb.ref('excluded.reason'),
              marked_at: eb.ref('excluded.marked_at'),
              marked_by: eb.ref('excluded.marked_by'),
              synced_at: eb.ref('excluded.synced_at'),
              room_id: eb.ref('excluded.room_id'),
            }))
            .where('register_marks.marked_at', '<=', (eb) => eb.ref('excluded.marked_at')),
        )
        .executeTakeFirst();
      kept += Number(r.numInsertedOrUpdatedRows ?? 0n);
    }
    return kept;
  }

  // ── notices ───────────────────────────────────────────────────────────────────────────────────────
  async insertNotice(row: AbsenceNoticeRow): Promise<void> {
    await this.db.insertInto('absence_notices').values(row).execute();
  }

  notice(id: string): Promise<AbsenceNoticeRow | undefined> {
    return this.db.selectFrom('absence_notices').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async cancelNotice(id: string, at: string): Promise<void> {
    await this.db.updateTable('absence_notices').set({ cancelled_at: at }).where('id', '=', id).execute();
  }

  noticesOfChildren(childIds: readonly string[], fromDay: string): Promise<AbsenceNoticeRow[]> {
    if (childIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('absence_notices')
      .selectAll()
      .where('child_id', 'in', childIds)
      .where('to_day', '>=', fromDay)
      .where('cancelled_at', 'is', null)
      .orderBy('from_day')
      .execute();
  }

  /** Notices covering `day` in these kindergartens, optionally only those made before an instant. */
  async noticesCovering(
    institutionIds: readonly string[],
    day: string,
    createdBefore?: string,
  ): Promise<AbsenceNoticeRow[]> {
    const out: AbsenceNoticeRow[] = [];
    for (const part of chunked(institutionIds)) {
      let q = this.db
        .selectFrom('absence_notices')
        .selectAll()
        .where('institution_id', 'in', part)
        .where('from_day', '<=', day)
        .where('to_day', '>=', day)
        .where('cancelled_at', 'is', null);
      if (createdBefore) q = q.where('created_at', '<', createdBefore);
      out.push(...(await q.execute()));
    }
    return out;
  }

  // ── door events ───────────────────────────────────────────────────────────────────────────────────
  async doorCounts(
    institutionIds: readonly string[],
    day: string,
    morning: { fromMinute: number; toMinute: number },
  ): Promise<Map<string, { arrivals: number; departures: number }>> {
    const out = new Map<string, { arrivals: number; departures: number }>();
    for (const part of chunked(institutionIds)) {
      const rows = await this.db
        .selectFrom('attendance_events')
        .select((eb) => [
          'institution_id',
          eb.fn
            .sum<number>(
              eb
                .case()
                .when(
                  eb.and([
                    eb('direction', '=', 'in'),
                    eb('local_minute', '>=', morning.fromMinute),
                    eb('local_minute', '<', morning.toMinute),
                  ]),
                )
                .then(eb.ref('count'))
                .else(0)
                .end(),
            )
            .as('arrivals'),
          eb.fn
            .sum<number>(eb.case().when('direction', '=', 'out').then(eb.ref('count')).else(0).end())
            .as('departures'),
        ])
        .where('institution_id', 'in', part)
        .where('local_day', '=', day)
        .groupBy('institution_id')
        .execute();
      for (const r of rows)
        out.set(r.institution_id, { arrivals: num(r.arrivals), departures: num(r.departures) });
    }
    return out;
  }

  /** (kindergarten, day) pairs with door events received after an instant: late events to re-count. */
  daysWithEventsReceivedAfter(at: string): Promise<{ institution_id: string; local_day: string }[]> {
    return this.db
      .selectFrom('attendance_events')
      .select(['institution_id', 'local_day'])
      .where('received_at', '>', at)
      .groupBy(['institution_id', 'local_day'])
      .execute();
  }

  // ── aggregates ────────────────────────────────────────────────────────────────────────────────────
  async upsertGroupDays(rows: readonly GroupDayRow[]): Promise<void> {
    for (const part of chunked(rows, 300))
      await this.db
        .insertInto('attendance_group_days')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['room_id', 'day']).doUpdateSet((eb) => ({
            institution_id: eb.ref('excluded.institution_id'),
            enrolled: eb.ref('excluded.enrolled'),
            present: eb.ref('excluded.present'),
            absent_notified: eb.ref('excluded.absent_notified'),
            absent_unannounced: eb.ref('excluded.absent_unannounced'),
            ill: eb.ref('excluded.ill'),
            unmarked: eb.ref('excluded.unmarked'),
            computed_at: eb.ref('excluded.computed_at'),
          })),
        )
        .execute();
  }

  async upsertDays(rows: readonly AttendanceDayRow[]): Promise<void> {
    for (const part of chunked(rows, 300))
      await this.db
        .insertInto('attendance_days')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['institution_id', 'day']).doUpdateSet((eb) => ({
            enrolled: eb.ref('excluded.enrolled'),
            present: eb.ref('excluded.present'),
            unmarked: eb.ref('excluded.unmarked'),
            door_arrivals: eb.ref('excluded.door_arrivals'),
            door_departures: eb.ref('excluded.door_departures'),
            flagged: eb.ref('excluded.flagged'),
            computed_at: eb.ref('excluded.computed_at'),
          })),
        )
        .execute();
  }

  async groupHistory(
    institutionIds: readonly string[],
    fromDay: string,
    beforeDay: string,
  ): Promise<GroupDayRow[]> {
    const out: GroupDayRow[] = [];
    for (const part of chunked(institutionIds))
      out.push(
        ...(await this.db
          .selectFrom('attendance_group_days')
          .selectAll()
          .where('institution_id', 'in', part)
          .where('day', '>=', fromDay)
          .where('day', '<', beforeDay)
          .execute()),
      );
    return out;
  }

  /** The group-days the forecast learns from: only its columns (a covering index scan, 0022). */
  async forecastHistory(
    institutionIds: readonly string[],
    fromDay: string,
    beforeDay: string,
  ): Promise<ForecastHistoryRow[]> {
    const out: ForecastHistoryRow[] = [];
    for (const part of chunked(institutionIds))
      out.push(
        ...(await this.db
          .selectFrom('attendance_group_days')
          .select(['institution_id', 'room_id', 'day', 'enrolled', 'absent_notified', 'absent_unannounced'])
          .where('institution_id', 'in', part)
          .where('day', '>=', fromDay)
          .where('day', '<', beforeDay)
          .execute()),
      );
    return out;
  }

  async days(institutionIds: readonly string[], fromDay: string, toDay: string): Promise<AttendanceDayRow[]> {
    const out: AttendanceDayRow[] = [];
    for (const part of chunked(institutionIds))
      out.push(
        ...(await this.db
          .selectFrom('attendance_days')
          .selectAll()
          .where('institution_id', 'in', part)
          .where('day', '>=', fromDay)
          .where('day', '<=', toDay)
          .orderBy('day')
          .execute()),
      );
    return out;
  }

  /** The latest day before `day` with a register aggregate, per kindergarten (its last school day). */
  async lastAggregatedDay(
    institutionIds: readonly string[],
    beforeDay: string,
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunked(institutionIds)) {
      const rows = await this.db
        .selectFrom('attendance_days')
        .select((eb) => ['institution_id', eb.fn.max('day').as('day')])
        .where('institution_id', 'in', part)
        .where('day', '<', beforeDay)
        .where('present', '>', 0)
        .groupBy('institution_id')
        .execute();
      for (const r of rows) if (r.day) out.set(r.institution_id, String(r.day));
    }
    return out;
  }

  // ── meal orders ───────────────────────────────────────────────────────────────────────────────────
  async orders(institutionIds: readonly string[], fromDay: string, toDay: string): Promise<MealOrderRow[]> {
    const out: MealOrderRow[] = [];
    for (const part of chunked(institutionIds))
      out.push(
        ...(await this.db
          .selectFrom('meal_orders')
          .selectAll()
          .where('institution_id', 'in', part)
          .where('day', '>=', fromDay)
          .where('day', '<=', toDay)
          .orderBy('day')
          .orderBy('age_group')
          .orderBy('diet')
          .execute()),
      );
    return out;
  }

  /**
   * Writes forecasts. A final line is never changed; a draft keeps its correction. Lines of a draft
   * order whose bucket is now empty are removed.
   */
  async upsertOrders(rows: readonly MealOrderRow[]): Promise<void> {
    for (const part of chunked(rows, 200))
      await this.db
        .insertInto('meal_orders')
        .values(part)
        .onConflict((oc) =>
          oc
            .columns(['institution_id', 'day', 'age_group', 'diet'])
            .doUpdateSet((eb) => ({
              enrolled: eb.ref('excluded.enrolled'),
              notified: eb.ref('excluded.notified'),
              expected_absent: eb.ref('excluded.expected_absent'),
              forecast: eb.ref('excluded.forecast'),
              status: eb.ref('excluded.status'),
              reasoning: eb.ref('excluded.reasoning'),
              computed_at: eb.ref('excluded.computed_at'),
            }))
            .where('meal_orders.status', '=', 'draft'),
        )
        .execute();
  }

  async finalizedInstitutions(institutionIds: readonly string[], day: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunked(institutionIds)) {
      const rows = await this.db
        .selectFrom('meal_orders')
        .select('institution_id')
        .distinct()
        .where('institution_id', 'in', part)
        .where('day', '=', day)
        .where('status', '=', 'final')
        .execute();
      for (const r of rows) out.add(r.institution_id);
    }
    return out;
  }

  async correctOrder(
    key: { institutionId: string; day: string; ageGroup: AgeGroup; diet: string },
    quantity: number | null,
    by: string,
    at: string,
  ): Promise<number> {
    const r = await this.db
      .updateTable('meal_orders')
      .set({ correction: quantity, corrected_by: by, corrected_at: at })
      .where('institution_id', '=', key.institutionId)
      .where('day', '=', key.day)
      .where('age_group', '=', key.ageGroup)
      .where('diet', '=', key.diet)
      .where('status', '=', 'draft')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Records the day's actual attendance (register "present") on its order lines. */
  async setActuals(
    rows: readonly { institutionId: string; day: string; ageGroup: AgeGroup; diet: string; actual: number }[],
  ): Promise<void> {
    for (const r of rows)
      await this.db
        .updateTable('meal_orders')
        .set({ actual: r.actual })
        .where('institution_id', '=', r.institutionId)
        .where('day', '=', r.day)
        .where('age_group', '=', r.ageGroup)
        .where('diet', '=', r.diet)
        .execute();
  }

  // ── the job's watermark (its lease is a generic one: src/storage/lease.ts) ────────────────────────
  /** A watermark kept in the lease table (a row that is never a lease): e.g. the last aggregation. */
  async watermark(name: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('attendance_job_leases')
      .select('expires_at')
      .where('name', '=', name)
      .executeTakeFirst();
    return r?.expires_at;
  }

  async setWatermark(name: string, value: string): Promise<void> {
    await this.db
      .insertInto('attendance_job_leases')
      .values({ name, holder: 'watermark', expires_at: value })
      .onConflict((oc) => oc.column('name').doUpdateSet({ expires_at: value }))
      .execute();
  }
}
