/**
 * A parent watches the demo camera of their child's group over WebSocket (real ffmpeg, real fMP4),
 * cannot open another group's camera, and is cut off within 5 s when the enrolment ends.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../../support/app.js';
import { seedDemo } from '../../../src/demo/seed.js';
import { devIssuer } from '../../../src/identity/dev-provider-info.js';

interface Received {
  texts: { type: string; mime?: string; reason?: string }[];
  binaries: Buffer[];
  closed: Promise<void>;
  firstBinaryAt: Promise<number>;
  socket: WebSocket;
}

function watch(url: string, cookie: string): Received {
  const socket = new WebSocket(url, { headers: { cookie } });
  const texts: Received['texts'] = [];
  const binaries: Buffer[] = [];
  let firstBinary!: (t: number) => void;
  const firstBinaryAt = new Promise<number>((r) => (firstBinary = r));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      binaries.push(data);
      if (binaries.length === 2) firstBinary(performance.now());
    } else texts.push(JSON.parse(data.toString()) as Received['texts'][number]);
  });
  return { texts, binaries, closed, firstBinaryAt, socket };
}

describe('live stream over WebSocket with grants and revocation', () => {
  let db: TestDb;
  let t: TestApp;
  let base: string;
  let anna: TestSession;
  let beesCamera: string;
  let starsCamera: string;

  before(async () => {
    db = await openSqliteTestDb();
    t = await buildTestApp(db, { recheckMs: 500 });
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    base = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const p = await db.kysely
      .selectFrom('persons')
      .select('id')
      .where('subject', '=', 'demo-parent-anna')
      .executeTakeFirstOrThrow();
    anna = await sessionFor(t, p.id);
    const cams = await db.kysely.selectFrom('cameras').select(['id', 'name']).execute();
    beesCamera = cams.find((c) => c.name === 'Пчёлки — игровая')!.id;
    starsCamera = cams.find((c) => c.name === 'Звёздочки — игровая')!.id;
  });
  after(async () => {
    await t.close();
    await db.close();
  });

  test('the parent sees their child and the group camera as available', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/parent/children', headers: anna.headers });
    assert.equal(r.statusCode, 200);
    const body = r.json<{
      items: { child: { name: string }; cameras: { id: string; availability: { state: string } }[] }[];
    }>();
    assert.equal(body.items.length, 1);
    assert.equal(body.items[0]!.child.name, 'Маша Иванова');
    assert.deepEqual(
      body.items[0]!.cameras.map((c) => [c.id, c.availability.state]),
      [[beesCamera, 'available']],
    );
  });

  test("another group's camera is refused (not found) and audited", async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: anna.headers,
      payload: { cameraId: starsCamera },
    });
    assert.equal(r.statusCode, 404);
    const audit = await db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'grant.live')
      .where('target_id', '=', starsCamera)
      .executeTakeFirstOrThrow();
    assert.equal(audit.decision, 'deny');
    assert.equal(audit.reason, 'not_enrolled');
  });

  test('live view starts, then the enrolment ends and the stream closes within 5 s', async () => {
    const g = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: anna.headers,
      payload: { cameraId: beesCamera },
    });
    assert.equal(g.statusCode, 200, g.body);
    const grant = g.json<{ wsUrl: string; streamId: string; token: string }>();
    const started = performance.now();
    const w = watch(`ws://${base}${grant.wsUrl}`, anna.cookie);
    const firstAt = await w.firstBinaryAt;
    console.log(
      `# time to first frame (idle demo camera, ffmpeg start included): ${(firstAt - started).toFixed(0)} ms`,
    );
    assert.equal(w.texts[0]?.type, 'init');
    assert.match(w.texts[0].mime!, /^video\/mp4; codecs="avc1\./);

    // A second viewer on another session with the first viewer's token is refused.
    const other = await sessionFor(t, anna.personId);
    const stolen = watch(`ws://${base}${grant.wsUrl}`, other.cookie);
    await stolen.closed;
    assert.equal(stolen.binaries.length, 0);
    assert.match(stolen.texts[0]?.reason ?? '', /wrong_session/);

    const maria = await db.kysely
      .selectFrom('children')
      .select('id')
      .where('full_name', '=', 'Маша Иванова')
      .executeTakeFirstOrThrow();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const endedAt = performance.now();
    await db.kysely
      .updateTable('enrolments')
      .set({ end_date: yesterday })
      .where('child_id', '=', maria.id)
      .execute();
    await w.closed;
    const revokeMs = performance.now() - endedAt;
    console.log(`# enrolment ended → stream closed in ${revokeMs.toFixed(0)} ms`);
    assert.ok(revokeMs < 5000, `closed after ${revokeMs} ms`);
    assert.equal(w.texts.at(-1)?.reason, 'access_revoked:not_enrolled');

    await waitUntil(
      async () =>
        (
          await db.kysely
            .selectFrom('stream_sessions')
            .select('ended_at')
            .where('id', '=', grant.streamId)
            .executeTakeFirst()
        )?.ended_at != null,
    );
    const end = await db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'stream.end')
      .where('stream_id', '=', grant.streamId)
      .executeTakeFirstOrThrow();
    assert.equal(end.reason, 'access_revoked:not_enrolled');
    assert.ok((JSON.parse(end.details!) as { bytes: number }).bytes > 0);

    const renew = await t.app.inject({
      method: 'POST',
      url: `/api/streams/${grant.streamId}/renew`,
      headers: anna.headers,
    });
    assert.equal(renew.statusCode, 403);
  });
});

async function waitUntil(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
