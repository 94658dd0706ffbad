/**
 * Stream sessions are tracked per connection, and revocation reaches every transport (issue 9 items
 * 1, 2, 5, 8): a real server on a port, the demo seed, the demo camera through real ffmpeg, viewers
 * over real WebSockets and HTTP. The registry's full sweep is left at its default (a minute), so the
 * revocations below are the access events' doing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../../support/app.js';
import { seedDemo } from '../../../src/demo/seed.js';
import { devIssuer } from '../../../src/identity/dev-provider-info.js';
import { grantedStreamRow } from '../../../src/storage/repositories/stream-sessions.js';

interface Viewer {
  texts: { type: string; reason?: string }[];
  bytes: () => number;
  closed: Promise<void>;
  isClosed: () => boolean;
  firstMedia: Promise<void>;
  socket: WebSocket;
}

function watch(url: string, cookie: string): Viewer {
  const socket = new WebSocket(url, { headers: { cookie } });
  const texts: Viewer['texts'] = [];
  let bytes = 0;
  let closedFlag = false;
  let gotMedia!: () => void;
  const firstMedia = new Promise<void>((r) => (gotMedia = r));
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      closedFlag = true;
      resolve();
    }),
  );
  socket.on('error', () => undefined);
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      bytes += data.length;
      gotMedia();
    } else texts.push(JSON.parse(data.toString()) as Viewer['texts'][number]);
  });
  return { texts, bytes: () => bytes, closed, isClosed: () => closedFlag, firstMedia, socket };
}

async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

interface Grant {
  streamId: string;
  token: string;
  wsUrl: string;
  hlsUrl: string;
  snapshotUrl: string;
}

describe('stream connections: one grant, one connection; revocation on every transport', () => {
  let db: TestDb;
  let t: TestApp;
  let base: string;
  let anna: TestSession;
  let kgAdmin: TestSession;
  let bees: { id: string; room_id: string };

  const grant = async (s: TestSession = anna): Promise<Grant> => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: s.headers,
      payload: { cameraId: bees.id },
    });
    assert.equal(r.statusCode, 200, r.body);
    return r.json<Grant>();
  };
  const get = (url: string, s: TestSession = anna) =>
    t.app.inject({ method: 'GET', url, headers: s.headers });
  const consent = async (status: 'given' | 'withdrawn') => {
    const r = await t.app.inject({
      method: 'POST',
      url: `/api/admin/rooms/${bees.room_id}/consents`,
      headers: kgAdmin.headers,
      payload: { status },
    });
    assert.equal(r.statusCode, 201, r.body);
  };
  /** Every connection gone and every stream row of it ended (so the next test starts from zero). */
  const quiet = async () => {
    await waitUntil('connections closed', () => t.ctx.live.registry.size === 0);
    await waitUntil('stream rows ended', async () => {
      const open = await db.kysely
        .selectFrom('stream_sessions')
        .select('id')
        .where('ended_at', 'is', null)
        .where('started_at', 'is not', null)
        .execute();
      return open.length === 0;
    });
  };

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db, { overrides: { 'streams.maxPerViewer': 2 } });
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    base = `ws://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const person = (subject: string) =>
      db.kysely.selectFrom('persons').select('id').where('subject', '=', subject).executeTakeFirstOrThrow();
    anna = await sessionFor(t, (await person('demo-parent-anna')).id);
    kgAdmin = await sessionFor(t, (await person('demo-kg-admin')).id);
    bees = await db.kysely
      .selectFrom('cameras')
      .select(['id', 'room_id'])
      .where('name', '=', 'Пчёлки — игровая')
      .executeTakeFirstOrThrow();
  });
  after(async () => {
    await t.close();
    await db.close();
  });

  test('a viewer that disconnects while its grant is checked leaves no viewer and no open stream', async () => {
    for (let i = 0; i < 4; i++) {
      const g = await grant();
      const socket = new WebSocket(`${base}${g.wsUrl}`, { headers: { cookie: anna.cookie } });
      socket.on('error', () => undefined);
      socket.on('upgrade', () => socket.terminate());
      await new Promise<void>((r) => socket.on('close', () => r()));
    }
    const cam = await t.ctx.live.cameras.acquire(bees.id);
    // Give the server time to finish every admission it started, then nothing may be left.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(t.ctx.live.registry.size, 0);
    assert.equal(cam.hub.viewerCount, 0);
    await quiet();
  });

  test('a parent who reloads three times can still watch (grants never used hold no slot)', async () => {
    for (let reload = 0; reload < 3; reload++) {
      // Each visit: the camera list's snapshot grant, then the player on a grant of its own.
      const snap = await grant();
      assert.equal((await get(snap.snapshotUrl)).statusCode, 200);
      const g = await grant();
      const v = watch(`${base}${g.wsUrl}`, anna.cookie);
      await withTimeout(v.firstMedia, 20_000, 'media');
      v.socket.close(); // the page unloads
      await v.closed;
    }
    const g = await grant();
    const v = watch(`${base}${g.wsUrl}`, anna.cookie);
    await withTimeout(v.firstMedia, 20_000, 'media after three reloads');
    v.socket.close();
    await v.closed;
    await quiet();
  });

  test('one grant opens one connection; the cap counts connections', async () => {
    const g1 = await grant();
    const a = watch(`${base}${g1.wsUrl}`, anna.cookie);
    await withTimeout(a.firstMedia, 20_000, 'media');
    // The same token again (a second socket, HLS): refused while the first is open.
    const b = watch(`${base}${g1.wsUrl}`, anna.cookie);
    await withTimeout(b.closed, 10_000, 'second socket refused');
    assert.equal(b.bytes(), 0);
    assert.equal(b.texts.at(-1)?.reason, 'grant_in_use');
    const hls = await get(g1.hlsUrl);
    assert.equal(hls.statusCode, 403);
    assert.equal(hls.json<{ details: { reason: string } }>().details.reason, 'grant_in_use');
    assert.equal(a.isClosed(), false);

    // Grants taken while one stream is open cannot add up past the cap (two) when they connect.
    const g2 = await grant();
    const g3 = await grant();
    const c = watch(`${base}${g2.wsUrl}`, anna.cookie);
    await withTimeout(c.firstMedia, 20_000, 'media on the second stream');
    const d = watch(`${base}${g3.wsUrl}`, anna.cookie);
    await withTimeout(d.closed, 10_000, 'third stream refused');
    assert.equal(d.bytes(), 0);
    assert.equal(d.texts.at(-1)?.reason, 'stream_limit');
    // And with two open, a further grant is refused outright.
    const more = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: anna.headers,
      payload: { cameraId: bees.id },
    });
    assert.equal(more.json<{ details: { reason: string } }>().details.reason, 'stream_limit');

    // A grant whose connection ended is spent: reconnecting needs a new grant.
    a.socket.close();
    await a.closed;
    await waitUntil('first connection ended', () => t.ctx.live.registry.size === 1);
    const again = watch(`${base}${g1.wsUrl}`, anna.cookie);
    await withTimeout(again.closed, 10_000, 'spent grant refused');
    assert.equal(again.bytes(), 0);
    assert.equal(again.texts.at(-1)?.reason, 'grant_spent');
    c.socket.close();
    await c.closed;
    await quiet();
  });

  test('bad renewals on a socket are aggregated in the audit log and close it', async () => {
    const g = await grant();
    const v = watch(`${base}${g.wsUrl}`, anna.cookie);
    await withTimeout(v.firstMedia, 20_000, 'media');
    const before = await db.kysely
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'media.refused')
      .execute();
    for (let i = 0; i < 40 && !v.isClosed(); i++) {
      v.socket.send(JSON.stringify({ type: 'renew', token: `not-a-token-${i}` }));
      await new Promise((r) => setTimeout(r, 5));
    }
    await withTimeout(v.closed, 10_000, 'flooding socket closed');
    assert.equal(v.texts.at(-1)?.reason, 'bad_renewals');
    await quiet();
    await waitUntil('aggregate written', async () => {
      const rows = await db.kysely
        .selectFrom('audit_log')
        .select(['reason', 'details'])
        .where('action', '=', 'media.refused')
        .execute();
      return rows.length > before.length + 1;
    });
    const rows = await db.kysely
      .selectFrom('audit_log')
      .select(['reason', 'details'])
      .where('action', '=', 'media.refused')
      .execute();
    const fresh = rows.slice(before.length);
    assert.ok(fresh.length <= 3, `${fresh.length} audit entries for one socket`);
    const counted = fresh.reduce((n, r) => n + (JSON.parse(r.details ?? '{}') as { count: number }).count, 0);
    assert.equal(counted, 20);
    assert.ok(fresh.every((r) => r.reason?.startsWith('renew_')));
  });

  test('revoked means revoked on every transport within 5 s: WebSocket, HLS and snapshot', async () => {
    const gWs = await grant();
    const gHls = await grant();
    const gSnap = await grant();
    const ws = watch(`${base}${gWs.wsUrl}`, anna.cookie);
    await withTimeout(ws.firstMedia, 20_000, 'media');
    // A second socket on the same token never gets a stream of its own.
    const twin = watch(`${base}${gWs.wsUrl}`, anna.cookie);
    // The multivariant playlist names the media playlist; the media playlist names the init segment.
    assert.equal((await get(gHls.hlsUrl)).statusCode, 200);
    const playlist = await get(gHls.hlsUrl.replace('index.m3u8', 'stream.m3u8'));
    assert.equal(playlist.statusCode, 200, playlist.body);
    const init = /^(init-\d+\.mp4)\?/m.exec(playlist.body) ?? /URI="(init-\d+\.mp4)\?/.exec(playlist.body);
    assert.ok(init, playlist.body);
    const initUrl = gHls.hlsUrl.replace('index.m3u8', init[1]!);
    assert.equal((await get(initUrl)).statusCode, 200);
    assert.equal((await get(gSnap.snapshotUrl)).statusCode, 200);

    const revokedAt = performance.now();
    await consent('withdrawn');
    await withTimeout(Promise.all([ws.closed, twin.closed]), 5000, 'both sockets closed');
    assert.equal(ws.texts.at(-1)?.reason, 'access_revoked:consent_missing');
    await waitUntil(
      'HLS refused',
      async () => (await get(gHls.hlsUrl)).statusCode === 403 && (await get(initUrl)).statusCode === 403,
      5000,
    );
    const snap = await get(gSnap.snapshotUrl);
    assert.equal(snap.statusCode, 403);
    assert.equal(snap.json<{ details: { reason: string } }>().details.reason, 'consent_missing');
    const ms = performance.now() - revokedAt;
    console.log(`# consent withdrawn → WebSocket, HLS and snapshot refused in ${ms.toFixed(0)} ms`);
    assert.ok(ms < 5000, `${ms} ms`);
    // The HLS grant never comes back, even with consent given again.
    await consent('given');
    assert.equal((await get(gHls.hlsUrl)).statusCode, 403);
    await quiet();
    const hlsRow = await db.kysely
      .selectFrom('stream_sessions')
      .select(['ended_at', 'end_reason'])
      .where('id', '=', gHls.streamId)
      .executeTakeFirstOrThrow();
    assert.equal(hlsRow.end_reason, 'access_revoked:consent_missing');
  });

  test('logging out closes the session’s streams at once and releases its unused grants', async () => {
    const s = await sessionFor(t, anna.personId);
    const g = await grant(s);
    const unused = await grant(s);
    const v = watch(`${base}${g.wsUrl}`, s.cookie);
    await withTimeout(v.firstMedia, 20_000, 'media');
    const r = await t.app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { ...s.headers, accept: 'application/json' },
    });
    assert.equal(r.statusCode, 200, r.body);
    await withTimeout(v.closed, 5000, 'stream closed at logout');
    assert.equal(v.texts.at(-1)?.reason, 'access_revoked:session_ended');
    const row = await db.kysely
      .selectFrom('stream_sessions')
      .select(['ended_at', 'end_reason'])
      .where('id', '=', unused.streamId)
      .executeTakeFirstOrThrow();
    assert.equal(row.end_reason, 'session_ended');
    await quiet();
  });
});

describe('stream rows left open by a crash', () => {
  test('are closed when the server starts', async () => {
    const db = await openSqliteTestDb();
    try {
      const at = new Date(Date.now() - 10 * 60_000);
      const row = grantedStreamRow({
        id: '6f1c3a52-1f4e-4e55-9d0a-3c5b2a7d9e01',
        personId: 'p',
        cameraId: 'c',
        childId: null,
        sessionId: 's',
        basis: 'guardian',
        purpose: 'live',
        at,
        expiresAt: new Date(at.getTime() + 60_000).toISOString(),
        ip: null,
        userAgent: null,
      });
      await db.kysely
        .insertInto('stream_sessions')
        .values({ ...row, started_at: at.toISOString(), transport: 'ws' })
        .execute();
      const t = await buildTestApp(db);
      try {
        const after = await db.kysely
          .selectFrom('stream_sessions')
          .select(['ended_at', 'end_reason'])
          .where('id', '=', row.id)
          .executeTakeFirstOrThrow();
        assert.equal(after.end_reason, 'server_restart');
        assert.ok(after.ended_at);
      } finally {
        await t.close();
      }
    } finally {
      await db.close();
    }
  });
});
