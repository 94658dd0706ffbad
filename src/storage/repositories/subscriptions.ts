/** Subscriptions: a guardian pays the monthly fee for a child (status active/suspended/cancelled). */
import type { Kysely, Updateable } from 'kysely';
import type { Database, SubscriptionsTable } from '../schema.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type SubscriptionRow = SubscriptionsTable;

export class SubscriptionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<SubscriptionRow | undefined> {
    return this.db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(childId: string, page: PageRequest): Promise<Page<SubscriptionRow>> {
    const q = this.db.selectFrom('subscriptions').selectAll().where('child_id', '=', childId);
    return keysetPage(q, ['subscriptions.created_at', 'subscriptions.id'], (r) => [r.created_at, r.id], page);
  }

  async insert(row: SubscriptionRow): Promise<SubscriptionRow> {
    await this.db.insertInto('subscriptions').values(row).execute();
    return row;
  }

  async update(id: string, patch: Updateable<SubscriptionsTable>): Promise<SubscriptionRow | undefined> {
    await this.db.updateTable('subscriptions').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('subscriptions').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
