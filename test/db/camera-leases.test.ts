/**
 * Per-camera leases (migration 0023) on SQLite and PostgreSQL: two nodes contend for a camera and
 * exactly one gets it; the holder renews; another node takes over only once the lease has run out
 * (the epoch counts the change); a holder stops believing it holds the camera before others may take
 * it, also when the database cannot be reached; releasing lets the other node in at once; a deleted
 * camera's lease goes with it. Also the camera's probed audio codec (camera_probes).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type KindergartenWorld } from '../support/factory.js';
import { CameraLeases } from '../../src/recording/camera-leases.js';
import { CameraSourcesRepository } from '../../src/storage/repositories/camera-sources.js';
import type { Clock } from '../../src/shared/clock.js';

class ManualClock implements Clock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

for (const d of testDatabases()) {
  describe(`camera leases (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let w: KindergartenWorld;
    let f: Factory;
    before(async () => {
      db = await d.open();
      f = new Factory(db.kysely);
      w = await f.kindergartenWorld((await f.region()).id, 'L');
    });
    after(() => db.close());

    test('two nodes contend: one gets the camera; expiry lets the other take it over', async () => {
      const clock = new ManualClock(Date.parse('2026-03-02T10:00:00Z'));
      const a = new CameraLeases(db.kysely, clock, { holder: 'node-a', ttlMs: 30_000 });
      const b = new CameraLeases(db.kysely, clock, { holder: 'node-b', ttlMs: 30_000 });
      const cam = w.camera.id;
      const [ra, rb] = await Promise.all([a.take(cam), b.take(cam)]);
      assert.equal(Number(ra) + Number(rb), 1, 'exactly one node holds the camera');
      const [winner, loser] = ra ? [a, b] : [b, a];
      assert.equal((await winner.current(cam))?.holder, winner.holder);
      assert.equal((await winner.current(cam))?.epoch, 1);
      assert.equal(loser.holds(cam), false);

      // The holder renews: the other node still cannot take it, even past the first expiry.
      clock.advance(20_000);
      assert.equal(await winner.ensure(cam), true);
      clock.advance(20_000);
      assert.equal(await loser.take(cam), false, 'renewed: not run out');
      assert.equal(winner.holds(cam), true);

      // The holder goes silent: it stops believing it holds the camera before others may take it.
      clock.advance(6_000); // 26 s after the renewal: within ttl, past ttl − margin
      assert.equal(winner.holds(cam), false, 'the holder stops before the lease runs out');
      assert.equal(await loser.take(cam), false, 'not run out yet for the others');
      clock.advance(4_000); // 30 s: run out
      assert.equal(await loser.take(cam), true, 'taken over');
      const row = await loser.current(cam);
      assert.equal(row?.holder, loser.holder);
      assert.equal(row?.epoch, 2, 'the epoch counts the change of holder');
      assert.equal(row?.acquiredAt, clock.now().toISOString());
      assert.equal(await winner.take(cam), false, 'the former holder cannot take it back');
      assert.equal(await winner.ensure(cam), false);

      // Release lets the other node in at once; releasing someone else's lease does nothing.
      await winner.release(cam);
      assert.equal((await loser.current(cam))?.holder, loser.holder);
      await loser.release(cam);
      assert.equal(await loser.current(cam), undefined);
      assert.equal(await winner.take(cam), true);
      assert.equal((await winner.current(cam))?.epoch, 1, 'a new row after a release');
      await winner.releaseAll();
      assert.equal(await winner.current(cam), undefined);
    });

    test('a holder that cannot reach the database keeps the camera only until its margin', async () => {
      const clock = new ManualClock(Date.parse('2026-03-02T12:00:00Z'));
      const a = new CameraLeases(db.kysely, clock, { holder: 'node-x', ttlMs: 30_000 });
      const cam = w.camera.id;
      assert.equal(await a.take(cam), true);
      const broken = new CameraLeases(
        new Proxy(db.kysely, {
          get: () => {
            throw new Error('database unreachable');
          },
        }),
        clock,
        { holder: 'node-x', ttlMs: 30_000 },
      );
      // Same node, as seen through a broken connection after its last successful take.
      (broken as unknown as { taken: Map<string, number> }).taken.set(cam, clock.now().getTime());
      clock.advance(15_000);
      assert.equal(await broken.ensure(cam), true, 'a hiccup: still within the lease');
      clock.advance(11_000);
      await assert.rejects(broken.ensure(cam), /database unreachable/, 'past the margin: stop');
      await a.releaseAll();
    });

    test('leases of several cameras; a deleted camera takes its lease and probe with it', async () => {
      const clock = new ManualClock(Date.parse('2026-03-02T14:00:00Z'));
      const a = new CameraLeases(db.kysely, clock, { holder: 'node-a' });
      const b = new CameraLeases(db.kysely, clock, { holder: 'node-b' });
      const other = await f.camera(w.group.id);
      assert.equal(await a.take(w.camera.id), true);
      assert.equal(await b.take(other.id), true);
      assert.equal(await a.take(other.id), false);
      const sources = new CameraSourcesRepository(db.kysely);
      await sources.recordProbe(other.id, other.source_url, 'aac', clock.now().toISOString());
      assert.equal((await sources.get(other.id))?.audioCodec, 'aac');
      await sources.recordProbe(other.id, other.source_url, 'pcm_alaw', clock.now().toISOString());
      assert.equal((await sources.get(other.id))?.audioCodec, 'pcm_alaw', 'the newest probe wins');
      await db.kysely
        .updateTable('cameras')
        .set({ source_url: 'rtsp://elsewhere/x' })
        .where('id', '=', other.id)
        .execute();
      assert.equal((await sources.get(other.id))?.audioCodec, null, 'another URL: unknown again');
      await sources.recordProbe('no-such-camera', 'rtsp://x/y', 'aac', clock.now().toISOString());
      await db.kysely.deleteFrom('cameras').where('id', '=', other.id).execute();
      assert.equal(await b.current(other.id), undefined);
      const probes = await db.kysely.selectFrom('camera_probes').selectAll().execute();
      assert.deepEqual(probes, [], 'no probe of a deleted or unknown camera');
      await a.releaseAll();
    });
  });
}
