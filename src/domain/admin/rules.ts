/**
 * Rules on single values that a JSON schema cannot express: IANA time zones, calendar dates, local
 * times, camera source URLs. Pure; each failure is a `validation_failed` error naming the field.
 */
import { AppError } from '../../shared/errors.js';

export interface FieldProblem {
  field: string;
  message: string;
}

export function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', message, [{ field, message } satisfies FieldProblem]);
}

/** The canonical name of an IANA time zone ("europe/moscow" → "Europe/Moscow"), or null. */
export function canonicalTimeZone(name: string): string | null {
  // Offsets ("+03:00") and abbreviations are not IANA names, even where Intl accepts them.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** A real calendar date written YYYY-MM-DD. */
export function isLocalDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** The local date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Minutes since local midnight of "HH:MM" (00:00 … 23:59, and 24:00 as the end of the day). */
export function minutesOf(hhmm: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h === 24 && min === 0) return 1440;
  if (h > 23 || min > 59) return null;
  return h * 60 + min;
}

/** Trimmed text that is not empty, or a validation error. */
export function requiredText(field: string, value: string): string {
  const t = value.trim();
  if (t === '') throw invalid(field, 'must not be empty');
  return t;
}

/** Trimmed text, or null for null / empty. */
export function optionalText(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const t = value.trim();
  return t === '' ? null : t;
}

// ---------------------------------------------------------------------------------------------------
// Camera sources

export const CAMERA_SCHEMES = ['rtsp', 'rtsps', 'http', 'https', 'demo'] as const;
export type CameraScheme = (typeof CAMERA_SCHEMES)[number];

export interface CameraSource {
  /** the URL without credentials */
  url: string;
  username: string | null;
  password: string | null;
}

/**
 * Checks a camera source URL and separates credentials from it: `rtsp://user:pass@host/path` is
 * stored as `rtsp://host/path` plus username and password, which are never returned. Accepted:
 * rtsp, rtsps, http and https URLs with a host, and `demo:<name>` (the synthetic test pattern).
 * Messages never repeat the URL (it may hold a password).
 */
export function parseCameraSource(field: string, raw: string): CameraSource {
  const text = raw.trim();
  if (text.length > 2048) throw invalid(field, 'the source URL is longer than 2048 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(text))
    throw invalid(field, 'the source URL contains spaces or control characters');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw invalid(field, 'not a URL (expected rtsp://, rtsps://, http://, https:// or demo:)');
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  if (!(CAMERA_SCHEMES as readonly string[]).includes(scheme))
    throw invalid(field, `the scheme ${scheme}: is not allowed (expected rtsp, rtsps, http, https or demo)`);
  if (scheme === 'demo') {
    if (!/^demo:[^/?#]/.test(text)) throw invalid(field, 'a demo source is written demo:<name>');
    return { url: text, username: null, password: null };
  }
  if (!u.hostname) throw invalid(field, 'the source URL has no host');
  if (u.hash) throw invalid(field, 'the source URL must not have a #fragment');
  let username: string | null = null;
  let password: string | null = null;
  try {
    username = u.username ? decodeURIComponent(u.username) : null;
    password = u.password ? decodeURIComponent(u.password) : null;
  } catch {
    throw invalid(field, 'the credentials in the source URL are not correctly percent-encoded');
  }
  u.username = '';
  u.password = '';
  return { url: u.toString(), username, password };
}

/** What may be shown of a stored source URL: its scheme and host (never path, query or credentials). */
export function sourceSummary(url: string): { scheme: string; host: string | null } {
  try {
    const u = new URL(url);
    const scheme = u.protocol.replace(/:$/, '').toLowerCase();
    return { scheme, host: scheme === 'demo' || !u.host ? null : u.host };
  } catch {
    return { scheme: 'unknown', host: null };
  }
}
