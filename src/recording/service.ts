/**
 * The recording service of a process: recovers the recording directory at start, then once a tick
 * decides for every camera with a recording policy whether it records (policy, working hours, visits),
 * keeps its ingest pinned while it records or buffers its pre-roll, feeds its fragments to its
 * CameraRecorder, watches the disk, and runs the retention sweeper.
 *
 * With `recording.enabled` off (an API-only process) nothing runs: the service then only answers
 * questions about what is recorded (in-progress spans are known to the recording process alone).
 */
import type { EventEmitter } from 'node:events';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { InitSegment } from '../media/fmp4.js';
import type { SupervisorEvents } from '../media/supervisor.js';
import type { ViewingCalendar } from '../policy/facts.js';
import { appendAudit, recordAudit, SYSTEM_CONTEXT } from '../audit/audit-log.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import type { Database, GapCause } from '../storage/schema.js';
import { RecordingsRepository, type Segment } from '../storage/repositories/recordings.js';
import {
  RecordingPolicyRepository,
  type RecordingCamera,
} from '../storage/repositories/recordings-policy.js';
import { CameraSourcesRepository } from '../storage/repositories/camera-sources.js';
import { checkRecordings, describeReport, type CheckReport } from './check.js';
import { DiskGuard, statfsFreeBytes, type FreeBytes } from './disk-guard.js';
import { recordingDir } from './paths.js';
import { RecordingDirBusyError, tryLockRecordingDir, type DirLock } from './dir-lock.js';
import type { CameraLeases } from './camera-leases.js';
import { isCameraDirName } from './paths.js';
import { decideRecording, inWorkingHours } from './policy.js';
import { CameraRecorder, type RecorderStatus } from './recorder.js';
import {
  expireExports,
  sweepRetention,
  trimRingBuffer,
  type ExpireExportsResult,
  type SweepResult,
} from './retention.js';

/** What the service needs of the live plane (CameraManager fits). */
export interface LiveSource {
  pin(cameraId: string): Promise<() => void>;
  get(
    cameraId: string,
  ):
    | { hub: { readonly init: InitSegment | undefined }; supervisor: EventEmitter<SupervisorEvents> }
    | undefined;
}

export interface RecordingServiceOptions {
  db: Kysely<Database>;
  live: LiveSource;
  clock: Clock;
  config: Pick<Config, 'dataDir' | 'recording'>;
  log?: Logger | undefined;
  /** Free bytes on the recording disk (tests simulate a full disk). */
  freeBytes?: FreeBytes;
  /** Policy tick. Default 1000 ms. */
  tickMs?: number;
  /** Retention sweep period. Default one hour. */
  sweepEveryMs?: number;
  /**
   * Per-camera leases (a PostgreSQL site, where several processes may share the database): a camera
   * is recovered and recorded only under its lease, and a lease lost stops its recording. Absent on
   * SQLite, where the recording directory's lock is the one owner.
   */
  leases?: CameraLeases | undefined;
}

interface QueuedTick {
  all: boolean;
  ids: Set<string>;
  promise: Promise<void>;
}

interface Entry {
  recorder: CameraRecorder;
  release: (() => void) | undefined;
  cam: ReturnType<LiveSource['get']>;
  detach: (() => void) | undefined;
  facts: { camera: RecordingCamera; calendar: ViewingCalendar } | undefined;
}

export class RecordingService {
  readonly root: string;
  readonly repo: RecordingsRepository;
  readonly policy: RecordingPolicyRepository;
  private readonly sources: CameraSourcesRepository;
  private readonly entries = new Map<string, Entry>();
  private readonly guard: DiskGuard;
  private readonly freeBytes: FreeBytes;
  private tickTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private tickChain: Promise<void> = Promise.resolve();
  private queuedTick: QueuedTick | undefined;
  private running = false;
  private closed = false;
  private lastRecovery: CheckReport | undefined;
  private dirLock: DirLock | undefined;

  constructor(private readonly opts: RecordingServiceOptions) {
    this.root = recordingDir(opts.config);
    this.repo = new RecordingsRepository(opts.db);
    this.policy = new RecordingPolicyRepository(opts.db);
    this.sources = new CameraSourcesRepository(opts.db);
    this.guard = new DiskGuard(opts.config.recording.minFreeBytes);
    this.freeBytes = opts.freeBytes ?? statfsFreeBytes;
  }

  get enabled(): boolean {
    return this.opts.config.recording.enabled;
  }

  /** Startup recovery, then the policy tick and the sweeper (when recording is enabled here). */
  async start(opts: { timers?: boolean } = {}): Promise<CheckReport | undefined> {
    if (!this.enabled || this.running) return undefined;
    // One owner per recording directory: no recovery (which salvages files without rows) while
    // another process may be writing them.
    const attempt = tryLockRecordingDir(this.root, 'okno serve', this.opts.clock.now());
    if (!attempt.ok) throw new RecordingDirBusyError(this.root, attempt.holder);
    this.dirLock = attempt.lock;
    this.running = true;
    this.lastRecovery = await this.recover();
    await this.tick();
    if (opts.timers !== false) {
      this.tickTimer = setInterval(() => void this.tick(), this.opts.tickMs ?? 1000);
      this.tickTimer.unref();
      this.sweepTimer = setInterval(() => this.sweepInBackground(), this.opts.sweepEveryMs ?? 3_600_000);
      this.sweepTimer.unref();
      this.sweepInBackground();
    }
    return this.lastRecovery;
  }

  /** Files without rows are salvaged and indexed; interrupted deletes finished (no re-hashing). */
  async recover(): Promise<CheckReport> {
    const cameras = await this.opts.db.selectFrom('cameras').select('id').execute();
    const known = new Set(cameras.map((c) => c.id));
    const owned = this.opts.leases ? await this.leaseForRecovery(known) : undefined;
    const report = await checkRecordings(this.root, this.repo, this.opts.clock, {
      repair: true,
      verifyHashes: false,
      knownCameras: known,
      ...(owned ? { cameras: owned } : {}),
    });
    if (report.actions.length > 0 || report.missingFiles.length > 0)
      this.opts.log?.warn({ findings: describeReport(report) }, 'recording recovery');
    return report;
  }

  /**
   * The leases of the cameras that have files here, taken before recovery touches them; a camera
   * another node holds is left alone (recovered here once this node holds it).
   */
  private async leaseForRecovery(known: ReadonlySet<string>): Promise<Set<string>> {
    const leases = this.opts.leases!;
    let dirs: string[] = [];
    try {
      dirs = (await readdir(this.root)).filter((d) => isCameraDirName(d) && known.has(d));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const owned = new Set<string>();
    const deferred: string[] = [];
    for (const id of dirs) {
      if (await leases.take(id)) owned.add(id);
      else deferred.push(id);
    }
    if (deferred.length)
      this.opts.log?.warn({ cameras: deferred }, 'recovery deferred: another node holds these cameras');
    return owned;
  }

  get recovery(): CheckReport | undefined {
    return this.lastRecovery;
  }

  /**
   * One pass of the policy loop (serialised; tests call it after moving the clock), over every camera
   * or only the cameras named (a visit opened or closed re-decides its own cameras, not all of them).
   * Callers that ask while a pass is queued and not started yet share that pass (widened to their
   * cameras): it starts after their change committed, which is all they need — many visits opening
   * at once cost one pass, not one each.
   */
  tick(cameraIds?: readonly string[]): Promise<void> {
    const q = this.queuedTick;
    if (q) {
      if (!cameraIds) q.all = true;
      else for (const id of cameraIds) q.ids.add(id);
      return q.promise;
    }
    const next: QueuedTick = { all: !cameraIds, ids: new Set(cameraIds ?? []), promise: Promise.resolve() };
    next.promise = this.tickChain.then(() => {
      this.queuedTick = undefined;
      return this.tickOnce(next.all ? undefined : [...next.ids]);
    });
    this.queuedTick = next;
    this.tickChain = next.promise.catch((err: unknown) => {
      this.opts.log?.error({ err }, 'recording tick failed');
    });
    return next.promise;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.tickChain;
    for (const e of this.entries.values()) {
      e.detach?.();
      await e.recorder.close();
      e.release?.();
    }
    this.entries.clear();
    await this.opts.leases?.releaseAll().catch((err: unknown) => {
      this.opts.log?.warn({ err }, 'could not release the camera leases (they run out by themselves)');
    });
    this.dirLock?.release();
    this.dirLock = undefined;
  }

  /** Every queued segment and gap write of every camera is done (tests). */
  async idle(): Promise<void> {
    await this.tickChain;
    for (const e of this.entries.values()) await e.recorder.idle();
  }

  recorder(cameraId: string): CameraRecorder | undefined {
    return this.entries.get(cameraId)?.recorder;
  }

  /**
   * The camera's segments in [fromMs, toMs), oldest first: the index's, and those this process is
   * writing (or indexing) right now, up to their last written fragment.
   */
  async segmentsOverlapping(cameraId: string, fromMs: number, toMs: number): Promise<Segment[]> {
    const indexed = await this.repo.segmentsOverlapping(cameraId, fromMs, toMs);
    const ids = new Set(indexed.map((s) => s.id));
    const more = this.unindexed(cameraId).filter(
      (s) => !ids.has(s.id) && s.endMs > fromMs && s.startMs < toMs,
    );
    return more.length ? [...indexed, ...more].sort((a, b) => a.startMs - b.startMs) : indexed;
  }

  /** A segment by id: from the index, or one this process is writing. */
  async segment(cameraId: string, id: string): Promise<Segment | undefined> {
    return (await this.repo.segment(id)) ?? this.unindexed(cameraId).find((s) => s.id === id);
  }

  private unindexed(cameraId: string): Segment[] {
    return this.entries.get(cameraId)?.recorder.unindexedSegments() ?? [];
  }

  status(): {
    enabled: boolean;
    root: string;
    disk: ReturnType<DiskGuard['status']>;
    cameras: RecorderStatus[];
  } {
    return {
      enabled: this.enabled,
      root: this.root,
      disk: this.guard.status(),
      cameras: [...this.entries.values()].map((e) => e.recorder.status()),
    };
  }

  /**
   * One retention sweep. A sweep that deleted something (or failed to) is audited with its counts and
   * ranges; one that found nothing expired is only logged, so the audit log is not an hourly clock.
   */
  async sweep(): Promise<SweepResult & { exports: ExpireExportsResult }> {
    const exports = await this.sweepExports();
    const result = await sweepRetention({
      root: this.root,
      repo: this.repo,
      policy: this.policy,
      clock: this.opts.clock,
      defaultDays: this.opts.config.recording.retentionDaysDefault,
      ...(this.opts.leases ? { skip: await this.opts.leases.heldElsewhere() } : {}),
    });
    const deletedGaps = result.cameras.reduce((n, c) => n + c.deletedGaps, 0);
    if (result.deletedSegments === 0 && deletedGaps === 0 && result.errors.length === 0) {
      this.opts.log?.debug({ held: result.heldSegments }, 'retention sweep: nothing expired');
      return { ...result, exports };
    }
    await this.opts.db.transaction().execute((trx) =>
      appendAudit(
        trx,
        SYSTEM_CONTEXT,
        {
          action: 'recording.sweep',
          targetKind: 'recordings',
          decision: null,
          reason: 'retention',
          details: {
            deletedSegments: result.deletedSegments,
            deletedBytes: result.deletedBytes,
            heldSegments: result.heldSegments,
            cameras: result.cameras,
            ...(result.errors.length ? { errors: result.errors.slice(0, 20) } : {}),
          },
        },
        this.opts.clock.now(),
      ),
    );
    if (result.deletedSegments > 0 || result.errors.length > 0)
      this.opts.log?.info(
        { deleted: result.deletedSegments, held: result.heldSegments, errors: result.errors.length },
        'retention sweep',
      );
    return { ...result, exports };
  }

  /** A timer's sweep: a failure is logged (the next sweep retries), never an unhandled rejection. */
  private sweepInBackground(): void {
    this.sweep().catch((err: unknown) => {
      if (!this.closed) this.opts.log?.error({ err }, 'retention sweep failed');
    });
  }

  /** Deletes expired export packages; one audit entry names every package deleted or kept by a hold. */
  private async sweepExports(): Promise<ExpireExportsResult> {
    const r = await expireExports({
      exportsDir: path.join(this.opts.config.dataDir, 'exports'),
      policy: this.policy,
      clock: this.opts.clock,
      keepDays: this.opts.config.recording.exportKeepDays,
    });
    if (r.expired.length === 0 && r.errors.length === 0) return r;
    await recordAudit(
      this.opts.db,
      SYSTEM_CONTEXT,
      {
        action: 'recording.exports.expire',
        targetKind: 'recordings',
        reason: 'retention',
        details: {
          keepDays: this.opts.config.recording.exportKeepDays,
          deleted: r.expired,
          heldByLegalHold: r.held,
          ...(r.errors.length ? { errors: r.errors.slice(0, 20) } : {}),
        },
      },
      this.opts.clock.now(),
    );
    if (r.errors.length)
      this.opts.log?.error({ errors: r.errors }, 'export expiry: some packages not deleted');
    else this.opts.log?.info({ deleted: r.expired.length, held: r.held.length }, 'export packages expired');
    return r;
  }

  // -------------------------------------------------------------------------------------------------

  private async tickOnce(only?: readonly string[]): Promise<void> {
    if (this.closed || !this.running) return;
    if (only && only.length === 0) return;
    const nowMs = this.opts.clock.now().getTime();
    const nowIso = new Date(nowMs).toISOString();
    const cameras = only ? await this.policy.recordingCamerasIn(only) : await this.policy.recordingCameras();
    const [schedules, closedDays, manual] = await Promise.all([
      this.policy.schedules([...new Set(cameras.map((c) => c.roomId))]),
      this.policy.closedDays([...new Set(cameras.map((c) => c.institutionId))]),
      this.policy.activeManual(
        cameras.filter((c) => c.policy === 'manual' || c.policy === 'schedule').map((c) => c.cameraId),
        nowIso,
      ),
    ]);
    const manualActive = new Set(manual.map((m) => m.camera_id));
    if (!only) await this.checkDisk(nowMs, cameras);
    const seen = new Set<string>();
    for (const camera of cameras) {
      seen.add(camera.cameraId);
      const calendar: ViewingCalendar = {
        timeZone: camera.timeZone,
        closedDays: closedDays.get(camera.institutionId) ?? [],
        windows: schedules.get(camera.roomId) ?? [],
      };
      const d = decideRecording(
        {
          policy: camera.policy,
          enabled: camera.enabled,
          workingHours: calendar,
          manualActive: manualActive.has(camera.cameraId),
          visitsAlso: camera.visitsAlso,
        },
        nowMs,
      );
      if (this.opts.leases && !(await this.own(camera.cameraId))) {
        await this.drop(camera.cameraId);
        continue;
      }
      const entry = await this.entry(camera.cameraId);
      entry.facts = { camera, calendar };
      if (d.pin) await this.ensurePinned(camera.cameraId, entry);
      else this.unpin(entry);
      entry.recorder.setDiskFull(this.guard.isFull, this.guard.status());
      entry.recorder.setWanted(d.record, d.preRoll, { why: d.why });
    }
    for (const [cameraId, entry] of this.entries) {
      if (seen.has(cameraId) || (only && !only.includes(cameraId))) continue;
      entry.recorder.setWanted(false, false, { why: 'policy_off' });
      this.unpin(entry);
    }
    // Leases taken for recovery only (a camera that records nowhere now) are given back.
    if (this.opts.leases)
      for (const id of this.opts.leases.held())
        if (!seen.has(id) && !this.entries.has(id)) await this.opts.leases.release(id);
  }

  /** Whether this node holds (or now takes) the camera's lease; false on a database error. */
  private async own(cameraId: string): Promise<boolean> {
    try {
      return await this.opts.leases!.ensure(cameraId);
    } catch (err) {
      this.opts.log?.error({ err, cameraId }, 'cannot renew the camera lease');
      return false;
    }
  }

  /**
   * Stops recording a camera whose lease this node does not hold (lost, or held elsewhere): the open
   * segment is closed and indexed, no gap is written (the holder records it), the ingest unpinned.
   */
  private async drop(cameraId: string): Promise<void> {
    const e = this.entries.get(cameraId);
    if (!e) return;
    this.entries.delete(cameraId);
    this.unpin(e);
    await e.recorder.close();
    this.opts.log?.warn({ cameraId }, 'camera lease lost: recording stopped here');
  }

  /** Cameras this node holds the lease of (PostgreSQL), for status and tests. */
  leasedCameras(): string[] {
    return this.opts.leases?.held() ?? [];
  }

  private async entry(cameraId: string): Promise<Entry> {
    let e = this.entries.get(cameraId);
    if (e) return e;
    const recorder = new CameraRecorder({
      cameraId,
      root: this.root,
      repo: this.repo,
      clock: this.opts.clock,
      segmentMs: this.opts.config.recording.segmentSeconds * 1000,
      syncIntervalMs: this.opts.config.recording.syncIntervalMs,
      preRollMs: this.opts.config.recording.preRollSeconds * 1000,
      log: this.opts.log,
      onGap: (gap) => void this.onGap(cameraId, gap),
      onWriteError: (err) => {
        this.opts.log?.error({ err, cameraId }, 'recording write failed');
        void this.tick();
      },
    });
    await recorder.load();
    e = { recorder, release: undefined, cam: undefined, detach: undefined, facts: undefined };
    this.entries.set(cameraId, e);
    return e;
  }

  private async ensurePinned(cameraId: string, e: Entry): Promise<void> {
    if (e.cam && e.release && this.opts.live.get(cameraId) === e.cam) return;
    // Not pinned yet, or the live plane restarted the camera (a new hub and supervisor).
    e.detach?.();
    e.detach = undefined;
    e.release?.();
    e.release = undefined;
    try {
      e.release = await this.opts.live.pin(cameraId);
    } catch (err) {
      this.opts.log?.warn({ err, cameraId }, 'cannot start the camera for recording');
      return;
    }
    const cam = this.opts.live.get(cameraId);
    e.cam = cam;
    if (!cam) return;
    const rec = e.recorder;
    const sup = cam.supervisor;
    const onInit = (init: InitSegment) => rec.onInit(init);
    const onFragment = (f: Parameters<CameraRecorder['onFragment']>[0]) => rec.onFragment(f);
    const onState = (c: SupervisorEvents['state'][0]) => {
      if (c.to === 'stalled' || c.to === 'failing') rec.onStall(c.reason);
    };
    const onSpawn = () => rec.onSpawn();
    sup.on('init', onInit);
    sup.on('fragment', onFragment);
    sup.on('state', onState);
    sup.on('spawn', onSpawn);
    e.detach = () => {
      sup.off('init', onInit);
      sup.off('fragment', onFragment);
      sup.off('state', onState);
      sup.off('spawn', onSpawn);
    };
    if (cam.hub.init) rec.onInit(cam.hub.init);
  }

  private unpin(e: Entry): void {
    e.detach?.();
    e.detach = undefined;
    e.release?.();
    e.release = undefined;
    e.cam = undefined;
  }

  private async checkDisk(nowMs: number, cameras: readonly RecordingCamera[]): Promise<void> {
    let free: number;
    try {
      free = await this.freeBytes(this.root);
    } catch (err) {
      this.opts.log?.error({ err }, 'cannot measure free space on the recording disk');
      return;
    }
    if (free < this.opts.config.recording.minFreeBytes) {
      // Ring buffers give up their oldest unheld video first; nobody else's recordings are touched.
      for (const cam of cameras.filter((c) => c.ringBuffer)) {
        const trimmed = await trimRingBuffer(
          { root: this.root, repo: this.repo, policy: this.policy },
          cam.cameraId,
          this.guard.shortfall(free),
        );
        if (trimmed.segments > 0) {
          await this.opts.db.transaction().execute((trx) =>
            appendAudit(
              trx,
              SYSTEM_CONTEXT,
              {
                action: 'recording.ring_buffer_trim',
                targetKind: 'camera',
                targetId: cam.cameraId,
                institutionId: cam.institutionId,
                reason: 'disk_low',
                details: {
                  deletedSegments: trimmed.segments,
                  deletedBytes: trimmed.bytes,
                  from: trimmed.from === null ? null : new Date(trimmed.from).toISOString(),
                  to: trimmed.to === null ? null : new Date(trimmed.to).toISOString(),
                },
              },
              new Date(nowMs),
            ),
          );
          free = await this.freeBytes(this.root);
        }
        if (free >= this.guard.resumeBytes) break;
      }
    }
    const change = this.guard.update(free, nowMs);
    if (change === 'stopped')
      this.opts.log?.error(
        { freeBytes: free, minFreeBytes: this.opts.config.recording.minFreeBytes, root: this.root },
        'recording disk nearly full: recording stopped',
      );
    else if (change === 'resumed') this.opts.log?.warn({ freeBytes: free }, 'recording disk has room again');
  }

  /** A gap while recording was wanted: a health event when it falls in working hours. */
  private async onGap(
    cameraId: string,
    gap: { cause: GapCause; startMs: number; details: Record<string, unknown> },
  ): Promise<void> {
    const facts = this.entries.get(cameraId)?.facts;
    if (!facts) return;
    const { policy } = facts.camera;
    const working =
      policy === 'manual' || policy === 'schedule' || inWorkingHours(facts.calendar, gap.startMs);
    if (!working) return;
    try {
      await this.sources.recordHealthEvent(newId(), cameraId, 'gap', this.opts.clock.now().toISOString(), {
        cause: gap.cause,
        start: new Date(gap.startMs).toISOString(),
        policy,
        ...gap.details,
      });
      this.opts.log?.warn({ cameraId, cause: gap.cause }, 'recording gap');
    } catch (err) {
      this.opts.log?.error({ err, cameraId }, 'cannot store a gap health event');
    }
  }
}
