/**
 * Leases (src/storage/lease.ts, migration 0018) on SQLite and PostgreSQL: one holder at a time,
 * renewal, takeover after expiry, release; many concurrent takers → exactly one wins; LeasedLoop runs
 * only in the holder.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases, type TestDb } from '../support/db.js';
import { LeasedLoop, leaseHolder, releaseLease, tryAcquireLease } from '../../src/storage/lease.js';
import { systemClock } from '../../src/shared/clock.js';

const T0 = new Date('2026-03-02T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

for (const d of testDatabases()) {
  describe(`leases (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    before(async () => {
      db = await d.open();
    });
    after(() => db.close());

    test('one holder; renewal keeps acquired_at; takeover only after expiry; release', async () => {
      const k = db.kysely;
      assert.equal(await tryAcquireLease(k, 'job.a', 'p1', at(0), 10_000), true);
      assert.equal(await tryAcquireLease(k, 'job.a', 'p2', at(5), 10_000), false);
      assert.equal(await tryAcquireLease(k, 'job.a', 'p1', at(6), 10_000), true);
      let h = await leaseHolder(k, 'job.a');
      assert.deepEqual(h, { holder: 'p1', acquiredAt: at(0).toISOString(), expiresAt: at(16).toISOString() });
      assert.equal(await tryAcquireLease(k, 'job.a', 'p2', at(15), 10_000), false, 'not expired yet');
      assert.equal(await tryAcquireLease(k, 'job.a', 'p2', at(16), 10_000), true, 'expired: taken over');
      h = await leaseHolder(k, 'job.a');
      assert.equal(h?.holder, 'p2');
      assert.equal(h?.acquiredAt, at(16).toISOString());
      assert.equal(await tryAcquireLease(k, 'job.a', 'p1', at(17), 10_000), false);
      await releaseLease(k, 'job.a', 'p1'); // not the holder: nothing happens
      assert.equal((await leaseHolder(k, 'job.a'))?.holder, 'p2');
      await releaseLease(k, 'job.a', 'p2');
      assert.equal(await leaseHolder(k, 'job.a'), undefined);
      assert.equal(await tryAcquireLease(k, 'job.a', 'p1', at(18), 10_000), true);
      // other names are independent
      assert.equal(await tryAcquireLease(k, 'job.b', 'p2', at(18), 10_000), true);
    });

    test('twenty concurrent takers of a free lease: exactly one wins', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          tryAcquireLease(db.kysely, 'job.race', `p${i}`, at(100), 10_000),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const expired = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          tryAcquireLease(db.kysely, 'job.race', `q${i}`, at(200), 10_000),
        ),
      );
      assert.equal(expired.filter(Boolean).length, 1, 'an expired lease is taken over by one');
    });

    test('LeasedLoop: two loops on one database, only the holder runs; the other takes over after stop', async () => {
      const runs = { a: 0, b: 0 };
      const mk = (h: 'a' | 'b') =>
        new LeasedLoop({
          db: db.kysely,
          clock: systemClock,
          name: 'job.loop',
          holder: h,
          ttlMs: 2_000,
          periodMs: 50,
          run: async () => {
            runs[h]++;
          },
        });
      const a = mk('a');
      const b = mk('b');
      a.start();
      await new Promise((r) => setTimeout(r, 100));
      b.start();
      await new Promise((r) => setTimeout(r, 400));
      assert.ok(runs.a > 3, `a ran ${runs.a}`);
      assert.equal(runs.b, 0);
      await a.stop(); // releases: b takes it at its next period
      const before = runs.b;
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(runs.b > before, 'b took over');
      await b.stop();
      assert.equal(await leaseHolder(db.kysely, 'job.loop'), undefined);
    });
  });
}
