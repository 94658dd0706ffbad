/** Role bindings: a person holds a role within a region, an institution or a room. */
import type { Kysely } from 'kysely';
import type { Database, RoleBindingsTable, ScopeKind } from '../schema.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';
import { bindingScopeInReach, type Reach } from './reach.js';

export type RoleBindingRow = RoleBindingsTable;

export interface RoleBindingFilter {
  reach: Reach;
  personId?: string | undefined;
  scope?: { kind: ScopeKind; id: string } | undefined;
}

export class RoleBindingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<RoleBindingRow | undefined> {
    return this.db.selectFrom('role_bindings').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(f: RoleBindingFilter, page: PageRequest): Promise<Page<RoleBindingRow>> {
    let q = this.db
      .selectFrom('role_bindings')
      .selectAll()
      .where(
        bindingScopeInReach(f.reach, {
          scopeKind: 'role_bindings.scope_kind',
          scopeId: 'role_bindings.scope_id',
        }),
      );
    if (f.personId !== undefined) q = q.where('person_id', '=', f.personId);
    if (f.scope !== undefined)
      q = q.where('scope_kind', '=', f.scope.kind).where('scope_id', '=', f.scope.id);
    return keysetPage(q, ['role_bindings.created_at', 'role_bindings.id'], (r) => [r.created_at, r.id], page);
  }

  async insert(row: RoleBindingRow): Promise<RoleBindingRow> {
    await this.db.insertInto('role_bindings').values(row).execute();
    return row;
  }

  /** Removes the bindings scoped to one region, institution or room; returns how many. */
  async deleteScoped(kind: ScopeKind, scopeId: string): Promise<number> {
    const r = await this.db
      .deleteFrom('role_bindings')
      .where('scope_kind', '=', kind)
      .where('scope_id', '=', scopeId)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('role_bindings').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
