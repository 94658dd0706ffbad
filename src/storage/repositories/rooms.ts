/** Rooms of an institution (group rooms, workplaces, entrances, halls), with their current consent. */
import type { ExpressionBuilder, Insertable, Kysely, Updateable } from 'kysely';
import type { ConsentsTable, Database, RoomsTable, RoomZoneChangesTable } from '../schema.js';
import { keysetPage, type Page, type PageRequest } from './pagination.js';

export type RoomRow = RoomsTable;
export interface RoomWithConsent extends RoomRow {
  /** the latest consent entry for the room, if any */
  consent_status: ConsentsTable['status'] | null;
  consent_recorded_at: string | null;
}

function latestConsent(eb: ExpressionBuilder<Database, 'rooms'>, column: 'status' | 'recorded_at') {
  return eb
    .selectFrom('consents')
    .select(`consents.${column}`)
    .whereRef('consents.room_id', '=', 'rooms.id')
    .orderBy('consents.recorded_at', 'desc')
    .limit(1);
}

export class RoomsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private withConsent() {
    return this.db
      .selectFrom('rooms')
      .selectAll('rooms')
      .select((eb) => [
        latestConsent(eb, 'status').as('consent_status'),
        latestConsent(eb, 'recorded_at').as('consent_recorded_at'),
      ]);
  }

  async find(id: string): Promise<RoomWithConsent | undefined> {
    const r = await this.withConsent().where('rooms.id', '=', id).executeTakeFirst();
    return r as RoomWithConsent | undefined;
  }

  async list(
    institutionId: string,
    f: { kind?: RoomRow['kind'] | undefined },
    page: PageRequest,
  ): Promise<Page<RoomWithConsent>> {
    let q = this.withConsent().where('rooms.institution_id', '=', institutionId);
    if (f.kind !== undefined) q = q.where('rooms.kind', '=', f.kind);
    return (await keysetPage(
      q,
      ['rooms.name', 'rooms.id'],
      (r) => [r.name, r.id],
      page,
    )) as Page<RoomWithConsent>;
  }

  /** Every room of an institution (for the CSV import's group lookup). */
  allOfInstitution(institutionId: string): Promise<RoomRow[]> {
    return this.db.selectFrom('rooms').selectAll().where('institution_id', '=', institutionId).execute();
  }

  async hasCameras(id: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('cameras')
      .select('id')
      .where('room_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Records a reasoned zone change; the database lets the zone change only against it (0009). */
  async recordZoneChange(row: Insertable<RoomZoneChangesTable>): Promise<void> {
    await this.db.insertInto('room_zone_changes').values(row).execute();
  }

  async hasEnrolments(id: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('enrolments')
      .select('id')
      .where('room_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  async insert(row: RoomRow): Promise<RoomRow> {
    await this.db.insertInto('rooms').values(row).execute();
    return row;
  }

  async update(id: string, patch: Updateable<RoomsTable>): Promise<RoomWithConsent | undefined> {
    await this.db.updateTable('rooms').set(patch).where('id', '=', id).execute();
    return this.find(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('rooms').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
