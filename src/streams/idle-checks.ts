/**
 * Health checks of cameras nobody watches. A camera that waits for viewers runs no ffmpeg, so without
 * these a dead camera stays unknown until a parent finds it. Every enabled camera that is not running
 * is checked once per period (default 5 min) with one short RTSP DESCRIBE (src/media/rtsp-check.ts).
 *
 * Spread: each camera has a fixed phase in the period, a hash of its id, and a tick (default 1 s)
 * checks the cameras whose phase fell in the time since the previous tick; so 1,000 cameras every
 * 5 minutes are about 3–4 checks a second, never a thousand at once, and a camera is checked at the
 * same point of every period. At most `concurrency` checks run at once. Results are kept in memory
 * (the last one per camera) for the health API. The camera list is read again every `reloadMs`.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { checkRtsp, type RtspCheckResult } from '../media/rtsp-check.js';
import type { CameraFailure } from '../media/failure.js';
import { systemTimers, type TimerHandle, type Timers } from '../media/timers.js';
import type { CameraSource } from '../storage/repositories/camera-sources.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';

export interface IdleCheckResult {
  /** ISO instant of the check */
  at: string;
  ok: boolean;
  failure?: CameraFailure;
  durationMs: number;
}

export type CameraCheck = (source: CameraSource, timeoutMs: number) => Promise<RtspCheckResult>;

export const defaultCameraCheck: CameraCheck = (source, timeoutMs) =>
  source.url.startsWith('demo:')
    ? Promise.resolve({ ok: true, durationMs: 0, videoCodec: 'H264', audioCodec: 'none' })
    : checkRtsp({ url: source.url, username: source.username, password: source.password, timeoutMs });

export interface IdleHealthChecksOptions {
  sources: { listEnabled(): Promise<CameraSource[]> };
  isRunning: (cameraId: string) => boolean;
  /** Each idle camera is checked once per period; 0 turns the checks off. Default 5 min. */
  periodMs?: number;
  tickMs?: number;
  /** How often the camera list is read again. Default 60 s. */
  reloadMs?: number;
  timeoutMs?: number;
  concurrency?: number;
  check?: CameraCheck;
  timers?: Timers;
  clock?: Clock;
  log?: Logger | undefined;
  /** Called with every check's result (the camera manager learns the audio codec from it). */
  onChecked?: (source: CameraSource, result: RtspCheckResult) => void | Promise<void>;
  /** Called with every fresh camera list. */
  onSources?: (sources: readonly CameraSource[]) => void;
}

/** A camera's fixed offset in the period, in [0, periodMs). */
export function phaseOf(cameraId: string, periodMs: number): number {
  const h = createHash('sha1').update(cameraId).digest().readUInt32BE(0);
  return Math.floor((h / 0x1_0000_0000) * periodMs);
}

/** Whether phase p lies in the half-open window (from, to] of a period, wrapping around. */
export function inWindow(p: number, fromMs: number, toMs: number, periodMs: number): boolean {
  if (toMs - fromMs >= periodMs) return true;
  const a = ((fromMs % periodMs) + periodMs) % periodMs;
  const b = ((toMs % periodMs) + periodMs) % periodMs;
  return a < b ? p > a && p <= b : p > a || p <= b;
}

export class IdleHealthChecks {
  private readonly periodMs: number;
  private readonly tickMs: number;
  private readonly reloadMs: number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly check: CameraCheck;
  private readonly timers: Timers;
  private readonly clock: Clock;
  private readonly results = new Map<string, IdleCheckResult>();
  private cameras: { source: CameraSource; phase: number }[] = [];
  private timer: TimerHandle | undefined;
  private lastTickMs = 0;
  private lastReloadMs = Number.NEGATIVE_INFINITY;
  private reloading: Promise<void> | undefined;
  private queue: CameraSource[] = [];
  private running = 0;
  private inFlight = new Set<string>();
  private stopped = true;
  /** Checks started, for benchmarks and tests. */
  checksStarted = 0;

  constructor(private readonly opts: IdleHealthChecksOptions) {
    this.periodMs = opts.periodMs ?? 5 * 60_000;
    this.tickMs = opts.tickMs ?? 1000;
    this.reloadMs = opts.reloadMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.concurrency = opts.concurrency ?? 16;
    this.check = opts.check ?? defaultCameraCheck;
    this.timers = opts.timers ?? systemTimers;
    this.clock = opts.clock ?? systemClock;
  }

  get enabled(): boolean {
    return this.periodMs > 0;
  }

  start(): void {
    if (!this.enabled || !this.stopped) return;
    this.stopped = false;
    this.lastTickMs = this.timers.nowMs();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  last(cameraId: string): IdleCheckResult | undefined {
    return this.results.get(cameraId);
  }

  /** Checks one camera now (its result replaces the last one). */
  async checkNow(source: CameraSource): Promise<IdleCheckResult> {
    const at = this.clock.now().toISOString();
    let r: RtspCheckResult;
    try {
      r = await this.check(source, this.timeoutMs);
    } catch (err) {
      r = {
        ok: false,
        durationMs: 0,
        failure: { code: 'internal', message: err instanceof Error ? err.message : String(err) },
      };
    }
    const result: IdleCheckResult = r.ok
      ? { at, ok: true, durationMs: Math.round(r.durationMs) }
      : { at, ok: false, failure: r.failure, durationMs: Math.round(r.durationMs) };
    this.results.set(source.cameraId, result);
    try {
      await this.opts.onChecked?.(source, r);
    } catch (err) {
      this.opts.log?.warn({ err, cameraId: source.cameraId }, 'idle camera check: result not stored');
    }
    if (!r.ok)
      this.opts.log?.info({ cameraId: source.cameraId, reason: r.failure.code }, 'idle camera check failed');
    return result;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.tick().finally(() => this.schedule());
    }, this.tickMs);
  }

  private async tick(): Promise<void> {
    const now = this.timers.nowMs();
    if (now - this.lastReloadMs >= this.reloadMs) await this.reload(now);
    const from = this.lastTickMs;
    this.lastTickMs = now;
    for (const c of this.cameras) {
      if (!inWindow(c.phase, from, now, this.periodMs)) continue;
      if (this.opts.isRunning(c.source.cameraId) || this.inFlight.has(c.source.cameraId)) continue;
      this.queue.push(c.source);
    }
    this.pump();
  }

  private async reload(now: number): Promise<void> {
    this.reloading ??= (async () => {
      try {
        const list = await this.opts.sources.listEnabled();
        this.cameras = list.map((source) => ({ source, phase: phaseOf(source.cameraId, this.periodMs) }));
        const ids = new Set(list.map((s) => s.cameraId));
        for (const id of this.results.keys()) if (!ids.has(id)) this.results.delete(id);
        this.lastReloadMs = now;
        this.opts.onSources?.(list);
      } catch (err) {
        this.opts.log?.error({ err }, 'idle camera checks: cannot read the camera list');
      } finally {
        this.reloading = undefined;
      }
    })();
    await this.reloading;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0 && !this.stopped) {
      const source = this.queue.shift()!;
      this.running++;
      this.checksStarted++;
      this.inFlight.add(source.cameraId);
      void this.checkNow(source).finally(() => {
        this.running--;
        this.inFlight.delete(source.cameraId);
        this.pump();
      });
    }
  }
}
