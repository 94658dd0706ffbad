/** Children of a kindergarten; `external_ref` is the kindergarten's own reference (CSV import key). */
import type { Kysely, Updateable } from 'kysely';
import type { ChildrenTable, Database } from '../schema.js';
import { chunked } from './chunks.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type ChildRow = ChildrenTable;

export interface ChildFilter {
  /** only children enrolled in this room on this local date */
  enrolledIn?: { roomId: string; on: string } | undefined;
}

export class ChildrenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<ChildRow | undefined> {
    return this.db.selectFrom('children').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(institutionId: string, f: ChildFilter, page: PageRequest): Promise<Page<ChildRow>> {
    let q = this.db.selectFrom('children').selectAll().where('institution_id', '=', institutionId);
    const e = f.enrolledIn;
    if (e !== undefined)
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('enrolments')
            .select('enrolments.id')
            .whereRef('enrolments.child_id', '=', 'children.id')
            .where('enrolments.room_id', '=', e.roomId)
            .where('enrolments.start_date', '<=', e.on)
            .where((eb) =>
              eb.or([eb('enrolments.end_date', 'is', null), eb('enrolments.end_date', '>=', e.on)]),
            ),
        ),
      );
    return keysetPage(q, ['children.full_name', 'children.id'], (r) => [r.full_name, r.id], page);
  }

  /** Children of the institution with these external references. */
  async byExternalRefs(institutionId: string, refs: readonly string[]): Promise<ChildRow[]> {
    const out: ChildRow[] = [];
    for (const part of chunked(refs))
      out.push(
        ...(await this.db
          .selectFrom('children')
          .selectAll()
          .where('institution_id', '=', institutionId)
          .where('external_ref', 'in', part)
          .execute()),
      );
    return out;
  }

  async insert(row: ChildRow): Promise<ChildRow> {
    await this.db.insertInto('children').values(row).execute();
    return row;
  }

  async update(id: string, patch: Updateable<ChildrenTable>): Promise<ChildRow | undefined> {
    await this.db.updateTable('children').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('children').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
