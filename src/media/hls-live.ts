/**
 * Live HLS (fMP4) from the same fragments the WebSocket viewers get: the fallback for players without
 * MSE (iPhone) and restrictive networks. Segments are whole GOPs (a keyframe fragment and what follows
 * it), so every segment is independently decodable; a sliding window of the last `windowSegments` is
 * kept in memory. The playlist names the init segment in EXT-X-MAP; a new init (ingest restart) starts a
 * discontinuity.
 *
 * Written here rather than taken from a library: the HLS packagers on npm transcode or write files,
 * and the playlist for a window of in-memory GOPs is a few lines.
 */
import type { Fragment, InitSegment } from './fmp4.js';

export interface HlsSegment {
  sequence: number;
  data: Buffer;
  durationSec: number;
  discontinuity: boolean;
  generation: number;
}

export class HlsLiveWindow {
  private segments: HlsSegment[] = [];
  private building:
    { fragments: Buffer[]; durationSec: number; generation: number; discontinuity: boolean } | undefined;
  private nextSequence = 0;
  private discontinuitySequence = 0;
  private initSeg: InitSegment | undefined;
  private generation = 0;
  private lastUseMs = Date.now();
  private readonly inits = new Map<number, InitSegment>();

  constructor(
    private readonly windowSegments = 6,
    private readonly maxSegmentSec = 4,
  ) {}

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
      fragment.durationTicks && fragment.timescale ? fragment.durationTicks / fragment.timescale : 0.1;
    if (fragment.keyframe || (this.building && this.building.durationSec >= this.maxSegmentSec))
      this.closeSegment();
    if (!this.building) {
      if (!fragment.keyframe) return; // every segment starts with a keyframe
      const last = this.segments[this.segments.length - 1];
      this.building = {
        fragments: [],
        durationSec: 0,
        generation: this.generation,
        discontinuity: last !== undefined && last.generation !== this.generation,
      };
    }
    this.building.fragments.push(fragment.data);
    this.building.durationSec += durationSec;
  }

  /** The source went away: the open segment is finished as it is. */
  reset(): void {
    this.closeSegment();
  }

  get init(): InitSegment | undefined {
    return this.initSeg;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  touch(): void {
    this.lastUseMs = Date.now();
  }

  idleForMs(): number {
    return Date.now() - this.lastUseMs;
  }

  segment(sequence: number): HlsSegment | undefined {
    return this.segments.find((s) => s.sequence === sequence);
  }

  get ready(): boolean {
    return this.initSeg !== undefined && this.segments.length > 0;
  }

  /** The media playlist; `query` (e.g. "token=…") is appended to every URI. */
  playlist(query: string): string {
    const q = query ? `?${query}` : '';
    const target = Math.max(1, Math.ceil(Math.max(0, ...this.segments.map((s) => s.durationSec))));
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      `#EXT-X-TARGETDURATION:${target}`,
      `#EXT-X-MEDIA-SEQUENCE:${this.segments[0]?.sequence ?? this.nextSequence}`,
      `#EXT-X-DISCONTINUITY-SEQUENCE:${this.discontinuitySequence}`,
      '#EXT-X-INDEPENDENT-SEGMENTS',
    ];
    let mappedGeneration = -1;
    for (const s of this.segments) {
      if (s.discontinuity && mappedGeneration !== -1) lines.push('#EXT-X-DISCONTINUITY');
      if (s.generation !== mappedGeneration) {
        lines.push(`#EXT-X-MAP:URI="init-${s.generation}.mp4${q}"`);
        mappedGeneration = s.generation;
      }
      lines.push(`#EXTINF:${s.durationSec.toFixed(3)},`, `seg-${s.sequence}.m4s${q}`);
    }
    return lines.join('\n') + '\n';
  }

  private closeSegment(): void {
    const b = this.building;
    this.building = undefined;
    if (!b || b.fragments.length === 0) return;
    this.segments.push({
      sequence: this.nextSequence++,
      data: Buffer.concat(b.fragments),
      durationSec: b.durationSec || 1,
      discontinuity: b.discontinuity,
      generation: b.generation,
    });
    while (this.segments.length > this.windowSegments) {
      const dropped = this.segments.shift();
      if (dropped && this.segments[0]?.discontinuity) this.discontinuitySequence++;
      const oldest = this.segments[0]?.generation ?? this.generation;
      for (const g of this.inits.keys()) if (g < oldest) this.inits.delete(g);
    }
  }
}
