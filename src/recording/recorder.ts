/**
 * The recorder of one camera: turns the camera's fragments into segment files and index rows, and
 * every interruption into a gap row with its cause.
 *
 * - Wall time of a fragment comes from its decode time and the run's clock: the instant the run's
 *   media time 0 was captured, estimated as min(arrival − media end) over the run's first seconds
 *   (ffmpeg delivers its first frames in a burst, later ones as they come). Segments of one run are
 *   exactly contiguous: each starts where the previous one ended.
 * - A segment starts on a keyframe and is rotated at the first keyframe after `segmentMs`.
 * - While recording is not wanted (manual camera between visits) a rolling pre-roll buffer of at least
 *   `preRollMs` starting on a keyframe is kept, and written first when recording starts.
 * - Gaps: an interruption (stall, new ingest run, disk full, policy off) closes the segment at the end
 *   of the last fragment written and opens a gap row there; the next segment closes it. A stall whose
 *   first restart succeeds at once is an ingest restart, anything longer the camera being offline.
 *   A hole found when recording resumes without an open gap (the process was not running) is a
 *   server_restart gap.
 * All database work runs in one queue per camera, in event order.
 */
import type { Logger } from 'pino';
import type { Fragment, InitSegment } from '../media/fmp4.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import type { GapCause } from '../storage/schema.js';
import type { RecordingsRepository, Segment } from '../storage/repositories/recordings.js';
import { fragmentMs } from './fmp4-file.js';
import { SegmentWriter } from './segment-writer.js';
import { salvageSegmentFile } from './salvage.js';
import { appendSegmentRow } from './segment-index.js';

/** Holes between segments of different runs up to this long are timing jitter, not lost video. */
export const GAP_TOLERANCE_MS = 250;
/** The seq of a segment that has no index row yet (rows start at 1). */
export const IN_PROGRESS_SEQ = 0;
/** A fragment with frames but less media time than this is one whose timestamps stopped advancing. */
const STALLED_FRAGMENT_MS = 1;
/** Media time running this far behind the wall clock re-anchors the run (at a keyframe). */
const MAX_LAG_MS = 3000;
/** …or this far ahead of it. */
const MAX_LEAD_MS = 1500;
const MAX_PREROLL_BYTES = 64 * 1024 * 1024;
/** After a failed write, wait this long before opening a new segment file. */
const WRITE_RETRY_MS = 10_000;

export interface RecorderOptions {
  cameraId: string;
  /** recording.dir */
  root: string;
  repo: RecordingsRepository;
  clock: Clock;
  segmentMs: number;
  syncIntervalMs: number;
  preRollMs: number;
  log?: Logger | undefined;
  /** A gap (not policy_off) opened: the service decides about a health event. */
  onGap?: (gap: { cause: GapCause; startMs: number; details: Record<string, unknown> }) => void;
  /** A write failed (disk full or broken): the service checks the disk. */
  onWriteError?: (err: Error) => void;
}

/** Wall-clock origin of an ingest run's media time. */
interface RunClock {
  id: string;
  /** Wall instant of media time 0 (decode time `decode`); refined during the run's first seconds. */
  wallMs: number;
  decode: number;
  timescale: number;
  createdMs: number;
  /** Media end (ms) of the latest fragment, for fragments without a decode time. */
  mediaEndMs: number;
}

interface Timed {
  data: Buffer;
  keyframe: boolean;
  run: RunClock;
  /** Media time of the fragment's start, ms from the run's origin. */
  mediaMs: number;
  durMs: number;
}

interface Current {
  /** the id its index row will have; playback of the segment while it is written uses it */
  id: string;
  writer: SegmentWriter;
  run: RunClock;
  firstMediaMs: number;
  lastMediaEndMs: number;
  /** Start as known when the segment began (gap rows were closed there; corrected at the close). */
  startEstimateMs: number;
  /** The gap this segment ended (closed or inserted at startEstimateMs). */
  gapId: string | undefined;
  gapStartMs: number;
}

interface OpenGap {
  id: string;
  cause: GapCause;
  startMs: number;
}

interface Stall {
  reason: string;
  spawns: number;
}

/** How long into a run its clock is still refined. */
const CLOCK_SETTLE_MS = 10_000;

export interface RecorderStatus {
  cameraId: string;
  wanted: boolean;
  diskFull: boolean;
  recording: boolean;
  segmentStartedAt: string | null;
  openGap: { cause: GapCause; since: string } | null;
  lastEndAt: string | null;
  segmentsWritten: number;
  bytesWritten: number;
}

export class CameraRecorder {
  readonly cameraId: string;
  private wanted = false;
  private diskFull = false;
  private preRoll = false;
  private init: InitSegment | undefined;
  private run: RunClock | undefined;
  private buffer: Timed[] = [];
  private bufferBytes = 0;
  private cur: Current | undefined;
  /** closed segments whose index row is not written yet */
  private readonly closing = new Map<string, Segment>();
  /** End of the last closed segment (from the index at start), and the run it belonged to. */
  private closedEndMs: number | undefined;
  private closedRun: RunClock | undefined;
  private closedMediaEndMs = 0;
  private openGap: OpenGap | undefined;
  private firstSinceStart = true;
  private stall: Stall | undefined;
  private queue: Promise<void> = Promise.resolve();
  private segmentsWritten = 0;
  private bytesWritten = 0;
  private closed = false;
  private failedUntilMs = 0;

  constructor(private readonly opts: RecorderOptions) {
    this.cameraId = opts.cameraId;
  }

  /** Reads where the camera's recording stopped last time (latest segment, open gap). */
  async load(): Promise<void> {
    const [last, gap] = await Promise.all([
      this.opts.repo.lastSegment(this.cameraId),
      this.opts.repo.openGap(this.cameraId),
    ]);
    this.closedEndMs = last?.endMs;
    if (gap && last && last.startMs >= gap.startMs) {
      // The process died during the first segment after this gap; recovery indexed that segment.
      await this.opts.repo.closeGap(gap.id, last.startMs);
    } else if (gap) this.openGap = { id: gap.id, cause: gap.cause, startMs: gap.startMs };
  }

  /** End of the last media recorded: of the segment being written, or of the last closed one. */
  private lastEnd(): number | undefined {
    const c = this.cur;
    return c ? this.segmentStart(c) + (c.lastMediaEndMs - c.firstMediaMs) : this.closedEndMs;
  }

  /**
   * Where the current segment starts: after a segment of the same run, by media time from where that
   * one ended (exactly contiguous when nothing lies between); else by the run clock.
   */
  private segmentStart(c: Current): number {
    if (this.closedRun === c.run && this.closedEndMs !== undefined)
      return this.closedEndMs + Math.max(0, c.firstMediaMs - this.closedMediaEndMs);
    return Math.max(c.run.wallMs + c.firstMediaMs, this.closedEndMs ?? -Infinity);
  }

  /** Waits until every queued file and database operation is done. */
  async idle(): Promise<void> {
    let q;
    do {
      q = this.queue;
      await q;
    } while (q !== this.queue);
  }

  status(): RecorderStatus {
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    return {
      cameraId: this.cameraId,
      wanted: this.wanted,
      diskFull: this.diskFull,
      recording: this.cur !== undefined,
      segmentStartedAt: iso(this.cur ? this.segmentStart(this.cur) : undefined),
      openGap: this.openGap
        ? { cause: this.openGap.cause, since: new Date(this.openGap.startMs).toISOString() }
        : null,
      lastEndAt: iso(this.lastEnd()),
      segmentsWritten: this.segmentsWritten,
      bytesWritten: this.bytesWritten,
    };
  }

  get isRecording(): boolean {
    return this.cur !== undefined;
  }

  /** The segment being written: from its start to the end of the last fragment handed to it. */
  inProgress(): { startMs: number; endMs: number } | undefined {
    if (!this.cur) return undefined;
    return { startMs: this.segmentStart(this.cur), endMs: this.lastEnd()! };
  }

  // -------------------------------------------------------------------------------------------------
  // Inputs.

  /** Whether recording is wanted now (policy, schedule, visit) and whether to keep a pre-roll. */
  setWanted(wanted: boolean, preRoll: boolean, details: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.preRoll = preRoll;
    if (!preRoll && !wanted) this.clearBuffer();
    if (wanted === this.wanted) {
      if (!wanted && !this.openGap) this.openGapNow('policy_off', this.now(), details);
      return;
    }
    this.wanted = wanted;
    if (!wanted) {
      this.interrupt('policy_off', details);
      return;
    }
    if (!this.diskFull) this.startFromBuffer();
  }

  /** The disk guard says the disk is (no longer) too full to record. */
  setDiskFull(full: boolean, details: Record<string, unknown> = {}): void {
    if (this.closed || full === this.diskFull) return;
    this.diskFull = full;
    if (full) {
      if (this.wanted) this.interrupt('disk_full', details);
    } else if (this.wanted) this.startFromBuffer();
  }

  /** A new init segment: a new ingest run (first start or restart). */
  onInit(init: InitSegment): void {
    if (this.closed) return;
    const restart = this.init !== undefined;
    this.init = init;
    this.run = undefined;
    this.clearBuffer();
    if (restart && this.cur) this.interrupt(this.stall ? 'camera_offline' : 'ingest_restart', {});
  }

  /** The camera stalled or is failing: ffmpeg is being restarted. */
  onStall(reason: string): void {
    if (this.closed) return;
    this.stall ??= { reason, spawns: 0 };
    this.run = undefined;
    this.clearBuffer();
    if (this.wanted && !this.diskFull) this.interrupt('camera_offline', { reason });
  }

  /** ffmpeg was spawned (counts restart attempts during a stall). */
  onSpawn(): void {
    if (this.stall) this.stall.spawns++;
  }

  onFragment(f: Fragment): void {
    if (this.closed || !this.init) return;
    const now = this.now();
    const durMs = fragmentMs(f);
    // Frames whose timestamps stopped advancing (a stalled camera, issue 10): written, they would make
    // a file the index says lasts milliseconds. They are dropped; the supervisor restarts the ingest.
    if (f.sampleCount > 0 && f.durationTicks !== undefined && durMs < STALLED_FRAGMENT_MS) return;
    let run = this.runFor(f, now, durMs);
    let mediaMs = this.mediaMsOf(run, f);
    if (f.keyframe && now - run.createdMs > CLOCK_SETTLE_MS) {
      const drift = run.wallMs + mediaMs + durMs - now;
      if (drift < -MAX_LAG_MS || drift > MAX_LEAD_MS) {
        // The camera's clock and ours disagree: a new run clock from here (at a keyframe).
        this.opts.log?.warn(
          { cameraId: this.cameraId, driftMs: Math.round(drift) },
          're-anchoring media time',
        );
        if (this.cur) this.closeWriter();
        this.run = undefined;
        run = this.runFor(f, now, durMs);
        mediaMs = this.mediaMsOf(run, f);
      }
    }
    if (now - run.createdMs <= CLOCK_SETTLE_MS) run.wallMs = Math.min(run.wallMs, now - mediaMs - durMs);
    run.mediaEndMs = Math.max(run.mediaEndMs, mediaMs + durMs);
    const t: Timed = { data: f.data, keyframe: f.keyframe, run, mediaMs, durMs };
    if (this.preRoll && !this.cur) this.bufferFragment(t);
    if (this.wanted && !this.diskFull) this.write(t);
  }

  /** Closes the open segment (indexing it); the camera's next run starts with a server_restart gap. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.cur) this.closeWriter();
    this.closed = true;
    await this.idle();
  }

  // -------------------------------------------------------------------------------------------------

  private now(): number {
    return this.opts.clock.now().getTime();
  }

  private runFor(f: Fragment, now: number, durMs: number): RunClock {
    if (this.run && (f.decodeTime === undefined || this.run.timescale === f.timescale)) return this.run;
    const run: RunClock = {
      id: newId(),
      wallMs: now - durMs,
      decode: f.decodeTime ?? 0,
      timescale: f.timescale ?? 1000,
      createdMs: now,
      mediaEndMs: 0,
    };
    this.run = run;
    return run;
  }

  private mediaMsOf(run: RunClock, f: Fragment): number {
    if (f.decodeTime === undefined || !f.timescale) return run.mediaEndMs;
    return ((f.decodeTime - run.decode) * 1000) / run.timescale;
  }

  private bufferFragment(t: Timed): void {
    if (this.buffer.length === 0 && !t.keyframe) return;
    this.buffer.push(t);
    this.bufferBytes += t.data.length;
    // Drop whole GOPs from the front while what is left still covers the pre-roll.
    for (;;) {
      const next = this.buffer.findIndex((b, i) => i > 0 && b.keyframe);
      if (next < 0) break;
      const covered = t.mediaMs + t.durMs - this.buffer[next]!.mediaMs;
      if (covered < this.opts.preRollMs && this.bufferBytes <= MAX_PREROLL_BYTES) break;
      for (const dropped of this.buffer.splice(0, next)) this.bufferBytes -= dropped.data.length;
    }
  }

  private clearBuffer(): void {
    this.buffer = [];
    this.bufferBytes = 0;
  }

  /** Recording starts: the buffered pre-roll first (what was not recorded yet), from a keyframe. */
  private startFromBuffer(): void {
    const after = this.closedEndMs ?? -Infinity;
    let pending = this.buffer.filter((b) =>
      b.run === this.closedRun
        ? b.mediaMs >= this.closedMediaEndMs - 1
        : b.run.wallMs + b.mediaMs >= after - 1,
    );
    const firstKey = pending.findIndex((b) => b.keyframe);
    pending = firstKey < 0 ? [] : pending.slice(firstKey);
    this.clearBuffer();
    for (const t of pending) this.write(t);
  }

  private write(t: Timed): void {
    const c = this.cur;
    if (c?.writer.error) {
      const err = c.writer.error;
      this.failedUntilMs = this.now() + WRITE_RETRY_MS;
      this.opts.onWriteError?.(err);
      this.interrupt('disk_full', { error: (err as NodeJS.ErrnoException).code ?? err.message });
      return;
    }
    if (!c && this.now() < this.failedUntilMs) return;
    if (c && (c.run !== t.run || (t.keyframe && t.mediaMs - c.firstMediaMs >= this.opts.segmentMs)))
      this.closeWriter();
    if (!this.cur) {
      if (!t.keyframe) return; // every segment starts on a keyframe
      this.beginSegment(t);
    }
    const cur = this.cur!;
    cur.writer.append(
      t.data,
      t.keyframe,
      t.mediaMs - cur.firstMediaMs,
      t.mediaMs + t.durMs - cur.firstMediaMs,
    );
    cur.lastMediaEndMs = Math.max(cur.lastMediaEndMs, t.mediaMs + t.durMs);
  }

  private beginSegment(t: Timed): void {
    const lastEnd = this.closedEndMs;
    const cur: Current = {
      id: newId(),
      writer: undefined as unknown as SegmentWriter,
      run: t.run,
      firstMediaMs: t.mediaMs,
      lastMediaEndMs: t.mediaMs,
      startEstimateMs: 0,
      gapId: undefined,
      gapStartMs: 0,
    };
    const startMs = this.segmentStart(cur);
    cur.startEstimateMs = startMs;
    const gap = this.openGap;
    if (gap) {
      const offline = this.stall !== undefined && gap.cause === 'camera_offline';
      const cause = offline ? this.stallCause(this.stall!) : gap.cause;
      const details = offline ? { reason: this.stall!.reason, restarts: this.stall!.spawns } : undefined;
      this.openGap = undefined;
      cur.gapId = gap.id;
      cur.gapStartMs = gap.startMs;
      const endMs = Math.max(gap.startMs, startMs);
      this.enqueue(() =>
        this.opts.repo.closeGap(gap.id, endMs, {
          ...(cause !== gap.cause ? { cause } : {}),
          ...(details ? { details } : {}),
        }),
      );
    } else if (lastEnd !== undefined && startMs - lastEnd > GAP_TOLERANCE_MS) {
      const cause: GapCause = this.firstSinceStart ? 'server_restart' : 'ingest_restart';
      cur.gapId = this.insertGap(cause, lastEnd, startMs, {});
      cur.gapStartMs = lastEnd;
    }
    this.stall = undefined;
    this.firstSinceStart = false;
    cur.writer = new SegmentWriter({
      root: this.opts.root,
      cameraId: this.cameraId,
      startMs,
      init: this.init!.data,
      syncIntervalMs: this.opts.syncIntervalMs,
    });
    this.cur = cur;
  }

  private stallCause(stall: Stall): GapCause {
    // ffmpeg died but the first restart brought the picture back: the ingest, not the camera.
    return stall.spawns <= 1 && !stall.reason.startsWith('no video') ? 'ingest_restart' : 'camera_offline';
  }

  /** Stops the current segment and opens a gap at the end of what was written. */
  private interrupt(cause: GapCause, details: Record<string, unknown>): void {
    if (this.cur) this.closeWriter();
    this.openGapNow(cause, this.closedEndMs ?? this.now(), details);
  }

  private openGapNow(cause: GapCause, startMs: number, details: Record<string, unknown>): void {
    if (this.openGap) return;
    const now = this.now();
    const lastEnd = this.closedEndMs;
    if (this.firstSinceStart && lastEnd !== undefined && now - lastEnd > GAP_TOLERANCE_MS) {
      // The process was not running since the last segment ended.
      this.insertGap('server_restart', lastEnd, now, {});
      startMs = now;
    }
    this.firstSinceStart = false;
    const gap: OpenGap = { id: newId(), cause, startMs };
    this.openGap = gap;
    this.enqueue(() =>
      this.opts.repo.insertGap(
        { id: gap.id, cameraId: this.cameraId, startMs, endMs: null, cause, details },
        this.now(),
      ),
    );
    if (cause !== 'policy_off') this.opts.onGap?.({ cause, startMs, details });
  }

  private insertGap(
    cause: GapCause,
    startMs: number,
    endMs: number,
    details: Record<string, unknown>,
  ): string {
    const id = newId();
    this.enqueue(() =>
      this.opts.repo.insertGap({ id, cameraId: this.cameraId, startMs, endMs, cause, details }, this.now()),
    );
    this.opts.onGap?.({ cause, startMs, details });
    return id;
  }

  /** Closes the current segment at its final start and end (the run clock has settled by now). */
  private closeWriter(): void {
    const c = this.cur;
    if (!c) return;
    const startMs = this.segmentStart(c);
    const endMs = startMs + (c.lastMediaEndMs - c.firstMediaMs);
    this.cur = undefined;
    this.closedEndMs = endMs;
    this.closedRun = c.run;
    this.closedMediaEndMs = c.lastMediaEndMs;
    if (c.gapId && startMs !== c.startEstimateMs) {
      const gapId = c.gapId;
      const gapEnd = Math.max(c.gapStartMs, startMs);
      this.enqueue(() => this.opts.repo.closeGap(gapId, gapEnd));
    }
    const closing = this.unindexedOf(c.id, c.writer, startMs, c.run.id);
    if (closing) this.closing.set(c.id, { ...closing, endMs });
    this.enqueue(() =>
      this.finalize(c.writer, startMs, endMs, c.run.id, c.id).finally(() => this.closing.delete(c.id)),
    );
  }

  private unindexedOf(id: string, w: SegmentWriter, startMs: number, runId: string): Segment | undefined {
    const s = w.written();
    if (!s) return undefined;
    return {
      id,
      cameraId: this.cameraId,
      seq: IN_PROGRESS_SEQ,
      runId,
      startMs,
      endMs: startMs + s.endOffsetMs,
      path: s.relPath,
      bytes: s.bytes,
      initBytes: s.initBytes,
      sha256: '',
      prevSha256: null,
      keyframes: s.keyframes,
      fragments: s.fragments,
      recovered: false,
      state: 'ok',
    };
  }

  /**
   * Segments with video on disk but no index row yet: the one being written (up to its last written
   * fragment) and any closed one whose row is being written. Playback and export include them.
   */
  unindexedSegments(): Segment[] {
    const out = [...this.closing.values()];
    const c = this.cur;
    if (c) {
      const s = this.unindexedOf(c.id, c.writer, this.segmentStart(c), c.run.id);
      if (s) out.push(s);
    }
    return out;
  }

  /** fsync file and directory, then the row: the create invariant. */
  private async finalize(
    w: SegmentWriter,
    startMs: number,
    endMs: number,
    runId: string,
    id: string,
  ): Promise<void> {
    if (w.fragmentCount === 0) {
      await w.abandon();
      return;
    }
    let done;
    try {
      done = await w.finish();
    } catch (err) {
      // A failed write: keep what reached the disk, cut to its last complete fragment.
      const rel = await w.abandon();
      this.opts.log?.error({ err, cameraId: this.cameraId, rel }, 'segment write failed; salvaging');
      if (!rel) return;
      const s = await salvageSegmentFile(this.opts.root, rel);
      if (s.kind !== 'salvaged') return;
      await appendSegmentRow(
        this.opts.repo,
        {
          cameraId: this.cameraId,
          runId,
          startMs,
          endMs: startMs + (s.endMs - s.startMs),
          path: s.relPath,
          bytes: s.bytes,
          initBytes: s.initBytes,
          sha256: s.sha256,
          keyframes: s.keyframes,
          fragments: s.fragments,
          recovered: true,
        },
        this.now(),
      );
      return;
    }
    await appendSegmentRow(
      this.opts.repo,
      {
        id,
        cameraId: this.cameraId,
        runId,
        startMs,
        endMs,
        path: done.relPath,
        bytes: done.bytes,
        initBytes: done.initBytes,
        sha256: done.sha256,
        keyframes: done.keyframes,
        fragments: done.fragments,
        recovered: false,
      },
      this.now(),
    );
    this.segmentsWritten++;
    this.bytesWritten += done.bytes;
  }

  private enqueue(op: () => Promise<void>): void {
    this.queue = this.queue.then(op).catch((err: unknown) => {
      this.opts.log?.error({ err, cameraId: this.cameraId }, 'recording index write failed');
    });
  }
}
