/** The pre-built WebSocket frames of the live path (RFC 6455 §5.2), for every length class. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Writable } from 'node:stream';
import * as ws from 'ws';
import { binaryFrameHeader, binaryFrames } from '../../../src/media/ws-frame.js';

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

test('a merged write is the frames of its fragments back to back: a WebSocket client reads one message each', async () => {
  const fragments = [100, 70_000, 3].map((n, i) => ({ data: Buffer.alloc(n, i + 1) }));
  const batch = { fragments };
  const bytes = binaryFrames(batch);
  assert.equal(binaryFrames(batch), bytes, 'built once per batch');
  // ws's own parser, as a client (server frames are unmasked); @types/ws does not declare it.
  const { Receiver } = ws as unknown as { Receiver: new (o: { isServer: boolean }) => Writable };
  const receiver = new Receiver({ isServer: false });
  const messages: Buffer[] = [];
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    assert.equal(isBinary, true);
    messages.push(data);
  });
  await new Promise<void>((resolve, reject) =>
    receiver.write(bytes, (err?: Error | null) => (err ? reject(err) : resolve())),
  );
  assert.deepEqual(
    messages.map((m) => [m.length, m[0]]),
    [
      [100, 1],
      [70_000, 2],
      [3, 3],
    ],
  );
});
