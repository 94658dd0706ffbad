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
    assert.equal(changes.at(-1)?.failure?.code, 'unreachable');
    assert.equal(
      changes.at(-1)?.reason,
      'the camera closed the connection (rtsp://***:***@cam/live: End of file)',
    );
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
    assert.match(supervisor.stats().lastError ?? '', /cannot be reached.*Connection refused/);
    assert.equal(supervisor.stats().failure?.code, 'unreachable');
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
    assert.equal(changes.at(-1)?.failure?.code, 'auth_failed');
    assert.match(changes.at(-1)?.reason ?? '', /refused the user name or password.*401 Unauthorized/);
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
  test('typed reasons: a killed camera is not "exited with code 0: Non-monotonous DTS"', () => {
    const { supervisor, child, changes, goLive, timers } = setup();
    supervisor.start();
    goLive();
    child().writeStderr('[mp4 @ 0x1] Non-monotonous DTS in output stream 0:0; previous: 1, current: 1\n');
    child().exit(0);
    assert.equal(changes.at(-1)?.failure?.code, 'stalled');
    assert.doesNotMatch(changes.at(-1)?.reason ?? '', /Non-monotonous|code 0/);
    timers.advance(1000);
    child().writeStderr('[tcp @ 0x2] Connection to tcp://cam:554 failed: Connection refused\n');
    child().exit(1);
    assert.equal(supervisor.stats().failure?.code, 'unreachable');
    const cases: [string, string][] = [
      ['method DESCRIBE failed: 404 Not Found', 'not_found'],
      ['method DESCRIBE failed: 401 Unauthorized', 'auth_failed'],
      ["Stream map '0:v:0' matches no streams.", 'no_video'],
      [
        'Could not find tag for codec mjpeg in stream #0, codec not currently supported in container',
        'unsupported_codec',
      ],
    ];
    for (const [line, code] of cases) {
      timers.advance(supervisor.stats().nextRestartInMs ?? 0);
      child().writeStderr(line + '\n');
      child().exit(1);
      assert.equal(supervisor.stats().failure?.code, code, line);
    }
  });

  test('a start that never answers is a timeout; an init without a keyframe is no_video', () => {
    const { supervisor, child, timers } = setup({ startTimeoutMs: 4000 });
    supervisor.start();
    timers.advance(4000);
    assert.equal(supervisor.stats().failure?.code, 'timeout');
    timers.advance(supervisor.stats().nextRestartInMs ?? 0);
    child().writeStdout(INIT);
    timers.advance(4000);
    assert.equal(supervisor.stats().failure?.code, 'no_video');
  });

  test('retryNow restarts at once during back-off, at most once per minRetryIntervalMs', () => {
    const { supervisor, spawner, child, timers } = setup({
      backoff: { initialMs: 20_000, maxMs: 20_000 },
      minRetryIntervalMs: 2000,
    });
    supervisor.start();
    child().writeStderr('Connection refused\n');
    child().exit(1);
    assert.equal(spawner.children.length, 1);
    assert.equal(supervisor.retryNow(), true);
    assert.equal(spawner.children.length, 2);
    child().exit(1);
    assert.equal(supervisor.retryNow(), false, 'bounded');
    timers.advance(2000);
    assert.equal(supervisor.retryNow(), true);
    assert.equal(spawner.children.length, 3);
  });

  test('an unreachable camera that answers again is retried within the poll interval', async () => {
    let up = false;
    const { supervisor, spawner, child, timers } = setup({
      backoff: { initialMs: 30_000, maxMs: 30_000 },
      reachable: () => Promise.resolve(up),
      reachabilityPollMs: 500,
    });
    supervisor.start();
    child().writeStderr('Connection refused\n');
    child().exit(1);
    for (let i = 0; i < 6; i++) {
      timers.advance(500);
      await Promise.resolve();
    }
    assert.equal(spawner.children.length, 1, 'no retry while the camera refuses');
    up = true;
    timers.advance(500);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(spawner.children.length, 2, 'retried once it answers');
    // A camera that answers but refuses the password is not polled: back-off decides.
    child().writeStderr('401 Unauthorized\n');
    child().exit(1);
    for (let i = 0; i < 10; i++) {
      timers.advance(500);
      await Promise.resolve();
    }
    assert.equal(spawner.children.length, 2);
  });

  test('stalled timestamps: video flows but media time stops → stalled and restarted', () => {
    const { supervisor, spawner, child, timers, changes } = setup({ watchdogMs: 5000 });
    supervisor.start();
    child().writeStdout(INIT);
    let seq = 1;
    const send = (decodeTime: number, keyframe = false) =>
      child().writeStdout(
        fragment(seq++, [
          { trackId: 1, decodeTime, samples: [{ flags: keyframe ? SYNC : NON_SYNC, duration: 1 }] },
        ]),
      );
    // 90 kHz: advancing 3600 ticks (40 ms) per 40 ms of wall time is healthy.
    for (let i = 0; i < 200; i++) {
      send(i * 3600, i % 25 === 0);
      timers.advance(40);
    }
    assert.equal(supervisor.state, 'live');
    // Frames keep coming, but their timestamps creep by one tick each.
    const frozen = 200 * 3600;
    for (let i = 0; i < 200 && supervisor.state === 'live'; i++) {
      send(frozen + i, i % 25 === 0);
      timers.advance(40);
    }
    assert.equal(supervisor.state, 'stalled');
    assert.equal(changes.at(-1)?.failure?.code, 'stalled');
    assert.match(changes.at(-1)?.reason ?? '', /timestamps stopped advancing/);
    timers.advance(1000);
    assert.equal(spawner.children.length, 2, 'restarted');
  });

  test('restart() starts a fresh run with the current arguments at once', () => {
    let url = 'rtsp://cam/a';
    const { supervisor, spawner, child, goLive } = setup({ args: () => ['-i', url] });
    supervisor.start();
    goLive();
    url = 'rtsp://cam/b';
    supervisor.restart('settings changed');
    assert.equal(spawner.children.length, 2);
    assert.deepEqual(child().args, ['-i', 'rtsp://cam/b']);
    assert.deepEqual(child(0).signals, ['SIGTERM']);
    assert.equal(supervisor.state, 'starting');
    goLive();
    assert.equal(supervisor.state, 'live');
  });
});
