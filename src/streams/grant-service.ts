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
import { signGrant, type GrantKeyRing } from '../grants/index.js';
import type { AuditContext } from '../audit/audit-log.js';
import type { AuditGroupCommit } from '../audit/group-commit.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import type { SessionStore } from '../identity/sessions.js';

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

export type Recheck = { ok: true } | { ok: false; reason: string };

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

  constructor(private readonly deps: GrantServiceDeps) {
    this.facts = new AccessFactsRepository(deps.db);
    this.writes = deps.writes;
  }

  /** Gathers the facts and decides. `undefined` when the camera or person does not exist. */
  async decide(
    personId: string,
    cameraId: string,
    exceptStreamId?: string,
  ): Promise<{ decision: Decision; camera: CameraRow; facts: LiveAccessFacts } | undefined> {
    const now = this.deps.clock.now();
    const snapshot = await this.facts.liveSnapshot(personId, cameraId, {
      nowIso: now.toISOString(),
      exceptStreamId,
      countUpTo: this.deps.streamLimit + 1,
    });
    if (!snapshot) return undefined;
    const { camera, ...rest } = snapshot;
    const facts: LiveAccessFacts = { ...rest, camera: camera.facts, streamLimit: this.deps.streamLimit };
    let decision: Decision;
    try {
      decision = decideLiveAccess(facts, now.getTime());
    } catch {
      // Malformed facts (a bad time zone or schedule row) fail closed, and the denial is audited.
      decision = { allow: false, reason: 'not_enrolled' };
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
      (trx) =>
        this.deps.streams.insert(
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
        ),
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

  /** Is this open stream still allowed right now? (session alive and the policy still allows) */
  async recheck(stream: {
    streamId: string;
    personId: string;
    cameraId: string;
    sessionId: string;
  }): Promise<Recheck> {
    if (!(await this.deps.sessions.isActive(stream.sessionId))) return { ok: false, reason: 'session_ended' };
    const d = await this.decide(stream.personId, stream.cameraId, stream.streamId);
    if (!d) return { ok: false, reason: 'not_found' };
    return d.decision.allow ? { ok: true } : { ok: false, reason: d.decision.reason };
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
