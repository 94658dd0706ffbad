import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyProbeFailure, interpretProbeOutput, probeCamera } from '../../../src/media/probe.js';
import type { CommandResult, CommandRunner } from '../../../src/media/probe.js';
import { ProbeError } from '../../../src/media/errors.js';
import type { ProbeErrorCode } from '../../../src/media/errors.js';

const PASSWORD = 'Sup3r-Secret';

/** Real ffprobe 5.1 messages (captured against the GStreamer test camera). */
const STDERR: Record<string, string> = {
  auth:
    '[rtsp @ 0x556f0a5bd280] method DESCRIBE failed: 401 Unauthorized\n' +
    `rtsp://admin:${PASSWORD}@127.0.0.1:35265/cam: Server returned 401 Unauthorized (authorization failed)\n`,
  notFound:
    '[rtsp @ 0x564a30122280] method DESCRIBE failed: 404 Not Found\n' +
    `rtsp://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:35265/nope: Server returned 404 Not Found\n`,
  refused:
    '[tcp @ 0x55663930f140] Connection to tcp://127.0.0.1:1?timeout=3000000 failed: Connection refused\n' +
    'rtsp://127.0.0.1:1/cam: Connection refused\n',
  dns:
    '[tcp @ 0x55d] Failed to resolve hostname no-such-host.invalid: Name or service not known\n' +
    'rtsp://no-such-host.invalid/cam: Input/output error\n',
  timedOut: '[tcp @ 0x1] Connection to tcp://10.1.1.1:554?timeout=5000000 failed: Connection timed out\n',
  invalid: 'rtsp://127.0.0.1:38615/cam: Invalid data found when processing input\n',
};

function expectCode(err: ProbeError, code: ProbeErrorCode): void {
  assert.equal(err.code, code, err.message);
  assert.ok(!err.message.includes(PASSWORD), err.message);
  assert.ok(!err.message.includes(encodeURIComponent(PASSWORD)), err.message);
}

describe('classifyProbeFailure', () => {
  const secrets = [PASSWORD];
  test('each failure has its own code, and no message carries the password', () => {
    expectCode(classifyProbeFailure(STDERR.auth!, { secrets }), 'camera_auth_failed');
    expectCode(classifyProbeFailure(STDERR.notFound!, { secrets }), 'camera_stream_not_found');
    expectCode(classifyProbeFailure(STDERR.refused!, { secrets }), 'camera_unreachable');
    expectCode(classifyProbeFailure(STDERR.dns!, { secrets }), 'camera_unreachable');
    expectCode(classifyProbeFailure(STDERR.timedOut!, { secrets }), 'camera_timeout');
    expectCode(classifyProbeFailure(STDERR.invalid!, { secrets }), 'camera_probe_failed');
    expectCode(classifyProbeFailure('something odd', { secrets }), 'camera_probe_failed');
    expectCode(classifyProbeFailure('', { secrets }), 'camera_probe_failed');
  });

  test('messages are redacted even without the password given', () => {
    const err = classifyProbeFailure(STDERR.auth!);
    assert.match(
      err.message,
      /user name or password \(rtsp:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:35265\/cam: Server returned 401/,
    );
    assert.ok(!err.message.includes(PASSWORD));
  });

  test('a silent server ends in "Invalid data" at the socket timeout: that is a timeout', () => {
    expectCode(
      classifyProbeFailure(STDERR.invalid!, { elapsedMs: 5020, rtspTimeoutMs: 5000 }),
      'camera_timeout',
    );
    expectCode(
      classifyProbeFailure(STDERR.invalid!, { elapsedMs: 300, rtspTimeoutMs: 5000 }),
      'camera_probe_failed',
    );
  });

  test('a port number like 401 in the URL is not an auth failure', () => {
    const err = classifyProbeFailure('[tcp] Connection to tcp://10.0.0.1:401 failed: Connection refused\n');
    expectCode(err, 'camera_unreachable');
  });
});

function packets(streamIndex: number, count: number, fps: number, gop: number, firstKey = 0) {
  return Array.from({ length: count }, (_, i) => ({
    stream_index: streamIndex,
    pts_time: (i / fps).toFixed(6),
    flags: (i - firstKey) % gop === 0 && i >= firstKey ? 'K_' : '__',
  }));
}

describe('interpretProbeOutput', () => {
  test('codec, size, measured fps and keyframe interval; AAC audio is copied', () => {
    const result = interpretProbeOutput({
      streams: [
        {
          index: 0,
          codec_type: 'video',
          codec_name: 'h264',
          profile: 'Main',
          width: 1920,
          height: 1080,
          r_frame_rate: '90000/1',
        },
        { index: 1, codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 1 },
      ],
      packets: [...packets(0, 100, 25, 30, 7), ...packets(1, 50, 47, 1)],
    });
    assert.deepEqual(result.video, {
      codec: 'h264',
      profile: 'Main',
      width: 1920,
      height: 1080,
      fps: 25,
      keyframeIntervalFrames: 30,
      keyframeIntervalMs: 1200,
    });
    assert.deepEqual(result.audio, { codec: 'aac', ingestMode: 'copy', sampleRateHz: 48000, channels: 1 });
    assert.equal(result.videoPacketsRead, 100);
  });

  test('H.265 is supported; G.711 audio is transcoded; one keyframe leaves the interval unknown', () => {
    const result = interpretProbeOutput({
      streams: [
        { index: 0, codec_type: 'audio', codec_name: 'pcm_alaw', sample_rate: '8000', channels: 1 },
        {
          index: 1,
          codec_type: 'video',
          codec_name: 'hevc',
          width: 2560,
          height: 1440,
          avg_frame_rate: '15/1',
        },
      ],
      packets: [{ stream_index: 1, pts_time: 'N/A', flags: 'K_' }],
    });
    assert.equal(result.video.codec, 'hevc');
    assert.equal(result.video.fps, 15); // declared rate when timestamps say nothing
    assert.equal(result.video.keyframeIntervalFrames, undefined);
    assert.equal(result.audio?.ingestMode, 'aac');
  });

  test('unsupported video and missing video are camera_codec_unsupported', () => {
    for (const codec of ['mjpeg', 'mpeg4', 'vp8']) {
      assert.throws(
        () =>
          interpretProbeOutput({
            streams: [{ index: 0, codec_type: 'video', codec_name: codec, width: 640, height: 480 }],
          }),
        (err: unknown) =>
          err instanceof ProbeError && err.code === 'camera_codec_unsupported' && err.message.includes(codec),
      );
    }
    assert.throws(
      () => interpretProbeOutput({ streams: [{ index: 0, codec_type: 'audio', codec_name: 'aac' }] }),
      (err: unknown) => err instanceof ProbeError && err.code === 'camera_codec_unsupported',
    );
    assert.throws(() => interpretProbeOutput('nonsense'), ProbeError);
    assert.throws(() => interpretProbeOutput({ streams: 'x' }), ProbeError);
  });
});

describe('probeCamera (runner injected)', () => {
  function runner(
    result: Partial<CommandResult>,
    seen: { args?: readonly string[]; timeoutMs?: number } = {},
  ): CommandRunner {
    return async (_command, args, timeoutMs) => {
      seen.args = args;
      seen.timeoutMs = timeoutMs;
      return { code: 0, signal: null, stdout: '', stderr: '', timedOut: false, ...result };
    };
  }
  const base = { url: 'rtsp://10.0.0.9/stream1', username: 'admin', password: PASSWORD };

  test('success: parses the JSON; the URL with credentials goes only into the argv', async () => {
    const seen: { args?: readonly string[]; timeoutMs?: number } = {};
    const stdout = JSON.stringify({
      streams: [{ index: 0, codec_type: 'video', codec_name: 'h264', width: 640, height: 480 }],
      packets: packets(0, 60, 20, 20),
    });
    const result = await probeCamera({ ...base, timeoutMs: 7000, run: runner({ stdout }, seen) });
    assert.equal(result.video.keyframeIntervalFrames, 20);
    assert.equal(result.video.fps, 20);
    assert.equal(seen.timeoutMs, 7000);
    assert.equal(seen.args?.at(-1), `rtsp://admin:${PASSWORD}@10.0.0.9/stream1`);
    assert.ok(!JSON.stringify(result).includes(PASSWORD));
  });

  test('time limit → camera_timeout; non-zero exit → classified; bad JSON → probe_failed', async () => {
    await assert.rejects(
      probeCamera({ ...base, run: runner({ timedOut: true, code: null, signal: 'SIGKILL' }) }),
      (err: unknown) => {
        assert.ok(err instanceof ProbeError);
        expectCode(err, 'camera_timeout');
        return true;
      },
    );
    await assert.rejects(
      probeCamera({ ...base, run: runner({ code: 1, stderr: STDERR.auth! }) }),
      (err: unknown) => {
        assert.ok(err instanceof ProbeError);
        expectCode(err, 'camera_auth_failed');
        return true;
      },
    );
    await assert.rejects(probeCamera({ ...base, run: runner({ stdout: '{not json' }) }), (err: unknown) => {
      assert.ok(err instanceof ProbeError);
      expectCode(err, 'camera_probe_failed');
      return true;
    });
  });

  test('invalid URL → camera_url_invalid without running anything', async () => {
    let ran = false;
    await assert.rejects(
      probeCamera({
        url: `http://admin:${PASSWORD}@cam/x`,
        run: async () => {
          ran = true;
          return { code: 0, signal: null, stdout: '', stderr: '', timedOut: false };
        },
      }),
      (err: unknown) => {
        assert.ok(err instanceof ProbeError);
        expectCode(err, 'camera_url_invalid');
        return true;
      },
    );
    assert.equal(ran, false);
  });

  test('ffprobe missing → camera_probe_failed', async () => {
    await assert.rejects(
      probeCamera({ ...base, ffprobePath: '/nonexistent/ffprobe' }),
      (err: unknown) =>
        err instanceof ProbeError &&
        err.code === 'camera_probe_failed' &&
        /cannot run ffprobe/.test(err.message),
    );
  });
});
