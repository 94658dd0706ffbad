/**
 * Incremental fragmented-MP4 (ISO BMFF) splitter for ffmpeg's `-movflags +frag_keyframe+empty_moov`
 * output: the init segment (ftyp + moov) once, then one Buffer per fragment (moof + mdat, with any
 * styp/sidx/prft/emsg boxes that came before the moof attached in front). Each fragment is marked as
 * a keyframe from the flags of its first video sample, and carries its decode time and duration.
 *
 * The splitter never trusts the input: every box header is checked (known top-level type, sane size,
 * in the right order) before its bytes are awaited, so garbage fails fast with a MediaFormatError and
 * memory stays bounded by the largest allowed box.
 */
import { MediaFormatError } from './errors.js';

export type TrackKind = 'video' | 'audio' | 'other';

export interface TrackInfo {
  trackId: number;
  kind: TrackKind;
  /** hdlr handler type, e.g. 'vide', 'soun'. */
  handler: string;
  /** Ticks per second of this track's media time (mdhd). */
  timescale: number;
  /** Sample entry four-character code: 'avc1', 'hvc1', 'hev1', 'mp4a', … */
  sampleEntry: string;
  /** RFC 6381 codec string for MSE, e.g. 'avc1.64001f', 'hvc1.1.6.L93.B0', 'mp4a.40.2'. */
  codec: string;
  width?: number;
  height?: number;
  channels?: number;
  sampleRateHz?: number;
  /** Defaults from moov/mvex/trex, used when a fragment does not say otherwise. */
  defaultSampleDuration: number;
  defaultSampleFlags: number;
}

export interface InitSegment {
  /** ftyp + moov, exactly as received. */
  data: Buffer;
  tracks: TrackInfo[];
  /** Codec strings in track order. */
  codecs: string[];
  /** `video/mp4; codecs="…"` (or `audio/mp4` without a video track), for MediaSource.isTypeSupported. */
  mimeType: string;
  width?: number;
  height?: number;
  /** The track whose samples decide keyframes and timing: the first video track, else the first track. */
  primaryTrackId: number;
}

export interface Fragment {
  /** [styp/sidx/prft/emsg…] + moof + mdat (+ any free/skip between them), one contiguous copy. */
  data: Buffer;
  /** The first sample of the primary (video) track is a sync sample. */
  keyframe: boolean;
  /** mfhd sequence number. */
  sequenceNumber: number;
  /** Primary track the fields below describe. */
  trackId: number;
  /** tfdt baseMediaDecodeTime of the primary track, in `timescale` ticks; undefined without tfdt. */
  decodeTime?: number;
  /** Sum of the primary track's sample durations in this fragment, in `timescale` ticks. */
  durationTicks?: number;
  timescale?: number;
  /** Samples (frames, for video) of the primary track in this fragment. */
  sampleCount: number;
}

export type Fmp4Item = { type: 'init'; init: InitSegment } | { type: 'fragment'; fragment: Fragment };

export interface Fmp4ParserOptions {
  /** Largest box accepted (mdat included). Default 32 MiB. */
  maxBoxBytes?: number;
}

export const DEFAULT_MAX_BOX_BYTES = 32 * 1024 * 1024;

/** Top-level box types and the largest size that makes sense for each (before maxBoxBytes). */
const TOP_LEVEL_LIMIT_BYTES: Readonly<Record<string, number>> = {
  ftyp: 4096,
  styp: 4096,
  moov: 8 * 1024 * 1024,
  moof: 8 * 1024 * 1024,
  mdat: Number.MAX_SAFE_INTEGER,
  sidx: 1024 * 1024,
  ssix: 1024 * 1024,
  prft: 1024,
  emsg: 1024 * 1024,
  free: 1024 * 1024,
  skip: 1024 * 1024,
  wide: 1024,
  uuid: 1024 * 1024,
  pdin: 1024 * 1024,
  meta: 1024 * 1024,
  udta: 1024 * 1024,
  mfra: 8 * 1024 * 1024,
};

/** Boxes that may precede a moof and travel with its fragment. */
const FRAGMENT_PREFIX = new Set(['styp', 'sidx', 'ssix', 'prft', 'emsg', 'free', 'skip', 'uuid']);
/** Boxes ignored wherever they appear outside a fragment. */
const IGNORED = new Set(['free', 'skip', 'wide', 'uuid', 'pdin', 'meta', 'udta', 'mfra']);
const MAX_PREFIX_BOXES = 16;
const MAX_PREFIX_BYTES = 1024 * 1024;

/** Sample flags: sample_is_non_sync_sample (ISO/IEC 14496-12 §8.8.3.1). */
const SAMPLE_IS_NON_SYNC = 0x00010000;

type ParserState = 'init' | 'moof' | 'mdat' | 'failed';

interface PendingHeader {
  type: string;
  size: number;
}

/**
 * Push bytes as they arrive (any chunking); each call returns the items completed by those bytes.
 * Throws MediaFormatError on malformed input; after that the parser stays failed (every later push
 * throws the same error), since the stream can no longer be trusted.
 */
export class Fmp4Parser {
  private readonly queue = new ByteQueue();
  private readonly maxBoxBytes: number;
  private state: ParserState = 'init';
  private header: PendingHeader | undefined;
  private ftyp: Buffer | undefined;
  private initSegment: InitSegment | undefined;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private moofInfo: MoofInfo | undefined;
  private failure: MediaFormatError | undefined;
  private consumedBytes = 0;

  constructor(options: Fmp4ParserOptions = {}) {
    this.maxBoxBytes = options.maxBoxBytes ?? DEFAULT_MAX_BOX_BYTES;
  }

  get init(): InitSegment | undefined {
    return this.initSegment;
  }

  /** Bytes received but not yet part of an emitted item (a partial box). */
  get bufferedBytes(): number {
    return this.queue.length + this.partsBytes;
  }

  push(chunk: Buffer): Fmp4Item[] {
    if (this.failure) throw this.failure;
    this.queue.push(chunk);
    const items: Fmp4Item[] = [];
    try {
      for (;;) {
        const header = this.header ?? this.readHeader();
        if (!header) break;
        this.header = header;
        if (this.queue.length < header.size) break;
        const box = this.queue.take(header.size);
        this.header = undefined;
        this.consumedBytes += header.size;
        const item = this.onBox(header.type, box);
        if (item) items.push(item);
      }
    } catch (err) {
      this.failure =
        err instanceof MediaFormatError
          ? err
          : new MediaFormatError(`malformed fMP4: ${err instanceof Error ? err.message : String(err)}`);
      this.state = 'failed';
      this.queue.clear();
      this.parts = [];
      this.partsBytes = 0;
      throw this.failure;
    }
    return items;
  }

  private readHeader(): PendingHeader | undefined {
    if (this.queue.length < 8) return undefined;
    const head = this.queue.peek(8);
    const size32 = head.readUInt32BE(0);
    const type = fourcc(head, 4);
    const at = `at byte ${this.consumedBytes}`;
    if (!isPrintableFourcc(head, 4)) {
      throw new MediaFormatError(
        `not an MP4 stream: invalid box type 0x${head.subarray(4, 8).toString('hex')} ${at}`,
      );
    }
    const limit = TOP_LEVEL_LIMIT_BYTES[type];
    if (limit === undefined) throw new MediaFormatError(`unexpected top-level box '${type}' ${at}`);
    let size = size32;
    if (size32 === 1) {
      if (this.queue.length < 16) return undefined;
      const big = this.queue.peek(16).readBigUInt64BE(8);
      size = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
      if (size < 16) throw new MediaFormatError(`box '${type}' has invalid 64-bit size ${big} ${at}`);
    } else if (size32 === 0) {
      throw new MediaFormatError(
        `box '${type}' extends to end of stream (size 0), not allowed in a live stream ${at}`,
      );
    } else if (size32 < 8) {
      throw new MediaFormatError(`box '${type}' has invalid size ${size32} ${at}`);
    }
    const cap = Math.min(limit, this.maxBoxBytes);
    if (size > cap)
      throw new MediaFormatError(`box '${type}' of ${size} bytes exceeds the limit of ${cap} bytes ${at}`);
    this.checkOrder(type, at);
    return { type, size };
  }

  /** Rejects a box that cannot come next, before waiting for its bytes. */
  private checkOrder(type: string, at: string): void {
    switch (this.state) {
      case 'init':
        if (type === 'ftyp' && !this.ftyp) return;
        if (type === 'moov' || IGNORED.has(type)) return;
        throw new MediaFormatError(`expected ftyp/moov but got '${type}' ${at}`);
      case 'moof':
        if (type === 'moof' || FRAGMENT_PREFIX.has(type) || IGNORED.has(type)) return;
        throw new MediaFormatError(
          type === 'moov' || type === 'ftyp'
            ? `unexpected second init segment ('${type}') ${at}`
            : `expected moof but got '${type}' ${at}`,
        );
      case 'mdat':
        if (type === 'mdat' || type === 'free' || type === 'skip') return;
        throw new MediaFormatError(`expected mdat after moof but got '${type}' ${at}`);
      case 'failed':
        throw new MediaFormatError('parser already failed');
    }
  }

  private onBox(type: string, box: Buffer): Fmp4Item | undefined {
    switch (this.state) {
      case 'init':
        if (type === 'ftyp') {
          this.ftyp = box;
          return undefined;
        }
        if (type !== 'moov') return undefined; // ignored box before the init segment
        {
          const data = this.ftyp ? Buffer.concat([this.ftyp, box]) : Buffer.from(box);
          this.ftyp = undefined;
          this.initSegment = parseInitSegment(data);
          this.state = 'moof';
          return { type: 'init', init: this.initSegment };
        }
      case 'moof':
        if (type === 'moof') {
          this.moofInfo = parseMoof(box);
          this.addPart(box);
          this.state = 'mdat';
          return undefined;
        }
        if (type === 'mfra') return undefined;
        if (FRAGMENT_PREFIX.has(type)) {
          if (this.parts.length >= MAX_PREFIX_BOXES || this.partsBytes + box.length > MAX_PREFIX_BYTES) {
            throw new MediaFormatError('too many boxes before moof');
          }
          this.addPart(box);
        }
        return undefined;
      case 'mdat':
        this.addPart(box);
        if (type !== 'mdat') return undefined;
        return { type: 'fragment', fragment: this.finishFragment() };
      case 'failed':
        throw new MediaFormatError('parser already failed');
    }
  }

  private addPart(box: Buffer): void {
    this.parts.push(box);
    this.partsBytes += box.length;
  }

  private finishFragment(): Fragment {
    const init = this.initSegment;
    const moof = this.moofInfo;
    if (!init || !moof) throw new MediaFormatError('fragment without init segment');
    const data = Buffer.concat(this.parts, this.partsBytes);
    this.parts = [];
    this.partsBytes = 0;
    this.moofInfo = undefined;
    this.state = 'moof';
    return describeFragment(data, moof, init);
  }
}

// ---------------------------------------------------------------------------------------------------
// Byte queue: chunks kept as received, consumed from the front without quadratic copying.

class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0; // index of the first live chunk
  private offset = 0; // bytes already consumed from chunks[head]
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.length = 0;
  }

  /** The first n bytes (n ≤ length), without consuming them. */
  peek(n: number): Buffer {
    const first = this.chunks[this.head];
    if (first && first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let offset = this.offset;
    for (let i = this.head; filled < n; i++) {
      const chunk = this.chunks[i];
      if (!chunk) throw new MediaFormatError('internal: peek past end');
      const copied = chunk.copy(out, filled, offset, Math.min(chunk.length, offset + n - filled));
      filled += copied;
      offset = 0;
    }
    return out;
  }

  /** Consumes n bytes (n ≤ length). A view when they lie in one chunk, else a copy. */
  take(n: number): Buffer {
    const first = this.chunks[this.head];
    let out: Buffer;
    if (first && first.length - this.offset >= n) {
      out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[this.head];
        if (!chunk) throw new MediaFormatError('internal: take past end');
        const copied = chunk.copy(out, filled, this.offset, Math.min(chunk.length, this.offset + n - filled));
        filled += copied;
        this.offset += copied;
        if (this.offset === chunk.length) this.advance();
      }
    }
    const current = this.chunks[this.head];
    if (current && this.offset === current.length) this.advance();
    this.length -= n;
    return out;
  }

  private advance(): void {
    this.chunks[this.head] = EMPTY;
    this.head++;
    this.offset = 0;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------------------------------------------
// Box reading helpers. Every read is bounds-checked and fails with MediaFormatError.

interface BoxRef {
  type: string;
  /** Offset of the box header in the buffer. */
  start: number;
  /** Offset of the payload (after the header). */
  body: number;
  /** Offset one past the box. */
  end: number;
}

function fourcc(buf: Buffer, at: number): string {
  return buf.toString('latin1', at, at + 4);
}

function isPrintableFourcc(buf: Buffer, at: number): boolean {
  for (let i = at; i < at + 4; i++) {
    const c = buf[i];
    if (c === undefined || c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function need(buf: Buffer, at: number, bytes: number, end: number, what: string): void {
  if (at < 0 || at + bytes > end || at + bytes > buf.length) {
    throw new MediaFormatError(`truncated ${what}`);
  }
}

function u8(buf: Buffer, at: number, end: number, what: string): number {
  need(buf, at, 1, end, what);
  return buf.readUInt8(at);
}
function u16(buf: Buffer, at: number, end: number, what: string): number {
  need(buf, at, 2, end, what);
  return buf.readUInt16BE(at);
}
function u32(buf: Buffer, at: number, end: number, what: string): number {
  need(buf, at, 4, end, what);
  return buf.readUInt32BE(at);
}
function u64(buf: Buffer, at: number, end: number, what: string): number {
  need(buf, at, 8, end, what);
  const v = buf.readBigUInt64BE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MediaFormatError(`${what}: 64-bit value too large`);
  return Number(v);
}

/** Child boxes of [start, end). */
function childBoxes(buf: Buffer, start: number, end: number, parent: string): BoxRef[] {
  const out: BoxRef[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 8) throw new MediaFormatError(`truncated box header inside '${parent}'`);
    const size32 = u32(buf, at, end, parent);
    const type = fourcc(buf, at + 4);
    let size = size32;
    let body = at + 8;
    if (size32 === 1) {
      size = u64(buf, at + 8, end, `${type} size`);
      body = at + 16;
    } else if (size32 === 0) {
      size = end - at;
    }
    if (size < body - at || at + size > end) {
      throw new MediaFormatError(`box '${type}' of size ${size} does not fit inside '${parent}'`);
    }
    out.push({ type, start: at, body, end: at + size });
    at += size;
    if (out.length > 10_000) throw new MediaFormatError(`too many boxes inside '${parent}'`);
  }
  return out;
}

function findChild(buf: Buffer, parent: BoxRef, type: string, skip = 0): BoxRef | undefined {
  return childBoxes(buf, parent.body + skip, parent.end, parent.type).find((b) => b.type === type);
}

// ---------------------------------------------------------------------------------------------------
// Init segment (moov).

/** Parses ftyp+moov (or moov alone) into track descriptions and the MSE codec string. */
export function parseInitSegment(data: Buffer): InitSegment {
  try {
    const top = childBoxes(data, 0, data.length, 'init segment');
    const moov = top.find((b) => b.type === 'moov');
    if (!moov) throw new MediaFormatError('init segment has no moov box');
    const moovChildren = childBoxes(data, moov.body, moov.end, 'moov');
    const trex = new Map<number, { duration: number; flags: number }>();
    const mvex = moovChildren.find((b) => b.type === 'mvex');
    if (mvex) {
      for (const box of childBoxes(data, mvex.body, mvex.end, 'mvex')) {
        if (box.type !== 'trex') continue;
        const trackId = u32(data, box.body + 4, box.end, 'trex');
        trex.set(trackId, {
          duration: u32(data, box.body + 12, box.end, 'trex'),
          flags: u32(data, box.body + 20, box.end, 'trex'),
        });
      }
    }
    const tracks: TrackInfo[] = [];
    for (const trak of moovChildren) {
      if (trak.type !== 'trak') continue;
      const track = parseTrak(data, trak, trex);
      if (track) tracks.push(track);
    }
    if (tracks.length === 0) throw new MediaFormatError('init segment has no tracks');
    const primary = tracks.find((t) => t.kind === 'video') ?? tracks[0];
    if (!primary) throw new MediaFormatError('init segment has no tracks');
    const codecs = tracks.filter((t) => t.kind !== 'other').map((t) => t.codec);
    const hasVideo = tracks.some((t) => t.kind === 'video');
    const init: InitSegment = {
      data,
      tracks,
      codecs,
      mimeType: `${hasVideo ? 'video' : 'audio'}/mp4; codecs="${codecs.join(',')}"`,
      primaryTrackId: primary.trackId,
    };
    if (primary.kind === 'video') {
      if (primary.width !== undefined) init.width = primary.width;
      if (primary.height !== undefined) init.height = primary.height;
    }
    return init;
  } catch (err) {
    throw asFormatError(err, 'init segment');
  }
}

function parseTrak(
  buf: Buffer,
  trak: BoxRef,
  trex: Map<number, { duration: number; flags: number }>,
): TrackInfo | undefined {
  const children = childBoxes(buf, trak.body, trak.end, 'trak');
  const tkhd = children.find((b) => b.type === 'tkhd');
  const mdia = children.find((b) => b.type === 'mdia');
  if (!tkhd || !mdia) throw new MediaFormatError('trak without tkhd or mdia');
  const tkhdVersion = u8(buf, tkhd.body, tkhd.end, 'tkhd');
  const trackId = u32(buf, tkhd.body + (tkhdVersion === 1 ? 20 : 12), tkhd.end, 'tkhd track_ID');
  // width and height are the last 8 bytes of tkhd, 16.16 fixed point.
  const tkhdWidth = Math.round(u32(buf, tkhd.end - 8, tkhd.end, 'tkhd width') / 65536);
  const tkhdHeight = Math.round(u32(buf, tkhd.end - 4, tkhd.end, 'tkhd height') / 65536);

  const mdiaChildren = childBoxes(buf, mdia.body, mdia.end, 'mdia');
  const mdhd = mdiaChildren.find((b) => b.type === 'mdhd');
  const hdlr = mdiaChildren.find((b) => b.type === 'hdlr');
  const minf = mdiaChildren.find((b) => b.type === 'minf');
  if (!mdhd || !hdlr || !minf) throw new MediaFormatError('mdia without mdhd, hdlr or minf');
  const mdhdVersion = u8(buf, mdhd.body, mdhd.end, 'mdhd');
  const timescale = u32(buf, mdhd.body + (mdhdVersion === 1 ? 20 : 12), mdhd.end, 'mdhd timescale');
  if (timescale === 0) throw new MediaFormatError('mdhd timescale is 0');
  need(buf, hdlr.body + 8, 4, hdlr.end, 'hdlr');
  const handler = fourcc(buf, hdlr.body + 8);
  const kind: TrackKind = handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : 'other';

  const stbl = findChild(buf, minf, 'stbl');
  const stsd = stbl ? findChild(buf, stbl, 'stsd') : undefined;
  if (!stsd) throw new MediaFormatError('track without stsd');
  const entryCount = u32(buf, stsd.body + 4, stsd.end, 'stsd');
  if (entryCount < 1) throw new MediaFormatError('stsd without sample entries');
  const entry = childBoxes(buf, stsd.body + 8, stsd.end, 'stsd')[0];
  if (!entry) throw new MediaFormatError('stsd without sample entries');

  const defaults = trex.get(trackId) ?? { duration: 0, flags: 0 };
  const track: TrackInfo = {
    trackId,
    kind,
    handler,
    timescale,
    sampleEntry: entry.type,
    codec: entry.type,
    defaultSampleDuration: defaults.duration,
    defaultSampleFlags: defaults.flags,
  };
  if (kind === 'video') {
    // VisualSampleEntry: 8 bytes SampleEntry + 16 predefined/reserved, then width, height (u16); children at 78.
    const entryWidth = u16(buf, entry.body + 24, entry.end, 'visual sample entry');
    const entryHeight = u16(buf, entry.body + 26, entry.end, 'visual sample entry');
    track.width = tkhdWidth || entryWidth;
    track.height = tkhdHeight || entryHeight;
    track.codec = videoCodecString(buf, entry);
  } else if (kind === 'audio') {
    // AudioSampleEntry: 8 bytes SampleEntry, version (u16), 6 reserved, channels, sample size, 4, rate 16.16.
    const version = u16(buf, entry.body + 8, entry.end, 'audio sample entry');
    track.channels = u16(buf, entry.body + 16, entry.end, 'audio sample entry');
    track.sampleRateHz = u32(buf, entry.body + 24, entry.end, 'audio sample entry') >>> 16;
    // QuickTime sound description v1 adds 16 bytes, v2 adds 36, before the child boxes.
    const childrenAt = entry.body + 28 + (version === 1 ? 16 : version === 2 ? 36 : 0);
    track.codec = audioCodecString(buf, entry, childrenAt);
  }
  return track;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function videoCodecString(buf: Buffer, entry: BoxRef): string {
  const childrenAt = entry.body + 78;
  if (childrenAt > entry.end) throw new MediaFormatError(`truncated '${entry.type}' sample entry`);
  const children = childBoxes(buf, childrenAt, entry.end, entry.type);
  switch (entry.type) {
    case 'avc1':
    case 'avc2':
    case 'avc3':
    case 'avc4': {
      const avcC = children.find((b) => b.type === 'avcC');
      if (!avcC) throw new MediaFormatError(`'${entry.type}' without avcC`);
      return `${entry.type}.${avcCodecSuffix(buf, avcC)}`;
    }
    case 'hvc1':
    case 'hev1': {
      const hvcC = children.find((b) => b.type === 'hvcC');
      if (!hvcC) throw new MediaFormatError(`'${entry.type}' without hvcC`);
      return `${entry.type}.${hevcCodecSuffix(buf, hvcC)}`;
    }
    default:
      return entry.type;
  }
}

/** `PPCCLL` from AVCDecoderConfigurationRecord: profile, constraint flags, level (RFC 6381 §3.3). */
function avcCodecSuffix(buf: Buffer, avcC: BoxRef): string {
  const profile = u8(buf, avcC.body + 1, avcC.end, 'avcC');
  const compat = u8(buf, avcC.body + 2, avcC.end, 'avcC');
  const level = u8(buf, avcC.body + 3, avcC.end, 'avcC');
  return `${hex2(profile)}${hex2(compat)}${hex2(level)}`;
}

/** HEVCDecoderConfigurationRecord → codec parameters, ISO/IEC 14496-15 Annex E.3. */
function hevcCodecSuffix(buf: Buffer, hvcC: BoxRef): string {
  const b = hvcC.body;
  need(buf, b, 13, hvcC.end, 'hvcC');
  const byte1 = buf.readUInt8(b + 1);
  const profileSpace = byte1 >> 6;
  const tier = (byte1 >> 5) & 1;
  const profileIdc = byte1 & 0x1f;
  const compat = buf.readUInt32BE(b + 2);
  let reversed = 0;
  for (let i = 0; i < 32; i++) reversed = (reversed << 1) | ((compat >>> i) & 1);
  const constraints: number[] = [];
  for (let i = 0; i < 6; i++) constraints.push(buf.readUInt8(b + 6 + i));
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const level = buf.readUInt8(b + 12);
  const space = ['', 'A', 'B', 'C'][profileSpace] ?? '';
  const parts = [
    `${space}${profileIdc}`,
    (reversed >>> 0).toString(16).toUpperCase(),
    `${tier ? 'H' : 'L'}${level}`,
    ...constraints.map((c) => c.toString(16).toUpperCase()),
  ];
  return parts.join('.');
}

function audioCodecString(buf: Buffer, entry: BoxRef, childrenAt: number): string {
  if (entry.type !== 'mp4a') return entry.type;
  if (childrenAt > entry.end) throw new MediaFormatError("truncated 'mp4a' sample entry");
  const esds = childBoxes(buf, childrenAt, entry.end, 'mp4a').find((b) => b.type === 'esds');
  if (!esds) return 'mp4a';
  return parseEsdsCodec(buf, esds.body + 4, esds.end);
}

/** Reads an MPEG-4 descriptor header (tag + variable-length size, ISO/IEC 14496-1 §8.3.3). */
function descriptor(buf: Buffer, at: number, end: number): { tag: number; body: number; end: number } {
  const tag = u8(buf, at, end, 'esds descriptor');
  let size = 0;
  let p = at + 1;
  for (let i = 0; i < 4; i++) {
    const byte = u8(buf, p++, end, 'esds descriptor size');
    size = (size << 7) | (byte & 0x7f);
    if ((byte & 0x80) === 0) break;
  }
  if (p + size > end) throw new MediaFormatError('esds descriptor does not fit');
  return { tag, body: p, end: p + size };
}

/** `mp4a.40.<audioObjectType>` from ES_Descriptor → DecoderConfigDescriptor → AudioSpecificConfig. */
function parseEsdsCodec(buf: Buffer, at: number, end: number): string {
  const es = descriptor(buf, at, end);
  if (es.tag !== 0x03) throw new MediaFormatError('esds without ES_Descriptor');
  const esFlags = u8(buf, es.body + 2, es.end, 'ES_Descriptor');
  let p = es.body + 3;
  if (esFlags & 0x80) p += 2; // dependsOn_ES_ID
  if (esFlags & 0x40) p += 1 + u8(buf, p, es.end, 'ES_Descriptor URL'); // URL
  if (esFlags & 0x20) p += 2; // OCR_ES_Id
  const dcd = descriptor(buf, p, es.end);
  if (dcd.tag !== 0x04) throw new MediaFormatError('esds without DecoderConfigDescriptor');
  const objectType = u8(buf, dcd.body, dcd.end, 'DecoderConfigDescriptor');
  if (objectType !== 0x40) return `mp4a.${hex2(objectType).toUpperCase()}`;
  const dsiAt = dcd.body + 13;
  if (dsiAt >= dcd.end) return 'mp4a.40.2';
  const dsi = descriptor(buf, dsiAt, dcd.end);
  if (dsi.tag !== 0x05) return 'mp4a.40.2';
  const first = u8(buf, dsi.body, dsi.end, 'AudioSpecificConfig');
  let aot = first >> 3;
  if (aot === 31) {
    const second = u8(buf, dsi.body + 1, dsi.end, 'AudioSpecificConfig');
    aot = 32 + (((first & 0x07) << 3) | (second >> 5));
  }
  return `mp4a.40.${aot}`;
}

// ---------------------------------------------------------------------------------------------------
// Fragments (moof).

export interface TrafInfo {
  trackId: number;
  decodeTime?: number;
  /** tfhd defaults, when present. */
  defaultDuration?: number;
  defaultFlags?: number;
  sampleCount: number;
  /** Sum of explicit per-sample durations, and how many samples had none. */
  explicitDuration: number;
  samplesWithoutDuration: number;
  /** Flags of the first sample when the trun says (first_sample_flags or per-sample flags). */
  firstSampleFlags?: number;
}

export interface MoofInfo {
  sequenceNumber: number;
  trafs: TrafInfo[];
}

/** Parses the fields of a moof box (header included) that the splitter needs. */
export function parseMoof(moof: Buffer): MoofInfo {
  try {
    const top = childBoxes(moof, 0, moof.length, 'fragment');
    const box = top[0];
    if (!box || box.type !== 'moof') throw new MediaFormatError('expected a moof box');
    let sequenceNumber = 0;
    const trafs: TrafInfo[] = [];
    for (const child of childBoxes(moof, box.body, box.end, 'moof')) {
      if (child.type === 'mfhd') sequenceNumber = u32(moof, child.body + 4, child.end, 'mfhd');
      else if (child.type === 'traf') trafs.push(parseTraf(moof, child));
    }
    if (trafs.length === 0) throw new MediaFormatError('moof without traf');
    return { sequenceNumber, trafs };
  } catch (err) {
    throw asFormatError(err, 'moof');
  }
}

function parseTraf(buf: Buffer, traf: BoxRef): TrafInfo {
  const children = childBoxes(buf, traf.body, traf.end, 'traf');
  const tfhd = children.find((b) => b.type === 'tfhd');
  if (!tfhd) throw new MediaFormatError('traf without tfhd');
  const tfhdFlags = u32(buf, tfhd.body, tfhd.end, 'tfhd') & 0xffffff;
  const info: TrafInfo = {
    trackId: u32(buf, tfhd.body + 4, tfhd.end, 'tfhd'),
    sampleCount: 0,
    explicitDuration: 0,
    samplesWithoutDuration: 0,
  };
  let p = tfhd.body + 8;
  if (tfhdFlags & 0x1) p += 8; // base_data_offset
  if (tfhdFlags & 0x2) p += 4; // sample_description_index
  if (tfhdFlags & 0x8) {
    info.defaultDuration = u32(buf, p, tfhd.end, 'tfhd default_sample_duration');
    p += 4;
  }
  if (tfhdFlags & 0x10) p += 4; // default_sample_size
  if (tfhdFlags & 0x20) info.defaultFlags = u32(buf, p, tfhd.end, 'tfhd default_sample_flags');

  for (const child of children) {
    if (child.type === 'tfdt') {
      const version = u8(buf, child.body, child.end, 'tfdt');
      info.decodeTime =
        version === 1
          ? u64(buf, child.body + 4, child.end, 'tfdt')
          : u32(buf, child.body + 4, child.end, 'tfdt');
    } else if (child.type === 'trun') {
      readTrun(buf, child, info);
    }
  }
  return info;
}

function readTrun(buf: Buffer, trun: BoxRef, info: TrafInfo): void {
  const flags = u32(buf, trun.body, trun.end, 'trun') & 0xffffff;
  const count = u32(buf, trun.body + 4, trun.end, 'trun sample_count');
  let p = trun.body + 8;
  if (flags & 0x1) p += 4; // data_offset
  let firstSampleFlags: number | undefined;
  if (flags & 0x4) {
    firstSampleFlags = u32(buf, p, trun.end, 'trun first_sample_flags');
    p += 4;
  }
  const hasDuration = (flags & 0x100) !== 0;
  const hasSize = (flags & 0x200) !== 0;
  const hasFlags = (flags & 0x400) !== 0;
  const hasCto = (flags & 0x800) !== 0;
  const recordBytes = 4 * (Number(hasDuration) + Number(hasSize) + Number(hasFlags) + Number(hasCto));
  if (recordBytes > 0 && count * recordBytes > trun.end - p) {
    throw new MediaFormatError(`trun declares ${count} samples but has room for fewer`);
  }
  if (count > 0 && info.sampleCount === 0 && info.firstSampleFlags === undefined) {
    if (firstSampleFlags !== undefined) info.firstSampleFlags = firstSampleFlags;
    else if (hasFlags)
      info.firstSampleFlags = u32(buf, p + 4 * (Number(hasDuration) + Number(hasSize)), trun.end, 'trun');
  }
  if (hasDuration) {
    for (let i = 0; i < count; i++) info.explicitDuration += buf.readUInt32BE(p + i * recordBytes);
  } else {
    info.samplesWithoutDuration += count;
  }
  info.sampleCount += count;
}

function describeFragment(data: Buffer, moof: MoofInfo, init: InitSegment): Fragment {
  const track = init.tracks.find((t) => t.trackId === init.primaryTrackId);
  const traf = moof.trafs.find((t) => t.trackId === init.primaryTrackId);
  if (!track || !traf) {
    // A fragment without the primary (video) track, e.g. audio only: never a starting point.
    return {
      data,
      keyframe: false,
      sequenceNumber: moof.sequenceNumber,
      trackId: init.primaryTrackId,
      sampleCount: 0,
    };
  }
  const flags = traf.firstSampleFlags ?? traf.defaultFlags ?? track.defaultSampleFlags;
  const defaultDuration = traf.defaultDuration ?? track.defaultSampleDuration;
  const fragment: Fragment = {
    data,
    keyframe: traf.sampleCount > 0 && (flags & SAMPLE_IS_NON_SYNC) === 0,
    sequenceNumber: moof.sequenceNumber,
    trackId: traf.trackId,
    timescale: track.timescale,
    sampleCount: traf.sampleCount,
  };
  if (traf.decodeTime !== undefined) fragment.decodeTime = traf.decodeTime;
  if (traf.samplesWithoutDuration === 0 || defaultDuration > 0) {
    fragment.durationTicks = traf.explicitDuration + traf.samplesWithoutDuration * defaultDuration;
  }
  return fragment;
}

function asFormatError(err: unknown, what: string): MediaFormatError {
  if (err instanceof MediaFormatError) return err;
  return new MediaFormatError(`malformed ${what}: ${err instanceof Error ? err.message : String(err)}`);
}

/** Duration of a fragment in milliseconds, when its timing is known. */
export function fragmentDurationMs(fragment: Fragment): number | undefined {
  if (fragment.durationTicks === undefined || !fragment.timescale) return undefined;
  return (fragment.durationTicks * 1000) / fragment.timescale;
}
