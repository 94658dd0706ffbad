/**
 * A failure inside the access policy (issue 9, item 8) is an error, not a denial that blames the
 * viewer: refused with its own code `policy_error`, logged at level error, audited with that code,
 * and the parent's home says "server error". The first failure is a real one: the institution's time
 * zone row is corrupted (an unknown zone), so the policy throws while computing local time; the
 * second goes through the service's test seam (`policy`).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases } from '../support/db.js';
import { buildTestApp, sessionFor } from '../support/app.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';

for (const { name, open, skip } of testDatabases()) {
  describe(`a failing access policy on ${name}`, { skip }, () => {
    test('is refused as policy_error, logged as an error and audited', async () => {
      const db = await open();
      // Monday 2026-11-23, 10:00 in Moscow: the demo camera is open to Anna.
      const clock = { now: () => new Date('2026-11-23T07:00:00Z') };
      const lines: string[] = [];
      const t = await buildTestApp(db, { clock, logStream: { write: (l) => void lines.push(l) } });
      try {
        await seedDemo(db.kysely, devIssuer(t.config.publicUrl), clock.now());
        const anna = (
          await db.kysely
            .selectFrom('persons')
            .select('id')
            .where('subject', '=', 'demo-parent-anna')
            .executeTakeFirstOrThrow()
        ).id;
        const s = await sessionFor(t, anna);
        const cam = await db.kysely
          .selectFrom('cameras')
          .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
          .select(['cameras.id', 'rooms.institution_id'])
          .where('cameras.name', '=', 'Пчёлки — игровая')
          .executeTakeFirstOrThrow();
        const ask = () =>
          t.app.inject({
            method: 'POST',
            url: '/api/streams',
            headers: s.headers,
            payload: { cameraId: cam.id },
          });
        assert.equal((await ask()).statusCode, 200, 'the demo camera is open before the failure');

        await db.kysely
          .updateTable('institutions')
          .set({ time_zone: 'Mars/Olympus_Mons' })
          .where('id', '=', cam.institution_id)
          .execute();
        const refused = await ask();
        assert.equal(refused.statusCode, 403, refused.body);
        assert.equal(refused.json<{ details: { reason: string } }>().details.reason, 'policy_error');

        const logged = lines
          .map((l) => JSON.parse(l) as { level: number; msg: string; cameraId?: string; err?: unknown })
          .filter((l) => l.level >= 50);
        assert.equal(logged.length, 1, JSON.stringify(logged));
        assert.match(logged[0]!.msg, /access policy failed/);
        assert.equal(logged[0]!.cameraId, cam.id);
        assert.ok(logged[0]!.err, 'the exception is in the log entry');

        const audited = await db.kysely
          .selectFrom('audit_log')
          .select(['decision', 'reason', 'target_id'])
          .where('action', '=', 'grant.live')
          .where('reason', '=', 'policy_error')
          .execute();
        assert.deepEqual(audited, [{ decision: 'deny', reason: 'policy_error', target_id: cam.id }]);
        const blamed = await db.kysely
          .selectFrom('audit_log')
          .select('id')
          .where('reason', '=', 'not_enrolled')
          .execute();
        assert.deepEqual(blamed, [], 'the failure is not recorded as not_enrolled');

        // The parent's home (which needs the time zone itself) with a policy that fails another way:
        // a fact it reads throws.
        await db.kysely
          .updateTable('institutions')
          .set({ time_zone: 'Europe/Moscow' })
          .where('id', '=', cam.institution_id)
          .execute();
        t.ctx.live.grants.policy = () => {
          throw new Error('a fact source failed');
        };
        const home = await t.app.inject({ url: '/api/parent/children', headers: s.headers });
        assert.equal(home.statusCode, 200, home.body);
        const states = home
          .json<{ items: { cameras: { id: string; availability: { state: string } }[] }[] }>()
          .items.flatMap((i) => i.cameras)
          .filter((c) => c.id === cam.id)
          .map((c) => c.availability.state);
        assert.deepEqual(states, ['server_error']);
        assert.equal(lines.filter((l) => /access policy failed/.test(l)).length, 2);
      } finally {
        await t.close();
        await db.close();
      }
    });
  });
}
