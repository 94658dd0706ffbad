/**
 * The access policy (docs/design/access-policy.md): pure functions from a snapshot of facts and an instant to allow or
 * deny with a reason. Deny by default: every path that does not end in an explicit allow is a denial.
 * Precedence of reasons: see DENY_REASONS in decision.ts and docs/design/access-policy.md.
 */
import type { Allow, Decision, DenyReason } from './decision.js';
import { deny, moreSpecific } from './decision.js';
import type {
  CameraFacts,
  LiveAccessFacts,
  RecordingAccessFacts,
  RoleBinding,
  ViewingCalendar,
} from './facts.js';
import { isLocalDate, toLocalTime } from './local-time.js';
import { bindingCovers, videoRightsBreadth, videoRightsOf } from './roles.js';
import { nextViewingOpening, viewingStateAt } from './schedule.js';

/** A stated reason for recording access needs at least this many letters or digits. */
export const RECORDING_REASON_MIN_CHARS = 10;

type Outcome = Allow | DenyReason;

/**
 * Whether a viewer may watch a camera live at an instant.
 *
 * Two bases: the guardian basis (a parent; docs/design/access-policy.md) and the staff basis (role bindings). Allowed
 * when either allows; when both refuse, the more specific reason is reported.
 */
export function decideLiveAccess(facts: LiveAccessFacts, atMs: number): Decision {
  if (facts.viewer.disabled) return deny('person_disabled');
  let reason: DenyReason | null = null;
  // The guardian basis first: when both allow, the narrower basis (with the child) is the one audited.
  if (facts.guardianLinks.length > 0) {
    const guardian = guardianLive(facts, atMs);
    if (typeof guardian === 'object') return guardian;
    reason = guardian;
  }
  if (facts.viewer.roleBindings.length > 0) {
    const staff = staffLive(facts.viewer.roleBindings, facts.camera);
    if (typeof staff === 'object') return staff;
    reason = reason === null ? staff : moreSpecific(reason, staff);
  }
  return deny(reason ?? 'not_guardian');
}

/**
 * Whether a viewer may play back or export a camera's recordings. Only roles with recording rights
 * (inspectors) whose binding covers the camera, and only with a stated reason; parents never.
 */
export function decideRecordingAccess(facts: RecordingAccessFacts): Decision {
  if (facts.viewer.disabled) return deny('person_disabled');
  let best: DenyReason = 'no_role';
  for (const binding of byRoleOrder(facts.viewer.roleBindings)) {
    let reason: DenyReason;
    if (!bindingCovers(binding, facts.camera)) reason = 'no_role';
    else if (!videoRightsOf(binding.role).recordings) reason = 'role_not_permitted';
    else if (!isStatedReasonSufficient(facts.statedReason)) reason = 'reason_required';
    else return { allow: true, basis: 'staff', role: binding.role };
    best = moreSpecific(best, reason);
  }
  return deny(best);
}

/** Whether a stated reason is long enough: at least RECORDING_REASON_MIN_CHARS letters or digits. */
export function isStatedReasonSufficient(statedReason: string): boolean {
  const meaningful = statedReason.normalize('NFC').match(/[\p{L}\p{N}]/gu);
  return meaningful !== null && meaningful.length >= RECORDING_REASON_MIN_CHARS;
}

/** Bindings narrowest role first, so that the least powerful sufficient role is the one reported. */
function byRoleOrder(bindings: readonly RoleBinding[]): RoleBinding[] {
  return [...bindings].sort((a, b) => videoRightsBreadth(a.role) - videoRightsBreadth(b.role));
}

function staffLive(bindings: readonly RoleBinding[], camera: CameraFacts): Outcome {
  let best: DenyReason = 'no_role';
  for (const binding of byRoleOrder(bindings)) {
    const outcome = staffLiveByBinding(binding, camera);
    if (typeof outcome === 'object') return outcome;
    best = moreSpecific(best, outcome);
  }
  return best;
}

function staffLiveByBinding(binding: RoleBinding, camera: CameraFacts): Outcome {
  if (!bindingCovers(binding, camera)) return 'no_role';
  const rights = videoRightsOf(binding.role);
  if (!rights.liveInstitutionKinds.includes(camera.institutionKind)) return 'role_not_permitted';
  if (!rights.liveZones.includes(camera.roomZone)) return 'zone_restricted';
  if (!camera.enabled) return 'camera_disabled';
  return { allow: true, basis: 'staff', role: binding.role };
}

/** The group rooms whose enrolled children's guardians may watch the camera. */
function parentRoomIds(camera: CameraFacts): readonly string[] {
  switch (camera.roomKind) {
    case 'group':
      return [camera.roomId];
    case 'hall':
      return camera.hallGroupRoomIds ?? [];
    case 'workplace':
    case 'entrance':
      return [];
  }
}

function checkDate(value: string, what: string): string {
  if (!isLocalDate(value)) throw new RangeError(`${what} is not a local date: ${JSON.stringify(value)}`);
  return value;
}

/**
 * The guardian basis. Each linked child is taken through the chain of rules in precedence order;
 * the first child that passes them all is the basis of the allow. Rules that do not depend on the
 * child are evaluated once, when the first child reaches them.
 */
function guardianLive(facts: LiveAccessFacts, atMs: number): Outcome {
  const { camera } = facts;
  const rooms = parentRoomIds(camera);
  const today = toLocalTime(atMs, camera.timeZone).date;
  let viewing: ReturnType<typeof viewingStateAt> | undefined;

  const childOutcome = (childId: string): Outcome => {
    const enrolled = facts.enrolments.some(
      (e) =>
        e.childId === childId &&
        rooms.includes(e.roomId) &&
        checkDate(e.startDate, 'enrolment start') <= today &&
        (e.endDate === null || today <= checkDate(e.endDate, 'enrolment end')),
    );
    if (!enrolled) return 'not_enrolled';
    if (camera.roomZone !== 'common') return 'zone_restricted';
    if (camera.consentRequired && facts.consent !== 'given') return 'consent_missing';
    if (
      !camera.freePilot &&
      !facts.subscriptions.some((s) => s.childId === childId && s.status === 'active')
    ) {
      const unpaid = facts.subscriptions.some(
        (s) => s.childId === childId && s.status === 'suspended' && s.suspendedReason === 'unpaid',
      );
      return unpaid ? 'subscription_unpaid' : 'subscription_inactive';
    }
    if (!camera.enabled) return 'camera_disabled';
    viewing ??= viewingStateAt(
      { timeZone: camera.timeZone, closedDays: camera.closedDays, windows: facts.viewingWindows },
      atMs,
    );
    if (viewing !== 'open') return viewing;
    if (facts.openStreams >= facts.streamLimit) return 'stream_limit';
    return { allow: true, basis: 'guardian', childId };
  };

  let best: DenyReason = 'guardian_unverified';
  for (const link of facts.guardianLinks) {
    if (!link.verified) continue;
    const outcome = childOutcome(link.childId);
    if (typeof outcome === 'object') return outcome;
    best = moreSpecific(best, outcome);
  }
  return best;
}

/** The room's viewing calendar from a live-access snapshot. */
export function viewingCalendarOf(
  facts: Pick<LiveAccessFacts, 'camera' | 'viewingWindows'>,
): ViewingCalendar {
  return {
    timeZone: facts.camera.timeZone,
    closedDays: facts.camera.closedDays,
    windows: facts.viewingWindows,
  };
}

/**
 * For a denial with reason closed_day or outside_viewing_hours: when the camera's room next opens
 * for viewing (epoch ms), or null when it does not open within OPENING_HORIZON_DAYS. For the player's
 * "outside viewing hours, opens at …"; the instant is formatted in the institution's zone by the UI.
 */
export function nextLiveOpening(
  facts: Pick<LiveAccessFacts, 'camera' | 'viewingWindows'>,
  atMs: number,
): number | null {
  return nextViewingOpening(viewingCalendarOf(facts), atMs);
}
