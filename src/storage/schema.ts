/** Row types of the database, as Kysely sees them (see migrations/ for the constraints). */
import type { Generated } from 'kysely';
import type { BillingTables } from './billing-schema.js';

type Flag = 0 | 1;

export interface RegionsTable {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}
export interface InstitutionsTable {
  id: string;
  region_id: string;
  kind: 'kindergarten' | 'office';
  name: string;
  time_zone: string;
  free_pilot: Flag;
  monthly_fee_minor: number | null;
  consent_required: Flag;
  /** last day of the free pilot (migration 0013); null: no end set */
  pilot_until?: string | null;
  created_at: string;
  updated_at: string;
}
export interface ClosedDaysTable {
  id: string;
  institution_id: string;
  day: string;
  reason: string | null;
  created_at: string;
}
export interface RoomsTable {
  id: string;
  institution_id: string;
  kind: 'group' | 'workplace' | 'entrance' | 'hall';
  zone: 'common' | 'restricted';
  name: string;
  created_at: string;
  updated_at: string;
}
export interface CamerasTable {
  id: string;
  room_id: string;
  name: string;
  source_url: string;
  source_username: string | null;
  source_password: string | null;
  rtsp_transport: 'tcp' | 'udp';
  enabled: Flag;
  audio_allowed: Flag;
  recording_policy: 'off' | 'continuous' | 'schedule' | 'manual';
  created_at: string;
  updated_at: string;
}
export interface PersonsTable {
  id: string;
  issuer: string;
  subject: string;
  display_name: string;
  email: string | null;
  phone: string | null;
  disabled: Flag;
  created_at: string;
  updated_at: string;
}
export type Role =
  | 'kindergarten_admin'
  | 'city_operator'
  | 'auditor'
  | 'employee'
  | 'reception'
  | 'office_head'
  | 'inspector'
  | 'regional_operator'
  | 'teacher'
  | 'specialist'
  | 'education_officer';
export type ScopeKind = 'region' | 'institution' | 'room';
export interface RoleBindingsTable {
  id: string;
  person_id: string;
  role: Role;
  scope_kind: ScopeKind;
  scope_id: string;
  created_at: string;
}
export interface ChildrenTable {
  id: string;
  institution_id: string;
  full_name: string;
  birth_date: string | null;
  external_ref: string | null;
  created_at: string;
  updated_at: string;
  /** migration 0017 (attendance): defaulted by the database, so optional for writers */
  age_group?: AgeGroup;
  diet?: Diet;
}
export interface EnrolmentsTable {
  id: string;
  child_id: string;
  room_id: string;
  start_date: string;
  end_date: string | null;
  created_at: string;
  updated_at: string;
}
export interface GuardianLinksTable {
  id: string;
  person_id: string;
  child_id: string;
  relation: string;
  verified: Flag;
  created_at: string;
  updated_at: string;
}
export interface ViewingSchedulesTable {
  id: string;
  room_id: string;
  weekday: number;
  start_time: string;
  end_time: string;
  created_at: string;
}
export interface SubscriptionsTable {
  id: string;
  person_id: string;
  child_id: string;
  status: 'active' | 'suspended' | 'cancelled';
  monthly_fee_minor: number | null;
  /** the offer version the payer accepted, and when (migration 0013) */
  offer_version?: string | null;
  accepted_at?: string | null;
  /** 'unpaid' when billing suspended it; the day the arrears were judged as of */
  suspended_reason?: string | null;
  suspended_as_of?: string | null;
  created_at: string;
  updated_at: string;
}
export interface ConsentsTable {
  id: string;
  room_id: string;
  status: 'given' | 'withdrawn';
  recorded_by: string | null;
  note: string | null;
  recorded_at: string;
}
export interface LoginAttemptsTable {
  id: string;
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string | null;
  created_at: string;
  used_at: string | null;
}
export interface SessionsTable {
  id: string;
  person_id: string;
  csrf_token: string;
  id_token_hint: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  ended_at: string | null;
  end_reason: string | null;
}
export interface AuditLogTable {
  seq: number | string; // bigint: PostgreSQL returns it as a string
  id: string;
  at: string;
  actor_person_id: string | null;
  actor_subject: string | null;
  actor_role: string | null;
  action: string;
  target_kind: string | null;
  target_id: string | null;
  institution_id: string | null;
  decision: 'allow' | 'deny' | null;
  reason: string | null;
  session_id: string | null;
  stream_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}
export interface AuditHeadTable {
  id: Generated<number>;
  seq: number | string;
  hash: string;
}

export interface StreamSessionsTable {
  id: string;
  person_id: string;
  camera_id: string;
  child_id: string | null;
  session_id: string;
  basis: 'guardian' | 'staff';
  purpose: 'live' | 'playback';
  granted_at: string;
  renewed_at: string;
  grant_expires_at: string;
  started_at: string | null;
  ended_at: string | null;
  end_reason: string | null;
  bytes: number | string;
  transport: string | null;
  ip: string | null;
  user_agent: string | null;
}
export interface HealthEventsTable {
  id: string;
  camera_id: string;
  kind: 'offline' | 'recovered' | 'gap';
  at: string;
  details: string | null;
}

// Recording (migration 0004_recording; docs/design/recording.md).
export type GapCause = 'camera_offline' | 'ingest_restart' | 'disk_full' | 'policy_off' | 'server_restart';
export interface RecordingSegmentsTable {
  id: string;
  camera_id: string;
  seq: number;
  run_id: string;
  start_at: string;
  end_at: string;
  duration_ms: number;
  path: string;
  bytes: number | string; // bigint: PostgreSQL returns it as a string
  init_bytes: number;
  sha256: string;
  prev_sha256: string | null;
  keyframes: string;
  fragments: number;
  recovered: Flag;
  state: 'ok' | 'deleting';
  created_at: string;
}
export interface RecordingGapsTable {
  id: string;
  camera_id: string;
  start_at: string;
  end_at: string | null;
  cause: GapCause;
  details: string | null;
  created_at: string;
}
export interface RecordingSchedulesTable {
  id: string;
  room_id: string;
  weekday: number;
  start_time: string;
  end_time: string;
  created_at: string;
}
export interface RecordingRetentionTable {
  id: string;
  institution_id: string;
  room_kind: 'group' | 'workplace' | 'entrance' | 'hall';
  days: number;
  created_at: string;
  updated_at: string;
}
export interface RecordingCameraSettingsTable {
  camera_id: string;
  ring_buffer: Flag;
  updated_at: string;
}
export interface RecordingManualSessionsTable {
  id: string;
  camera_id: string;
  started_at: string;
  started_by: string | null;
  purpose: string | null;
  stop_at: string | null;
  stopped_by: string | null;
  record_until: string | null;
  created_at: string;
}
export interface LegalHoldsTable {
  id: string;
  camera_id: string;
  from_at: string;
  to_at: string;
  reason: string;
  placed_by: string | null;
  placed_at: string;
  lifted_by: string | null;
  lifted_at: string | null;
  lift_reason: string | null;
}
export interface RecordingViewsTable {
  stream_id: string;
  camera_id: string;
  person_id: string;
  session_id: string;
  from_at: string;
  to_at: string;
  reason: string;
  created_at: string;
  expires_at: string;
}
export interface RecordingExportsTable {
  id: string;
  camera_id: string;
  person_id: string;
  from_at: string;
  to_at: string;
  reason: string;
  file: string;
  bytes: number | string;
  sha256: string;
  mp4_sha256: string;
  key_id: string;
  created_at: string;
  /** when the package file was deleted (expired); the row stays */
  file_deleted_at: string | null;
}

export interface Database extends BillingTables {
  stream_sessions: StreamSessionsTable;
  health_events: HealthEventsTable;
  regions: RegionsTable;
  institutions: InstitutionsTable;
  closed_days: ClosedDaysTable;
  rooms: RoomsTable;
  cameras: CamerasTable;
  persons: PersonsTable;
  role_bindings: RoleBindingsTable;
  children: ChildrenTable;
  enrolments: EnrolmentsTable;
  guardian_links: GuardianLinksTable;
  viewing_schedules: ViewingSchedulesTable;
  subscriptions: SubscriptionsTable;
  consents: ConsentsTable;
  login_attempts: LoginAttemptsTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  recording_segments: RecordingSegmentsTable;
  recording_gaps: RecordingGapsTable;
  recording_schedules: RecordingSchedulesTable;
  recording_retention: RecordingRetentionTable;
  recording_camera_settings: RecordingCameraSettingsTable;
  recording_manual_sessions: RecordingManualSessionsTable;
  legal_holds: LegalHoldsTable;
  recording_views: RecordingViewsTable;
  recording_exports: RecordingExportsTable;
  alerts: AlertsTable;
  consent_templates: ConsentTemplatesTable;
  consent_rules: ConsentRulesTable;
  consent_campaigns: ConsentCampaignsTable;
  consent_answers: ConsentAnswersTable;
  connection_profiles: ConnectionProfilesTable;
  camera_checks: CameraChecksTable;
  camera_attestations: CameraAttestationsTable;
  kindergarten_connections: KindergartenConnectionsTable;
  attendance_devices: AttendanceDevicesTable;
  attendance_events: AttendanceEventsTable;
  register_marks: RegisterMarksTable;
  absence_notices: AbsenceNoticesTable;
  attendance_group_days: AttendanceGroupDaysTable;
  attendance_days: AttendanceDaysTable;
  meal_orders: MealOrdersTable;
  attendance_job_leases: AttendanceJobLeasesTable;
  inspection_rules: InspectionRulesTable;
  inspection_checklists: InspectionChecklistsTable;
  guardianship_cases: GuardianshipCasesTable;
  guardianship_guardians: GuardianshipGuardiansTable;
  inspections: InspectionsTable;
  inspection_photos: InspectionPhotosTable;
  inspection_uploads: InspectionUploadsTable;
  inspection_versions: InspectionVersionsTable;
  inspection_holds: InspectionHoldsTable;
  camera_outages: CameraOutagesTable;
  room_zone_changes: RoomZoneChangesTable;
  workplace_settings: WorkplaceSettingsTable;
  visits: VisitsTable;
  visit_cameras: VisitCamerasTable;
  visit_flags: VisitFlagsTable;
  coverage_days: CoverageDaysTable;
  privacy_masks: PrivacyMasksTable;
  citizen_requests: CitizenRequestsTable;
  camera_probes: CameraProbesTable;
  camera_leases: CameraLeasesTable;
  leases: LeasesTable;
  alert_notifications: AlertNotificationsTable;
  alert_deliveries: AlertDeliveriesTable;
  alert_webhooks: AlertWebhooksTable;
  alert_preferences: AlertPreferencesTable;
}

// ── Attendance (migration 0017, docs/design/attendance.md) ──────────────────────────────────────────
export type AgeGroup = 'nursery' | 'kindergarten';
export type Diet = 'standard' | 'dairy_free' | 'gluten_free' | 'vegetarian' | 'medical';
export type AbsenceReason = 'ill' | 'vacation' | 'other';
export interface AttendanceDevicesTable {
  id: string;
  institution_id: string;
  camera_id: string;
  name: string;
  /** the HMAC key: never returned by the API after creation */
  secret: string;
  enabled: Flag;
  last_event_at: string | null;
  created_at: string;
  updated_at: string;
}
export interface AttendanceEventsTable {
  device_id: string;
  device_event_id: string;
  institution_id: string;
  camera_id: string;
  occurred_at: string;
  local_day: string;
  local_minute: number;
  direction: 'in' | 'out';
  count: number;
  received_at: string;
  via: 'http' | 'mqtt' | 'demo';
}
export interface RegisterMarksTable {
  child_id: string;
  day: string;
  institution_id: string;
  room_id: string;
  status: 'present' | 'absent';
  reason: AbsenceReason | null;
  marked_at: string;
  marked_by: string | null;
  synced_at: string;
}
export interface AbsenceNoticesTable {
  id: string;
  child_id: string;
  institution_id: string;
  from_day: string;
  to_day: string;
  reason: AbsenceReason;
  note: string | null;
  created_by: string | null;
  created_at: string;
  cancelled_at: string | null;
}
export interface AttendanceGroupDaysTable {
  room_id: string;
  day: string;
  institution_id: string;
  enrolled: number;
  present: number;
  absent_notified: number;
  absent_unannounced: number;
  ill: number;
  unmarked: number;
  computed_at: string;
}
export interface AttendanceDaysTable {
  institution_id: string;
  day: string;
  enrolled: number;
  present: number;
  unmarked: number;
  door_arrivals: number | null;
  door_departures: number | null;
  flagged: Flag;
  computed_at: string;
}
export interface MealOrdersTable {
  institution_id: string;
  day: string;
  age_group: AgeGroup;
  diet: string;
  enrolled: number;
  notified: number;
  expected_absent: number;
  forecast: number;
  correction: number | null;
  corrected_by: string | null;
  corrected_at: string | null;
  status: 'draft' | 'final';
  /** JSON: the forecast's reasoning (rates, factors, counts) */
  reasoning: string;
  computed_at: string;
  actual: number | null;
}
export interface AttendanceJobLeasesTable {
  name: string;
  holder: string;
  expires_at: string;
}

/** One outage of a camera longer than the watchdog window (migration 0012); open while ended_at is null. */
export interface CameraOutagesTable {
  id: string;
  camera_id: string;
  started_at: string;
  ended_at: string | null;
  /** a CameraFailureCode (src/media/failure.ts): why it went down */
  reason: string;
  /** English, redacted: the supervisor's account */
  detail: string;
  /** when the alert was raised (the outage outlasted cameras.alertAfterSeconds) */
  alerted_at: string | null;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';
/** One alert raised anywhere in Okno (migration 0007); delivery reads these rows as an outbox. */
export interface AlertsTable {
  id: string;
  created_at: string;
  /** a stable code, e.g. `camera.dark`, `video.privileged_view`, `access.widened`, `flag.raised` */
  kind: string;
  severity: AlertSeverity;
  region_id: string | null;
  institution_id: string | null;
  room_id: string | null;
  camera_id: string | null;
  /** who caused it, when a person did */
  actor_person_id: string | null;
  /** Russian, for people */
  title: string;
  body: string;
  /** JSON object: the facts behind it (times, causes, ids) */
  evidence: string;
  /** alerts with the same key while unresolved are one alert (raised once) */
  dedupe_key: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_comment: string | null;
  /** the outbox mark (migration 0018): when the delivery worker wrote its notifications and deliveries */
  fanned_out_at?: string | null;
}

// --- consent campaigns (migration 0014) ---------------------------------------------------------------
export type ConsentRuleKind = 'all' | 'share';
export interface ConsentTemplatesTable {
  id: string;
  region_id: string;
  version: number;
  title: string;
  body: string;
  published_at: string;
  published_by: string | null;
}
export interface ConsentRulesTable {
  institution_id: string;
  rule_kind: ConsentRuleKind;
  share_percent: number;
  grace_days: number;
  updated_at: string;
  updated_by: string | null;
}
export interface ConsentCampaignsTable {
  id: string;
  room_id: string;
  institution_id: string;
  template_id: string;
  template_version: number;
  title: string;
  body: string;
  rule_kind: ConsentRuleKind;
  share_percent: number;
  grace_days: number;
  status: 'active' | 'closed';
  launched_at: string;
  /** the local date of the launch in the institution's time zone */
  launched_on: string;
  launched_by: string | null;
  closed_at: string | null;
  last_reminder_at: string | null;
}
export interface ConsentAnswersTable {
  id: string;
  campaign_id: string;
  child_id: string | null;
  person_id: string;
  respondent: 'guardian' | 'staff';
  answer: 'agree' | 'disagree';
  template_version: number;
  answered_at: string;
}

// --- connecting a kindergarten (migration 0014b) -------------------------------------------------------
export interface ConnectionProfilesTable {
  region_id: string;
  /** JSON of src/connection/profile.ts ConnectionProfile */
  profile: string;
  updated_at: string;
  updated_by: string | null;
}
export interface CameraChecksTable {
  id: string;
  camera_id: string;
  checked_at: string;
  checked_by: string | null;
  passed: Flag;
  /** JSON: the probe's measurements and each requirement's verdict */
  result: string;
}
export interface CameraAttestationsTable {
  id: string;
  camera_id: string;
  attested_at: string;
  attested_by: string;
  snapshot_sha256: string;
  statement: string;
}
export interface KindergartenConnectionsTable {
  institution_id: string;
  went_live_at: string;
  went_live_by: string | null;
}
// Home inspections (migration 0016_inspections; docs/design/inspections.md).
export interface InspectionRulesTable {
  id: string;
  institution_id: string;
  name: string;
  /** JSON: [{ untilMonth?: number, everyMonths: number }, …] */
  steps: string;
  created_at: string;
}
export interface InspectionChecklistsTable {
  id: string;
  institution_id: string;
  version: number;
  /** JSON: [{ id: string, text: string }, …] */
  items: string;
  created_at: string;
}
export interface GuardianshipCasesTable {
  id: string;
  institution_id: string;
  case_number: string;
  ward_name: string;
  ward_birth_date: string | null;
  address: string;
  specialist_person_id: string;
  rule_id: string;
  opened_on: string;
  closed_on: string | null;
  created_at: string;
  updated_at: string;
}
export interface GuardianshipGuardiansTable {
  id: string;
  case_id: string;
  full_name: string;
  relation: string;
  phone: string | null;
  created_at: string;
}
export type InspectionStatus = 'planned' | 'in_progress' | 'sealed';
export type InspectionOutcome = 'satisfactory' | 'needs_attention' | 'unsatisfactory';
export interface InspectionsTable {
  id: string;
  case_id: string;
  planned_on: string;
  status: InspectionStatus;
  specialist_person_id: string | null;
  address: string | null;
  started_at: string | null;
  done_at: string | null;
  outcome: InspectionOutcome | null;
  checklist_id: string | null;
  /** JSON: { [itemId]: 'yes' | 'no' | 'na' } */
  answers: string;
  notes: string;
  /** JSON { latitude, longitude, accuracyM } where the inspection was started, if allowed */
  position: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}
export type PhotoCategory = 'living_conditions' | 'ward' | 'document' | 'other';
export interface InspectionPhotosTable {
  id: string;
  inspection_id: string;
  sha256: string;
  bytes: number;
  mime: string;
  width: number;
  height: number;
  category: PhotoCategory;
  live: Flag;
  device_taken_at: string;
  server_received_at: string;
  skew_ms: number;
  skew_flagged: Flag;
  latitude: number | null;
  longitude: number | null;
  accuracy_m: number | null;
  exif: string;
  uploaded_by: string;
  created_at: string;
  purged_at: string | null;
}
export interface InspectionUploadsTable {
  id: string;
  inspection_id: string;
  sha256: string;
  bytes: number;
  received: number;
  meta: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}
export interface InspectionVersionsTable {
  id: string;
  inspection_id: string;
  version: number;
  manifest: string;
  signature: string;
  key_id: string;
  reason: string | null;
  sealed_by: string;
  sealed_at: string;
}
export interface InspectionHoldsTable {
  id: string;
  case_id: string;
  reason: string;
  placed_by: string;
  placed_at: string;
  lifted_by: string | null;
  lifted_at: string | null;
}
/** A recorded, reasoned change of a room's zone (migration 0009): the database lets the zone of a
 * room with cameras change only against such a row, which the change consumes (`applied`). */
export interface RoomZoneChangesTable {
  id: string;
  room_id: string;
  from_zone: 'common' | 'restricted';
  to_zone: 'common' | 'restricted';
  reason: string;
  actor_person_id: string;
  changed_at: string;
  applied: number;
}

// ── Office visits (migration 0019, docs/design/office-visits.md) ────────────────────────────────────
export type WorkplaceMode = 'per_visit' | 'continuous' | 'both';
export const VISITOR_CATEGORIES = [
  'citizen',
  'guardian',
  'foster_parent',
  'applicant',
  'minor',
  'representative',
  'official',
  'other',
] as const;
export type VisitorCategory = (typeof VISITOR_CATEGORIES)[number];
export const FLAG_CODES = [
  'visit_gap',
  'visit_camera_offline',
  'camera_dark',
  'recording_changed',
  'visit_too_long',
  'visits_missing',
] as const;
export type FlagCode = (typeof FLAG_CODES)[number];
export interface WorkplaceSettingsTable {
  room_id: string;
  mode: WorkplaceMode;
  updated_by: string | null;
  updated_at: string;
}
export interface VisitsTable {
  id: string;
  institution_id: string;
  room_id: string;
  employee_person_id: string | null;
  opened_by: string | null;
  closed_by: string | null;
  started_at: string;
  ended_at: string | null;
  pre_roll_ms: number;
  post_roll_ms: number;
  case_ref: string | null;
  visitor_category: VisitorCategory;
  status: 'open' | 'closed';
  auto_closed: Flag;
  created_at: string;
}
export interface VisitCamerasTable {
  visit_id: string;
  camera_id: string;
  manual_session_id: string | null;
  /** the camera's state when the visit opened: 'live' | 'down' | 'disabled' | 'off' */
  camera_state: string;
}
export interface VisitFlagsTable {
  id: string;
  code: FlagCode;
  institution_id: string;
  room_id: string | null;
  camera_id: string | null;
  visit_id: string | null;
  person_id: string | null;
  day: string | null;
  started_at: string;
  ended_at: string | null;
  /** JSON object: times, gap causes, ids */
  evidence: string;
  dedupe_key: string;
  alert_id: string | null;
  status: 'open' | 'resolved';
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_comment: string | null;
  created_at: string;
}
export interface CoverageDaysTable {
  room_id: string;
  day: string;
  institution_id: string;
  working_ms: number | string; // bigint: PostgreSQL returns it as a string
  covered_ms: number | string;
  visits: number;
  flagged_visits: number;
  final: Flag;
  computed_at: string;
}
// ── Citizens' requests (migration 0020, docs/design/citizen-requests.md) ─────────────────────────────
export interface PrivacyMasksTable {
  id: string;
  camera_id: string;
  position: number;
  x: number;
  y: number;
  w: number;
  h: number;
  label: string | null;
  created_by: string;
  created_at: string;
}
export type CitizenRequestStatus =
  'pending' | 'approved' | 'rejected' | 'producing' | 'produced' | 'failed' | 'handed_over';
export interface CitizenRequestsTable {
  id: string;
  institution_id: string;
  camera_id: string;
  /** an office visit (migration 0019) once merged; no foreign key */
  visit_id: string | null;
  reference: string;
  received_on: string;
  note: string | null;
  from_at: string;
  to_at: string;
  regions: string;
  region_style: 'blur' | 'fill';
  keep_audio: Flag;
  status: CitizenRequestStatus;
  requested_by: string;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_note: string | null;
  produced_by: string | null;
  produced_at: string | null;
  production_error: string | null;
  export_id: string | null;
  manifest_sha256: string | null;
  handed_over_by: string | null;
  handed_over_at: string | null;
  handed_to: string | null;
  handover_note: string | null;
  updated_at: string;
}

/** What the last probe or RTSP check found about a camera's stream (migration 0023). */
export interface CameraProbesTable {
  camera_id: string;
  /** sha256 of the source URL it was found at: another URL makes it unknown */
  source_sha256: string;
  /** ffmpeg's codec name (`aac`, `pcm_alaw`, `pcm_mulaw`, …) or `none` */
  audio_codec: string;
  probed_at: string;
}
/** Which media node ingests, records and recovers a camera (PostgreSQL sites; migration 0023). */
export interface CameraLeasesTable {
  camera_id: string;
  holder: string;
  /** changes of holder so far (1 for the first) */
  epoch: number;
  acquired_at: string;
  expires_at: string;
}
// ── Alert delivery (migration 0018, docs/design/alerts.md) ───────────────────────────────────────────
/** A named lease: one holder at a time until `expires_at` (src/storage/lease.ts). */
export interface LeasesTable {
  name: string;
  holder: string;
  acquired_at: string;
  expires_at: string;
}
/** The in-app notification centre: one row per alert × recipient. */
export interface AlertNotificationsTable {
  alert_id: string;
  person_id: string;
  created_at: string;
  read_at: string | null;
}
export type AlertChannel = 'email' | 'webhook';
export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';
/** The delivery log: one row per alert × channel × recipient (e-mail) or endpoint (webhook). */
export interface AlertDeliveriesTable {
  id: string;
  alert_id: string;
  channel: AlertChannel;
  person_id: string | null;
  webhook_id: string | null;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  last_status_code: number | null;
  delivered_at: string | null;
  created_at: string;
}
export interface AlertWebhooksTable {
  id: string;
  region_id: string | null;
  institution_id: string | null;
  url: string;
  /** the HMAC key: never returned by the API after creation */
  secret: string;
  description: string;
  min_severity: AlertSeverity;
  /** JSON array of kinds (a trailing `*` matches a prefix), or null: every kind */
  kinds: string | null;
  enabled: Flag;
  created_by: string;
  created_at: string;
  updated_at: string;
}
export interface AlertPreferencesTable {
  person_id: string;
  email_enabled: Flag;
  email_min_severity: AlertSeverity;
  /** JSON array of kinds not wanted by e-mail */
  email_muted_kinds: string;
  updated_at: string;
}
