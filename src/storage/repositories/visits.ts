/**
 * Office visits (migration 0019, docs/design/office-visits.md): workplaces and their mode, visits and
 * the cameras that recorded them, flags, coverage days. All SQL of src/visits/ lives here.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { ViewingWindow, Weekday } from '../../policy/facts.js';
import type {
  CoverageDaysTable,
  Database,
  VisitCamerasTable,
  VisitFlagsTable,
  VisitsTable,
  WorkplaceMode,
} from '../schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export type VisitRow = VisitsTable;
export type VisitFlagRow = VisitFlagsTable;
export type CoverageDayRow = CoverageDaysTable;

export interface Workplace {
  roomId: string;
  name: string;
  institutionId: string;
  institutionName: string;
  regionId: string;
  timeZone: string;
  /** the stored mode; null: none stored (derived from the cameras' policy) */
  mode: WorkplaceMode | null;
}

export interface WorkplaceCamera {
  id: string;
  name: string;
  enabled: boolean;
  policy: 'off' | 'continuous' | 'schedule' | 'manual';
  updatedAt: string;
}

export class VisitsRepository {
  constructor(private readonly db: Db) {}

  with(db: Db): VisitsRepository {
    return new VisitsRepository(db);
  }

  private workplaceQuery() {
    return this.db
      .selectFrom('rooms')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .leftJoin('workplace_settings', 'workplace_settings.room_id', 'rooms.id')
      .select([
        'rooms.id as room_id',
        'rooms.name',
        'institutions.id as institution_id',
        'institutions.name as institution_name',
        'institutions.region_id',
        'institutions.time_zone',
        'workplace_settings.mode',
      ])
      .where('rooms.kind', '=', 'workplace')
      .where('institutions.kind', '=', 'office');
  }

  private static toWorkplace(r: {
    room_id: string;
    name: string;
    institution_id: string;
    institution_name: string;
    region_id: string;
    time_zone: string;
    mode: WorkplaceMode | null;
  }): Workplace {
    return {
      roomId: r.room_id,
      name: r.name,
      institutionId: r.institution_id,
      institutionName: r.institution_name,
      regionId: r.region_id,
      timeZone: r.time_zone,
      mode: r.mode,
    };
  }

  async workplace(roomId: string): Promise<Workplace | undefined> {
    const r = await this.workplaceQuery().where('rooms.id', '=', roomId).executeTakeFirst();
    return r ? VisitsRepository.toWorkplace(r) : undefined;
  }

  /** Office workplaces, optionally of some institutions only. */
  async workplaces(institutionIds?: readonly string[]): Promise<Workplace[]> {
    if (institutionIds && institutionIds.length === 0) return [];
    let q = this.workplaceQuery();
    if (institutionIds) q = q.where('institutions.id', 'in', [...institutionIds]);
    const rows = await q.orderBy('institutions.name').orderBy('rooms.name').execute();
    return rows.map((r) => VisitsRepository.toWorkplace(r));
  }

  async workplacesOfRooms(roomIds: readonly string[]): Promise<Workplace[]> {
    if (roomIds.length === 0) return [];
    const rows = await this.workplaceQuery()
      .where('rooms.id', 'in', [...roomIds])
      .execute();
    return rows.map((r) => VisitsRepository.toWorkplace(r));
  }

  async offices(): Promise<{ id: string; name: string; regionId: string; timeZone: string }[]> {
    const rows = await this.db
      .selectFrom('institutions')
      .select(['id', 'name', 'region_id', 'time_zone'])
      .where('kind', '=', 'office')
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, regionId: r.region_id, timeZone: r.time_zone }));
  }

  async cameras(roomIds: readonly string[]): Promise<Map<string, WorkplaceCamera[]>> {
    const out = new Map<string, WorkplaceCamera[]>();
    if (roomIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('cameras')
      .select(['id', 'room_id', 'name', 'enabled', 'recording_policy', 'updated_at'])
      .where('room_id', 'in', [...roomIds])
      .orderBy('name')
      .execute();
    for (const r of rows)
      out.set(r.room_id, [
        ...(out.get(r.room_id) ?? []),
        {
          id: r.id,
          name: r.name,
          enabled: r.enabled === 1,
          policy: r.recording_policy,
          updatedAt: r.updated_at,
        },
      ]);
    return out;
  }

  async setMode(roomId: string, mode: WorkplaceMode, by: string | null, atIso: string): Promise<void> {
    await this.db
      .insertInto('workplace_settings')
      .values({ room_id: roomId, mode, updated_by: by, updated_at: atIso })
      .onConflict((oc) => oc.column('room_id').doUpdateSet({ mode, updated_by: by, updated_at: atIso }))
      .execute();
  }

  async setCameraPolicies(
    roomId: string,
    policy: 'continuous' | 'schedule' | 'manual',
    atIso: string,
  ): Promise<void> {
    await this.db
      .updateTable('cameras')
      .set({ recording_policy: policy, updated_at: atIso })
      .where('room_id', '=', roomId)
      .execute();
  }

  /** Employees bound to a workplace room (role employee, room scope), and who is bound at its office. */
  async employees(roomIds: readonly string[]): Promise<{ roomId: string; personId: string; name: string }[]> {
    if (roomIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('role_bindings')
      .innerJoin('persons', 'persons.id', 'role_bindings.person_id')
      .select(['role_bindings.scope_id', 'persons.id', 'persons.display_name'])
      .where('role_bindings.role', '=', 'employee')
      .where('role_bindings.scope_kind', '=', 'room')
      .where('role_bindings.scope_id', 'in', [...roomIds])
      .where('persons.disabled', '=', 0)
      .orderBy('persons.display_name')
      .execute();
    return rows.map((r) => ({ roomId: r.scope_id, personId: r.id, name: r.display_name }));
  }

  async personNames(ids: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids.filter(Boolean))];
    if (unique.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('persons')
      .select(['id', 'display_name'])
      .where('id', 'in', unique)
      .execute();
    return new Map(rows.map((r) => [r.id, r.display_name]));
  }

  // ── visits ─────────────────────────────────────────────────────────────────────────────────────

  async insertVisit(row: VisitRow, cameras: readonly VisitCamerasTable[]): Promise<void> {
    await this.db.insertInto('visits').values(row).execute();
    if (cameras.length)
      await this.db
        .insertInto('visit_cameras')
        .values([...cameras])
        .execute();
  }

  visit(id: string): Promise<VisitRow | undefined> {
    return this.db.selectFrom('visits').selectAll().where('id', '=', id).executeTakeFirst();
  }

  openVisit(roomId: string): Promise<VisitRow | undefined> {
    return this.db
      .selectFrom('visits')
      .selectAll()
      .where('room_id', '=', roomId)
      .where('status', '=', 'open')
      .executeTakeFirst();
  }

  async openVisits(roomIds?: readonly string[]): Promise<VisitRow[]> {
    if (roomIds && roomIds.length === 0) return [];
    let q = this.db.selectFrom('visits').selectAll().where('status', '=', 'open');
    if (roomIds) q = q.where('room_id', 'in', [...roomIds]);
    return q.orderBy('started_at').execute();
  }

  async openVisitsStartedBefore(iso: string): Promise<VisitRow[]> {
    return this.db
      .selectFrom('visits')
      .selectAll()
      .where('status', '=', 'open')
      .where('started_at', '<', iso)
      .execute();
  }

  /** Closes an open visit; false when it was not open any more (closed concurrently). */
  async closeVisit(
    id: string,
    c: { endedAt: string; closedBy: string | null; postRollMs: number; autoClosed: boolean },
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('visits')
      .set({
        status: 'closed',
        ended_at: c.endedAt,
        closed_by: c.closedBy,
        post_roll_ms: c.postRollMs,
        auto_closed: c.autoClosed ? 1 : 0,
      })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async visitCameras(visitIds: readonly string[]): Promise<Map<string, VisitCamerasTable[]>> {
    const out = new Map<string, VisitCamerasTable[]>();
    if (visitIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('visit_cameras')
      .selectAll()
      .where('visit_id', 'in', [...visitIds])
      .execute();
    for (const r of rows) out.set(r.visit_id, [...(out.get(r.visit_id) ?? []), r]);
    return out;
  }

  /** Visits of the rooms that overlap [fromIso, toIso) (open ones count up to now). */
  async visitsOverlapping(
    filter: { roomIds?: readonly string[]; institutionIds?: readonly string[] },
    fromIso: string,
    toIso: string,
    limit = 5000,
  ): Promise<VisitRow[]> {
    if (filter.roomIds?.length === 0 || filter.institutionIds?.length === 0) return [];
    let q = this.db
      .selectFrom('visits')
      .selectAll()
      .where('started_at', '<', toIso)
      .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', fromIso)]));
    if (filter.roomIds) q = q.where('room_id', 'in', [...filter.roomIds]);
    if (filter.institutionIds) q = q.where('institution_id', 'in', [...filter.institutionIds]);
    return q.orderBy('started_at', 'desc').limit(limit).execute();
  }

  /** Visits started in [fromIso, toIso) at the institutions, for coverage and the daily rule. */
  async visitsStarted(
    institutionIds: readonly string[],
    fromIso: string,
    toIso: string,
  ): Promise<VisitRow[]> {
    if (institutionIds.length === 0) return [];
    return this.db
      .selectFrom('visits')
      .selectAll()
      .where('institution_id', 'in', [...institutionIds])
      .where('started_at', '>=', fromIso)
      .where('started_at', '<', toIso)
      .execute();
  }

  // ── flags ──────────────────────────────────────────────────────────────────────────────────────

  /** Inserts the flag unless one with its dedupe key exists; true when inserted. */
  async insertFlag(row: VisitFlagRow): Promise<boolean> {
    const r = await this.db
      .insertInto('visit_flags')
      .values(row)
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async setFlagAlert(id: string, alertId: string): Promise<void> {
    await this.db.updateTable('visit_flags').set({ alert_id: alertId }).where('id', '=', id).execute();
  }

  async flagKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('visit_flags')
      .select('dedupe_key')
      .where('dedupe_key', 'in', [...keys])
      .execute();
    return new Set(rows.map((r) => r.dedupe_key));
  }

  flag(id: string): Promise<VisitFlagRow | undefined> {
    return this.db.selectFrom('visit_flags').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async flags(
    institutionIds: readonly string[],
    f: { status?: 'open' | 'resolved' | undefined; visitId?: string | undefined; limit: number },
  ): Promise<VisitFlagRow[]> {
    if (institutionIds.length === 0) return [];
    let q = this.db
      .selectFrom('visit_flags')
      .selectAll()
      .where('institution_id', 'in', [...institutionIds]);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.visitId) q = q.where('visit_id', '=', f.visitId);
    return q.orderBy('started_at', 'desc').orderBy('id').limit(f.limit).execute();
  }

  async flaggedVisitIds(visitIds: readonly string[]): Promise<Set<string>> {
    if (visitIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('visit_flags')
      .select('visit_id')
      .where('visit_id', 'in', [...visitIds])
      .execute();
    return new Set(rows.map((r) => r.visit_id!).filter(Boolean));
  }

  async flagCounts(visitIds: readonly string[]): Promise<Map<string, number>> {
    if (visitIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('visit_flags')
      .select(['visit_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('visit_id', 'in', [...visitIds])
      .groupBy('visit_id')
      .execute();
    return new Map(rows.map((r) => [r.visit_id!, Number(r.n)]));
  }

  async resolveFlag(id: string, by: string, atIso: string, comment: string): Promise<boolean> {
    const r = await this.db
      .updateTable('visit_flags')
      .set({ status: 'resolved', resolved_at: atIso, resolved_by: by, resolution_comment: comment })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  // ── inputs of the rules ────────────────────────────────────────────────────────────────────────

  async schedules(roomIds: readonly string[]): Promise<Map<string, ViewingWindow[]>> {
    const out = new Map<string, ViewingWindow[]>();
    if (roomIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('recording_schedules')
      .select(['room_id', 'weekday', 'start_time', 'end_time'])
      .where('room_id', 'in', [...roomIds])
      .execute();
    for (const r of rows)
      out.set(r.room_id, [
        ...(out.get(r.room_id) ?? []),
        { weekday: r.weekday as Weekday, start: r.start_time, end: r.end_time },
      ]);
    return out;
  }

  async closedDays(institutionIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (institutionIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('closed_days')
      .select(['institution_id', 'day'])
      .where('institution_id', 'in', [...institutionIds])
      .execute();
    for (const r of rows) out.set(r.institution_id, [...(out.get(r.institution_id) ?? []), r.day]);
    return out;
  }

  /** Gaps of the cameras overlapping [fromIso, toIso). */
  async gaps(
    cameraIds: readonly string[],
    fromIso: string,
    toIso: string,
  ): Promise<
    {
      id: string;
      camera_id: string;
      start_at: string;
      end_at: string | null;
      cause: string;
      details: string | null;
    }[]
  > {
    if (cameraIds.length === 0) return [];
    return this.db
      .selectFrom('recording_gaps')
      .select(['id', 'camera_id', 'start_at', 'end_at', 'cause', 'details'])
      .where('camera_id', 'in', [...cameraIds])
      .where('start_at', '<', toIso)
      .where((eb) => eb.or([eb('end_at', 'is', null), eb('end_at', '>', fromIso)]))
      .orderBy('start_at')
      .execute();
  }

  /** Recorded spans of the cameras overlapping [fromIso, toIso) (from the segment index). */
  async segmentSpans(
    cameraIds: readonly string[],
    fromIso: string,
    toIso: string,
  ): Promise<{ camera_id: string; start_at: string; end_at: string }[]> {
    if (cameraIds.length === 0) return [];
    return this.db
      .selectFrom('recording_segments')
      .select(['camera_id', 'start_at', 'end_at'])
      .where('camera_id', 'in', [...cameraIds])
      .where('state', '=', 'ok')
      .where('start_at', '<', toIso)
      .where('end_at', '>', fromIso)
      .execute();
  }

  /** Camera outages overlapping [fromIso, toIso). */
  async outages(
    cameraIds: readonly string[],
    fromIso: string,
    toIso: string,
  ): Promise<
    { id: string; camera_id: string; started_at: string; ended_at: string | null; reason: string }[]
  > {
    if (cameraIds.length === 0) return [];
    return this.db
      .selectFrom('camera_outages')
      .select(['id', 'camera_id', 'started_at', 'ended_at', 'reason'])
      .where('camera_id', 'in', [...cameraIds])
      .where('started_at', '<', toIso)
      .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', fromIso)]))
      .execute();
  }

  // ── coverage ───────────────────────────────────────────────────────────────────────────────────

  async coverageRows(roomIds: readonly string[], days: readonly string[]): Promise<CoverageDayRow[]> {
    if (roomIds.length === 0 || days.length === 0) return [];
    return this.db
      .selectFrom('coverage_days')
      .selectAll()
      .where('room_id', 'in', [...roomIds])
      .where('day', 'in', [...days])
      .execute();
  }

  async upsertCoverage(row: CoverageDayRow): Promise<void> {
    await this.db
      .insertInto('coverage_days')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['room_id', 'day']).doUpdateSet({
          working_ms: row.working_ms,
          covered_ms: row.covered_ms,
          visits: row.visits,
          flagged_visits: row.flagged_visits,
          final: row.final,
          computed_at: row.computed_at,
        }),
      )
      .execute();
  }

  /** Coverage rows of the institutions in [fromDay, toDay] (inclusive), by day then room. */
  async coverage(
    institutionIds: readonly string[],
    fromDay: string,
    toDay: string,
  ): Promise<CoverageDayRow[]> {
    if (institutionIds.length === 0) return [];
    return this.db
      .selectFrom('coverage_days')
      .selectAll()
      .where('institution_id', 'in', [...institutionIds])
      .where('day', '>=', fromDay)
      .where('day', '<=', toDay)
      .orderBy('day')
      .orderBy('room_id')
      .execute();
  }

  /** Per employee and day: visits and visits with flags (for coverage by employee). */
  async visitsByEmployee(
    institutionIds: readonly string[],
    fromIso: string,
    toIso: string,
  ): Promise<{ employee_person_id: string | null; room_id: string; started_at: string; flagged: number }[]> {
    if (institutionIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('visits')
      .select([
        'visits.employee_person_id',
        'visits.room_id',
        'visits.started_at',
        sql<number>`(select count(*) from visit_flags f where f.visit_id = visits.id)`.as('flagged'),
      ])
      .where('visits.institution_id', 'in', [...institutionIds])
      .where('visits.started_at', '>=', fromIso)
      .where('visits.started_at', '<', toIso)
      .execute();
    return rows.map((r) => ({ ...r, flagged: Number(r.flagged) }));
  }
}
