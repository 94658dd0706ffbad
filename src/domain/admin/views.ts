/**
 * Rows → views: the only way stored objects leave the domain towards a client or an audit entry.
 * Camera source URLs and credentials stop here: a camera view shows the scheme and host and whether
 * credentials are set, nothing more.
 */
import type { CameraRow } from '../../storage/repositories/cameras.js';
import type { ChildRow } from '../../storage/repositories/children.js';
import type { ClosedDayRow } from '../../storage/repositories/closed-days.js';
import type { ConsentRow } from '../../storage/repositories/consents.js';
import type { EnrolmentRow } from '../../storage/repositories/enrolments.js';
import type { GuardianLinkWithPerson } from '../../storage/repositories/guardian-links.js';
import type { InstitutionRow } from '../../storage/repositories/institutions.js';
import type { PersonRow } from '../../storage/repositories/persons.js';
import type { RegionRow } from '../../storage/repositories/regions.js';
import type { RoleBindingRow } from '../../storage/repositories/role-bindings.js';
import type { RoomWithConsent } from '../../storage/repositories/rooms.js';
import type { SubscriptionRow } from '../../storage/repositories/subscriptions.js';
import type { ViewingScheduleRow } from '../../storage/repositories/viewing-schedules.js';
import type { Page } from '../../storage/repositories/pagination.js';
import { sourceSummary } from './rules.js';
import type {
  CameraView,
  ChildView,
  ClosedDayView,
  ConsentView,
  EnrolmentView,
  GuardianLinkView,
  InstitutionView,
  PersonView,
  RegionView,
  RoleBindingView,
  RoomView,
  SubscriptionView,
  ViewingScheduleView,
} from './schemas.js';

export function pageOf<R, V>(page: Page<R>, view: (row: R) => V): Page<V> {
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}

export const regionView = (r: RegionRow): RegionView => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const institutionView = (r: InstitutionRow): InstitutionView => ({
  id: r.id,
  regionId: r.region_id,
  kind: r.kind,
  name: r.name,
  timeZone: r.time_zone,
  freePilot: r.free_pilot === 1,
  monthlyFeeMinor: r.monthly_fee_minor === null ? null : Number(r.monthly_fee_minor),
  consentRequired: r.consent_required === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const closedDayView = (r: ClosedDayRow): ClosedDayView => ({
  id: r.id,
  institutionId: r.institution_id,
  day: r.day,
  reason: r.reason,
  createdAt: r.created_at,
});

export const roomView = (r: RoomWithConsent): RoomView => ({
  id: r.id,
  institutionId: r.institution_id,
  kind: r.kind,
  zone: r.zone,
  name: r.name,
  consent:
    r.consent_status !== null && r.consent_recorded_at !== null
      ? { status: r.consent_status, recordedAt: r.consent_recorded_at }
      : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const cameraView = (r: CameraRow): CameraView => ({
  id: r.id,
  roomId: r.room_id,
  name: r.name,
  source: sourceSummary(r.source_url),
  hasCredentials: r.source_username !== null || r.source_password !== null,
  rtspTransport: r.rtsp_transport,
  enabled: r.enabled === 1,
  audioAllowed: r.audio_allowed === 1,
  recordingPolicy: r.recording_policy,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const viewingScheduleView = (r: ViewingScheduleRow): ViewingScheduleView => ({
  id: r.id,
  roomId: r.room_id,
  weekday: Number(r.weekday),
  startTime: r.start_time,
  endTime: r.end_time,
  createdAt: r.created_at,
});

export const consentView = (r: ConsentRow): ConsentView => ({
  id: r.id,
  roomId: r.room_id,
  status: r.status,
  note: r.note,
  recordedBy: r.recorded_by,
  recordedAt: r.recorded_at,
});

export const childView = (r: ChildRow): ChildView => ({
  id: r.id,
  institutionId: r.institution_id,
  fullName: r.full_name,
  birthDate: r.birth_date,
  externalRef: r.external_ref,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const enrolmentView = (r: EnrolmentRow): EnrolmentView => ({
  id: r.id,
  childId: r.child_id,
  roomId: r.room_id,
  startDate: r.start_date,
  endDate: r.end_date,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const guardianLinkView = (r: GuardianLinkWithPerson): GuardianLinkView => ({
  id: r.id,
  childId: r.child_id,
  personId: r.person_id,
  person: { displayName: r.person_display_name, subject: r.person_subject },
  relation: r.relation,
  verified: r.verified === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const subscriptionView = (r: SubscriptionRow): SubscriptionView => ({
  id: r.id,
  childId: r.child_id,
  personId: r.person_id,
  status: r.status,
  monthlyFeeMinor: r.monthly_fee_minor === null ? null : Number(r.monthly_fee_minor),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const personView = (r: PersonRow): PersonView => ({
  id: r.id,
  issuer: r.issuer,
  subject: r.subject,
  displayName: r.display_name,
  email: r.email,
  phone: r.phone,
  disabled: r.disabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const roleBindingView = (r: RoleBindingRow): RoleBindingView => ({
  id: r.id,
  personId: r.person_id,
  role: r.role,
  scopeKind: r.scope_kind,
  scopeId: r.scope_id,
  createdAt: r.created_at,
});
