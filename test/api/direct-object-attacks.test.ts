/**
 * A parent of group A tries to reach group B's camera every way there is: guessed ids, the playlist,
 * segment, init, snapshot and WebSocket URLs, another viewer's token, an expired token, a token from
 * another session, no session at all. Every attempt is refused and audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { openSqliteTestDb, type TestDb } from '../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('direct-object attacks on live video', () => {
  let db: TestDb;
  let t: TestApp;
  let base: string;
  let nowMs = Date.now();
  const clock = { now: () => new Date(nowMs) };
  let anna: TestSession;
  let petr: TestSession;
  let bees: string;
  let daisies: string;
  let annaGrant: { token: string; streamId: string; wsUrl: string; hlsUrl: string; snapshotUrl: string };
  let petrGrant: { token: string };

  const refusals = async () =>
    (
      await db.kysely.selectFrom('audit_log').select('reason').where('action', '=', 'media.refused').execute()
    ).map((r) => r.reason);

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db, { clock });
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), clock.now());
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    base = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const person = async (subject: string) =>
      (
        await db.kysely
          .selectFrom('persons')
          .select('id')
          .where('subject', '=', subject)
          .executeTakeFirstOrThrow()
      ).id;
    anna = await sessionFor(t, await person('demo-parent-anna'));
    petr = await sessionFor(t, await person('demo-parent-petr'));
    const cams = await db.kysely.selectFrom('cameras').select(['id', 'name']).execute();
    bees = cams.find((c) => c.name === 'Пчёлки — игровая')!.id;
    daisies = cams.find((c) => c.name === 'Ромашки — игровая')!.id;
    const g = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: anna.headers,
      payload: { cameraId: bees },
    });
    annaGrant = g.json();
    petrGrant = (
      await t.app.inject({
        method: 'POST',
        url: '/api/streams',
        headers: petr.headers,
        payload: { cameraId: daisies },
      })
    ).json();
  });
  after(async () => {
    await t.close();
    await db.close();
  });

  test('ids are random UUIDs, not guessable sequences', () => {
    assert.match(bees, UUID_V4);
    assert.match(daisies, UUID_V4);
    assert.match(annaGrant.streamId, UUID_V4);
  });

  test('asking for the other group\'s camera, or a guessed id, answers "not found" and is audited', async () => {
    for (const cameraId of [bees, randomUUID()]) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/streams',
        headers: petr.headers,
        payload: { cameraId },
      });
      assert.equal(r.statusCode, 404);
      assert.deepEqual(Object.keys(r.json<object>()).sort(), ['code', 'message']);
    }
    const denials = await db.kysely
      .selectFrom('audit_log')
      .select(['target_id', 'reason'])
      .where('action', '=', 'grant.live')
      .where('decision', '=', 'deny')
      .where('actor_person_id', '=', petr.personId)
      .execute();
    assert.equal(denials.length, 2);
    assert.equal(denials.find((d) => d.target_id === bees)?.reason, 'not_enrolled');
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: petr.headers,
      payload: { cameraId: '1' },
    });
    assert.equal(malformed.statusCode, 400);
  });

  test('media URLs of the other camera with his own token are refused (wrong camera)', async () => {
    const q = `token=${encodeURIComponent(petrGrant.token)}`;
    for (const path of ['hls/index.m3u8', 'hls/init-1.mp4', 'hls/seg-0.m4s', 'snapshot.jpg']) {
      const r = await t.app.inject({
        url: `/media/live/${bees}/${path}?${q}`,
        headers: { cookie: petr.cookie },
      });
      assert.equal(r.statusCode, 403, path);
    }
    assert.equal((await refusals()).filter((r) => r === 'wrong_camera').length, 4);
  });

  test("another viewer's token is refused from another session, and without any session", async () => {
    const before = (await refusals()).length;
    for (const url of [annaGrant.hlsUrl, annaGrant.snapshotUrl]) {
      assert.equal((await t.app.inject({ url, headers: { cookie: petr.cookie } })).statusCode, 403);
      assert.equal((await t.app.inject({ url })).statusCode, 403);
    }
    const annaOtherSession = await sessionFor(t, anna.personId);
    assert.equal(
      (await t.app.inject({ url: annaGrant.snapshotUrl, headers: { cookie: annaOtherSession.cookie } }))
        .statusCode,
      403,
    );
    const reasons = (await refusals()).slice(before);
    assert.deepEqual(reasons.sort(), [
      'no_session',
      'no_session',
      'wrong_session',
      'wrong_session',
      'wrong_session',
    ]);
  });

  test('the WebSocket refuses a stolen token, a forged token and a missing token', async () => {
    const attempt = (url: string, cookie?: string) =>
      new Promise<{ reason?: string; binary: number }>((resolve) => {
        const ws = new WebSocket(`ws://${base}${url}`, { headers: cookie ? { cookie } : {} });
        let reason: string | undefined;
        let binary = 0;
        ws.on('message', (d: Buffer, isBinary: boolean) => {
          if (isBinary) binary++;
          else reason = (JSON.parse(d.toString()) as { reason?: string }).reason;
        });
        ws.on('close', () => resolve({ ...(reason ? { reason } : {}), binary }));
        ws.on('error', () => resolve({ binary }));
      });
    const stolen = await attempt(annaGrant.wsUrl, petr.cookie);
    assert.equal(stolen.binary, 0);
    assert.match(stolen.reason ?? '', /wrong_session/);
    const forged = await attempt(`/media/live/${bees}/ws?token=eyJhbGciOiJub25lIn0.e30.`, petr.cookie);
    assert.equal(forged.binary, 0);
    assert.match(forged.reason ?? '', /malformed|unknown_key|bad_signature/);
    const missing = await attempt(`/media/live/${bees}/ws`, petr.cookie);
    assert.equal(missing.binary, 0);
  });

  test('an expired token is refused', async () => {
    nowMs += 120_000;
    const r = await t.app.inject({ url: annaGrant.snapshotUrl, headers: { cookie: anna.cookie } });
    assert.equal(r.statusCode, 403);
    assert.equal(r.json<{ details: { reason: string } }>().details.reason, 'expired');
    assert.equal((await refusals()).at(-1), 'expired');
  });
});
