/**
 * Request logs with production's settings (every request at info): API calls are logged, but the
 * live HLS requests a player makes many times a second are not (MEDIA_PART_LOG_LEVEL in
 * src/api/media.ts) — their stream is audited when it opens and ends — while a refused HLS request
 * is still audited. Real app, real demo camera and ffmpeg.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../../support/app.js';
import { seedDemo } from '../../../src/demo/seed.js';
import { devIssuer } from '../../../src/identity/dev-provider-info.js';

interface LogLine {
  level: number;
  msg: string;
}

describe('request logs: the API at info, live HLS parts not', () => {
  let db: TestDb;
  let t: TestApp;
  let base: string;
  let anna: TestSession;
  let camera: string;
  const lines: LogLine[] = [];

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db, {
      logStream: { write: (line) => lines.push(JSON.parse(line) as LogLine) },
      requestLogs: true,
    });
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const p = await db.kysely
      .selectFrom('persons')
      .select('id')
      .where('subject', '=', 'demo-parent-anna')
      .executeTakeFirstOrThrow();
    anna = await sessionFor(t, p.id);
    camera = (
      await db.kysely
        .selectFrom('cameras')
        .select('id')
        .where('name', '=', 'Пчёлки — игровая')
        .executeTakeFirstOrThrow()
    ).id;
  });
  after(async () => {
    await t.close();
    await db.close();
  });

  const get = (url: string, hlsBase?: URL) =>
    fetch(new URL(url, hlsBase ?? base), { headers: { cookie: anna.cookie } });

  test('a player fetching playlists and parts leaves no request lines; its grant request does', async () => {
    const g = await fetch(new URL('/api/streams', base), {
      method: 'POST',
      headers: { ...anna.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ cameraId: camera }),
    });
    assert.equal(g.status, 200, await g.clone().text());
    const grant = (await g.json()) as { hlsUrl: string; token: string };
    const hlsBase = new URL(grant.hlsUrl, base);
    const multivariant = await (await get(grant.hlsUrl)).text();
    const mediaUri = multivariant.trim().split('\n').pop()!;
    const media = await (await get(mediaUri, hlsBase)).text();
    const parts = [...media.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(parts.length > 0, media);
    let fetched = 2;
    for (const u of parts.slice(-4)) {
      assert.equal((await get(u, hlsBase)).status, 200);
      fetched++;
    }
    // A request with a forged token: refused (and audited), not logged as a request either.
    const forged = await get(`${hlsBase.pathname.replace(/[^/]+$/, '')}stream.m3u8?token=forged`);
    assert.ok(forged.status >= 400);

    await new Promise((r) => setTimeout(r, 100));
    // Fastify's request lines ("request completed", with the response) for the requests made here:
    // the grant request alone, none of the HLS requests.
    const requestLines = lines.filter((l) => l.msg === 'request completed' || l.msg === 'incoming request');
    assert.equal(
      requestLines.filter((l) => l.msg === 'request completed').length,
      1,
      `the grant request is logged, none of the ${fetched + 1} HLS requests: ${JSON.stringify(requestLines)}`,
    );
    const refused = await db.kysely
      .selectFrom('audit_log')
      .select('reason')
      .where('action', '=', 'media.refused')
      .execute();
    assert.ok(refused.length >= 1, 'the forged token is audited');
  });
});
