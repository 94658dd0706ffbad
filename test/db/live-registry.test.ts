/**
 * The live registry on a real database: connections by id, one connection per grant, the cap counted
 * in memory, and revocation by access events (only touched connections re-checked), by deadlines and
 * by an event published while a connection was being admitted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openSqliteTestDb, type TestDb } from '../support/db.js';
import { AuditGroupCommit } from '../../src/audit/group-commit.js';
import { StreamSessionsRepository } from '../../src/storage/repositories/stream-sessions.js';
import { LiveRegistry, type OpenStream, type Recheck } from '../../src/streams/live-registry.js';
import { InMemoryAccessEventBus } from '../../src/streams/access-events.js';

let db: TestDb;
before(async () => {
  db = await openSqliteTestDb();
});
after(async () => {
  await db.close();
});

function setup(opts: { limit?: number; tickMs?: number; expiryGraceMs?: number } = {}) {
  const bus = new InMemoryAccessEventBus();
  const denied = new Set<string>();
  const checked: string[] = [];
  const closed = new Map<string, string>();
  const registry = new LiveRegistry({
    writes: new AuditGroupCommit(db.kysely),
    streams: new StreamSessionsRepository(db.kysely),
    clock: { now: () => new Date() },
    streamLimit: opts.limit ?? 2,
    events: bus,
    tickMs: opts.tickMs ?? 60_000,
    ...(opts.expiryGraceMs !== undefined ? { expiryGraceMs: opts.expiryGraceMs } : {}),
    recheck: async (s): Promise<Recheck> => {
      checked.push(s.personId);
      return denied.has(s.personId) ? { ok: false, reason: 'not_enrolled' } : ok();
    },
  });
  registry.start();
  const stream = (personId: string, streamId = randomUUID()): OpenStream => {
    const connectionId = randomUUID();
    return {
      connectionId,
      streamId,
      personId,
      subject: personId,
      cameraId: 'cam',
      sessionId: `session-${personId}`,
      transport: 'ws',
      grantExpiresAtMs: Date.now() + 60_000,
      startedAtMs: Date.now(),
      bytes: 0,
      audit: { actor: null, ip: null, userAgent: null, sessionId: null },
      close: (reason) => closed.set(connectionId, reason),
    };
  };
  return { bus, denied, checked, closed, registry, stream };
}

const ok = (institutionId = 'kg', validUntilMs = Date.now() + 3600_000): Extract<Recheck, { ok: true }> => ({
  ok: true,
  scope: { institutionId, roomId: 'room', childIds: ['child'] },
  validUntilMs,
  capped: true,
});

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('one grant, one connection, once; the cap counts open connections', async () => {
  const { registry, stream } = setup({ limit: 2 });
  const a = stream('p1');
  assert.deepEqual(registry.add(a, ok(), registry.mark()), { ok: true });
  const twin = { ...stream('p1'), streamId: a.streamId };
  assert.deepEqual(registry.add(twin, ok(), registry.mark()), { ok: false, reason: 'grant_in_use' });
  assert.deepEqual(registry.add(stream('p1'), ok(), registry.mark()), { ok: true });
  assert.deepEqual(registry.add(stream('p1'), ok(), registry.mark()), { ok: false, reason: 'stream_limit' });
  assert.deepEqual(registry.add(stream('p1'), { ...ok(), capped: false }, registry.mark()), { ok: true });
  // Ending the twin's attempt never touches the open one; ending the open one spends the grant.
  await registry.end(twin.connectionId, 'viewer_closed', false);
  assert.equal(registry.byGrant(a.streamId)?.connectionId, a.connectionId);
  await registry.end(a.connectionId, 'viewer_closed', false);
  assert.deepEqual(registry.add({ ...stream('p1'), streamId: a.streamId }, ok(), registry.mark()), {
    ok: false,
    reason: 'grant_spent',
  });
  await registry.closeAll('test');
});

test('an access event re-checks only the connections it touches', async () => {
  const { bus, denied, checked, closed, registry, stream } = setup({ limit: 5 });
  const p1 = stream('p1');
  const p2 = stream('p2');
  const other = stream('p3');
  registry.add(p1, ok('kg'), registry.mark());
  registry.add(p2, ok('kg'), registry.mark());
  registry.add(other, ok('elsewhere'), registry.mark());
  denied.add('p1');
  bus.publish({ kind: 'person', ids: ['p1'] });
  await until(() => closed.has(p1.connectionId), 'p1 revoked');
  assert.equal(closed.get(p1.connectionId), 'access_revoked:not_enrolled');
  assert.deepEqual(checked, ['p1']);
  bus.publish({ kind: 'institution', ids: ['kg'] });
  await until(() => checked.length === 2, 'kg re-checked');
  assert.deepEqual(checked, ['p1', 'p2']);
  bus.publish({ kind: 'child', ids: ['child'] });
  await until(() => checked.length === 4, 'children re-checked');
  assert.deepEqual(checked.slice(2).sort(), ['p2', 'p3']);
  assert.equal(registry.size, 2);
  await registry.closeAll('test');
});

test('a decision past its validity is re-checked by the tick, without any event', async () => {
  const { denied, closed, registry, stream } = setup({ tickMs: 20 });
  const s = stream('p4');
  registry.add(s, ok('kg', Date.now() + 100), registry.mark());
  denied.add('p4');
  await until(() => closed.has(s.connectionId), 'revoked at the deadline');
  await registry.closeAll('test');
});

test('an event published while a connection was admitted re-checks it once added', async () => {
  const { bus, denied, closed, registry, stream } = setup();
  const since = registry.mark();
  denied.add('p5');
  bus.publish({ kind: 'person', ids: ['p5'] }); // the admission check read the facts before this
  const s = stream('p5');
  registry.add(s, ok(), since);
  await until(() => closed.has(s.connectionId), 'revoked after admission');
  await registry.closeAll('test');
});

test('a grant not renewed is cut after its expiry (and its grace), renewed ones are not', async () => {
  const { closed, registry, stream } = setup({ tickMs: 20, expiryGraceMs: 50, limit: 5 });
  const lapsing = { ...stream('p6'), grantExpiresAtMs: Date.now() + 100 };
  const renewed = { ...stream('p7'), grantExpiresAtMs: Date.now() + 100 };
  registry.add(lapsing, ok(), registry.mark());
  registry.add(renewed, ok(), registry.mark());
  registry.extend(renewed.streamId, Date.now() + 60_000);
  await until(() => closed.has(lapsing.connectionId), 'lapsed grant cut');
  assert.equal(closed.get(lapsing.connectionId), 'grant_expired');
  assert.equal(closed.has(renewed.connectionId), false);
  await registry.closeAll('test');
});
