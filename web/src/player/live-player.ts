/**
 * The live player's engine, free of any UI framework: it gets a grant, plays the camera over a
 * WebSocket into Media Source Extensions (or HLS where MSE is missing), renews the grant, keeps to
 * the live edge, reconnects with backoff after network trouble, and stops for good, with the reason,
 * when access is revoked. It reports a small state machine that the UI puts into words:
 *
 *   connecting ─► live ⇄ no_signal (the picture stopped for 1.5 s; still connected)
 *        │          │          │
 *        │          └──────────┴─► reconnecting ─► connecting …
 *        └──────────┴─► outside_hours | closed_day (waits for nextOpenAt) | ended (reason) | unsupported
 *
 * The transport is chosen by `chooseTransport` (transport-choice.ts): ManagedMediaSource or
 * MediaSource over the WebSocket, else Low-Latency HLS (native, or hls.js).
 */
import { ApiError, grantRefusal, type StreamGrant } from '../api.js';
import {
  absoluteWsUrl,
  backoffMs,
  classifyClose,
  classifyRefusal,
  liveEdgeSeek,
  parseServerMessage,
  toRanges,
  trimRange,
  withToken,
  type Outcome,
} from './live-policy.js';
import { browserMedia, chooseTransport, type TransportMode } from './transport-choice.js';

export type PlayerState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  /** was live; the picture has not moved for FROZEN_MS (network or camera gone quiet) */
  | { kind: 'no_signal' }
  | { kind: 'reconnecting'; cause: 'network' | 'camera_offline'; retryAt: number }
  | { kind: 'outside_hours' | 'closed_day'; nextOpenAt?: string }
  | { kind: 'ended'; reason: string }
  | { kind: 'unsupported' };

export interface PlayerEvents {
  state(state: PlayerState): void;
  grant(grant: StreamGrant): void;
  /** autoplay was refused: the viewer must tap to start */
  needsTap(needed: boolean): void;
  /** whether the stream carries sound */
  audio(has: boolean): void;
  /** why the camera is not live (a reason code), null once it is or when unknown */
  cameraReason?(reason: string | null): void;
}

export interface GrantSource {
  createStream(cameraId: string): Promise<StreamGrant>;
  renewStream(streamId: string): Promise<StreamGrant>;
}

export interface PlayerOptions {
  /** Play over HLS even where the WebSocket would work (`?transport=hls`). */
  forceHls?: boolean;
}

interface TransportHandlers {
  /** the server closed the stream with a reason */
  closed(reason: string): void;
  /** the connection broke (or never opened); `gotData` tells whether any media arrived */
  broken(gotData: boolean): void;
  renewNeeded(): void;
  cameraReason(reason: string | null): void;
  unsupported(): void;
  firstData(): void;
  audio(has: boolean): void;
}

interface Transport {
  renewed(grant: StreamGrant): void;
  /** called every second: live-edge upkeep and stall detection */
  tick(): void;
  close(): void;
}

/** No media for this long on an open socket counts as a broken connection. */
const STALL_MS = 10_000;
/** The picture not moving for this long while live is shown as «Нет связи» (goal: within 2 s). */
export const FROZEN_MS = 1500;
/** How often the picture is looked at. */
const WATCH_MS = 250;
/** Live this long resets the backoff. */
const STABLE_MS = 15_000;
/** Queue of fragments waiting for the SourceBuffer: past this the tab is too far behind. */
const MAX_QUEUE = 400;

export class LivePlayer {
  private gen = 0;
  private attempt = 0;
  private grant: StreamGrant | null = null;
  private transport: Transport | null = null;
  private renewTimer: number | undefined;
  private retryTimer: number | undefined;
  private stableTimer: number | undefined;
  private tickTimer: number | undefined;
  private state: PlayerState = { kind: 'connecting' };
  private wsFailuresBeforeData = 0;
  private preferHls = false;
  /** MSE is there but cannot decode this camera's codec (e.g. H.265): only native HLS may. */
  private mseCodecUnsupported = false;
  private disposed = false;
  private renewFailures = 0;
  private watchTicks = 0;
  private lastVideoTime = -1;
  private lastAdvanceAt = 0;
  /** the transport in use (for tests and diagnostics: `data-transport` on the player) */
  mode: TransportMode | null = null;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly cameraId: string,
    private readonly grants: GrantSource,
    private readonly events: PlayerEvents,
    private readonly options: PlayerOptions = {},
  ) {
    video.addEventListener('playing', this.onPlaying);
    video.addEventListener('timeupdate', this.onPlaying);
  }

  /** Starts playing; `grant` is one the caller already holds for this camera (e.g. from a snapshot). */
  start(held?: { grant: StreamGrant; ageMs: number }): void {
    this.attempt = 0;
    this.setState({ kind: 'connecting' });
    this.tickTimer = window.setInterval(() => this.watch(), WATCH_MS);
    void this.connect(held);
  }

  /** A new attempt after the viewer pressed "try again". */
  retry(): void {
    this.attempt = 0;
    this.clearTimers();
    this.setState({ kind: 'connecting' });
    void this.connect();
  }

  dispose(): void {
    this.disposed = true;
    this.gen++;
    this.clearTimers();
    window.clearInterval(this.tickTimer);
    this.closeTransport();
    this.video.removeEventListener('playing', this.onPlaying);
    this.video.removeEventListener('timeupdate', this.onPlaying);
  }

  /** Starts playback after a tap, where autoplay was refused. */
  play(): void {
    this.video.play().then(
      () => this.events.needsTap(false),
      () => this.events.needsTap(true),
    );
  }

  // -------------------------------------------------------------------------------------------------

  private setState(s: PlayerState): void {
    if (this.disposed) return;
    this.state = s;
    this.events.state(s);
    window.clearTimeout(this.stableTimer);
    if (s.kind === 'live') this.stableTimer = window.setTimeout(() => (this.attempt = 0), STABLE_MS);
  }

  private readonly onPlaying = (): void => {
    if (!this.transport || this.video.paused) return;
    if (this.state.kind === 'connecting' || this.state.kind === 'reconnecting') {
      this.lastAdvanceAt = Date.now();
      this.lastVideoTime = this.video.currentTime;
      this.setState({ kind: 'live' });
    }
  };

  /**
   * Every WATCH_MS: is the picture moving? A live picture that has not advanced for FROZEN_MS is
   * «Нет связи» (the stream may still come back on the same connection; the transport's own stall
   * timer decides when to reconnect); moving again is live again. Every fourth call is the
   * transport's upkeep (live edge, stall detection).
   */
  private watch(): void {
    if (++this.watchTicks % 4 === 0) this.transport?.tick();
    const kind = this.state.kind;
    if (kind !== 'live' && kind !== 'no_signal') return;
    const now = Date.now();
    const t = this.video.currentTime;
    if (t !== this.lastVideoTime) {
      this.lastVideoTime = t;
      this.lastAdvanceAt = now;
      if (kind === 'no_signal') this.setState({ kind: 'live' });
      return;
    }
    // A paused video (autoplay refused) or a hidden tab is not a lost connection.
    if (this.video.paused || document.visibilityState === 'hidden') {
      this.lastAdvanceAt = now;
      return;
    }
    if (kind === 'live' && now - this.lastAdvanceAt >= FROZEN_MS) this.setState({ kind: 'no_signal' });
  }

  private clearTimers(): void {
    window.clearTimeout(this.renewTimer);
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.stableTimer);
  }

  private closeTransport(): void {
    const t = this.transport;
    this.transport = null;
    t?.close();
  }

  private async connect(held?: { grant: StreamGrant; ageMs: number }): Promise<void> {
    const gen = ++this.gen;
    this.closeTransport();
    window.clearTimeout(this.renewTimer);
    let grant: StreamGrant;
    try {
      grant = held?.grant ?? (await this.grants.createStream(this.cameraId));
    } catch (err) {
      if (gen === this.gen) this.grantFailed(err);
      return;
    }
    if (gen !== this.gen) return;
    this.grant = grant;
    this.renewFailures = 0;
    this.events.grant(grant);
    this.scheduleRenew(grant, held?.ageMs);
    const transport = await this.openTransport(grant, gen);
    if (gen === this.gen) this.transport = transport;
    else transport?.close();
  }

  private async openTransport(grant: StreamGrant, gen: number): Promise<Transport | null> {
    const handlers = this.handlersFor(gen);
    const mode = chooseTransport(browserMedia(window, this.video), {
      hls: this.preferHls || this.options.forceHls === true,
      mseCodecUnsupported: this.mseCodecUnsupported,
    });
    this.mode = mode;
    switch (mode) {
      case 'managed-mse':
      case 'mse':
        return new MseTransport(this.video, grant, handlers, mode === 'managed-mse');
      case 'native-hls':
        return new NativeHlsTransport(this.video, grant, handlers);
      case 'hlsjs':
        try {
          return await HlsJsTransport.open(this.video, grant, handlers);
        } catch {
          if (gen === this.gen) this.unsupported();
          return null;
        }
      case null:
        this.unsupported();
        return null;
    }
  }

  private handlersFor(gen: number): TransportHandlers {
    const live = () => gen === this.gen && !this.disposed;
    return {
      closed: (reason) => {
        if (!live()) return;
        const outcome = classifyClose(reason);
        if (outcome.kind === 'reconnect')
          this.scheduleReconnect(
            outcome.reason === 'camera_offline' || outcome.reason === 'camera_unavailable'
              ? 'camera_offline'
              : 'network',
          );
        else if (outcome.kind === 'outside_hours' || outcome.kind === 'closed_day')
          void this.learnNextOpen(outcome);
        else this.finish(outcome);
      },
      broken: (gotData) => {
        if (!live()) return;
        if (!gotData && (this.mode === 'mse' || this.mode === 'managed-mse')) {
          // A socket that never delivers may be blocked by the network: after two, try HLS.
          if (++this.wsFailuresBeforeData >= 2) this.preferHls = true;
        }
        this.scheduleReconnect('network');
      },
      renewNeeded: () => {
        if (live()) void this.renewNow();
      },
      cameraReason: (reason) => {
        if (live()) this.events.cameraReason?.(reason);
      },
      unsupported: () => {
        if (!live()) return;
        if (!this.mseCodecUnsupported && this.video.canPlayType('application/vnd.apple.mpegurl') !== '') {
          this.mseCodecUnsupported = true;
          this.scheduleReconnect('network', 0);
        } else this.unsupported();
      },
      firstData: () => {
        if (!live()) return;
        this.events.cameraReason?.(null);
        this.wsFailuresBeforeData = 0;
        this.video.play().then(
          () => this.events.needsTap(false),
          (err: unknown) => {
            if (err instanceof DOMException && err.name === 'NotAllowedError') this.events.needsTap(true);
          },
        );
      },
      audio: (has) => this.events.audio(has),
    };
  }

  private grantFailed(err: unknown): void {
    const refusal = grantRefusal(err);
    if (refusal) return this.finish(classifyRefusal(refusal.reason, refusal.nextOpenAt));
    if (err instanceof ApiError && err.status === 401)
      return this.finish({ kind: 'ended', reason: 'session_ended' });
    if (err instanceof ApiError && err.status === 404)
      return this.finish({ kind: 'ended', reason: 'not_found' });
    this.scheduleReconnect('network');
  }

  /** A revocation for the viewing hours says no time: one grant request tells when they open again. */
  private async learnNextOpen(outcome: Outcome): Promise<void> {
    const gen = ++this.gen;
    this.closeTransport();
    this.clearTimers();
    try {
      const g = await this.grants.createStream(this.cameraId);
      // Open again already (a clock skew at the edge of the window): just play.
      if (gen === this.gen) await this.connect({ grant: g, ageMs: 0 });
    } catch (err) {
      if (gen !== this.gen) return;
      const refusal = grantRefusal(err);
      this.finish(refusal ? classifyRefusal(refusal.reason, refusal.nextOpenAt) : outcome);
    }
  }

  private unsupported(): void {
    this.gen++;
    this.clearTimers();
    this.closeTransport();
    this.setState({ kind: 'unsupported' });
  }

  private finish(outcome: Outcome): void {
    this.gen++;
    this.clearTimers();
    this.closeTransport();
    switch (outcome.kind) {
      case 'reconnect':
        return this.scheduleReconnect('network');
      case 'outside_hours':
      case 'closed_day': {
        this.setState(
          outcome.nextOpenAt
            ? { kind: outcome.kind, nextOpenAt: outcome.nextOpenAt }
            : { kind: outcome.kind },
        );
        const wait = outcome.nextOpenAt ? Date.parse(outcome.nextOpenAt) - Date.now() : NaN;
        // Opens within a day: start by itself then (a few seconds late, so not all viewers at once).
        if (wait > 0 && wait < 24 * 3600_000) {
          this.retryTimer = window.setTimeout(() => this.retry(), wait + 1000 + Math.random() * 15_000);
        }
        return;
      }
      case 'ended':
        return this.setState({ kind: 'ended', reason: outcome.reason });
    }
  }

  private scheduleReconnect(cause: 'network' | 'camera_offline', delayMs?: number): void {
    this.gen++;
    this.closeTransport();
    this.clearTimers();
    const delay = delayMs ?? backoffMs(this.attempt++);
    this.setState({ kind: 'reconnecting', cause, retryAt: Date.now() + delay });
    this.retryTimer = window.setTimeout(() => void this.connect(), delay);
  }

  private scheduleRenew(grant: StreamGrant, ageMs = 0): void {
    window.clearTimeout(this.renewTimer);
    // Counted from when the grant arrived here (the server's and the browser's clocks may differ);
    // a grant held from a snapshot is `ageMs` old already.
    const ms = Math.max(1000, grant.renewAfterMs - ageMs);
    this.renewTimer = window.setTimeout(() => void this.renewNow(), ms);
  }

  private async renewNow(): Promise<void> {
    const grant = this.grant;
    if (!grant) return;
    const gen = this.gen;
    window.clearTimeout(this.renewTimer);
    try {
      const next = await this.grants.renewStream(grant.streamId);
      if (gen !== this.gen) return;
      this.grant = next;
      this.renewFailures = 0;
      this.events.grant(next);
      this.transport?.renewed(next);
      this.scheduleRenew(next);
    } catch (err) {
      if (gen !== this.gen) return;
      const refusal = grantRefusal(err);
      if (refusal) return this.finish(classifyRefusal(refusal.reason, refusal.nextOpenAt));
      if (err instanceof ApiError && err.status === 401)
        return this.finish({ kind: 'ended', reason: 'session_ended' });
      if (err instanceof ApiError && (err.status === 404 || err.status === 409))
        return this.scheduleReconnect('network');
      // Network trouble: try again soon (the token is still good for a while), then start over.
      if (++this.renewFailures <= 3) this.renewTimer = window.setTimeout(() => void this.renewNow(), 2000);
      else this.scheduleReconnect('network');
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// MSE over WebSocket

class MseTransport implements Transport {
  private readonly ws: WebSocket;
  private ms: MediaSource | null = null;
  private sb: SourceBuffer | null = null;
  private objectUrl: string | null = null;
  private queue: ArrayBuffer[] = [];
  private gotData = false;
  private started = false;
  private lastDataAt = Date.now();
  private done = false;

  /** MediaSource, or ManagedMediaSource (iPhone, Safari 17+): the same API for what is used here */
  private readonly Source: typeof MediaSource;

  constructor(
    private readonly video: HTMLVideoElement,
    grant: StreamGrant,
    private readonly h: TransportHandlers,
    managed: boolean,
  ) {
    const w = window as unknown as { ManagedMediaSource?: typeof MediaSource };
    this.Source = managed && w.ManagedMediaSource ? w.ManagedMediaSource : MediaSource;
    // ManagedMediaSource plays only without AirPlay, or with an AirPlay alternative (there is none:
    // the stream is personal).
    if (managed) video.disableRemotePlayback = true;
    this.ws = new WebSocket(absoluteWsUrl(grant.wsUrl, window.location));
    this.ws.binaryType = 'arraybuffer';
    this.ws.addEventListener('message', this.onMessage);
    this.ws.addEventListener('close', this.onClose);
  }

  renewed(grant: StreamGrant): void {
    if (this.ws.readyState === WebSocket.OPEN)
      this.ws.send(JSON.stringify({ type: 'renew', token: grant.token }));
  }

  tick(): void {
    if (this.done) return;
    if (Date.now() - this.lastDataAt > STALL_MS) return this.fail(() => this.h.broken(this.gotData));
    this.keepToEdge();
    this.pump();
  }

  close(): void {
    this.done = true;
    this.ws.removeEventListener('message', this.onMessage);
    this.ws.removeEventListener('close', this.onClose);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000);
    this.sb?.removeEventListener('updateend', this.pump);
    this.queue = [];
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.video.removeAttribute('src');
    this.video.load();
  }

  private fail(report: () => void): void {
    if (this.done) return;
    this.done = true;
    report();
  }

  private readonly onMessage = (e: MessageEvent): void => {
    if (this.done) return;
    if (typeof e.data === 'string') {
      const msg = parseServerMessage(e.data);
      if (!msg) return;
      switch (msg.type) {
        case 'init':
          return this.setUp(msg.mime);
        case 'closed':
          return this.fail(() => this.h.closed(msg.reason));
        case 'renew_needed':
          return this.h.renewNeeded();
        case 'status':
          return this.h.cameraReason(msg.reason);
        case 'other':
          return;
      }
    }
    if (e.data instanceof ArrayBuffer) {
      this.lastDataAt = Date.now();
      this.queue.push(e.data);
      this.gotData = true;
      if (this.queue.length > MAX_QUEUE) return this.fail(() => this.h.broken(true));
      this.pump();
    }
  };

  private readonly onClose = (e: CloseEvent): void => {
    // The server may give the reason in the close frame instead of a message.
    if (e.code >= 4000 && e.reason) return this.fail(() => this.h.closed(e.reason));
    this.fail(() => this.h.broken(this.gotData));
  };

  /** A second init (the camera's source restarted) starts the media pipeline over on the same socket. */
  private resetMedia(): void {
    this.sb?.removeEventListener('updateend', this.pump);
    this.sb = null;
    this.ms = null;
    this.queue = [];
    this.started = false;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
  }

  private setUp(mime: string): void {
    if (this.ms) this.resetMedia();
    this.h.audio(/mp4a|opus|ac-3|ec-3/i.test(mime));
    if (!this.Source.isTypeSupported(mime)) return this.fail(() => this.h.unsupported());
    const ms = new this.Source();
    this.ms = ms;
    this.objectUrl = URL.createObjectURL(ms);
    ms.addEventListener(
      'sourceopen',
      () => {
        if (this.done || this.ms !== ms) return;
        try {
          const sb = ms.addSourceBuffer(mime);
          sb.mode = 'segments';
          sb.addEventListener('updateend', this.pump);
          sb.addEventListener('error', () => this.fail(() => this.h.broken(true)));
          this.sb = sb;
          this.pump();
        } catch {
          this.fail(() => this.h.unsupported());
        }
      },
      { once: true },
    );
    this.video.src = this.objectUrl;
  }

  private readonly pump = (): void => {
    const sb = this.sb;
    if (this.done || !sb || sb.updating || this.ms?.readyState !== 'open') return;
    if (!this.started && sb.buffered.length > 0) {
      // The first fragments are in: jump to them and start playing.
      this.started = true;
      this.keepToEdge();
      this.h.firstData();
    }
    const trim = trimRange(this.video.currentTime, toRanges(sb.buffered));
    if (trim) {
      sb.remove(trim.start, trim.end);
      return;
    }
    const next = this.queue.shift();
    if (!next) {
      this.keepToEdge();
      return;
    }
    try {
      sb.appendBuffer(next);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'QuotaExceededError') {
        this.queue.unshift(next);
        const t = this.video.currentTime;
        const first = toRanges(sb.buffered)[0];
        if (first && t - 1 > first.start) sb.remove(first.start, t - 1);
        else this.fail(() => this.h.broken(true));
      } else this.fail(() => this.h.broken(true));
    }
  };

  private keepToEdge(): void {
    const sb = this.sb;
    if (!sb || this.done) return;
    const to = liveEdgeSeek(this.video.currentTime, toRanges(sb.buffered));
    if (to !== null) this.video.currentTime = to;
  }
}

// ---------------------------------------------------------------------------------------------------
// HLS: native (Safari on iPhone) and hls.js

class NativeHlsTransport implements Transport {
  private hlsUrl: string;
  private reloads = 0;
  private done = false;

  constructor(
    private readonly video: HTMLVideoElement,
    grant: StreamGrant,
    private readonly h: TransportHandlers,
  ) {
    this.hlsUrl = grant.hlsUrl;
    video.addEventListener('error', this.onError);
    video.addEventListener('loadeddata', this.onLoaded);
    video.src = grant.hlsUrl;
  }

  renewed(grant: StreamGrant): void {
    // The native player keeps its playlist URL; the renewed token is used on the next reload.
    this.hlsUrl = grant.hlsUrl;
  }

  tick(): void {}

  close(): void {
    this.done = true;
    this.video.removeEventListener('error', this.onError);
    this.video.removeEventListener('loadeddata', this.onLoaded);
    this.video.removeAttribute('src');
    this.video.load();
  }

  private readonly onLoaded = (): void => {
    if (!this.done) this.h.firstData();
  };

  private readonly onError = (): void => {
    if (this.done) return;
    // Once with the newest token (the old one may have expired), then as a broken connection.
    if (this.reloads++ < 1) {
      this.video.src = this.hlsUrl;
      return;
    }
    this.done = true;
    this.h.broken(true);
  };
}

type HlsModule = typeof import('hls.js');
let hlsModule: Promise<HlsModule> | null = null;
function loadHls(): Promise<HlsModule> {
  return (hlsModule ??= import('hls.js'));
}

class HlsJsTransport implements Transport {
  private token: string;
  private recovered = false;
  private done = false;

  static async open(
    video: HTMLVideoElement,
    grant: StreamGrant,
    h: TransportHandlers,
  ): Promise<HlsJsTransport> {
    const mod = await loadHls();
    if (!mod.default.isSupported()) throw new Error('hls.js is not supported here');
    return new HlsJsTransport(mod, video, grant, h);
  }

  private readonly hls: InstanceType<HlsModule['default']>;

  private constructor(
    mod: HlsModule,
    private readonly video: HTMLVideoElement,
    grant: StreamGrant,
    private readonly h: TransportHandlers,
  ) {
    const Hls = mod.default;
    this.token = grant.token;
    this.hls = new Hls({
      enableWorker: false, // a blob: worker would need a weaker Content-Security-Policy
      // Low-Latency HLS: blocking playlist reloads and parts; the distance to the live edge comes
      // from the playlist's PART-HOLD-BACK (three parts), not from whole segments.
      lowLatencyMode: true,
      maxLiveSyncPlaybackRate: 1.5,
      backBufferLength: 10,
      xhrSetup: (xhr, url) => {
        xhr.open('GET', withToken(url, this.token, window.location.href), true);
      },
    });
    this.hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (!this.done) this.h.audio(this.hls.audioTracks.length > 0);
    });
    this.hls.on(Hls.Events.FRAG_BUFFERED, () => {
      if (!this.done && this.video.paused) this.h.firstData();
    });
    this.hls.on(Hls.Events.ERROR, (_e, data) => {
      if (this.done || !data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !this.recovered) {
        this.recovered = true;
        this.hls.recoverMediaError();
        return;
      }
      this.done = true;
      this.h.broken(true);
    });
    this.hls.loadSource(grant.hlsUrl);
    this.hls.attachMedia(video);
  }

  renewed(grant: StreamGrant): void {
    this.token = grant.token;
  }

  tick(): void {}

  close(): void {
    this.done = true;
    this.hls.destroy();
    this.video.removeAttribute('src');
    this.video.load();
  }
}
