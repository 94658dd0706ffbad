/**
 * Privacy-mask rectangles and the ffmpeg filter graph (src/recording/masking.ts): bad rectangles are
 * refused with a message naming the first bad one; the graph blurs regions first and fills every
 * mask last, widened to even pixels. The measured result is in
 * test/integration/recording/citizen-request.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskFilterGraph, MAX_RECTS, validateRects } from '../../../src/recording/masking.js';
import { AppError } from '../../../src/shared/errors.js';

const R = { x: 0.1, y: 0.2, w: 0.3, h: 0.4 };

test('rectangles inside the picture pass (rounded to 6 decimals)', () => {
  assert.deepEqual(validateRects([R, { x: 0, y: 0, w: 1, h: 1 }], 'mask'), [R, { x: 0, y: 0, w: 1, h: 1 }]);
  assert.deepEqual(validateRects([{ x: 1 / 3, y: 0, w: 1 / 3, h: 0.5 }], 'mask')[0]?.x, 0.333333);
});

test('bad rectangles: a clear message naming the rectangle', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...R, x: -0.1 }, /mask 2: x and y must be between 0 and 1/],
    [{ ...R, y: 1.5 }, /mask 2: x and y must be between 0 and 1/],
    [{ ...R, w: 0 }, /mask 2: width and height must be above 0/],
    [{ ...R, h: -0.2 }, /mask 2: width and height must be above 0/],
    [{ ...R, w: 0.001 }, /mask 2: too small/],
    [{ ...R, x: 0.8, w: 0.3 }, /mask 2: goes past the edge of the picture/],
    [{ ...R, w: Number.NaN }, /mask 2: w must be a number/],
  ];
  for (const [bad, message] of cases)
    assert.throws(
      () => validateRects([R, bad as typeof R], 'mask'),
      (e: unknown) => e instanceof AppError && e.code === 'validation_failed' && message.test(e.message),
      String(message),
    );
  assert.throws(
    () =>
      validateRects(
        Array.from({ length: MAX_RECTS + 1 }, () => R),
        'region',
      ),
    /at most 32/,
  );
});

test('filter graph: regions blurred first, masks filled last, boxes on even pixels', () => {
  const g = maskFilterGraph([R], [{ x: 0.5, y: 0.5, w: 0.25, h: 0.25 }], 'blur');
  const blur = g.indexOf('gblur');
  const fill = g.indexOf('drawbox');
  assert.ok(blur > 0 && fill > blur, g);
  assert.match(
    g,
    /drawbox=x=trunc\(iw\*0\.1\/2\)\*2:y=trunc\(ih\*0\.2\/2\)\*2:w=min\(iw\\,ceil\(iw\*0\.4\/2\)\*2\)-/,
  );
  assert.match(g, /color=black:t=fill,format=yuv420p\[out\]$/);
  // fill style: the regions are filled too, no blur at all
  const f = maskFilterGraph([R], [{ x: 0.5, y: 0.5, w: 0.25, h: 0.25 }], 'fill');
  assert.equal(f.includes('gblur'), false);
  assert.equal(f.split('drawbox').length - 1, 2);
  // nothing to hide: the picture passes unchanged (still one labelled output)
  assert.equal(maskFilterGraph([], [], 'blur'), '[0:v]format=yuv420p[out]');
});
