/** Institutions: kindergartens and offices, each in one region, with its time zone and tariff. */
import type { Kysely, Updateable } from 'kysely';
import type { Database, InstitutionsTable } from '../schema.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';
import { institutionInReach, type Reach } from './reach.js';

export type InstitutionRow = InstitutionsTable;

export interface InstitutionFilter {
  reach: Reach;
  regionId?: string | undefined;
  kind?: InstitutionRow['kind'] | undefined;
}

export class InstitutionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<InstitutionRow | undefined> {
    return this.db.selectFrom('institutions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(f: InstitutionFilter, page: PageRequest): Promise<Page<InstitutionRow>> {
    let q = this.db
      .selectFrom('institutions')
      .selectAll()
      .where(
        institutionInReach(f.reach, {
          id: 'institutions.id',
          regionId: 'institutions.region_id',
          kind: 'institutions.kind',
        }),
      );
    if (f.regionId !== undefined) q = q.where('region_id', '=', f.regionId);
    if (f.kind !== undefined) q = q.where('kind', '=', f.kind);
    return keysetPage(q, ['institutions.name', 'institutions.id'], (r) => [r.name, r.id], page);
  }

  async insert(row: InstitutionRow): Promise<InstitutionRow> {
    await this.db.insertInto('institutions').values(row).execute();
    return row;
  }

  async update(id: string, patch: Updateable<InstitutionsTable>): Promise<InstitutionRow | undefined> {
    await this.db.updateTable('institutions').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('institutions').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
