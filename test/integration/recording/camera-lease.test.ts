/**
 * One recorder per camera across processes (issue 10, item 7, PostgreSQL): two servers on one
 * PostgreSQL database, each with its own data directory and its own connection pool, and one real
 * RTSP camera with continuous recording. Only the holder of the camera's lease records it; a lease
 * taken away stops its recording at the next renewal; when the holder stops, the other server takes
 * the camera over within a few seconds; the index stays one chain of segments that never overlap.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { openPostgresTestDb, postgresUrl, type TestDb } from '../../support/db.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { Factory } from '../../support/factory.js';
import { skipWithoutRtspCamera, startRtspCamera, type RtspCamera } from '../../support/rtsp-camera.js';
import type { Database } from '../../../src/storage/schema.js';

const skip = skipWithoutRtspCamera() || (postgresUrl() ? false : 'OKNO_TEST_DATABASE_URL not set');

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A second, independent connection pool to the same test schema (another process would have one). */
function secondPool(db: TestDb): TestDb {
  const schema = /schema (\S+)/.exec(db.description)![1]!;
  const pool = new pg.Pool({ connectionString: postgresUrl(), max: 5, options: `-c search_path=${schema}` });
  pool.on('error', () => undefined);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    dialect: 'postgres',
    description: db.description,
    name: 'postgres',
    close: () => kysely.destroy(),
  };
}

async function segmentFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith('.')) continue;
      if (n.endsWith('.mp4')) out.push(n);
      else await walk(path.join(d, n));
    }
  };
  await walk(dir);
  return out;
}

describe('two servers on one PostgreSQL database record a camera once (real RTSP camera)', { skip }, () => {
  let cam: RtspCamera;
  let dbA: TestDb;
  let dbB: TestDb;
  let dirA: string;
  let dirB: string;
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  let cameraId: string;
  const leases = { ttlMs: 3000, renewMs: 1000, marginMs: 600 };
  const server = (db: TestDb, dataDir: string) =>
    buildTestApp(db, {
      overrides: {
        dataDir,
        'recording.enabled': true,
        'recording.segmentSeconds': 2,
        'recording.minFreeBytes': 0,
      },
      cameraOptions: { idleChecks: { periodMs: 0 } },
      recordingOptions: { tickMs: 250, leases },
    });
  const recording = (t: TestApp | undefined) => !!t?.ctx.recording.recorder(cameraId);
  const holder = async () =>
    (
      await dbA.kysely
        .selectFrom('camera_leases')
        .select('holder')
        .where('camera_id', '=', cameraId)
        .executeTakeFirst()
    )?.holder;

  before(async () => {
    cam = await startRtspCamera({ keyIntFrames: 25 });
    dbA = await openPostgresTestDb();
    dbB = secondPool(dbA);
    dirA = await mkdtemp(path.join(tmpdir(), 'okno-node-a-'));
    dirB = await mkdtemp(path.join(tmpdir(), 'okno-node-b-'));
    const f = new Factory(dbA.kysely);
    const w = await f.officeWorld((await f.region()).id); // a workplace camera, continuous recording
    cameraId = w.camera.id;
    await dbA.kysely
      .updateTable('cameras')
      .set({ source_url: cam.url, source_username: null, source_password: null })
      .where('id', '=', cameraId)
      .execute();
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await dbB.close();
    await dbA.close();
    await cam.stop();
    await rm(dirA, { recursive: true, force: true });
    await rm(dirB, { recursive: true, force: true });
  });

  test('only the lease holder records; a lost lease stops it; the other takes over; one chain', async () => {
    a = await server(dbA, dirA);
    await until('server A records', async () => recording(a) && (await segmentFiles(dirA)).length > 0);
    b = await server(dbB, dirB);
    const holderA = await holder();
    assert.ok(holderA, 'A holds the camera');
    // For longer than a lease, B never records the camera.
    for (let i = 0; i < 16; i++) {
      assert.equal(recording(b), false, 'B does not record what A holds');
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(await segmentFiles(dirB), [], 'no file in B’s directory');
    assert.equal(await holder(), holderA, 'A renewed its lease throughout');

    // The lease taken away (an operator, or another node after A's lease ran out): A stops.
    await dbA.kysely
      .updateTable('camera_leases')
      .set({ holder: 'node-elsewhere', expires_at: new Date(Date.now() + 3_600_000).toISOString() })
      .where('camera_id', '=', cameraId)
      .execute();
    await until('A stops recording', async () => !recording(a), 5000);
    assert.equal(recording(b), false, 'nor does B');
    const stoppedFilesA = (await segmentFiles(dirA)).length;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await segmentFiles(dirA)).length, stoppedFilesA, 'A wrote no new segment');

    // The lease given up: one server takes it, never both.
    await dbA.kysely.deleteFrom('camera_leases').where('camera_id', '=', cameraId).execute();
    await until('one server records again', async () => recording(a) || recording(b), 5000);
    const first = recording(a) ? 'A' : 'B';
    for (let i = 0; i < 8; i++) {
      assert.equal(recording(a) && recording(b), false, 'never both');
      await new Promise((r) => setTimeout(r, 250));
    }

    // The holder stops (releases its leases): the other takes the camera over within seconds.
    const [stopping, other] = first === 'A' ? [a, b] : [b, a];
    const otherDir = first === 'A' ? dirB : dirA;
    const before = (await segmentFiles(otherDir)).length;
    await stopping.close();
    if (first === 'A') a = undefined;
    else b = undefined;
    const started = Date.now();
    await until('the other server records', async () => recording(other), 8000);
    const takeoverMs = Date.now() - started;
    await until('a new segment in its directory', async () => (await segmentFiles(otherDir)).length > before);
    assert.ok(takeoverMs < 5000, `taken over in ${takeoverMs} ms`);
    await other.ctx.recording.idle();

    // One chain: unique seq, segments in time order without overlap.
    const rows = await dbA.kysely
      .selectFrom('recording_segments')
      .select(['seq', 'start_at', 'end_at'])
      .where('camera_id', '=', cameraId)
      .where('state', '=', 'ok')
      .orderBy('seq')
      .execute();
    assert.ok(rows.length >= 3, `${rows.length} segments`);
    for (let i = 1; i < rows.length; i++) {
      assert.equal(Number(rows[i]!.seq), Number(rows[i - 1]!.seq) + 1, 'one chain');
      assert.ok(
        Date.parse(rows[i]!.start_at) >= Date.parse(rows[i - 1]!.end_at) - 250,
        `segment ${rows[i]!.seq} does not overlap the one before`,
      );
    }
  });
});
