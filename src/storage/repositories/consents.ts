/**
 * Consent history per group room: an append-only list of given/withdrawn entries. The current consent
 * is the latest entry; entries of one room have strictly increasing recorded_at (the domain ensures it).
 */
import type { Kysely } from 'kysely';
import type { ConsentsTable, Database } from '../schema.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type ConsentRow = ConsentsTable;

export class ConsentsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  find(id: string): Promise<ConsentRow | undefined> {
    return this.db.selectFrom('consents').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The room's history, newest first. */
  list(roomId: string, page: PageRequest): Promise<Page<ConsentRow>> {
    const q = this.db.selectFrom('consents').selectAll().where('room_id', '=', roomId);
    return keysetPage(q, ['consents.recorded_at', 'consents.id'], (r) => [r.recorded_at, r.id], page, 'desc');
  }

  latest(roomId: string): Promise<ConsentRow | undefined> {
    return this.db
      .selectFrom('consents')
      .selectAll()
      .where('room_id', '=', roomId)
      .orderBy('recorded_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async insert(row: ConsentRow): Promise<ConsentRow> {
    await this.db.insertInto('consents').values(row).execute();
    return row;
  }
}
