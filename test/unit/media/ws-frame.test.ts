/** The pre-built WebSocket frame header of the live path (RFC 6455 §5.2), for every length class. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryFrameHeader } from '../../../src/media/ws-frame.js';

test('binary frame headers: FIN + opcode 2, unmasked, 7-, 16- and 64-bit lengths; shared per buffer', () => {
  const cases: [number, number[]][] = [
    [0, [0x82, 0]],
    [125, [0x82, 125]],
    [126, [0x82, 126, 0, 126]],
    [65535, [0x82, 126, 0xff, 0xff]],
    [65536, [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
    [300_000, [0x82, 127, 0, 0, 0, 0, 0, 0x04, 0x93, 0xe0]],
  ];
  for (const [n, bytes] of cases) {
    const data = Buffer.alloc(n);
    assert.deepEqual([...binaryFrameHeader(data)], bytes, `length ${n}`);
    assert.equal(binaryFrameHeader(data), binaryFrameHeader(data));
  }
});
