/** Row types of the database, as Kysely sees them (see migrations/ for the constraints). */
import type { Generated } from 'kysely';

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

export interface Database {
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
  room_zone_changes: RoomZoneChangesTable;
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
