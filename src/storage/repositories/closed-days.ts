/** Days an institution is closed (local dates in its time zone). */
import type { Kysely, Updateable } from 'kysely';
import type { ClosedDaysTable, Database } from '../schema.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type ClosedDayRow = ClosedDaysTable;

export class ClosedDaysRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<ClosedDayRow | undefined> {
    return this.db.selectFrom('closed_days').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The institution's closed days in [from, to] (inclusive, either bound optional), by day. */
  list(
    institutionId: string,
    range: { from?: string | undefined; to?: string | undefined },
    page: PageRequest,
  ): Promise<Page<ClosedDayRow>> {
    let q = this.db.selectFrom('closed_days').selectAll().where('institution_id', '=', institutionId);
    if (range.from !== undefined) q = q.where('day', '>=', range.from);
    if (range.to !== undefined) q = q.where('day', '<=', range.to);
    return keysetPage(q, ['closed_days.day', 'closed_days.id'], (r) => [r.day, r.id], page);
  }

  async insert(row: ClosedDayRow): Promise<ClosedDayRow> {
    await this.db.insertInto('closed_days').values(row).execute();
    return row;
  }

  async update(id: string, patch: Updateable<ClosedDaysTable>): Promise<ClosedDayRow | undefined> {
    await this.db.updateTable('closed_days').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('closed_days').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
