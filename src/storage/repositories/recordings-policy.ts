/**
 * What decides recording and retention: cameras with a recording policy, the rooms' working hours
 * (recording_schedules), closed days, manual sessions (visits), retention per institution and room
 * kind, ring-buffer settings and legal holds; plus the playback views and exports made from them.
 */
import type { Kysely, Transaction } from 'kysely';
import type {
  Database,
  LegalHoldsTable,
  RecordingExportsTable,
  RecordingManualSessionsTable,
  RecordingViewsTable,
} from '../schema.js';
import type { ViewingWindow, Weekday } from '../../policy/facts.js';
import { newId } from '../../shared/ids.js';

export type RecordingPolicy = 'off' | 'continuous' | 'schedule' | 'manual';
export type RoomKind = 'group' | 'workplace' | 'entrance' | 'hall';

export interface RecordingCamera {
  cameraId: string;
  name: string;
  enabled: boolean;
  policy: RecordingPolicy;
  roomId: string;
  roomKind: RoomKind;
  institutionId: string;
  timeZone: string;
  ringBuffer: boolean;
  /** A workplace in mode `both` (docs/design/office-visits.md): visits outside working hours record too. */
  visitsAlso: boolean;
}

export type ManualSessionRow = RecordingManualSessionsTable;
export type HoldRow = LegalHoldsTable;
export type ViewRow = RecordingViewsTable;
export type ExportRow = RecordingExportsTable;

type Db = Kysely<Database> | Transaction<Database>;

export class RecordingPolicyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private cameraQuery() {
    return this.db
      .selectFrom('cameras')
      .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .leftJoin('recording_camera_settings', 'recording_camera_settings.camera_id', 'cameras.id')
      .leftJoin('workplace_settings', 'workplace_settings.room_id', 'rooms.id')
      .select([
        'workplace_settings.mode as workplace_mode',
        'cameras.id',
        'cameras.name',
        'cameras.enabled',
        'cameras.recording_policy',
        'rooms.id as room_id',
        'rooms.kind as room_kind',
        'institutions.id as institution_id',
        'institutions.time_zone',
        'recording_camera_settings.ring_buffer',
      ]);
  }

  private static toCamera(r: {
    id: string;
    name: string;
    enabled: number;
    recording_policy: RecordingPolicy;
    room_id: string;
    room_kind: RoomKind;
    institution_id: string;
    time_zone: string;
    ring_buffer: number | null;
    workplace_mode: string | null;
  }): RecordingCamera {
    return {
      cameraId: r.id,
      name: r.name,
      enabled: r.enabled === 1,
      policy: r.recording_policy,
      roomId: r.room_id,
      roomKind: r.room_kind,
      institutionId: r.institution_id,
      timeZone: r.time_zone,
      ringBuffer: r.ring_buffer === 1,
      visitsAlso: r.workplace_mode === 'both',
    };
  }

  /** Every camera whose policy is not off (what the recorder should look after). */
  async recordingCameras(): Promise<RecordingCamera[]> {
    const rows = await this.cameraQuery().where('cameras.recording_policy', '<>', 'off').execute();
    return rows.map((r) => RecordingPolicyRepository.toCamera(r));
  }

  /** Those of the given cameras whose policy is not off (a tick over a few cameras). */
  async recordingCamerasIn(cameraIds: readonly string[]): Promise<RecordingCamera[]> {
    if (cameraIds.length === 0) return [];
    const rows = await this.cameraQuery()
      .where('cameras.recording_policy', '<>', 'off')
      .where('cameras.id', 'in', [...cameraIds])
      .execute();
    return rows.map((r) => RecordingPolicyRepository.toCamera(r));
  }

  async camera(cameraId: string): Promise<RecordingCamera | undefined> {
    const r = await this.cameraQuery().where('cameras.id', '=', cameraId).executeTakeFirst();
    return r ? RecordingPolicyRepository.toCamera(r) : undefined;
  }

  /** Cameras that have segments (for the retention sweeper), with where they are. */
  async camerasWithSegments(): Promise<RecordingCamera[]> {
    const rows = await this.cameraQuery()
      .where('cameras.id', 'in', (eb) => eb.selectFrom('recording_segments').select('camera_id').distinct())
      .execute();
    return rows.map((r) => RecordingPolicyRepository.toCamera(r));
  }

  async schedules(roomIds: readonly string[]): Promise<Map<string, ViewingWindow[]>> {
    const out = new Map<string, ViewingWindow[]>();
    if (roomIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('recording_schedules')
      .select(['room_id', 'weekday', 'start_time', 'end_time'])
      .where('room_id', 'in', [...roomIds])
      .execute();
    for (const r of rows) {
      const list = out.get(r.room_id) ?? [];
      list.push({ weekday: r.weekday as Weekday, start: r.start_time, end: r.end_time });
      out.set(r.room_id, list);
    }
    return out;
  }

  /** Replaces a room's working hours. */
  async setSchedule(roomId: string, windows: readonly ViewingWindow[], atIso: string, db: Db = this.db) {
    await db.deleteFrom('recording_schedules').where('room_id', '=', roomId).execute();
    for (const w of windows)
      await db
        .insertInto('recording_schedules')
        .values({
          id: newId(),
          room_id: roomId,
          weekday: w.weekday,
          start_time: w.start,
          end_time: w.end,
          created_at: atIso,
        })
        .execute();
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

  /** Retention days set per (institution, room kind), keyed "institutionId/roomKind". */
  async retention(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('recording_retention')
      .select(['institution_id', 'room_kind', 'days'])
      .execute();
    return new Map(rows.map((r) => [`${r.institution_id}/${r.room_kind}`, Number(r.days)]));
  }

  async setRetention(
    institutionId: string,
    roomKind: RoomKind,
    days: number,
    atIso: string,
    db: Db = this.db,
  ) {
    const updated = await db
      .updateTable('recording_retention')
      .set({ days, updated_at: atIso })
      .where('institution_id', '=', institutionId)
      .where('room_kind', '=', roomKind)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    await db
      .insertInto('recording_retention')
      .values({
        id: newId(),
        institution_id: institutionId,
        room_kind: roomKind,
        days,
        created_at: atIso,
        updated_at: atIso,
      })
      .execute();
  }

  async setRingBuffer(cameraId: string, ringBuffer: boolean, atIso: string, db: Db = this.db): Promise<void> {
    const updated = await db
      .updateTable('recording_camera_settings')
      .set({ ring_buffer: ringBuffer ? 1 : 0, updated_at: atIso })
      .where('camera_id', '=', cameraId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    await db
      .insertInto('recording_camera_settings')
      .values({ camera_id: cameraId, ring_buffer: ringBuffer ? 1 : 0, updated_at: atIso })
      .execute();
  }

  /** Where a room is (for scope checks). */
  async placeOfRoom(
    roomId: string,
  ): Promise<{ roomId: string; roomKind: RoomKind; institutionId: string; regionId: string } | undefined> {
    const r = await this.db
      .selectFrom('rooms')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .select(['rooms.id', 'rooms.kind', 'institutions.id as institution_id', 'institutions.region_id'])
      .where('rooms.id', '=', roomId)
      .executeTakeFirst();
    return r
      ? { roomId: r.id, roomKind: r.kind, institutionId: r.institution_id, regionId: r.region_id }
      : undefined;
  }

  async placeOfInstitution(
    institutionId: string,
  ): Promise<{ institutionId: string; regionId: string } | undefined> {
    const r = await this.db
      .selectFrom('institutions')
      .select(['id', 'region_id'])
      .where('id', '=', institutionId)
      .executeTakeFirst();
    return r ? { institutionId: r.id, regionId: r.region_id } : undefined;
  }

  async schedule(roomId: string): Promise<ViewingWindow[]> {
    return (await this.schedules([roomId])).get(roomId) ?? [];
  }

  // -------------------------------------------------------------------------------------------------
  // Manual sessions.

  async insertManual(row: ManualSessionRow, db: Db = this.db): Promise<void> {
    await db.insertInto('recording_manual_sessions').values(row).execute();
  }

  async openManual(cameraId: string): Promise<ManualSessionRow[]> {
    return this.db
      .selectFrom('recording_manual_sessions')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('stop_at', 'is', null)
      .orderBy('started_at')
      .execute();
  }

  async stopManual(
    id: string,
    stop: { stopAt: string; stoppedBy: string | null; recordUntil: string },
    db: Db = this.db,
  ): Promise<void> {
    await db
      .updateTable('recording_manual_sessions')
      .set({ stop_at: stop.stopAt, stopped_by: stop.stoppedBy, record_until: stop.recordUntil })
      .where('id', '=', id)
      .where('stop_at', 'is', null)
      .execute();
  }

  /** Sessions that keep a camera recording at an instant: open, or stopped but in their post-roll. */
  async activeManual(cameraIds: readonly string[], atIso: string): Promise<ManualSessionRow[]> {
    if (cameraIds.length === 0) return [];
    return this.db
      .selectFrom('recording_manual_sessions')
      .selectAll()
      .where('camera_id', 'in', [...cameraIds])
      .where((eb) => eb.or([eb('stop_at', 'is', null), eb('record_until', '>', atIso)]))
      .execute();
  }

  // -------------------------------------------------------------------------------------------------
  // Legal holds.

  async insertHold(row: HoldRow, db: Db = this.db): Promise<void> {
    await db.insertInto('legal_holds').values(row).execute();
  }

  async hold(id: string): Promise<HoldRow | undefined> {
    return this.db.selectFrom('legal_holds').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async holds(cameraId: string): Promise<HoldRow[]> {
    return this.db
      .selectFrom('legal_holds')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .orderBy('placed_at')
      .execute();
  }

  /** Holds in force (not lifted) for a camera. */
  async activeHolds(cameraId: string): Promise<HoldRow[]> {
    return this.db
      .selectFrom('legal_holds')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('lifted_at', 'is', null)
      .execute();
  }

  async liftHold(
    id: string,
    lift: { liftedAt: string; liftedBy: string | null; reason: string },
    db: Db = this.db,
  ): Promise<boolean> {
    const r = await db
      .updateTable('legal_holds')
      .set({ lifted_at: lift.liftedAt, lifted_by: lift.liftedBy, lift_reason: lift.reason })
      .where('id', '=', id)
      .where('lifted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  // -------------------------------------------------------------------------------------------------
  // Playback views and exports.

  async insertView(row: ViewRow, db: Db = this.db): Promise<void> {
    await db.insertInto('recording_views').values(row).execute();
  }

  async view(streamId: string): Promise<ViewRow | undefined> {
    return this.db
      .selectFrom('recording_views')
      .selectAll()
      .where('stream_id', '=', streamId)
      .executeTakeFirst();
  }

  async insertExport(row: ExportRow, db: Db = this.db): Promise<void> {
    await db.insertInto('recording_exports').values(row).execute();
  }

  async exportRow(id: string): Promise<ExportRow | undefined> {
    return this.db.selectFrom('recording_exports').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Export packages created before `beforeIso` whose file is still on disk, oldest first, one page at
   * a time: pass the last row of a page as `after` for the next (packages kept by a hold stay in the
   * result, so paging must go past them).
   */
  async exportsToExpire(
    beforeIso: string,
    after?: { created_at: string; id: string },
    limit = 500,
  ): Promise<ExportRow[]> {
    let q = this.db
      .selectFrom('recording_exports')
      .selectAll()
      .where('created_at', '<', beforeIso)
      .where('file_deleted_at', 'is', null);
    if (after)
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '>', after.created_at),
          eb.and([eb('created_at', '=', after.created_at), eb('id', '>', after.id)]),
        ]),
      );
    return q.orderBy('created_at').orderBy('id').limit(limit).execute();
  }

  async markExportFileDeleted(id: string, atIso: string, db: Db = this.db): Promise<void> {
    await db
      .updateTable('recording_exports')
      .set({ file_deleted_at: atIso })
      .where('id', '=', id)
      .where('file_deleted_at', 'is', null)
      .execute();
  }

  /** Adds bytes served to a playback stream row and marks it started. */
  async playbackServed(streamId: string, bytes: number, atIso: string): Promise<void> {
    await this.db
      .updateTable('stream_sessions')
      .set((eb) => ({
        bytes: eb('bytes', '+', bytes),
        started_at: eb.fn.coalesce('started_at', eb.val(atIso)),
        transport: 'playback',
      }))
      .where('id', '=', streamId)
      .execute();
  }
}
