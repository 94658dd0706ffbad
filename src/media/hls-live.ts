/**
 * Live HLS (fMP4, Low-Latency HLS) from the same fragments the WebSocket viewers get: the path for
 * iPhones without any Media Source (before iOS 17.1) and for networks that block WebSockets.
 *
 * Everything is in memory. The ~50–100 ms fragments ffmpeg writes are grouped into
 * - **parts** of about `partTargetSec` (a part is closed as soon as it is long enough, so a part is
 *   served the moment its last fragment arrives; a keyframe always starts a new part, marked
 *   INDEPENDENT), and
 * - **segments** of whole parts, cut at a keyframe once `minSegmentSec` is reached (each segment then
 *   starts with a keyframe), or at any part boundary after `maxSegmentSec` for cameras whose GOP is
 *   longer (those segments are not independent, and the playlist says so).
 *
 * The media playlist lists the last `windowSegments` segments, the parts of the last few of them and
 * of the segment being built, and a preload hint for the next part. Players ask for the next update
 * with `_HLS_msn`/`_HLS_part` (blocking playlist reload) and for the hinted part before it exists; both
 * are answered when the part is there (`waitFor`). This is what MediaMTX does (its gohlslib muxer):
 * parts listed only near the live edge, a preload hint always present, a request for a part index past
 * the end of its segment treated as part 0 of the next one.
 *
 * Numbering: segments carry the media sequence number; parts a number of their own that never
 * repeats (`part-<id>.m4s`), so a preload hint stays valid whichever segment the part lands in. A new
 * init segment (ingest restarted: new timestamps, maybe a new codec) starts a discontinuity, with its
 * own `init-<generation>.mp4`.
 *
 * Written here rather than taken from a library: the HLS packagers on npm transcode or write files,
 * and the playlist for a window of in-memory parts is a page of code.
 */
import type { Fragment, InitSegment } from './fmp4.js';

export interface HlsPart {
  id: number;
  data: Buffer;
  durationSec: number;
  /** starts with a keyframe */
  independent: boolean;
}

export interface HlsSegment {
  sequence: number;
  /** whole segment (the parts' bytes, concatenated when the segment closed) */
  data: Buffer;
  durationSec: number;
  /** a new generation (init segment) starts here */
  discontinuity: boolean;
  generation: number;
  /** starts with a keyframe */
  independent: boolean;
  /** wall clock of the segment's first fragment (EXT-X-PROGRAM-DATE-TIME) */
  startedAtMs: number;
  partCount: number;
  /** kept for the last few segments only (the playlist lists parts near the live edge) */
  parts: HlsPart[] | undefined;
}

interface Building {
  sequence: number;
  parts: HlsPart[];
  durationSec: number;
  generation: number;
  discontinuity: boolean;
  independent: boolean;
  startedAtMs: number;
}

interface OpenPart {
  fragments: Buffer[];
  durationSec: number;
  independent: boolean;
}

export interface HlsLiveOptions {
  /** Segments in the playlist. Default 7. */
  windowSegments?: number;
  /** Wanted part length, seconds. Default 0.2. */
  partTargetSec?: number;
  /** A segment is cut at the first keyframe after this many seconds. Default 1. */
  minSegmentSec?: number;
  /** …or at a part boundary after this many seconds without a keyframe. Default 6. */
  maxSegmentSec?: number;
  /** Segments (counted from the newest complete one) whose parts stay listed. Default 2. */
  partSegments?: number;
  /** Wall clock for EXT-X-PROGRAM-DATE-TIME and idle tracking. */
  nowMs?: () => number;
}

/** What a blocking request waits for. */
export type HlsWaitTarget = { msn: number; part?: number } | { partId: number };

interface Waiter {
  target: HlsWaitTarget;
  resolve: (ok: boolean) => void;
}

/** A part is closed once it is this fraction of the part target long (the next fragment would overshoot). */
const PART_CLOSE_FRACTION = 0.75;
/** Default duration of a fragment without timing (should not happen with ffmpeg's fMP4). */
const FALLBACK_FRAGMENT_SEC = 0.1;

export class HlsLiveWindow {
  readonly windowSegments: number;
  readonly partTargetSec: number;
  readonly minSegmentSec: number;
  readonly maxSegmentSec: number;
  private readonly partSegments: number;
  private readonly nowMs: () => number;

  private segments: HlsSegment[] = [];
  private building: Building | undefined;
  private openPart: OpenPart | undefined;
  private readonly parts = new Map<number, HlsPart>();
  private nextSequence = 0;
  private nextPartId = 0;
  private discontinuitySequence = 0;
  private initSeg: InitSegment | undefined;
  private generation = 0;
  private lastUseMs: number;
  private readonly inits = new Map<number, InitSegment>();
  private waiters: Waiter[] = [];
  private maxPartSec = 0;

  constructor(options: HlsLiveOptions = {}) {
    this.windowSegments = options.windowSegments ?? 7;
    this.partTargetSec = options.partTargetSec ?? 0.2;
    this.minSegmentSec = options.minSegmentSec ?? 1;
    this.maxSegmentSec = options.maxSegmentSec ?? 6;
    this.partSegments = options.partSegments ?? 2;
    this.nowMs = options.nowMs ?? Date.now;
    this.lastUseMs = this.nowMs();
  }

  /** A new init segment from the source: later segments belong to a new discontinuity. */
  setInit(init: InitSegment): void {
    this.closeSegment();
    this.initSeg = init;
    this.generation++;
    this.inits.set(this.generation, init);
  }

  /** The init segment a generation's segments need (kept while any of them is in the window). */
  initFor(generation: number): InitSegment | undefined {
    return this.inits.get(generation);
  }

  push(fragment: Fragment): void {
    if (!this.initSeg) return;
    const durationSec =
      fragment.durationTicks && fragment.timescale
        ? fragment.durationTicks / fragment.timescale
        : FALLBACK_FRAGMENT_SEC;
    const b = this.building;
    if (b) {
      const sofar = b.durationSec + (this.openPart?.durationSec ?? 0);
      if (fragment.keyframe && sofar >= this.minSegmentSec) this.closeSegment();
      else if (fragment.keyframe) this.closePart();
    }
    if (!this.building) {
      if (!fragment.keyframe) return; // the first segment of a generation starts with a keyframe
      this.startSegment(true);
    }
    const part = (this.openPart ??= { fragments: [], durationSec: 0, independent: fragment.keyframe });
    part.fragments.push(fragment.data);
    part.durationSec += durationSec;
    if (part.durationSec >= this.partTargetSec * PART_CLOSE_FRACTION) {
      this.closePart();
      const nb = this.building;
      if (nb && nb.durationSec >= this.maxSegmentSec) {
        // A GOP longer than a segment may be: cut here; the next segment starts without a keyframe.
        this.closeSegment();
        this.startSegment(false);
      }
    }
  }

  /** The source went away: what was built is finished as it is. */
  reset(): void {
    this.closeSegment();
  }

  /** Ends every waiting request (the camera stopped). */
  close(): void {
    this.closeSegment();
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.resolve(false);
  }

  get init(): InitSegment | undefined {
    return this.initSeg;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  touch(): void {
    this.lastUseMs = this.nowMs();
  }

  idleForMs(): number {
    return this.nowMs() - this.lastUseMs;
  }

  segment(sequence: number): HlsSegment | undefined {
    const first = this.segments[0];
    if (!first) return undefined;
    const s = this.segments[sequence - first.sequence];
    return s?.sequence === sequence ? s : undefined;
  }

  part(id: number): HlsPart | undefined {
    return this.parts.get(id);
  }

  /** A playlist can be served: an init segment and one complete segment. */
  get ready(): boolean {
    return this.initSeg !== undefined && this.segments.length > 0;
  }

  /** The number the next part will get (the preload hint). */
  get hintedPartId(): number {
    return this.nextPartId;
  }

  /** Media sequence number of the segment being built (or the next one). */
  get liveSequence(): number {
    return this.building?.sequence ?? this.nextSequence;
  }

  /**
   * Whether a blocking request can be answered now: the playlist has segment `msn` complete (no
   * `part`), or part `part` of segment `msn` (a part index past the end of a complete segment means
   * part 0 of the next); or part `partId` exists.
   */
  has(target: HlsWaitTarget): boolean {
    if ('partId' in target) return target.partId < this.nextPartId;
    if (!this.ready) return false;
    let msn = target.msn;
    let part = target.part;
    for (const s of this.segments) {
      if (s.sequence < msn) continue;
      if (s.sequence > msn || part === undefined) return true;
      if (part < s.partCount) return true;
      msn++;
      part = 0;
    }
    const b = this.building;
    if (!b || part === undefined) return false;
    return b.sequence > msn || (b.sequence === msn && part < b.parts.length);
  }

  /**
   * Resolves true once `has(target)` holds, false after `timeoutMs` or when the window closes.
   * The caller refuses targets too far ahead (`tooFarAhead`) before waiting.
   */
  waitFor(target: HlsWaitTarget, timeoutMs: number): Promise<boolean> {
    if (this.has(target)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        target,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * A request the server should refuse at once (400): a segment more than one past the one being
   * built, or a part more than one past the hint (the spec's "Advance Part Limit").
   */
  tooFarAhead(target: HlsWaitTarget): boolean {
    if ('partId' in target) return target.partId > this.nextPartId + 1;
    return target.msn > this.liveSequence + 1;
  }

  /** Part target advertised: the wanted one, or the longest part in the window if longer. */
  get partTargetAdvertisedSec(): number {
    return Math.max(this.partTargetSec, Math.ceil(this.maxPartSec * 1000) / 1000);
  }

  /**
   * The multivariant playlist: one variant, with the codecs and resolution of the current init
   * segment so a player (Safari) can tell before loading whether it decodes them. `query` is appended
   * to the media playlist's URI.
   */
  multivariantPlaylist(query: string, mediaUri = 'stream.m3u8'): string {
    const q = query ? `?${query}` : '';
    const init = this.initSeg;
    const attrs = [`BANDWIDTH=${this.peakBandwidthBps()}`];
    if (init && init.codecs.length > 0) attrs.push(`CODECS="${init.codecs.join(',')}"`);
    if (init?.width && init.height) attrs.push(`RESOLUTION=${init.width}x${init.height}`);
    return [
      '#EXTM3U',
      '#EXT-X-VERSION:9',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      `#EXT-X-STREAM-INF:${attrs.join(',')}`,
      `${mediaUri}${q}`,
      '',
    ].join('\n');
  }

  /** The media playlist; `query` (e.g. "token=…") is appended to every URI. */
  playlist(query: string): string {
    const q = query ? `?${query}` : '';
    const partTarget = this.partTargetAdvertisedSec;
    const target = Math.max(1, ...this.segments.map((s) => Math.round(s.durationSec)));
    const b = this.building;
    const allIndependent = this.segments.every((s) => s.independent) && (b === undefined || b.independent);
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:9',
      `#EXT-X-TARGETDURATION:${target}`,
      `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${fmt(partTarget * 3)}`,
      `#EXT-X-PART-INF:PART-TARGET=${fmt(partTarget)}`,
      `#EXT-X-MEDIA-SEQUENCE:${this.segments[0]?.sequence ?? this.liveSequence}`,
      `#EXT-X-DISCONTINUITY-SEQUENCE:${this.discontinuitySequence}`,
    ];
    if (allIndependent) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
    let mapped = -1;
    const head = (generation: number, discontinuity: boolean, startedAtMs: number) => {
      if (discontinuity && mapped !== -1) lines.push('#EXT-X-DISCONTINUITY');
      if (generation !== mapped) {
        lines.push(`#EXT-X-MAP:URI="init-${generation}.mp4${q}"`);
        mapped = generation;
      }
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(startedAtMs).toISOString()}`);
    };
    const partLines = (parts: readonly HlsPart[]) => {
      for (const p of parts)
        lines.push(
          `#EXT-X-PART:DURATION=${fmt(p.durationSec)},URI="part-${p.id}.m4s${q}"${p.independent ? ',INDEPENDENT=YES' : ''}`,
        );
    };
    for (const s of this.segments) {
      head(s.generation, s.discontinuity, s.startedAtMs);
      if (s.parts) partLines(s.parts);
      lines.push(`#EXTINF:${fmt(s.durationSec)},`, `seg-${s.sequence}.m4s${q}`);
    }
    if (b && b.parts.length > 0) {
      head(b.generation, b.discontinuity, b.startedAtMs);
      partLines(b.parts);
    }
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-${this.nextPartId}.m4s${q}"`);
    return lines.join('\n') + '\n';
  }

  // -------------------------------------------------------------------------------------------------

  private peakBandwidthBps(): number {
    let peak = 0;
    for (const s of this.segments)
      if (s.durationSec > 0) peak = Math.max(peak, (s.data.length * 8) / s.durationSec);
    return peak > 0 ? Math.round(peak) : 4_000_000;
  }

  private startSegment(independent: boolean): void {
    const last = this.segments[this.segments.length - 1];
    this.building = {
      sequence: this.nextSequence++,
      parts: [],
      durationSec: 0,
      generation: this.generation,
      discontinuity: last !== undefined && last.generation !== this.generation,
      independent,
      startedAtMs: this.nowMs(),
    };
  }

  private closePart(): void {
    const p = this.openPart;
    const b = this.building;
    this.openPart = undefined;
    if (!p || !b || p.fragments.length === 0) return;
    const part: HlsPart = {
      id: this.nextPartId++,
      data: p.fragments.length === 1 ? p.fragments[0]! : Buffer.concat(p.fragments),
      durationSec: p.durationSec,
      independent: p.independent,
    };
    this.maxPartSec = Math.max(this.maxPartSec, part.durationSec);
    b.parts.push(part);
    b.durationSec += part.durationSec;
    this.parts.set(part.id, part);
    this.wake();
  }

  private closeSegment(): void {
    this.closePart();
    const b = this.building;
    this.building = undefined;
    if (!b || b.parts.length === 0) return;
    this.segments.push({
      sequence: b.sequence,
      data: Buffer.concat(b.parts.map((p) => p.data)),
      durationSec: b.durationSec,
      discontinuity: b.discontinuity,
      generation: b.generation,
      independent: b.independent,
      startedAtMs: b.startedAtMs,
      partCount: b.parts.length,
      parts: b.parts,
    });
    // Parts are listed (and kept) for the newest segments only.
    const stale = this.segments[this.segments.length - 1 - this.partSegments];
    if (stale?.parts) {
      for (const p of stale.parts) this.parts.delete(p.id);
      stale.parts = undefined;
    }
    while (this.segments.length > this.windowSegments) {
      const dropped = this.segments.shift();
      if (dropped?.parts) for (const p of dropped.parts) this.parts.delete(p.id);
      if (dropped && this.segments[0]?.discontinuity) this.discontinuitySequence++;
      const oldest = this.segments[0]?.generation ?? this.generation;
      for (const g of this.inits.keys()) if (g < oldest) this.inits.delete(g);
    }
    this.maxPartSec = 0;
    for (const s of this.segments)
      for (const p of s.parts ?? []) this.maxPartSec = Math.max(this.maxPartSec, p.durationSec);
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    const done: Waiter[] = [];
    for (const w of this.waiters) (this.has(w.target) ? done : still).push(w);
    this.waiters = still;
    for (const w of done) w.resolve(true);
  }
}

function fmt(sec: number): string {
  return (Math.round(sec * 1000) / 1000).toFixed(3);
}

/** File names under /media/live/:cameraId/hls/. */
export const HLS_FILE_PATTERN =
  '^(index\\.m3u8|stream\\.m3u8|init-\\d{1,9}\\.mp4|(seg|part)-\\d{1,12}\\.m4s)$';

export type HlsFile =
  | { kind: 'multivariant' }
  | { kind: 'media' }
  | { kind: 'init'; n: number }
  | { kind: 'segment'; n: number }
  | { kind: 'part'; n: number };

/** `seg-5.m4s` → segment 5: the number between the dash and the dot (not every digit in the name). */
export function parseHlsFile(name: string): HlsFile | null {
  if (name === 'index.m3u8') return { kind: 'multivariant' };
  if (name === 'stream.m3u8') return { kind: 'media' };
  const m = /^(init|seg|part)-(\d{1,12})\.(mp4|m4s)$/.exec(name);
  if (!m) return null;
  const n = Number(m[2]);
  if (m[1] === 'init') return m[3] === 'mp4' ? { kind: 'init', n } : null;
  if (m[3] !== 'm4s') return null;
  return m[1] === 'seg' ? { kind: 'segment', n } : { kind: 'part', n };
}
