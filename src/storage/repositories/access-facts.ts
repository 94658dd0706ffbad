/**
 * Loads the snapshot of facts the access policy decides over (src/policy/facts.ts). The grant path
 * (every request, renewal and 2-second re-check of a live stream) uses `liveSnapshot`: one statement
 * of indexed UNION ALL branches, so a decision costs one round trip instead of ten. `camera` and
 * `viewer` serve the recording side, which needs only those.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type {
  CameraFacts,
  LiveAccessFacts,
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

/** Everything a live-access decision needs except the configured stream limit. */
export type LiveSnapshot = Omit<LiveAccessFacts, 'camera' | 'viewer' | 'streamLimit'> & {
  camera: CameraRow;
  viewer: ViewerFacts;
};

/** One row of the snapshot statement: the branch it came from and up to 14 text columns. */
interface SnapshotRow {
  k: string;
  a: string | null;
  b: string | null;
  c: string | null;
  d: string | null;
  e: string | null;
  f: string | null;
  g: string | null;
  h: string | null;
  i: string | null;
  j: string | null;
  l: string | null;
  m: string | null;
  n: string | null;
  o: string | null;
}

export class AccessFactsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The facts for `personId` watching `cameraId` live at `nowIso`, in one statement; `undefined` when
   * the camera or the person does not exist. Open streams (a connection carries them: started, not
   * ended, grant not lapsed; a grant never used holds no slot) are counted only up to `countUpTo` (the
   * policy needs to know whether the cap is reached), and only for a person with guardian links: the
   * cap is the guardian basis's, and staff watching many cameras would make the count a long scan. And
   * `exceptStreamId` (the stream being renewed or re-checked) is not counted.
   */
  async liveSnapshot(
    personId: string,
    cameraId: string,
    opts: { nowIso: string; exceptStreamId?: string | undefined; countUpTo: number },
  ): Promise<LiveSnapshot | undefined> {
    // A literal limit: with a bound one, SQLite (3.53) plans the compound statement about 2x slower.
    const countUpTo = Math.max(1, Math.trunc(opts.countUpTo));
    const roomOf = sql`(select room_id from cameras where id = ${cameraId})`;
    const childrenOf = sql`(select child_id from guardian_links where person_id = ${personId})`;
    // The first branch fixes the column types (text) for PostgreSQL; later branches pad with nulls.
    const { rows } = await sql<SnapshotRow>`
      select 'camera' as k, c.id as a, c.name as b, cast(c.enabled as text) as c, r.id as d,
             r.name as e, r.kind as f, r.zone as g, i.id as h, i.name as i, i.kind as j,
             i.region_id as l, i.time_zone as m, cast(i.free_pilot as text) as n,
             cast(i.consent_required as text) as o
        from cameras c
        join rooms r on r.id = c.room_id
        join institutions i on i.id = r.institution_id
       where c.id = ${cameraId}
      union all
      select 'closed', day, null, null, null, null, null, null, null, null, null, null, null, null, null
        from closed_days
       where institution_id = (select institution_id from rooms where id = ${roomOf})
      union all
      select 'person', id, cast(disabled as text), null, null, null, null, null, null, null, null, null,
             null, null, null
        from persons where id = ${personId}
      union all
      select 'role', role, scope_kind, scope_id, null, null, null, null, null, null, null, null, null,
             null, null
        from role_bindings where person_id = ${personId}
      union all
      select 'link', child_id, cast(verified as text), null, null, null, null, null, null, null, null,
             null, null, null, null
        from guardian_links where person_id = ${personId}
      union all
      select 'enrolment', child_id, room_id, start_date, end_date, null, null, null, null, null, null,
             null, null, null, null
        from enrolments where child_id in ${childrenOf}
      union all
      select 'subscription', child_id, status, suspended_reason, null, null, null, null, null, null,
             null, null, null, null, null
        from subscriptions where child_id in ${childrenOf}
      union all
      select 'window', cast(weekday as text), start_time, end_time, null, null, null, null, null, null,
             null, null, null, null, null
        from viewing_schedules where room_id = ${roomOf}
      union all
      select 'consent', (select status from consents where room_id = ${roomOf}
                          order by recorded_at desc limit 1),
             null, null, null, null, null, null, null, null, null, null, null, null, null
      union all
      select 'open', cast((select count(*) from (
               select 1 as one from stream_sessions
                where person_id = ${personId} and ended_at is null and purpose = 'live'
                  and grant_expires_at > ${opts.nowIso}
                  and started_at is not null
                  and id <> ${opts.exceptStreamId ?? ''}
                  and exists (select 1 from guardian_links where person_id = ${personId})
                limit ${sql.lit(countUpTo)}) as open_streams) as text),
             null, null, null, null, null, null, null, null, null, null, null, null, null
    `.execute(this.db);
    return parseSnapshot(rows);
  }

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
}

function parseSnapshot(rows: readonly SnapshotRow[]): LiveSnapshot | undefined {
  let cam: SnapshotRow | undefined;
  let person: SnapshotRow | undefined;
  const closedDays: string[] = [];
  const roleBindings: RoleBinding[] = [];
  const guardianLinks: GuardianLink[] = [];
  const enrolments: Enrolment[] = [];
  const subscriptions: Subscription[] = [];
  const viewingWindows: ViewingWindow[] = [];
  let consent: ConsentState = 'none';
  let openStreams = 0;
  for (const r of rows) {
    switch (r.k) {
      case 'camera':
        cam = r;
        break;
      case 'closed':
        closedDays.push(r.a!);
        break;
      case 'person':
        person = r;
        break;
      case 'role':
        roleBindings.push({
          role: r.a as RoleBinding['role'],
          scopeKind: r.b as RoleBinding['scopeKind'],
          scopeId: r.c!,
        });
        break;
      case 'link':
        guardianLinks.push({ childId: r.a!, verified: r.b === '1' });
        break;
      case 'enrolment':
        enrolments.push({ childId: r.a!, roomId: r.b!, startDate: r.c!, endDate: r.d });
        break;
      case 'subscription':
        subscriptions.push({
          childId: r.a!,
          status: r.b as Subscription['status'],
          ...(r.c ? { suspendedReason: r.c } : {}),
        });
        break;
      case 'window':
        viewingWindows.push({ weekday: Number(r.a) as Weekday, start: r.b!, end: r.c! });
        break;
      case 'consent':
        consent = (r.a as ConsentState | null) ?? 'none';
        break;
      case 'open':
        openStreams = Number(r.a);
        break;
    }
  }
  if (!cam || !person) return undefined;
  return {
    camera: {
      name: cam.b!,
      roomName: cam.e!,
      institutionName: cam.i!,
      facts: {
        cameraId: cam.a!,
        enabled: cam.c === '1',
        roomId: cam.d!,
        roomKind: cam.f as CameraFacts['roomKind'],
        roomZone: cam.g as CameraFacts['roomZone'],
        institutionId: cam.h!,
        institutionKind: cam.j as CameraFacts['institutionKind'],
        regionId: cam.l!,
        timeZone: cam.m!,
        freePilot: cam.n === '1',
        closedDays,
        consentRequired: cam.o === '1',
      },
    },
    viewer: { personId: person.a!, disabled: person.b === '1', roleBindings },
    guardianLinks,
    enrolments,
    viewingWindows,
    subscriptions,
    consent,
    openStreams,
  };
}
