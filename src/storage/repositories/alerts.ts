/** Alerts (migration 0007): raised in the transaction of their cause, read by delivery and screens. */
import type { Kysely } from 'kysely';
import type { AlertsTable, Database } from '../schema.js';

export type AlertRow = AlertsTable;

export class AlertsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<AlertRow | undefined> {
    return this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The unresolved alert with this dedupe key, if any. */
  findOpenByKey(dedupeKey: string): Promise<AlertRow | undefined> {
    return this.db
      .selectFrom('alerts')
      .selectAll()
      .where('dedupe_key', '=', dedupeKey)
      .where('resolved_at', 'is', null)
      .executeTakeFirst();
  }

  async insert(row: AlertRow): Promise<AlertRow> {
    await this.db.insertInto('alerts').values(row).execute();
    return row;
  }

  /** Newest first, within institutions and/or regions (both empty: none). */
  async listFor(
    scope: { institutionIds: readonly string[]; regionIds: readonly string[] },
    limit: number,
  ): Promise<AlertRow[]> {
    if (scope.institutionIds.length === 0 && scope.regionIds.length === 0) return [];
    return this.db
      .selectFrom('alerts')
      .selectAll()
      .where((eb) => {
        const ors = [];
        if (scope.institutionIds.length > 0) ors.push(eb('institution_id', 'in', scope.institutionIds));
        if (scope.regionIds.length > 0) ors.push(eb('region_id', 'in', scope.regionIds));
        return eb.or(ors);
      })
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  async resolve(id: string, by: string, at: string, comment: string): Promise<void> {
    await this.db
      .updateTable('alerts')
      .set({ resolved_at: at, resolved_by: by, resolution_comment: comment })
      .where('id', '=', id)
      .execute();
  }
}
