/**
 * Short-lived signed links to inspection photos (docs/design/inspections.md, "Access"): like video
 * grants, a photo is never behind a public URL. A link names the photo, the variant, the viewer and
 * its expiry, signed with the site's Ed25519 key; the media route verifies it without a database
 * round trip, checks that the viewer's own session presents it, and audits the view.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import type { Variant } from './photo-store.js';

export interface PhotoLinkClaims {
  /** photo id */
  p: string;
  v: Variant;
  /** viewer (person id) */
  s: string;
  /** inspection id, for the audit entry */
  i: string;
  /** the role the viewer was allowed in */
  r: string;
  /** expiry, ms since the epoch */
  e: number;
}

export function signPhotoLink(claims: PhotoLinkClaims, privateKey: KeyObject): string {
  const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  const sig = sign(null, Buffer.from(body, 'utf8'), privateKey).toString('base64url');
  return `${body}.${sig}`;
}

export type LinkCheck =
  { ok: true; claims: PhotoLinkClaims } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export function verifyPhotoLink(token: string, publicKey: KeyObject, nowMs: number): LinkCheck {
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return { ok: false, reason: 'malformed' };
  if (!verify(null, Buffer.from(body, 'utf8'), publicKey, Buffer.from(sig, 'base64url')))
    return { ok: false, reason: 'bad_signature' };
  let claims: PhotoLinkClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as PhotoLinkClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims.e !== 'number' || claims.e < nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
