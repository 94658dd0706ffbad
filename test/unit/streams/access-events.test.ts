/** The access event bus, its wire form (a NOTIFY payload) and bad-renewal aggregation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accessChangeOfAudit,
  decodeAccessChange,
  encodeAccessChange,
  InMemoryAccessEventBus,
  NOTIFY_MAX_BYTES,
  type AccessChange,
} from '../../../src/streams/access-events.js';
import { RenewRefusals } from '../../../src/streams/renew-refusals.js';

test('the in-memory bus delivers to every subscriber until it unsubscribes', () => {
  const bus = new InMemoryAccessEventBus();
  const a: AccessChange[] = [];
  const b: AccessChange[] = [];
  const offA = bus.subscribe((c) => a.push(c));
  bus.subscribe(() => {
    throw new Error('a broken listener');
  });
  bus.subscribe((c) => b.push(c));
  bus.publish({ kind: 'person', ids: ['p1'] });
  offA();
  bus.publish({ kind: 'all' });
  assert.deepEqual(a, [{ kind: 'person', ids: ['p1'] }]);
  assert.equal(b.length, 2);
});

test('the wire form round-trips, folds oversized or malformed payloads into "all"', () => {
  const c: AccessChange = { kind: 'institution', ids: ['i1', 'i2'] };
  assert.deepEqual(decodeAccessChange(encodeAccessChange(c)), c);
  const big = encodeAccessChange({
    kind: 'child',
    ids: Array.from({ length: 400 }, (_, i) => `child-${i}-xxxxxxxxxx`),
  });
  assert.ok(Buffer.byteLength(big) <= NOTIFY_MAX_BYTES);
  assert.equal(decodeAccessChange(big).kind, 'all');
  for (const bad of ['', '{', '{"kind":"nope","ids":[]}', '{"kind":"person","ids":[1]}'])
    assert.equal(decodeAccessChange(bad).kind, 'all', bad);
});

test('admin audit events map to the narrowest change they name', () => {
  assert.deepEqual(accessChangeOfAudit({ targetKind: 'person', targetId: 'p', institutionId: null }), {
    kind: 'person',
    ids: ['p'],
  });
  assert.deepEqual(
    accessChangeOfAudit({
      targetKind: 'role_binding',
      targetId: 'b',
      institutionId: null,
      details: { before: null, after: { personId: 'p2' } },
    }),
    { kind: 'person', ids: ['p2'] },
  );
  assert.deepEqual(accessChangeOfAudit({ targetKind: 'enrolment', targetId: 'e', institutionId: 'k' }), {
    kind: 'institution',
    ids: ['k'],
  });
  assert.deepEqual(accessChangeOfAudit({ targetKind: 'region', targetId: 'r', institutionId: null }), {
    kind: 'all',
  });
});

test('bad renewals: the first written at once, the rest aggregated, the socket closed after the limit', () => {
  const written: [number, string][] = [];
  const r = new RenewRefusals(
    async (count, reason) => {
      written.push([count, reason]);
    },
    { everyMs: 60_000, closeAfter: 5 },
  );
  const verdicts = Array.from({ length: 5 }, (_, i) => r.refused(i < 4 ? 'bad_signature' : 'expired', 's'));
  assert.deepEqual(verdicts, ['keep', 'keep', 'keep', 'keep', 'close']);
  assert.deepEqual(written, [[1, 'bad_signature']]);
  r.close();
  assert.deepEqual(written, [
    [1, 'bad_signature'],
    [4, 'expired'],
  ]);
  r.close();
  assert.equal(written.length, 2);
});
