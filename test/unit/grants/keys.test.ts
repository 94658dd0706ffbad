import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GrantExpectation, GrantKeyRingJson } from '../../../src/grants/index.js';
import {
  exportGrantKeyRing,
  generateGrantKey,
  GrantKeyError,
  GrantKeyRing,
  importGrantKeyRing,
  signGrant,
  verifyGrant,
} from '../../../src/grants/index.js';

const T0 = Date.parse('2026-03-02T07:00:00Z');
const REQUEST = { personId: 'p', cameraId: 'c', sessionId: 's', purpose: 'live' } as const;
const EXPECT: GrantExpectation = { cameraId: 'c', sessionId: 's', purpose: 'live' };

async function twoKeyRing(): Promise<GrantKeyRing> {
  return GrantKeyRing.empty()
    .rotate(await generateGrantKey(T0), T0)
    .rotate(await generateGrantKey(T0 + 1_000), T0 + 1_000);
}

function roundTripJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

describe('key generation', () => {
  test('a new key is pending, Ed25519, named by its thumbprint', async () => {
    const key = await generateGrantKey(T0);
    assert.equal(key.status, 'pending');
    assert.equal(key.createdAtMs, T0);
    assert.match(key.kid, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(key.publicKey.algorithm.name, 'Ed25519');
    assert.notEqual((await generateGrantKey(T0)).kid, key.kid);
  });
});

describe('serialisation to JWK (the data directory)', () => {
  test('export and import round-trip: tokens of the stored ring verify with the loaded one', async () => {
    const ring = await twoKeyRing();
    const stored = roundTripJson(await exportGrantKeyRing(ring)) as GrantKeyRingJson;
    assert.equal(stored.version, 1);
    assert.deepEqual(
      stored.keys.map((k) => k.status),
      ['retiring', 'active'],
    );
    assert.equal(stored.keys[0]?.verifyUntil, new Date(T0 + 1_000 + 65_000).toISOString());
    const loaded = await importGrantKeyRing(stored);
    assert.equal(loaded.signingKey?.kid, ring.signingKey?.kid);
    assert.deepEqual(
      loaded.keys.map((k) => [k.kid, k.status, k.createdAtMs, k.verifyUntilMs]),
      ring.keys.map((k) => [k.kid, k.status, k.createdAtMs, k.verifyUntilMs]),
    );
    const { token } = await signGrant(ring, REQUEST, { atMs: T0 + 2_000, ttlSeconds: 60 });
    assert.equal((await verifyGrant(loaded, token, EXPECT, { atMs: T0 + 2_000 })).ok, true);
    const again = await signGrant(loaded, REQUEST, { atMs: T0 + 2_000, ttlSeconds: 60 });
    assert.equal((await verifyGrant(ring, again.token, EXPECT, { atMs: T0 + 2_000 })).ok, true);
  });

  test('a public-only export holds no private part and loads as a verify-only ring', async () => {
    const ring = await twoKeyRing();
    const stored = roundTripJson(await exportGrantKeyRing(ring.publicOnly())) as GrantKeyRingJson;
    assert.ok(!JSON.stringify(stored).includes('"d"'));
    const loaded = await importGrantKeyRing(stored);
    assert.equal(loaded.signingKey, null);
    const { token } = await signGrant(ring, REQUEST, { atMs: T0 + 2_000, ttlSeconds: 60 });
    assert.equal((await verifyGrant(loaded, token, EXPECT, { atMs: T0 + 2_000 })).ok, true);
  });

  const corruptions: readonly [
    string,
    (json: Record<string, unknown>, keys: Record<string, unknown>[]) => void,
    RegExp,
  ][] = [
    ['wrong version', (json) => (json.version = 2), /version/],
    ['keys not a list', (json) => (json.keys = {}), /version/],
    ['unknown field', (_, keys) => (keys[0]!.comment = 'x'), /unknown field/],
    ['unknown status', (_, keys) => (keys[0]!.status = 'primary'), /status/],
    ['kid that is not the thumbprint', (_, keys) => (keys[0]!.kid = 'k1'), /thumbprint/],
    ['bad time', (_, keys) => (keys[0]!.createdAt = 'yesterday'), /createdAt/],
    ['RSA key', (_, keys) => (keys[0]!.publicJwk = { kty: 'RSA', n: 'AQAB', e: 'AQAB' }), /Ed25519/],
    [
      'private part in the public JWK',
      (_, keys) => (keys[0]!.publicJwk = keys[0]!.privateJwk),
      /must not hold the private/,
    ],
    [
      'halves of different keys',
      (_, keys) =>
        (keys[1]!.privateJwk = {
          ...(keys[0]!.privateJwk as object),
          x: (keys[1]!.publicJwk as { x: string }).x,
        }),
      /privateJwk: cannot import/,
    ],
    ['duplicate key', (json, keys) => (json.keys = [keys[0], keys[0]]), /appears twice/],
    [
      'two active keys',
      (_, keys) => Object.assign(keys[0]!, { status: 'active', verifyUntil: null }),
      /more than one active/,
    ],
    ['retiring key without verifyUntil', (_, keys) => (keys[0]!.verifyUntil = null), /no verifyUntil/],
  ];
  for (const [name, corrupt, message] of corruptions) {
    test(`import refuses: ${name}`, async () => {
      const json = roundTripJson(await exportGrantKeyRing(await twoKeyRing())) as Record<string, unknown>;
      corrupt(json, json.keys as Record<string, unknown>[]);
      await assert.rejects(importGrantKeyRing(json), (err: unknown) => {
        assert.ok(err instanceof GrantKeyError);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  test('import reports every problem at once', async () => {
    const json = roundTripJson(await exportGrantKeyRing(await twoKeyRing())) as {
      keys: Record<string, unknown>[];
    };
    json.keys[0]!.status = 'bogus';
    json.keys[1]!.createdAt = 'never';
    await assert.rejects(importGrantKeyRing(json), (err: unknown) => {
      assert.ok(err instanceof GrantKeyError);
      assert.equal(err.problems.length, 2);
      return true;
    });
  });

  test('import refuses what is not a ring at all', async () => {
    for (const value of [null, 'x', [], { version: 1 }]) {
      await assert.rejects(importGrantKeyRing(value), GrantKeyError);
    }
  });
});
