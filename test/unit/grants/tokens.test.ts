import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactSign, compactVerify, generateKeyPair } from 'jose';
import type { GrantExpectation, GrantRequest, GrantVerification } from '../../../src/grants/index.js';
import {
  generateGrantKey,
  GRANT_TOKEN_TYPE,
  grantSessionDigest,
  GrantKeyRing,
  GrantVerifier,
  KEY_RETIREMENT_GRACE_MS,
  signGrant,
  verifyGrant,
} from '../../../src/grants/index.js';

const T0 = Date.parse('2026-03-02T07:00:00Z');
const REQUEST: GrantRequest = {
  personId: 'person-1',
  cameraId: 'camera-a',
  sessionId: 'session-secret-id',
  purpose: 'live',
};
const EXPECT: GrantExpectation = { cameraId: 'camera-a', sessionId: 'session-secret-id', purpose: 'live' };

let ring: GrantKeyRing;

before(async () => {
  ring = GrantKeyRing.empty().rotate(await generateGrantKey(T0), T0);
});

function b64json(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function reasonOf(result: GrantVerification): string {
  return result.ok ? 'ok' : result.reason;
}

describe('sign and verify', () => {
  test('round trip: the verified grant carries what was signed', async () => {
    const issued = await signGrant(ring, REQUEST, { atMs: T0 + 400, ttlSeconds: 60 });
    assert.equal(issued.issuedAtMs, T0);
    assert.equal(issued.expiresAtMs, T0 + 60_000);
    const result = await verifyGrant(ring, issued.token, EXPECT, { atMs: T0 + 10_000 });
    assert.deepEqual(result, {
      ok: true,
      grant: {
        personId: 'person-1',
        cameraId: 'camera-a',
        sessionDigest: grantSessionDigest('session-secret-id'),
        streamId: issued.streamId,
        purpose: 'live',
        kid: issued.kid,
        issuedAtMs: T0,
        expiresAtMs: T0 + 60_000,
      },
    });
  });

  test('a standard JWS library (jose) verifies what signGrant signs, and no other key does', async () => {
    const { token } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 30 });
    const { payload, protectedHeader } = await compactVerify(token, ring.signingKey!.publicKey, {
      algorithms: ['EdDSA'],
    });
    assert.equal(protectedHeader.typ, GRANT_TOKEN_TYPE);
    assert.equal(b64json(Buffer.from(payload).toString('base64url')).sub, 'person-1');
    const other = await generateKeyPair('Ed25519');
    await assert.rejects(compactVerify(token, other.publicKey, { algorithms: ['EdDSA'] }));
  });

  test('the token names its key and type, and never carries the session id itself', async () => {
    const { token, kid } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 30 });
    const [header, payload] = token.split('.');
    assert.deepEqual(b64json(header), { alg: 'EdDSA', kid, typ: GRANT_TOKEN_TYPE });
    assert.equal(kid, ring.signingKey?.kid);
    const claims = b64json(payload);
    assert.equal(claims.exp, (claims.iat as number) + 30);
    assert.ok(!token.includes('session-secret-id'));
    assert.ok(!JSON.stringify(claims).includes('session-secret-id'));
  });

  test('stream ids are random UUIDs, and a renewal keeps its stream id', async () => {
    const a = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 60 });
    const b = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 60 });
    assert.notEqual(a.streamId, b.streamId);
    assert.match(a.streamId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const renewed = await signGrant(
      ring,
      { ...REQUEST, streamId: a.streamId },
      { atMs: T0 + 45_000, ttlSeconds: 60 },
    );
    assert.equal(renewed.streamId, a.streamId);
    assert.notEqual(renewed.token, a.token);
  });

  test('signing refuses lifetimes over 60 s and bad input', async () => {
    for (const ttlSeconds of [0, 61, 1.5, -5, Number.NaN]) {
      await assert.rejects(
        signGrant(ring, REQUEST, { atMs: T0, ttlSeconds }),
        RangeError,
        `ttl ${ttlSeconds}`,
      );
    }
    await assert.rejects(
      signGrant(ring, { ...REQUEST, cameraId: '' }, { atMs: T0, ttlSeconds: 60 }),
      RangeError,
    );
    await assert.rejects(
      signGrant(ring, { ...REQUEST, streamId: 'guessable-1' }, { atMs: T0, ttlSeconds: 60 }),
      RangeError,
    );
    await assert.rejects(
      signGrant(ring, { ...REQUEST, purpose: 'export' as 'live' }, { atMs: T0, ttlSeconds: 60 }),
      RangeError,
    );
  });

  test('a verify-only ring cannot sign', async () => {
    await assert.rejects(
      signGrant(ring.publicOnly(), REQUEST, { atMs: T0, ttlSeconds: 60 }),
      /no active signing key/,
    );
  });
});

describe('expiry (clock injected)', () => {
  test('valid until exp, refused from exp on (no tolerance)', async () => {
    const { token, expiresAtMs } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 20 });
    const check = async (atMs: number) =>
      reasonOf(await verifyGrant(ring, token, EXPECT, { atMs, clockToleranceSeconds: 0 }));
    assert.equal(await check(expiresAtMs - 1), 'ok');
    assert.equal(await check(expiresAtMs), 'expired');
    assert.equal(await check(expiresAtMs + 3_600_000), 'expired');
  });

  test('clock tolerance forgives small skew both ways, no more', async () => {
    const { token, issuedAtMs, expiresAtMs } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 20 });
    const check = async (atMs: number) =>
      reasonOf(await verifyGrant(ring, token, EXPECT, { atMs, clockToleranceSeconds: 2 }));
    assert.equal(await check(expiresAtMs + 1_999), 'ok');
    assert.equal(await check(expiresAtMs + 2_000), 'expired');
    assert.equal(await check(issuedAtMs - 2_000), 'ok');
    assert.equal(await check(issuedAtMs - 2_001), 'not_yet_valid');
  });

  test('the tolerance itself is bounded', async () => {
    const { token } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 20 });
    await assert.rejects(
      verifyGrant(ring, token, EXPECT, { atMs: T0, clockToleranceSeconds: 600 }),
      RangeError,
    );
  });
});

describe('binding: purpose, camera, session', () => {
  const rows: readonly [string, Partial<GrantExpectation>, string][] = [
    ['another camera', { cameraId: 'camera-b' }, 'wrong_camera'],
    ['another session', { sessionId: 'other-session' }, 'wrong_session'],
    ['a playback endpoint', { purpose: 'playback' }, 'wrong_purpose'],
  ];
  for (const [name, change, reason] of rows) {
    test(`a live token presented at ${name}: ${reason}, with the signed claims for the audit`, async () => {
      const { token, streamId } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 60 });
      const result = await verifyGrant(ring, token, { ...EXPECT, ...change }, { atMs: T0 + 1_000 });
      assert.equal(reasonOf(result), reason);
      assert.equal(result.grant?.personId, 'person-1');
      assert.equal(result.grant?.streamId, streamId);
    });
  }
});

describe('tampering and malformed input', () => {
  test('a changed claim breaks the signature', async () => {
    const { token } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 60 });
    const [header, payload, signature] = token.split('.');
    const claims = { ...b64json(payload), cam: 'camera-b' };
    const forged = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    const result = await verifyGrant(ring, forged, { ...EXPECT, cameraId: 'camera-b' }, { atMs: T0 });
    assert.deepEqual(result, { ok: false, reason: 'bad_signature', grant: null });
  });

  test('a changed signature fails', async () => {
    const { token } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 60 });
    const [header, payload, signature = ''] = token.split('.');
    const flipped = (signature[5] === 'A' ? 'B' : 'A') + '';
    const bad = `${header}.${payload}.${signature.slice(0, 5)}${flipped}${signature.slice(6)}`;
    assert.equal(reasonOf(await verifyGrant(ring, bad, EXPECT, { atMs: T0 })), 'bad_signature');
  });

  test("a token signed by someone else's key under our kid fails the signature", async () => {
    const { privateKey } = await generateKeyPair('Ed25519');
    const kid = ring.signingKey?.kid ?? '';
    const now = Math.floor(T0 / 1000);
    const claims = {
      sub: 'person-1',
      cam: 'camera-a',
      sid: grantSessionDigest('session-secret-id'),
      pur: 'live',
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 60,
    };
    const forged = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: GRANT_TOKEN_TYPE })
      .sign(privateKey);
    assert.equal(reasonOf(await verifyGrant(ring, forged, EXPECT, { atMs: T0 })), 'bad_signature');
  });

  test('an unknown kid', async () => {
    const { token } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 60 });
    const [, payload, signature] = token.split('.');
    const header = Buffer.from(
      JSON.stringify({ alg: 'EdDSA', kid: 'made-up', typ: GRANT_TOKEN_TYPE }),
    ).toString('base64url');
    assert.equal(
      reasonOf(await verifyGrant(ring, `${header}.${payload}.${signature}`, EXPECT, { atMs: T0 })),
      'unknown_key',
    );
  });

  const signWithRing = async (
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
  ): Promise<string> => {
    const key = ring.signingKey;
    if (key === null) throw new Error('no signing key');
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: GRANT_TOKEN_TYPE, ...header })
      .sign(key.privateKey);
  };
  const now = Math.floor(T0 / 1000);
  const good = {
    sub: 'person-1',
    cam: 'camera-a',
    sid: grantSessionDigest('session-secret-id'),
    pur: 'live',
    jti: '3f9b2e92-b2d4-4ea7-94de-6e7efceb16ee',
    iat: now,
    exp: now + 60,
  };

  test('correctly signed claims of the right shape verify (control for the cases below)', async () => {
    assert.equal(reasonOf(await verifyGrant(ring, await signWithRing(good), EXPECT, { atMs: T0 })), 'ok');
  });

  const badClaims: readonly [string, Record<string, unknown>][] = [
    ['a lifetime over 60 s, even correctly signed', { ...good, exp: now + 3600 }],
    ['exp before iat', { ...good, exp: now - 1 }],
    ['no stream id', { ...good, jti: undefined }],
    ['a guessable stream id', { ...good, jti: '42' }],
    ['an unknown purpose', { ...good, pur: 'export' }],
    ['a numeric camera id', { ...good, cam: 7 }],
    ['fractional times', { ...good, iat: now + 0.5 }],
    ['an empty person', { ...good, sub: '' }],
  ];
  for (const [name, claims] of badClaims) {
    test(`malformed: ${name}`, async () => {
      assert.equal(
        reasonOf(await verifyGrant(ring, await signWithRing(claims), EXPECT, { atMs: T0 })),
        'malformed',
      );
    });
  }

  test('malformed: a payload that is not a JSON object', async () => {
    const key = ring.signingKey;
    assert.ok(key);
    for (const payload of ['"just a string"', 'null', 'not json', '[1,2]']) {
      const token = await new CompactSign(new TextEncoder().encode(payload))
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: GRANT_TOKEN_TYPE })
        .sign(key.privateKey);
      assert.equal(reasonOf(await verifyGrant(ring, token, EXPECT, { atMs: T0 })), 'malformed', payload);
    }
  });

  test('malformed: another token type or algorithm in the header', async () => {
    assert.equal(
      reasonOf(await verifyGrant(ring, await signWithRing(good, { typ: 'JWT' }), EXPECT, { atMs: T0 })),
      'malformed',
    );
    const { token } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 60 });
    const [, payload, signature] = token.split('.');
    const kid = ring.signingKey?.kid;
    for (const alg of ['HS256', 'none', 'Ed25519']) {
      const header = Buffer.from(JSON.stringify({ alg, kid, typ: GRANT_TOKEN_TYPE })).toString('base64url');
      assert.equal(
        reasonOf(await verifyGrant(ring, `${header}.${payload}.${signature}`, EXPECT, { atMs: T0 })),
        'malformed',
        alg,
      );
    }
  });

  const garbage: readonly [string, unknown][] = [
    ['empty', ''],
    ['one part', 'abc'],
    ['three junk parts', 'a.b.c'],
    ['two dots only', '..'],
    ['header not JSON', `${Buffer.from('{').toString('base64url')}.e30.AAAA`],
    ['too long', 'a'.repeat(5000)],
    ['not a string', 12345],
    ['undefined', undefined],
  ];
  for (const [name, value] of garbage) {
    test(`malformed: ${name}`, async () => {
      assert.deepEqual(await verifyGrant(ring, value as string, EXPECT, { atMs: T0 }), {
        ok: false,
        reason: 'malformed',
        grant: null,
      });
    });
  }
});

describe('key rotation', () => {
  test('a token signed before the rotation verifies after it, until the old key retires', async () => {
    const ringV1 = GrantKeyRing.empty().rotate(await generateGrantKey(T0), T0);
    const old = await signGrant(ringV1, REQUEST, { atMs: T0 + 1_000, ttlSeconds: 60 });

    const rotatedAtMs = T0 + 5_000;
    const ringV2 = ringV1.rotate(await generateGrantKey(rotatedAtMs), rotatedAtMs);
    const fresh = await signGrant(ringV2, REQUEST, { atMs: rotatedAtMs, ttlSeconds: 60 });
    assert.notEqual(fresh.kid, old.kid, 'the new key signs');

    const verify = async (token: string, atMs: number) =>
      reasonOf(await verifyGrant(ringV2, token, EXPECT, { atMs, clockToleranceSeconds: 0 }));
    assert.equal(await verify(old.token, rotatedAtMs + 30_000), 'ok', 'old token, mid-life, after rotation');
    assert.equal(await verify(fresh.token, rotatedAtMs + 30_000), 'ok');
    assert.equal(await verify(old.token, old.expiresAtMs), 'expired', 'old token still expires normally');
    // Past the grace the old key is gone: its tokens are refused as unknown, whatever they claim.
    assert.equal(await verify(old.token, rotatedAtMs + KEY_RETIREMENT_GRACE_MS + 1), 'unknown_key');
    assert.equal(ringV2.prune(rotatedAtMs + KEY_RETIREMENT_GRACE_MS + 1).keys.length, 1);
    assert.equal(ringV2.prune(rotatedAtMs + KEY_RETIREMENT_GRACE_MS).keys.length, 2);
  });

  test('the retirement grace outlives the longest token signed at the last moment', () => {
    assert.ok(KEY_RETIREMENT_GRACE_MS >= 60_000 + 5_000);
  });

  test('a key retired at once (compromised) has its live tokens refused', async () => {
    const compromised = await generateGrantKey(T0);
    const ringV1 = GrantKeyRing.empty().rotate(compromised, T0);
    const { token } = await signGrant(ringV1, REQUEST, { atMs: T0, ttlSeconds: 60 });
    const ringV2 = ringV1.rotate(await generateGrantKey(T0 + 1_000), T0 + 1_000).retire(compromised.kid);
    assert.equal(reasonOf(await verifyGrant(ringV2, token, EXPECT, { atMs: T0 + 2_000 })), 'unknown_key');
  });

  test('a staged (pending) key verifies before it signs, so verifiers can learn it first', async () => {
    const current = await generateGrantKey(T0);
    const next = await generateGrantKey(T0);
    const signer = GrantKeyRing.empty().rotate(current, T0).stage(next);
    assert.equal(signer.signingKey?.kid, current.kid, 'staging does not change the signing key');
    const mediaNode = signer.publicOnly();
    const activated = signer.activate(next.kid, T0 + 10_000);
    const { token, kid } = await signGrant(activated, REQUEST, { atMs: T0 + 10_000, ttlSeconds: 60 });
    assert.equal(kid, next.kid);
    assert.equal(reasonOf(await verifyGrant(mediaNode, token, EXPECT, { atMs: T0 + 10_000 })), 'ok');
  });

  test('ring invariants', async () => {
    const a = await generateGrantKey(T0);
    const b = await generateGrantKey(T0);
    assert.throws(
      () =>
        GrantKeyRing.of([
          { ...a, status: 'active' },
          { ...b, status: 'active' },
        ]),
      /more than one active/,
    );
    assert.throws(() => GrantKeyRing.empty().stage(a).stage(a), /already in the ring/);
    assert.throws(() => GrantKeyRing.empty().activate('nope', T0), /not in the ring/);
    const retiring = GrantKeyRing.empty()
      .rotate(a, T0)
      .rotate(b, T0 + 1);
    assert.throws(() => retiring.activate(a.kid, T0 + 2), /retiring/);
    assert.throws(() => GrantKeyRing.empty().stage(a).publicOnly().activate(a.kid, T0), /no private half/);
  });
});

describe('GrantVerifier (media process, with a cache of checked signatures)', () => {
  test('repeated verification of one token uses the cache and still checks the request', async () => {
    const verifier = new GrantVerifier(ring.publicOnly(), { clockToleranceSeconds: 0 });
    const { token, expiresAtMs } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 30 });
    assert.equal(reasonOf(await verifier.verify(token, EXPECT, T0)), 'ok');
    assert.equal(reasonOf(await verifier.verify(token, EXPECT, T0 + 1_000)), 'ok');
    assert.equal(verifier.cachedTokens, 1);
    assert.equal(
      reasonOf(await verifier.verify(token, { ...EXPECT, cameraId: 'camera-b' }, T0)),
      'wrong_camera',
    );
    assert.equal(reasonOf(await verifier.verify(token, { ...EXPECT, sessionId: 'x' }, T0)), 'wrong_session');
    assert.equal(reasonOf(await verifier.verify(token, EXPECT, expiresAtMs)), 'expired');
  });

  test('an expired token stays cached a while (an HLS player keeps its URL), still refused as expired', async () => {
    const verifier = new GrantVerifier(ring.publicOnly(), { clockToleranceSeconds: 0 });
    const { token, expiresAtMs, streamId } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 30 });
    const late = expiresAtMs + 60_000;
    const first = await verifier.verify(token, EXPECT, late);
    assert.equal(reasonOf(first), 'expired');
    assert.equal(first.grant?.streamId, streamId, 'the grant is known: the registry may extend it');
    assert.equal(verifier.cachedTokens, 1, 'its signature is not checked again on the next request');
    assert.equal(reasonOf(await verifier.verify(token, EXPECT, late + 1000)), 'expired');
    const other = new GrantVerifier(ring.publicOnly(), { clockToleranceSeconds: 0 });
    await other.verify(token, EXPECT, expiresAtMs + 16 * 60_000);
    assert.equal(other.cachedTokens, 0, 'long expired: not kept');
  });

  test('refusals are not cached as successes', async () => {
    const verifier = new GrantVerifier(ring.publicOnly());
    assert.equal(reasonOf(await verifier.verify('a.b.c', EXPECT, T0)), 'malformed');
    assert.equal(verifier.cachedTokens, 0);
  });

  test('a new ring empties the cache; a retired key refuses cached tokens', async () => {
    const key = await generateGrantKey(T0);
    const signer = GrantKeyRing.empty().rotate(key, T0);
    const verifier = new GrantVerifier(signer.publicOnly());
    const { token } = await signGrant(signer, REQUEST, { atMs: T0, ttlSeconds: 60 });
    assert.equal(reasonOf(await verifier.verify(token, EXPECT, T0)), 'ok');
    verifier.setKeyRing(signer.retire(key.kid).publicOnly());
    assert.equal(verifier.cachedTokens, 0);
    assert.equal(reasonOf(await verifier.verify(token, EXPECT, T0 + 1_000)), 'unknown_key');
  });

  test('a cached token whose key passes its grace is refused', async () => {
    const oldKey = await generateGrantKey(T0);
    const v1 = GrantKeyRing.empty().rotate(oldKey, T0);
    const { token } = await signGrant(v1, REQUEST, { atMs: T0, ttlSeconds: 60 });
    const v2 = v1.rotate(await generateGrantKey(T0), T0, 10_000);
    const verifier = new GrantVerifier(v2.publicOnly());
    assert.equal(reasonOf(await verifier.verify(token, EXPECT, T0 + 5_000)), 'ok');
    assert.equal(reasonOf(await verifier.verify(token, EXPECT, T0 + 10_001)), 'unknown_key');
  });

  test('the cache is bounded', async () => {
    const verifier = new GrantVerifier(ring.publicOnly(), { cacheEntries: 2 });
    for (let i = 0; i < 5; i++) {
      const { token } = await signGrant(ring, REQUEST, { atMs: T0, ttlSeconds: 60 });
      assert.equal(reasonOf(await verifier.verify(token, EXPECT, T0)), 'ok');
    }
    assert.equal(verifier.cachedTokens, 2);
  });
});
