/** Persons: identities from the OpenID provider (issuer + subject), with a display name. */
import { sql, type Kysely, type SqlBool, type Updateable } from 'kysely';
import type { Database, PersonsTable } from '../schema.js';
import { chunked } from './chunks.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';
import { bindingScopeInReach, institutionIdsInReach, type Reach } from './reach.js';

export type PersonRow = PersonsTable;

export class PersonsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<PersonRow | undefined> {
    return this.db.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByIdentity(issuer: string, subject: string): Promise<PersonRow | undefined> {
    return this.db
      .selectFrom('persons')
      .selectAll()
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .executeTakeFirst();
  }

  async byIdentities(issuer: string, subjects: readonly string[]): Promise<PersonRow[]> {
    const out: PersonRow[] = [];
    for (const part of chunked(subjects))
      out.push(
        ...(await this.db
          .selectFrom('persons')
          .selectAll()
          .where('issuer', '=', issuer)
          .where('subject', 'in', part)
          .execute()),
      );
    return out;
  }

  /**
   * Persons linked to a place in reach: guardians and subscribers of its children, and holders of role
   * bindings scoped inside it. By display name.
   */
  list(reach: Reach, page: PageRequest): Promise<Page<PersonRow>> {
    const inst = institutionIdsInReach(reach);
    const linked = sql<SqlBool>`(
      persons.id in (select g.person_id from guardian_links g join children c on c.id = g.child_id
                     where c.institution_id in (${inst}))
      or persons.id in (select s.person_id from subscriptions s join children c on c.id = s.child_id
                        where c.institution_id in (${inst}))
      or persons.id in (select b.person_id from role_bindings b
                        where ${bindingScopeInReach(reach, { scopeKind: 'b.scope_kind', scopeId: 'b.scope_id' })})
    )`;
    const q = this.db.selectFrom('persons').selectAll().where(linked);
    return keysetPage(q, ['persons.display_name', 'persons.id'], (r) => [r.display_name, r.id], page);
  }

  async insert(row: PersonRow): Promise<PersonRow> {
    await this.db.insertInto('persons').values(row).execute();
    return row;
  }

  async update(id: string, patch: Updateable<PersonsTable>): Promise<PersonRow | undefined> {
    await this.db.updateTable('persons').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('persons').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
