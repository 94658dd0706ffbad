/**
 * Cameras. The source URL and credentials are secrets: they are read here for the media plane and
 * for "has credentials", and never leave the domain layer towards a client or a log.
 */
import type { Kysely, Updateable } from 'kysely';
import type { CamerasTable, Database } from '../schema.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type CameraRow = CamerasTable;

export class CamerasRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<CameraRow | undefined> {
    return this.db.selectFrom('cameras').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Cameras of an institution (optionally of one room), by name. */
  list(
    institutionId: string,
    f: { roomId?: string | undefined },
    page: PageRequest,
  ): Promise<Page<CameraRow>> {
    let q = this.db
      .selectFrom('cameras')
      .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
      .selectAll('cameras')
      .where('rooms.institution_id', '=', institutionId);
    if (f.roomId !== undefined) q = q.where('cameras.room_id', '=', f.roomId);
    return keysetPage(q, ['cameras.name', 'cameras.id'], (r) => [r.name, r.id], page);
  }

  async insert(row: CameraRow): Promise<CameraRow> {
    await this.db.insertInto('cameras').values(row).execute();
    return row;
  }

  async update(id: string, patch: Updateable<CamerasTable>): Promise<CameraRow | undefined> {
    await this.db.updateTable('cameras').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('cameras').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
