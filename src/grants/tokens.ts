/**
 * Stream grant tokens: short-lived (≤ 60 s) compact JWS tokens, signed with Ed25519, that let a media
 * endpoint serve one viewer one camera for one session without asking the database.
 *
 * Header: { alg: 'EdDSA', kid, typ: 'okno-grant+jwt' }.
 * Claims: sub (person id), cam (camera id), sid (session digest), pur ('live' | 'playback'),
 * jti (stream id: random, kept across renewals of one stream), iat, exp (seconds).
 *
 * The session is bound by a digest (sha256 of the session id), never the id itself: tokens travel in
 * URLs (HLS), and what a URL carries ends up in logs. Verification is pure CPU: a key-ring lookup, a
 * signature check and claim comparisons.
 */
import { createHash, KeyObject, randomUUID, sign as signBytes } from 'node:crypto';
import type { CryptoKey } from 'jose';
import { compactVerify, decodeProtectedHeader, errors } from 'jose';
import type { GrantKeyRing } from './keys.js';
import { GRANT_ALG, MAX_CLOCK_TOLERANCE_SECONDS, MAX_GRANT_TTL_SECONDS } from './keys.js';

export const GRANT_TOKEN_TYPE = 'okno-grant+jwt';
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 2;
/** Longer input is refused before any parsing. */
export const MAX_GRANT_TOKEN_CHARS = 2048;
const MAX_ID_CHARS = 200;
const STREAM_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export type GrantPurpose = 'live' | 'playback';
const PURPOSES: readonly GrantPurpose[] = ['live', 'playback'];

export interface GrantRequest {
  readonly personId: string;
  readonly cameraId: string;
  readonly sessionId: string;
  readonly purpose: GrantPurpose;
  /** The stream being renewed; a new random one when absent. */
  readonly streamId?: string;
}

export interface SignOptions {
  readonly atMs: number;
  /** 1 … MAX_GRANT_TTL_SECONDS (config streams.grantTtlSeconds). */
  readonly ttlSeconds: number;
}

export interface IssuedGrant {
  readonly token: string;
  readonly streamId: string;
  readonly kid: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
}

/** What a media endpoint knows about the request: the camera in its URL, the caller's session. */
export interface GrantExpectation {
  readonly cameraId: string;
  readonly sessionId: string;
  readonly purpose: GrantPurpose;
}

export interface VerifyOptions {
  readonly atMs: number;
  /** 0 … MAX_CLOCK_TOLERANCE_SECONDS; default DEFAULT_CLOCK_TOLERANCE_SECONDS. */
  readonly clockToleranceSeconds?: number;
}

/** The claims of a token whose signature checked out. */
export interface VerifiedGrant {
  readonly personId: string;
  readonly cameraId: string;
  readonly sessionDigest: string;
  readonly streamId: string;
  readonly purpose: GrantPurpose;
  readonly kid: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
}

/** Why a token was refused, in the order the checks run. */
export const GRANT_REJECTIONS = [
  'malformed',
  'unknown_key',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'wrong_purpose',
  'wrong_camera',
  'wrong_session',
] as const;
export type GrantRejection = (typeof GRANT_REJECTIONS)[number];

export type GrantVerification =
  | { readonly ok: true; readonly grant: VerifiedGrant }
  | {
      readonly ok: false;
      readonly reason: GrantRejection;
      /** The signed claims, when the signature checked out (for the audit: whose token it was). */
      readonly grant: VerifiedGrant | null;
    };

/** The digest a token carries for a session id (for matching revocations to open streams). */
export function grantSessionDigest(sessionId: string): string {
  return createHash('sha256').update('okno-grant-session\0').update(sessionId).digest('base64url');
}

function checkId(value: string, what: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_CHARS) {
    throw new RangeError(`${what} must be a non-empty string of at most ${MAX_ID_CHARS} characters`);
  }
}

/** Signs a grant with the ring's active key. Throws when the ring cannot sign or the input is wrong. */
export async function signGrant(
  ring: GrantKeyRing,
  request: GrantRequest,
  options: SignOptions,
): Promise<IssuedGrant> {
  const { ttlSeconds, atMs } = options;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_GRANT_TTL_SECONDS) {
    throw new RangeError(`ttlSeconds must be an integer 1…${MAX_GRANT_TTL_SECONDS}, got ${ttlSeconds}`);
  }
  if (!Number.isFinite(atMs)) throw new RangeError('atMs must be a finite number');
  checkId(request.personId, 'personId');
  checkId(request.cameraId, 'cameraId');
  checkId(request.sessionId, 'sessionId');
  if (!PURPOSES.includes(request.purpose)) throw new RangeError(`unknown purpose ${String(request.purpose)}`);
  if (request.streamId !== undefined && !STREAM_ID.test(request.streamId)) {
    throw new RangeError('streamId must be a stream id issued by signGrant');
  }
  const key = ring.signingKey;
  if (key === null) throw new Error('the grant key ring has no active signing key');

  const streamId = request.streamId ?? randomUUID();
  const iat = Math.floor(atMs / 1000);
  const exp = iat + ttlSeconds;
  const claims = {
    sub: request.personId,
    cam: request.cameraId,
    sid: grantSessionDigest(request.sessionId),
    pur: request.purpose,
    jti: streamId,
    iat,
    exp,
  };
  const token = compactSignEd25519(
    { alg: GRANT_ALG, kid: key.kid, typ: GRANT_TOKEN_TYPE },
    claims,
    key.privateKey,
  );
  return { token, streamId, kid: key.kid, issuedAtMs: iat * 1000, expiresAtMs: exp * 1000 };
}

const nodeKeys = new WeakMap<CryptoKey, KeyObject>();

/**
 * RFC 7515 compact serialisation, signed in place with node:crypto. jose 6 signs through WebCrypto,
 * which hands every Ed25519 signature to the thread pool and back (about a tenth of a grant decision's
 * time, spent waiting); a signature over one fixed header shape is three base64url parts, so this is
 * written here. Verification stays with jose, and the tests check jose accepts what this signs.
 */
function compactSignEd25519(header: object, claims: object, privateKey: CryptoKey): string {
  let keyObject = nodeKeys.get(privateKey);
  if (keyObject === undefined) {
    keyObject = KeyObject.from(privateKey);
    nodeKeys.set(privateKey, keyObject);
  }
  const signingInput =
    Buffer.from(JSON.stringify(header)).toString('base64url') +
    '.' +
    Buffer.from(JSON.stringify(claims)).toString('base64url');
  return signingInput + '.' + signBytes(null, Buffer.from(signingInput), keyObject).toString('base64url');
}

type SignatureResult = { ok: true; grant: VerifiedGrant } | { ok: false; reason: GrantRejection };

function isShortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_CHARS;
}

function parseClaims(payload: Uint8Array, kid: string): VerifiedGrant | null {
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return null;
  }
  if (typeof claims !== 'object' || claims === null) return null;
  const c = claims as Record<string, unknown>;
  const { sub, cam, sid, pur, jti, iat, exp } = c;
  if (!isShortString(sub) || !isShortString(cam) || !isShortString(sid)) return null;
  if (typeof jti !== 'string' || !STREAM_ID.test(jti)) return null;
  if (pur !== 'live' && pur !== 'playback') return null;
  if (
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    !Number.isInteger(iat) ||
    !Number.isInteger(exp)
  ) {
    return null;
  }
  // A lifetime over the maximum is refused even with a good signature: no key signs such a token.
  if (exp <= iat || exp - iat > MAX_GRANT_TTL_SECONDS) return null;
  return {
    personId: sub,
    cameraId: cam,
    sessionDigest: sid,
    streamId: jti,
    purpose: pur,
    kid,
    issuedAtMs: iat * 1000,
    expiresAtMs: exp * 1000,
  };
}

/** Key lookup and signature check; the claims are parsed but not yet compared. */
async function verifySignature(ring: GrantKeyRing, token: string, atMs: number): Promise<SignatureResult> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_GRANT_TOKEN_CHARS) {
    return { ok: false, reason: 'malformed' };
  }
  let kid: unknown;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== GRANT_ALG || header.typ !== GRANT_TOKEN_TYPE || header.crit !== undefined) {
      return { ok: false, reason: 'malformed' };
    }
    kid = header.kid;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof kid !== 'string' || kid.length === 0) return { ok: false, reason: 'malformed' };
  const key = ring.verificationKey(kid, atMs);
  if (key === null) return { ok: false, reason: 'unknown_key' };
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(token, key.publicKey, { algorithms: [GRANT_ALG] }));
  } catch (err) {
    if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'bad_signature' };
    if (err instanceof errors.JOSEError) return { ok: false, reason: 'malformed' };
    throw err;
  }
  const grant = parseClaims(payload, kid);
  return grant === null ? { ok: false, reason: 'malformed' } : { ok: true, grant };
}

function toleranceMs(options: VerifyOptions): number {
  const seconds = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!(seconds >= 0 && seconds <= MAX_CLOCK_TOLERANCE_SECONDS)) {
    throw new RangeError(`clockToleranceSeconds must be 0…${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  return seconds * 1000;
}

/** Compares a signed grant with the request it is presented for. */
function checkGrant(
  grant: VerifiedGrant,
  expect: GrantExpectation,
  atMs: number,
  slackMs: number,
): GrantVerification {
  let reason: GrantRejection | null = null;
  if (atMs >= grant.expiresAtMs + slackMs) reason = 'expired';
  else if (grant.issuedAtMs > atMs + slackMs) reason = 'not_yet_valid';
  else if (grant.purpose !== expect.purpose) reason = 'wrong_purpose';
  else if (grant.cameraId !== expect.cameraId) reason = 'wrong_camera';
  else if (grant.sessionDigest !== grantSessionDigest(expect.sessionId)) reason = 'wrong_session';
  return reason === null ? { ok: true, grant } : { ok: false, reason, grant };
}

/**
 * Verifies a token for a request: signature by a key of the ring valid at `atMs`, then expiry, then
 * that it was issued for this purpose, camera and session.
 */
export async function verifyGrant(
  ring: GrantKeyRing,
  token: string,
  expect: GrantExpectation,
  options: VerifyOptions,
): Promise<GrantVerification> {
  const slackMs = toleranceMs(options);
  const signed = await verifySignature(ring, token, options.atMs);
  if (!signed.ok) return { ok: false, reason: signed.reason, grant: null };
  return checkGrant(signed.grant, expect, options.atMs, slackMs);
}

export interface GrantVerifierOptions {
  /** How many verified tokens to remember (0 turns the cache off). Default 10,000. */
  readonly cacheEntries?: number;
  readonly clockToleranceSeconds?: number;
}

/**
 * A verifier for a media process: the key ring plus a bounded cache of tokens whose signature already
 * checked out, so that an HLS player presenting the same token for every part costs one signature
 * check per token, not per request. Expiry, key validity and the request's camera, session and
 * purpose are still checked on every call. Replacing the ring empties the cache.
 */
export class GrantVerifier {
  private ring: GrantKeyRing;
  private readonly cache = new Map<string, VerifiedGrant>();
  private readonly cacheEntries: number;
  private readonly slackMs: number;
  private readonly keepMs: number;

  constructor(ring: GrantKeyRing, options: GrantVerifierOptions = {}) {
    this.ring = ring;
    this.cacheEntries = options.cacheEntries ?? 10_000;
    this.slackMs = toleranceMs({ atMs: 0, clockToleranceSeconds: options.clockToleranceSeconds });
    this.keepMs = Math.max(this.slackMs, 15 * 60_000);
  }

  get keyRing(): GrantKeyRing {
    return this.ring;
  }

  setKeyRing(ring: GrantKeyRing): void {
    this.ring = ring;
    this.cache.clear();
  }

  async verify(token: string, expect: GrantExpectation, atMs: number): Promise<GrantVerification> {
    let grant = this.cache.get(token);
    if (grant !== undefined && this.ring.verificationKey(grant.kid, atMs) === null) {
      this.cache.delete(token);
      return { ok: false, reason: 'unknown_key', grant: null };
    }
    if (grant === undefined) {
      const signed = await verifySignature(this.ring, token, atMs);
      if (!signed.ok) return { ok: false, reason: signed.reason, grant: null };
      grant = signed.grant;
      if (this.cacheEntries > 0 && atMs < grant.expiresAtMs + this.keepMs) this.remember(token, grant, atMs);
    }
    return checkGrant(grant, expect, atMs, this.slackMs);
  }

  private remember(token: string, grant: VerifiedGrant, atMs: number): void {
    // Oldest first (insertion order, roughly expiry order): drop the long expired, then the oldest if
    // full. An expired token stays a while (keepMs): an HLS player keeps its URL after the token's
    // minute while the live registry sees its renewals, and its signature does not change. Expiry
    // itself is checked on every call.
    for (const [t, g] of this.cache) {
      if (atMs < g.expiresAtMs + this.keepMs && this.cache.size < this.cacheEntries) break;
      this.cache.delete(t);
    }
    this.cache.set(token, grant);
  }

  /** Number of cached tokens (for metrics and tests). */
  get cachedTokens(): number {
    return this.cache.size;
  }
}
