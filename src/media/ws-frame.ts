/**
 * WebSocket framing for the live fan-out. A server's frames are not masked (RFC 6455 §5.1), so the
 * frame of a fragment is the same bytes for every viewer: its header is built once per fragment
 * (cached by the fragment's buffer) and written with the fragment straight to each viewer's TCP
 * socket, instead of ws building a header, an options object and a callback per viewer and send.
 */
const frameHeaders = new WeakMap<Buffer, Buffer>();
const frames = new WeakMap<Buffer, Buffer>();

/**
 * The whole frame (header + data) of a fragment, built once per fragment and shared by every viewer:
 * one `socket.write` per viewer and fragment, no cork/uncork and no two-chunk writev (measured in
 * `npm run bench -- --only fanout`; one copy of the fragment per camera is far cheaper than the
 * per-viewer work it saves). Cached by the fragment's buffer, so it lives as long as the fragment.
 */
export function binaryFrame(data: Buffer): Buffer {
  let f = frames.get(data);
  if (f) return f;
  f = Buffer.concat([binaryFrameHeader(data), data]);
  frames.set(data, f);
  return f;
}

/** The header of an unmasked, final, binary WebSocket frame (RFC 6455 §5.2) carrying `data`. */
export function binaryFrameHeader(data: Buffer): Buffer {
  let h = frameHeaders.get(data);
  if (h) return h;
  const n = data.length;
  if (n < 126) {
    h = Buffer.from([0x82, n]);
  } else if (n < 65536) {
    h = Buffer.alloc(4);
    h[0] = 0x82;
    h[1] = 126;
    h.writeUInt16BE(n, 2);
  } else {
    h = Buffer.alloc(10);
    h[0] = 0x82;
    h[1] = 127;
    h.writeBigUInt64BE(BigInt(n), 2);
  }
  frameHeaders.set(data, h);
  return h;
}

const batchFrames = new WeakMap<object, Buffer>();

/**
 * The frames of several fragments back to back (one WebSocket message each), built once per batch and
 * shared by every viewer: one `socket.write` per viewer for the whole batch (merged writes, see
 * media/hub.ts). Cached by the batch object, so it lives as long as the batch.
 */
export function binaryFrames(batch: { readonly fragments: readonly { readonly data: Buffer }[] }): Buffer {
  let f = batchFrames.get(batch);
  if (f) return f;
  const parts: Buffer[] = [];
  for (const fragment of batch.fragments) parts.push(binaryFrameHeader(fragment.data), fragment.data);
  f = Buffer.concat(parts);
  batchFrames.set(batch, f);
  return f;
}
