/** What a parent's home screen lists: their children, each child's kindergarten, groups and cameras. */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ParentChildRow {
  childId: string;
  childName: string;
  verified: boolean;
  institutionId: string;
  institutionName: string;
  timeZone: string;
}

export class ParentViewRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async children(personId: string): Promise<ParentChildRow[]> {
    const rows = await this.db
      .selectFrom('guardian_links')
      .innerJoin('children', 'children.id', 'guardian_links.child_id')
      .innerJoin('institutions', 'institutions.id', 'children.institution_id')
      .select([
        'children.id as child_id',
        'children.full_name',
        'guardian_links.verified',
        'institutions.id as institution_id',
        'institutions.name as institution_name',
        'institutions.time_zone',
      ])
      .where('guardian_links.person_id', '=', personId)
      .orderBy('children.full_name')
      .execute();
    return rows.map((r) => ({
      childId: r.child_id,
      childName: r.full_name,
      verified: r.verified === 1,
      institutionId: r.institution_id,
      institutionName: r.institution_name,
      timeZone: r.time_zone,
    }));
  }

  /** The child's group on a local date, if enrolled. */
  async groupOn(childId: string, localDate: string): Promise<{ id: string; name: string } | undefined> {
    return this.db
      .selectFrom('enrolments')
      .innerJoin('rooms', 'rooms.id', 'enrolments.room_id')
      .select(['rooms.id', 'rooms.name'])
      .where('enrolments.child_id', '=', childId)
      .where('enrolments.start_date', '<=', localDate)
      .where((eb) =>
        eb.or([eb('enrolments.end_date', 'is', null), eb('enrolments.end_date', '>=', localDate)]),
      )
      .executeTakeFirst();
  }

  /** Cameras of a group room, and of halls… (only the room's own cameras for now). */
  async camerasOfRoom(roomId: string): Promise<{ id: string; name: string }[]> {
    return this.db
      .selectFrom('cameras')
      .select(['id', 'name'])
      .where('room_id', '=', roomId)
      .orderBy('name')
      .execute();
  }

  /** Whether the kindergarten has any camera at all (connected to the service). */
  async institutionConnected(institutionId: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('cameras')
      .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
      .select('cameras.id')
      .where('rooms.institution_id', '=', institutionId)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }
}
