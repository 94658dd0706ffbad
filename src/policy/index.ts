/**
 * The access policy: who may watch which camera, live or recorded, and when (docs/design/access-policy.md).
 * Pure functions over a snapshot of facts; see docs/design/access-policy.md.
 */
export type {
  CameraFacts,
  ConsentState,
  Enrolment,
  GuardianLink,
  InstitutionKind,
  LiveAccessFacts,
  RecordingAccessFacts,
  Role,
  RoleBinding,
  RoomKind,
  ScopeKind,
  Subscription,
  SubscriptionStatus,
  ViewerFacts,
  ViewingCalendar,
  ViewingWindow,
  Weekday,
  ZoneKind,
} from './facts.js';
export { ROLES } from './facts.js';
export type { Allow, Decision, Deny, DenyReason } from './decision.js';
export { DENY_REASONS, moreSpecific } from './decision.js';
export {
  decideLiveAccess,
  decideRecordingAccess,
  isStatedReasonSufficient,
  nextLiveOpening,
  RECORDING_REASON_MIN_CHARS,
  viewingCalendarOf,
} from './access.js';
export type { VideoRights } from './roles.js';
export { bindingCovers, VIDEO_RIGHTS, videoRightsOf } from './roles.js';
export type { ViewingState } from './schedule.js';
export {
  nextViewingOpening,
  OPENING_HORIZON_DAYS,
  parseViewingWindow,
  parseWallTime,
  viewingStateAt,
} from './schedule.js';
export type { LocalTime } from './local-time.js';
export { isLocalDate, isValidTimeZone, toLocalTime } from './local-time.js';
