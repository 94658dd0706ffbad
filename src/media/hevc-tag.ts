/**
 * H.265 sample entry `hev1` → `hvc1`. ffmpeg remuxes HEVC into MP4 as `hev1` (parameter sets may
 * come in band), which Chromium's MSE accepts but Apple's players do not: Safari (native HLS, and
 * Media Source on iPhone) plays HEVC in fMP4 only as `hvc1` (parameter sets in the `hvcC` record).
 * Cameras announce their VPS/SPS/PPS in the SDP, so ffmpeg's `hvcC` already carries them; the
 * init segment is then rewritten here (the four-character code, and the `array_completeness` bit of
 * the parameter-set arrays, as 14496-15 §8.3.3 asks of `hvc1`), and the codec strings with it.
 * An `hev1` entry whose `hvcC` lacks an SPS is left as it is (relabelling it would not decode).
 */
import type { InitSegment } from './fmp4.js';

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);
/** VPS, SPS, PPS NAL unit types. */
const PARAMETER_SETS = new Set([32, 33, 34]);

/** The init segment with every usable `hev1` entry turned into `hvc1`; the same object if none. */
export function withHvc1Tag(init: InitSegment): InitSegment {
  if (!init.codecs.some((c) => c.startsWith('hev1'))) return init;
  const data = Buffer.from(init.data);
  let changed = false;
  walk(data, 0, data.length, (type, body, end) => {
    if (type !== 'stsd') return;
    // stsd: version/flags (4), entry_count (4), then the sample entries
    forEachBox(data, body + 8, end, (entryType, entryStart, entryBody, entryEnd) => {
      if (entryType !== 'hev1') return;
      // VisualSampleEntry: 78 bytes before its child boxes
      forEachBox(data, entryBody + 78, entryEnd, (childType, _s, childBody, childEnd) => {
        if (childType !== 'hvcC' || !completeParameterSets(data, childBody, childEnd)) return;
        data.write('hvc1', entryStart + 4, 'latin1');
        changed = true;
      });
    });
  });
  if (!changed) return init;
  const codecs = init.codecs.map((c) => (c.startsWith('hev1') ? `hvc1${c.slice(4)}` : c));
  return {
    ...init,
    data,
    codecs,
    mimeType: init.mimeType.replace(/codecs="[^"]*"/, `codecs="${codecs.join(',')}"`),
    tracks: init.tracks.map((t) =>
      t.sampleEntry === 'hev1' ? { ...t, sampleEntry: 'hvc1', codec: `hvc1${t.codec.slice(4)}` } : t,
    ),
  };
}

/** Marks the parameter-set arrays complete; false (nothing changed) when there is no SPS. */
function completeParameterSets(buf: Buffer, body: number, end: number): boolean {
  // HEVCDecoderConfigurationRecord: 22 bytes, numOfArrays, then the arrays
  if (body + 23 > end) return false;
  const arrays = buf.readUInt8(body + 22);
  const heads: number[] = [];
  let at = body + 23;
  let sps = false;
  for (let i = 0; i < arrays; i++) {
    if (at + 3 > end) return false;
    const nalType = buf.readUInt8(at) & 0x3f;
    const count = buf.readUInt16BE(at + 1);
    if (PARAMETER_SETS.has(nalType)) heads.push(at);
    if (nalType === 33 && count > 0) sps = true;
    at += 3;
    for (let n = 0; n < count; n++) {
      if (at + 2 > end) return false;
      at += 2 + buf.readUInt16BE(at);
    }
    if (at > end) return false;
  }
  if (!sps) return false;
  for (const h of heads) buf.writeUInt8(buf.readUInt8(h) | 0x80, h);
  return true;
}

function walk(
  buf: Buffer,
  start: number,
  end: number,
  visit: (type: string, body: number, end: number) => void,
): void {
  forEachBox(buf, start, end, (type, _s, body, boxEnd) => {
    visit(type, body, boxEnd);
    if (CONTAINERS.has(type)) walk(buf, body, boxEnd, visit);
  });
}

function forEachBox(
  buf: Buffer,
  start: number,
  end: number,
  visit: (type: string, start: number, body: number, end: number) => void,
): void {
  let at = start;
  while (at + 8 <= end) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let body = at + 8;
    if (size === 1) {
      if (at + 16 > end) return;
      size = Number(buf.readBigUInt64BE(at + 8));
      body = at + 16;
    } else if (size === 0) size = end - at;
    if (size < body - at || at + size > end) return;
    visit(type, at, body, at + size);
    at += size;
  }
}
