/**
 * Segment files on disk are plain fragmented MP4: the init segment (ftyp + moov) followed by the
 * camera's fragments ([styp…] moof + mdat) exactly as ingest produced them. This module reads such a
 * file back — to salvage one cut short by a crash up to its last complete fragment — and shifts the
 * decode times of fragments, for clips that join several ingest runs into one MP4.
 */
import { Fmp4Parser, type Fragment, type InitSegment } from '../media/fmp4.js';

export interface ScannedFragment {
  /** Byte offset of the fragment (its first box) in the file. */
  offset: number;
  fragment: Fragment;
}

export interface ScannedFile {
  init: InitSegment | undefined;
  initBytes: number;
  fragments: ScannedFragment[];
  /** Bytes from the start of the file up to the end of the last complete fragment. */
  validBytes: number;
  /** Why the scan stopped before the end of the data, if it did. */
  stoppedBecause: string | undefined;
}

interface TopBox {
  type: string;
  start: number;
  end: number;
}

const PRINTABLE = /^[\x20-\x7e]{4}$/;

/** The complete top-level boxes at the start of `buf`; stops at the first cut or invalid header. */
function topLevelBoxes(buf: Buffer): { boxes: TopBox[]; problem: string | undefined } {
  const boxes: TopBox[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 8) return { boxes, problem: `cut box header at byte ${at}` };
    const size32 = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (!PRINTABLE.test(type)) return { boxes, problem: `invalid box type at byte ${at}` };
    let size = size32;
    if (size32 === 1) {
      if (buf.length - at < 16) return { boxes, problem: `cut box header at byte ${at}` };
      const big = buf.readBigUInt64BE(at + 8);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return { boxes, problem: `box too large at byte ${at}` };
      size = Number(big);
      if (size < 16) return { boxes, problem: `invalid box size at byte ${at}` };
    } else if (size32 < 8) {
      return { boxes, problem: `invalid box size ${size32} at byte ${at}` };
    }
    if (at + size > buf.length) return { boxes, problem: `'${type}' box cut at byte ${buf.length}` };
    boxes.push({ type, start: at, end: at + size });
    at += size;
  }
  return { boxes, problem: undefined };
}

/**
 * Reads a segment file's bytes: the init segment and every complete fragment, stopping at the first
 * incomplete or malformed box (what a crash mid-write leaves behind).
 */
export function scanSegmentFile(buf: Buffer): ScannedFile {
  const { boxes, problem } = topLevelBoxes(buf);
  const parser = new Fmp4Parser({ maxBoxBytes: 256 * 1024 * 1024 });
  const out: ScannedFile = {
    init: undefined,
    initBytes: 0,
    fragments: [],
    validBytes: 0,
    stoppedBecause: problem,
  };
  // Feed the parser one unit at a time: the init boxes, then each fragment ending with its mdat.
  let unitStart = 0;
  for (const box of boxes) {
    const unitEnd = box.end;
    const completesUnit = box.type === 'moov' || box.type === 'mdat';
    if (!completesUnit) continue;
    let items;
    try {
      items = parser.push(buf.subarray(unitStart, unitEnd));
    } catch (err) {
      out.stoppedBecause = `malformed at byte ${unitStart}: ${err instanceof Error ? err.message : String(err)}`;
      return out;
    }
    for (const item of items) {
      if (item.type === 'init') {
        out.init = item.init;
        out.initBytes = unitEnd;
      } else {
        out.fragments.push({ offset: unitEnd - item.fragment.data.length, fragment: item.fragment });
      }
    }
    out.validBytes = unitEnd;
    unitStart = unitEnd;
  }
  if (!out.stoppedBecause && out.validBytes < buf.length)
    out.stoppedBecause = `trailing bytes after byte ${out.validBytes}`;
  return out;
}

/**
 * Moves the tfdt (base media decode time) of every track fragment in `buf` — any number of whole
 * fragments — by `shiftTicks.get(trackId)` ticks of that track's timescale, in place. Throws when a
 * result does not fit its box or would be negative.
 */
export function shiftDecodeTimesInPlace(buf: Buffer, shiftTicks: ReadonlyMap<number, number>): void {
  const { boxes } = topLevelBoxes(buf);
  for (const moof of boxes) {
    if (moof.type !== 'moof') continue;
    for (const traf of children(buf, moof.start + 8, moof.end)) {
      if (traf.type !== 'traf') continue;
      const kids = children(buf, traf.start + 8, traf.end);
      const tfhd = kids.find((k) => k.type === 'tfhd');
      const tfdt = kids.find((k) => k.type === 'tfdt');
      if (!tfhd || !tfdt) continue;
      const shift = Math.round(shiftTicks.get(buf.readUInt32BE(tfhd.start + 12)) ?? 0);
      if (shift === 0) continue;
      if (buf.readUInt8(tfdt.start + 8) === 1) {
        const v = buf.readBigUInt64BE(tfdt.start + 12) + BigInt(shift);
        if (v < 0n) throw new Error('decode time would be negative');
        buf.writeBigUInt64BE(v, tfdt.start + 12);
      } else {
        const v = buf.readUInt32BE(tfdt.start + 12) + shift;
        if (v < 0 || v > 0xffffffff) throw new Error('decode time does not fit a version 0 tfdt');
        buf.writeUInt32BE(v, tfdt.start + 12);
      }
    }
  }
}

function children(buf: Buffer, start: number, end: number): TopBox[] {
  const out: TopBox[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = buf.readUInt32BE(at);
    if (size === 1) size = Number(buf.readBigUInt64BE(at + 8));
    else if (size === 0) size = end - at;
    if (size < 8 || at + size > end) break;
    out.push({ type: buf.toString('latin1', at + 4, at + 8), start: at, end: at + size });
    at += size;
  }
  return out;
}

/** Milliseconds of a fragment's primary track (0 when its timing is unknown). */
export function fragmentMs(f: Fragment): number {
  return f.durationTicks !== undefined && f.timescale ? (f.durationTicks * 1000) / f.timescale : 0;
}
