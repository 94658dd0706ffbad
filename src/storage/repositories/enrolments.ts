/**
 * Enrolments: a child in a group room from start_date to end_date (inclusive; null = open-ended).
 * No two enrolments of one child overlap: the database refuses it (trigger `enrolments_no_overlap`).
 */
import type { Kysely, Updateable } from 'kysely';
import type { Database, EnrolmentsTable } from '../schema.js';
import { chunked } from './chunks.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type EnrolmentRow = EnrolmentsTable;

export class EnrolmentsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<EnrolmentRow | undefined> {
    return this.db.selectFrom('enrolments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(childId: string, page: PageRequest): Promise<Page<EnrolmentRow>> {
    const q = this.db.selectFrom('enrolments').selectAll().where('child_id', '=', childId);
    return keysetPage(q, ['enrolments.start_date', 'enrolments.id'], (r) => [r.start_date, r.id], page);
  }

  async ofChildren(childIds: readonly string[]): Promise<EnrolmentRow[]> {
    const out: EnrolmentRow[] = [];
    for (const part of chunked(childIds))
      out.push(
        ...(await this.db.selectFrom('enrolments').selectAll().where('child_id', 'in', part).execute()),
      );
    return out;
  }

  async insert(row: EnrolmentRow): Promise<EnrolmentRow> {
    await this.db.insertInto('enrolments').values(row).execute();
    return row;
  }

  async update(id: string, patch: Updateable<EnrolmentsTable>): Promise<EnrolmentRow | undefined> {
    await this.db.updateTable('enrolments').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('enrolments').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
