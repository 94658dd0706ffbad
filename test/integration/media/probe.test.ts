/**
 * Camera probe against real cameras (GStreamer's RTSP server) and real network failures, with the
 * real ffprobe: every kind of failure gets its own code, and no message carries the password.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { probeCamera } from '../../../src/media/probe.js';
import type { ProbeOptions } from '../../../src/media/probe.js';
import { ProbeError } from '../../../src/media/errors.js';
import type { ProbeErrorCode } from '../../../src/media/errors.js';
import { skipWithoutRtspCamera, startRtspCamera } from '../../support/rtsp-camera.js';
import type { RtspCameraOptions } from '../../support/rtsp-camera.js';
import { closedPort, silentCamera } from './helpers.js';

const skip = skipWithoutRtspCamera();
const PASSWORD = 'Kl@dovka:42/%';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function camera(options: RtspCameraOptions = {}) {
  const cam = await startRtspCamera({ keyIntFrames: 10, ...options });
  cleanups.push(() => cam.stop());
  return cam;
}

async function expectProbeError(options: ProbeOptions, code: ProbeErrorCode): Promise<ProbeError> {
  let caught: unknown;
  try {
    await probeCamera(options);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ProbeError, `expected ProbeError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(!caught.message.includes(PASSWORD), caught.message);
  assert.ok(!caught.message.includes(encodeURIComponent(PASSWORD)), caught.message);
  return caught;
}

const fast = { readDurationMs: 1500, rtspTimeoutMs: 2000, timeoutMs: 8000 };

describe('camera probe with real cameras', { skip }, () => {
  test('reports codec, size, fps, keyframe interval and audio', async () => {
    const cam = await camera({ audio: 'aac', fps: 25, keyIntFrames: 10, user: 'admin', password: PASSWORD });
    const result = await probeCamera({ url: cam.url, username: 'admin', password: PASSWORD, ...fast });
    assert.equal(result.video.codec, 'h264');
    assert.equal(result.video.width, 320);
    assert.equal(result.video.height, 240);
    assert.ok(
      result.video.fps !== undefined && Math.abs(result.video.fps - 25) < 3,
      `fps ${result.video.fps}`,
    );
    assert.equal(result.video.keyframeIntervalFrames, 10);
    assert.ok(
      Math.abs((result.video.keyframeIntervalMs ?? 0) - 400) < 60,
      `${result.video.keyframeIntervalMs} ms`,
    );
    assert.deepEqual(result.audio && { codec: result.audio.codec, ingestMode: result.audio.ingestMode }, {
      codec: 'aac',
      ingestMode: 'copy',
    });
    assert.ok(!JSON.stringify(result).includes(PASSWORD));
  });

  test('H.265 camera is supported; G.711 audio will be transcoded', async () => {
    const cam = await camera({ codec: 'h265', audio: 'pcma' });
    const result = await probeCamera({ url: cam.url, ...fast });
    assert.equal(result.video.codec, 'hevc');
    assert.equal(result.audio?.codec, 'pcm_alaw');
    assert.equal(result.audio?.ingestMode, 'aac');
  });

  test('wrong password → camera_auth_failed', async () => {
    const cam = await camera({ user: 'admin', password: 'right-one' });
    await expectProbeError(
      { url: cam.url, username: 'admin', password: PASSWORD, ...fast },
      'camera_auth_failed',
    );
    await expectProbeError({ url: cam.url, ...fast }, 'camera_auth_failed');
  });

  test('wrong path → camera_stream_not_found', async () => {
    const cam = await camera();
    await expectProbeError(
      {
        url: cam.url.replace('/cam', '/Streaming/Channels/999'),
        username: 'admin',
        password: PASSWORD,
        ...fast,
      },
      'camera_stream_not_found',
    );
  });

  test('nothing listening → camera_unreachable; unknown host → camera_unreachable', async () => {
    const port = await closedPort();
    await expectProbeError(
      { url: `rtsp://127.0.0.1:${port}/cam`, username: 'a', password: PASSWORD, ...fast },
      'camera_unreachable',
    );
    await expectProbeError({ url: 'rtsp://no-such-camera.invalid/cam', ...fast }, 'camera_unreachable');
  });

  test('a camera that accepts but never answers → camera_timeout', async () => {
    const silent = await silentCamera();
    cleanups.push(() => silent.close());
    const started = performance.now();
    const err = await expectProbeError(
      {
        url: silent.url,
        username: 'a',
        password: PASSWORD,
        readDurationMs: 1000,
        rtspTimeoutMs: 1500,
        timeoutMs: 6000,
      },
      'camera_timeout',
    );
    assert.ok(performance.now() - started < 6000, 'within the time limit');
    assert.match(err.message, /did not answer/);
  });

  test('the overall time limit holds even when ffprobe would wait longer', async () => {
    const silent = await silentCamera();
    cleanups.push(() => silent.close());
    const started = performance.now();
    await expectProbeError({ url: silent.url, rtspTimeoutMs: 30_000, timeoutMs: 1500 }, 'camera_timeout');
    assert.ok(performance.now() - started < 4000);
  });

  test('MJPEG camera → camera_codec_unsupported', async () => {
    const cam = await camera({ codec: 'mjpeg' });
    const err = await expectProbeError({ url: cam.url, ...fast }, 'camera_codec_unsupported');
    assert.match(err.message, /mjpeg/);
  });
});
