/**
 * Live HLS for real: a parent's grant, the demo camera through the real ffmpeg, the multivariant and
 * Low-Latency media playlists over HTTP, the init segment, segments and parts; what was fetched is
 * decoded by ffprobe, and ffprobe also plays the playlist by itself. Blocking playlist reload and the
 * preload hint answer when the next part exists. A real H.265 RTSP camera (GStreamer) comes out as
 * `hvc1` in the playlist's codecs and in the init segment, and decodes. A camera switched off by an
 * administrator is «выключена» (`camera_off`) on the parent's card, as in the player.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../../support/app.js';
import { seedDemo } from '../../../src/demo/seed.js';
import { devIssuer } from '../../../src/identity/dev-provider-info.js';
import { skipWithoutRtspCamera, startRtspCamera, type RtspCamera } from '../../support/rtsp-camera.js';

const execFileAsync = promisify(execFile);

describe('live HLS (LL-HLS, fMP4) from the demo camera', () => {
  let db: TestDb;
  let t: TestApp;
  let base: string;
  let anna: TestSession;
  let camera: string;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'okno-hls-'));
    db = await openSqliteTestDb();
    t = await buildTestApp(db);
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
    const cams = await db.kysely.selectFrom('cameras').select(['id', 'name']).execute();
    camera = cams.find((c) => c.name === 'Пчёлки — игровая')!.id;
  });
  after(async () => {
    await t.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function get(url: string): Promise<Response> {
    return fetch(new URL(url, base), { headers: { cookie: anna.cookie } });
  }

  test('playlists, init, segments and parts are served and decode', async () => {
    const g = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: anna.headers,
      payload: { cameraId: camera },
    });
    assert.equal(g.statusCode, 200, g.body);
    const grant = g.json<{ hlsUrl: string; token: string }>();
    const hlsBase = new URL(grant.hlsUrl, base);

    const started = performance.now();
    const index = await get(grant.hlsUrl);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    const multivariant = await index.text();
    console.log(
      `# time to the first playlist (idle demo camera): ${(performance.now() - started).toFixed(0)} ms`,
    );
    assert.match(
      multivariant,
      /#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6}",RESOLUTION=\d+x\d+/,
    );
    const mediaUri = multivariant.trim().split('\n').pop()!;
    assert.match(mediaUri, /^stream\.m3u8\?token=/);

    const media = await (await get(new URL(mediaUri, hlsBase).href)).text();
    assert.match(media, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=/);
    assert.match(media, /#EXT-X-PART-INF:PART-TARGET=/);
    const uris = media.split('\n').filter((l) => l && !l.startsWith('#'));
    const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1]!;
    const init = await get(new URL(map, hlsBase).href);
    assert.equal(init.status, 200);
    const segments: Buffer[] = [];
    for (const u of uris) {
      assert.match(u, /^seg-\d+\.m4s\?token=/);
      const r = await get(new URL(u, hlsBase).href);
      assert.equal(r.status, 200, `${u} → ${r.status}`);
      segments.push(Buffer.from(await r.arrayBuffer()));
    }
    assert.ok(segments.length >= 1);
    const file = join(dir, 'fetched.mp4');
    await writeFile(file, Buffer.concat([Buffer.from(await init.arrayBuffer()), ...segments]));
    const frames = await countFrames(file);
    assert.ok(frames >= 20, `ffprobe decoded ${frames} frames of ${segments.length} segment(s)`);

    // The parts near the live edge: each is a fragment run that decodes after the init segment.
    const partUris = [...media.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(partUris.length > 0);
    const lastIndependent = [
      ...media.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)",INDEPENDENT=YES/g),
    ].pop()![1]!;
    const from = partUris.indexOf(lastIndependent);
    const partBytes: Buffer[] = [];
    for (const u of partUris.slice(from)) {
      const r = await get(new URL(u, hlsBase).href);
      assert.equal(r.status, 200, `${u} → ${r.status}`);
      partBytes.push(Buffer.from(await r.arrayBuffer()));
    }
    const partsFile = join(dir, 'parts.mp4');
    await writeFile(
      partsFile,
      Buffer.concat([Buffer.from(await (await get(new URL(map, hlsBase).href)).arrayBuffer()), ...partBytes]),
    );
    assert.ok((await countFrames(partsFile)) >= 1);

    // Blocking reload: ask for the part after the newest; the answer comes when it exists.
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-(\d+)\.m4s/.exec(media)![1]!;
    const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(media)![1]) + uris.length;
    const inBuilding = (
      media
        .split(/seg-\d+\.m4s[^\n]*\n/)
        .pop()!
        .match(/#EXT-X-PART:/g) ?? []
    ).length;
    const [next, hinted] = await Promise.all([
      get(new URL(`${mediaUri}&_HLS_msn=${msn}&_HLS_part=${inBuilding}`, hlsBase).href),
      get(new URL(`part-${hint}.m4s?token=${encodeURIComponent(grant.token)}`, hlsBase).href),
    ]);
    assert.equal(next.status, 200);
    assert.ok(
      (await next.text()).includes(`part-${hint}.m4s`),
      'the reloaded playlist lists the hinted part',
    );
    assert.equal(hinted.status, 200);
    assert.ok((await hinted.arrayBuffer()).byteLength > 0);

    // Too far ahead: refused at once.
    const far = await get(new URL(`${mediaUri}&_HLS_msn=${msn + 5}`, hlsBase).href);
    assert.equal(far.status, 400);
    // A segment that is not there: 404; the 4 of ".m4s" is no longer read as part of the number.
    const missing = await get(
      new URL(`seg-999999.m4s?token=${encodeURIComponent(grant.token)}`, hlsBase).href,
    );
    assert.equal(missing.status, 404);
  });

  test('ffprobe plays the live playlist by itself', async () => {
    const g = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: anna.headers,
      payload: { cameraId: camera },
    });
    assert.equal(g.statusCode, 200, g.body);
    const grant = g.json<{ hlsUrl: string }>();
    const { stdout } = await execFileAsync(
      'ffprobe',
      [
        '-v',
        'error',
        '-headers',
        `Cookie: ${anna.cookie}\r\n`,
        '-read_intervals',
        '%+2',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=codec_name,nb_read_frames',
        '-of',
        'json',
        new URL(grant.hlsUrl, base).href,
      ],
      { timeout: 30_000 },
    );
    const s = (JSON.parse(stdout) as { streams: { codec_name: string; nb_read_frames: string }[] })
      .streams[0]!;
    assert.equal(s.codec_name, 'h264');
    assert.ok(Number(s.nb_read_frames) >= 10, stdout);
  });

  test('a switched-off camera is camera_off on the card, not offline', async () => {
    await db.kysely.updateTable('cameras').set({ enabled: 0 }).where('id', '=', camera).execute();
    try {
      const r = await t.app.inject({ method: 'GET', url: '/api/parent/children', headers: anna.headers });
      assert.equal(r.statusCode, 200);
      const body = r.json<{ items: { cameras: { id: string; availability: { state: string } }[] }[] }>();
      const card = body.items.flatMap((i) => i.cameras).find((c) => c.id === camera);
      assert.equal(card?.availability.state, 'camera_off');
    } finally {
      await db.kysely.updateTable('cameras').set({ enabled: 1 }).where('id', '=', camera).execute();
    }
  });
});

describe('live HLS from a real H.265 RTSP camera', { skip: skipWithoutRtspCamera() }, () => {
  let db: TestDb;
  let t: TestApp;
  let base: string;
  let anna: TestSession;
  let camera: string;
  let rtsp: RtspCamera;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'okno-hls265-'));
    rtsp = await startRtspCamera({ codec: 'h265', width: 640, height: 360, keyIntFrames: 25 });
    db = await openSqliteTestDb();
    t = await buildTestApp(db);
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
    const cams = await db.kysely.selectFrom('cameras').select(['id', 'name']).execute();
    camera = cams.find((c) => c.name === 'Пчёлки — игровая')!.id;
    await db.kysely
      .updateTable('cameras')
      .set({ source_url: rtsp.url, source_username: null, source_password: null })
      .where('id', '=', camera)
      .execute();
  });
  after(async () => {
    await t?.close();
    await db?.close();
    await rtsp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('H.265 is served as hvc1 and decodes', async () => {
    const g = await t.app.inject({
      method: 'POST',
      url: '/api/streams',
      headers: anna.headers,
      payload: { cameraId: camera },
    });
    assert.equal(g.statusCode, 200, g.body);
    const grant = g.json<{ hlsUrl: string }>();
    const hlsBase = new URL(grant.hlsUrl, base);
    const get = (u: string) => fetch(new URL(u, hlsBase), { headers: { cookie: anna.cookie } });
    const multivariant = await (await get(grant.hlsUrl)).text();
    assert.match(multivariant, /CODECS="hvc1\.1\.6\.L\d+[^"]*",RESOLUTION=640x360/);
    const media = await (await get(multivariant.trim().split('\n').pop()!)).text();
    const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)![1]!;
    const segs = media.split('\n').filter((l) => l.startsWith('seg-'));
    const bytes = [Buffer.from(await (await get(map)).arrayBuffer())];
    for (const u of segs) bytes.push(Buffer.from(await (await get(u)).arrayBuffer()));
    const file = join(dir, 'h265.mp4');
    await writeFile(file, Buffer.concat(bytes));
    const { stdout } = await execFileAsync('ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,codec_tag_string,nb_read_frames',
      '-of',
      'json',
      file,
    ]);
    const s = (JSON.parse(stdout) as { streams: Record<string, string>[] }).streams[0]!;
    assert.equal(s.codec_name, 'hevc');
    assert.equal(s.codec_tag_string, 'hvc1');
    assert.ok(Number(s.nb_read_frames) >= 20, stdout);
  });
});

async function countFrames(path: string): Promise<number> {
  const { stdout } = await execFileAsync('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    path,
  ]);
  return Number(stdout.trim());
}
