/**
 * Deleting segments, by retention (the sweeper) or to make room on a ring-buffer camera.
 *
 * Delete invariant (docs/design/recording.md): mark the row `deleting` (readers skip it) → unlink the
 * file → fsync its directory → remove the row. A crash in between leaves a `deleting` row, which
 * startup recovery finishes; never a row pointing at a file that silently disappeared.
 *
 * A segment overlapping a legal hold in force on its camera is never deleted, whatever its age.
 */
import { rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../shared/clock.js';
import type { RecordingsRepository, Segment } from '../storage/repositories/recordings.js';
import type {
  ExportRow,
  HoldRow,
  RecordingPolicyRepository,
} from '../storage/repositories/recordings-policy.js';
import { fsyncDir } from './paths.js';

const DAY_MS = 86_400_000;
const BATCH = 2000;

/** The delete invariant for one segment. */
export async function deleteSegment(root: string, repo: RecordingsRepository, seg: Segment): Promise<void> {
  await repo.markDeleting(seg.id);
  const abs = path.join(root, seg.path);
  try {
    await unlink(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const dir = path.dirname(abs);
  await fsyncDir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await repo.removeSegmentRow(seg.id);
  // An emptied day directory goes too (it is recreated, durably, when needed).
  try {
    await rmdir(dir);
    await fsyncDir(path.dirname(dir));
  } catch {
    // not empty, or already gone
  }
}

export function heldBy(holds: readonly HoldRow[], startMs: number, endMs: number): HoldRow | undefined {
  return holds.find((h) => startMs < Date.parse(h.to_at) && endMs > Date.parse(h.from_at));
}

export interface SweepCameraResult {
  cameraId: string;
  retentionDays: number;
  cutoff: string;
  deletedSegments: number;
  deletedBytes: number;
  /** The time range the deleted segments covered (null when none). */
  deletedFrom: string | null;
  deletedTo: string | null;
  /** Expired segments kept because of a legal hold. */
  heldSegments: number;
  deletedGaps: number;
}

export interface SweepResult {
  at: string;
  cameras: SweepCameraResult[];
  deletedSegments: number;
  deletedBytes: number;
  heldSegments: number;
  errors: string[];
}

export interface SweepDeps {
  root: string;
  repo: RecordingsRepository;
  policy: RecordingPolicyRepository;
  clock: Clock;
  defaultDays: number;
  /** Cameras left alone (their lease is held by another node, which sweeps them). */
  skip?: ReadonlySet<string>;
}

/** One pass of the retention sweeper over every camera that has segments. */
export async function sweepRetention(deps: SweepDeps): Promise<SweepResult> {
  const now = deps.clock.now().getTime();
  const [cameras, retention] = await Promise.all([
    deps.policy.camerasWithSegments(),
    deps.policy.retention(),
  ]);
  const result: SweepResult = {
    at: new Date(now).toISOString(),
    cameras: [],
    deletedSegments: 0,
    deletedBytes: 0,
    heldSegments: 0,
    errors: [],
  };
  for (const cam of cameras) {
    if (deps.skip?.has(cam.cameraId)) continue;
    const days = retention.get(`${cam.institutionId}/${cam.roomKind}`) ?? deps.defaultDays;
    const cutoffMs = now - days * DAY_MS;
    const holds = await deps.policy.activeHolds(cam.cameraId);
    const r: SweepCameraResult = {
      cameraId: cam.cameraId,
      retentionDays: days,
      cutoff: new Date(cutoffMs).toISOString(),
      deletedSegments: 0,
      deletedBytes: 0,
      deletedFrom: null,
      deletedTo: null,
      heldSegments: 0,
      deletedGaps: 0,
    };
    let fromMs = Infinity;
    let toMs = -Infinity;
    for (;;) {
      const batch = await deps.repo.segmentsEndedBefore(cam.cameraId, cutoffMs, BATCH);
      let deletedNow = 0;
      for (const seg of batch) {
        if (heldBy(holds, seg.startMs, seg.endMs)) continue;
        try {
          await deleteSegment(deps.root, deps.repo, seg);
        } catch (err) {
          result.errors.push(`${seg.path}: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
        deletedNow++;
        r.deletedSegments++;
        r.deletedBytes += seg.bytes;
        fromMs = Math.min(fromMs, seg.startMs);
        toMs = Math.max(toMs, seg.endMs);
      }
      if (batch.length < BATCH || deletedNow === 0) {
        r.heldSegments = batch.length - deletedNow;
        break;
      }
    }
    r.deletedGaps = await deps.repo.deleteGapsEndedBefore(
      cam.cameraId,
      cutoffMs,
      (g) => heldBy(holds, g.startMs, g.endMs ?? now) !== undefined,
    );
    if (r.deletedSegments > 0) {
      r.deletedFrom = new Date(fromMs).toISOString();
      r.deletedTo = new Date(toMs).toISOString();
    }
    result.deletedSegments += r.deletedSegments;
    result.deletedBytes += r.deletedBytes;
    result.heldSegments += r.heldSegments;
    if (r.deletedSegments > 0 || r.heldSegments > 0 || r.deletedGaps > 0) result.cameras.push(r);
  }
  return result;
}

/**
 * Makes room on a ring-buffer camera: deletes its oldest segments not under a legal hold until
 * `bytesWanted` are freed or nothing more may go. Returns what was deleted.
 */
export async function trimRingBuffer(
  deps: Pick<SweepDeps, 'root' | 'repo' | 'policy'>,
  cameraId: string,
  bytesWanted: number,
): Promise<{ segments: number; bytes: number; from: number | null; to: number | null }> {
  const holds = await deps.policy.activeHolds(cameraId);
  const out = { segments: 0, bytes: 0, from: null as number | null, to: null as number | null };
  const oldest = await deps.repo.oldestSegments(cameraId, 200);
  // Never the newest segment: it is where the recording continues.
  for (const seg of oldest.slice(0, Math.max(0, oldest.length - 1))) {
    if (out.bytes >= bytesWanted) break;
    if (seg.state !== 'ok' || heldBy(holds, seg.startMs, seg.endMs)) continue;
    await deleteSegment(deps.root, deps.repo, seg);
    out.segments++;
    out.bytes += seg.bytes;
    out.from = Math.min(out.from ?? seg.startMs, seg.startMs);
    out.to = Math.max(out.to ?? seg.endMs, seg.endMs);
  }
  return out;
}

export interface ExpireExportsResult {
  /** packages whose file was deleted */
  expired: { id: string; cameraId: string; bytes: number; createdAt: string }[];
  /** expired packages kept because a legal hold in force covers their range */
  held: string[];
  errors: string[];
}

/**
 * Export packages are copies of recordings handed over to an inspector: they are personal data too,
 * and are not kept for ever. A package older than `keepDays` has its file deleted (file, directory
 * fsync, then the row marked) unless a legal hold in force on its camera covers its range; the row —
 * who exported what, when, why, and the hashes — stays, so the export can still be proven.
 */
export async function expireExports(deps: {
  exportsDir: string;
  policy: RecordingPolicyRepository;
  clock: Clock;
  keepDays: number;
}): Promise<ExpireExportsResult> {
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - deps.keepDays * DAY_MS).toISOString();
  const result: ExpireExportsResult = { expired: [], held: [], errors: [] };
  const holdsByCamera = new Map<string, HoldRow[]>();
  for (
    let page = await deps.policy.exportsToExpire(cutoff);
    page.length > 0;
    page = await deps.policy.exportsToExpire(cutoff, page.at(-1))
  )
    for (const row of page) await expireOne(row);
  return result;

  async function expireOne(row: ExportRow): Promise<void> {
    try {
      let holds = holdsByCamera.get(row.camera_id);
      if (!holds) {
        holds = await deps.policy.activeHolds(row.camera_id);
        holdsByCamera.set(row.camera_id, holds);
      }
      if (heldBy(holds, Date.parse(row.from_at), Date.parse(row.to_at))) {
        result.held.push(row.id);
        return;
      }
      try {
        await unlink(path.join(deps.exportsDir, row.file));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      await fsyncDir(deps.exportsDir).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      await deps.policy.markExportFileDeleted(row.id, now.toISOString());
      result.expired.push({
        id: row.id,
        cameraId: row.camera_id,
        bytes: Number(row.bytes),
        createdAt: row.created_at,
      });
    } catch (e) {
      result.errors.push(`export ${row.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
