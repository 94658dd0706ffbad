/**
 * Camera audio with the real GStreamer RTSP camera (issue 10, item 9): AAC from the camera is copied,
 * not re-encoded; G.711 (A-law) is transcoded to AAC; audio switched off is dropped.
 *
 * What is checked is what runs: the argv of the running ffmpeg (/proc/<pid>/cmdline), the codec the
 * camera manager found and stored (camera_probes), and the served stream decoded by ffprobe. The test
 * camera sends AAC at 32 kHz stereo and 24 kbit/s, so a copy is told from a re-encode by its bitrate
 * (the ingest's encoder would make 64 kbit/s).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, type TestApp } from '../../support/app.js';
import { skipWithoutRtspCamera, startRtspCamera, type RtspCamera } from '../../support/rtsp-camera.js';
import { seedDemo } from '../../../src/demo/seed.js';
import { devIssuer } from '../../../src/identity/dev-provider-info.js';
import type { LiveCamera } from '../../../src/streams/camera-manager.js';
import { CameraSourcesRepository, sourceKey } from '../../../src/storage/repositories/camera-sources.js';

const execFileAsync = promisify(execFile);
const skip = skipWithoutRtspCamera();

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The argv of a running process. */
async function argvOf(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  return raw.split('\0').filter(Boolean);
}

/** The value after `flag` in an argv (`-c:a` → `copy`). */
function valueAfter(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

interface AudioFacts {
  codec: string;
  sampleRate: number;
  channels: number;
  /** bits per second, from the audio packets' sizes over their duration */
  bitrate: number;
}

describe('camera audio: AAC copied, G.711 transcoded (real RTSP camera)', { skip }, () => {
  let db: TestDb;
  let t: TestApp;
  let dir: string;
  let cameraId: string;
  const cams: RtspCamera[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'okno-audio-'));
    db = await openSqliteTestDb();
    t = await buildTestApp(db, {
      cameraOptions: {
        idleChecks: { periodMs: 0 },
        supervisor: { backoff: { initialMs: 300, maxMs: 1000 }, startTimeoutMs: 5000 },
      },
    });
    await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
    const row = await db.kysely
      .selectFrom('cameras')
      .select('id')
      .where('name', '=', 'Пчёлки — игровая')
      .executeTakeFirstOrThrow();
    cameraId = row.id;
  });
  after(async () => {
    await t.close();
    for (const c of cams) await c.stop();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function camera(options: Parameters<typeof startRtspCamera>[0]): Promise<RtspCamera> {
    const c = await startRtspCamera({ keyIntFrames: 10, ...options });
    cams.push(c);
    return c;
  }

  /** Points the camera at `url` with audio allowed or not, and starts it afresh. */
  async function watch(url: string, audioAllowed: boolean): Promise<LiveCamera> {
    await t.ctx.live.cameras.stopCamera(cameraId, 'test');
    await db.kysely
      .updateTable('cameras')
      .set({ source_url: url, audio_allowed: audioAllowed ? 1 : 0 })
      .where('id', '=', cameraId)
      .execute();
    const live = await t.ctx.live.cameras.acquire(cameraId);
    await until('live', () => live.supervisor.state === 'live');
    return live;
  }

  /** ~3 s of the served stream (init + fragments), decoded by ffprobe: the audio stream's facts. */
  async function servedAudio(live: LiveCamera, name: string): Promise<AudioFacts | undefined> {
    const parts: Buffer[] = [];
    const init = live.hub.init!;
    const onFragment = (f: { data: Buffer; keyframe: boolean }) => {
      if (parts.length > 0 || f.keyframe) parts.push(f.data);
    };
    live.supervisor.on('fragment', onFragment);
    await new Promise((r) => setTimeout(r, 3000));
    live.supervisor.off('fragment', onFragment);
    const file = join(dir, `${name}.mp4`);
    await writeFile(file, Buffer.concat([init.data, ...parts]));
    const { stdout } = await execFileAsync('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'a',
      '-show_entries',
      'stream=codec_name,sample_rate,channels:packet=size,pts_time,duration_time',
      '-of',
      'json',
      file,
    ]);
    const j = JSON.parse(stdout) as {
      streams: { codec_name: string; sample_rate: string; channels: number }[];
      packets?: { size: string; pts_time: string; duration_time?: string }[];
    };
    const s = j.streams[0];
    if (!s) return undefined;
    const packets = j.packets ?? [];
    const bytes = packets.reduce((n, p) => n + Number(p.size), 0);
    const first = Number(packets[0]?.pts_time ?? 0);
    const last = packets[packets.length - 1];
    const span = Number(last?.pts_time ?? 0) + Number(last?.duration_time ?? 0) - first;
    return {
      codec: s.codec_name,
      sampleRate: Number(s.sample_rate),
      channels: s.channels,
      bitrate: span > 0 ? (bytes * 8) / span : 0,
    };
  }

  async function storedCodec(): Promise<{ audio_codec: string; source_sha256: string } | undefined> {
    return db.kysely
      .selectFrom('camera_probes')
      .select(['audio_codec', 'source_sha256'])
      .where('camera_id', '=', cameraId)
      .executeTakeFirst();
  }

  test('AAC from the camera is copied: -c:a copy in the running ffmpeg, the camera’s AAC served', async () => {
    const cam = await camera({ audio: 'aac', audioRateHz: 32_000, audioChannels: 2, audioBitrateKbit: 24 });
    const live = await watch(cam.url, true);
    assert.deepEqual(await storedCodec(), { audio_codec: 'aac', source_sha256: sourceKey(cam.url) });
    const argv = await argvOf(live.supervisor.stats().pid!);
    assert.equal(valueAfter(argv, '-c:a'), 'copy', argv.join(' '));
    assert.ok(!argv.includes('-b:a'), 'no encoder bitrate: nothing is encoded');
    assert.match(live.hub.init?.mimeType ?? '', /mp4a\.40\.2/);
    const audio = await servedAudio(live, 'aac');
    assert.ok(audio, 'the served stream has audio');
    assert.equal(audio.codec, 'aac');
    assert.equal(audio.sampleRate, 32_000, 'the camera’s sample rate');
    assert.equal(audio.channels, 2, 'the camera’s channels');
    // The camera's 24 kbit/s, not the 64 kbit/s a re-encode would make.
    assert.ok(audio.bitrate > 16_000 && audio.bitrate < 40_000, `bitrate ${Math.round(audio.bitrate)}`);
  });

  test('G.711 A-law is transcoded to AAC; audio switched off is dropped', async () => {
    const cam = await camera({ audio: 'pcma' });
    const live = await watch(cam.url, true);
    assert.equal((await storedCodec())?.audio_codec, 'pcm_alaw');
    const argv = await argvOf(live.supervisor.stats().pid!);
    assert.equal(valueAfter(argv, '-c:a'), 'aac', argv.join(' '));
    assert.equal(valueAfter(argv, '-b:a'), '64k');
    const audio = await servedAudio(live, 'pcma');
    assert.equal(audio?.codec, 'aac');
    assert.equal(audio?.sampleRate, 8000, 'the camera’s 8 kHz, encoded as AAC');

    const silent = await watch(cam.url, false);
    const argvOff = await argvOf(silent.supervisor.stats().pid!);
    assert.ok(argvOff.includes('-an'), argvOff.join(' '));
    assert.ok(!argvOff.includes('-c:a'));
    assert.equal(await servedAudio(silent, 'off'), undefined, 'no audio stream');
  });

  test('a camera that switched from AAC to G.711 behind a stored "aac" is found out and transcoded', async () => {
    const cam = await camera({ audio: 'pcma' });
    await t.ctx.live.cameras.stopCamera(cameraId, 'test');
    await db.kysely
      .updateTable('cameras')
      .set({ source_url: cam.url, audio_allowed: 1 })
      .where('id', '=', cameraId)
      .execute();
    await new CameraSourcesRepository(db.kysely).recordProbe(
      cameraId,
      cam.url,
      'aac',
      new Date().toISOString(),
    );
    const live = await t.ctx.live.cameras.acquire(cameraId);
    await until('live after the codec was found out', () => live.supervisor.state === 'live', 30_000);
    const argv = await argvOf(live.supervisor.stats().pid!);
    assert.equal(valueAfter(argv, '-c:a'), 'aac', argv.join(' '));
    assert.equal((await storedCodec())?.audio_codec, 'pcm_alaw');
  });
});
