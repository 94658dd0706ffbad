/** Regions (a city or a region: the root of tenancy). */
import type { Kysely, Updateable } from 'kysely';
import type { Database, RegionsTable } from '../schema.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type RegionRow = RegionsTable;

export class RegionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<RegionRow | undefined> {
    return this.db.selectFrom('regions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByName(name: string): Promise<RegionRow | undefined> {
    return this.db.selectFrom('regions').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** Regions among `ids`, by name. */
  list(ids: readonly string[], page: PageRequest): Promise<Page<RegionRow>> {
    if (ids.length === 0) return Promise.resolve({ items: [], nextCursor: null });
    const q = this.db
      .selectFrom('regions')
      .selectAll()
      .where('id', 'in', [...ids]);
    return keysetPage(q, ['regions.name', 'regions.id'], (r) => [r.name, r.id], page);
  }

  async insert(row: RegionRow): Promise<RegionRow> {
    await this.db.insertInto('regions').values(row).execute();
    return row;
  }

  async update(id: string, patch: Updateable<RegionsTable>): Promise<RegionRow | undefined> {
    await this.db.updateTable('regions').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('regions').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
