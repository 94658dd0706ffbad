/** Camera outages (migration 0012): opened when a camera goes down, closed when it is live again. */
import type { Kysely } from 'kysely';
import type { CameraOutagesTable, Database } from '../schema.js';

export type CameraOutageRow = CameraOutagesTable;

export interface CameraPlace {
  cameraId: string;
  name: string;
  roomId: string;
  institutionId: string;
  regionId: string;
  institutionKind?: 'kindergarten' | 'office';
  timeZone?: string;
}

export class CameraOutagesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async open(row: Omit<CameraOutageRow, 'ended_at' | 'alerted_at'>): Promise<void> {
    await this.db
      .insertInto('camera_outages')
      .values({ ...row, ended_at: null, alerted_at: null })
      .execute();
  }

  async close(id: string, endedAt: string): Promise<void> {
    await this.db
      .updateTable('camera_outages')
      .set({ ended_at: endedAt })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
  }

  async markAlerted(id: string, at: string): Promise<void> {
    await this.db.updateTable('camera_outages').set({ alerted_at: at }).where('id', '=', id).execute();
  }

  /** Newest first. */
  async recent(cameraIds: readonly string[], limit: number): Promise<CameraOutageRow[]> {
    if (cameraIds.length === 0) return [];
    return this.db
      .selectFrom('camera_outages')
      .selectAll()
      .where('camera_id', 'in', cameraIds)
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
  }

  /** Where a camera is, for an alert's scope. */
  async placeOf(cameraId: string): Promise<CameraPlace | undefined> {
    const r = await this.db
      .selectFrom('cameras')
      .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .select(['cameras.id', 'cameras.name', 'rooms.id as room_id', 'institutions.id as institution_id'])
      .select(['institutions.region_id', 'institutions.kind', 'institutions.time_zone'])
      .where('cameras.id', '=', cameraId)
      .executeTakeFirst();
    return r
      ? {
          cameraId: r.id,
          name: r.name,
          roomId: r.room_id,
          institutionId: r.institution_id,
          regionId: r.region_id,
          institutionKind: r.kind,
          timeZone: r.time_zone,
        }
      : undefined;
  }
}
