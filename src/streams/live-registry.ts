/**
 * The open connections of this process. Every connection that carries live video (a WebSocket, or an
 * HLS player seen recently) is registered under a connection id of its own, with the grant (stream)
 * it runs on. One grant opens one connection, once: while it is open a second connection with the
 * same grant is refused (`grant_in_use`), and once it ended the grant is spent (`grant_spent`) — the
 * player asks a new grant to reconnect. So a stream session row is one connection, never shared by
 * two sockets, and ending a connection can never end (or leave untracked) another one.
 *
 * Revocation is event-driven (see access-events.ts and docs/design/live-streams.md):
 * - an access event re-checks at once the connections it touches (their person, session, camera,
 *   room, institution, or a child of their viewer);
 * - each connection carries the instant its last decision stops holding by the clock alone (the end of
 *   the viewing window, local midnight, the session's idle or absolute timeout); a tick every second
 *   compares numbers in memory and re-checks those that are due, and cuts those whose grant lapsed
 *   (`grant_expired`, after `expiryGraceMs`);
 * - a slow full sweep (`sweepMs`, default 60 s) re-checks everything, as a safety net for changes made
 *   outside the services (a database edited by hand, another process without a bus); it also closes
 *   the stream rows that no process holds any more (their grants lapsed unrenewed).
 * A failed re-check ends the connection with `access_revoked:<reason>`. Every end is written to the
 * stream session row and the audit log with its duration and bytes.
 */
import type { Logger } from 'pino';
import type { StreamSessionsRepository } from '../storage/repositories/stream-sessions.js';
import type { AuditContext } from '../audit/audit-log.js';
import type { AuditGroupCommit } from '../audit/group-commit.js';
import type { Clock } from '../shared/clock.js';
import { accessEvents, type AccessChange, type AccessEventBus } from './access-events.js';

/** What a connection relates to, for matching access events (refreshed by every re-check). */
export interface StreamScope {
  institutionId: string;
  roomId: string;
  /** the viewer's linked children (a parent), empty for staff */
  childIds: readonly string[];
}

/** The outcome of checking a connection's access now. */
export type Recheck =
  | {
      ok: true;
      scope: StreamScope;
      /** when the decision may change by the clock alone: re-checked then */
      validUntilMs: number;
      /** whether the per-parent stream cap applies (guardian basis) */
      capped: boolean;
    }
  | { ok: false; reason: string };

export interface OpenStream {
  /** this connection (random, one per socket or HLS player) */
  connectionId: string;
  /** the grant's stream id: the stream session row */
  streamId: string;
  personId: string;
  subject: string;
  cameraId: string;
  sessionId: string;
  transport: 'ws' | 'hls';
  /** latest grant expiry, epoch ms; extended by renewals */
  grantExpiresAtMs: number;
  startedAtMs: number;
  bytes: number;
  audit: AuditContext;
  /** closes the connection with the reason told to the player */
  close(reason: string): void;
}

interface Entry {
  s: OpenStream;
  scope: StreamScope;
  validUntilMs: number;
}

export interface LiveRegistryDeps {
  /** stream starts and ends are written with their audit entries, shared with concurrent writes */
  writes: AuditGroupCommit;
  streams: StreamSessionsRepository;
  clock: Clock;
  recheck: (s: OpenStream) => Promise<Recheck>;
  /** the per-parent cap on open streams (config streams.maxPerViewer) */
  streamLimit: number;
  log?: Logger | undefined;
  /** where access events come from (default: this process's bus) */
  events?: AccessEventBus;
  /** the full sweep's period (default 60 s) */
  sweepMs?: number;
  /** the deadline tick's period (default 1 s) */
  tickMs?: number;
  /** tolerance after a grant's expiry before the stream is cut */
  expiryGraceMs?: number;
  /** how long after a grant lapsed an unended row of it counts as abandoned (default 30 s) */
  abandonAfterMs?: number;
}

/** How many recent events are kept to re-check connections admitted while they were published. */
const RECENT_EVENTS = 256;

export class LiveRegistry {
  private readonly open = new Map<string, Entry>();
  /** stream id → the connection id using it */
  private readonly byStream = new Map<string, string>();
  /** spent grants (their connection ended): stream id → until when the grant could still verify */
  private readonly spent = new Map<string, { reason: string; untilMs: number }>();
  private readonly due = new Set<string>();
  private recent: { seq: number; change: AccessChange }[] = [];
  private seq = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private flushing: Promise<void> | undefined;
  /** re-checks run and connections revoked, for the metrics and the benchmark */
  readonly stats = { rechecks: 0, revoked: 0, events: 0 };

  constructor(private readonly deps: LiveRegistryDeps) {}

  start(): void {
    this.unsubscribe ??= (this.deps.events ?? accessEvents).subscribe((c) => this.onEvent(c));
    this.sweepTimer ??= setInterval(() => void this.sweep(), this.deps.sweepMs ?? 60_000).unref();
    this.tickTimer ??= setInterval(() => this.tick(), this.deps.tickMs ?? 1000).unref();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.sweepTimer = this.tickTimer = this.flushTimer = undefined;
  }

  get size(): number {
    return this.open.size;
  }

  /** The open connection of a grant, if any. */
  byGrant(streamId: string): OpenStream | undefined {
    const id = this.byStream.get(streamId);
    return id === undefined ? undefined : this.open.get(id)?.s;
  }

  /** Why a grant can no longer open a connection (its connection ended), or undefined. */
  spentReason(streamId: string): string | undefined {
    return this.spent.get(streamId)?.reason;
  }

  /** A mark to pass to `add`: events published after it re-check the connection once added. */
  mark(): number {
    return this.seq;
  }

  /**
   * Registers a connection that passed its admission check (`admission`, taken after `since`).
   * Synchronous, so that two connections racing with one grant or past the cap cannot both pass.
   */
  add(
    s: OpenStream,
    admission: Extract<Recheck, { ok: true }>,
    since: number,
  ): { ok: true } | { ok: false; reason: string } {
    const spent = this.spent.get(s.streamId);
    if (spent) return { ok: false, reason: 'grant_spent' };
    if (this.byStream.has(s.streamId)) return { ok: false, reason: 'grant_in_use' };
    if (admission.capped) {
      let mine = 0;
      for (const e of this.open.values()) if (e.s.personId === s.personId) mine++;
      if (mine >= this.deps.streamLimit) return { ok: false, reason: 'stream_limit' };
    }
    this.open.set(s.connectionId, { s, scope: admission.scope, validUntilMs: admission.validUntilMs });
    this.byStream.set(s.streamId, s.connectionId);
    // An event published while the admission check ran may have missed this connection.
    if (
      this.recent.some((r) => r.seq > since && this.touches(r.change, s, admission.scope)) ||
      since < this.seq - RECENT_EVENTS
    )
      this.schedule([s.connectionId], 0);
    const now = this.deps.clock.now();
    // Viewers tend to arrive together (the group's morning): their starts share commits.
    this.deps.writes
      .append(
        s.audit,
        {
          action: 'stream.start',
          targetKind: 'camera',
          targetId: s.cameraId,
          streamId: s.streamId,
          details: { transport: s.transport, connectionId: s.connectionId },
        },
        now,
        (trx) => this.deps.streams.started(s.streamId, now.toISOString(), s.transport, trx),
      )
      .catch((err: unknown) =>
        this.deps.log?.error({ err, streamId: s.streamId }, 'could not record a stream start'),
      );
    return { ok: true };
  }

  extend(streamId: string, grantExpiresAtMs: number): void {
    const s = this.byGrant(streamId);
    if (s && grantExpiresAtMs > s.grantExpiresAtMs) s.grantExpiresAtMs = grantExpiresAtMs;
  }

  /** Ends a connection (gone, revoked, expired): records it once; its grant is spent. */
  async end(connectionId: string, reason: string, tellPlayer: boolean): Promise<void> {
    const e = this.open.get(connectionId);
    if (!e) return;
    const { s } = e;
    this.open.delete(connectionId);
    this.due.delete(connectionId);
    if (this.byStream.get(s.streamId) === connectionId) this.byStream.delete(s.streamId);
    this.spent.set(s.streamId, {
      reason,
      untilMs: s.grantExpiresAtMs + (this.deps.expiryGraceMs ?? 5000) + 60_000,
    });
    if (tellPlayer) s.close(reason);
    const now = this.deps.clock.now();
    try {
      await this.deps.writes.append(
        s.audit,
        {
          action: 'stream.end',
          targetKind: 'camera',
          targetId: s.cameraId,
          streamId: s.streamId,
          reason,
          details: {
            durationMs: now.getTime() - s.startedAtMs,
            bytes: s.bytes,
            transport: s.transport,
            connectionId: s.connectionId,
          },
        },
        now,
        async (trx) => {
          await this.deps.streams.end(s.streamId, now.toISOString(), reason, s.bytes, trx);
        },
      );
    } catch (err) {
      this.deps.log?.error({ err, streamId: s.streamId }, 'could not record the end of a stream');
    }
  }

  /** Ends every connection matching `pred` now (a camera disabled, shutdown). */
  async endWhere(pred: (s: OpenStream) => boolean, reason: string): Promise<void> {
    await Promise.all(
      [...this.open.values()].filter((e) => pred(e.s)).map((e) => this.end(e.s.connectionId, reason, true)),
    );
  }

  /** Re-checks now the connections an access event touches. */
  private onEvent(change: AccessChange): void {
    this.stats.events++;
    this.seq++;
    this.recent.push({ seq: this.seq, change });
    if (this.recent.length > RECENT_EVENTS) this.recent = this.recent.slice(-RECENT_EVENTS);
    const touched: string[] = [];
    for (const [id, e] of this.open) if (this.touches(change, e.s, e.scope)) touched.push(id);
    if (touched.length === 0) return;
    this.schedule(touched, 0);
    // A publisher that spoke before its transaction committed: look once more a moment later.
    setTimeout(() => this.schedule(touched, 0), 1000).unref();
  }

  private touches(change: AccessChange, s: OpenStream, scope: StreamScope): boolean {
    const ids = change.ids ?? [];
    switch (change.kind) {
      case 'all':
        return true;
      case 'person':
        return ids.includes(s.personId);
      case 'session':
        return ids.includes(s.sessionId);
      case 'camera':
        return ids.includes(s.cameraId);
      case 'room':
        return ids.includes(scope.roomId);
      case 'institution':
        return ids.includes(scope.institutionId);
      case 'child':
        return scope.childIds.some((c) => ids.includes(c));
    }
  }

  private schedule(connectionIds: Iterable<string>, delayMs: number): void {
    for (const id of connectionIds) if (this.open.has(id)) this.due.add(id);
    if (this.due.size === 0 || this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, delayMs);
  }

  /** In-memory deadlines: lapsed grants are cut, decisions past their validity re-checked. */
  private tick(): void {
    const nowMs = this.deps.clock.now().getTime();
    const grace = this.deps.expiryGraceMs ?? 5000;
    const dueNow: string[] = [];
    for (const [id, e] of this.open) {
      if (nowMs > e.s.grantExpiresAtMs + grace) void this.end(id, 'grant_expired', true);
      else if (nowMs >= e.validUntilMs) dueNow.push(id);
    }
    if (dueNow.length) this.schedule(dueNow, 0);
    for (const [streamId, sp] of this.spent) if (sp.untilMs < nowMs) this.spent.delete(streamId);
  }

  /** Re-checks the due connections, one at a time. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.due.size === 0) return;
    this.flushing = this.runDue().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async runDue(): Promise<void> {
    while (this.due.size > 0) {
      const [id] = this.due;
      this.due.delete(id!);
      const e = this.open.get(id!);
      if (!e) continue;
      await this.recheckOne(e);
      // Let queued fragments go out between re-checks: the SQLite driver is synchronous, and a pass
      // over hundreds of streams in one go would hold every viewer's delivery back for its duration.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async recheckOne(e: Entry): Promise<void> {
    const { s } = e;
    let r: Recheck;
    this.stats.rechecks++;
    try {
      r = await this.deps.recheck(s);
    } catch (err) {
      this.deps.log?.error(
        { err, streamId: s.streamId },
        're-check failed; keeping the stream until its grant lapses',
      );
      return;
    }
    if (!this.open.has(s.connectionId)) return;
    if (r.ok) {
      e.scope = r.scope;
      e.validUntilMs = r.validUntilMs;
      return;
    }
    this.stats.revoked++;
    this.deps.log?.info({ streamId: s.streamId, reason: r.reason }, 'stream revoked');
    await this.end(s.connectionId, `access_revoked:${r.reason}`, true);
  }

  /**
   * The full sweep: every open connection re-checked, and the stream rows no process holds any more
   * (grant lapsed unrenewed, not open here) closed. Exposed for tests and the benchmark.
   */
  async sweep(): Promise<void> {
    this.schedule(this.open.keys(), 0);
    await this.flush();
    const now = this.deps.clock.now();
    const before = new Date(now.getTime() - (this.deps.abandonAfterMs ?? 30_000)).toISOString();
    try {
      const n = await this.deps.streams.closeAbandoned(before, now.toISOString(), 'connection_lost');
      if (n > 0) this.deps.log?.info({ streams: n }, 'closed abandoned stream rows');
    } catch (err) {
      this.deps.log?.error({ err }, 'could not close abandoned stream rows');
    }
  }

  async closeAll(reason: string): Promise<void> {
    this.stop();
    await this.endWhere(() => true, reason);
  }
}
