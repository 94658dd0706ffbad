/**
 * The facts the access policy decides over: a snapshot loaded by the caller (one query per fact
 * family) and handed to the pure decision functions. Nothing here does I/O; the time of the decision
 * is passed in as `atMs` (epoch milliseconds, UTC).
 *
 * Local dates ('YYYY-MM-DD') and wall times ('HH:MM') are in the institution's time zone.
 */

export const ROLES = [
  'kindergarten_admin',
  'city_operator',
  'auditor',
  'employee',
  'reception',
  'office_head',
  'inspector',
  'regional_operator',
  'teacher',
  'specialist',
  'education_officer',
] as const;
export type Role = (typeof ROLES)[number];

export type ScopeKind = 'region' | 'institution' | 'room';

/** A role held over a region, an institution or a single room (the shape sessions carry). */
export interface RoleBinding {
  readonly role: Role;
  readonly scopeKind: ScopeKind;
  readonly scopeId: string;
}

export interface ViewerFacts {
  readonly personId: string;
  readonly disabled: boolean;
  readonly roleBindings: readonly RoleBinding[];
}

export type InstitutionKind = 'kindergarten' | 'office';
export type RoomKind = 'group' | 'workplace' | 'entrance' | 'hall';
export type ZoneKind = 'common' | 'restricted';

export interface CameraFacts {
  readonly cameraId: string;
  readonly enabled: boolean;
  readonly roomId: string;
  readonly roomKind: RoomKind;
  readonly roomZone: ZoneKind;
  /**
   * For a hall camera (music or sports hall): the group rooms whose parents asked for it. Their
   * parents may watch it like a camera of their own group. Ignored for other room kinds.
   */
  readonly hallGroupRoomIds?: readonly string[];
  readonly institutionId: string;
  readonly institutionKind: InstitutionKind;
  readonly regionId: string;
  /** IANA time zone of the institution, e.g. 'Europe/Moscow'. */
  readonly timeZone: string;
  /** A free pilot institution needs no subscription. */
  readonly freePilot: boolean;
  /** Local dates on which the institution is closed. */
  readonly closedDays: readonly string[];
  /** Whether the institution requires the group's consent before its cameras go live for parents. */
  readonly consentRequired: boolean;
}

export interface GuardianLink {
  readonly childId: string;
  readonly verified: boolean;
}

export interface Enrolment {
  readonly childId: string;
  /** The group room. */
  readonly roomId: string;
  /** First local day of the enrolment. */
  readonly startDate: string;
  /** Last local day of the enrolment (inclusive), or null while it runs. */
  readonly endDate: string | null;
}

/** 1 = Monday … 7 = Sunday (ISO 8601). */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * One viewing window of a room: on `weekday`, from `start` (inclusive) to `end` (exclusive), local
 * wall time. `end` may be '24:00'. A window never crosses midnight: write two windows instead.
 */
export interface ViewingWindow {
  readonly weekday: Weekday;
  readonly start: string;
  readonly end: string;
}

export type SubscriptionStatus = 'active' | 'suspended' | 'cancelled';

export interface Subscription {
  readonly childId: string;
  readonly status: SubscriptionStatus;
  /** why a suspended subscription is suspended: 'unpaid' when billing suspended it for arrears */
  readonly suspendedReason?: string | null;
}

/** The group's consent as the institution's rule computes it; only 'given' meets the requirement. */
export type ConsentState = 'given' | 'withdrawn' | 'none';

/** When a room is open for viewing: its windows, in its institution's zone, minus closed days. */
export interface ViewingCalendar {
  readonly timeZone: string;
  readonly closedDays: readonly string[];
  readonly windows: readonly ViewingWindow[];
}

/** Everything a live-access decision for one viewer and one camera depends on. */
export interface LiveAccessFacts {
  readonly viewer: ViewerFacts;
  readonly camera: CameraFacts;
  /** The viewer's guardian links (all of them; children unrelated to the camera are fine). */
  readonly guardianLinks: readonly GuardianLink[];
  /** Enrolments of the viewer's linked children (past, current and future ones). */
  readonly enrolments: readonly Enrolment[];
  /** The viewing windows of the camera's room. */
  readonly viewingWindows: readonly ViewingWindow[];
  /** Subscriptions for the viewer's linked children, by any guardian: one active one suffices. */
  readonly subscriptions: readonly Subscription[];
  /** Consent state of the camera's room (for a hall: the hall's own consent record). */
  readonly consent: ConsentState;
  /**
   * The viewer's other open live streams: on a renewal, the stream being renewed is not counted.
   * Applies to the guardian basis only.
   */
  readonly openStreams: number;
  /** The concurrent stream cap per parent (config streams.maxPerViewer). */
  readonly streamLimit: number;
}

/** Everything a recording-access decision (playback or export) depends on. */
export interface RecordingAccessFacts {
  readonly viewer: ViewerFacts;
  readonly camera: CameraFacts;
  /** The reason the viewer stated for watching or exporting the recording. */
  readonly statedReason: string;
}
