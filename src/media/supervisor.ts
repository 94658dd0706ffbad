/**
 * One supervised ffmpeg per camera.
 *
 *   idle ──start()──> starting ──first keyframe──> live
 *                        │                          │ no fragment for watchdogMs / ffmpeg exited
 *                        │ failed attempt           ▼
 *                        └──────> failing <── stalled (restarting; at failingAfterAttempts
 *                                   ▲  │               consecutive failures it becomes failing)
 *                                   │  └─ retry with backoff, live again on the first keyframe
 *   any ──stop()──> idle      any ──disable()──> disabled ──enable()──> idle
 *
 * The watchdog does not trust ffmpeg's exit status: a dead camera can leave ffmpeg running silently
 * or exiting 0. Restarts back off exponentially (initialMs · factor^(n-1), capped at maxMs); the
 * count resets once a run has been live for stableMs. Undecodable output (MediaFormatError) kills
 * the run at once and marks the camera failing. stderr is kept, redacted, in a small ring buffer.
 *
 * Every failure carries a typed reason (src/media/failure.ts) decided from this run's stderr and what
 * the run did, so a killed camera is "unreachable", not "exited with code 0: Non-monotonous DTS".
 * The watchdog also compares media time with wall time: a stream that keeps flowing while its
 * timestamps stop advancing is a stall. Recovery does not wait for back-off alone: `retryNow()` (a
 * viewer arrived) restarts at once, at most once per `minRetryIntervalMs`, and while a camera is
 * unreachable an injected `reachable()` check is polled so a camera that answers again is retried
 * within `reachabilityPollMs`.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Fmp4Parser } from './fmp4.js';
import type { Fragment, InitSegment } from './fmp4.js';
import { MediaFormatError } from './errors.js';
import { redactText } from './ffmpeg-args.js';
import { systemTimers } from './timers.js';
import { classifyExit, classifyStderr, tellingLine, type CameraFailure } from './failure.js';
import type { TimerHandle, Timers } from './timers.js';

export type CameraState = 'idle' | 'starting' | 'live' | 'stalled' | 'failing' | 'disabled';

/** The part of a ChildProcess the supervisor uses (so tests can hand in a fake). */
export interface ChildProcessLike {
  readonly pid?: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
}

export type Spawner = (command: string, args: readonly string[]) => ChildProcessLike;

/** child_process.spawn without a shell; stdin closed, stdout/stderr piped. */
export const defaultSpawner: Spawner = (command, args) =>
  spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], shell: false, windowsHide: true });

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** A run live this long resets the backoff. */
  stableMs?: number;
}

export interface SupervisorOptions {
  cameraId: string;
  /** ffmpeg argv (without the program), or a function called before every start. */
  args: readonly string[] | (() => readonly string[]);
  /** ffmpeg program; default 'ffmpeg' from PATH. */
  command?: string;
  /** Passwords and other strings to mask in stderr and error messages (URLs are always redacted). */
  secrets?: readonly string[];
  spawn?: Spawner;
  timers?: Timers;
  /** Live with no fragment for this long → stalled, restart. Default 5000. */
  watchdogMs?: number;
  /** A start without a first keyframe fragment within this long fails. Default 15000. */
  startTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Consecutive failures (the stall included) after which stalled becomes failing. Default 3. */
  failingAfterAttempts?: number;
  /** SIGTERM, then SIGKILL after this long. Default 2000. */
  killGraceMs?: number;
  /** stderr lines kept. Default 50. */
  stderrLines?: number;
  /** Window for fps and bitrate. Default 5000. */
  statsWindowMs?: number;
  maxBoxBytes?: number;
  /**
   * Media time must advance at least this fraction of wall time over a watchdog window, or the run is
   * stalled (timestamps stopped). Default 0.5; 0 turns the check off.
   */
  minMediaRate?: number;
  /** Whether the camera answers (e.g. a TCP connect): polled during back-off after `unreachable`. */
  reachable?: () => Promise<boolean>;
  /** How often `reachable` is polled. Default 500. */
  reachabilityPollMs?: number;
  /** Early restarts (retryNow, reachable again) at most this often. Default 2000. */
  minRetryIntervalMs?: number;
}

export interface StateChange {
  cameraId: string;
  from: CameraState;
  to: CameraState;
  /** Why (redacted), e.g. "no video for 5000 ms" or "the camera refused the user name or password". */
  reason: string;
  /** The typed reason when the change is a failure (to stalled or failing). */
  failure?: CameraFailure;
}

export interface SupervisorEvents {
  state: [change: StateChange];
  init: [init: InitSegment];
  fragment: [fragment: Fragment];
  /** Every failed attempt with its typed reason (the state may not change: failing stays failing). */
  failure: [failure: CameraFailure];
  /** A new ffmpeg run was spawned (attempt 1 is the first start). */
  spawn: [info: { attempt: number; pid: number | undefined }];
}

export interface SupervisorStats {
  cameraId: string;
  state: CameraState;
  stateAgeMs: number;
  /** Restarts since start() (spawns after the first). */
  restarts: number;
  consecutiveFailures: number;
  lastError: string | undefined;
  /** Why the camera is not live now (undefined while live, idle or starting the first time). */
  failure: CameraFailure | undefined;
  /** When the next restart is due, if one is scheduled. */
  nextRestartInMs: number | undefined;
  /** Video frames per second over the stats window. */
  fps: number;
  /** Bits per second over the stats window. */
  bitrateBps: number;
  lastKeyframeAgeMs: number | undefined;
  lastFragmentAgeMs: number | undefined;
  fragments: number;
  bytes: number;
  mimeType: string | undefined;
  width: number | undefined;
  height: number | undefined;
  pid: number | undefined;
}

interface Run {
  id: number;
  child: ChildProcessLike;
  parser: Fmp4Parser;
  startedAtMs: number;
  ended: boolean;
  exited: boolean;
  exitWaiters: (() => void)[];
  killTimer: TimerHandle | undefined;
  gotKeyframe: boolean;
  gotInit: boolean;
  /** This run's stderr lines (redacted), for classifying its end. */
  stderr: string[];
  /** Media-time watchdog anchor: wall and media time (ms) of a fragment that was on pace. */
  mediaAnchor: { wallMs: number; mediaMs: number } | undefined;
}

interface RateSample {
  atMs: number;
  bytes: number;
  frames: number;
}

export class CameraSupervisor extends EventEmitter<SupervisorEvents> {
  readonly cameraId: string;
  private readonly options: SupervisorOptions;
  private readonly timers: Timers;
  private readonly spawner: Spawner;
  private readonly watchdogMs: number;
  private readonly startTimeoutMs: number;
  private readonly backoff: Required<BackoffOptions>;
  private readonly failingAfterAttempts: number;
  private readonly killGraceMs: number;
  private readonly stderrMax: number;
  private readonly statsWindowMs: number;
  private readonly minMediaRate: number;
  private readonly reachabilityPollMs: number;
  private readonly minRetryIntervalMs: number;

  private currentState: CameraState = 'idle';
  private stateSinceMs: number;
  private run: Run | undefined;
  private runCounter = 0;
  private attempts = 0;
  private consecutiveFailures = 0;
  private lastError: string | undefined;
  private failure: CameraFailure | undefined;
  private liveSinceMs = 0;
  private lastEarlyRetryMs = Number.NEGATIVE_INFINITY;
  private reachabilityTimer: TimerHandle | undefined;
  private reachabilityBusy = false;
  private restartTimer: TimerHandle | undefined;
  private restartDueMs: number | undefined;
  private watchdogTimer: TimerHandle | undefined;
  private lastFragmentAtMs: number | undefined;
  /** Last fragment with samples of the primary (video) track: what the watchdog watches. */
  private lastVideoAtMs: number | undefined;
  private lastKeyframeAtMs: number | undefined;
  private fragments = 0;
  private bytes = 0;
  private rate: RateSample[] = [];
  private stderrRing: string[] = [];
  private stderrPartial = '';
  private init: InitSegment | undefined;

  constructor(options: SupervisorOptions) {
    super();
    this.options = options;
    this.cameraId = options.cameraId;
    this.timers = options.timers ?? systemTimers;
    this.spawner = options.spawn ?? defaultSpawner;
    this.watchdogMs = options.watchdogMs ?? 5000;
    this.startTimeoutMs = options.startTimeoutMs ?? 15_000;
    this.backoff = {
      initialMs: options.backoff?.initialMs ?? 1000,
      maxMs: options.backoff?.maxMs ?? 30_000,
      factor: options.backoff?.factor ?? 2,
      stableMs: options.backoff?.stableMs ?? 30_000,
    };
    this.failingAfterAttempts = options.failingAfterAttempts ?? 3;
    this.killGraceMs = options.killGraceMs ?? 2000;
    this.stderrMax = options.stderrLines ?? 50;
    this.statsWindowMs = options.statsWindowMs ?? 5000;
    this.minMediaRate = options.minMediaRate ?? 0.5;
    this.reachabilityPollMs = options.reachabilityPollMs ?? 500;
    this.minRetryIntervalMs = options.minRetryIntervalMs ?? 2000;
    this.stateSinceMs = this.timers.nowMs();
  }

  get state(): CameraState {
    return this.currentState;
  }

  /** Last stderr lines of ffmpeg, redacted, oldest first. */
  stderrTail(): string[] {
    return [...this.stderrRing];
  }

  /** Delay before restart number n (1-based) after consecutive failures. */
  backoffDelayMs(n: number): number {
    const { initialMs, maxMs, factor } = this.backoff;
    return Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, n - 1)));
  }

  /** Starts ffmpeg (no-op when already running; refused while disabled). */
  start(): void {
    if (this.currentState === 'disabled') throw new Error(`camera ${this.cameraId} is disabled`);
    if (this.currentState !== 'idle') return;
    this.attempts = 0;
    this.consecutiveFailures = 0;
    this.lastError = undefined;
    this.failure = undefined;
    this.setState('starting', 'started');
    this.spawnRun();
  }

  /** Stops ffmpeg (SIGTERM, then SIGKILL) and returns to idle; resolves once the process is gone. */
  async stop(reason = 'stopped'): Promise<void> {
    await this.halt('idle', reason);
  }

  /** Stops and refuses start() until enable(). */
  async disable(reason = 'disabled'): Promise<void> {
    await this.halt('disabled', reason);
  }

  /**
   * Restart now instead of at the end of the back-off (a viewer arrived). Bounded: at most once per
   * minRetryIntervalMs; a no-op unless a restart is pending. Returns whether it restarted.
   */
  retryNow(): boolean {
    if (!this.restartTimer) return false;
    const now = this.timers.nowMs();
    if (now - this.lastEarlyRetryMs < this.minRetryIntervalMs) return false;
    this.lastEarlyRetryMs = now;
    this.timers.clearTimeout(this.restartTimer);
    this.spawnRun();
    return true;
  }

  /**
   * Ends the current run and starts a fresh one at once with the current `args` (the camera's settings
   * changed): counters and back-off start over. No-op while idle or disabled.
   */
  restart(reason = 'restarted'): void {
    if (this.currentState === 'idle' || this.currentState === 'disabled') return;
    this.clearRestart();
    const run = this.run;
    this.run = undefined;
    if (run) this.endRun(run);
    this.attempts = 0;
    this.consecutiveFailures = 0;
    this.failure = undefined;
    this.lastError = undefined;
    this.setState('starting', reason);
    this.spawnRun();
  }

  enable(): void {
    if (this.currentState === 'disabled') this.setState('idle', 'enabled');
  }

  stats(): SupervisorStats {
    const now = this.timers.nowMs();
    this.pruneRate(now);
    let windowBytes = 0;
    let windowFrames = 0;
    for (const s of this.rate) {
      windowBytes += s.bytes;
      windowFrames += s.frames;
    }
    // Rates over the window, or over the time since going live when that is shorter (at least 1 s).
    const spanForRate = Math.max(1000, Math.min(this.statsWindowMs, now - this.liveSinceMs));
    const live = this.currentState === 'live';
    return {
      cameraId: this.cameraId,
      state: this.currentState,
      stateAgeMs: now - this.stateSinceMs,
      restarts: Math.max(0, this.attempts - 1),
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      failure: this.currentState === 'live' ? undefined : this.failure,
      nextRestartInMs: this.restartDueMs === undefined ? undefined : Math.max(0, this.restartDueMs - now),
      fps: live && this.rate.length > 0 ? (windowFrames * 1000) / spanForRate : 0,
      bitrateBps: live && this.rate.length > 0 ? (windowBytes * 8 * 1000) / spanForRate : 0,
      lastKeyframeAgeMs: this.lastKeyframeAtMs === undefined ? undefined : now - this.lastKeyframeAtMs,
      lastFragmentAgeMs: this.lastFragmentAtMs === undefined ? undefined : now - this.lastFragmentAtMs,
      fragments: this.fragments,
      bytes: this.bytes,
      mimeType: this.init?.mimeType,
      width: this.init?.width,
      height: this.init?.height,
      pid: this.run && !this.run.exited ? this.run.child.pid : undefined,
    };
  }

  // -------------------------------------------------------------------------------------------------

  private argv(): readonly string[] {
    const { args } = this.options;
    return typeof args === 'function' ? args() : args;
  }

  private redact(text: string): string {
    return redactText(text, this.options.secrets ?? []);
  }

  private setState(to: CameraState, reason: string, failure?: CameraFailure): void {
    const from = this.currentState;
    if (from === to) return;
    this.currentState = to;
    this.stateSinceMs = this.timers.nowMs();
    this.emit('state', { cameraId: this.cameraId, from, to, reason, ...(failure ? { failure } : {}) });
  }

  private clearRestart(): void {
    if (this.restartTimer) this.timers.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.restartDueMs = undefined;
    if (this.reachabilityTimer) this.timers.clearTimeout(this.reachabilityTimer);
    this.reachabilityTimer = undefined;
  }

  private spawnRun(): void {
    this.clearRestart();
    this.attempts++;
    const id = ++this.runCounter;
    let child: ChildProcessLike;
    try {
      child = this.spawner(this.options.command ?? 'ffmpeg', this.argv());
    } catch (err) {
      this.attemptFailed('failure', {
        code: 'internal',
        message: `cannot start ffmpeg: ${this.redact(errorMessage(err))}`,
      });
      return;
    }
    const run: Run = {
      id,
      child,
      parser: new Fmp4Parser({ maxBoxBytes: this.options.maxBoxBytes }),
      startedAtMs: this.timers.nowMs(),
      ended: false,
      exited: false,
      exitWaiters: [],
      killTimer: undefined,
      gotKeyframe: false,
      gotInit: false,
      stderr: [],
      mediaAnchor: undefined,
    };
    this.run = run;
    child.stdout?.on('data', (chunk: Buffer) => this.onStdout(run, chunk));
    child.stdout?.on('error', () => undefined);
    child.stderr?.on('data', (chunk: Buffer | string) => this.onStderr(run, chunk));
    child.stderr?.on('error', () => undefined);
    // 'close' (not 'exit'): stderr has been read to the end, so the failure reason is complete.
    child.once('close', (code, signal) => this.onExit(run, code, signal));
    child.once('error', (err) => this.onSpawnError(run, err));
    this.emit('spawn', { attempt: this.attempts, pid: child.pid });
    this.armWatchdog();
  }

  private onStdout(run: Run, chunk: Buffer): void {
    if (run.ended) return;
    let items;
    try {
      items = run.parser.push(chunk);
    } catch (err) {
      const message = err instanceof MediaFormatError ? err.message : errorMessage(err);
      this.attemptFailed('format', {
        code: 'unsupported_codec',
        message: `camera sent data that is not valid video: ${this.redact(message)}`,
      });
      return;
    }
    for (const item of items) {
      if (run.ended) return;
      if (item.type === 'init') {
        this.init = item.init;
        run.gotInit = true;
        this.emit('init', item.init);
      } else {
        this.onFragment(run, item.fragment);
      }
    }
  }

  private onFragment(run: Run, fragment: Fragment): void {
    const now = this.timers.nowMs();
    this.lastFragmentAtMs = now;
    // Audio alone does not keep a camera live: a frozen picture with sound is a stall.
    if (fragment.sampleCount > 0) this.lastVideoAtMs = now;
    if (run.gotKeyframe && fragment.sampleCount > 0 && this.mediaStalled(run, fragment, now)) return;
    if (fragment.keyframe) {
      this.lastKeyframeAtMs = now;
      if (!run.gotKeyframe) {
        run.gotKeyframe = true;
        this.liveSinceMs = now;
        this.rate = [];
        this.setState('live', 'receiving video');
        this.armWatchdog(); // from the start timeout to the (shorter) watchdog period
      }
    }
    this.fragments++;
    this.bytes += fragment.data.length;
    this.rate.push({ atMs: now, bytes: fragment.data.length, frames: fragment.sampleCount });
    if (this.rate.length > 64) this.pruneRate(now);
    this.emit('fragment', fragment);
  }

  /**
   * Media time against wall time: over each watchdog window the stream's timestamps must advance at
   * least minMediaRate of the wall time that passed. Returns true when it ended the run as stalled.
   */
  private mediaStalled(run: Run, fragment: Fragment, now: number): boolean {
    if (this.minMediaRate <= 0 || fragment.decodeTime === undefined || !fragment.timescale) return false;
    const mediaMs = ((fragment.decodeTime + (fragment.durationTicks ?? 0)) * 1000) / fragment.timescale;
    const anchor = run.mediaAnchor;
    if (!anchor || mediaMs < anchor.mediaMs) {
      run.mediaAnchor = { wallMs: now, mediaMs };
      return false;
    }
    const wallSpan = now - anchor.wallMs;
    if (wallSpan < this.watchdogMs) return false;
    const mediaSpan = mediaMs - anchor.mediaMs;
    if (mediaSpan < wallSpan * this.minMediaRate) {
      this.attemptFailed('stall', {
        code: 'stalled',
        message: `timestamps stopped advancing: ${Math.round(mediaSpan)} ms of video in ${Math.round(wallSpan)} ms`,
      });
      return true;
    }
    run.mediaAnchor = { wallMs: now, mediaMs };
    return false;
  }

  private pruneRate(now: number): void {
    let drop = 0;
    while (drop < this.rate.length && (this.rate[drop]?.atMs ?? now) < now - this.statsWindowMs) drop++;
    if (drop > 0) this.rate = this.rate.slice(drop);
  }

  private onStderr(run: Run, chunk: Buffer | string): void {
    if (run.ended) return;
    const text = this.stderrPartial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const lines = text.split(/\r?\n|\r/);
    this.stderrPartial = (lines.pop() ?? '').slice(-4096);
    for (const line of lines) {
      const trimmed = line.trim();
      if (!trimmed) continue;
      const redacted = this.redact(trimmed).slice(0, 500);
      this.stderrRing.push(redacted);
      if (this.stderrRing.length > this.stderrMax) this.stderrRing.shift();
      run.stderr.push(redacted);
      if (run.stderr.length > this.stderrMax) run.stderr.shift();
    }
  }

  /** This run's stderr lines, the unterminated last one included. */
  private runStderr(run: Run): string[] {
    const partial = this.stderrPartial.trim();
    return partial ? [...run.stderr, this.redact(partial).slice(0, 500)] : run.stderr;
  }

  private onExit(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    run.exited = true;
    if (run.killTimer) this.timers.clearTimeout(run.killTimer);
    for (const resolve of run.exitWaiters.splice(0)) resolve();
    if (run.ended) return;
    const failure = classifyExit({
      wasLive: run.gotKeyframe,
      gotInit: run.gotInit,
      code,
      signal,
      stderrLines: this.runStderr(run),
    });
    this.attemptFailed(run.gotKeyframe ? 'stall' : 'failure', failure);
  }

  private onSpawnError(run: Run, err: Error): void {
    // 'error' without a process (ENOENT…) may never emit 'close'.
    if (run.child.pid === undefined) {
      run.exited = true;
      for (const resolve of run.exitWaiters.splice(0)) resolve();
    }
    if (run.ended) return;
    this.attemptFailed('failure', {
      code: 'internal',
      message: `cannot run ffmpeg: ${this.redact(err.message)}`,
    });
  }

  private armWatchdog(): void {
    if (this.watchdogTimer) this.timers.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = undefined;
    const run = this.run;
    if (!run || run.ended) return;
    const now = this.timers.nowMs();
    const deadline = run.gotKeyframe
      ? (this.lastVideoAtMs ?? now) + this.watchdogMs
      : run.startedAtMs + this.startTimeoutMs;
    this.watchdogTimer = this.timers.setTimeout(() => this.checkWatchdog(run), Math.max(deadline - now, 1));
  }

  private checkWatchdog(run: Run): void {
    this.watchdogTimer = undefined;
    if (run.ended || run !== this.run) return;
    const now = this.timers.nowMs();
    if (run.gotKeyframe) {
      const silentMs = now - (this.lastVideoAtMs ?? run.startedAtMs);
      if (silentMs >= this.watchdogMs) {
        this.attemptFailed('stall', { code: 'stalled', message: `no video for ${Math.round(silentMs)} ms` });
        return;
      }
    } else if (now - run.startedAtMs >= this.startTimeoutMs) {
      const lines = this.runStderr(run);
      const known = classifyStderr(lines);
      const detail = tellingLine(lines);
      const suffix = detail ? ` (${detail})` : '';
      this.attemptFailed(
        'failure',
        known ??
          (run.gotInit
            ? { code: 'no_video', message: `no keyframe within ${this.startTimeoutMs} ms${suffix}` }
            : {
                code: 'timeout',
                message: `the camera did not answer within ${this.startTimeoutMs} ms${suffix}`,
              }),
      );
      return;
    }
    this.armWatchdog();
  }

  /** Ends the current run and schedules the next one. */
  private attemptFailed(kind: 'stall' | 'failure' | 'format', failure: CameraFailure): void {
    const reason = failure.message;
    const run = this.run;
    if (run) this.endRun(run);
    const now = this.timers.nowMs();
    const wasLive = this.currentState === 'live';
    if (wasLive && now - this.liveSinceMs >= this.backoff.stableMs) this.consecutiveFailures = 0;
    this.consecutiveFailures++;
    this.lastError = reason;
    this.failure = failure;
    let next: CameraState;
    if (kind === 'format') next = 'failing';
    else if (wasLive) next = 'stalled';
    else if (this.currentState === 'stalled' && this.consecutiveFailures < this.failingAfterAttempts)
      next = 'stalled';
    else next = 'failing';
    this.setState(next, reason, failure);
    if (this.currentState === next && this.run === run) this.emit('failure', failure);
    if (this.currentState !== next || this.run !== run) return; // a listener stopped or restarted it
    const delayMs = this.backoffDelayMs(this.consecutiveFailures);
    this.restartDueMs = now + delayMs;
    this.restartTimer = this.timers.setTimeout(() => this.spawnRun(), delayMs);
    // A camera that refuses connections is retried as soon as it answers again (not one that answers
    // wrongly: auth, path, codec, or hangs; back-off decides for those). After a stall the first retry
    // waits its back-off (1 s by default): it tells a dead camera (refused: polled from then on) from
    // an ingest that merely died.
    if (failure.code === 'unreachable' && this.options.reachable) this.pollReachability();
  }

  /** While a restart waits and the camera was unreachable: retry as soon as it answers again. */
  private pollReachability(): void {
    const reachable = this.options.reachable;
    if (!reachable || !this.restartDueMs) return;
    const now = this.timers.nowMs();
    if (this.restartDueMs - now <= this.reachabilityPollMs) return;
    this.reachabilityTimer = this.timers.setTimeout(() => {
      this.reachabilityTimer = undefined;
      if (!this.restartTimer || this.reachabilityBusy) return;
      this.reachabilityBusy = true;
      const due = this.restartDueMs;
      reachable().then(
        (ok) => {
          this.reachabilityBusy = false;
          if (!this.restartTimer || this.restartDueMs !== due) return;
          if (ok && this.retryNow()) return;
          this.pollReachability();
        },
        () => {
          this.reachabilityBusy = false;
          if (this.restartTimer && this.restartDueMs === due) this.pollReachability();
        },
      );
    }, this.reachabilityPollMs);
  }

  private endRun(run: Run): void {
    if (run.ended) return;
    run.ended = true;
    if (this.watchdogTimer) this.timers.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = undefined;
    this.stderrPartial = '';
    if (!run.exited) {
      run.child.kill('SIGTERM');
      run.killTimer = this.timers.setTimeout(() => {
        if (!run.exited) run.child.kill('SIGKILL');
      }, this.killGraceMs);
    }
  }

  private async halt(to: 'idle' | 'disabled', reason: string): Promise<void> {
    this.clearRestart();
    const run = this.run;
    this.run = undefined;
    if (run) this.endRun(run);
    this.setState(to, reason);
    if (run && !run.exited) await new Promise<void>((resolve) => run.exitWaiters.push(resolve));
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
