/**
 * Reconciles segment files and index rows (startup recovery and `okno recordings check`):
 *
 * - a file without a row (a crash mid-segment, or before its row was inserted): salvaged up to its
 *   last complete fragment and indexed (`recovered`), or removed when nothing in it is playable;
 * - a row marked `deleting` (a crash mid-delete): the delete is finished;
 * - a row without its file, a file whose size or sha256 differs from its row, a broken hash chain:
 *   reported, never "fixed" — they are evidence that something outside Okno touched the recordings.
 *
 * Startup recovery runs with repair and without re-hashing every file; `check` hashes everything.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import type { RecordingsRepository } from '../storage/repositories/recordings.js';
import { isCameraDirName, isDayDirName, parseSegmentRelPath } from './paths.js';
import { deleteSegment } from './retention.js';
import { isLockFileName } from './dir-lock.js';
import { inspectSegmentFile, salvageSegmentFile } from './salvage.js';
import { appendSegmentRow } from './segment-index.js';

export interface CheckOptions {
  /** Fix what can be fixed without losing video (salvage orphans, finish deletes). */
  repair: boolean;
  /** Re-hash every indexed file (slow: reads everything). */
  verifyHashes: boolean;
  /** Camera ids that exist (orphans of other cameras are reported, not indexed). */
  knownCameras?: ReadonlySet<string>;
  /**
   * Only these cameras' rows and files (a PostgreSQL site: the cameras whose lease this node holds;
   * the others may be written by another node right now). Default: every camera.
   */
  cameras?: ReadonlySet<string>;
  /**
   * Another process records this directory right now (its lock is held): read only, and the newest
   * file without a row of each camera is the segment being written, reported as in progress.
   */
  live?: boolean;
}

export interface CheckReport {
  files: number;
  rows: number;
  orphans: { path: string; fragments?: number; bytes?: number; truncatedBytes?: number; action: string }[];
  missingFiles: { segmentId: string; path: string }[];
  sizeMismatches: { segmentId: string; path: string; rowBytes: number; fileBytes: number }[];
  hashMismatches: { segmentId: string; path: string }[];
  chainBreaks: { cameraId: string; seq: number; path: string }[];
  unfinishedDeletes: { segmentId: string; path: string; action: string }[];
  foreignFiles: string[];
  /** segments being written by the running recorder (a live directory): not orphans */
  inProgress: { path: string; bytes: number }[];
  /** What repair did, one line each. */
  actions: string[];
}

export function checkIsClean(r: CheckReport): boolean {
  return (
    r.orphans.length === 0 &&
    r.missingFiles.length === 0 &&
    r.sizeMismatches.length === 0 &&
    r.hashMismatches.length === 0 &&
    r.chainBreaks.length === 0 &&
    r.unfinishedDeletes.length === 0
  );
}

/** Every file under the recording directory, relative, with its size. */
async function listFiles(root: string): Promise<{ segments: Map<string, number>; foreign: string[] }> {
  const segments = new Map<string, number>();
  const foreign: string[] = [];
  let cams: string[];
  try {
    cams = await readdir(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { segments, foreign };
    throw e;
  }
  for (const cam of cams) {
    if (isLockFileName(cam)) continue;
    const camDir = path.join(root, cam);
    if (!isCameraDirName(cam) || !(await stat(camDir)).isDirectory()) {
      foreign.push(cam);
      continue;
    }
    for (const day of await readdir(camDir)) {
      const dayDir = path.join(camDir, day);
      if (!isDayDirName(day) || !(await stat(dayDir)).isDirectory()) {
        foreign.push(`${cam}/${day}`);
        continue;
      }
      for (const name of await readdir(dayDir)) {
        const rel = `${cam}/${day}/${name}`;
        const st = await stat(path.join(dayDir, name));
        if (st.isFile() && parseSegmentRelPath(rel)) segments.set(rel, st.size);
        else foreign.push(rel);
      }
    }
  }
  return { segments, foreign };
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function checkRecordings(
  root: string,
  repo: RecordingsRepository,
  clock: Clock,
  opts: CheckOptions,
): Promise<CheckReport> {
  const report: CheckReport = {
    files: 0,
    rows: 0,
    orphans: [],
    missingFiles: [],
    sizeMismatches: [],
    hashMismatches: [],
    chainBreaks: [],
    unfinishedDeletes: [],
    foreignFiles: [],
    inProgress: [],
    actions: [],
  };
  if (opts.live && opts.repair) throw new Error('a live recording directory is checked read-only');
  const only = opts.cameras;
  const rows = (await repo.allSegments()).filter((r) => !only || only.has(r.cameraId));
  const { segments: files, foreign } = await listFiles(root);
  if (only)
    for (const p of [...files.keys()]) if (!only.has(parseSegmentRelPath(p)!.cameraId)) files.delete(p);
  report.files = files.size;
  report.rows = rows.length;
  report.foreignFiles = foreign;
  const byPath = new Map(rows.map((r) => [r.path, r]));

  // Deletes cut short: finish them (the file was on its way out anyway).
  for (const row of rows.filter((r) => r.state === 'deleting')) {
    let action = 'left as is';
    if (opts.repair) {
      await deleteSegment(root, repo, row);
      action = 'delete finished';
      report.actions.push(`finished the delete of ${row.path}`);
      files.delete(row.path);
    }
    report.unfinishedDeletes.push({ segmentId: row.id, path: row.path, action });
  }

  // Rows: missing files, sizes, hashes, the chain.
  const live = rows.filter((r) => r.state === 'ok');
  const bySeq = new Map(live.map((r) => [`${r.cameraId}/${r.seq}`, r]));
  for (const row of live) {
    const size = files.get(row.path);
    if (size === undefined) {
      report.missingFiles.push({ segmentId: row.id, path: row.path });
      continue;
    }
    if (size !== row.bytes)
      report.sizeMismatches.push({ segmentId: row.id, path: row.path, rowBytes: row.bytes, fileBytes: size });
    else if (opts.verifyHashes && (await sha256File(path.join(root, row.path))) !== row.sha256)
      report.hashMismatches.push({ segmentId: row.id, path: row.path });
    const prev = bySeq.get(`${row.cameraId}/${row.seq - 1}`);
    if (prev && row.prevSha256 !== prev.sha256)
      report.chainBreaks.push({ cameraId: row.cameraId, seq: row.seq, path: row.path });
  }

  // Files without a row, oldest first per camera, so the chain follows time.
  const orphans = [...files.keys()]
    .filter((p) => !byPath.has(p))
    .map((p) => ({ p, where: parseSegmentRelPath(p)! }))
    .sort((a, b) =>
      a.where.cameraId === b.where.cameraId
        ? a.where.startMs - b.where.startMs
        : a.where.cameraId.localeCompare(b.where.cameraId),
    );
  const newestOrphan = new Map<string, string>();
  for (const { p, where } of orphans) newestOrphan.set(where.cameraId, p);
  for (const { p, where } of orphans) {
    if (opts.live && newestOrphan.get(where.cameraId) === p) {
      report.inProgress.push({ path: p, bytes: files.get(p) ?? 0 });
      continue;
    }
    if (!opts.repair) {
      const r = await inspectSegmentFile(root, p);
      report.orphans.push({
        path: p,
        ...(r.kind === 'salvaged'
          ? { fragments: r.fragments, bytes: r.bytes, truncatedBytes: r.truncatedBytes }
          : {}),
        action: r.kind === 'salvaged' ? 'can be indexed (--repair)' : `nothing playable (${r.kind})`,
      });
      continue;
    }
    if (opts.knownCameras && !opts.knownCameras.has(where.cameraId)) {
      report.orphans.push({ path: p, action: 'left as is: unknown camera' });
      continue;
    }
    const r = await salvageSegmentFile(root, p);
    if (r.kind === 'salvaged') {
      await appendSegmentRow(
        repo,
        {
          cameraId: r.cameraId,
          runId: newId(),
          startMs: r.startMs,
          endMs: r.endMs,
          path: r.relPath,
          bytes: r.bytes,
          initBytes: r.initBytes,
          sha256: r.sha256,
          keyframes: r.keyframes,
          fragments: r.fragments,
          recovered: true,
        },
        clock.now().getTime(),
      );
      const line =
        `indexed ${p}: ${r.fragments} fragments, ${((r.endMs - r.startMs) / 1000).toFixed(2)} s` +
        (r.truncatedBytes > 0 ? `, cut ${r.truncatedBytes} bytes of an incomplete fragment` : '');
      report.actions.push(line);
      report.orphans.push({
        path: p,
        fragments: r.fragments,
        bytes: r.bytes,
        truncatedBytes: r.truncatedBytes,
        action: 'indexed',
      });
    } else if (r.kind === 'empty') {
      report.actions.push(`removed ${p}: ${r.why}`);
      report.orphans.push({ path: p, bytes: r.bytes, action: `removed (${r.why})` });
    } else {
      report.orphans.push({ path: p, action: 'left as is' });
    }
  }
  return report;
}

/** One line per finding, for the CLI and the log. */
export function describeReport(r: CheckReport): string[] {
  const lines = [`${r.files} segment files, ${r.rows} index rows`];
  for (const s of r.inProgress)
    lines.push(`in progress: ${s.path} (${s.bytes} bytes so far, being written by the running server)`);
  for (const o of r.orphans) lines.push(`file without a row: ${o.path} — ${o.action}`);
  for (const d of r.unfinishedDeletes) lines.push(`interrupted delete: ${d.path} — ${d.action}`);
  for (const m of r.missingFiles) lines.push(`row without its file: ${m.path} (segment ${m.segmentId})`);
  for (const m of r.sizeMismatches)
    lines.push(`size differs: ${m.path} has ${m.fileBytes} bytes, its row says ${m.rowBytes}`);
  for (const m of r.hashMismatches) lines.push(`sha256 differs from its row (altered): ${m.path}`);
  for (const c of r.chainBreaks) lines.push(`hash chain broken before ${c.path} (seq ${c.seq})`);
  for (const f of r.foreignFiles) lines.push(`not a segment file (ignored): ${f}`);
  for (const a of r.actions) lines.push(`repair: ${a}`);
  return lines;
}
