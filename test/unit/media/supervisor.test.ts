import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CameraSupervisor } from '../../../src/media/supervisor.js';
import type { CameraState, StateChange, SupervisorOptions } from '../../../src/media/supervisor.js';
import {
  FakeTimers,
  H264_TRACK,
  NON_SYNC,
  SYNC,
  fakeSpawner,
  fragment,
  initSegment,
  mp4a,
} from './helpers.js';
import type { FakeChild } from './helpers.js';

const INIT = initSegment([H264_TRACK]);

function videoFragment(seq: number, keyframe: boolean, bytes = 5000): Buffer {
  return fragment(
    seq,
    [
      {
        trackId: 1,
        decodeTime: seq * 3600,
        samples: [{ flags: keyframe ? SYNC : NON_SYNC, duration: 3600 }],
      },
    ],
    bytes,
  );
}

function setup(overrides: Partial<SupervisorOptions> = {}) {
  const timers = new FakeTimers();
  const spawner = fakeSpawner();
  const supervisor = new CameraSupervisor({
    cameraId: 'cam-1',
    args: ['-i', 'rtsp://admin:hunter22@cam/live', 'pipe:1'],
    secrets: ['hunter22'],
    spawn: spawner.spawn,
    timers,
    ...overrides,
  });
  const changes: StateChange[] = [];
  supervisor.on('state', (c) => changes.push(c));
  const states = (): CameraState[] => changes.map((c) => c.to);
  const child = (i = -1): FakeChild => {
    const c = spawner.children.at(i);
    assert.ok(c, `child ${i} exists`);
    return c;
  };
  /** Makes the current ffmpeg deliver init + a keyframe: the camera is live. */
  const goLive = (seq = 1): void => {
    child().writeStdout(INIT);
    child().writeStdout(videoFragment(seq, true));
  };
  return { timers, spawner, supervisor, changes, states, child, goLive };
}

describe('CameraSupervisor', () => {
  test('start → starting → live on the first keyframe; init and fragments are emitted', () => {
    const { supervisor, spawner, states, child, timers } = setup();
    const inits: string[] = [];
    let fragments = 0;
    supervisor.on('init', (init) => inits.push(init.mimeType));
    supervisor.on('fragment', () => fragments++);
    supervisor.start();
    assert.equal(supervisor.state, 'starting');
    assert.equal(spawner.children.length, 1);
    assert.equal(child().command, 'ffmpeg');
    assert.deepEqual(child().args, ['-i', 'rtsp://admin:hunter22@cam/live', 'pipe:1']);
    // Arbitrary chunking of stdout.
    const bytes = Buffer.concat([INIT, videoFragment(1, true)]);
    for (let i = 0; i < bytes.length; i += 100) child().writeStdout(bytes.subarray(i, i + 100));
    assert.deepEqual(states(), ['starting', 'live']);
    assert.deepEqual(inits, ['video/mp4; codecs="avc1.64001f"']);
    for (let seq = 2; seq <= 25; seq++) {
      timers.advance(40);
      child().writeStdout(videoFragment(seq, false));
    }
    assert.equal(fragments, 25);
    const stats = supervisor.stats();
    assert.equal(stats.state, 'live');
    assert.equal(stats.restarts, 0);
    assert.equal(stats.fps, 25); // 25 frames in 1 s
    assert.ok(Math.abs(stats.bitrateBps - 25 * (5000 + 150) * 8) < 25 * 300 * 8, String(stats.bitrateBps));
    assert.equal(stats.lastKeyframeAgeMs, 960);
    assert.equal(stats.lastFragmentAgeMs, 0);
    assert.equal(stats.width, 1280);
    supervisor.start(); // already running: no second ffmpeg
    assert.equal(spawner.children.length, 1);
  });

  test('watchdog: no fragment for 5 s → stalled, ffmpeg killed and restarted, live again', () => {
    const { supervisor, spawner, states, child, timers, goLive, changes } = setup();
    supervisor.start();
    goLive();
    timers.advance(4999);
    assert.equal(supervisor.state, 'live');
    timers.advance(1);
    assert.equal(supervisor.state, 'stalled');
    assert.match(changes.at(-1)?.reason ?? '', /no video for 5000 ms/);
    assert.deepEqual(child(0).signals, ['SIGTERM']);
    assert.equal(supervisor.stats().nextRestartInMs, 1000);
    timers.advance(999);
    assert.equal(spawner.children.length, 1);
    timers.advance(1);
    assert.equal(spawner.children.length, 2);
    assert.equal(supervisor.state, 'stalled'); // until video flows again
    goLive();
    assert.deepEqual(states(), ['starting', 'live', 'stalled', 'live']);
    assert.equal(supervisor.stats().restarts, 1);
  });

  test('audio alone does not keep a camera live: frozen video with sound is a stall', () => {
    const { supervisor, child, timers } = setup();
    const withAudio = initSegment([
      H264_TRACK,
      { trackId: 2, kind: 'audio', timescale: 48000, sampleEntry: mp4a(0x40, Buffer.from([0x11, 0x90])) },
    ]);
    supervisor.start();
    child().writeStdout(withAudio);
    child().writeStdout(videoFragment(1, true));
    assert.equal(supervisor.state, 'live');
    for (let i = 0; i < 50; i++) {
      timers.advance(100);
      child().writeStdout(fragment(100 + i, [{ trackId: 2, samples: [{ flags: SYNC, duration: 1024 }] }]));
    }
    assert.equal(supervisor.state, 'stalled');
    assert.ok((supervisor.stats().lastFragmentAgeMs ?? Infinity) <= 100, 'audio was still flowing');
  });

  test('ffmpeg exiting 0 on a dead camera counts as a stall, not as success', () => {
    const { supervisor, spawner, child, changes, goLive, timers } = setup();
    supervisor.start();
    goLive();
    child().writeStderr('rtsp://admin:hunter22@cam/live: End of file\n');
    child().exit(0);
    assert.equal(supervisor.state, 'stalled');
    assert.equal(changes.at(-1)?.reason, 'ffmpeg exited with code 0: rtsp://***:***@cam/live: End of file');
    timers.advance(1000);
    assert.equal(spawner.children.length, 2);
  });

  test('SIGKILL when ffmpeg ignores SIGTERM', () => {
    const { supervisor, child, timers, goLive } = setup({ killGraceMs: 2000 });
    supervisor.start();
    goLive();
    child().ignoreSigterm = true;
    timers.advance(5000);
    assert.deepEqual(child(0).signals, ['SIGTERM']);
    timers.advance(1999);
    assert.equal(child(0).exited, false);
    timers.advance(1);
    assert.deepEqual(child(0).signals, ['SIGTERM', 'SIGKILL']);
    assert.equal(child(0).exited, true);
  });

  test('exponential backoff with a cap; stalled turns failing at the third consecutive failure', () => {
    const { supervisor, spawner, child, timers, goLive, states } = setup({ startTimeoutMs: 60_000 });
    supervisor.start();
    goLive();
    timers.advance(5000); // stall
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const due = supervisor.stats().nextRestartInMs;
      assert.ok(due !== undefined);
      delays.push(due);
      const count = spawner.children.length;
      timers.advance(due);
      assert.equal(spawner.children.length, count + 1);
      child().writeStderr('Connection refused\n');
      child().exit(1); // the camera is still down
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.deepEqual(states(), ['starting', 'live', 'stalled', 'failing']);
    assert.equal(supervisor.stats().consecutiveFailures, 9);
    assert.match(supervisor.stats().lastError ?? '', /ffmpeg exited with code 1: Connection refused/);
  });

  test('backoff resets after a stable live period, but not for a flapping camera', () => {
    const { supervisor, timers, goLive, child } = setup({ backoff: { stableMs: 30_000 } });
    supervisor.start();
    goLive();
    const flap = (liveMs: number): number => {
      // live for liveMs (fragments keep coming), then silence until the watchdog fires
      for (let t = 0; t < liveMs; t += 1000) {
        timers.advance(1000);
        child().writeStdout(videoFragment(t, true));
      }
      timers.advance(5000);
      assert.equal(supervisor.state, 'stalled');
      const due = supervisor.stats().nextRestartInMs ?? -1;
      timers.advance(due);
      goLive();
      return due;
    };
    assert.equal(flap(2000), 1000);
    assert.equal(flap(2000), 2000);
    assert.equal(flap(2000), 4000);
    assert.equal(flap(40_000), 1000); // stable for 40 s: back to the first step
  });

  test('start timeout: no video within startTimeoutMs → failing with the last stderr line', () => {
    const { supervisor, child, timers, changes } = setup({ startTimeoutMs: 10_000 });
    supervisor.start();
    child().writeStderr('[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized\n');
    timers.advance(10_000);
    assert.equal(supervisor.state, 'failing');
    assert.match(changes.at(-1)?.reason ?? '', /no video within 10000 ms.*401 Unauthorized/);
    assert.deepEqual(child().signals, ['SIGTERM']);
  });

  test('garbage on stdout → failing at once with a clear error; ffmpeg killed', () => {
    const { supervisor, child, changes } = setup();
    supervisor.start();
    child().writeStdout(Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>'));
    assert.equal(supervisor.state, 'failing');
    assert.match(changes.at(-1)?.reason ?? '', /camera sent data that is not valid video/);
    assert.deepEqual(child().signals, ['SIGTERM']);
    // Garbage while live also goes straight to failing.
    const second = setup();
    second.supervisor.start();
    second.goLive();
    second.child().writeStdout(Buffer.alloc(64, 0xff));
    assert.deepEqual(second.states(), ['starting', 'live', 'failing']);
  });

  test('stderr ring buffer is bounded and redacted', () => {
    const { supervisor, child } = setup({ stderrLines: 3 });
    supervisor.start();
    child().writeStderr('line 1\nline 2 rtsp://admin:hunter22@cam/live\nline 3 pw=hunter22\nli');
    child().writeStderr('ne 4\n');
    assert.deepEqual(supervisor.stderrTail(), ['line 2 rtsp://***:***@cam/live', 'line 3 pw=***', 'line 4']);
  });

  test('stop() ends ffmpeg and schedules nothing more; disable() refuses start()', async () => {
    const { supervisor, spawner, child, timers, goLive, states } = setup();
    supervisor.start();
    goLive();
    await supervisor.stop();
    assert.equal(supervisor.state, 'idle');
    assert.deepEqual(child().signals, ['SIGTERM']);
    timers.advance(120_000);
    assert.equal(spawner.children.length, 1);
    assert.equal(timers.pendingCount, 0);

    supervisor.start();
    assert.equal(spawner.children.length, 2);
    await supervisor.disable();
    assert.equal(supervisor.state, 'disabled');
    assert.throws(() => supervisor.start(), /disabled/);
    supervisor.enable();
    supervisor.start();
    assert.equal(spawner.children.length, 3);
    assert.deepEqual(states(), ['starting', 'live', 'idle', 'starting', 'disabled', 'idle', 'starting']);
  });

  test('stop() waits for a stubborn ffmpeg until SIGKILL', async () => {
    const { supervisor, child, timers, goLive } = setup({ killGraceMs: 2000 });
    supervisor.start();
    goLive();
    child().ignoreSigterm = true;
    let stopped = false;
    const stopping = supervisor.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    assert.equal(stopped, false);
    timers.advance(2000);
    await stopping;
    assert.deepEqual(child().signals, ['SIGTERM', 'SIGKILL']);
  });

  test('ffmpeg that cannot be run → failing with a reason, retried with backoff', () => {
    const timers = new FakeTimers();
    let calls = 0;
    const supervisor = new CameraSupervisor({
      cameraId: 'cam-2',
      args: () => [`--attempt=${++calls}`],
      timers,
      spawn: () => {
        throw new Error('spawn /opt/ffmpeg ENOENT');
      },
    });
    supervisor.start();
    assert.equal(supervisor.state, 'failing');
    assert.match(supervisor.stats().lastError ?? '', /cannot start ffmpeg: spawn \/opt\/ffmpeg ENOENT/);
    timers.advance(1000);
    assert.equal(calls, 2, 'args are built again for every start');
  });

  test('a spawn error event (ENOENT) is a failure too', () => {
    const { supervisor, child } = setup();
    supervisor.start();
    const c = child();
    Object.defineProperty(c, 'pid', { value: undefined });
    c.emit('error', new Error('spawn ffmpeg ENOENT'));
    assert.equal(supervisor.state, 'failing');
    assert.match(supervisor.stats().lastError ?? '', /cannot run ffmpeg: spawn ffmpeg ENOENT/);
  });
});
