/**
 * The recording index: one row per segment file and one per gap (docs/design/recording.md).
 * Only the recorder, recovery, the retention sweeper and `okno recordings check` write here.
 */
import type { Kysely } from 'kysely';
import type { Database, GapCause, RecordingGapsTable, RecordingSegmentsTable } from '../schema.js';

export type SegmentRow = RecordingSegmentsTable;
export type GapRow = RecordingGapsTable;

/** A segment as the rest of the code sees it: numbers for bigint columns, parsed seek points. */
export interface Segment {
  id: string;
  cameraId: string;
  seq: number;
  runId: string;
  startMs: number;
  endMs: number;
  path: string;
  bytes: number;
  initBytes: number;
  sha256: string;
  prevSha256: string | null;
  /** [byteOffset, msFromStart] of each keyframe fragment, in file order. */
  keyframes: [number, number][];
  fragments: number;
  recovered: boolean;
  state: 'ok' | 'deleting';
}

export interface Gap {
  id: string;
  cameraId: string;
  startMs: number;
  endMs: number | null;
  cause: GapCause;
  details: Record<string, unknown> | null;
}

export function toSegment(r: SegmentRow): Segment {
  return {
    id: r.id,
    cameraId: r.camera_id,
    seq: Number(r.seq),
    runId: r.run_id,
    startMs: Date.parse(r.start_at),
    endMs: Date.parse(r.end_at),
    path: r.path,
    bytes: Number(r.bytes),
    initBytes: Number(r.init_bytes),
    sha256: r.sha256,
    prevSha256: r.prev_sha256,
    keyframes: JSON.parse(r.keyframes) as [number, number][],
    fragments: Number(r.fragments),
    recovered: r.recovered === 1,
    state: r.state,
  };
}

export function toGap(r: GapRow): Gap {
  return {
    id: r.id,
    cameraId: r.camera_id,
    startMs: Date.parse(r.start_at),
    endMs: r.end_at === null ? null : Date.parse(r.end_at),
    cause: r.cause,
    details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

export class RecordingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertSegment(s: Segment, createdAtMs: number): Promise<void> {
    await this.db
      .insertInto('recording_segments')
      .values({
        id: s.id,
        camera_id: s.cameraId,
        seq: s.seq,
        run_id: s.runId,
        start_at: iso(s.startMs),
        end_at: iso(s.endMs),
        duration_ms: Math.max(0, Math.round(s.endMs - s.startMs)),
        path: s.path,
        bytes: s.bytes,
        init_bytes: s.initBytes,
        sha256: s.sha256,
        prev_sha256: s.prevSha256,
        keyframes: JSON.stringify(s.keyframes),
        fragments: s.fragments,
        recovered: s.recovered ? 1 : 0,
        state: s.state,
        created_at: iso(createdAtMs),
      })
      .execute();
  }

  /** The camera's latest segment by seq (the head of its hash chain), whatever its state. */
  async lastSegment(cameraId: string): Promise<Segment | undefined> {
    const r = await this.db
      .selectFrom('recording_segments')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? toSegment(r) : undefined;
  }

  async segment(id: string): Promise<Segment | undefined> {
    const r = await this.db
      .selectFrom('recording_segments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toSegment(r) : undefined;
  }

  /** Segments of a camera overlapping [fromMs, toMs), oldest first (only those not being deleted). */
  async segmentsOverlapping(cameraId: string, fromMs: number, toMs: number): Promise<Segment[]> {
    const rows = await this.db
      .selectFrom('recording_segments')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('state', '=', 'ok')
      .where('start_at', '<', iso(toMs))
      .where('end_at', '>', iso(fromMs))
      .orderBy('start_at')
      .orderBy('seq')
      .execute();
    return rows.map(toSegment);
  }

  /** Every segment row (for recovery and `recordings check`), by camera and seq. */
  async allSegments(): Promise<Segment[]> {
    const rows = await this.db
      .selectFrom('recording_segments')
      .selectAll()
      .orderBy('camera_id')
      .orderBy('seq')
      .execute();
    return rows.map(toSegment);
  }

  /** Segments ended before the cutoff, oldest first (candidates for retention). */
  async segmentsEndedBefore(cameraId: string, cutoffMs: number, limit: number): Promise<Segment[]> {
    const rows = await this.db
      .selectFrom('recording_segments')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('end_at', '<=', iso(cutoffMs))
      .orderBy('start_at')
      .limit(limit)
      .execute();
    return rows.map(toSegment);
  }

  /** The oldest segments of a camera (ring buffer), oldest first. */
  async oldestSegments(cameraId: string, limit: number): Promise<Segment[]> {
    const rows = await this.db
      .selectFrom('recording_segments')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .orderBy('start_at')
      .limit(limit)
      .execute();
    return rows.map(toSegment);
  }

  /** Step 1 of a delete: the row says the file is going away (readers skip it from now on). */
  async markDeleting(id: string): Promise<void> {
    await this.db.updateTable('recording_segments').set({ state: 'deleting' }).where('id', '=', id).execute();
  }

  /** Last step of a delete, after the unlink is durable. */
  async removeSegmentRow(id: string): Promise<void> {
    await this.db.deleteFrom('recording_segments').where('id', '=', id).execute();
  }

  /** Re-hash after a repair: the file on disk is the truth once it was found to differ. */
  async updateSegmentFile(id: string, patch: { bytes: number; sha256: string }): Promise<void> {
    await this.db
      .updateTable('recording_segments')
      .set({ bytes: patch.bytes, sha256: patch.sha256 })
      .where('id', '=', id)
      .execute();
  }

  // -------------------------------------------------------------------------------------------------
  // Gaps.

  async insertGap(g: Gap, createdAtMs: number): Promise<void> {
    await this.db
      .insertInto('recording_gaps')
      .values({
        id: g.id,
        camera_id: g.cameraId,
        start_at: iso(g.startMs),
        end_at: g.endMs === null ? null : iso(g.endMs),
        cause: g.cause,
        details: g.details ? JSON.stringify(g.details) : null,
        created_at: iso(createdAtMs),
      })
      .execute();
  }

  async closeGap(
    id: string,
    endMs: number,
    patch: { cause?: GapCause; details?: Record<string, unknown> } = {},
  ): Promise<void> {
    await this.db
      .updateTable('recording_gaps')
      .set({
        end_at: iso(endMs),
        ...(patch.cause ? { cause: patch.cause } : {}),
        ...(patch.details ? { details: JSON.stringify(patch.details) } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The camera's open gap (end not known yet), if any. */
  async openGap(cameraId: string): Promise<Gap | undefined> {
    const r = await this.db
      .selectFrom('recording_gaps')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('end_at', 'is', null)
      .orderBy('start_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r ? toGap(r) : undefined;
  }

  /** Gaps of a camera overlapping [fromMs, toMs), open ones included, oldest first. */
  async gapsOverlapping(cameraId: string, fromMs: number, toMs: number): Promise<Gap[]> {
    const rows = await this.db
      .selectFrom('recording_gaps')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('start_at', '<', iso(toMs))
      .where((eb) => eb.or([eb('end_at', 'is', null), eb('end_at', '>', iso(fromMs))]))
      .orderBy('start_at')
      .execute();
    return rows.map(toGap);
  }

  /** Removes closed gaps of a camera that ended before the cutoff; returns how many. */
  async deleteGapsEndedBefore(
    cameraId: string,
    cutoffMs: number,
    keep: (g: Gap) => boolean,
  ): Promise<number> {
    const rows = await this.db
      .selectFrom('recording_gaps')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('end_at', 'is not', null)
      .where('end_at', '<=', iso(cutoffMs))
      .execute();
    const ids = rows
      .map(toGap)
      .filter((g) => !keep(g))
      .map((g) => g.id);
    for (let i = 0; i < ids.length; i += 500)
      await this.db
        .deleteFrom('recording_gaps')
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
    return ids.length;
  }
}
