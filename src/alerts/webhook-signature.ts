/**
 * Signing of webhook bodies (docs/design/alerts.md, "Signing"), the way Stripe and GitHub do it:
 * HMAC-SHA256 with the endpoint's secret over `TIMESTAMP + "." + RAW_BODY`, sent as
 * `Okno-Signature: v1=<hex>` with `Okno-Timestamp: <unix seconds>`. A receiver recomputes the HMAC over
 * the raw bytes it received, compares in constant time, and refuses timestamps older than a few
 * minutes (replays). `Okno-Delivery` is the same on every retry of one delivery: deduplicate by it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const HEADER_SIGNATURE = 'okno-signature';
export const HEADER_TIMESTAMP = 'okno-timestamp';
export const HEADER_DELIVERY = 'okno-delivery';
export const HEADER_EVENT = 'okno-event';

/** Five minutes, as Stripe's default tolerance. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new endpoint secret: 32 random bytes, `whsec_` + base64url (shown once, at creation). */
export function newWebhookSecret(): string {
  return 'whsec_' + randomBytes(32).toString('base64url');
}

export function signWebhookBody(secret: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
  return `v1=${mac}`;
}

/**
 * Checks a received webhook. `signature` may list several `v1=` values separated by commas (a secret
 * being rotated); any match passes.
 */
export function verifyWebhookSignature(
  secret: string,
  h: { timestamp: string | undefined; signature: string | undefined },
  body: string | Buffer,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' } {
  if (!h.timestamp || !h.signature || !/^\d{1,12}$/.test(h.timestamp))
    return { ok: false, reason: 'missing' };
  const ts = Number(h.timestamp);
  if (Math.abs(nowSeconds - ts) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signWebhookBody(secret, ts, body));
  for (const part of h.signature.split(',')) {
    const given = Buffer.from(part.trim());
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'mismatch' };
}
