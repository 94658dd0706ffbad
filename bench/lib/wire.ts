/**
 * Cheap readers for the benchmark viewers: they count what arrives without copying payloads, so that
 * thousands of viewers fit in one client process.
 *
 * - WsFrameCounter: the server side of a WebSocket (RFC 6455, unmasked frames, no extensions), counts
 *   binary messages and keeps the text ones (the `{type:'closed'}` reason).
 * - BoxCounter: a plain fMP4 byte stream, counts top-level `moof` boxes (= fragments).
 */
import { randomBytes } from 'node:crypto';

export class WsFrameCounter {
  binaryMessages = 0;
  payloadBytes = 0;
  texts: string[] = [];
  closeReceived = false;
  private header = Buffer.alloc(14);
  private headerHave = 0;
  private remaining = 0;
  private opcode = 0;
  private text: Buffer[] | undefined;

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        if (this.text) this.text.push(chunk.subarray(at, at + take));
        this.remaining -= take;
        this.payloadBytes += take;
        at += take;
        if (this.remaining === 0) this.endFrame();
        continue;
      }
      // Frame header: 2 bytes, then 0, 2 or 8 bytes of extended length (server frames are unmasked).
      this.header[this.headerHave++] = chunk[at++]!;
      if (this.headerHave < 2) continue;
      const code = this.header[1]! & 0x7f;
      const need = code === 126 ? 4 : code === 127 ? 10 : 2;
      if (this.headerHave < need) continue;
      this.opcode = this.header[0]! & 0x0f;
      this.remaining =
        code === 126
          ? this.header.readUInt16BE(2)
          : code === 127
            ? Number(this.header.readBigUInt64BE(2))
            : code;
      this.headerHave = 0;
      this.text = this.opcode === 1 || this.opcode === 8 ? [] : undefined;
      if (this.remaining === 0) this.endFrame();
    }
  }

  private endFrame(): void {
    if (this.opcode === 2) this.binaryMessages++;
    else if (this.opcode === 1 && this.text) this.texts.push(Buffer.concat(this.text).toString('utf8'));
    else if (this.opcode === 8) this.closeReceived = true;
    this.text = undefined;
  }
}

export class BoxCounter {
  moofs = 0;
  bytes = 0;
  private header = Buffer.alloc(8);
  private headerHave = 0;
  private remaining = 0;

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        at += take;
        continue;
      }
      this.header[this.headerHave++] = chunk[at++]!;
      if (this.headerHave < 8) continue;
      this.headerHave = 0;
      const size = this.header.readUInt32BE(0);
      if (this.header.toString('latin1', 4, 8) === 'moof') this.moofs++;
      if (size < 8) throw new Error(`BoxCounter: box size ${size} (64-bit sizes are not expected here)`);
      this.remaining = size - 8;
    }
  }
}

/** The HTTP request that opens a WebSocket (no extensions offered, so frames are plain). */
export function upgradeRequest(host: string, pathAndQuery: string, cookie: string | undefined): string {
  return (
    `GET ${pathAndQuery} HTTP/1.1\r\n` +
    `Host: ${host}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
    'Sec-WebSocket-Version: 13\r\n' +
    'User-Agent: okno-bench\r\n' +
    (cookie ? `Cookie: ${cookie}\r\n` : '') +
    '\r\n'
  );
}

/** The mfhd sequence number of an fMP4 fragment (moof + mdat, maybe after styp/sidx/prft), or -1. */
export function fragmentSequence(data: Buffer): number {
  let at = 0;
  while (at + 8 <= data.length) {
    const size = data.readUInt32BE(at);
    const type = data.toString('latin1', at + 4, at + 8);
    if (type === 'moof') {
      let child = at + 8;
      const end = Math.min(data.length, at + size);
      while (child + 8 <= end) {
        const childSize = data.readUInt32BE(child);
        if (data.toString('latin1', child + 4, child + 8) === 'mfhd' && child + 16 <= end)
          return data.readUInt32BE(child + 12);
        if (childSize < 8) return -1;
        child += childSize;
      }
      return -1;
    }
    if (size < 8) return -1;
    at += size;
  }
  return -1;
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/**
 * The wall-clock time (epoch ms) in a `prft` box at the start of a fragment, as ffmpeg writes it with
 * `-write_prft wallclock`: the moment the muxer wrote that fragment. Undefined without one.
 */
export function prftWallclockMs(data: Buffer): number | undefined {
  if (data.length < 24 || data.toString('latin1', 4, 8) !== 'prft') return undefined;
  const seconds = data.readUInt32BE(16);
  const fraction = data.readUInt32BE(20);
  return (seconds - NTP_UNIX_OFFSET_S) * 1000 + (fraction / 2 ** 32) * 1000;
}
