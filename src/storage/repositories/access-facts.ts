/**
 * Loads the snapshot of facts the access policy decides over (src/policy/facts.ts): a handful of
 * indexed queries per decision, no joins across tenants.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type {
  CameraFacts,
  ConsentState,
  Enrolment,
  GuardianLink,
  RoleBinding,
  Subscription,
  ViewerFacts,
  ViewingWindow,
  Weekday,
} from '../../policy/facts.js';

export interface CameraRow {
  facts: CameraFacts;
  name: string;
  roomName: string;
  institutionName: string;
}

export class AccessFactsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async viewer(personId: string): Promise<ViewerFacts | undefined> {
    const p = await this.db
      .selectFrom('persons')
      .select(['id', 'disabled'])
      .where('id', '=', personId)
      .executeTakeFirst();
    if (!p) return undefined;
    const roles = await this.db
      .selectFrom('role_bindings')
      .select(['role', 'scope_kind', 'scope_id'])
      .where('person_id', '=', personId)
      .execute();
    return {
      personId: p.id,
      disabled: p.disabled === 1,
      roleBindings: roles.map((r): RoleBinding => ({
        role: r.role,
        scopeKind: r.scope_kind,
        scopeId: r.scope_id,
      })),
    };
  }

  async camera(cameraId: string): Promise<CameraRow | undefined> {
    const c = await this.db
      .selectFrom('cameras')
      .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .select([
        'cameras.id',
        'cameras.name',
        'cameras.enabled',
        'rooms.id as room_id',
        'rooms.name as room_name',
        'rooms.kind as room_kind',
        'rooms.zone',
        'institutions.id as institution_id',
        'institutions.name as institution_name',
        'institutions.kind as institution_kind',
        'institutions.region_id',
        'institutions.time_zone',
        'institutions.free_pilot',
        'institutions.consent_required',
      ])
      .where('cameras.id', '=', cameraId)
      .executeTakeFirst();
    if (!c) return undefined;
    const closed = await this.db
      .selectFrom('closed_days')
      .select('day')
      .where('institution_id', '=', c.institution_id)
      .execute();
    return {
      name: c.name,
      roomName: c.room_name,
      institutionName: c.institution_name,
      facts: {
        cameraId: c.id,
        enabled: c.enabled === 1,
        roomId: c.room_id,
        roomKind: c.room_kind,
        roomZone: c.zone,
        institutionId: c.institution_id,
        institutionKind: c.institution_kind,
        regionId: c.region_id,
        timeZone: c.time_zone,
        freePilot: c.free_pilot === 1,
        closedDays: closed.map((d) => d.day),
        consentRequired: c.consent_required === 1,
      },
    };
  }

  async guardianLinks(personId: string): Promise<GuardianLink[]> {
    const rows = await this.db
      .selectFrom('guardian_links')
      .select(['child_id', 'verified'])
      .where('person_id', '=', personId)
      .execute();
    return rows.map((r) => ({ childId: r.child_id, verified: r.verified === 1 }));
  }

  async enrolments(childIds: readonly string[]): Promise<Enrolment[]> {
    if (childIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('enrolments')
      .select(['child_id', 'room_id', 'start_date', 'end_date'])
      .where('child_id', 'in', childIds)
      .execute();
    return rows.map((r) => ({
      childId: r.child_id,
      roomId: r.room_id,
      startDate: r.start_date,
      endDate: r.end_date,
    }));
  }

  async subscriptions(childIds: readonly string[]): Promise<Subscription[]> {
    if (childIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('subscriptions')
      .select(['child_id', 'status'])
      .where('child_id', 'in', childIds)
      .execute();
    return rows.map((r) => ({ childId: r.child_id, status: r.status }));
  }

  async viewingWindows(roomId: string): Promise<ViewingWindow[]> {
    const rows = await this.db
      .selectFrom('viewing_schedules')
      .select(['weekday', 'start_time', 'end_time'])
      .where('room_id', '=', roomId)
      .execute();
    return rows.map((r) => ({ weekday: r.weekday as Weekday, start: r.start_time, end: r.end_time }));
  }

  async consent(roomId: string): Promise<ConsentState> {
    const row = await this.db
      .selectFrom('consents')
      .select('status')
      .where('room_id', '=', roomId)
      .orderBy('recorded_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.status ?? 'none';
  }
}
