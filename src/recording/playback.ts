/**
 * Playback of a time range from the segment files, without re-encoding and without copying files:
 *
 * - `planPieces` picks, per segment overlapping the range, the byte range from the keyframe at or
 *   before `from` (seeks start on a keyframe) to the first keyframe at or after `to`, and cuts it into
 *   HLS media segments of whole GOPs. A piece after a gap, or from another ingest run, is a
 *   discontinuity.
 * - `vodPlaylist` writes the HLS VOD playlist (fMP4: EXT-X-MAP per segment file, EXT-X-DISCONTINUITY
 *   at gaps, EXT-X-PROGRAM-DATE-TIME so players show wall time).
 * - `buildClip` describes one fragmented MP4 for the range: the init segment of the first piece and
 *   the fragments' bytes read straight from the files. Pieces from later ingest runs have their
 *   decode times moved so that media time keeps following wall time (gaps stay gaps; time never
 *   runs backwards). Its length is known before the first byte, so HTTP Range requests work.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { parseInitSegment, parseMoof } from '../media/fmp4.js';
import { AppError } from '../shared/errors.js';
import type { Segment } from '../storage/repositories/recordings.js';
import { shiftDecodeTimesInPlace } from './fmp4-file.js';
import { GAP_TOLERANCE_MS } from './recorder.js';

export interface Chunk {
  startOffset: number;
  endOffset: number;
  startMs: number;
  endMs: number;
}

export interface Piece {
  segment: Segment;
  startOffset: number;
  endOffset: number;
  startMs: number;
  endMs: number;
  chunks: Chunk[];
  /** Not continuous with the previous piece (a gap, or another ingest run). */
  discontinuity: boolean;
}

/** The pieces of the segments (oldest first) that cover [fromMs, toMs). */
export function planPieces(
  segments: readonly Segment[],
  fromMs: number,
  toMs: number,
  chunkMs = 4000,
): Piece[] {
  const pieces: Piece[] = [];
  for (const seg of segments) {
    if (seg.endMs <= fromMs || seg.startMs >= toMs) continue;
    const kfs = seg.keyframes.map(([offset, ms]) => ({ offset, at: seg.startMs + ms }));
    if (kfs.length === 0) continue;
    let s = 0;
    for (let i = 0; i < kfs.length; i++) if (kfs[i]!.at <= fromMs) s = i;
    let e = kfs.length;
    for (let i = s + 1; i < kfs.length; i++)
      if (kfs[i]!.at >= toMs) {
        e = i;
        break;
      }
    const endOffset = e < kfs.length ? kfs[e]!.offset : seg.bytes;
    const endMs = e < kfs.length ? kfs[e]!.at : seg.endMs;
    const startMs = kfs[s]!.at;
    if (endOffset <= kfs[s]!.offset) continue;
    const chunks: Chunk[] = [];
    let i = s;
    while (i < e) {
      let j = i + 1;
      while (j < e && kfs[j]!.at - kfs[i]!.at < chunkMs) j++;
      chunks.push({
        startOffset: kfs[i]!.offset,
        endOffset: j < kfs.length ? kfs[j]!.offset : seg.bytes,
        startMs: kfs[i]!.at,
        endMs: j < kfs.length ? kfs[j]!.at : seg.endMs,
      });
      i = j;
    }
    const prev = pieces[pieces.length - 1];
    pieces.push({
      segment: seg,
      startOffset: kfs[s]!.offset,
      endOffset,
      startMs,
      endMs,
      chunks,
      discontinuity:
        prev !== undefined && (prev.segment.runId !== seg.runId || startMs - prev.endMs > GAP_TOLERANCE_MS),
    });
  }
  return pieces;
}

export interface PlaylistUrls {
  init(segmentId: string): string;
  part(segmentId: string, startOffset: number, endOffset: number): string;
}

/** HLS VOD playlist (version 7, fMP4) of the pieces. */
export function vodPlaylist(pieces: readonly Piece[], urls: PlaylistUrls): string {
  const durations = pieces.flatMap((p) => p.chunks.map((c) => (c.endMs - c.startMs) / 1000));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(Math.max(0, ...durations)))}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  for (const p of pieces) {
    if (p.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXT-X-MAP:URI="${urls.init(p.segment.id)}"`);
    for (const [i, c] of p.chunks.entries()) {
      if (i === 0) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(c.startMs).toISOString()}`);
      lines.push(
        `#EXTINF:${((c.endMs - c.startMs) / 1000).toFixed(3)},`,
        urls.part(p.segment.id, c.startOffset, c.endOffset),
      );
    }
  }
  lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

/** A stretch of a segment file in a clip, with the decode-time shift of its run (if any). */
export interface ClipPart {
  file: string;
  offset: number;
  length: number;
  shift: ReadonlyMap<number, number> | undefined;
}

export interface Clip {
  init: Buffer;
  parts: ClipPart[];
  /** Total bytes: init plus every part. */
  bytes: number;
  startMs: number;
  endMs: number;
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) throw new AppError('internal', `segment file ended early: ${path.basename(file)}`);
      got += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** Per-track decode times of the fragment at `offset` (its moof). */
async function decodeTimesAt(file: string, offset: number): Promise<Map<number, number>> {
  const head = await readAt(file, offset, 8);
  const size = head.readUInt32BE(0);
  if (head.toString('latin1', 4, 8) !== 'moof' || size < 8 || size > 8 * 1024 * 1024)
    throw new AppError('internal', 'expected a moof at a seek point');
  const moof = parseMoof(await readAt(file, offset, size));
  return new Map(moof.trafs.map((t) => [t.trackId, t.decodeTime ?? 0]));
}

/** One fragmented MP4 for the pieces (see the module comment). */
export async function buildClip(root: string, pieces: readonly Piece[]): Promise<Clip> {
  const first = pieces[0];
  if (!first) throw new AppError('not_found', 'nothing was recorded in this range');
  const file = (p: Piece) => path.join(root, p.segment.path);
  const init = await readAt(file(first), 0, first.segment.initBytes);
  const info = parseInitSegment(init);
  const seen = new Set<string>([first.segment.id]);
  for (const p of pieces) {
    if (seen.has(p.segment.id)) continue;
    seen.add(p.segment.id);
    const other = await readAt(file(p), 0, p.segment.initBytes);
    if (!other.equals(init))
      throw new AppError(
        'conflict',
        'the camera changed its video format inside this range; ask for the parts before and after separately',
      );
  }
  const primary = info.tracks.find((t) => t.trackId === info.primaryTrackId);
  if (!primary) throw new AppError('internal', 'init segment without its primary track');
  const base = await decodeTimesAt(file(first), first.startOffset);
  const baseDecodeSec = (base.get(primary.trackId) ?? 0) / primary.timescale;
  const parts: ClipPart[] = [];
  let runId = first.segment.runId;
  let shift: Map<number, number> | undefined;
  for (const p of pieces) {
    if (p.segment.runId !== runId) {
      runId = p.segment.runId;
      const here = await decodeTimesAt(file(p), p.startOffset);
      const hereSec = (here.get(primary.trackId) ?? 0) / primary.timescale;
      const shiftSec = baseDecodeSec + (p.startMs - first.startMs) / 1000 - hereSec;
      shift = new Map(info.tracks.map((t) => [t.trackId, Math.round(shiftSec * t.timescale)]));
    }
    parts.push({ file: file(p), offset: p.startOffset, length: p.endOffset - p.startOffset, shift });
  }
  const last = pieces[pieces.length - 1]!;
  return {
    init,
    parts,
    bytes: init.length + parts.reduce((n, p) => n + p.length, 0),
    startMs: first.startMs,
    endMs: last.endMs,
  };
}

/** The clip's bytes [start, end) (end exclusive), streamed. */
export async function* readClip(clip: Clip, start = 0, end = clip.bytes): AsyncGenerator<Buffer> {
  let pos = 0;
  const emit = (buf: Buffer): Buffer | undefined => {
    const from = Math.max(start - pos, 0);
    const to = Math.min(end - pos, buf.length);
    pos += buf.length;
    return to > from ? buf.subarray(from, to) : undefined;
  };
  const head = emit(clip.init);
  if (head) yield head;
  for (const part of clip.parts) {
    if (pos >= end) return;
    if (pos + part.length <= start) {
      pos += part.length;
      continue;
    }
    if (part.shift) {
      const buf = await readAt(part.file, part.offset, part.length);
      shiftDecodeTimesInPlace(buf, part.shift);
      const out = emit(buf);
      if (out) yield out;
      continue;
    }
    const from = Math.max(start - pos, 0);
    const to = Math.min(end - pos, part.length);
    const stream = createReadStream(part.file, {
      start: part.offset + from,
      end: part.offset + to - 1,
      highWaterMark: 256 * 1024,
    });
    for await (const chunk of stream) yield chunk as Buffer;
    pos += part.length;
  }
}

/** Reads a byte range of a segment file (an HLS part or init). */
export async function readSegmentBytes(
  root: string,
  seg: Segment,
  start: number,
  end: number,
): Promise<Buffer> {
  return readAt(path.join(root, seg.path), start, end - start);
}

/** Whether a `moof` box (a fragment) starts at `offset` of the segment file. */
export async function fragmentStartsAt(root: string, seg: Segment, offset: number): Promise<boolean> {
  if (offset < seg.initBytes) return false;
  const head = await readAt(path.join(root, seg.path), offset, 8).catch(() => Buffer.alloc(0));
  return head.length === 8 && head.toString('latin1', 4, 8) === 'moof';
}
