/**
 * What people do with recordings, each step authorised, audited in the same transaction as its change,
 * and answered "not found" when the caller has no relation to the camera:
 *
 * - office staff (employee, reception, office head of the room) start and stop manual recording;
 * - staff whose role binding covers the camera see its timeline (no video in it);
 * - inspectors, with a stated reason (decideRecordingAccess), get a playback grant, an export, or
 *   place and lift legal holds;
 * - office heads and operators set working hours and ring-buffer mode; operators set retention
 *   (each only for the institution kind they operate: src/authz/table.ts).
 */
import { raisePrivilegedView } from '../alerts/privileged-view.js';
import path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import { appendAudit, recordAudit, type AuditContext } from '../audit/audit-log.js';
import type { Config } from '../config/config.js';
import { signGrant, type GrantKeyRing, type GrantVerifier } from '../grants/index.js';
import type { AuthenticatedSession } from '../identity/sessions.js';
import { decideRecordingAccess, type Decision, type DenyReason } from '../policy/index.js';
import type { Role, ViewingWindow } from '../policy/facts.js';
import { authorize, type Action, type Grant, type ObjectKind } from '../authz/index.js';
import { principalOf } from '../authz/places.js';
import { authorizeOnCamera } from '../authz/camera-access.js';
import { PlacesRepository } from '../storage/repositories/places.js';
import { parseViewingWindow } from '../policy/schedule.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { Database } from '../storage/schema.js';
import { AccessFactsRepository, type CameraRow } from '../storage/repositories/access-facts.js';
import type { RoomKind, ViewRow } from '../storage/repositories/recordings-policy.js';
import { grantedStreamRow, StreamSessionsRepository } from '../storage/repositories/stream-sessions.js';
import { loadOrCreateExportKey, type ExportSigningKey } from './export-key.js';
import { verifyExportPackage, writeExportPackage } from './export.js';
import { buildClip, planPieces, type Clip, type Piece } from './playback.js';
import type { RecordingService } from './service.js';
import { timelineOf, type Timeline } from './timeline.js';

/** The longest range one playback grant covers. */
export const MAX_RANGE_MS = 24 * 3600_000;
/** The longest range one export covers (a package is written to disk before it is handed out). */
export const MAX_EXPORT_MS = 6 * 3600_000;

export interface OperationsDeps {
  db: Kysely<Database>;
  clock: Clock;
  config: Config;
  service: RecordingService;
  keyRing: () => GrantKeyRing;
  verifier: GrantVerifier;
}

export interface PlaybackGrant {
  streamId: string;
  token: string;
  expiresAt: string;
  from: string;
  to: string;
  hlsUrl: string;
  mp4Url: string;
}

export interface ExportResult {
  exportId: string;
  /** The package checked right after it was written, as `okno export verify` would. */
  verification: { ok: boolean; details: { passed: string[]; problems: string[] } };
  file: string;
  bytes: number;
  sha256: string;
  mp4Sha256: string;
  keyId: string;
  downloadUrl: string;
  from: string;
  to: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

function parseRange(from: string, to: string, maxMs = MAX_RANGE_MS): { fromMs: number; toMs: number } {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs))
    throw new AppError('validation_failed', 'from and to must be ISO-8601 instants');
  if (toMs <= fromMs) throw new AppError('validation_failed', 'to must be after from');
  if (toMs - fromMs > maxMs)
    throw new AppError('validation_failed', `this range may cover at most ${maxMs / 3600_000} hours`);
  return { fromMs, toMs };
}

export class RecordingOperations {
  private readonly facts: AccessFactsRepository;
  private readonly places: PlacesRepository;
  private exportKeyCache: ExportSigningKey | undefined;

  constructor(private readonly deps: OperationsDeps) {
    this.facts = new AccessFactsRepository(deps.db);
    this.places = new PlacesRepository(deps.db);
  }

  private get service(): RecordingService {
    return this.deps.service;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  exportKey(): ExportSigningKey {
    return (this.exportKeyCache ??= loadOrCreateExportKey(this.deps.config.dataDir));
  }

  get exportsDir(): string {
    return path.join(this.deps.config.dataDir, 'exports');
  }

  /** The camera, when the caller may do `action` to `object` there (src/authz/); else "not found". */
  private async cameraFor(
    caller: AuthenticatedSession,
    cameraId: string,
    object: ObjectKind = 'recording_timeline',
    action: Action = 'read',
  ): Promise<{ camera: CameraRow; binding: Grant }> {
    const { camera, grant } = await authorizeOnCamera(this.facts, caller, cameraId, object, action);
    return { camera, binding: grant };
  }

  /** decideRecordingAccess over fresh facts; a denial is audited and thrown. */
  private async decide(
    caller: AuthenticatedSession,
    cameraId: string,
    statedReason: string,
    action: string,
    audit: AuditContext,
    details: Record<string, unknown>,
  ): Promise<{ camera: CameraRow; decision: { role: Role } }> {
    const [camera, viewer] = await Promise.all([
      this.facts.camera(cameraId),
      this.facts.viewer(caller.person.id),
    ]);
    const decision: Decision =
      camera && viewer
        ? decideRecordingAccess({ viewer, camera: camera.facts, statedReason })
        : { allow: false, reason: 'no_role' };
    if (!decision.allow || decision.basis !== 'staff' || !camera) {
      const reason: DenyReason = decision.allow ? 'no_role' : decision.reason;
      await recordAudit(
        this.deps.db,
        audit,
        {
          action,
          targetKind: 'camera',
          targetId: cameraId,
          institutionId: camera?.facts.institutionId ?? null,
          decision: 'deny',
          reason,
          details: { ...details, statedReason },
        },
        this.now(),
      );
      if (reason === 'no_role' || reason === 'person_disabled')
        throw new AppError('not_found', 'camera not found');
      throw new AppError('forbidden', `access denied: ${reason}`, { reason });
    }
    return { camera, decision: { role: decision.role } };
  }

  // -------------------------------------------------------------------------------------------------
  // Manual recording (visits).

  async startManual(
    caller: AuthenticatedSession,
    cameraId: string,
    body: { purpose?: string | undefined },
    audit: AuditContext,
  ): Promise<{ sessionId: string; startedAt: string; preRollSeconds: number }> {
    const { camera, binding } = await this.cameraFor(caller, cameraId, 'visit_recording', 'create');
    const rc = await this.service.policy.camera(cameraId);
    if (!rc || rc.policy !== 'manual')
      throw new AppError(
        'conflict',
        `this camera does not record per visit (policy ${rc?.policy ?? 'unknown'})`,
      );
    if (!rc.enabled) throw new AppError('conflict', 'the camera is disabled');
    const now = this.now();
    const id = newId();
    await this.deps.db.transaction().execute(async (trx) => {
      await this.service.policy.insertManual(
        {
          id,
          camera_id: cameraId,
          started_at: now.toISOString(),
          started_by: caller.person.id,
          purpose: body.purpose ?? null,
          stop_at: null,
          stopped_by: null,
          record_until: null,
          created_at: now.toISOString(),
        },
        trx,
      );
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role: binding.role } : null },
        {
          action: 'recording.start',
          targetKind: 'camera',
          targetId: cameraId,
          institutionId: camera.facts.institutionId,
          decision: 'allow',
          reason: binding.role,
          details: { manualSessionId: id, purpose: body.purpose ?? null },
        },
        now,
      );
    });
    if (this.service.enabled) await this.service.tick();
    return {
      sessionId: id,
      startedAt: now.toISOString(),
      preRollSeconds: this.deps.config.recording.preRollSeconds,
    };
  }

  async stopManual(
    caller: AuthenticatedSession,
    cameraId: string,
    body: { sessionId?: string | undefined },
    audit: AuditContext,
  ): Promise<{ stoppedAt: string; recordingUntil: string; sessions: string[] }> {
    const { camera, binding } = await this.cameraFor(caller, cameraId, 'visit_recording', 'create');
    const open = (await this.service.policy.openManual(cameraId)).filter(
      (s) => !body.sessionId || s.id === body.sessionId,
    );
    if (open.length === 0) throw new AppError('conflict', 'no visit is being recorded on this camera');
    const now = this.now();
    const until = iso(now.getTime() + this.deps.config.recording.postRollSeconds * 1000);
    await this.deps.db.transaction().execute(async (trx) => {
      for (const s of open)
        await this.service.policy.stopManual(
          s.id,
          { stopAt: now.toISOString(), stoppedBy: caller.person.id, recordUntil: until },
          trx,
        );
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role: binding.role } : null },
        {
          action: 'recording.stop',
          targetKind: 'camera',
          targetId: cameraId,
          institutionId: camera.facts.institutionId,
          decision: 'allow',
          reason: binding.role,
          details: { manualSessionIds: open.map((s) => s.id), recordingUntil: until },
        },
        now,
      );
    });
    if (this.service.enabled) await this.service.tick();
    return { stoppedAt: now.toISOString(), recordingUntil: until, sessions: open.map((s) => s.id) };
  }

  // -------------------------------------------------------------------------------------------------
  // Timeline and playback.

  async timeline(
    caller: AuthenticatedSession,
    cameraId: string,
    from: string,
    to: string,
  ): Promise<Timeline> {
    await this.cameraFor(caller, cameraId);
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs)
      throw new AppError('validation_failed', 'from and to must be ISO-8601 instants, from before to');
    if (toMs - fromMs > 31 * 86_400_000)
      throw new AppError('validation_failed', 'a timeline covers at most 31 days');
    const [segments, gaps] = await Promise.all([
      this.service.repo.segmentsOverlapping(cameraId, fromMs, toMs),
      this.service.repo.gapsOverlapping(cameraId, fromMs, toMs),
    ]);
    return timelineOf(
      segments,
      gaps,
      fromMs,
      toMs,
      this.now().getTime(),
      this.service.recorder(cameraId)?.inProgress(),
    );
  }

  async playback(
    caller: AuthenticatedSession,
    cameraId: string,
    body: { from: string; to: string; reason: string },
    audit: AuditContext,
  ): Promise<PlaybackGrant> {
    const { fromMs, toMs } = parseRange(body.from, body.to);
    const range = { from: iso(fromMs), to: iso(toMs) };
    const { camera, decision } = await this.decide(
      caller,
      cameraId,
      body.reason,
      'recording.playback',
      audit,
      range,
    );
    const now = this.now();
    const { streamId, token, expiresAt } = await this.issueView(
      caller,
      cameraId,
      fromMs,
      toMs,
      body.reason,
      audit,
      {
        action: 'recording.playback',
        institutionId: camera.facts.institutionId,
        role: decision.role,
        details: range,
        now,
        privileged: { camera, what: 'playback' },
      },
    );
    const q = `token=${encodeURIComponent(token)}`;
    const base = `/media/recordings/${cameraId}/${streamId}`;
    return {
      streamId,
      token,
      expiresAt,
      ...range,
      hlsUrl: `${base}/index.m3u8?${q}`,
      mp4Url: `${base}/clip.mp4?${q}`,
    };
  }

  /** A signed playback token, its view row, its stream row and the audit entry, in one transaction. */
  private async issueView(
    caller: AuthenticatedSession,
    cameraId: string,
    fromMs: number,
    toMs: number,
    statedReason: string,
    audit: AuditContext,
    a: {
      action: string;
      institutionId: string;
      role: Role;
      details: Record<string, unknown>;
      now: Date;
      /** More writes for the same transaction (the export row). */
      also?: (trx: Transaction<Database>) => Promise<void>;
      /** the camera viewed: staff viewing a children's camera raises video.privileged_view */
      privileged?: { camera: CameraRow; what: 'playback' | 'export' };
    },
  ): Promise<{ streamId: string; token: string; expiresAt: string }> {
    const issued = await signGrant(
      this.deps.keyRing(),
      { personId: caller.person.id, cameraId, sessionId: caller.sessionId, purpose: 'playback' },
      { atMs: a.now.getTime(), ttlSeconds: this.deps.config.streams.grantTtlSeconds },
    );
    const expiresAt = iso(a.now.getTime() + this.deps.config.recording.playbackMinutes * 60_000);
    await this.deps.db.transaction().execute(async (trx) => {
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role: a.role } : null },
        {
          action: a.action,
          targetKind: 'camera',
          targetId: cameraId,
          institutionId: a.institutionId,
          decision: 'allow',
          reason: a.role,
          streamId: issued.streamId,
          details: { ...a.details, statedReason },
        },
        a.now,
      );
      await new StreamSessionsRepository(trx).insert(
        grantedStreamRow({
          id: issued.streamId,
          personId: caller.person.id,
          cameraId,
          childId: null,
          sessionId: caller.sessionId,
          basis: 'staff',
          purpose: 'playback',
          at: a.now,
          expiresAt,
          ip: audit.ip,
          userAgent: audit.userAgent,
        }),
      );
      await this.service.policy.insertView(
        {
          stream_id: issued.streamId,
          camera_id: cameraId,
          person_id: caller.person.id,
          session_id: caller.sessionId,
          from_at: iso(fromMs),
          to_at: iso(toMs),
          reason: statedReason,
          created_at: a.now.toISOString(),
          expires_at: expiresAt,
        },
        trx,
      );
      await a.also?.(trx);
      if (a.privileged)
        await raisePrivilegedView(trx, this.deps.clock, {
          personId: caller.person.id,
          role: a.role,
          camera: a.privileged.camera,
          what: a.privileged.what,
          streamId: issued.streamId,
          range: { from: iso(fromMs), to: iso(toMs) },
          reason: statedReason,
        });
    });
    return { streamId: issued.streamId, token: issued.token, expiresAt };
  }

  /**
   * Checks a media request of a playback (or export download): the token's signature, camera and
   * stream; the view row it names (same camera, same session, not past its end). An expired token is
   * accepted while its view is open (players fetch a long range over a long time). Refusals audited.
   */
  async authorizeMedia(
    sessionId: string | undefined,
    cameraId: string,
    streamId: string,
    token: string,
    audit: AuditContext,
  ): Promise<ViewRow> {
    const now = this.now();
    const v = await this.deps.verifier.verify(
      token,
      { cameraId, sessionId: sessionId ?? 'none', purpose: 'playback' },
      now.getTime(),
    );
    const grant = v.ok ? v.grant : v.reason === 'expired' ? v.grant : null;
    let problem: string | undefined;
    let view: ViewRow | undefined;
    if (!sessionId) problem = 'no_session';
    else if (!grant) problem = v.ok ? 'unknown' : v.reason;
    else if (grant.streamId !== streamId || grant.cameraId !== cameraId || grant.purpose !== 'playback')
      problem = 'wrong_stream';
    else {
      view = await this.service.policy.view(streamId);
      if (!view || view.camera_id !== cameraId) problem = 'unknown_stream';
      else if (view.session_id !== sessionId) problem = 'wrong_session';
      else if (Date.parse(view.expires_at) <= now.getTime()) problem = 'expired';
    }
    if (problem || !view) {
      await recordAudit(
        this.deps.db,
        audit,
        {
          action: 'media.refused',
          targetKind: 'camera',
          targetId: cameraId,
          decision: 'deny',
          reason: problem ?? 'unknown',
          streamId: grant?.streamId ?? null,
          details: { purpose: 'playback' },
        },
        now,
      );
      throw new AppError('forbidden', `grant refused: ${problem ?? 'unknown'}`, { reason: problem });
    }
    return view;
  }

  /** The pieces of a view's range (what its playlist and clip are made of). */
  async piecesOf(view: Pick<ViewRow, 'camera_id' | 'from_at' | 'to_at'>): Promise<Piece[]> {
    const fromMs = Date.parse(view.from_at);
    const toMs = Date.parse(view.to_at);
    // The segment being written is included, up to its last written fragment.
    const segments = await this.service.segmentsOverlapping(view.camera_id, fromMs, toMs);
    return planPieces(segments, fromMs, toMs);
  }

  async clipOf(view: Pick<ViewRow, 'camera_id' | 'from_at' | 'to_at'>): Promise<Clip> {
    return buildClip(this.service.root, await this.piecesOf(view));
  }

  async served(streamId: string, bytes: number): Promise<void> {
    await this.service.policy.playbackServed(streamId, bytes, this.now().toISOString());
  }

  // -------------------------------------------------------------------------------------------------
  // Export.

  async createExport(
    caller: AuthenticatedSession,
    cameraId: string,
    body: { from: string; to: string; reason: string },
    audit: AuditContext,
  ): Promise<ExportResult> {
    const { fromMs, toMs } = parseRange(body.from, body.to, MAX_EXPORT_MS);
    const range = { from: iso(fromMs), to: iso(toMs) };
    const { camera, decision } = await this.decide(
      caller,
      cameraId,
      body.reason,
      'recording.export',
      audit,
      range,
    );
    const pieces = await this.piecesOf({ camera_id: cameraId, from_at: range.from, to_at: range.to });
    if (pieces.length === 0) throw new AppError('not_found', 'nothing was recorded in this range');
    const clip = await buildClip(this.service.root, pieces);
    const gaps = await this.service.repo.gapsOverlapping(cameraId, clip.startMs, clip.endMs);
    const now = this.now();
    const exportId = newId();
    const key = this.exportKey();
    const written = await writeExportPackage({
      dir: this.exportsDir,
      exportId,
      clip,
      pieces,
      gaps,
      meta: {
        site: this.deps.config.publicUrl,
        camera: { id: cameraId, name: camera.name },
        room: { id: camera.facts.roomId, name: camera.roomName, kind: camera.facts.roomKind },
        institution: {
          id: camera.facts.institutionId,
          name: camera.institutionName,
          timeZone: camera.facts.timeZone,
        },
        requestedBy: {
          personId: caller.person.id,
          subject: caller.person.subject,
          displayName: caller.person.displayName,
          role: decision.role,
        },
        reason: body.reason,
      },
      requested: { fromMs, toMs },
      createdAtMs: now.getTime(),
      key,
    });
    const view = await this.issueView(caller, cameraId, fromMs, toMs, body.reason, audit, {
      action: 'recording.export',
      institutionId: camera.facts.institutionId,
      role: decision.role,
      details: {
        ...range,
        exportId,
        bytes: written.bytes,
        sha256: written.sha256,
        mp4Sha256: written.manifest.video.sha256,
        segments: pieces.length,
      },
      now,
      privileged: { camera, what: 'export' },
      also: (trx) =>
        this.service.policy.insertExport(
          {
            id: exportId,
            camera_id: cameraId,
            person_id: caller.person.id,
            from_at: range.from,
            to_at: range.to,
            reason: body.reason,
            file: written.file,
            bytes: written.bytes,
            sha256: written.sha256,
            mp4_sha256: written.manifest.video.sha256,
            key_id: key.keyId,
            created_at: now.toISOString(),
            file_deleted_at: null,
          },
          trx,
        ),
    });
    const check = await verifyExportPackage(path.join(this.exportsDir, written.file), key.publicKey);
    return {
      exportId,
      verification: { ok: check.ok, details: { passed: check.passed, problems: check.problems } },
      file: written.file,
      bytes: written.bytes,
      sha256: written.sha256,
      mp4Sha256: written.manifest.video.sha256,
      keyId: key.keyId,
      downloadUrl: `/media/recordings/${cameraId}/exports/${exportId}.tar?stream=${view.streamId}&token=${encodeURIComponent(view.token)}`,
      ...range,
    };
  }

  /** The export file for a download already authorised by authorizeMedia. */
  async exportFile(
    cameraId: string,
    exportId: string,
    personId: string,
  ): Promise<{ path: string; bytes: number }> {
    const row = await this.service.policy.exportRow(exportId);
    if (!row || row.camera_id !== cameraId || row.person_id !== personId)
      throw new AppError('not_found', 'export not found');
    if (row.file_deleted_at)
      throw new AppError(
        'gone',
        `the export package was deleted on ${row.file_deleted_at} (kept ${this.deps.config.recording.exportKeepDays} days); make a new export`,
        { deletedAt: row.file_deleted_at },
      );
    return { path: path.join(this.exportsDir, row.file), bytes: Number(row.bytes) };
  }

  // -------------------------------------------------------------------------------------------------
  // Legal holds.

  async placeHold(
    caller: AuthenticatedSession,
    cameraId: string,
    body: { from: string; to: string; reason: string },
    audit: AuditContext,
  ): Promise<{ id: string; from: string; to: string }> {
    const fromMs = Date.parse(body.from);
    const toMs = Date.parse(body.to);
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs)
      throw new AppError('validation_failed', 'from and to must be ISO-8601 instants, from before to');
    const range = { from: iso(fromMs), to: iso(toMs) };
    const { camera, decision } = await this.decide(
      caller,
      cameraId,
      body.reason,
      'recording.hold.place',
      audit,
      range,
    );
    const now = this.now();
    const id = newId();
    await this.deps.db.transaction().execute(async (trx) => {
      await this.service.policy.insertHold(
        {
          id,
          camera_id: cameraId,
          from_at: range.from,
          to_at: range.to,
          reason: body.reason,
          placed_by: caller.person.id,
          placed_at: now.toISOString(),
          lifted_by: null,
          lifted_at: null,
          lift_reason: null,
        },
        trx,
      );
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role: decision.role } : null },
        {
          action: 'recording.hold.place',
          targetKind: 'camera',
          targetId: cameraId,
          institutionId: camera.facts.institutionId,
          decision: 'allow',
          reason: decision.role,
          details: { holdId: id, ...range, statedReason: body.reason },
        },
        now,
      );
    });
    return { id, ...range };
  }

  async liftHold(
    caller: AuthenticatedSession,
    holdId: string,
    body: { reason: string },
    audit: AuditContext,
  ): Promise<{ id: string; liftedAt: string }> {
    const hold = await this.service.policy.hold(holdId);
    if (!hold) throw new AppError('not_found', 'hold not found');
    const { camera, decision } = await this.decide(
      caller,
      hold.camera_id,
      body.reason,
      'recording.hold.lift',
      audit,
      {
        holdId,
      },
    );
    if (hold.lifted_at) throw new AppError('conflict', 'the hold was already lifted');
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      const lifted = await this.service.policy.liftHold(
        holdId,
        { liftedAt: now.toISOString(), liftedBy: caller.person.id, reason: body.reason },
        trx,
      );
      if (!lifted) throw new AppError('conflict', 'the hold was already lifted');
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role: decision.role } : null },
        {
          action: 'recording.hold.lift',
          targetKind: 'camera',
          targetId: hold.camera_id,
          institutionId: camera.facts.institutionId,
          decision: 'allow',
          reason: decision.role,
          details: { holdId, from: hold.from_at, to: hold.to_at, statedReason: body.reason },
        },
        now,
      );
    });
    return { id: holdId, liftedAt: now.toISOString() };
  }

  async listHolds(caller: AuthenticatedSession, cameraId: string) {
    await this.cameraFor(caller, cameraId);
    const rows = await this.service.policy.holds(cameraId);
    return rows.map((h) => ({
      id: h.id,
      from: h.from_at,
      to: h.to_at,
      reason: h.reason,
      placedAt: h.placed_at,
      placedBy: h.placed_by,
      liftedAt: h.lifted_at,
      liftedBy: h.lifted_by,
      liftReason: h.lift_reason,
    }));
  }

  // -------------------------------------------------------------------------------------------------
  // Settings: working hours, ring buffer, retention.

  async setSchedule(
    caller: AuthenticatedSession,
    roomId: string,
    windows: ViewingWindow[],
    audit: AuditContext,
  ): Promise<{ roomId: string; windows: ViewingWindow[] }> {
    const place = await this.places.room(roomId);
    const binding = authorize(principalOf(caller), 'recording_settings', 'update', place, 'room');
    for (const w of windows) {
      try {
        parseViewingWindow(w);
      } catch (e) {
        throw new AppError('validation_failed', e instanceof Error ? e.message : String(e));
      }
    }
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await this.service.policy.setSchedule(roomId, windows, now.toISOString(), trx);
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role: binding.role } : null },
        {
          action: 'recording.schedule.set',
          targetKind: 'room',
          targetId: roomId,
          institutionId: place!.institution!.id,
          decision: 'allow',
          reason: binding.role,
          details: { windows },
        },
        now,
      );
    });
    if (this.service.enabled) await this.service.tick();
    return { roomId, windows };
  }

  async getSchedule(
    caller: AuthenticatedSession,
    roomId: string,
  ): Promise<{ roomId: string; windows: ViewingWindow[] }> {
    authorize(principalOf(caller), 'recording_settings', 'read', await this.places.room(roomId), 'room');
    return { roomId, windows: await this.service.policy.schedule(roomId) };
  }

  async setRingBuffer(
    caller: AuthenticatedSession,
    cameraId: string,
    ringBuffer: boolean,
    audit: AuditContext,
  ): Promise<{ cameraId: string; ringBuffer: boolean }> {
    const { camera, binding } = await this.cameraFor(caller, cameraId, 'recording_settings', 'update');
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await this.service.policy.setRingBuffer(cameraId, ringBuffer, now.toISOString(), trx);
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role: binding.role } : null },
        {
          action: 'recording.ring_buffer.set',
          targetKind: 'camera',
          targetId: cameraId,
          institutionId: camera.facts.institutionId,
          decision: 'allow',
          reason: binding.role,
          details: { ringBuffer },
        },
        now,
      );
    });
    return { cameraId, ringBuffer };
  }

  async setRetention(
    caller: AuthenticatedSession,
    institutionId: string,
    roomKind: RoomKind,
    days: number,
    audit: AuditContext,
  ): Promise<{ institutionId: string; roomKind: RoomKind; days: number }> {
    const place = await this.places.institution(institutionId);
    const binding = authorize(principalOf(caller), 'retention', 'update', place, 'institution');
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await this.service.policy.setRetention(institutionId, roomKind, days, now.toISOString(), trx);
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role: binding.role } : null },
        {
          action: 'recording.retention.set',
          targetKind: 'institution',
          targetId: institutionId,
          institutionId,
          decision: 'allow',
          reason: binding.role,
          details: { roomKind, days },
        },
        now,
      );
    });
    return { institutionId, roomKind, days };
  }
}
