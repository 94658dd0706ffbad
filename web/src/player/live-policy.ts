/**
 * The live player's decisions as pure functions (no DOM), so they are tested on their own:
 * what a server's close reason or a refused grant means for the viewer, how long to wait before
 * reconnecting, and how to keep to the live edge of the buffer.
 */

/** Why the player stopped for good, or is waiting for viewing hours. */
export type StopKind = 'outside_hours' | 'closed_day' | 'ended';

/** What the player should do after the server closed the stream or refused a grant. */
export type Outcome =
  /** access is gone: show why, do not reconnect */
  | { kind: StopKind; reason: string; nextOpenAt?: string }
  /** transient: get a new grant and reconnect with backoff */
  | { kind: 'reconnect'; reason: string };

/** Reasons (policy denial codes and session ends) after which reconnecting cannot help. */
const FINAL_REASONS = new Set([
  'not_guardian',
  'no_role',
  'guardian_unverified',
  'not_enrolled',
  'role_not_permitted',
  'zone_restricted',
  'consent_missing',
  'subscription_inactive',
  // suspended for an unpaid month: reconnecting cannot help until a payment restores it
  'subscription_unpaid',
  'camera_disabled',
  'closed_day',
  'outside_viewing_hours',
  'stream_limit',
  'reason_required',
  'person_disabled',
  'session_ended',
  'session_expired',
  'logout',
  'logged_out',
  'unauthenticated',
  'forbidden',
  'not_found',
]);

/** `access_revoked:not_enrolled` → `not_enrolled`; other reasons unchanged. */
export function baseReason(reason: string): string {
  const m = /^access_revoked:(.+)$/.exec(reason);
  return m?.[1] ?? reason;
}

function stopKind(reason: string): StopKind {
  if (reason === 'outside_viewing_hours' || reason === 'outside_hours') return 'outside_hours';
  if (reason === 'closed_day') return 'closed_day';
  return 'ended';
}

/**
 * A `{type:'closed', reason}` message from the server. Revocations (`access_revoked:…`, any policy
 * denial, a session end) are final; everything else (`grant_expired`, `camera_offline`, a server
 * restart) is worth a new grant, which re-runs the policy anyway.
 */
export function classifyClose(reason: string): Outcome {
  const base = baseReason(reason);
  if (reason.startsWith('access_revoked') || FINAL_REASONS.has(base))
    return { kind: stopKind(base), reason: base };
  return { kind: 'reconnect', reason: base };
}

/** A refused grant (403 on POST /api/streams or its renewal) is always final for this attempt. */
export function classifyRefusal(reason: string, nextOpenAt?: string): Outcome {
  const base = baseReason(reason);
  const kind = stopKind(base);
  return nextOpenAt ? { kind, reason: base, nextOpenAt } : { kind, reason: base };
}

/** Exponential backoff with jitter: 1 s, 2 s, 4 s, 8 s, capped at 15 s (±20 %). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(15_000, 1000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** How far behind the live edge the player may fall before it jumps (seconds). */
export const MAX_LAG_S = 1.5;
/** Where a jump lands, behind the newest buffered frame (seconds). */
export const JUMP_BEHIND_S = 0.3;
/** Buffer older than this behind the playhead is removed (seconds). */
export const KEEP_BEHIND_S = 10;
/** Remove old buffer once there is this much of it (seconds), so removes are rare. */
export const TRIM_AFTER_S = 30;

export interface Range {
  start: number;
  end: number;
}

/**
 * Where the playhead should jump to keep to the live edge, or null to stay. Jumps when the buffered
 * data ahead of the playhead is more than MAX_LAG_S, or when the playhead is outside every buffered
 * range (before the first fragment, or in a hole after a reconnect).
 */
export function liveEdgeSeek(currentTime: number, ranges: readonly Range[]): number | null {
  const last = ranges[ranges.length - 1];
  if (!last) return null;
  const inside = ranges.some((r) => currentTime >= r.start - 0.05 && currentTime <= r.end + 0.05);
  const target = Math.max(last.start, last.end - JUMP_BEHIND_S);
  if (!inside) return target;
  if (last.end - currentTime > MAX_LAG_S) return target;
  return null;
}

/** The part of the buffer to remove behind the playhead, or null. */
export function trimRange(currentTime: number, ranges: readonly Range[]): Range | null {
  const first = ranges[0];
  if (!first) return null;
  if (currentTime - first.start < TRIM_AFTER_S) return null;
  const end = currentTime - KEEP_BEHIND_S;
  return end > first.start ? { start: first.start, end } : null;
}

/** TimeRanges → plain ranges. */
export function toRanges(tr: { length: number; start(i: number): number; end(i: number): number }): Range[] {
  const out: Range[] = [];
  for (let i = 0; i < tr.length; i++) out.push({ start: tr.start(i), end: tr.end(i) });
  return out;
}

/** `ws://` or `wss://` URL for a relative WebSocket path, from the page's own origin. */
export function absoluteWsUrl(relative: string, location: { protocol: string; host: string }): string {
  if (/^wss?:\/\//.test(relative)) return relative;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const path = relative.startsWith('/') ? relative : `/${relative}`;
  return `${scheme}//${location.host}${path}`;
}

/** The same URL with its `token` query parameter replaced (HLS requests after a renewal). */
export function withToken(url: string, token: string, base: string): string {
  const u = new URL(url, base);
  if (!u.searchParams.has('token')) return url;
  u.searchParams.set('token', token);
  return u.toString();
}

/** Parses a text message from the live socket; unknown shapes give null. */
export type ServerMessage =
  | { type: 'init'; mime: string }
  | { type: 'closed'; reason: string }
  | { type: 'renew_needed' }
  /** the camera is not live: its state and typed reason (web/src/camera-failure.ts) */
  | { type: 'status'; state: string; reason: string | null }
  | { type: 'other' };

export function parseServerMessage(text: string): ServerMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const m = v as { type?: unknown; mime?: unknown; reason?: unknown };
  if (m.type === 'init' && typeof m.mime === 'string') return { type: 'init', mime: m.mime };
  if (m.type === 'closed')
    return { type: 'closed', reason: typeof m.reason === 'string' ? m.reason : 'closed' };
  if (m.type === 'status' && typeof (m as { state?: unknown }).state === 'string')
    return {
      type: 'status',
      state: (m as { state: string }).state,
      reason: typeof m.reason === 'string' ? m.reason : null,
    };
  if (m.type === 'renew' || m.type === 'renew_needed' || m.type === 'token_expiring')
    return { type: 'renew_needed' };
  return { type: 'other' };
}

/**
 * Reasons after which "try again" cannot change anything by itself: the child is not in the group,
 * the camera is switched off, the viewer has no relation to the camera, the account or the session
 * is gone. The player offers no retry button for them (a futile button is a lie).
 */
const NO_RETRY = new Set([
  'not_guardian',
  'no_role',
  'guardian_unverified',
  'not_enrolled',
  'role_not_permitted',
  'zone_restricted',
  'camera_disabled',
  'person_disabled',
  'session_ended',
  'session_expired',
  'logout',
  'logged_out',
  'unauthenticated',
  'not_found',
]);

/** Whether the ended player offers «Попробовать снова» for this reason. */
export function retryHelps(reason: string): boolean {
  return !NO_RETRY.has(baseReason(reason));
}
