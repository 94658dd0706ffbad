/**
 * The media plane end to end with real parts: GStreamer's RTSP server as the camera, the real ffmpeg
 * under the supervisor, the fMP4 splitter and the live hub.
 */
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CameraSupervisor } from '../../../src/media/supervisor.js';
import type { SupervisorOptions } from '../../../src/media/supervisor.js';
import { LiveHub } from '../../../src/media/hub.js';
import type { HubOptions } from '../../../src/media/hub.js';
import { buildIngestArgs, demoInput } from '../../../src/media/ffmpeg-args.js';
import type { AudioMode, RtspInput } from '../../../src/media/ffmpeg-args.js';
import { takeSnapshot } from '../../../src/media/snapshot.js';
import { fragmentDurationMs } from '../../../src/media/fmp4.js';
import { skipWithoutRtspCamera, startRtspCamera } from '../../support/rtsp-camera.js';
import type { RtspCamera, RtspCameraOptions } from '../../support/rtsp-camera.js';
import { RecordingSink, garbageCamera, waitForState } from './helpers.js';
import type { TcpCamera } from './helpers.js';

const skip = skipWithoutRtspCamera();

/** Everything a test started, stopped after it whatever happened. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function camera(options: RtspCameraOptions = {}): Promise<RtspCamera> {
  const cam = await startRtspCamera({ keyIntFrames: 10, ...options });
  cleanups.push(() => cam.stop());
  return cam;
}

interface Pipeline {
  supervisor: CameraSupervisor;
  hub: LiveHub;
}

function pipeline(
  input: RtspInput,
  options: { audio?: AudioMode; fragmentDurationMs?: number; rtspTimeoutMs?: number; hub?: HubOptions } = {},
  overrides: Partial<SupervisorOptions> = {},
): Pipeline {
  const hub = new LiveHub(options.hub);
  const supervisor = new CameraSupervisor({
    cameraId: 'it-cam',
    args: () =>
      buildIngestArgs({
        input,
        audio: options.audio ?? 'drop',
        fragmentDurationMs: options.fragmentDurationMs,
        rtspTimeoutMs: options.rtspTimeoutMs ?? 2000,
      }),
    secrets: input.password ? [input.password] : [],
    watchdogMs: 2000,
    startTimeoutMs: 8000,
    backoff: { initialMs: 200, maxMs: 800 },
    failingAfterAttempts: 2,
    killGraceMs: 1000,
    ...overrides,
  });
  supervisor.on('init', (init) => hub.setInit(init));
  supervisor.on('fragment', (fragment) => hub.publish(fragment));
  supervisor.on('state', (change) => {
    if (change.to !== 'live') hub.reset();
  });
  cleanups.push(async () => {
    await supervisor.stop();
    hub.close();
  });
  return { supervisor, hub };
}

function rtsp(cam: { url: string }, extra: Partial<RtspInput> = {}): RtspInput {
  return { kind: 'rtsp', url: cam.url, ...extra };
}

describe('live pipeline with a real RTSP camera', { skip }, () => {
  test('live starts: a viewer gets init + keyframe, a late viewer gets them at once; stats; snapshot', async () => {
    const cam = await camera({ user: 'viewer', password: 'p@ss:w/rd%1' });
    const { supervisor, hub } = pipeline(rtsp(cam, { username: 'viewer', password: 'p@ss:w/rd%1' }));
    const viewer = new RecordingSink();
    hub.subscribe(viewer);
    const durationsMs: number[] = [];
    supervisor.on('fragment', (f) => durationsMs.push(fragmentDurationMs(f) ?? Infinity));
    supervisor.start();
    assert.equal(supervisor.state, 'starting');
    await viewer.waitFor((m) => m.kind === 'fragment' && m.keyframe, 10_000, 'keyframe fragment');
    assert.equal(viewer.messages[0]?.kind, 'init');
    assert.equal(viewer.messages[1]?.keyframe, true, 'the first fragment is a keyframe');
    assert.equal(supervisor.state, 'live');
    assert.match(hub.init?.mimeType ?? '', /^video\/mp4; codecs="avc1\.42[0-9a-f]{4}"$/);
    assert.equal(hub.init?.width, 320);
    assert.equal(hub.init?.height, 240);

    const late = new RecordingSink();
    hub.subscribe(late);
    assert.equal(late.messages[0]?.kind, 'init', 'init delivered synchronously on subscribe');
    assert.equal(late.messages[1]?.keyframe, true, 'then the cached keyframe');

    await viewer.waitFor(() => viewer.fragments().length >= 20, 10_000, '20 fragments');
    // Latency is not bound to the GOP: fragments of at most ~100 ms (25 fps: two frames each).
    assert.ok(Math.max(...durationsMs) <= 100, `fragment durations ${durationsMs.join(', ')} ms`);
    const stats = supervisor.stats();
    assert.ok(stats.fps > 10 && stats.fps < 60, `fps ${stats.fps}`);
    assert.ok(stats.bitrateBps > 10_000, `bitrate ${stats.bitrateBps}`);
    assert.ok((stats.lastKeyframeAgeMs ?? Infinity) < 2000);
    assert.equal(stats.restarts, 0);
    for (const line of supervisor.stderrTail()) assert.ok(!line.includes('p@ss'), line);

    const latest = hub.latestKeyframe();
    assert.ok(latest);
    const jpeg = await takeSnapshot(latest.init.data, latest.fragment.data, { width: 160 });
    assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  });

  test('camera killed → stalled, then failing; back on the same port → live again by itself', async () => {
    const cam = await camera();
    const { supervisor, hub } = pipeline(rtsp(cam));
    const viewer = new RecordingSink();
    hub.subscribe(viewer);
    supervisor.start();
    await waitForState(supervisor, 'live', 10_000);

    await cam.kill();
    const stalled = await waitForState(supervisor, 'stalled', 6000);
    assert.ok(stalled, 'went through stalled');
    const failing = await waitForState(supervisor, 'failing', 10_000);
    assert.match(failing?.reason ?? '', /Connection refused/);
    assert.equal(hub.latestKeyframe(), undefined, 'no stale GOP for new viewers');

    const back = await startRtspCamera({ keyIntFrames: 10, port: cam.port });
    cleanups.push(() => back.stop());
    await waitForState(supervisor, 'live', 10_000);
    // The viewer stayed subscribed: a new init (a new ffmpeg run) and then a keyframe.
    const reinit = await viewer.waitFor((m) => m.kind === 'init' && m.generation >= 2, 5000, 'second init');
    await viewer.waitFor(
      (m) => m.kind === 'fragment' && m.generation === reinit.generation,
      5000,
      'video after restart',
    );
    assert.ok(supervisor.stats().restarts >= 2);
  });

  test('a hung camera (connection open, no data) is caught by the watchdog, not by ffmpeg', async () => {
    const cam = await camera();
    // ffmpeg's own socket timeout is far away: only the watchdog can notice.
    const { supervisor } = pipeline(rtsp(cam), { rtspTimeoutMs: 60_000 });
    const pids: (number | undefined)[] = [];
    supervisor.on('spawn', (info) => pids.push(info.pid));
    supervisor.start();
    await waitForState(supervisor, 'live', 10_000);
    cam.pause();
    const started = performance.now();
    const stalled = await waitForState(supervisor, 'stalled', 6000);
    assert.match(stalled?.reason ?? '', /no video for \d+ ms/);
    assert.ok(performance.now() - started >= 1500);
    cam.resume();
    await waitForState(supervisor, 'live', 10_000);
    assert.equal(pids.length >= 2, true);
    assert.throws(() => process.kill(pids[0]!, 0), /ESRCH/, 'the hung ffmpeg was killed');
  });

  test('H.264 + AAC with audio allowed: the codec string has mp4a; G.711 is transcoded to AAC', async () => {
    for (const [audio, mode] of [
      ['aac', 'copy'],
      ['pcma', 'aac'],
    ] as const) {
      const cam = await camera({ audio });
      const { supervisor, hub } = pipeline(rtsp(cam), { audio: mode });
      const viewer = new RecordingSink();
      hub.subscribe(viewer);
      supervisor.start();
      await viewer.waitFor((m) => m.kind === 'fragment' && m.keyframe, 10_000, `keyframe (${audio})`);
      assert.match(hub.init?.mimeType ?? '', /^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/, audio);
      assert.deepEqual(
        hub.init?.tracks.map((t) => t.kind),
        ['video', 'audio'],
      );
      await supervisor.stop();
      await cam.stop();
    }
  });

  test('H.265 is passed through', async () => {
    const cam = await camera({ codec: 'h265' });
    const { supervisor, hub } = pipeline(rtsp(cam));
    const viewer = new RecordingSink();
    hub.subscribe(viewer);
    supervisor.start();
    await viewer.waitFor((m) => m.kind === 'fragment' && m.keyframe, 10_000, 'keyframe');
    assert.match(hub.init?.codecs[0] ?? '', /^(hev1|hvc1)\.1\.6\.L\d+/);
  });

  test('a camera sending garbage → failing with a clear error, and the process carries on', async () => {
    const garbage: TcpCamera = await garbageCamera();
    cleanups.push(() => garbage.close());
    // ffmpeg reads random bytes as endless RTSP header lines for a while (seconds to tens of
    // seconds) before it gives up; the start timeout bounds that.
    const { supervisor } = pipeline(rtsp(garbage), {}, { startTimeoutMs: 4000 });
    supervisor.start();
    const failing = await waitForState(supervisor, 'failing', 10_000);
    assert.match(
      failing?.reason ?? '',
      /ffmpeg exited with code \d+ before any video \(.*Invalid data|did not answer within 4000 ms/,
    );
    assert.equal(supervisor.stats().fragments, 0);
  });

  test('an "ffmpeg" writing garbage to stdout → failing (not valid video), the process is killed', async () => {
    const script = "setInterval(() => process.stdout.write(require('crypto').randomBytes(4096)), 5)";
    const { supervisor } = pipeline(
      rtsp({ url: 'rtsp://unused/' }),
      {},
      { command: process.execPath, args: ['-e', script] },
    );
    const pids: (number | undefined)[] = [];
    supervisor.on('spawn', (info) => pids.push(info.pid));
    supervisor.start();
    const failing = await waitForState(supervisor, 'failing', 5000);
    assert.match(failing?.reason ?? '', /camera sent data that is not valid video/);
    await supervisor.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid!, 0), /ESRCH/);
  });

  test('50 viewers receive every fragment; a stuck viewer is dropped back and delays nobody', async () => {
    const cam = await camera({ fps: 25 });
    const { supervisor, hub } = pipeline(rtsp(cam), {
      fragmentDurationMs: 0, // one fragment per frame: many fragments quickly
      hub: { maxQueueFragments: 8 },
    });
    const published: { data: Buffer; keyframe: boolean; atMs: number }[] = [];
    supervisor.on('fragment', (f) =>
      published.push({ data: f.data, keyframe: f.keyframe, atMs: performance.now() }),
    );
    const viewers = Array.from({ length: 50 }, () => new RecordingSink());
    for (const v of viewers) hub.subscribe(v);
    const stuck = new RecordingSink();
    stuck.accept = false; // its transport never drains
    hub.subscribe(stuck);
    supervisor.start();
    await viewers[0]!.waitFor(() => published.length >= 60, 15_000, '60 fragments');

    // ffmpeg starts its output at a keyframe, so viewers that were there from the start get everything.
    assert.equal(published[0]?.keyframe, true);
    for (const [i, v] of viewers.entries()) {
      const got = v.fragments();
      assert.equal(got.length, published.length, `viewer ${i} got every fragment`);
      got.forEach((m, j) => {
        assert.equal(m.data, published[j]!.data, `viewer ${i} fragment ${j}`);
        assert.ok(m.receivedAtMs - published[j]!.atMs < 50, 'delivered without delay');
      });
    }
    const stuckStats = hub.viewerStats().find((s) => s.id === 51);
    assert.ok(stuckStats && stuckStats.drops >= 1, 'the stuck viewer was dropped back');
    assert.ok(stuckStats.queuedFragments <= 8);
    assert.equal(hub.viewerStats().filter((s) => s.drops > 0).length, 1, 'nobody else dropped anything');
  });
});

describe('demo source (ffmpeg only)', () => {
  test('a demo camera (test pattern with clock and name) goes live without any hardware', async () => {
    const hub = new LiveHub();
    const supervisor = new CameraSupervisor({
      cameraId: 'demo',
      args: buildIngestArgs({
        input: demoInput({ name: 'Группа «Солнышко»', width: 320, height: 180, withAudio: true }),
        audio: 'aac',
      }),
      watchdogMs: 3000,
    });
    supervisor.on('init', (init) => hub.setInit(init));
    supervisor.on('fragment', (f) => hub.publish(f));
    cleanups.push(async () => {
      await supervisor.stop();
      hub.close();
    });
    const viewer = new RecordingSink();
    hub.subscribe(viewer);
    supervisor.start();
    await viewer.waitFor((m) => m.kind === 'fragment' && m.keyframe, 10_000, 'keyframe');
    assert.match(hub.init?.mimeType ?? '', /^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/);
    assert.equal(hub.init?.width, 320);
    const latest = hub.latestKeyframe();
    assert.ok(latest);
    const jpeg = await takeSnapshot(latest.init.data, latest.fragment.data);
    assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  });
});

after(() => {
  // Nothing may be left running: the supervisors and cameras were stopped in afterEach.
  assert.equal(cleanups.length, 0);
});
