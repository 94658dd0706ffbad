/**
 * Merged writes on a crowded camera (media/hub.ts): with the threshold at two viewers, the real
 * demo camera (real ffmpeg) sends two fragments per socket write, and every player still gets every
 * fragment as its own WebSocket message, complete and in order — the first two viewers, a third
 * that joins while they watch, and a player that leaves and comes back on a new grant.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../../support/app.js';
import { seedDemo } from '../../../src/demo/seed.js';
import { devIssuer } from '../../../src/identity/dev-provider-info.js';

interface Player {
  socket: WebSocket;
  /** mfhd sequence number of each binary message, in arrival order. */
  seqs: number[];
  initMime: string | undefined;
  closed: Promise<void>;
}

/** The fMP4 fragment's sequence number (moof → mfhd), or -1 when a message is not one whole fragment. */
function fragmentSeq(data: Buffer): number {
  if (data.toString('latin1', 4, 8) !== 'moof' || data.toString('latin1', 12, 16) !== 'mfhd') return -1;
  const moofSize = data.readUInt32BE(0);
  const mdatAt = moofSize;
  if (data.toString('latin1', mdatAt + 4, mdatAt + 8) !== 'mdat') return -1;
  if (mdatAt + data.readUInt32BE(mdatAt) !== data.length) return -1;
  return data.readUInt32BE(20);
}

function play(url: string, cookie: string): Player {
  const socket = new WebSocket(url, { headers: { cookie } });
  const p: Player = {
    socket,
    seqs: [],
    initMime: undefined,
    closed: new Promise((resolve) => socket.on('close', () => resolve())),
  };
  let sawInit = false;
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      const m = JSON.parse(data.toString()) as { type: string; mime?: string };
      if (m.type === 'init') p.initMime = m.mime;
      return;
    }
    // The first binary message after the init notice is the init segment itself.
    if (!sawInit) {
      sawInit = true;
      assert.equal(data.toString('latin1', 4, 8), 'ftyp');
      return;
    }
    p.seqs.push(fragmentSeq(data));
  });
  return p;
}

/** Every fragment once, in order, from the first on: consecutive sequence numbers. */
function assertConsecutive(seqs: number[], who: string): void {
  assert.ok(seqs.length >= 10, `${who} got ${seqs.length} fragments`);
  assert.ok(!seqs.includes(-1), `${who} got a message that is not one whole fragment`);
  for (let i = 1; i < seqs.length; i++)
    assert.equal(seqs[i], seqs[i - 1]! + 1, `${who}: fragment ${seqs[i - 1]} followed by ${seqs[i]}`);
}

describe('merged writes on a crowded camera (WebSocket path, real ffmpeg)', () => {
  let db: TestDb;
  let t: TestApp;
  let base: string;
  let anna: TestSession[];
  let bees: string;

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db, {
      overrides: { 'cameras.mergeWritesFromViewers': 2, 'streams.maxPerViewer': 3 },
    });
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    base = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const p = await db.kysely
      .selectFrom('persons')
      .select('id')
      .where('subject', '=', 'demo-parent-anna')
      .executeTakeFirstOrThrow();
    // Three devices of one parent (phone, tablet, laptop): three sessions.
    anna = [await sessionFor(t, p.id), await sessionFor(t, p.id), await sessionFor(t, p.id)];
    const cam = await db.kysely
      .selectFrom('cameras')
      .select('id')
      .where('name', '=', 'Пчёлки — игровая')
      .executeTakeFirstOrThrow();
    bees = cam.id;
  });
  after(async () => {
    await t.close();
    await db.close();
  });

  async function open(session: TestSession): Promise<Player> {
    const g = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: session.headers,
      payload: { cameraId: bees },
    });
    assert.equal(g.statusCode, 200, g.body);
    return play(`ws://${base}${g.json<{ wsUrl: string }>().wsUrl}`, session.cookie);
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('every player gets every fragment as its own message, in order, while writes are merged', async () => {
    const a = await open(anna[0]!);
    const b = await open(anna[1]!);
    const hub = () => t.ctx.live.cameras.get(bees)?.hub;
    const deadline = Date.now() + 15_000;
    while ((hub()?.viewerCount ?? 0) < 2 || a.seqs.length < 5) {
      assert.ok(Date.now() < deadline, 'the camera did not start for two viewers');
      await sleep(100);
    }
    assert.equal(hub()!.merging, true);
    const merged0 = hub()!.stats().mergedWrites;

    // A third device joins while the others watch.
    const c = await open(anna[2]!);
    await sleep(3000);
    assert.ok(hub()!.stats().mergedWrites - merged0 >= 10, 'fragments went out in pairs');

    // The second device leaves and comes back on a new grant (a reload).
    b.socket.close();
    await b.closed;
    await sleep(300);
    const b2 = await open(anna[1]!);
    await sleep(3000);

    for (const [p, who] of [
      [a, 'first'],
      [b, 'second'],
      [c, 'third (joined later)'],
      [b2, 'second, back after a reload'],
    ] as const) {
      assert.match(p.initMime ?? '', /^video\/mp4; codecs="avc1\./, who);
      assertConsecutive(p.seqs, who);
    }
    // The first player's run covers what the later ones got, fragment for fragment.
    const last = c.seqs.at(-1)!;
    assert.ok(a.seqs.includes(c.seqs[0]!) && a.seqs.includes(Math.min(last, a.seqs.at(-1)!)));
    for (const p of [a, c, b2]) p.socket.close();
    await Promise.all([a.closed, c.closed, b2.closed]);
  });
});
