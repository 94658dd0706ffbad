/**
 * Salvage of a segment file that has no index row (the process or machine died while writing it, or
 * a write failed): the file is cut back to its last complete fragment, made durable, hashed and
 * described, so that it can be indexed like any other segment.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, parseSegmentRelPath } from './paths.js';
import { fragmentMs, scanSegmentFile } from './fmp4-file.js';

export type SalvageResult =
  | {
      kind: 'salvaged';
      relPath: string;
      cameraId: string;
      startMs: number;
      endMs: number;
      bytes: number;
      initBytes: number;
      sha256: string;
      keyframes: [number, number][];
      fragments: number;
      /** Bytes cut off the end (an incomplete fragment). */
      truncatedBytes: number;
      stoppedBecause: string | undefined;
    }
  | { kind: 'empty'; relPath: string; bytes: number; why: string }
  | { kind: 'foreign'; relPath: string; why: string };

/** Reads and describes a file without changing it. */
export async function inspectSegmentFile(root: string, relPath: string): Promise<SalvageResult> {
  const where = parseSegmentRelPath(relPath);
  if (!where) return { kind: 'foreign', relPath, why: 'not a segment file name' };
  const abs = path.join(root, relPath);
  const [buf, st] = await Promise.all([readFile(abs), stat(abs)]);
  const scan = scanSegmentFile(buf);
  if (!scan.init || scan.fragments.length === 0)
    return {
      kind: 'empty',
      relPath,
      bytes: buf.length,
      why: scan.init ? 'no complete fragment' : 'no init segment',
    };
  const first = scan.fragments[0]!.fragment;
  const ts = first.timescale ?? 0;
  const firstDecode = first.decodeTime;
  const keyframes: [number, number][] = [];
  let sumMs = 0;
  let endOffsetMs = 0;
  for (const { offset, fragment } of scan.fragments) {
    const startOffsetMs =
      firstDecode !== undefined && fragment.decodeTime !== undefined && ts > 0
        ? ((fragment.decodeTime - firstDecode) * 1000) / ts
        : sumMs;
    if (fragment.keyframe) keyframes.push([offset, Math.round(startOffsetMs)]);
    const dur = fragmentMs(fragment);
    sumMs += dur;
    endOffsetMs = Math.max(endOffsetMs, startOffsetMs + dur);
  }
  // The name holds the start as estimated when the file was opened (a run's first seconds can be
  // estimated late); the last write (mtime) is never before the last fragment was captured.
  const durationMs = Math.round(endOffsetMs);
  const endMs =
    st.mtimeMs >= where.startMs
      ? Math.min(where.startMs + durationMs, Math.floor(st.mtimeMs))
      : where.startMs + durationMs;
  return {
    kind: 'salvaged',
    relPath,
    cameraId: where.cameraId,
    startMs: endMs - durationMs,
    endMs,
    bytes: scan.validBytes,
    initBytes: scan.initBytes,
    sha256: createHash('sha256').update(buf.subarray(0, scan.validBytes)).digest('hex'),
    keyframes,
    fragments: scan.fragments.length,
    truncatedBytes: buf.length - scan.validBytes,
    stoppedBecause: scan.stoppedBecause,
  };
}

/**
 * inspectSegmentFile, then makes the file match its description: cut to the last complete fragment
 * and fsync-ed (file and directory); a file with nothing playable is removed.
 */
export async function salvageSegmentFile(root: string, relPath: string): Promise<SalvageResult> {
  const r = await inspectSegmentFile(root, relPath);
  const abs = path.join(root, relPath);
  if (r.kind === 'empty') {
    await unlink(abs);
    await fsyncDir(path.dirname(abs));
  } else if (r.kind === 'salvaged') {
    const fh = await open(abs, 'r+');
    try {
      if (r.truncatedBytes > 0) await fh.truncate(r.bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(path.dirname(abs));
  }
  return r;
}
