/**
 * The open streams of this process. Each connection (a WebSocket, or an HLS player seen recently) is
 * registered with the grant it runs on. A loop re-checks every open stream every `recheckMs` (default
 * 2 s): a stream whose session ended or whose policy now denies (enrolment ended, consent withdrawn,
 * viewing window closed, subscription suspended, person disabled…) is closed with the reason, and a
 * stream whose grant was not renewed in time is closed as `grant_expired`. Every end is written to the
 * stream session row and the audit log with its duration and bytes.
 *
 * Pilot scale: the re-check reads the database per open stream. Past one machine, revocations arrive
 * through PostgreSQL notifications instead (DESIGN §8); the registry interface stays the same.
 */
import type { Logger } from 'pino';
import type { StreamSessionsRepository } from '../storage/repositories/stream-sessions.js';
import type { AuditContext } from '../audit/audit-log.js';
import type { AuditGroupCommit } from '../audit/group-commit.js';
import type { Clock } from '../shared/clock.js';
import type { Recheck } from './grant-service.js';

export interface OpenStream {
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

export interface LiveRegistryDeps {
  /** stream starts and ends are written with their audit entries, shared with concurrent writes */
  writes: AuditGroupCommit;
  streams: StreamSessionsRepository;
  clock: Clock;
  recheck: (s: OpenStream) => Promise<Recheck>;
  log?: Logger | undefined;
  recheckMs?: number;
  /** tolerance after a grant's expiry before the stream is cut */
  expiryGraceMs?: number;
}

export class LiveRegistry {
  private readonly open = new Map<string, OpenStream>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly deps: LiveRegistryDeps) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sweep(), this.deps.recheckMs ?? 2000).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get size(): number {
    return this.open.size;
  }

  get(streamId: string): OpenStream | undefined {
    return this.open.get(streamId);
  }

  countFor(cameraId: string): number {
    let n = 0;
    for (const s of this.open.values()) if (s.cameraId === cameraId) n++;
    return n;
  }

  async add(s: OpenStream): Promise<void> {
    const previous = this.open.get(s.streamId);
    if (previous) {
      // One connection per stream: a second one (reconnect) replaces the first.
      this.open.delete(s.streamId);
      previous.close('replaced');
    }
    this.open.set(s.streamId, s);
    const now = this.deps.clock.now();
    // Viewers tend to arrive together (the group's morning): their starts share commits.
    await this.deps.writes.append(
      s.audit,
      {
        action: 'stream.start',
        targetKind: 'camera',
        targetId: s.cameraId,
        streamId: s.streamId,
        details: { transport: s.transport },
      },
      now,
      (trx) => this.deps.streams.started(s.streamId, now.toISOString(), s.transport, trx),
    );
  }

  extend(streamId: string, grantExpiresAtMs: number): void {
    const s = this.open.get(streamId);
    if (s && grantExpiresAtMs > s.grantExpiresAtMs) s.grantExpiresAtMs = grantExpiresAtMs;
  }

  /** Ends a stream (connection gone, revoked, expired): records it once. */
  async end(streamId: string, reason: string, tellPlayer: boolean): Promise<void> {
    const s = this.open.get(streamId);
    if (!s) return;
    this.open.delete(streamId);
    if (tellPlayer) s.close(reason);
    const now = this.deps.clock.now();
    try {
      await this.deps.writes.append(
        s.audit,
        {
          action: 'stream.end',
          targetKind: 'camera',
          targetId: s.cameraId,
          streamId,
          reason,
          details: { durationMs: now.getTime() - s.startedAtMs, bytes: s.bytes, transport: s.transport },
        },
        now,
        async (trx) => {
          await this.deps.streams.end(streamId, now.toISOString(), reason, s.bytes, trx);
        },
      );
    } catch (err) {
      this.deps.log?.error({ err, streamId }, 'could not record the end of a stream');
    }
  }

  /** Ends every stream of a session now (logout) or of a camera (disabled). */
  async endWhere(pred: (s: OpenStream) => boolean, reason: string): Promise<void> {
    await Promise.all([...this.open.values()].filter(pred).map((s) => this.end(s.streamId, reason, true)));
  }

  /** One pass of re-checks. Exposed for tests. */
  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const nowMs = this.deps.clock.now().getTime();
      const grace = this.deps.expiryGraceMs ?? 5000;
      for (const s of [...this.open.values()]) {
        if (nowMs > s.grantExpiresAtMs + grace) {
          await this.end(s.streamId, 'grant_expired', true);
          continue;
        }
        let r: Recheck;
        try {
          r = await this.deps.recheck(s);
        } catch (err) {
          this.deps.log?.error(
            { err, streamId: s.streamId },
            're-check failed; keeping the stream until its grant lapses',
          );
          continue;
        }
        if (!r.ok && this.open.has(s.streamId)) {
          this.deps.log?.info({ streamId: s.streamId, reason: r.reason }, 'stream revoked');
          await this.end(s.streamId, `access_revoked:${r.reason}`, true);
        }
        // Let queued fragments go out between re-checks: the SQLite driver is synchronous, and a pass
        // over hundreds of streams in one go would hold every viewer's delivery back for its duration.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
    }
  }

  async closeAll(reason: string): Promise<void> {
    this.stop();
    await this.endWhere(() => true, reason);
  }
}
