/**
 * Where an object lives in the tenancy tree (region → institution → room → …), for the admin scope
 * check in src/authz/. Every object below an institution resolves to that institution and
 * its region; regions and region-scoped role bindings resolve to the region alone.
 */
import type { Kysely } from 'kysely';
import type { Database, InstitutionsTable, ScopeKind } from '../schema.js';

export type InstitutionKind = InstitutionsTable['kind'];

export interface Place {
  regionId: string;
  /** null for the region itself and for region-level objects */
  institution: { id: string; kind: InstitutionKind } | null;
  /**
   * The rooms the object lies in, for room-scoped bindings: the room itself and what is inside it
   * (cameras, schedules, consents); for a child, the group rooms of the child's current enrolments.
   * Absent: no room-scoped binding covers the object.
   */
  roomIds?: readonly string[];
}

/** Object kinds that live at one place. (A person lives wherever they are linked: see personPlaces.) */
export type PlacedObject =
  | 'region'
  | 'institution'
  | 'closed_day'
  | 'room'
  | 'camera'
  | 'viewing_schedule'
  | 'consent'
  | 'child'
  | 'enrolment'
  | 'guardian_link'
  | 'subscription'
  | 'role_binding';

interface InstitutionColumns {
  institution_id: string;
  region_id: string;
  kind: InstitutionKind;
}

function fromInstitution(
  r: (InstitutionColumns & { room_id?: string | null }) | undefined,
): Place | undefined {
  if (!r) return undefined;
  const place: Place = { regionId: r.region_id, institution: { id: r.institution_id, kind: r.kind } };
  return r.room_id ? { ...place, roomIds: [r.room_id] } : place;
}

const INSTITUTION_COLUMNS = [
  'institutions.id as institution_id',
  'institutions.region_id',
  'institutions.kind',
] as const;

export class PlacesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async institution(institutionId: string): Promise<Place | undefined> {
    return fromInstitution(
      await this.db
        .selectFrom('institutions')
        .select(INSTITUTION_COLUMNS)
        .where('institutions.id', '=', institutionId)
        .executeTakeFirst(),
    );
  }

  async room(roomId: string): Promise<Place | undefined> {
    return fromInstitution(
      await this.db
        .selectFrom('rooms')
        .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
        .select([...INSTITUTION_COLUMNS, 'rooms.id as room_id'])
        .where('rooms.id', '=', roomId)
        .executeTakeFirst(),
    );
  }

  /** A child's place: its institution, and the group rooms of its enrolments not yet ended. */
  async child(childId: string): Promise<Place | undefined> {
    const place = fromInstitution(
      await this.db
        .selectFrom('children')
        .innerJoin('institutions', 'institutions.id', 'children.institution_id')
        .select(INSTITUTION_COLUMNS)
        .where('children.id', '=', childId)
        .executeTakeFirst(),
    );
    if (!place) return undefined;
    const today = new Date().toISOString().slice(0, 10);
    const rooms = await this.db
      .selectFrom('enrolments')
      .select('room_id')
      .where('child_id', '=', childId)
      .where((eb) => eb.or([eb('end_date', 'is', null), eb('end_date', '>=', today)]))
      .execute();
    return { ...place, roomIds: rooms.map((r) => r.room_id) };
  }

  async scope(kind: ScopeKind, id: string): Promise<Place | undefined> {
    switch (kind) {
      case 'region': {
        const r = await this.db.selectFrom('regions').select('id').where('id', '=', id).executeTakeFirst();
        return r ? { regionId: r.id, institution: null } : undefined;
      }
      case 'institution':
        return this.institution(id);
      case 'room':
        return this.room(id);
    }
  }

  /** The place of one object, or undefined when it does not exist. */
  async locate(object: PlacedObject, id: string): Promise<Place | undefined> {
    const db = this.db;
    switch (object) {
      case 'region':
        return this.scope('region', id);
      case 'institution':
        return this.institution(id);
      case 'room':
        return this.room(id);
      case 'child':
        return this.child(id);
      case 'closed_day':
        return fromInstitution(
          await db
            .selectFrom('closed_days')
            .innerJoin('institutions', 'institutions.id', 'closed_days.institution_id')
            .select(INSTITUTION_COLUMNS)
            .where('closed_days.id', '=', id)
            .executeTakeFirst(),
        );
      case 'camera':
        return fromInstitution(
          await db
            .selectFrom('cameras')
            .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
            .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
            .select([...INSTITUTION_COLUMNS, 'rooms.id as room_id'])
            .where('cameras.id', '=', id)
            .executeTakeFirst(),
        );
      case 'viewing_schedule':
        return fromInstitution(
          await db
            .selectFrom('viewing_schedules')
            .innerJoin('rooms', 'rooms.id', 'viewing_schedules.room_id')
            .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
            .select([...INSTITUTION_COLUMNS, 'rooms.id as room_id'])
            .where('viewing_schedules.id', '=', id)
            .executeTakeFirst(),
        );
      case 'consent':
        return fromInstitution(
          await db
            .selectFrom('consents')
            .innerJoin('rooms', 'rooms.id', 'consents.room_id')
            .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
            .select([...INSTITUTION_COLUMNS, 'rooms.id as room_id'])
            .where('consents.id', '=', id)
            .executeTakeFirst(),
        );
      case 'enrolment':
        return fromInstitution(
          await db
            .selectFrom('enrolments')
            .innerJoin('children', 'children.id', 'enrolments.child_id')
            .innerJoin('institutions', 'institutions.id', 'children.institution_id')
            .select([...INSTITUTION_COLUMNS, 'enrolments.room_id'])
            .where('enrolments.id', '=', id)
            .executeTakeFirst(),
        );
      case 'guardian_link':
        return fromInstitution(
          await db
            .selectFrom('guardian_links')
            .innerJoin('children', 'children.id', 'guardian_links.child_id')
            .innerJoin('institutions', 'institutions.id', 'children.institution_id')
            .select(INSTITUTION_COLUMNS)
            .where('guardian_links.id', '=', id)
            .executeTakeFirst(),
        );
      case 'subscription':
        return fromInstitution(
          await db
            .selectFrom('subscriptions')
            .innerJoin('children', 'children.id', 'subscriptions.child_id')
            .innerJoin('institutions', 'institutions.id', 'children.institution_id')
            .select(INSTITUTION_COLUMNS)
            .where('subscriptions.id', '=', id)
            .executeTakeFirst(),
        );
      case 'role_binding': {
        const b = await db
          .selectFrom('role_bindings')
          .select(['scope_kind', 'scope_id'])
          .where('id', '=', id)
          .executeTakeFirst();
        return b ? this.scope(b.scope_kind, b.scope_id) : undefined;
      }
    }
  }

  /**
   * Every place a person is linked to: the institutions of the children they are guardian of or
   * subscribed for, and the scopes of their role bindings. Deduplicated.
   */
  async personPlaces(personId: string): Promise<Place[]> {
    const viaChildren = await this.db
      .selectFrom('institutions')
      .select(INSTITUTION_COLUMNS)
      .where((eb) =>
        eb.or([
          eb(
            'institutions.id',
            'in',
            eb
              .selectFrom('guardian_links')
              .innerJoin('children', 'children.id', 'guardian_links.child_id')
              .select('children.institution_id')
              .where('guardian_links.person_id', '=', personId),
          ),
          eb(
            'institutions.id',
            'in',
            eb
              .selectFrom('subscriptions')
              .innerJoin('children', 'children.id', 'subscriptions.child_id')
              .select('children.institution_id')
              .where('subscriptions.person_id', '=', personId),
          ),
        ]),
      )
      .execute();
    const places = viaChildren.map((r) => fromInstitution(r)!);
    const bindings = await this.db
      .selectFrom('role_bindings')
      .select(['scope_kind', 'scope_id'])
      .where('person_id', '=', personId)
      .execute();
    for (const b of bindings) {
      const p = await this.scope(b.scope_kind, b.scope_id);
      if (p) places.push(p);
    }
    const seen = new Set<string>();
    return places.filter((p) => {
      const key = `${p.regionId}/${p.institution?.id ?? ''}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
}
