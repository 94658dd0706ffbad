/**
 * Runs the live cameras of this process: one supervised ffmpeg and one live hub per active camera.
 * A camera starts when its first viewer comes and stops after an idle timeout without viewers.
 * Tracks health: a camera offline (stalled/failing) for `offlineEventMs` during a run raises a stored
 * `offline` health event, and a `recovered` event when it is live again.
 */
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
import { buildIngestArgs, demoInput, type IngestInput } from '../media/ffmpeg-args.js';
import type { CameraSource, CameraSourcesRepository } from '../storage/repositories/camera-sources.js';
import { newId } from '../shared/ids.js';
import type { Clock } from '../shared/clock.js';

export interface CameraManagerOptions {
  sources: CameraSourcesRepository;
  ffmpegPath: string;
  clock: Clock;
  log?: Logger | undefined;
  /** Stop a camera this long after its last viewer left. Default 30 s. */
  idleStopMs?: number;
  /** Offline this long → stored health event. Default 60 s. */
  offlineEventMs?: number;
  watchdogMs?: number;
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

interface Entry extends LiveCamera {
  idleTimer: NodeJS.Timeout | undefined;
  offlineTimer: NodeJS.Timeout | undefined;
  offlineRecorded: boolean;
  /** holders other than viewers (e.g. the recorder) that keep the camera running */
  pins: number;
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
  private closed = false;

  constructor(private readonly opts: CameraManagerOptions) {
    this.idleStopMs = opts.idleStopMs ?? 30_000;
    this.offlineEventMs = opts.offlineEventMs ?? 60_000;
  }

  /** The running camera, started if needed. Throws CameraNotAvailable. */
  async acquire(cameraId: string): Promise<LiveCamera> {
    const running = this.cameras.get(cameraId);
    if (running) return running;
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
    cam.hub.close(reason);
    cam.hls.close();
    await cam.supervisor.stop(reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.cameras.keys()].map((id) => this.stopCamera(id, 'server_shutdown')));
  }

  private async start(cameraId: string): Promise<Entry> {
    if (this.closed) throw new Error('camera manager is closed');
    const source = await this.opts.sources.get(cameraId);
    if (!source) throw new CameraNotAvailable('not_found', cameraId);
    if (!source.enabled) throw new CameraNotAvailable('disabled', cameraId);
    const input = ingestInputFor(source);
    const hub = new LiveHub();
    const supervisor = new CameraSupervisor({
      cameraId,
      command: this.opts.ffmpegPath,
      args: buildIngestArgs({ input, audio: source.audioAllowed ? 'aac' : 'drop' }),
      secrets: [source.password ?? undefined, source.username ?? undefined].filter((s): s is string => !!s),
      ...(this.opts.watchdogMs ? { watchdogMs: this.opts.watchdogMs } : {}),
      ...this.opts.supervisor,
    });
    const entry: Entry = {
      cameraId,
      name: source.name,
      hub,
      hls: new HlsLiveWindow(),
      supervisor,
      idleTimer: undefined,
      offlineTimer: undefined,
      offlineRecorded: false,
      pins: 0,
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
    supervisor.on('state', (change) => {
      this.opts.log?.info(
        { cameraId, from: change.from, to: change.to, reason: change.reason },
        'camera state',
      );
      if (change.to === 'stalled' || change.to === 'failing') {
        hub.reset();
        entry.hls.reset();
        if (!entry.offlineTimer && !entry.offlineRecorded)
          entry.offlineTimer = setTimeout(() => {
            entry.offlineTimer = undefined;
            entry.offlineRecorded = true;
            void this.healthEvent(cameraId, 'offline', { reason: change.reason });
          }, this.offlineEventMs).unref();
      } else if (change.to === 'live') {
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
