/**
 * Decisions and the closed set of reason codes. The codes are stable: they are written to the audit
 * log, shown to viewers (translated by the UI) and counted in metrics. Add codes; never rename one.
 */
import type { Role } from './facts.js';

/**
 * Why access was refused. The order of this list is the precedence: when several rules refuse (for
 * several children, or for both the guardian and the staff basis), the reason latest in this list
 * is reported: it is the most specific one, the one the viewer got furthest to.
 */
export const DENY_REASONS = [
  /** No guardian link and no role binding at all: the viewer has no relation to any camera. */
  'not_guardian',
  /** Role bindings exist, but none covers the camera (and no guardian link got further). */
  'no_role',
  /** The viewer's guardian links are all unverified. */
  'guardian_unverified',
  /** No verified child of the viewer is enrolled in the camera's group today. */
  'not_enrolled',
  /** A binding covers the camera, but the role may not see this kind of video. */
  'role_not_permitted',
  /** The camera is in a restricted zone, not open to this viewer's basis. */
  'zone_restricted',
  /** The group's consent is required and not given. */
  'consent_missing',
  /** No active subscription for the child (and the institution is not a free pilot). */
  'subscription_inactive',
  /** The child's subscription is suspended because a charge was not paid past its grace day. */
  'subscription_unpaid',
  /** The camera is disabled. */
  'camera_disabled',
  /** Today is a closed day of the institution. */
  'closed_day',
  /** Now is outside the room's viewing windows. */
  'outside_viewing_hours',
  /** The viewer already holds the maximum number of open streams. */
  'stream_limit',
  /** Recording access: no reason (or too short a reason) was stated. */
  'reason_required',
  /** The person is disabled: checked first, overrides everything. */
  'person_disabled',
  /**
   * The policy itself failed (an exception while deciding: a malformed fact such as an unknown time
   * zone): refused, logged as an error and audited with this code. Never produced by the rules, so
   * its place in the precedence does not matter. The viewer is told it is a server error.
   */
  'policy_error',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

export type Allow =
  | { readonly allow: true; readonly basis: 'guardian'; readonly childId: string }
  | { readonly allow: true; readonly basis: 'staff'; readonly role: Role };

export interface Deny {
  readonly allow: false;
  readonly reason: DenyReason;
}

export type Decision = Allow | Deny;

const RANK: ReadonlyMap<DenyReason, number> = new Map(DENY_REASONS.map((r, i) => [r, i]));

function rank(reason: DenyReason): number {
  return RANK.get(reason) ?? 0;
}

/** The more specific of two denial reasons (see DENY_REASONS). */
export function moreSpecific(a: DenyReason, b: DenyReason): DenyReason {
  return rank(b) > rank(a) ? b : a;
}

export function deny(reason: DenyReason): Deny {
  return { allow: false, reason };
}
