/**
 * Signing keys for stream grants: Ed25519 key pairs in a key ring, each named by its `kid` (the
 * RFC 7638 thumbprint of its public JWK).
 *
 * A key's life: `pending` (verifies, does not sign yet: published to every verifier first),
 * `active` (the one key that signs), `retiring` (verifies only, until `verifyUntilMs`, past the
 * expiry of the last token it signed), then removed. Rotation therefore never cuts a stream: tokens
 * signed by the old key keep verifying for their whole life, and the player's next renewal gets a
 * token from the new key. Removing a key at once (`retire`) refuses its tokens at once: that is for
 * a compromised key.
 *
 * Media processes need only the public half (`publicOnly()`): a media node that is broken into
 * cannot mint grants.
 */
import type { CryptoKey, JWK } from 'jose';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';

/** The JWS algorithm of grant tokens (Ed25519 signatures, RFC 8037). */
export const GRANT_ALG = 'EdDSA';
/** The longest lifetime of a grant token. */
export const MAX_GRANT_TTL_SECONDS = 60;
/** The largest clock difference between machines that verification forgives. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 5;
/** How long a replaced signing key keeps verifying: the life of its last token, plus clock tolerance. */
export const KEY_RETIREMENT_GRACE_MS = (MAX_GRANT_TTL_SECONDS + MAX_CLOCK_TOLERANCE_SECONDS) * 1000;

export type GrantKeyStatus = 'pending' | 'active' | 'retiring';

export interface GrantKey {
  readonly kid: string;
  readonly status: GrantKeyStatus;
  readonly createdAtMs: number;
  /** For a retiring key: the last instant its tokens verify. Null otherwise. */
  readonly verifyUntilMs: number | null;
  readonly publicKey: CryptoKey;
  /** Null in a verify-only ring (media processes). */
  readonly privateKey: CryptoKey | null;
}

export class GrantKeyError extends Error {
  constructor(readonly problems: readonly string[]) {
    super('invalid grant key ring:\n' + problems.map((p) => '  - ' + p).join('\n'));
    this.name = 'GrantKeyError';
  }
}

/** A new Ed25519 key pair, pending (not signing until activated). */
export async function generateGrantKey(atMs: number): Promise<GrantKey> {
  const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  return { kid, status: 'pending', createdAtMs: atMs, verifyUntilMs: null, publicKey, privateKey };
}

/** An immutable set of grant keys; every change returns a new ring. */
export class GrantKeyRing {
  private readonly byKid: ReadonlyMap<string, GrantKey>;

  private constructor(readonly keys: readonly GrantKey[]) {
    const problems: string[] = [];
    const byKid = new Map<string, GrantKey>();
    for (const key of keys) {
      if (byKid.has(key.kid)) problems.push(`key ${key.kid} appears twice`);
      byKid.set(key.kid, key);
      if (key.status === 'retiring' && key.verifyUntilMs === null) {
        problems.push(`retiring key ${key.kid} has no verifyUntil`);
      }
      if (key.status !== 'retiring' && key.verifyUntilMs !== null) {
        problems.push(`${key.status} key ${key.kid} has a verifyUntil`);
      }
    }
    if (keys.filter((k) => k.status === 'active').length > 1) problems.push('more than one active key');
    if (problems.length > 0) throw new GrantKeyError(problems);
    this.byKid = byKid;
  }

  static of(keys: readonly GrantKey[]): GrantKeyRing {
    return new GrantKeyRing([...keys]);
  }

  static empty(): GrantKeyRing {
    return new GrantKeyRing([]);
  }

  /** The active key, when it has its private half (null in a verify-only ring or before activation). */
  get signingKey(): (GrantKey & { readonly privateKey: CryptoKey }) | null {
    const key = this.keys.find((k) => k.status === 'active');
    return key !== undefined && key.privateKey !== null ? { ...key, privateKey: key.privateKey } : null;
  }

  /** The key that verifies tokens with this kid at this instant, or null (unknown or retired). */
  verificationKey(kid: string, atMs: number): GrantKey | null {
    const key = this.byKid.get(kid);
    if (key === undefined) return null;
    if (key.verifyUntilMs !== null && atMs > key.verifyUntilMs) return null;
    return key;
  }

  /** Adds a key as pending: it verifies from now on, and signs once activated. */
  stage(key: GrantKey): GrantKeyRing {
    if (this.byKid.has(key.kid)) throw new GrantKeyError([`key ${key.kid} is already in the ring`]);
    return new GrantKeyRing([...this.keys, { ...key, status: 'pending', verifyUntilMs: null }]);
  }

  /**
   * Makes a staged key the signing key. The previous active key retires: it verifies for
   * `graceMs` more (default: the life of its last token plus clock tolerance).
   */
  activate(kid: string, atMs: number, graceMs: number = KEY_RETIREMENT_GRACE_MS): GrantKeyRing {
    const key = this.byKid.get(kid);
    if (key === undefined) throw new GrantKeyError([`key ${kid} is not in the ring`]);
    if (key.status === 'active') return this;
    if (key.status === 'retiring') throw new GrantKeyError([`key ${kid} is retiring and cannot sign again`]);
    if (key.privateKey === null) throw new GrantKeyError([`key ${kid} has no private half`]);
    return new GrantKeyRing(
      this.keys.map((k): GrantKey => {
        if (k.kid === kid) return { ...k, status: 'active', verifyUntilMs: null };
        if (k.status === 'active') return { ...k, status: 'retiring', verifyUntilMs: atMs + graceMs };
        return k;
      }),
    );
  }

  /** Stages and activates a new key in one step (one process, or verifiers that share this ring). */
  rotate(key: GrantKey, atMs: number, graceMs: number = KEY_RETIREMENT_GRACE_MS): GrantKeyRing {
    return this.stage(key).activate(key.kid, atMs, graceMs);
  }

  /** Drops retiring keys whose grace has passed. */
  prune(atMs: number): GrantKeyRing {
    const kept = this.keys.filter((k) => k.verifyUntilMs === null || atMs <= k.verifyUntilMs);
    return kept.length === this.keys.length ? this : new GrantKeyRing(kept);
  }

  /** Removes a key at once: its tokens are refused from now on (for a compromised key). */
  retire(kid: string): GrantKeyRing {
    return new GrantKeyRing(this.keys.filter((k) => k.kid !== kid));
  }

  /** The same ring without private halves, for processes that only verify. */
  publicOnly(): GrantKeyRing {
    return new GrantKeyRing(this.keys.map((k) => ({ ...k, privateKey: null })));
  }
}

/** The stored form of a ring (a JSON file in the data directory, mode 0600, or a database row). */
export interface GrantKeyRingJson {
  readonly version: 1;
  readonly keys: readonly GrantKeyJson[];
}

export interface GrantKeyJson {
  readonly kid: string;
  readonly status: GrantKeyStatus;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  /** ISO 8601 UTC, for a retiring key; null otherwise. */
  readonly verifyUntil: string | null;
  readonly publicJwk: JWK;
  /** Absent in a verify-only ring. */
  readonly privateJwk?: JWK;
}

/** Serialises a ring to JWKs (private halves included when the ring has them). */
export async function exportGrantKeyRing(ring: GrantKeyRing): Promise<GrantKeyRingJson> {
  const keys: GrantKeyJson[] = [];
  for (const key of ring.keys) {
    const publicJwk = await exportJWK(key.publicKey);
    const base = {
      kid: key.kid,
      status: key.status,
      createdAt: new Date(key.createdAtMs).toISOString(),
      verifyUntil: key.verifyUntilMs === null ? null : new Date(key.verifyUntilMs).toISOString(),
      publicJwk: { kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x },
    };
    if (key.privateKey === null) {
      keys.push(base);
    } else {
      const privateJwk = await exportJWK(key.privateKey);
      keys.push({
        ...base,
        privateJwk: { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, d: privateJwk.d },
      });
    }
  }
  return { version: 1, keys };
}

const STATUSES: readonly GrantKeyStatus[] = ['pending', 'active', 'retiring'];
const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseInstant(value: unknown, where: string, problems: string[]): number | null {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !value.endsWith('Z')) {
    problems.push(`${where}: expected an ISO 8601 UTC time`);
    return null;
  }
  return Date.parse(value);
}

function checkOkp(jwk: unknown, where: string, withPrivate: boolean, problems: string[]): jwk is JWK {
  if (!isRecord(jwk)) {
    problems.push(`${where}: expected a JWK object`);
    return false;
  }
  const before = problems.length;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519')
    problems.push(`${where}: expected an Ed25519 key (kty OKP)`);
  if (typeof jwk.x !== 'string' || !B64URL_32_BYTES.test(jwk.x)) problems.push(`${where}.x: malformed`);
  if (withPrivate && (typeof jwk.d !== 'string' || !B64URL_32_BYTES.test(jwk.d))) {
    problems.push(`${where}.d: malformed`);
  }
  if (!withPrivate && 'd' in jwk) problems.push(`${where}: a public JWK must not hold the private part`);
  return problems.length === before;
}

async function importKey(jwk: JWK, where: string, problems: string[]): Promise<CryptoKey | null> {
  try {
    const key = await importJWK(
      { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.d ? { d: jwk.d } : {}) },
      GRANT_ALG,
      {
        extractable: true,
      },
    );
    if (key instanceof Uint8Array) throw new TypeError('not an asymmetric key');
    return key;
  } catch (err) {
    problems.push(`${where}: cannot import (${err instanceof Error ? err.message : String(err)})`);
    return null;
  }
}

/**
 * Reads a stored ring, checking everything: shape, key types, that each kid is its key's thumbprint,
 * that private and public halves belong together (WebCrypto refuses a private JWK whose x is not
 * the public key of its d). Throws GrantKeyError listing every problem.
 */
export async function importGrantKeyRing(json: unknown): Promise<GrantKeyRing> {
  const problems: string[] = [];
  if (!isRecord(json) || json.version !== 1 || !Array.isArray(json.keys)) {
    throw new GrantKeyError(['expected { "version": 1, "keys": [ … ] }']);
  }
  const keys: GrantKey[] = [];
  for (const [i, entry] of (json.keys as unknown[]).entries()) {
    const where = `keys[${i}]`;
    if (!isRecord(entry)) {
      problems.push(`${where}: expected an object`);
      continue;
    }
    const known = new Set(['kid', 'status', 'createdAt', 'verifyUntil', 'publicJwk', 'privateJwk']);
    for (const name of Object.keys(entry))
      if (!known.has(name)) problems.push(`${where}.${name}: unknown field`);
    const { kid, status, publicJwk, privateJwk } = entry;
    if (typeof kid !== 'string') problems.push(`${where}.kid: expected a string`);
    if (typeof status !== 'string' || !STATUSES.includes(status as GrantKeyStatus)) {
      problems.push(`${where}.status: expected one of ${STATUSES.join(', ')}`);
    }
    const createdAtMs = parseInstant(entry.createdAt, `${where}.createdAt`, problems);
    const verifyUntilMs =
      entry.verifyUntil === null ? null : parseInstant(entry.verifyUntil, `${where}.verifyUntil`, problems);
    if (!checkOkp(publicJwk, `${where}.publicJwk`, false, problems)) continue;
    if (privateJwk !== undefined) {
      if (!checkOkp(privateJwk, `${where}.privateJwk`, true, problems)) continue;
      if (privateJwk.x !== publicJwk.x) problems.push(`${where}: private and public halves do not match`);
    }
    const thumbprint = await calculateJwkThumbprint(publicJwk, 'sha256');
    if (typeof kid === 'string' && kid !== thumbprint)
      problems.push(`${where}.kid: is not the key's thumbprint`);
    const publicKey = await importKey(publicJwk, `${where}.publicJwk`, problems);
    const privateKey =
      privateJwk === undefined ? null : await importKey(privateJwk, `${where}.privateJwk`, problems);
    if (publicKey === null || createdAtMs === null || typeof kid !== 'string') continue;
    keys.push({
      kid,
      status: status as GrantKeyStatus,
      createdAtMs,
      verifyUntilMs,
      publicKey,
      privateKey,
    });
  }
  if (problems.length > 0) throw new GrantKeyError(problems);
  return GrantKeyRing.of(keys);
}
