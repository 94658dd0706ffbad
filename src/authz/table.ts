/**
 * THE authorization table: what each role may do, to which kind of object, through which scope of
 * role binding, in which kinds of institution — and which video it may see. Every access decision
 * about staff (the admin API, recording operations, camera health, the audit log, role grants, the
 * video policy's staff basis) reads this one table through src/authz/authorize.ts. Anything not in
 * it is refused (deny by default). The same table generates the HTTP matrix test
 * (test/api/authz-matrix.test.ts) and is printed as one table in docs/design/authorization.md.
 *
 * Pure data: no database, no clock.
 */
import type { InstitutionKind, Role, ScopeKind, ZoneKind } from '../policy/facts.js';

/** Kinds of object a permission is about. New capabilities add their kinds here (and their rows below). */
export type ObjectKind =
  | 'region'
  | 'institution'
  | 'closed_day'
  | 'room'
  /** the zone of a room that has cameras (common ↔ restricted): operators only, with a stated reason */
  | 'room_zone'
  | 'camera'
  | 'viewing_schedule'
  | 'consent'
  | 'child'
  | 'enrolment'
  | 'guardian_link'
  | 'subscription'
  | 'person'
  | 'role_binding'
  /** a camera's recording timeline and legal holds list (no video in it) */
  | 'recording_timeline'
  /** starting and stopping the recording of a visit (a manual workplace camera) */
  | 'visit_recording'
  /** working hours and ring-buffer mode of recorded rooms and cameras */
  | 'recording_settings'
  /** how long recordings are kept, per institution and room kind */
  | 'retention'
  /** the live state of cameras (fps, bitrate, restarts); probing a camera before saving it */
  | 'camera_health'
  /** the audit log: search, CSV export ('read'); hash-chain verification ('verify') */
  | 'audit_log'
  /** alerts raised in the scope: the in-app list ('read'), resolving one ('update') */
  | 'alert'
  /** webhook endpoints of a region or institution that receive its alerts (docs/design/alerts.md) */
  | 'alert_webhook'
  /** the delivery log of alerts (e-mails and webhooks: attempts, status, errors) */
  | 'alert_delivery'
  // consent campaigns and connecting kindergartens (docs/design/consent-campaigns.md, connection.md)
  | 'consent_campaign'
  | 'consent_rule'
  | 'consent_template'
  | 'connection'
  | 'connection_profile'
  // attendance (docs/design/attendance.md); teachers are room-scoped: src/attendance/access.ts
  | 'attendance_device'
  | 'register_mark'
  | 'absence_notice'
  | 'meal_order'
  | 'attendance'
  // home inspections (docs/design/inspections.md): the service adds "the case's own specialist"
  // and "an inspector states a reason" on top of these rows
  | 'guardianship_case'
  | 'inspection'
  | 'inspection_photo'
  // the paid service (docs/design/billing.md)
  | 'tariff'
  | 'billing_run'
  | 'payment_import'
  | 'billing_account'
  // office visits (docs/design/office-visits.md): opening and closing ('create', 'update'), the register
  | 'visit'
  /** flags over visits, recordings and office hours: the list ('read'), resolving with a comment ('update') */
  | 'visit_flag'
  /** coverage of working hours by recording: dashboard and CSV */
  | 'coverage'
  // citizens' requests for their own recording (docs/design/citizen-requests.md)
  /** the privacy masks of a camera: rectangles always filled in a citizen's export */
  | 'privacy_mask'
  /** a citizen's request for the recording of their visit: create, approve/produce/hand over (update) */
  | 'citizen_request'
  /** an employee's view of their own workplace: schedule, recordings, who watched them and why */
  | 'workplace_access_log';

/** Actions. CRUD for objects; a few objects have actions of their own. */
export type Action = 'read' | 'create' | 'update' | 'delete' | 'verify';

/** The video a role may see through a binding that covers the camera (src/policy/access.ts). */
export interface VideoRights {
  /** Institution kinds whose live video the role may watch (empty: none). */
  readonly liveInstitutionKinds: readonly InstitutionKind[];
  /** Zones whose live video the role may watch. */
  readonly liveZones: readonly ZoneKind[];
  /** Whether the role may play back and export recordings (always with a stated reason). */
  readonly recordings: boolean;
}

export interface RoleRule {
  /** binding scopes through which the role acts (a binding of another scope kind gives nothing) */
  readonly scopes: readonly ScopeKind[];
  /** the institution kinds the role acts in */
  readonly kinds: readonly InstitutionKind[];
  /** what the role may do to each kind of object inside its scope; an absent object: nothing */
  readonly rights: Readonly<Partial<Record<ObjectKind, readonly Action[]>>>;
  /** the roles it may grant and revoke inside its scope (never to itself, never more video than its own) */
  readonly grants: readonly Role[];
  /** the video it may see */
  readonly video: VideoRights;
}

const READ = ['read'] as const;
const CRUD = ['read', 'create', 'update', 'delete'] as const;
const NO_VIDEO: VideoRights = { liveInstitutionKinds: [], liveZones: [], recordings: false };

const INSIDE_KINDERGARTEN = {
  closed_day: CRUD,
  room: CRUD,
  camera: CRUD,
  viewing_schedule: CRUD,
  consent: ['read', 'create'],
  child: CRUD,
  enrolment: CRUD,
  guardian_link: CRUD,
  subscription: CRUD,
  consent_campaign: ['read', 'create', 'update'],
  consent_rule: ['read', 'update'],
  consent_template: READ,
  // the region's connection profile is region-level: shown to the kindergarten inside its connection
  // (GET …/institutions/{id}/connection); an institution binding never covers the region itself
  connection: ['read', 'update'],
  attendance_device: ['read', 'create', 'delete'],
  register_mark: ['read', 'create'],
  absence_notice: READ,
  meal_order: ['read', 'update'],
  attendance: READ,
} as const;
const INSIDE_OFFICE = { closed_day: CRUD, room: CRUD, camera: CRUD, viewing_schedule: CRUD } as const;

/**
 * The table. Consents are history: entries are added, never changed or removed. A room's zone is
 * changed only by the city operator with a stated reason (docs/design/restricted-rooms.md): the
 * kindergarten administrator's `room: update` covers everything else about a room.
 */
export const PERMISSIONS: Readonly<Record<Role, RoleRule>> = {
  city_operator: {
    scopes: ['region'],
    kinds: ['kindergarten'],
    rights: {
      region: ['read', 'update'],
      institution: CRUD,
      ...INSIDE_KINDERGARTEN,
      room_zone: ['update'],
      person: CRUD,
      role_binding: ['read', 'create', 'delete'],
      recording_timeline: READ,
      recording_settings: ['read', 'update'],
      retention: ['update'],
      camera_health: READ,
      alert: ['read', 'update'],
      alert_webhook: CRUD,
      alert_delivery: READ,
      consent_template: ['read', 'create'],
      connection_profile: ['read', 'update'],
      tariff: ['read', 'create', 'update'],
      billing_run: ['read', 'create', 'update'],
      payment_import: ['read', 'create'],
      billing_account: ['read', 'create'],
    },
    grants: ['auditor', 'teacher', 'education_officer'],
    video: NO_VIDEO,
  },
  regional_operator: {
    scopes: ['region'],
    kinds: ['office'],
    rights: {
      region: ['read', 'update'],
      institution: CRUD,
      ...INSIDE_OFFICE,
      room_zone: ['update'],
      person: CRUD,
      role_binding: ['read', 'create', 'delete'],
      recording_timeline: READ,
      recording_settings: ['read', 'update'],
      retention: ['update'],
      camera_health: READ,
      alert: ['read', 'update'],
      visit: READ,
      visit_flag: ['read', 'update'],
      coverage: READ,
      privacy_mask: ['read', 'update'],
      // approves (a second person) what an office head requested; never creates one
      citizen_request: ['read', 'update'],
      workplace_access_log: READ,
      alert_webhook: CRUD,
      alert_delivery: READ,
    },
    grants: ['office_head', 'employee', 'reception', 'auditor', 'specialist'],
    video: NO_VIDEO,
  },
  kindergarten_admin: {
    scopes: ['institution'],
    kinds: ['kindergarten'],
    rights: {
      institution: READ,
      ...INSIDE_KINDERGARTEN,
      person: CRUD,
      role_binding: ['read', 'create', 'delete'],
      recording_timeline: READ,
      camera_health: READ,
      audit_log: READ,
      alert: ['read', 'update'],
      alert_webhook: CRUD,
      alert_delivery: READ,
      tariff: READ,
      billing_account: READ,
    },
    grants: ['kindergarten_admin', 'teacher'],
    video: { liveInstitutionKinds: ['kindergarten'], liveZones: ['common'], recordings: false },
  },
  office_head: {
    scopes: ['institution'],
    kinds: ['office'],
    rights: {
      institution: READ,
      ...INSIDE_OFFICE,
      person: CRUD,
      role_binding: ['read', 'create', 'delete'],
      recording_timeline: READ,
      visit_recording: ['create'],
      recording_settings: ['read', 'update'],
      camera_health: READ,
      audit_log: READ,
      alert: ['read', 'update'],
      alert_webhook: CRUD,
      alert_delivery: READ,
      guardianship_case: CRUD,
      inspection: ['read', 'create', 'update'],
      inspection_photo: READ,
      visit: ['read', 'create', 'update'],
      visit_flag: ['read', 'update'],
      coverage: READ,
      privacy_mask: ['read', 'update'],
      citizen_request: ['read', 'create', 'update'],
      workplace_access_log: READ,
    },
    grants: ['employee', 'reception', 'specialist'],
    video: NO_VIDEO,
  },
  employee: {
    scopes: ['region', 'institution', 'room'],
    kinds: ['office'],
    rights: {
      recording_timeline: READ,
      visit_recording: ['create'],
      visit: ['read', 'create', 'update'],
      workplace_access_log: READ,
    },
    grants: [],
    video: NO_VIDEO,
  },
  reception: {
    scopes: ['region', 'institution', 'room'],
    kinds: ['office'],
    rights: {
      recording_timeline: READ,
      visit_recording: ['create'],
      visit: ['read', 'create', 'update'],
      workplace_access_log: READ,
    },
    grants: [],
    video: NO_VIDEO,
  },
  inspector: {
    scopes: ['region', 'institution', 'room'],
    kinds: ['kindergarten', 'office'],
    // inspections: always with a stated reason, checked by src/inspections/access.ts on top of this row
    rights: {
      recording_timeline: READ,
      alert: READ,
      guardianship_case: READ,
      inspection: READ,
      inspection_photo: READ,
      visit: READ,
    },
    grants: [],
    video: {
      liveInstitutionKinds: ['kindergarten', 'office'],
      liveZones: ['common', 'restricted'],
      recordings: true,
    },
  },
  auditor: {
    scopes: ['region', 'institution'],
    kinds: ['kindergarten', 'office'],
    rights: {
      region: READ,
      institution: READ,
      closed_day: READ,
      room: READ,
      camera: READ,
      viewing_schedule: READ,
      consent: READ,
      child: READ,
      enrolment: READ,
      guardian_link: READ,
      subscription: READ,
      person: READ,
      role_binding: READ,
      recording_timeline: READ,
      audit_log: ['read', 'verify'],
      alert: READ,
      alert_webhook: READ,
      alert_delivery: READ,
      consent_campaign: READ,
      consent_rule: READ,
      consent_template: READ,
      connection: READ,
      connection_profile: READ,
      attendance_device: READ,
      register_mark: READ,
      absence_notice: READ,
      meal_order: READ,
      attendance: READ,
      tariff: READ,
      billing_run: READ,
      payment_import: READ,
      billing_account: READ,
      visit: READ,
      visit_flag: READ,
      coverage: READ,
      privacy_mask: READ,
      citizen_request: READ,
      workplace_access_log: READ,
    },
    grants: [],
    video: NO_VIDEO,
  },
  teacher: {
    scopes: ['room'],
    kinds: ['kindergarten'],
    // the group's children, for the register (a room binding covers the children enrolled in the room)
    rights: { room: READ, child: READ, enrolment: READ },
    grants: [],
    video: NO_VIDEO,
  },
  specialist: {
    scopes: ['institution'],
    kinds: ['office'],
    // guardianship cases and inspections of the office are added to this row by their capability
    // only the case's own specialist, checked by src/inspections/access.ts on top of this row
    rights: {
      institution: READ,
      guardianship_case: READ,
      inspection: ['read', 'update'],
      inspection_photo: ['read', 'create'],
    },
    grants: [],
    video: NO_VIDEO,
  },
  education_officer: {
    scopes: ['region'],
    kinds: ['kindergarten'],
    // attendance and meal data of the region's kindergartens are added to this row by their capability
    rights: { region: READ, institution: READ, attendance: READ, meal_order: READ, register_mark: READ },
    grants: [],
    video: NO_VIDEO,
  },
};

/** Every object kind and action, in the order the design page and the matrix test list them. */
export const OBJECT_KINDS: readonly ObjectKind[] = [
  'region',
  'institution',
  'closed_day',
  'room',
  'room_zone',
  'camera',
  'viewing_schedule',
  'consent',
  'child',
  'enrolment',
  'guardian_link',
  'subscription',
  'person',
  'role_binding',
  'recording_timeline',
  'visit_recording',
  'recording_settings',
  'retention',
  'camera_health',
  'audit_log',
  'alert',
  'alert_webhook',
  'alert_delivery',
  'consent_campaign',
  'consent_rule',
  'consent_template',
  'connection',
  'connection_profile',
  'attendance_device',
  'register_mark',
  'absence_notice',
  'meal_order',
  'attendance',
  'guardianship_case',
  'inspection',
  'inspection_photo',
  'tariff',
  'billing_run',
  'payment_import',
  'billing_account',
  'visit',
  'visit_flag',
  'coverage',
  'privacy_mask',
  'citizen_request',
  'workplace_access_log',
];
export const ACTIONS: readonly Action[] = ['read', 'create', 'update', 'delete', 'verify'];
