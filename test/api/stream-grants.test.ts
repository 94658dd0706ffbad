/** Grant rules through the API: the stream cap, renewals, viewing hours with the next opening, consent. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases } from '../support/db.js';
import { buildTestApp, sessionFor } from '../support/app.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';
import { newId } from '../../src/shared/ids.js';

for (const { name, open, skip } of testDatabases()) {
  describe(`stream grants on ${name}`, { skip }, () => {
    test('cap, renewal, hours and consent', async () => {
      const db = await open();
      // Monday 2026-11-23, 10:00 in Moscow.
      let nowMs = Date.parse('2026-11-23T07:00:00Z');
      const clock = { now: () => new Date(nowMs) };
      const t = await buildTestApp(db, { clock, overrides: { 'streams.maxPerViewer': 2 } });
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
          .select(['id', 'room_id'])
          .where('name', '=', 'Пчёлки — игровая')
          .executeTakeFirstOrThrow();
        const ask = () =>
          t.app.inject({
            method: 'POST',
            url: '/api/streams',
            headers: s.headers,
            payload: { cameraId: cam.id },
          });

        const first = await ask();
        assert.equal(first.statusCode, 200);
        const grant = first.json<{
          streamId: string;
          token: string;
          expiresAt: string;
          renewAfterMs: number;
          viewerTag: string;
        }>();
        assert.ok(Date.parse(grant.expiresAt) - nowMs <= 60_000);
        assert.match(grant.viewerTag, /^V-[0-9A-F]{8}$/);
        const second = await ask();
        assert.equal(second.statusCode, 200);
        // Grants never used hold no slot (a parent reloading the page is not refused)…
        assert.equal((await ask()).statusCode, 200);
        // …streams that carry a connection do: with two open, a further grant is refused.
        await db.kysely
          .updateTable('stream_sessions')
          .set({ started_at: clock.now().toISOString(), transport: 'ws' })
          .where('id', 'in', [grant.streamId, second.json<{ streamId: string }>().streamId])
          .execute();
        const fourth = await ask();
        assert.equal(fourth.statusCode, 403);
        assert.equal(fourth.json<{ details: { reason: string } }>().details.reason, 'stream_limit');

        // A renewal does not count its own stream against the cap, and keeps the stream id.
        const renewed = await t.app.inject({
          method: 'POST',
          url: `/api/streams/${grant.streamId}/renew`,
          headers: s.headers,
        });
        assert.equal(renewed.statusCode, 200);
        assert.equal(renewed.json<{ streamId: string }>().streamId, grant.streamId);
        // Someone else's stream id cannot be renewed.
        const other = await sessionFor(t, anna);
        assert.equal(
          (
            await t.app.inject({
              method: 'POST',
              url: `/api/streams/${grant.streamId}/renew`,
              headers: other.headers,
            })
          ).statusCode,
          404,
        );

        // Kindergarten hours: Mon–Fri 08:00–18:00; at 21:00 on Monday the next opening is Tuesday 08:00 (05:00 UTC).
        await db.kysely.deleteFrom('viewing_schedules').where('room_id', '=', cam.room_id).execute();
        for (const weekday of [1, 2, 3, 4, 5])
          await db.kysely
            .insertInto('viewing_schedules')
            .values({
              id: newId(),
              room_id: cam.room_id,
              weekday,
              start_time: '08:00',
              end_time: '18:00',
              created_at: clock.now().toISOString(),
            })
            .execute();
        nowMs = Date.parse('2026-11-23T18:00:00Z');
        const s2 = await sessionFor(t, anna);
        const late = await t.app.inject({
          method: 'POST',
          url: '/api/streams',
          headers: s2.headers,
          payload: { cameraId: cam.id },
        });
        assert.equal(late.statusCode, 403);
        assert.deepEqual(late.json<{ details: unknown }>().details, {
          reason: 'outside_viewing_hours',
          nextOpenAt: '2026-11-24T05:00:00.000Z',
        });
        const home = await t.app.inject({ url: '/api/parent/children', headers: s2.headers });
        assert.deepEqual(
          home.json<{ items: { cameras: { availability: unknown }[] }[] }>().items[0]!.cameras[0]!
            .availability,
          {
            state: 'outside_hours',
            nextOpenAt: '2026-11-24T05:00:00.000Z',
          },
        );

        // Consent withdrawn: the group's camera is pending consent.
        nowMs = Date.parse('2026-11-24T07:00:00Z');
        await db.kysely
          .insertInto('consents')
          .values({
            id: newId(),
            room_id: cam.room_id,
            status: 'withdrawn',
            recorded_by: null,
            note: null,
            recorded_at: clock.now().toISOString(),
          })
          .execute();
        const s3 = await sessionFor(t, anna);
        const noConsent = await t.app.inject({
          method: 'POST',
          url: '/api/streams',
          headers: s3.headers,
          payload: { cameraId: cam.id },
        });
        assert.equal(noConsent.json<{ details: { reason: string } }>().details.reason, 'consent_missing');
      } finally {
        await t.close();
        await db.close();
      }
    });
  });
}
