/**
 * Runs the live cameras of this process: one supervised ffmpeg and one live hub per active camera.
 * A camera starts when its first viewer comes and stops after an idle timeout without viewers.
 * Tracks health: a camera offline (stalled/failing) for `offlineEventMs` during a run raises a stored
 * `offline` health event, and a `recovered` event when it is live again.
 *
 * Every outage (the supervisor saw no video for its watchdog window, or a start failed) is one
 * `camera_outages` row with its typed reason, closed when the camera is live again; one that lasts
 * `alertAfterMs` raises a `camera_offline` alert in the transaction that marks the row. A viewer who
 * arrives while the camera waits out its back-off triggers an immediate (bounded) retry, and an
 * unreachable camera is polled with a TCP connect so it is retried as soon as it answers.
 * `refresh(cameraId)` applies a camera's saved settings to its running ingest (new URL, credentials,
 * audio off: restarted at once; disabled or deleted: stopped). Cameras nobody watches are checked by
 * IdleHealthChecks (idle-checks.ts).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { LiveHub } from '../media/hub.js';
import { HlsLiveWindow } from '../media/hls-live.js';
import { withHvc1Tag } from '../media/hevc-tag.js';
import {
  CameraSupervisor,
  type CameraState,
  type SupervisorOptions,
  type SupervisorStats,
} from '../media/supervisor.js';
import {
  audioModeFor,
  buildIngestArgs,
  demoInput,
  type AudioMode,
  type IngestInput,
} from '../media/ffmpeg-args.js';
import type { CameraSource, CameraSourcesRepository } from '../storage/repositories/camera-sources.js';
import { newId } from '../shared/ids.js';
import type { Clock } from '../shared/clock.js';
import type { CameraFailure } from '../media/failure.js';
import { checkRtsp, tcpReachable, type RtspCheckResult } from '../media/rtsp-check.js';
import { CameraOutagesRepository } from '../storage/repositories/camera-outages.js';
import type { Database } from '../storage/schema.js';
import { raiseAlert } from '../alerts/raise.js';
import { RecordingPolicyRepository } from '../storage/repositories/recordings-policy.js';
import { inWorkingHours } from '../recording/policy.js';
import { IdleHealthChecks, type IdleCheckResult, type IdleHealthChecksOptions } from './idle-checks.js';
import { FAILURE_TEXT } from './failure-text.js';

export interface CameraManagerOptions {
  sources: CameraSourcesRepository;
  /** The database, for outages and alerts (absent: neither is recorded). */
  db?: Kysely<Database> | undefined;
  ffmpegPath: string;
  clock: Clock;
  log?: Logger | undefined;
  /** Stop a camera this long after its last viewer left. Default 30 s. */
  idleStopMs?: number;
  /** Offline this long → stored health event. Default 60 s. */
  offlineEventMs?: number;
  watchdogMs?: number;
  /** An outage this long raises an alert. Default 60 s. */
  alertAfterMs?: number;
  /** Idle checks: period (0 = off, the default here; the server passes its setting) and tuning. */
  idleChecks?: Partial<Omit<IdleHealthChecksOptions, 'sources' | 'isRunning' | 'clock' | 'log'>>;
  /** Merged writes from this many viewers of one camera on (0: never, the default here). */
  mergeWritesFromViewers?: number;
  /** supervisor tuning (tests: faster backoff) */
  supervisor?: Partial<Omit<SupervisorOptions, 'cameraId' | 'args' | 'command' | 'secrets'>>;
}

export interface LiveCamera {
  readonly cameraId: string;
  readonly name: string;
  readonly hub: LiveHub;
  readonly hls: HlsLiveWindow;
  readonly supervisor: CameraSupervisor;
}

/** What a viewer is told while a camera is not live (the WebSocket `status` message). */
export interface CameraStatusMessage {
  type: 'status';
  state: CameraState;
  /** the typed reason, absent while starting or live */
  reason?: CameraFailure['code'];
  /** Russian, for the viewer: what is wrong and what to do */
  text?: string;
}

/** The status message for a camera's current state (see media.ts). */
export function statusMessage(cam: LiveCamera): CameraStatusMessage {
  const { state, failure } = cam.supervisor.stats();
  return failure && (state === 'stalled' || state === 'failing')
    ? { type: 'status', state, reason: failure.code, text: FAILURE_TEXT[failure.code].viewer }
    : { type: 'status', state };
}

interface OpenOutage {
  id: string;
  startedAt: string;
  failure: CameraFailure;
  alertTimer: NodeJS.Timeout | undefined;
}

interface Entry extends LiveCamera {
  source: CameraSource;
  idleTimer: NodeJS.Timeout | undefined;
  offlineTimer: NodeJS.Timeout | undefined;
  offlineRecorded: boolean;
  /** holders other than viewers (e.g. the recorder) that keep the camera running */
  pins: number;
  outage: OpenOutage | undefined;
  /** this camera's outage writes, in order */
  writes: Promise<void>;
}

/** The settings that decide the ingest: a change to any of them restarts it. */
function ingestKey(s: CameraSource): string {
  return JSON.stringify([s.url, s.username, s.password, s.transport, audioMode(s)]);
}

/**
 * What the ingest does with a camera's audio: dropped when not allowed, AAC copied as the camera
 * sends it, anything else (G.711, or not known yet) transcoded to AAC. The demo pattern's tone is raw
 * PCM and always encoded.
 */
export function audioMode(s: CameraSource): AudioMode {
  if (s.url.startsWith('demo:')) return s.audioAllowed ? 'aac' : 'drop';
  return audioModeFor(s.audioAllowed, s.audioCodec);
}

export class CameraNotAvailable extends Error {
  constructor(
    readonly reason: 'not_found' | 'disabled',
    cameraId: string,
  ) {
    super(`camera ${cameraId} ${reason === 'disabled' ? 'is disabled' : 'not found'}`);
  }
}

/** ffmpeg input for a camera source: `demo:` names a synthetic test pattern, anything else is RTSP. */
export function ingestInputFor(source: CameraSource): IngestInput {
  if (source.url.startsWith('demo:')) return demoInput({ name: source.name, withAudio: source.audioAllowed });
  return {
    kind: 'rtsp',
    url: source.url,
    ...(source.username ? { username: source.username } : {}),
    ...(source.password ? { password: source.password } : {}),
    transport: source.transport,
  };
}

export class CameraManager {
  private readonly cameras = new Map<string, Entry>();
  private readonly starting = new Map<string, Promise<Entry>>();
  private readonly idleStopMs: number;
  private readonly offlineEventMs: number;
  private readonly alertAfterMs: number;
  private readonly outages: CameraOutagesRepository | undefined;
  readonly idleChecks: IdleHealthChecks;
  private closed = false;

  constructor(private readonly opts: CameraManagerOptions) {
    this.idleStopMs = opts.idleStopMs ?? 30_000;
    this.offlineEventMs = opts.offlineEventMs ?? 60_000;
    this.alertAfterMs = opts.alertAfterMs ?? 30_000;
    this.outages = opts.db ? new CameraOutagesRepository(opts.db) : undefined;
    this.idleChecks = new IdleHealthChecks({
      sources: opts.sources,
      isRunning: (id) => this.cameras.has(id),
      clock: opts.clock,
      log: opts.log,
      periodMs: 0,
      ...opts.idleChecks,
      onChecked: (source, result) => this.learnedAudio(source, result),
      onSources: (list) => {
        // A safety net for edits that did not come through refresh() (another process, an import).
        for (const s of list) {
          const cam = this.cameras.get(s.cameraId);
          if (cam && ingestKey(cam.source) !== ingestKey(s)) void this.refresh(s.cameraId);
        }
      },
    });
    this.idleChecks.start();
  }

  /** The last idle check of a camera (undefined: not checked yet, or running). */
  lastCheck(cameraId: string): IdleCheckResult | undefined {
    return this.idleChecks.last(cameraId);
  }

  /** The running camera, started if needed. Throws CameraNotAvailable. */
  async acquire(cameraId: string): Promise<LiveCamera> {
    const running = this.cameras.get(cameraId);
    if (running) {
      // A viewer is waiting: do not make them wait out the back-off (bounded by the supervisor).
      const st = running.supervisor.state;
      if (st === 'stalled' || st === 'failing') running.supervisor.retryNow();
      return running;
    }
    let p = this.starting.get(cameraId);
    if (!p) {
      p = this.start(cameraId).finally(() => this.starting.delete(cameraId));
      this.starting.set(cameraId, p);
    }
    return p;
  }

  /** Keep a camera running without viewers (recording); returns the release function. */
  async pin(cameraId: string): Promise<() => void> {
    const cam = (await this.acquire(cameraId)) as Entry;
    cam.pins++;
    this.cancelIdle(cam);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      cam.pins--;
      this.scheduleIdle(cam);
    };
  }

  get(cameraId: string): LiveCamera | undefined {
    return this.cameras.get(cameraId);
  }

  state(cameraId: string): CameraState {
    return this.cameras.get(cameraId)?.supervisor.state ?? 'idle';
  }

  stats(): (SupervisorStats & { viewers: number; drops: number })[] {
    return [...this.cameras.values()].map((c) => ({
      ...c.supervisor.stats(),
      viewers: c.hub.viewerCount,
      drops: c.hub.stats().drops,
    }));
  }

  /** Stops a camera now (disabled, deleted): its viewers are closed with the reason. */
  async stopCamera(cameraId: string, reason: string): Promise<void> {
    const cam = this.cameras.get(cameraId);
    if (!cam) return;
    this.cameras.delete(cameraId);
    this.cancelIdle(cam);
    if (cam.offlineTimer) clearTimeout(cam.offlineTimer);
    this.endOutage(cam);
    cam.hub.close(reason);
    cam.hls.close();
    await cam.supervisor.stop(reason);
    await cam.writes;
  }

  /**
   * Applies a camera's saved settings to its running ingest, within the call: a new URL, credentials,
   * transport or audio setting restarts ffmpeg with them (viewers and the recorder get a new init);
   * a disabled or deleted camera is stopped. No-op for a camera that is not running.
   */
  async refresh(cameraId: string): Promise<void> {
    const cam = this.cameras.get(cameraId);
    if (!cam) return;
    const source = await this.opts.sources.get(cameraId);
    if (!source || !source.enabled) {
      await this.stopCamera(cameraId, source ? 'camera_disabled' : 'camera_removed');
      return;
    }
    await this.learnAudio(source);
    const changed = ingestKey(source) !== ingestKey(cam.source);
    cam.source = source;
    if (changed) {
      this.opts.log?.info({ cameraId }, 'camera settings changed: restarting its ingest');
      cam.hub.reset();
      cam.hls.reset();
      cam.supervisor.restart('settings changed');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idleChecks.stop();
    await Promise.all([...this.cameras.keys()].map((id) => this.stopCamera(id, 'server_shutdown')));
  }

  private async start(cameraId: string): Promise<Entry> {
    if (this.closed) throw new Error('camera manager is closed');
    const source = await this.opts.sources.get(cameraId);
    if (!source) throw new CameraNotAvailable('not_found', cameraId);
    if (!source.enabled) throw new CameraNotAvailable('disabled', cameraId);
    await this.learnAudio(source);
    const hub = new LiveHub({ mergeFromViewers: this.opts.mergeWritesFromViewers ?? 0 });
    // Arguments, secrets and reachability follow entry.source, so refresh() only has to restart.
    const secrets: string[] = [];
    const current = () => entry.source;
    const supervisor = new CameraSupervisor({
      cameraId,
      command: this.opts.ffmpegPath,
      args: () => {
        const s = current();
        secrets.splice(0, secrets.length, ...[s.password, s.username].filter((x): x is string => !!x));
        return buildIngestArgs({ input: ingestInputFor(s), audio: audioMode(s) });
      },
      secrets,
      reachable: () =>
        current().url.startsWith('demo:') ? Promise.resolve(true) : tcpReachable(current().url),
      ...(this.opts.watchdogMs ? { watchdogMs: this.opts.watchdogMs } : {}),
      ...this.opts.supervisor,
    });
    const entry: Entry = {
      cameraId,
      name: source.name,
      source,
      hub,
      hls: new HlsLiveWindow(),
      supervisor,
      idleTimer: undefined,
      offlineTimer: undefined,
      offlineRecorded: false,
      pins: 0,
      outage: undefined,
      writes: Promise.resolve(),
    };
    supervisor.on('init', (raw) => {
      const init = withHvc1Tag(raw); // Apple's players need H.265 as hvc1
      hub.setInit(init);
      entry.hls.setInit(init);
    });
    supervisor.on('fragment', (f) => {
      hub.publish(f);
      entry.hls.push(f);
    });
    supervisor.on('failure', () => {
      // Copying audio the camera no longer sends as AAC fails the run: find out again what it sends
      // (the next attempt's arguments follow entry.source).
      if (audioMode(entry.source) === 'copy') {
        const s = { ...entry.source, audioCodec: null };
        void this.learnAudio(s).then(() => {
          if (entry.source.url === s.url && s.audioCodec)
            entry.source = { ...entry.source, audioCodec: s.audioCodec };
        });
      }
    });
    supervisor.on('state', (change) => {
      this.opts.log?.info(
        { cameraId, from: change.from, to: change.to, reason: change.reason },
        'camera state',
      );
      if (change.to === 'stalled' || change.to === 'failing') {
        hub.reset();
        entry.hls.reset();
        if (change.failure) this.beginOutage(entry, change.failure);
        if (!entry.offlineTimer && !entry.offlineRecorded)
          entry.offlineTimer = setTimeout(() => {
            entry.offlineTimer = undefined;
            entry.offlineRecorded = true;
            void this.healthEvent(cameraId, 'offline', { reason: change.reason });
          }, this.offlineEventMs).unref();
      } else if (change.to === 'live') {
        this.endOutage(entry);
        if (entry.offlineTimer) clearTimeout(entry.offlineTimer);
        entry.offlineTimer = undefined;
        if (entry.offlineRecorded) {
          entry.offlineRecorded = false;
          void this.healthEvent(cameraId, 'recovered', {});
        }
      }
    });
    hub.on('viewers', (n) => {
      if (n === 0) this.scheduleIdle(entry);
      else this.cancelIdle(entry);
    });
    this.cameras.set(cameraId, entry);
    supervisor.start();
    this.scheduleIdle(entry);
    return entry;
  }

  /**
   * When a camera's audio is allowed but its codec is not known for its current URL: one RTSP
   * DESCRIBE (milliseconds; at most 2 s) finds it and stores it (camera_probes), so the ingest copies
   * AAC. Sets `source.audioCodec`; on any failure it stays unknown and the audio is transcoded.
   */
  private async learnAudio(source: CameraSource): Promise<void> {
    if (!source.audioAllowed || source.audioCodec || source.url.startsWith('demo:')) return;
    const r = await checkRtsp({
      url: source.url,
      username: source.username,
      password: source.password,
      timeoutMs: 2000,
    });
    await this.learnedAudio(source, r);
  }

  /** Stores the audio codec an RTSP check found, when it is new (also from the idle checks). */
  private async learnedAudio(source: CameraSource, r: RtspCheckResult): Promise<void> {
    if (!r.ok || !r.audioCodec || r.audioCodec === source.audioCodec || source.url.startsWith('demo:'))
      return;
    source.audioCodec = r.audioCodec;
    try {
      await this.opts.sources.recordProbe(
        source.cameraId,
        source.url,
        r.audioCodec,
        this.opts.clock.now().toISOString(),
      );
    } catch (err) {
      this.opts.log?.warn({ err, cameraId: source.cameraId }, 'could not store the camera audio codec');
    }
  }

  /** Opens the camera's outage (once per outage) and arms its alert. */
  private beginOutage(cam: Entry, failure: CameraFailure): void {
    if (cam.outage || !this.outages) return;
    const stats = cam.supervisor.stats();
    const now = this.opts.clock.now();
    // It went down when the video stopped (the watchdog noticed a window later), or now.
    const downForMs = stats.lastFragmentAgeMs ?? 0;
    const startedAt = new Date(now.getTime() - Math.min(downForMs, 10 * 60_000)).toISOString();
    const outage: OpenOutage = { id: newId(), startedAt, failure, alertTimer: undefined };
    cam.outage = outage;
    const outages = this.outages;
    this.write(cam, 'open an outage', () =>
      outages.open({
        id: outage.id,
        camera_id: cam.cameraId,
        started_at: startedAt,
        reason: failure.code,
        detail: failure.message.slice(0, 1000),
      }),
    );
    const wait = Math.max(0, this.alertAfterMs - (now.getTime() - Date.parse(startedAt)));
    outage.alertTimer = setTimeout(() => {
      outage.alertTimer = undefined;
      if (cam.outage === outage) this.write(cam, 'raise an outage alert', () => this.alert(cam, outage));
    }, wait).unref();
  }

  private endOutage(cam: Entry): void {
    const outage = cam.outage;
    if (!outage || !this.outages) return;
    cam.outage = undefined;
    if (outage.alertTimer) clearTimeout(outage.alertTimer);
    const outages = this.outages;
    const endedAt = this.opts.clock.now().toISOString();
    this.write(cam, 'close an outage', () => outages.close(outage.id, endedAt));
  }

  private async alert(cam: Entry, outage: OpenOutage): Promise<void> {
    const db = this.opts.db;
    if (!db) return;
    const clock = this.opts.clock;
    const failure = cam.supervisor.stats().failure ?? outage.failure;
    await db.transaction().execute(async (trx) => {
      const outages = new CameraOutagesRepository(trx);
      const place = await outages.placeOf(cam.cameraId);
      if (!place) return;
      const text = FAILURE_TEXT[failure.code];
      // An office camera dark in the office's working hours is critical: visits go unrecorded.
      let workingHours: boolean | null = null;
      if (place.institutionKind === 'office') {
        const policy = new RecordingPolicyRepository(trx);
        const [windows, closed] = await Promise.all([
          policy.schedules([place.roomId]),
          policy.closedDays([place.institutionId]),
        ]);
        workingHours = inWorkingHours(
          {
            timeZone: place.timeZone ?? 'UTC',
            closedDays: closed.get(place.institutionId) ?? [],
            windows: windows.get(place.roomId) ?? [],
          },
          clock.now().getTime(),
        );
      }
      await raiseAlert(trx, clock, {
        kind: 'camera_offline',
        severity: workingHours ? 'critical' : 'warning',
        regionId: place.regionId,
        institutionId: place.institutionId,
        roomId: place.roomId,
        cameraId: cam.cameraId,
        title: `Камера «${place.name}» не работает: ${text.short}`,
        body: `${text.operator} Камера недоступна с ${outage.startedAt}.`,
        evidence: {
          outageId: outage.id,
          reason: failure.code,
          detail: failure.message,
          darkSince: outage.startedAt,
          ...(workingHours !== null ? { duringWorkingHours: workingHours } : {}),
        },
        dedupeKey: `camera_offline:${cam.cameraId}`,
      });
      await outages.markAlerted(outage.id, clock.now().toISOString());
    });
  }

  /** Runs a database write after the camera's previous ones; failures are logged, never thrown. */
  private write(cam: Entry, what: string, fn: () => Promise<void>): void {
    cam.writes = cam.writes.then(fn).catch((err: unknown) => {
      this.opts.log?.error({ err, cameraId: cam.cameraId }, `could not ${what}`);
    });
  }

  private scheduleIdle(cam: Entry): void {
    if (cam.idleTimer || cam.hub.viewerCount > 0 || cam.pins > 0) return;
    cam.idleTimer = setTimeout(() => {
      cam.idleTimer = undefined;
      if (cam.hub.viewerCount === 0 && cam.pins === 0) void this.stopCamera(cam.cameraId, 'idle');
    }, this.idleStopMs).unref();
  }

  private cancelIdle(cam: Entry): void {
    if (cam.idleTimer) clearTimeout(cam.idleTimer);
    cam.idleTimer = undefined;
  }

  private async healthEvent(
    cameraId: string,
    kind: 'offline' | 'recovered',
    details: unknown,
  ): Promise<void> {
    try {
      await this.opts.sources.recordHealthEvent(
        newId(),
        cameraId,
        kind,
        this.opts.clock.now().toISOString(),
        details,
      );
      this.opts.log?.warn({ cameraId, kind }, 'camera health event');
    } catch (err) {
      this.opts.log?.error({ err, cameraId, kind }, 'could not store a health event');
    }
  }
}
