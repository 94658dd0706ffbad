/** Analytics devices and their door events (migration 0017). */
import type { Kysely } from 'kysely';
import type { AttendanceDevicesTable, AttendanceEventsTable, Database } from '../schema.js';
import { chunked } from './chunks.js';

export type AttendanceDeviceRow = AttendanceDevicesTable;
export type AttendanceEventRow = AttendanceEventsTable;

/** What the intake needs to check a device's events: its key, its camera and its kindergarten's zone. */
export interface DeviceAuth {
  id: string;
  secret: string;
  enabled: boolean;
  cameraId: string;
  institutionId: string;
  timeZone: string;
}

/** 9 columns per event: 100 events per statement stays far below both engines' parameter limits. */
const EVENTS_PER_STATEMENT = 100;

export class AttendanceIntakeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async deviceAuth(deviceId: string): Promise<DeviceAuth | undefined> {
    const r = await this.db
      .selectFrom('attendance_devices as d')
      .innerJoin('institutions as i', 'i.id', 'd.institution_id')
      .select(['d.id', 'd.secret', 'd.enabled', 'd.camera_id', 'd.institution_id', 'i.time_zone'])
      .where('d.id', '=', deviceId)
      .executeTakeFirst();
    return r
      ? {
          id: r.id,
          secret: r.secret,
          enabled: r.enabled === 1,
          cameraId: r.camera_id,
          institutionId: r.institution_id,
          timeZone: r.time_zone,
        }
      : undefined;
  }

  /** The camera's name and its room's kind (analytics devices belong to entrance cameras). */
  camera(cameraId: string): Promise<{ name: string; kind: string } | undefined> {
    return this.db
      .selectFrom('cameras')
      .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
      .select(['cameras.name', 'rooms.kind'])
      .where('cameras.id', '=', cameraId)
      .executeTakeFirst();
  }

  async insertDevice(row: AttendanceDeviceRow): Promise<void> {
    await this.db.insertInto('attendance_devices').values(row).execute();
  }

  listDevices(institutionId: string): Promise<AttendanceDeviceRow[]> {
    return this.db
      .selectFrom('attendance_devices')
      .selectAll()
      .where('institution_id', '=', institutionId)
      .orderBy('created_at')
      .execute();
  }

  findDevice(id: string): Promise<AttendanceDeviceRow | undefined> {
    return this.db.selectFrom('attendance_devices').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async deleteDevice(id: string): Promise<void> {
    await this.db.deleteFrom('attendance_devices').where('id', '=', id).execute();
  }

  async touchDevice(id: string, at: string): Promise<void> {
    await this.db.updateTable('attendance_devices').set({ last_event_at: at }).where('id', '=', id).execute();
  }

  /**
   * Inserts the events that are new; an event whose (device, device event id) is already stored is
   * left as it was. Returns the device event ids that were inserted.
   */
  async insertEvents(rows: readonly AttendanceEventRow[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    if (rows.length === 0) return inserted;
    const run = async (db: Kysely<Database>) => {
      for (const part of chunked(rows, EVENTS_PER_STATEMENT)) {
        const got = await db
          .insertInto('attendance_events')
          .values(part)
          .onConflict((oc) => oc.columns(['device_id', 'device_event_id']).doNothing())
          .returning('device_event_id')
          .execute();
        for (const r of got) inserted.add(r.device_event_id);
      }
    };
    if (rows.length <= EVENTS_PER_STATEMENT) await run(this.db);
    else await this.db.transaction().execute((trx) => run(trx));
    return inserted;
  }
}
