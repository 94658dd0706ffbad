/**
 * How analytics devices sign what they send (docs/design/attendance.md, "Event intake"): HMAC-SHA256
 * with the device's secret over `<unix seconds>.<the exact body bytes>`, written `v1=<hex>`. The same
 * signature covers an HTTP request (headers x-okno-device, x-okno-timestamp, x-okno-signature) and an
 * MQTT message (the envelope's deviceId, timestamp, signature and body). Pure: no clock, no database.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_VERSION = 'v1';

export function signBody(secret: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestampSeconds}.`);
  mac.update(body);
  return `${SIGNATURE_VERSION}=${mac.digest('hex')}`;
}

/** Constant-time comparison of a presented signature with the expected one. */
export function signatureMatches(
  secret: string,
  timestampSeconds: number,
  body: string | Buffer,
  presented: string,
): boolean {
  const expected = Buffer.from(signBody(secret, timestampSeconds, body));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A timestamp header's value: whole unix seconds, or null when it is not one. */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^\d{9,11}$/.test(value)) return Number(value);
  return null;
}
