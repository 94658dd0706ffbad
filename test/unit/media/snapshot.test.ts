import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Fmp4Parser } from '../../../src/media/fmp4.js';
import type { Fragment, InitSegment } from '../../../src/media/fmp4.js';
import { takeSnapshot } from '../../../src/media/snapshot.js';
import { MediaError } from '../../../src/media/errors.js';
import { H264_AAC_ARGS, ffmpegFixtures } from './helpers.js';
import type { Fixtures } from './helpers.js';

describe('takeSnapshot (real ffmpeg)', () => {
  let fixtures: Fixtures;
  let init: InitSegment;
  let keyframes: Fragment[];

  before(async () => {
    fixtures = await ffmpegFixtures();
    const items = new Fmp4Parser().push(await fixtures.load('snap.mp4', H264_AAC_ARGS));
    const first = items[0];
    assert.ok(first?.type === 'init');
    init = first.init;
    keyframes = items.flatMap((i) => (i.type === 'fragment' && i.fragment.keyframe ? [i.fragment] : []));
  });

  after(async () => {
    await fixtures.cleanup();
  });

  test('one JPEG from init + a keyframe fragment (any keyframe, not only the first)', async () => {
    for (const keyframe of [keyframes[0]!, keyframes[2]!]) {
      const jpeg = await takeSnapshot(init.data, keyframe.data, { width: 160 });
      assert.deepEqual([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
      assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
    }
  });

  test('undecodable input is a MediaError, not a hang', async () => {
    await assert.rejects(
      takeSnapshot(init.data, Buffer.alloc(1000, 0x42), { timeoutMs: 5000 }),
      (err: unknown) => err instanceof MediaError && err.code === 'ffmpeg_failed',
    );
  });
});
