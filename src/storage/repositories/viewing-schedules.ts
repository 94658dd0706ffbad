/** Viewing schedules: per room and ISO weekday (1 = Monday … 7 = Sunday), local "HH:MM" windows. */
import type { Kysely, Updateable } from 'kysely';
import type { Database, ViewingSchedulesTable } from '../schema.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type ViewingScheduleRow = ViewingSchedulesTable;

export class ViewingSchedulesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<ViewingScheduleRow | undefined> {
    return this.db.selectFrom('viewing_schedules').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(roomId: string, page: PageRequest): Promise<Page<ViewingScheduleRow>> {
    const q = this.db.selectFrom('viewing_schedules').selectAll().where('room_id', '=', roomId);
    return keysetPage(
      q,
      ['viewing_schedules.weekday', 'viewing_schedules.start_time', 'viewing_schedules.id'],
      (r) => [r.weekday, r.start_time, r.id],
      page,
    );
  }

  /** The room's windows on one weekday (to refuse overlapping windows). */
  onWeekday(roomId: string, weekday: number): Promise<ViewingScheduleRow[]> {
    return this.db
      .selectFrom('viewing_schedules')
      .selectAll()
      .where('room_id', '=', roomId)
      .where('weekday', '=', weekday)
      .execute();
  }

  async insert(row: ViewingScheduleRow): Promise<ViewingScheduleRow> {
    await this.db.insertInto('viewing_schedules').values(row).execute();
    return row;
  }

  async update(
    id: string,
    patch: Updateable<ViewingSchedulesTable>,
  ): Promise<ViewingScheduleRow | undefined> {
    await this.db.updateTable('viewing_schedules').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('viewing_schedules').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
