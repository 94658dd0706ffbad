/**
 * Stream grants: a viewer asks for a camera, the access policy decides over a fresh snapshot of facts,
 * the decision is audited (in the same transaction as the stream-session row; no audit, no access), and
 * on allow a short-lived signed token is issued. Renewals re-run the policy. Open streams are re-checked
 * by the live registry through `recheck`.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { AccessFactsRepository, type CameraRow } from '../storage/repositories/access-facts.js';
import { grantedStreamRow, type StreamSessionsRepository } from '../storage/repositories/stream-sessions.js';
import {
  decideLiveAccess,
  nextLiveOpening,
  type Decision,
  type DenyReason,
  type LiveAccessFacts,
} from '../policy/index.js';
import type { ViewingCalendar } from '../policy/facts.js';
import { signGrant, type GrantKeyRing } from '../grants/index.js';
import type { AuditContext } from '../audit/audit-log.js';
import type { AuditGroupCommit } from '../audit/group-commit.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import type { SessionStore } from '../identity/sessions.js';
import { liveDecisionStableUntil } from '../policy/validity.js';
import type { Recheck } from './live-registry.js';
import type { Logger } from 'pino';
import { raisePrivilegedView } from '../alerts/privileged-view.js';

/**
 * Denials that must not reveal that the camera exists (no probing of ids): a viewer with no relation
 * to the camera gets "not found". Only a viewer whose child is in the group learns the finer reasons
 * (hours, consent, subscription) the player shows. All of them are audited with the real reason.
 */
const RELATIONSHIP_REASONS: ReadonlySet<DenyReason> = new Set([
  'not_guardian',
  'no_role',
  'guardian_unverified',
  'not_enrolled',
  'role_not_permitted',
  'zone_restricted',
]);

export interface GrantViewer {
  personId: string;
  sessionId: string;
}

export interface IssuedStream {
  streamId: string;
  cameraId: string;
  token: string;
  expiresAt: string;
  renewAfterMs: number;
  wsUrl: string;
  hlsUrl: string;
  snapshotUrl: string;
  viewerTag: string;
  mode: 'live';
}

/** A connection about to open with a grant: who, which camera, which session, which stream. */
export interface ConnectionGrant {
  streamId: string;
  personId: string;
  cameraId: string;
  sessionId: string;
}

export interface GrantServiceDeps {
  db: Kysely<Database>;
  /** Decisions' audit entries and stream rows, committed together with those of concurrent requests. */
  writes: AuditGroupCommit;
  streams: StreamSessionsRepository;
  sessions: SessionStore;
  clock: Clock;
  keyRing: () => GrantKeyRing;
  ttlSeconds: number;
  streamLimit: number;
  /** Where a failure of the policy itself is reported (the app's pino logger). */
  log?: Pick<Logger, 'error'>;
}

export function viewerTag(personId: string): string {
  return (
    'V-' +
    createHash('sha256').update('okno-viewer-tag\0').update(personId).digest('hex').slice(0, 8).toUpperCase()
  );
}

export function mediaUrls(
  cameraId: string,
  token: string,
): { wsUrl: string; hlsUrl: string; snapshotUrl: string } {
  const q = `token=${encodeURIComponent(token)}`;
  const base = `/media/live/${cameraId}`;
  return {
    wsUrl: `${base}/ws?${q}`,
    hlsUrl: `${base}/hls/index.m3u8?${q}`,
    snapshotUrl: `${base}/snapshot.jpg?${q}`,
  };
}

export class GrantService {
  private readonly facts: AccessFactsRepository;
  private readonly writes: AuditGroupCommit;
  /** The policy's decision function. A test seam: tests replace it to make the policy fail. */
  policy: typeof decideLiveAccess = decideLiveAccess;

  constructor(private readonly deps: GrantServiceDeps) {
    this.facts = new AccessFactsRepository(deps.db);
    this.writes = deps.writes;
  }

  /** Gathers the facts and decides. `undefined` when the camera or person does not exist. */
  async decide(
    personId: string,
    cameraId: string,
    exceptStreamId?: string,
    capped = true,
  ): Promise<{ decision: Decision; camera: CameraRow; facts: LiveAccessFacts } | undefined> {
    const now = this.deps.clock.now();
    const snapshot = await this.facts.liveSnapshot(personId, cameraId, {
      nowIso: now.toISOString(),
      exceptStreamId,
      countUpTo: this.deps.streamLimit + 1,
    });
    if (!snapshot) return undefined;
    const { camera, ...rest } = snapshot;
    const facts: LiveAccessFacts = {
      ...rest,
      camera: camera.facts,
      streamLimit: capped ? this.deps.streamLimit : Number.MAX_SAFE_INTEGER,
    };
    let decision: Decision;
    try {
      decision = this.policy(facts, now.getTime());
    } catch (err) {
      // The policy failed (malformed facts: a bad time zone or schedule row): fail closed with a code
      // of its own, so the audit log, the logs and the viewer say "server error", not a reason that
      // blames the viewer.
      this.deps.log?.error(
        { err, personId, cameraId, streamId: exceptStreamId ?? null },
        'access policy failed: access refused',
      );
      decision = { allow: false, reason: 'policy_error' };
    }
    return { decision, camera, facts };
  }

  /** A new live stream for the viewer, or an AppError (404 for no relationship, 403 with the reason). */
  async requestLive(viewer: GrantViewer, cameraId: string, audit: AuditContext): Promise<IssuedStream> {
    const now = this.deps.clock.now();
    const d = await this.decide(viewer.personId, cameraId);
    if (!d) {
      await this.auditDecision(
        audit,
        cameraId,
        null,
        { allow: false, reason: 'not_guardian' },
        null,
        'grant.live',
        now,
      );
      throw new AppError('not_found', 'camera not found');
    }
    const { decision, camera, facts } = d;
    if (!decision.allow) {
      await this.auditDecision(
        audit,
        cameraId,
        camera.facts.institutionId,
        decision,
        null,
        'grant.live',
        now,
      );
      throw this.denial(decision.reason, facts, now);
    }
    const issued = await signGrant(
      this.deps.keyRing(),
      { personId: viewer.personId, cameraId, sessionId: viewer.sessionId, purpose: 'live' },
      { atMs: now.getTime(), ttlSeconds: this.deps.ttlSeconds },
    );
    const expiresAt = new Date(issued.expiresAtMs).toISOString();
    await this.writes.append(
      {
        ...audit,
        actor: audit.actor
          ? { ...audit.actor, role: decision.basis === 'staff' ? decision.role : 'parent' }
          : null,
      },
      {
        action: 'grant.live',
        targetKind: 'camera',
        targetId: cameraId,
        institutionId: camera.facts.institutionId,
        decision: 'allow',
        reason: decision.basis,
        streamId: issued.streamId,
        details: decision.basis === 'guardian' ? { childId: decision.childId } : { role: decision.role },
      },
      now,
      async (trx) => {
        await this.deps.streams.insert(
          grantedStreamRow({
            id: issued.streamId,
            personId: viewer.personId,
            cameraId,
            childId: decision.basis === 'guardian' ? decision.childId : null,
            sessionId: viewer.sessionId,
            basis: decision.basis,
            purpose: 'live',
            at: now,
            expiresAt,
            ip: audit.ip,
            userAgent: audit.userAgent,
          }),
          trx,
        );
        // Staff watching a children's camera is alerted (parents' grants skip this branch).
        if (decision.basis === 'staff' && camera.facts.institutionKind === 'kindergarten')
          await raisePrivilegedView(trx, this.deps.clock, {
            personId: viewer.personId,
            role: decision.role,
            camera,
            what: 'live',
            streamId: issued.streamId,
          });
      },
    );
    return this.present(viewer.personId, cameraId, issued.streamId, issued.token, expiresAt);
  }

  /** A fresh token for an open stream; re-runs the policy. */
  async renew(viewer: GrantViewer, streamId: string, audit: AuditContext): Promise<IssuedStream> {
    const now = this.deps.clock.now();
    const row = await this.deps.streams.get(streamId);
    if (!row || row.person_id !== viewer.personId || row.session_id !== viewer.sessionId)
      throw new AppError('not_found', 'stream not found');
    if (row.ended_at)
      throw new AppError('forbidden', 'the stream has ended', { reason: row.end_reason ?? 'ended' });
    const d = await this.decide(viewer.personId, row.camera_id, streamId);
    const decision: Decision = d?.decision ?? { allow: false, reason: 'not_guardian' };
    if (!decision.allow) {
      await this.writes.append(
        audit,
        {
          action: 'grant.renew',
          targetKind: 'camera',
          targetId: row.camera_id,
          institutionId: d?.camera.facts.institutionId ?? null,
          decision: 'deny',
          reason: decision.reason,
          streamId,
        },
        now,
      );
      throw new AppError('forbidden', `access ended: ${decision.reason}`, {
        reason: decision.reason,
        ...(d ? this.nextOpen(decision.reason, d.facts, now) : {}),
      });
    }
    const issued = await signGrant(
      this.deps.keyRing(),
      {
        personId: viewer.personId,
        cameraId: row.camera_id,
        sessionId: viewer.sessionId,
        purpose: 'live',
        streamId,
      },
      { atMs: now.getTime(), ttlSeconds: this.deps.ttlSeconds },
    );
    const expiresAt = new Date(issued.expiresAtMs).toISOString();
    await this.writes.append(
      audit,
      {
        action: 'grant.renew',
        targetKind: 'camera',
        targetId: row.camera_id,
        institutionId: d!.camera.facts.institutionId,
        decision: 'allow',
        reason: decision.basis,
        streamId,
      },
      now,
      (trx) => this.deps.streams.renewed(streamId, now.toISOString(), expiresAt, trx),
    );
    return this.present(viewer.personId, row.camera_id, streamId, issued.token, expiresAt);
  }

  /**
   * Is this open stream still allowed right now? Session alive and the policy still allows (the cap
   * counting the viewer's other open streams). On allow: what the stream relates to (for access
   * events) and until when the decision holds by the clock alone.
   */
  async recheck(stream: ConnectionGrant): Promise<Recheck> {
    return this.check(stream, true);
  }

  private async check(stream: ConnectionGrant, capped: boolean): Promise<Recheck> {
    const sessionUntilMs = await this.deps.sessions.activeUntil(stream.sessionId);
    if (sessionUntilMs === null) return { ok: false, reason: 'session_ended' };
    const d = await this.decide(stream.personId, stream.cameraId, stream.streamId, capped);
    if (!d) return { ok: false, reason: 'not_found' };
    if (!d.decision.allow) return { ok: false, reason: d.decision.reason };
    const nowMs = this.deps.clock.now().getTime();
    let validUntilMs: number;
    try {
      validUntilMs = liveDecisionStableUntil(viewingCalendar(d.facts), nowMs);
    } catch {
      validUntilMs = nowMs + 60_000;
    }
    return {
      ok: true,
      scope: {
        institutionId: d.camera.facts.institutionId,
        roomId: d.camera.facts.roomId,
        childIds: d.facts.guardianLinks.map((l) => l.childId),
      },
      validUntilMs: Math.min(validUntilMs, sessionUntilMs),
      capped: d.decision.basis === 'guardian',
    };
  }

  /**
   * May a new connection open with this grant? Its stream row must be this viewer's, this camera's
   * and this session's, never have carried a connection (a grant opens one connection, once) and not
   * have ended (revoked, released at logout); then the same checks as a re-check.
   */
  async admit(stream: ConnectionGrant): Promise<Recheck> {
    const row = await this.deps.streams.get(stream.streamId);
    if (
      !row ||
      row.person_id !== stream.personId ||
      row.camera_id !== stream.cameraId ||
      row.session_id !== stream.sessionId
    )
      return { ok: false, reason: 'not_found' };
    if (row.ended_at) return { ok: false, reason: revokedReason(row.end_reason) };
    if (row.started_at) return { ok: false, reason: 'grant_spent' };
    return this.recheck(stream);
  }

  /**
   * May this grant fetch a snapshot now? A snapshot opens no stream, so the stream cap does not apply;
   * everything else does: the session, the policy, and a stream revoked or released at logout.
   */
  async admitSnapshot(stream: ConnectionGrant): Promise<Recheck> {
    const row = await this.deps.streams.get(stream.streamId);
    if (
      !row ||
      row.person_id !== stream.personId ||
      row.camera_id !== stream.cameraId ||
      row.session_id !== stream.sessionId
    )
      return { ok: false, reason: 'not_found' };
    if (row.ended_at && row.end_reason !== 'viewer_closed')
      return { ok: false, reason: revokedReason(row.end_reason) };
    return this.check(stream, false);
  }

  private present(
    personId: string,
    cameraId: string,
    streamId: string,
    token: string,
    expiresAt: string,
  ): IssuedStream {
    return {
      streamId,
      cameraId,
      token,
      expiresAt,
      // Renew at two thirds of the lifetime: time for a retry before the token lapses.
      renewAfterMs: Math.floor((this.deps.ttlSeconds * 1000 * 2) / 3),
      ...mediaUrls(cameraId, token),
      viewerTag: viewerTag(personId),
      mode: 'live',
    };
  }

  private denial(reason: DenyReason, facts: LiveAccessFacts, now: Date): AppError {
    if (RELATIONSHIP_REASONS.has(reason)) return new AppError('not_found', 'camera not found');
    return new AppError('forbidden', `access denied: ${reason}`, {
      reason,
      ...this.nextOpen(reason, facts, now),
    });
  }

  private nextOpen(reason: string, facts: LiveAccessFacts, now: Date): { nextOpenAt?: string } {
    if (reason !== 'outside_viewing_hours' && reason !== 'closed_day') return {};
    const at = nextLiveOpening(facts, now.getTime());
    return at === null ? {} : { nextOpenAt: new Date(at).toISOString() };
  }

  private async auditDecision(
    audit: AuditContext,
    cameraId: string,
    institutionId: string | null,
    decision: Decision,
    streamId: string | null,
    action: string,
    now: Date,
  ): Promise<void> {
    await this.writes.append(
      audit,
      {
        action,
        targetKind: 'camera',
        targetId: cameraId,
        institutionId,
        decision: decision.allow ? 'allow' : 'deny',
        reason: decision.allow ? decision.basis : decision.reason,
        streamId,
      },
      now,
    );
  }
}

function viewingCalendar(facts: LiveAccessFacts): ViewingCalendar {
  return {
    timeZone: facts.camera.timeZone,
    closedDays: facts.camera.closedDays,
    windows: facts.viewingWindows,
  };
}

/** Why an ended stream's grant is refused: the revocation's reason, else spent. */
function revokedReason(endReason: string | null): string {
  const m = /^access_revoked:(.+)$/.exec(endReason ?? '');
  return m?.[1] ?? (endReason === 'session_ended' ? 'session_ended' : 'grant_spent');
}
