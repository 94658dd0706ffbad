/**
 * Live hub of one camera: fans fragments out to viewers without ever waiting for one.
 *
 * - Keeps the init segment and every fragment since the last keyframe (the GOP cache), so a new
 *   viewer gets init + keyframe + the rest of the GOP at once and its picture appears immediately.
 * - Each viewer writes through its sink until the sink reports backpressure (write() returns false);
 *   then fragments wait in the viewer's own bounded queue (bytes and count). When that queue would
 *   overflow, everything queued is dropped (counted) and the viewer resumes at the next keyframe.
 *   The publisher's cost per viewer is a push or a write call; it never blocks on a viewer.
 * - A new init segment (ffmpeg restarted) is a discontinuity: every viewer gets the new init and
 *   resumes at the next keyframe. The transport tells its player to reset on a second init.
 * - Merged writes (a crowded camera, `mergeFromViewers` viewers or more): fragments are handed over
 *   in pairs, one write per viewer for two fragments. The kernel's cost of a socket write is mostly
 *   per call, not per byte (on this kind of machine ~5 µs of system time per write against ~1 µs per
 *   40 KB), so halving the calls cuts the fan-out's CPU per viewer by ~40 %; the price is latency: the
 *   first fragment of a pair waits for the second, at most `mergeHoldMs`. Below the threshold every
 *   fragment is written the moment it arrives. (SRS's "merged write" makes the same trade, always on.)
 */
import { EventEmitter } from 'node:events';
import type { Fragment, InitSegment } from './fmp4.js';

/** What a message is; one object is shared by every viewer of a publish, so it is read-only. */
export interface DeliveryInfo {
  readonly kind: 'init' | 'fragment';
  /** For fragments: starts with a keyframe. Always true for init. */
  readonly keyframe: boolean;
  /** Increases with every new init segment, so a transport can tell a restart. */
  readonly generation: number;
}

/** Where a viewer's bytes go: a WebSocket, a socket, an HLS part buffer… */
export interface ViewerSink {
  /**
   * Hands over one message (init or fragment, never split). Returns false when the transport's buffer
   * is above its limit: the message is taken, but the hub sends nothing more until onDrain fires.
   */
  write(data: Buffer, info: DeliveryInfo): boolean;
  /** The hub registers its drain callback once; the sink calls it whenever it can take more. */
  onDrain(callback: () => void): void;
  /**
   * Hands over several fragments in one go (merged writes; see the header). `batch` is one object
   * shared by every viewer of that publish, so a transport can build its bytes once per batch. Returns
   * as write(). Without it, the hub calls write() once per fragment.
   */
  writeBatch?(batch: FragmentBatch): boolean;
  /** Called once when the hub ends the subscription (hub closed, sink failed). */
  close?(reason: string): void;
}

/** Fragments published together under merged writes; shared by every viewer, read-only. */
export interface FragmentBatch {
  readonly fragments: readonly Fragment[];
  readonly infos: readonly DeliveryInfo[];
  readonly bytes: number;
}

export interface HubOptions {
  /** Per-viewer queue limit, bytes. Default 2 MiB. */
  maxQueueBytes?: number;
  /** Per-viewer queue limit, fragments. Default 64. */
  maxQueueFragments?: number;
  /** GOP cache limits; a GOP beyond them is not cached (new viewers then wait for a keyframe). */
  maxCacheBytes?: number;
  maxCacheFragments?: number;
  /** Merged writes from this many viewers on (0: never). Default 0. See the header. */
  mergeFromViewers?: number;
  /** The longest a fragment waits for its pair under merged writes, ms. Default 100. */
  mergeHoldMs?: number;
}

export interface ViewerStats {
  id: number;
  queuedBytes: number;
  queuedFragments: number;
  /** Sink reported backpressure and has not drained yet. */
  blocked: boolean;
  waitingForKeyframe: boolean;
  /** How many times the queue overflowed and was dropped back to the next keyframe. */
  drops: number;
  droppedFragments: number;
  droppedBytes: number;
  sentFragments: number;
  sentBytes: number;
}

export interface HubStats {
  viewers: number;
  generation: number;
  hasInit: boolean;
  cachedFragments: number;
  cachedBytes: number;
  publishedFragments: number;
  publishedBytes: number;
  /** Sum over current and past viewers. */
  drops: number;
  /** Publishes that went out as merged writes (two fragments per write). */
  mergedWrites: number;
}

export interface HubEvents {
  /** Viewer count changed (for idle timeouts and metrics). */
  viewers: [count: number];
  /** A viewer's queue overflowed; log at a limited rate. */
  drop: [stats: ViewerStats];
}

export const DEFAULT_MAX_QUEUE_BYTES = 2 * 1024 * 1024;
export const DEFAULT_MAX_QUEUE_FRAGMENTS = 64;
export const DEFAULT_MAX_CACHE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_CACHE_FRAGMENTS = 2000;
export const DEFAULT_MERGE_HOLD_MS = 100;

interface QueueItem {
  data: Buffer;
  info: DeliveryInfo;
}

export class Viewer {
  private queue: QueueItem[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private blocked = false;
  private waitingForKeyframe = true;
  private closed = false;
  private drops = 0;
  private droppedFragments = 0;
  private droppedBytes = 0;
  private sentFragments = 0;
  private sentBytes = 0;

  constructor(
    readonly id: number,
    private readonly sink: ViewerSink,
    private readonly hub: LiveHub,
    private readonly maxQueueBytes: number,
    private readonly maxQueueFragments: number,
  ) {
    sink.onDrain(() => this.onDrain());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends this subscription. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.clearQueue();
    this.hub.detach(this);
    try {
      this.sink.close?.(reason);
    } catch {
      // the transport is going away anyway
    }
  }

  stats(): ViewerStats {
    return {
      id: this.id,
      queuedBytes: this.queuedBytes,
      queuedFragments: this.queue.length - this.queueHead,
      blocked: this.blocked,
      waitingForKeyframe: this.waitingForKeyframe,
      drops: this.drops,
      droppedFragments: this.droppedFragments,
      droppedBytes: this.droppedBytes,
      sentFragments: this.sentFragments,
      sentBytes: this.sentBytes,
    };
  }

  /** @internal A new init segment: restart from it, then the next keyframe. */
  startGeneration(init: InitSegment, generation: number, cache: readonly Fragment[]): void {
    if (this.closed) return;
    this.clearQueue();
    this.waitingForKeyframe = true;
    this.deliver({ data: init.data, info: { kind: 'init', keyframe: true, generation } });
    for (const fragment of cache) this.offer(fragment, generation, false);
  }

  /**
   * @internal Offers a fragment; `limit` false for the initial GOP burst. `info` is shared by every
   * viewer of one publish (no object per viewer and fragment on the path of a viewer keeping up).
   */
  offer(
    fragment: Fragment,
    generation: number,
    limit = true,
    info: DeliveryInfo = { kind: 'fragment', keyframe: fragment.keyframe, generation },
  ): void {
    if (this.closed) return;
    if (this.waitingForKeyframe) {
      if (!fragment.keyframe) return;
      this.waitingForKeyframe = false;
    }
    if (!this.blocked && this.queueHead === this.queue.length) {
      this.write(fragment.data, info);
      return;
    }
    const item: QueueItem = { data: fragment.data, info };
    const queued = this.queue.length - this.queueHead;
    if (
      limit &&
      (this.queuedBytes + item.data.length > this.maxQueueBytes || queued + 1 > this.maxQueueFragments)
    ) {
      this.drops++;
      this.droppedFragments += queued;
      this.droppedBytes += this.queuedBytes;
      this.clearQueue();
      this.hub.noteDrop(this);
      if (!fragment.keyframe) {
        this.droppedFragments++;
        this.droppedBytes += item.data.length;
        this.waitingForKeyframe = true;
        return;
      }
    }
    this.queue.push(item);
    this.queuedBytes += item.data.length;
    if (!this.blocked) this.flush();
  }

  /**
   * @internal Offers the fragments of a merged publish: one sink call for all when the viewer is
   * keeping up (nothing queued, not blocked, not waiting for a keyframe); otherwise one by one.
   */
  offerBatch(batch: FragmentBatch, generation: number): void {
    if (this.closed) return;
    if (this.waitingForKeyframe && batch.fragments[0]?.keyframe) this.waitingForKeyframe = false;
    if (
      this.waitingForKeyframe ||
      this.blocked ||
      this.queueHead < this.queue.length ||
      !this.sink.writeBatch
    ) {
      for (let i = 0; i < batch.fragments.length; i++)
        this.offer(batch.fragments[i]!, generation, true, batch.infos[i]);
      return;
    }
    let ok: boolean;
    try {
      ok = this.sink.writeBatch(batch);
    } catch {
      this.close('sink_error');
      return;
    }
    this.sentFragments += batch.fragments.length;
    this.sentBytes += batch.bytes;
    if (!ok) this.blocked = true;
  }

  private deliver(item: QueueItem): void {
    if (this.blocked || this.queueHead < this.queue.length) {
      this.queue.push(item);
      this.queuedBytes += item.data.length;
      return;
    }
    this.writeNow(item);
  }

  private writeNow(item: QueueItem): void {
    this.write(item.data, item.info);
  }

  private write(data: Buffer, info: DeliveryInfo): void {
    let ok: boolean;
    try {
      ok = this.sink.write(data, info);
    } catch {
      this.close('sink_error');
      return;
    }
    if (info.kind === 'fragment') this.sentFragments++;
    this.sentBytes += data.length;
    if (!ok) this.blocked = true;
  }

  private onDrain(): void {
    if (this.closed) return;
    this.blocked = false;
    this.flush();
  }

  private flush(): void {
    while (!this.blocked && !this.closed && this.queueHead < this.queue.length) {
      const item = this.queue[this.queueHead];
      if (!item) break;
      this.queue[this.queueHead] = EMPTY_ITEM;
      this.queueHead++;
      this.queuedBytes -= item.data.length;
      this.writeNow(item);
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private clearQueue(): void {
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
  }
}

const EMPTY_ITEM: QueueItem = {
  data: Buffer.alloc(0),
  info: { kind: 'fragment', keyframe: false, generation: 0 },
};

export class LiveHub extends EventEmitter<HubEvents> {
  private readonly viewers = new Set<Viewer>();
  private readonly maxQueueBytes: number;
  private readonly maxQueueFragments: number;
  private readonly maxCacheBytes: number;
  private readonly maxCacheFragments: number;
  private currentInit: InitSegment | undefined;
  private generation = 0;
  private cache: Fragment[] = [];
  private cacheBytes = 0;
  private nextViewerId = 1;
  private publishedFragments = 0;
  private publishedBytes = 0;
  private drops = 0;
  private mergedWrites = 0;
  private closed = false;
  private readonly mergeFromViewers: number;
  private readonly mergeHoldMs: number;
  /** Under merged writes: the fragment waiting for its pair, and the timer that bounds its wait. */
  private held: { fragment: Fragment; info: DeliveryInfo } | undefined;
  private holdTimer: NodeJS.Timeout | undefined;

  constructor(options: HubOptions = {}) {
    super();
    this.maxQueueBytes = options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.maxQueueFragments = options.maxQueueFragments ?? DEFAULT_MAX_QUEUE_FRAGMENTS;
    this.maxCacheBytes = options.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES;
    this.maxCacheFragments = options.maxCacheFragments ?? DEFAULT_MAX_CACHE_FRAGMENTS;
    this.mergeFromViewers = options.mergeFromViewers ?? 0;
    this.mergeHoldMs = options.mergeHoldMs ?? DEFAULT_MERGE_HOLD_MS;
  }

  /** Whether fragments are written in pairs now (merged writes; see the header). */
  get merging(): boolean {
    return this.mergeFromViewers > 0 && this.viewers.size >= this.mergeFromViewers;
  }

  get init(): InitSegment | undefined {
    return this.currentInit;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Init segment and the latest keyframe fragment, e.g. for a snapshot. */
  latestKeyframe(): { init: InitSegment; fragment: Fragment } | undefined {
    const fragment = this.cache[0];
    if (!this.currentInit || !fragment) return undefined;
    return { init: this.currentInit, fragment };
  }

  /** A new init segment from the source (first start or restart): a discontinuity for every viewer. */
  setInit(init: InitSegment): void {
    if (this.closed) return;
    this.flushHeld();
    this.currentInit = init;
    this.generation++;
    this.clearCache();
    for (const viewer of this.viewers) viewer.startGeneration(init, this.generation, this.cache);
  }

  /** Fans a fragment out. Never blocks, whatever the viewers do. */
  publish(fragment: Fragment): void {
    if (this.closed || !this.currentInit) return;
    this.publishedFragments++;
    this.publishedBytes += fragment.data.length;
    this.cacheFragment(fragment);
    const info: DeliveryInfo = { kind: 'fragment', keyframe: fragment.keyframe, generation: this.generation };
    const held = this.held;
    if (held) {
      // The pair is complete: one write per viewer for both.
      this.held = undefined;
      clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
      const batch: FragmentBatch = {
        fragments: [held.fragment, fragment],
        infos: [held.info, info],
        bytes: held.fragment.data.length + fragment.data.length,
      };
      this.mergedWrites++;
      for (const viewer of this.viewers) viewer.offerBatch(batch, this.generation);
      return;
    }
    if (this.merging) {
      this.held = { fragment, info };
      this.holdTimer = setTimeout(() => this.flushHeld(), this.mergeHoldMs);
      this.holdTimer.unref();
      return;
    }
    for (const viewer of this.viewers) viewer.offer(fragment, this.generation, true, info);
  }

  /** Writes a fragment held for its pair on its own (its wait is over, or the viewers change). */
  private flushHeld(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    for (const viewer of this.viewers) viewer.offer(held.fragment, this.generation, true, held.info);
  }

  /** The source went away: forget the GOP (stale pictures must not start a new viewer). */
  reset(): void {
    this.flushHeld();
    this.clearCache();
  }

  /** Adds a viewer; it gets init + the cached GOP at once when there is one. */
  subscribe(sink: ViewerSink): Viewer {
    if (this.closed) throw new Error('live hub is closed');
    // A held fragment is in the GOP cache the new viewer starts from: the others get it first, so
    // that nobody gets it twice.
    this.flushHeld();
    const viewer = new Viewer(this.nextViewerId++, sink, this, this.maxQueueBytes, this.maxQueueFragments);
    this.viewers.add(viewer);
    if (this.currentInit) viewer.startGeneration(this.currentInit, this.generation, this.cache);
    this.emit('viewers', this.viewers.size);
    return viewer;
  }

  /** Closes every viewer (with the reason) and refuses new ones. */
  close(reason = 'closed'): void {
    if (this.closed) return;
    this.flushHeld();
    for (const viewer of [...this.viewers]) viewer.close(reason);
    this.closed = true;
    this.clearCache();
  }

  stats(): HubStats {
    return {
      viewers: this.viewers.size,
      generation: this.generation,
      hasInit: this.currentInit !== undefined,
      cachedFragments: this.cache.length,
      cachedBytes: this.cacheBytes,
      publishedFragments: this.publishedFragments,
      publishedBytes: this.publishedBytes,
      drops: this.drops,
      mergedWrites: this.mergedWrites,
    };
  }

  viewerStats(): ViewerStats[] {
    return [...this.viewers].map((v) => v.stats());
  }

  /** @internal */
  detach(viewer: Viewer): void {
    if (this.viewers.delete(viewer)) this.emit('viewers', this.viewers.size);
  }

  /** @internal */
  noteDrop(viewer: Viewer): void {
    this.drops++;
    if (this.listenerCount('drop') > 0) this.emit('drop', viewer.stats());
  }

  private cacheFragment(fragment: Fragment): void {
    if (fragment.keyframe) {
      this.cache = [fragment];
      this.cacheBytes = fragment.data.length;
      return;
    }
    if (this.cache.length === 0) return; // no keyframe seen yet, or the GOP outgrew the cache
    if (
      this.cacheBytes + fragment.data.length > this.maxCacheBytes ||
      this.cache.length >= this.maxCacheFragments
    ) {
      this.clearCache();
      return;
    }
    this.cache.push(fragment);
    this.cacheBytes += fragment.data.length;
  }

  private clearCache(): void {
    this.cache = [];
    this.cacheBytes = 0;
  }
}

/**
 * A sink over a Node.js Writable (net.Socket, PassThrough…): write() is the stream's write(),
 * drain is the stream's 'drain' event. Messages are written back to back (no framing).
 */
export function writableSink(stream: NodeJS.WritableStream & { destroy?(): void }): ViewerSink {
  return {
    write: (data) => stream.write(data),
    onDrain: (callback) => {
      stream.on('drain', callback);
    },
    close: () => {
      stream.end();
    },
  };
}
