/**
 * The HTTP authorization matrix, generated from THE table (src/authz/table.ts), on both databases.
 *
 * For every role of the table, one person with one binding of the role's broadest scope kind over a
 * region R1 (or an institution / a room of R1). Worlds of every institution kind: "home" (the
 * binding's own institution), "sibling" (another institution of R1) and "foreign" (in region R2).
 * For every object kind × action that some role has, `ROUTES` says how it is done over HTTP; every
 * role tries it on every world's object, and the expected outcome is the table's pure decision
 * (`allows`, `authorizePerson`, `authorizeRoleBinding`, `authorizeNewInstitution` over the object's
 * place), never written by hand:
 * - allowed: the request succeeds (on a fresh object of the same place, so fixtures stay intact);
 * - refused: 403 or 404, and the domain tables are byte-for-byte unchanged after all refusals.
 * Each role's right is seen both allowed (in scope) and refused (out of scope).
 *
 * A (object, action) of the table without an entry in `ROUTES` fails the suite; those with no HTTP
 * route of their own are listed in `NO_ROUTE` with the reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIONS,
  OBJECT_KINDS,
  PERMISSIONS,
  allows,
  authorizeNewInstitution,
  authorizePerson,
  authorizeRoleBinding,
  mayAnywhere,
  type Action,
  type ObjectKind,
  type Principal,
} from '../../src/authz/index.js';
import type { Place } from '../../src/storage/repositories/places.js';
import type { Role } from '../../src/storage/schema.js';
import type { InstitutionKind } from '../../src/storage/repositories/places.js';
import type { RoomRow } from '../../src/storage/repositories/rooms.js';
import type { CameraRow } from '../../src/storage/repositories/cameras.js';
import { newId } from '../../src/shared/ids.js';
import { systemClock } from '../../src/shared/clock.js';
import { sweepCampaigns } from '../../src/domain/consent/campaigns.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { dumpDatabase, Factory } from '../support/factory.js';

/** One institution with one object of every kind the matrix touches. */
interface World {
  name: 'home' | 'sibling' | 'foreign';
  kind: InstitutionKind;
  regionId: string;
  institutionId: string;
  room: RoomRow;
  camera: CameraRow;
  scheduleId: string;
  closedDayId: string;
  /** a role binding inside the institution: a teacher of the group / an employee of the workplace */
  binding: { id: string; role: Role; roomId: string };
  /** a person linked in the institution: the child's parent / the employee */
  person: { id: string };
  kg?: {
    /** an active consent campaign in another group of the kindergarten */
    campaignId: string;
    childId: string;
    enrolmentId: string;
    guardianLinkId: string;
    subscriptionId: string;
    consentId: string;
  };
}

interface Request {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  payload?: object;
}

interface Case {
  /** the institution kinds the case is tried in (default: both) */
  kinds?: InstitutionKind[];
  /**
   * The request on world `w`. `fresh`: the request is expected to succeed; it must act on an object
   * of its own (made here) at the same place as the world's fixture, so fixtures stay as they are.
   */
  request(w: World, fresh: boolean, f: Factory): Promise<Request> | Request;
  /** the table's decision for the caller on this world (default: `allows` at `place`) */
  decide?(p: Principal, w: World): boolean;
  /** the object's place (for `create`, the parent's) */
  place?(w: World): Place;
  /** the success status (default: GET/PATCH/PUT 200, POST 201, DELETE 204) */
  ok?: number;
  /** an action on no object (the whole audit chain): allowed when the role may do it anywhere */
  global?: boolean;
  /**
   * A list route: allowed means 200 and the world's object listed (`listed` gives its id); refused
   * means an error or an answer without it.
   */
  listed?(w: World): string;
}

const regionPlace = (w: World): Place => ({ regionId: w.regionId, institution: null });
const institutionPlace = (w: World): Place => ({
  regionId: w.regionId,
  institution: { id: w.institutionId, kind: w.kind },
});
const roomPlace = (w: World): Place => ({ ...institutionPlace(w), roomIds: [w.room.id] });

const kg = (w: World) => {
  assert.ok(w.kg, 'a kindergarten world');
  return w.kg;
};
const KG: InstitutionKind[] = ['kindergarten'];

let daySeq = 0;
/** A fresh date for closed days (unique per institution and day). */
const freshDay = () => {
  daySeq++;
  return `2031-${String(1 + (daySeq % 12)).padStart(2, '0')}-${String(1 + (Math.floor(daySeq / 12) % 28)).padStart(2, '0')}`;
};

async function freshKgChild(f: Factory, w: World) {
  const child = await f.child(w.institutionId);
  await f.enrol(child.id, w.room.id);
  return child;
}

/**
 * How each object kind × action is done over HTTP. The place of an object is that of its world's
 * fixture (institution, room, the child's group).
 */
const ROUTES: Partial<Record<ObjectKind, Partial<Record<Action, Case>>>> = {
  region: {
    read: {
      request: (w) => ({ method: 'GET', url: `/api/admin/regions/${w.regionId}` }),
      place: regionPlace,
    },
    update: {
      request: (w) => ({
        method: 'PATCH',
        url: `/api/admin/regions/${w.regionId}`,
        payload: { name: `R ${newId()}` },
      }),
      place: regionPlace,
    },
  },
  institution: {
    read: {
      request: (w) => ({ method: 'GET', url: `/api/admin/institutions/${w.institutionId}` }),
      place: institutionPlace,
    },
    create: {
      request: (w) => ({
        method: 'POST',
        url: '/api/admin/institutions',
        payload: { regionId: w.regionId, kind: w.kind, name: `New ${newId()}`, timeZone: 'Europe/Moscow' },
      }),
      decide: (p, w) => ok(() => authorizeNewInstitution(p, regionPlace(w), w.kind)),
    },
    update: {
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/institutions/${fresh ? (await f.institution(w.regionId, { kind: w.kind })).id : w.institutionId}`,
        payload: { name: `Renamed ${newId()}` },
      }),
      place: institutionPlace,
    },
    delete: {
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/institutions/${fresh ? (await f.institution(w.regionId, { kind: w.kind })).id : w.institutionId}`,
      }),
      place: institutionPlace,
    },
  },
  closed_day: {
    read: {
      request: (w) => ({ method: 'GET', url: `/api/admin/closed-days/${w.closedDayId}` }),
      place: institutionPlace,
    },
    create: {
      request: (w) => ({
        method: 'POST',
        url: `/api/admin/institutions/${w.institutionId}/closed-days`,
        payload: { day: freshDay() },
      }),
      place: institutionPlace,
    },
    update: {
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/closed-days/${fresh ? (await f.closedDay(w.institutionId, { day: freshDay() })).id : w.closedDayId}`,
        payload: { reason: 'changed' },
      }),
      place: institutionPlace,
    },
    delete: {
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/closed-days/${fresh ? (await f.closedDay(w.institutionId, { day: freshDay() })).id : w.closedDayId}`,
      }),
      place: institutionPlace,
    },
  },
  room: {
    read: { request: (w) => ({ method: 'GET', url: `/api/admin/rooms/${w.room.id}` }), place: roomPlace },
    create: {
      request: (w) => ({
        method: 'POST',
        url: `/api/admin/institutions/${w.institutionId}/rooms`,
        payload: { kind: w.room.kind, zone: 'common', name: `Room ${newId()}` },
      }),
      place: institutionPlace,
    },
    update: {
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/rooms/${fresh ? (await f.room(w.institutionId, { kind: w.room.kind })).id : w.room.id}`,
        payload: { name: `Renamed ${newId()}` },
      }),
      place: roomPlace,
    },
    delete: {
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/rooms/${fresh ? (await f.room(w.institutionId, { kind: w.room.kind })).id : w.room.id}`,
      }),
      place: roomPlace,
    },
  },
  room_zone: {
    update: {
      // the zone of a room that has cameras: operators only, with a stated reason
      request: async (w, fresh, f) => {
        let roomId = w.room.id;
        if (fresh) {
          roomId = (await f.room(w.institutionId, { kind: w.room.kind })).id;
          await f.camera(roomId);
        }
        return {
          method: 'PATCH',
          url: `/api/admin/rooms/${roomId}`,
          payload: { zone: 'restricted', zoneReason: 'the room became a bedroom (matrix test)' },
        };
      },
      place: roomPlace,
    },
  },
  camera: {
    read: { request: (w) => ({ method: 'GET', url: `/api/admin/cameras/${w.camera.id}` }), place: roomPlace },
    create: {
      request: (w) => ({
        method: 'POST',
        url: `/api/admin/rooms/${w.room.id}/cameras`,
        payload: { name: `Camera ${newId()}`, sourceUrl: `demo:${newId()}` },
      }),
      place: roomPlace,
    },
    update: {
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/cameras/${fresh ? (await f.camera(w.room.id)).id : w.camera.id}`,
        payload: { name: `Renamed ${newId()}` },
      }),
      place: roomPlace,
    },
    delete: {
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/cameras/${fresh ? (await f.camera(w.room.id)).id : w.camera.id}`,
      }),
      place: roomPlace,
    },
  },
  viewing_schedule: {
    read: {
      request: (w) => ({ method: 'GET', url: `/api/admin/viewing-schedules/${w.scheduleId}` }),
      place: roomPlace,
    },
    create: {
      request: async (w, fresh, f) => ({
        method: 'POST',
        url: `/api/admin/rooms/${fresh ? (await f.room(w.institutionId, { kind: w.room.kind })).id : w.room.id}/viewing-schedules`,
        payload: { weekday: 6, startTime: '06:00', endTime: '06:30' },
      }),
      place: roomPlace,
    },
    update: {
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/viewing-schedules/${fresh ? (await f.schedule((await f.room(w.institutionId, { kind: w.room.kind })).id)).id : w.scheduleId}`,
        payload: { endTime: '17:00' },
      }),
      place: roomPlace,
    },
    delete: {
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/viewing-schedules/${fresh ? (await f.schedule(w.room.id)).id : w.scheduleId}`,
      }),
      place: roomPlace,
    },
  },
  consent: {
    read: {
      kinds: KG,
      request: (w) => ({ method: 'GET', url: `/api/admin/consents/${kg(w).consentId}` }),
      place: roomPlace,
    },
    create: {
      kinds: KG,
      request: (w) => ({
        method: 'POST',
        url: `/api/admin/rooms/${w.room.id}/consents`,
        payload: { status: 'given' },
      }),
      place: roomPlace,
    },
  },
  child: {
    read: {
      kinds: KG,
      request: (w) => ({ method: 'GET', url: `/api/admin/children/${kg(w).childId}` }),
      place: roomPlace,
    },
    create: {
      kinds: KG,
      request: (w) => ({
        method: 'POST',
        url: `/api/admin/institutions/${w.institutionId}/children`,
        payload: { fullName: `Child ${newId()}` },
      }),
      place: institutionPlace,
    },
    update: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/children/${fresh ? (await freshKgChild(f, w)).id : kg(w).childId}`,
        payload: { fullName: `Renamed ${newId()}` },
      }),
      place: roomPlace,
    },
    delete: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/children/${fresh ? (await freshKgChild(f, w)).id : kg(w).childId}`,
      }),
      place: roomPlace,
    },
  },
  enrolment: {
    read: {
      kinds: KG,
      request: (w) => ({ method: 'GET', url: `/api/admin/enrolments/${kg(w).enrolmentId}` }),
      place: roomPlace,
    },
    create: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'POST',
        url: `/api/admin/children/${fresh ? (await f.child(w.institutionId)).id : kg(w).childId}/enrolments`,
        payload: { roomId: w.room.id, startDate: '2031-01-01' },
      }),
      place: roomPlace,
    },
    update: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/enrolments/${fresh ? (await f.enrol((await f.child(w.institutionId)).id, w.room.id)).id : kg(w).enrolmentId}`,
        payload: { endDate: '2032-06-30' },
      }),
      place: roomPlace,
    },
    delete: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/enrolments/${fresh ? (await f.enrol((await f.child(w.institutionId)).id, w.room.id)).id : kg(w).enrolmentId}`,
      }),
      place: roomPlace,
    },
  },
  guardian_link: {
    read: {
      kinds: KG,
      request: (w) => ({ method: 'GET', url: `/api/admin/guardian-links/${kg(w).guardianLinkId}` }),
      place: roomPlace,
    },
    create: {
      kinds: KG,
      request: (w) => ({
        method: 'POST',
        url: `/api/admin/children/${kg(w).childId}/guardians`,
        payload: { person: { subject: `matrix-${newId()}`, displayName: 'Новый родитель' } },
      }),
      place: roomPlace,
    },
    update: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/guardian-links/${fresh ? (await f.guardian((await f.person()).id, kg(w).childId)).id : kg(w).guardianLinkId}`,
        payload: { relation: 'guardian' },
      }),
      place: roomPlace,
    },
    delete: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/guardian-links/${fresh ? (await f.guardian((await f.person()).id, kg(w).childId)).id : kg(w).guardianLinkId}`,
      }),
      place: roomPlace,
    },
  },
  subscription: {
    read: {
      kinds: KG,
      request: (w) => ({ method: 'GET', url: `/api/admin/subscriptions/${kg(w).subscriptionId}` }),
      place: roomPlace,
    },
    create: {
      kinds: KG,
      request: async (w, fresh, f) => {
        const parent = fresh ? await f.person() : w.person;
        if (fresh) await f.guardian(parent.id, kg(w).childId);
        return {
          method: 'POST',
          url: `/api/admin/children/${kg(w).childId}/subscriptions`,
          payload: { personId: parent.id },
        };
      },
      place: roomPlace,
    },
    update: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/subscriptions/${fresh ? (await freshSubscription(f, w)).id : kg(w).subscriptionId}`,
        payload: { status: 'suspended' },
      }),
      place: roomPlace,
    },
    delete: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/subscriptions/${fresh ? (await freshSubscription(f, w)).id : kg(w).subscriptionId}`,
      }),
      place: roomPlace,
    },
  },
  person: {
    read: {
      request: (w) => ({ method: 'GET', url: `/api/admin/persons/${w.person.id}` }),
      decide: (p, w) => ok(() => authorizePerson(p, 'read', [personPlace(w)])),
    },
    update: {
      request: async (w, fresh, f) => ({
        method: 'PATCH',
        url: `/api/admin/persons/${fresh ? (await freshPerson(f, w)).id : w.person.id}`,
        payload: { displayName: `Renamed ${newId()}` },
      }),
      decide: (p, w) => ok(() => authorizePerson(p, 'update', [personPlace(w)])),
    },
    delete: {
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/persons/${fresh ? (await freshPerson(f, w)).id : w.person.id}`,
      }),
      decide: (p, w) => ok(() => authorizePerson(p, 'delete', [personPlace(w)])),
    },
  },
  role_binding: {
    read: {
      request: (w) => ({ method: 'GET', url: `/api/admin/role-bindings/${w.binding.id}` }),
      place: roomPlace,
    },
    create: {
      request: async (w, fresh, f) => ({
        method: 'POST',
        url: '/api/admin/role-bindings',
        payload: {
          personId: fresh ? (await freshPerson(f, w)).id : w.person.id,
          role: w.binding.role,
          scopeKind: 'room',
          scopeId: w.room.id,
        },
      }),
      decide: (p, w) =>
        ok(() =>
          authorizeRoleBinding(p, 'create', roomPlace(w), w.binding.role, { personId: 'someone else' }),
        ),
    },
    delete: {
      request: async (w, fresh, f) => ({
        method: 'DELETE',
        url: `/api/admin/role-bindings/${fresh ? (await f.bind((await f.person()).id, w.binding.role, 'room', w.room.id)).id : w.binding.id}`,
      }),
      decide: (p, w) => ok(() => authorizeRoleBinding(p, 'delete', roomPlace(w), w.binding.role)),
    },
  },
  recording_timeline: {
    read: {
      request: (w) => ({
        method: 'GET',
        url: `/api/recordings/${w.camera.id}/timeline?from=2026-11-23T00:00:00.000Z&to=2026-11-23T01:00:00.000Z`,
      }),
      place: roomPlace,
    },
  },
  recording_settings: {
    read: {
      request: (w) => ({ method: 'GET', url: `/api/recordings/rooms/${w.room.id}/schedule` }),
      place: roomPlace,
    },
    update: {
      request: (w) => ({
        method: 'PUT',
        url: `/api/recordings/rooms/${w.room.id}/schedule`,
        payload: { windows: [{ weekday: 1, start: '09:00', end: '18:00' }] },
      }),
      place: roomPlace,
    },
  },
  retention: {
    update: {
      request: (w) => ({
        method: 'PUT',
        url: `/api/recordings/retention/${w.institutionId}/${w.room.kind}`,
        payload: { days: 30 },
      }),
      place: institutionPlace,
    },
  },
  camera_health: {
    read: {
      request: () => ({ method: 'GET', url: '/api/cameras/health' }),
      place: roomPlace,
      listed: (w) => w.camera.id,
    },
  },
  audit_log: {
    verify: { request: () => ({ method: 'GET', url: '/api/audit/verify' }), global: true },
    read: {
      request: (w) => ({ method: 'GET', url: `/api/audit?institution=${w.institutionId}` }),
      place: institutionPlace,
      listed: (w) => w.institutionId,
    },
  },
  consent_campaign: {
    read: {
      kinds: KG,
      request: (w) => ({ method: 'GET', url: `/api/admin/rooms/${w.room.id}/consent-campaigns` }),
      place: roomPlace,
    },
    create: {
      kinds: KG,
      // a group without an active campaign (the fixture group has a consent entry, no campaign)
      request: async (w, fresh, f) => ({
        method: 'POST',
        url: `/api/admin/rooms/${fresh ? (await f.room(w.institutionId)).id : w.room.id}/consent-campaigns`,
        payload: {},
      }),
      place: roomPlace,
      ok: 200,
    },
    update: {
      kinds: KG,
      request: async (w, fresh, f) => ({
        method: 'POST',
        url: `/api/admin/consent-campaigns/${fresh ? await campaignIn(f, w, (await f.room(w.institutionId)).id) : kg(w).campaignId}/close`,
      }),
      place: roomPlace,
      ok: 200,
    },
  },
  consent_rule: {
    read: {
      kinds: KG,
      request: (w) => ({ method: 'GET', url: `/api/admin/institutions/${w.institutionId}/consent-rule` }),
      place: institutionPlace,
    },
    update: {
      kinds: KG,
      request: (w) => ({
        method: 'PUT',
        url: `/api/admin/institutions/${w.institutionId}/consent-rule`,
        payload: { kind: 'share', sharePercent: 67, graceDays: 7 },
      }),
      place: institutionPlace,
    },
  },
  consent_template: {
    read: {
      kinds: KG,
      request: (w) => ({
        method: 'GET',
        url: `/api/admin/institutions/${w.institutionId}/consent-templates`,
      }),
      place: institutionPlace,
    },
    create: {
      kinds: KG,
      request: (w) => ({
        method: 'POST',
        url: `/api/admin/regions/${w.regionId}/consent-templates`,
        payload: { title: 'Согласие', body: 'Текст согласия родителей группы, новая версия.' },
      }),
      place: regionPlace,
      ok: 200,
    },
  },
  connection: {
    update: {
      kinds: KG,
      // checking a saved camera (the test camera does not answer: the check itself is the change)
      request: (w) => ({ method: 'POST', url: `/api/admin/cameras/${w.camera.id}/connection-check` }),
      place: roomPlace,
      ok: 200,
    },
    read: {
      kinds: KG,
      request: (w) => ({ method: 'GET', url: `/api/admin/institutions/${w.institutionId}/connection` }),
      place: institutionPlace,
    },
  },
  connection_profile: {
    update: {
      kinds: KG,
      request: (w) => ({
        method: 'PUT',
        url: `/api/admin/regions/${w.regionId}/connection-profile`,
        payload: {
          allowH265: false,
          minWidth: 640,
          minHeight: 360,
          maxWidth: 1920,
          maxHeight: 1080,
          minFps: 12,
          maxFps: 25,
          maxKeyframeIntervalS: 2,
          minBitrateKbps: 1000,
          maxBitrateKbps: 4000,
          audioOffInGroups: true,
          timeSyncRequired: true,
        },
      }),
      place: regionPlace,
    },
    read: {
      kinds: KG,
      request: (w) => ({ method: 'GET', url: `/api/admin/regions/${w.regionId}/connection-profile` }),
      place: regionPlace,
    },
  },
};

/**
 * Rights of the table with no HTTP route of their own, or not (yet) in this matrix, with the reason
 * and where they are tested instead. The suite prints them; anything else missing from ROUTES fails.
 */
const NO_ROUTE: Partial<Record<ObjectKind, Partial<Record<Action, string>>>> = {
  person: {
    create: 'no route of its own: a person is created within a guardian link or a role binding (those cases)',
  },
};

/**
 * Rights the table has, with HTTP routes, that this matrix does not try yet. Each names the suite
 * that tries them over HTTP today. The suite prints them; shrink this list, never grow it.
 */
const NOT_YET: Partial<Record<ObjectKind, string>> = {
  visit_recording: 'needs the recorder running: test/integration/recording/api.test.ts',
  alert: 'recipients by scope and the notification centre: test/api/alerts-delivery.test.ts',
  alert_webhook: 'test/api/alerts-delivery.test.ts',
  alert_delivery: 'test/api/alerts-delivery.test.ts',
  attendance_device: 'test/api/attendance-intake.test.ts',
  register_mark: 'test/api/attendance-orders.test.ts',
  absence_notice: 'test/api/attendance-orders.test.ts',
  meal_order: 'test/api/attendance-orders.test.ts',
  attendance: 'test/api/attendance-orders.test.ts',
  guardianship_case: 'the service adds "the case\'s own specialist": test/api/inspections.test.ts',
  inspection:
    'the service adds "the case\'s own specialist" and a stated reason: test/api/inspections.test.ts',
  inspection_photo: 'test/api/inspections.test.ts',
  tariff: 'test/db/billing.test.ts and the billing API suites',
  billing_run: 'test/db/billing.test.ts and the billing API suites',
  payment_import: 'test/db/billing.test.ts and the billing API suites',
  billing_account: 'test/db/billing.test.ts and the billing API suites',
  visit: 'test/api/visits.test.ts',
  visit_flag: 'test/api/visits.test.ts',
  coverage: 'test/api/visits.test.ts',
  privacy_mask: 'test/integration/recording/citizen-request.test.ts',
  citizen_request:
    'test/integration/recording/citizen-request.test.ts and test/api/citizen-request-visits.test.ts',
  workplace_access_log:
    'test/integration/recording/citizen-request.test.ts and test/api/citizen-request-visits.test.ts',
};

/** An active consent campaign in a room (a text for the region first), as the demo has. */
async function campaignIn(f: Factory, w: World, roomId: string): Promise<string> {
  const at = new Date().toISOString();
  let template = await f.db
    .selectFrom('consent_templates')
    .select('id')
    .where('region_id', '=', w.regionId)
    .executeTakeFirst();
  if (!template) {
    template = { id: newId() };
    await f.db
      .insertInto('consent_templates')
      .values({
        id: template.id,
        region_id: w.regionId,
        version: 1,
        title: 'T',
        body: 'B'.repeat(30),
        published_at: at,
        published_by: null,
      })
      .execute();
  }
  const id = newId();
  await f.db
    .insertInto('consent_campaigns')
    .values({
      id,
      room_id: roomId,
      institution_id: w.institutionId,
      template_id: template.id,
      template_version: 1,
      title: 'T',
      body: 'B'.repeat(30),
      rule_kind: 'all',
      share_percent: 100,
      grace_days: 14,
      status: 'active',
      launched_at: at,
      launched_on: at.slice(0, 10),
      launched_by: null,
      closed_at: null,
      last_reminder_at: null,
    })
    .execute();
  return id;
}

function ok(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

function personPlace(w: World): Place {
  // the parent is linked through the child (its group); the employee through the workplace binding
  return roomPlace(w);
}

async function freshPerson(f: Factory, w: World) {
  const p = await f.person();
  if (w.kind === 'kindergarten') await f.guardian(p.id, kg(w).childId);
  else await f.bind(p.id, 'reception', 'room', w.room.id);
  return p;
}

async function freshSubscription(f: Factory, w: World) {
  const p = await f.person();
  await f.guardian(p.id, kg(w).childId);
  return f.subscription(p.id, kg(w).childId);
}

/** Every (object, action) some role of the table has. */
function rightsInTable(): [ObjectKind, Action][] {
  const out: [ObjectKind, Action][] = [];
  for (const o of OBJECT_KINDS)
    for (const a of ACTIONS)
      if (Object.values(PERMISSIONS).some((r) => r.rights[o]?.includes(a))) out.push([o, a]);
  return out;
}

const ROLES = Object.keys(PERMISSIONS) as Role[];

for (const { name, open, skip } of testDatabases()) {
  describe(`the authorization matrix over HTTP on ${name}`, { skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let f: Factory;
    const worlds: World[] = [];
    const callers = new Map<Role, { session: TestSession; principal: Principal }>();

    async function kindergarten(name: World['name'], regionId: string): Promise<World> {
      const k = await f.kindergartenWorld(regionId, `${name}-kg`);
      const teacher = await f.person();
      const binding = await f.bind(teacher.id, 'teacher', 'room', k.group.id);
      const w: World = {
        name,
        kind: 'kindergarten',
        regionId,
        institutionId: k.institution.id,
        room: k.group,
        camera: k.camera,
        scheduleId: k.schedule.id,
        closedDayId: k.closedDay.id,
        binding: { id: binding.id, role: 'teacher', roomId: k.group.id },
        person: k.parent,
        kg: {
          campaignId: '',
          childId: k.child.id,
          enrolmentId: k.enrolment.id,
          guardianLinkId: k.guardianLink.id,
          subscriptionId: k.subscription.id,
          consentId: k.consent.id,
        },
      };
      kg(w).campaignId = await campaignIn(f, w, (await f.room(w.institutionId)).id);
      return w;
    }

    async function office(name: World['name'], regionId: string): Promise<World> {
      const o = await f.officeWorld(regionId, `${name}-office`);
      return {
        name,
        kind: 'office',
        regionId,
        institutionId: o.institution.id,
        room: o.workplace,
        camera: o.camera,
        scheduleId: (await f.schedule(o.workplace.id)).id,
        closedDayId: (await f.closedDay(o.institution.id)).id,
        binding: { id: o.employeeBinding.id, role: 'employee', roomId: o.workplace.id },
        person: o.employee,
      };
    }

    before(async () => {
      db = await open();
      t = await buildTestApp(db);
      f = new Factory(db.kysely);
      const r1 = await f.region({ name: 'R1' });
      const r2 = await f.region({ name: 'R2' });
      worlds.push(
        await kindergarten('home', r1.id),
        await kindergarten('sibling', r1.id),
        await kindergarten('foreign', r2.id),
        await office('home', r1.id),
        await office('sibling', r1.id),
        await office('foreign', r2.id),
      );
      // One caller per role: a binding of its broadest scope kind, over the home world of its first kind.
      for (const role of ROLES) {
        const rule = PERMISSIONS[role];
        const scopeKind = rule.scopes[0]!;
        const home = worlds.find((w) => w.name === 'home' && w.kind === rule.kinds[0])!;
        const scopeId =
          scopeKind === 'region'
            ? home.regionId
            : scopeKind === 'institution'
              ? home.institutionId
              : home.room.id;
        const person = await f.staff(role, scopeKind, scopeId);
        callers.set(role, {
          session: await sessionFor(t, person.id),
          principal: { personId: person.id, bindings: [{ role, scopeKind, scopeId }] },
        });
      }
    });
    after(async () => {
      await t.close();
      await db.close();
    });

    // The server's periodic consent sweep settles campaigns (writing consent entries): settle the
    // fixtures' now, so a sweep during the run has nothing to change in "nothing changes".
    before(() => sweepCampaigns({ db: db.kysely, clock: systemClock }));

    test('every right in the table has an HTTP case (or a stated reason why not)', (ctx) => {
      const missing = rightsInTable().filter(([o, a]) => !ROUTES[o]?.[a] && !NO_ROUTE[o]?.[a] && !NOT_YET[o]);
      assert.deepEqual(
        missing.map(([o, a]) => `${o}:${a}`),
        [],
        'rights of src/authz/table.ts without a case in ROUTES: add one (or a reason in NO_ROUTE)',
      );
      for (const [o, a] of rightsInTable()) {
        if (NO_ROUTE[o]?.[a]) ctx.diagnostic(`${o}:${a} has no HTTP route: ${NO_ROUTE[o][a]}`);
        else if (!ROUTES[o]?.[a] && NOT_YET[o])
          ctx.diagnostic(`${o}:${a} not in this matrix yet: ${NOT_YET[o]}`);
      }
    });

    /** Every trial: a role, a case and a world, with the table's decision. */
    function trials() {
      const out: { role: Role; object: ObjectKind; action: Action; c: Case; w: World; allowed: boolean }[] =
        [];
      for (const [object, action] of rightsInTable()) {
        const c = ROUTES[object]?.[action];
        if (!c) continue;
        for (const role of ROLES) {
          const { principal } = callers.get(role)!;
          // A role without the right at all is refused on its own (home) worlds; the others are
          // further out of its scope still, so they are tried only for roles that have the right.
          const hasRight = PERMISSIONS[role].rights[object]?.includes(action) ?? false;
          for (const w of worlds) {
            if (!(c.kinds ?? ['kindergarten', 'office']).includes(w.kind)) continue;
            if (!hasRight && w.name !== 'home') continue;
            const allowed = c.global
              ? mayAnywhere(principal, object, action)
              : c.decide
                ? c.decide(principal, w)
                : allows(principal, object, action, c.place!(w));
            out.push({ role, object, action, c, w, allowed });
          }
        }
      }
      return out;
    }

    async function send(role: Role, r: Request) {
      return t.app.inject({
        method: r.method,
        url: r.url,
        headers: callers.get(role)!.session.headers,
        ...(r.payload ? { payload: r.payload } : {}),
      });
    }

    const label = (x: { role: Role; object: ObjectKind; action: Action; w: World }) =>
      `${x.role} ${x.object}:${x.action} on the ${x.w.name} ${x.w.kind}`;

    test('each right is seen in scope and out of scope', () => {
      const all = trials();
      for (const role of ROLES)
        for (const [object, actions] of Object.entries(PERMISSIONS[role].rights))
          for (const action of actions as Action[]) {
            const mine = all.filter((x) => x.role === role && x.object === object && x.action === action);
            if (mine.length === 0 || mine[0]!.c.global) continue; // NO_ROUTE, NOT_YET; no object
            assert.ok(
              mine.some((x) => x.allowed),
              `${role} ${object}:${action} is never in scope`,
            );
            assert.ok(
              mine.some((x) => !x.allowed),
              `${role} ${object}:${action} is never out of scope`,
            );
          }
    });

    test('what the table refuses is refused over HTTP (403/404), and nothing changes', async (ctx) => {
      const { audit_log: _l, audit_head: _h, ...before } = await dumpDatabase(db.kysely);
      const wrong: string[] = [];
      const refused = trials().filter((x) => !x.allowed);
      ctx.diagnostic(`${refused.length} refused requests`);
      for (const x of refused) {
        const res = await send(x.role, await x.c.request(x.w, false, f));
        if (x.c.listed) {
          if (res.statusCode === 200 && res.body.includes(x.c.listed(x.w)))
            wrong.push(`${label(x)}: listed (${res.statusCode})`);
        } else if (res.statusCode !== 403 && res.statusCode !== 404)
          wrong.push(`${label(x)}: ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
      assert.deepEqual(wrong, [], 'refusals of the table that HTTP did not refuse');
      const { audit_log: _l2, audit_head: _h2, ...after } = await dumpDatabase(db.kysely);
      assert.deepEqual(after, before, 'a refused request changed something');
    });

    test('what the table allows is done over HTTP', async (ctx) => {
      const wrong: string[] = [];
      const allowed = trials().filter((x) => x.allowed);
      ctx.diagnostic(`${allowed.length} allowed requests`);
      for (const x of allowed) {
        const r = await x.c.request(x.w, true, f);
        const res = await send(x.role, r);
        const expected = x.c.ok ?? (r.method === 'POST' ? 201 : r.method === 'DELETE' ? 204 : 200);
        if (res.statusCode !== expected)
          wrong.push(`${label(x)}: ${res.statusCode} (expected ${expected}) ${res.body.slice(0, 160)}`);
        else if (x.c.listed && !res.body.includes(x.c.listed(x.w))) wrong.push(`${label(x)}: not listed`);
      }
      assert.deepEqual(wrong, [], 'rights of the table that HTTP did not grant');
    });
  });
}
