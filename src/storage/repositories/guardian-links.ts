/** Guardian links: a person is guardian of a child (verified by the kindergarten or not). */
import type { Kysely, Updateable } from 'kysely';
import type { Database, GuardianLinksTable } from '../schema.js';
import { chunked } from './chunks.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type GuardianLinkRow = GuardianLinksTable;
export interface GuardianLinkWithPerson extends GuardianLinkRow {
  person_display_name: string;
  person_subject: string;
}

export class GuardianLinksRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private withPerson() {
    return this.db
      .selectFrom('guardian_links')
      .innerJoin('persons', 'persons.id', 'guardian_links.person_id')
      .selectAll('guardian_links')
      .select(['persons.display_name as person_display_name', 'persons.subject as person_subject']);
  }

  find(id: string): Promise<GuardianLinkWithPerson | undefined> {
    return this.withPerson().where('guardian_links.id', '=', id).executeTakeFirst();
  }

  findPair(personId: string, childId: string): Promise<GuardianLinkRow | undefined> {
    return this.db
      .selectFrom('guardian_links')
      .selectAll()
      .where('person_id', '=', personId)
      .where('child_id', '=', childId)
      .executeTakeFirst();
  }

  list(childId: string, page: PageRequest): Promise<Page<GuardianLinkWithPerson>> {
    const q = this.withPerson().where('guardian_links.child_id', '=', childId);
    return keysetPage(
      q,
      ['persons.display_name', 'guardian_links.id'],
      (r) => [r.person_display_name, r.id],
      page,
    );
  }

  async ofChildren(childIds: readonly string[]): Promise<GuardianLinkRow[]> {
    const out: GuardianLinkRow[] = [];
    for (const part of chunked(childIds))
      out.push(
        ...(await this.db.selectFrom('guardian_links').selectAll().where('child_id', 'in', part).execute()),
      );
    return out;
  }

  /** Which of these persons have a verified guardian link to a child of the institution. */
  async verifiedGuardiansIn(institutionId: string, personIds: readonly string[]): Promise<string[]> {
    const out = new Set<string>();
    for (const part of chunked(personIds))
      for (const r of await this.db
        .selectFrom('guardian_links')
        .innerJoin('children', 'children.id', 'guardian_links.child_id')
        .select('guardian_links.person_id')
        .where('children.institution_id', '=', institutionId)
        .where('guardian_links.verified', '=', 1)
        .where('guardian_links.person_id', 'in', part)
        .execute())
        out.add(r.person_id);
    return [...out];
  }

  async insert(row: GuardianLinkRow): Promise<GuardianLinkRow> {
    await this.db.insertInto('guardian_links').values(row).execute();
    return row;
  }

  async update(
    id: string,
    patch: Updateable<GuardianLinksTable>,
  ): Promise<GuardianLinkWithPerson | undefined> {
    await this.db.updateTable('guardian_links').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('guardian_links').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
