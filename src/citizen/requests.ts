/**
 * Citizens' requests for the recording of their own visit (docs/design/citizen-requests.md), and the
 * privacy masks of each camera. Every step is authorised through src/authz/ (object kinds
 * `privacy_mask` and `citizen_request`) and audited in the same transaction as its change:
 *
 *   office head creates (camera + range or visit, extra regions, audio)  → pending
 *   a second person approves or rejects (never the requester)            → approved | rejected
 *   the office head (or the approver) produces: ffmpeg re-encodes with masks filled and regions
 *   blurred, the package is signed like every export with the custody record in its manifest
 *                                                                        → producing → produced | failed
 *   the hand-over is recorded: a signed receipt is added to the package  → handed_over
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { appendAudit, recordAudit, type AuditContext } from '../audit/audit-log.js';
import { allows, authorize, type Grant, type Principal } from '../authz/index.js';
import { placeOfCamera, principalOf } from '../authz/places.js';
import { authorizeOnCamera } from '../authz/camera-access.js';
import type { Config } from '../config/config.js';
import type { AuthenticatedSession } from '../identity/sessions.js';
import { takeSnapshot } from '../media/snapshot.js';
import { loadOrCreateExportKey, type ExportSigningKey } from '../recording/export-key.js';
import {
  appendHandoverReceipt,
  verifyExportPackage,
  writeExportPackage,
  type CustodyStep,
  type NormRect,
} from '../recording/export.js';
import { reencodeMasked, validateRects } from '../recording/masking.js';
import { MAX_EXPORT_MS } from '../recording/operations.js';
import { buildClip, planPieces, readSegmentBytes } from '../recording/playback.js';
import type { RecordingService } from '../recording/service.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { leaseHolder, processHolderId, releaseLease, tryAcquireLease } from '../storage/lease.js';
import { AccessFactsRepository, type CameraRow } from '../storage/repositories/access-facts.js';
import { VisitsRepository } from '../storage/repositories/visits.js';
import type { CitizenRequestsTable, CitizenRequestStatus, Database } from '../storage/schema.js';

export interface CitizenRequestDeps {
  db: Kysely<Database>;
  clock: Clock;
  config: Config;
  recording: RecordingService;
}

export interface MaskRect extends NormRect {
  label?: string | null;
}

export interface CitizenRequestInput {
  /** with a visit: optional (one of the visit's cameras, the first by default) */
  cameraId?: string | undefined;
  /** with a visit: ignored, the visit's range with pre-roll and post-roll is taken */
  from?: string | undefined;
  to?: string | undefined;
  visitId?: string | undefined;
  reference: string;
  receivedOn: string;
  note?: string | undefined;
  regions?: NormRect[] | undefined;
  regionStyle?: 'blur' | 'fill' | undefined;
  keepAudio: boolean;
}

export interface RequestVisit {
  id: string;
  roomName: string;
  employee: string | null;
  startedAt: string;
  endedAt: string | null;
  caseRef: string | null;
  status: 'open' | 'closed';
}

export interface PersonRef {
  id: string;
  name: string;
}

export interface CitizenRequestView {
  id: string;
  status: CitizenRequestStatus;
  institution: { id: string; name: string; timeZone: string };
  camera: { id: string; name: string; roomName: string };
  visitId: string | null;
  /** the office visit the request was made from (null: a manual camera and range, or the visit is gone) */
  visit: RequestVisit | null;
  reference: string;
  receivedOn: string;
  note: string | null;
  from: string;
  to: string;
  regions: NormRect[];
  regionStyle: 'blur' | 'fill';
  keepAudio: boolean;
  requested: { by: PersonRef; at: string };
  decided: { by: PersonRef; at: string; note: string | null } | null;
  produced: { by: PersonRef; at: string } | null;
  handedOver: { by: PersonRef; at: string; to: string; note: string | null } | null;
  production: { progress: number } | null;
  productionError: string | null;
  package: { exportId: string; bytes: number; sha256: string; fileDeletedAt: string | null } | null;
  /** what the caller may do now (for the screens) */
  may: { approve: boolean; produce: boolean; handOver: boolean; download: boolean };
}

type Row = CitizenRequestsTable;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A production is held under a database lease while it is queued and while ffmpeg runs, renewed
 * every third of its life: of several Okno processes on one database, the one producing a request
 * is known to all (the others show «готовится» and refuse to start it again), and a production whose
 * process died is known by its lapsed lease (shown as failed, it may be produced again).
 */
const PRODUCTION_LEASE_MS = 60_000;
const productionLease = (id: string) => `citizen_request.produce:${id}`;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class CitizenRequests {
  private readonly facts: AccessFactsRepository;
  private keyCache: ExportSigningKey | undefined;
  /** productions running in this process: request id → progress 0..1 */
  private readonly jobs = new Map<string, { progress: number; done: Promise<void> }>();
  /** one re-encoding at a time per process (each ffmpeg takes whole cores) */
  private queue: Promise<void> = Promise.resolve();
  /** this process, as the holder of production leases */
  private readonly holder = processHolderId();

  constructor(private readonly deps: CitizenRequestDeps) {
    this.facts = new AccessFactsRepository(deps.db);
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  private key(): ExportSigningKey {
    return (this.keyCache ??= loadOrCreateExportKey(this.deps.config.dataDir));
  }

  get exportsDir(): string {
    return path.join(this.deps.config.dataDir, 'exports');
  }

  /** Whether a request's production runs: here, or in a process whose lease has not lapsed. */
  private async productionAlive(id: string): Promise<boolean> {
    if (this.jobs.has(id)) return true;
    const lease = await leaseHolder(this.deps.db, productionLease(id));
    return lease !== undefined && Date.parse(lease.expiresAt) > this.now().getTime();
  }

  /** Waits for the productions started in this process (on shutdown). */
  async idle(): Promise<void> {
    await this.queue;
  }

  private async camera(
    caller: AuthenticatedSession,
    cameraId: string,
    object: 'privacy_mask' | 'citizen_request',
    action: 'read' | 'create' | 'update',
  ): Promise<{ camera: CameraRow; grant: Grant }> {
    return authorizeOnCamera(this.facts, caller, cameraId, object, action);
  }

  private actor(audit: AuditContext, grant: Grant): AuditContext {
    return { ...audit, actor: audit.actor ? { ...audit.actor, role: grant.role } : null };
  }

  // ---------------------------------------------------------------------------------------------
  // Privacy masks.

  async masks(caller: AuthenticatedSession, cameraId: string) {
    const { camera } = await this.camera(caller, cameraId, 'privacy_mask', 'read');
    const frame = await this.latestFrame(cameraId);
    return {
      cameraId,
      cameraName: camera.name,
      roomName: camera.roomName,
      ...(await this.maskState(cameraId)),
      /** whether snapshot.jpg has a picture to show (the latest recorded keyframe, and when it was) */
      snapshot: frame ? { at: frame.at } : null,
    };
  }

  /** The latest recorded keyframe of the camera in the last 30 days. */
  private async latestFrame(cameraId: string) {
    const nowMs = this.now().getTime();
    const segs = await this.deps.recording.segmentsOverlapping(
      cameraId,
      nowMs - 30 * 86_400_000,
      nowMs + 60_000,
    );
    const seg = [...segs].reverse().find((s) => s.keyframes.length > 0);
    if (!seg) return undefined;
    const [offset, ms] = seg.keyframes[seg.keyframes.length - 1]!;
    return { seg, offset, at: iso(seg.startMs + ms) };
  }

  private async maskState(cameraId: string) {
    const rows = await this.deps.db
      .selectFrom('privacy_masks')
      .leftJoin('persons', 'persons.id', 'privacy_masks.created_by')
      .select([
        'privacy_masks.x',
        'privacy_masks.y',
        'privacy_masks.w',
        'privacy_masks.h',
        'privacy_masks.label',
        'privacy_masks.created_at',
        'persons.display_name',
      ])
      .where('camera_id', '=', cameraId)
      .orderBy('position')
      .execute();
    return {
      masks: rows.map((r) => ({
        x: Number(r.x),
        y: Number(r.y),
        w: Number(r.w),
        h: Number(r.h),
        label: r.label,
      })),
      updatedAt: rows[0]?.created_at ?? null,
      updatedBy: rows[0]?.display_name ?? null,
    };
  }

  /** Replaces the camera's masks (the editor saves them all at once); audited with before and after. */
  async setMasks(caller: AuthenticatedSession, cameraId: string, masks: MaskRect[], audit: AuditContext) {
    const { camera, grant } = await this.camera(caller, cameraId, 'privacy_mask', 'update');
    const rects = validateRects(masks, 'mask');
    const labels = masks.map((m) => (m.label ?? '').trim().slice(0, 100) || null);
    const now = this.now().toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('privacy_masks')
        .select(['x', 'y', 'w', 'h', 'label'])
        .where('camera_id', '=', cameraId)
        .orderBy('position')
        .execute();
      await trx.deleteFrom('privacy_masks').where('camera_id', '=', cameraId).execute();
      if (rects.length)
        await trx
          .insertInto('privacy_masks')
          .values(
            rects.map((r, i) => ({
              id: newId(),
              camera_id: cameraId,
              position: i,
              ...r,
              label: labels[i] ?? null,
              created_by: caller.person.id,
              created_at: now,
            })),
          )
          .execute();
      await appendAudit(
        trx,
        this.actor(audit, grant),
        {
          action: 'privacy_mask.update',
          targetKind: 'camera',
          targetId: cameraId,
          institutionId: camera.facts.institutionId,
          decision: 'allow',
          reason: grant.role,
          details: {
            before: before.map((b) => ({
              ...b,
              x: Number(b.x),
              y: Number(b.y),
              w: Number(b.w),
              h: Number(b.h),
            })),
            after: rects.map((r, i) => ({ ...r, label: labels[i] ?? null })),
          },
        },
        this.now(),
      );
    });
    return this.masks(caller, cameraId);
  }

  /**
   * The picture to draw masks on: the latest recorded keyframe of the camera (no live connection, no
   * video rights needed beyond editing masks). Every look is audited: it shows the workplace.
   */
  async snapshot(caller: AuthenticatedSession, cameraId: string, audit: AuditContext): Promise<Buffer> {
    // Only those who draw masks (and regions of a request) see the picture: auditors read masks only.
    const { camera, grant } = await this.camera(caller, cameraId, 'privacy_mask', 'update');
    const frame = await this.latestFrame(cameraId);
    if (!frame)
      throw new AppError(
        'not_found',
        'nothing recorded from this camera in the last 30 days: no picture yet',
      );
    const { seg, offset } = frame;
    const end = Math.min(seg.bytes, offset + 4 * 1024 * 1024);
    const root = this.deps.recording.root;
    const [init, frameBytes] = await Promise.all([
      readSegmentBytes(root, seg, 0, seg.initBytes),
      readSegmentBytes(root, seg, offset, end),
    ]);
    const jpeg = await takeSnapshot(init, frameBytes, {
      ffmpegPath: this.deps.config.ffmpegPath,
      width: 960,
    });
    await recordAudit(
      this.deps.db,
      this.actor(audit, grant),
      {
        action: 'privacy_mask.snapshot',
        targetKind: 'camera',
        targetId: cameraId,
        institutionId: camera.facts.institutionId,
        decision: 'allow',
        reason: grant.role,
        details: { frameAt: frame.at },
      },
      this.now(),
    );
    return jpeg;
  }

  /** Cameras the caller may draw masks on or make requests for (the screens' pickers). */
  async cameras(caller: AuthenticatedSession) {
    const p = principalOf(caller);
    const rows = await this.deps.db
      .selectFrom('cameras')
      .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .select([
        'cameras.id',
        'cameras.name',
        'rooms.id as room_id',
        'rooms.name as room_name',
        'rooms.kind as room_kind',
        'institutions.id as institution_id',
        'institutions.name as institution_name',
        'institutions.kind as institution_kind',
        'institutions.region_id',
        'institutions.time_zone',
      ])
      .where('institutions.kind', '=', 'office')
      .where((eb) =>
        eb.or([
          eb('institutions.id', 'in', scopeIds(p, 'institution')),
          eb('institutions.region_id', 'in', scopeIds(p, 'region')),
          eb('rooms.id', 'in', scopeIds(p, 'room')),
        ]),
      )
      .orderBy('institutions.name')
      .orderBy('rooms.name')
      .orderBy('cameras.name')
      .execute();
    return rows.flatMap((r) => {
      const place = {
        regionId: r.region_id,
        institution: { id: r.institution_id, kind: r.institution_kind },
        roomIds: [r.room_id],
      };
      const maskEdit = allows(p, 'privacy_mask', 'update', place);
      const request = allows(p, 'citizen_request', 'create', place);
      if (!maskEdit && !request && !allows(p, 'citizen_request', 'read', place)) return [];
      return [
        {
          id: r.id,
          name: r.name,
          room: { id: r.room_id, name: r.room_name, kind: r.room_kind },
          institution: { id: r.institution_id, name: r.institution_name, timeZone: r.time_zone },
          may: { editMasks: maskEdit, createRequest: request },
        },
      ];
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Requests.

  /**
   * A request made from an office visit: the visit must exist, lie in the caller's scope (the same
   * «not found» as a missing one otherwise), be closed, and the camera (if named) be one of the
   * visit's; the range is the visit's recorded range, pre-roll before the start to post-roll after
   * the end.
   */
  private async fromVisit(
    caller: AuthenticatedSession,
    visitId: string,
    cameraId: string | undefined,
  ): Promise<{ cameraId: string; from: string; to: string }> {
    const repo = new VisitsRepository(this.deps.db);
    const v = await repo.visit(visitId);
    const w = v && (await repo.workplace(v.room_id));
    const place = w && {
      regionId: w.regionId,
      institution: { id: w.institutionId, kind: 'office' as const },
      roomIds: [w.roomId],
    };
    const missing = () => new AppError('not_found', 'Приём не найден или не относится к вашему учреждению');
    if (!v || !place) throw missing();
    try {
      // outside the caller's scope: 404 as for a missing visit; in scope but no right to create: 403
      authorize(principalOf(caller), 'citizen_request', 'create', place, 'visit');
    } catch (e) {
      throw e instanceof AppError && e.code === 'not_found' ? missing() : e;
    }
    if (v.status !== 'closed' || !v.ended_at)
      throw new AppError(
        'validation_failed',
        'Приём ещё не завершён: запрос по нему можно создать после «Завершить приём»',
      );
    const cams = (await repo.visitCameras([v.id])).get(v.id) ?? [];
    if (cams.length === 0)
      throw new AppError('validation_failed', 'На рабочем месте этого приёма не было камеры — записи нет');
    if (cameraId && !cams.some((c) => c.camera_id === cameraId))
      throw new AppError('validation_failed', 'Эта камера не записывала выбранный приём');
    return {
      cameraId: cameraId ?? cams[0]!.camera_id,
      from: iso(Date.parse(v.started_at) - Number(v.pre_roll_ms)),
      to: iso(Date.parse(v.ended_at) + Number(v.post_roll_ms)),
    };
  }

  async create(caller: AuthenticatedSession, input: CitizenRequestInput, audit: AuditContext) {
    let body: CitizenRequestInput & { cameraId: string; from: string; to: string };
    if (input.visitId) body = { ...input, ...(await this.fromVisit(caller, input.visitId, input.cameraId)) };
    else if (input.cameraId && input.from && input.to)
      body = { ...input, cameraId: input.cameraId, from: input.from, to: input.to };
    else
      throw new AppError(
        'validation_failed',
        'Выберите приём или укажите камеру и время начала и конца записи',
      );
    const { camera, grant } = await this.camera(caller, body.cameraId, 'citizen_request', 'create');
    const fromMs = Date.parse(body.from);
    const toMs = Date.parse(body.to);
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs))
      throw new AppError('validation_failed', 'from and to must be ISO-8601 instants');
    if (toMs <= fromMs)
      throw new AppError('validation_failed', 'the end of the range must be after its start');
    if (toMs - fromMs > MAX_EXPORT_MS)
      throw new AppError(
        'validation_failed',
        `a request may cover at most ${MAX_EXPORT_MS / 3600_000} hours`,
      );
    if (fromMs > this.now().getTime())
      throw new AppError('validation_failed', 'the range starts in the future');
    const reference = body.reference.trim();
    if (!reference) throw new AppError('validation_failed', "the citizen's request reference is required");
    if (!DATE.test(body.receivedOn) || Number.isNaN(Date.parse(body.receivedOn)))
      throw new AppError('validation_failed', 'receivedOn must be a date YYYY-MM-DD');
    const regions = validateRects(body.regions ?? [], 'region');
    const now = this.now().toISOString();
    const id = newId();
    const row: Row = {
      id,
      institution_id: camera.facts.institutionId,
      camera_id: body.cameraId,
      visit_id: body.visitId ?? null,
      reference,
      received_on: body.receivedOn,
      note: body.note?.trim() || null,
      from_at: iso(fromMs),
      to_at: iso(toMs),
      regions: JSON.stringify(regions),
      region_style: body.regionStyle ?? 'blur',
      keep_audio: body.keepAudio ? 1 : 0,
      status: 'pending',
      requested_by: caller.person.id,
      requested_at: now,
      decided_by: null,
      decided_at: null,
      decision_note: null,
      produced_by: null,
      produced_at: null,
      production_error: null,
      export_id: null,
      manifest_sha256: null,
      handed_over_by: null,
      handed_over_at: null,
      handed_to: null,
      handover_note: null,
      updated_at: now,
    };
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('citizen_requests').values(row).execute();
      await appendAudit(
        trx,
        this.actor(audit, grant),
        {
          action: 'citizen_request.create',
          targetKind: 'camera',
          targetId: body.cameraId,
          institutionId: camera.facts.institutionId,
          decision: 'allow',
          reason: grant.role,
          details: {
            requestId: id,
            reference,
            receivedOn: body.receivedOn,
            from: row.from_at,
            to: row.to_at,
            visitId: row.visit_id,
            regions,
            regionStyle: row.region_style,
            keepAudio: body.keepAudio,
          },
        },
        this.now(),
      );
    });
    return this.get(caller, id);
  }

  private async row(caller: AuthenticatedSession, id: string, action: 'read' | 'update') {
    const row = await this.deps.db
      .selectFrom('citizen_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    const camera = row && (await this.facts.camera(row.camera_id));
    const place = camera ? placeOfCamera(camera.facts) : undefined;
    const grant = authorize(principalOf(caller), 'citizen_request', action, row && place);
    return { row: row!, camera: camera!, grant };
  }

  async list(caller: AuthenticatedSession): Promise<CitizenRequestView[]> {
    const p = principalOf(caller);
    const rows = await this.deps.db
      .selectFrom('citizen_requests')
      .innerJoin('institutions', 'institutions.id', 'citizen_requests.institution_id')
      .innerJoin('cameras', 'cameras.id', 'citizen_requests.camera_id')
      .select(['citizen_requests.id', 'institutions.region_id', 'institutions.kind', 'cameras.room_id'])
      .select('citizen_requests.institution_id')
      .where((eb) =>
        eb.or([
          eb('citizen_requests.institution_id', 'in', scopeIds(p, 'institution')),
          eb('institutions.region_id', 'in', scopeIds(p, 'region')),
        ]),
      )
      .orderBy('citizen_requests.requested_at', 'desc')
      .limit(500)
      .execute();
    const out: CitizenRequestView[] = [];
    for (const r of rows) {
      const place = {
        regionId: r.region_id,
        institution: { id: r.institution_id, kind: r.kind },
        roomIds: [r.room_id],
      };
      if (allows(p, 'citizen_request', 'read', place)) out.push(await this.get(caller, r.id));
    }
    return out;
  }

  /** The visit a request was made from, as the request page shows it (null: it is gone). */
  private async visitOf(visitId: string): Promise<RequestVisit | null> {
    const v = await this.deps.db
      .selectFrom('visits')
      .innerJoin('rooms', 'rooms.id', 'visits.room_id')
      .leftJoin('persons', 'persons.id', 'visits.employee_person_id')
      .select([
        'visits.id',
        'rooms.name as room_name',
        'persons.display_name',
        'visits.started_at',
        'visits.ended_at',
        'visits.case_ref',
        'visits.status',
      ])
      .where('visits.id', '=', visitId)
      .executeTakeFirst();
    return v
      ? {
          id: v.id,
          roomName: v.room_name,
          employee: v.display_name ?? null,
          startedAt: v.started_at,
          endedAt: v.ended_at,
          caseRef: v.case_ref,
          status: v.status,
        }
      : null;
  }

  async get(caller: AuthenticatedSession, id: string): Promise<CitizenRequestView> {
    const { row, camera } = await this.row(caller, id, 'read');
    const p = principalOf(caller);
    const place = placeOfCamera(camera.facts);
    const ids = [row.requested_by, row.decided_by, row.produced_by, row.handed_over_by].filter(
      (x): x is string => x !== null,
    );
    const people = new Map(
      (
        await this.deps.db
          .selectFrom('persons')
          .select(['id', 'display_name'])
          .where('id', 'in', ids)
          .execute()
      ).map((x) => [x.id, x.display_name]),
    );
    const ref = (pid: string): PersonRef => ({ id: pid, name: people.get(pid) ?? pid });
    const ex = row.export_id
      ? await this.deps.db
          .selectFrom('recording_exports')
          .selectAll()
          .where('id', '=', row.export_id)
          .executeTakeFirst()
      : undefined;
    const visit = row.visit_id ? await this.visitOf(row.visit_id) : null;
    const update = allows(p, 'citizen_request', 'update', place);
    const job = this.jobs.get(id);
    // A production interrupted by a restart of its process: shown as failed, it may be produced again.
    const stale = row.status === 'producing' && !(await this.productionAlive(id));
    return {
      id: row.id,
      status: stale ? 'failed' : row.status,
      institution: {
        id: camera.facts.institutionId,
        name: camera.institutionName,
        timeZone: camera.facts.timeZone,
      },
      camera: { id: row.camera_id, name: camera.name, roomName: camera.roomName },
      visitId: row.visit_id,
      visit,
      reference: row.reference,
      receivedOn: row.received_on,
      note: row.note,
      from: row.from_at,
      to: row.to_at,
      regions: JSON.parse(row.regions) as NormRect[],
      regionStyle: row.region_style,
      keepAudio: row.keep_audio === 1,
      requested: { by: ref(row.requested_by), at: row.requested_at },
      decided: row.decided_by
        ? { by: ref(row.decided_by), at: row.decided_at!, note: row.decision_note }
        : null,
      produced: row.produced_by && row.produced_at ? { by: ref(row.produced_by), at: row.produced_at } : null,
      handedOver: row.handed_over_by
        ? {
            by: ref(row.handed_over_by),
            at: row.handed_over_at!,
            to: row.handed_to!,
            note: row.handover_note,
          }
        : null,
      production: job ? { progress: Math.round(job.progress * 100) / 100 } : null,
      productionError: stale ? 'производство прервано перезапуском сервера' : row.production_error,
      package: ex
        ? { exportId: ex.id, bytes: Number(ex.bytes), sha256: ex.sha256, fileDeletedAt: ex.file_deleted_at }
        : null,
      may: {
        approve: update && row.status === 'pending' && row.requested_by !== caller.person.id,
        produce: update && (row.status === 'approved' || row.status === 'failed' || stale),
        handOver: update && row.status === 'produced',
        download: (row.status === 'produced' || row.status === 'handed_over') && !!ex && !ex.file_deleted_at,
      },
    };
  }

  /** Approve or reject: a second person (never the requester), with `citizen_request: update`. */
  async decide(
    caller: AuthenticatedSession,
    id: string,
    body: { approve: boolean; note?: string | undefined },
    audit: AuditContext,
  ) {
    const { row, camera, grant } = await this.row(caller, id, 'update');
    if (row.requested_by === caller.person.id)
      throw new AppError(
        'forbidden',
        'a request is approved by a second person: the one who created it may not approve it',
        { reason: 'four_eyes' },
      );
    const note = body.note?.trim() || null;
    if (!body.approve && !note) throw new AppError('validation_failed', 'say why the request is rejected');
    const now = this.now().toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('citizen_requests')
        .set({
          status: body.approve ? 'approved' : 'rejected',
          decided_by: caller.person.id,
          decided_at: now,
          decision_note: note,
          updated_at: now,
        })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1)
        throw new AppError('conflict', `the request is ${row.status}, not pending`);
      await appendAudit(
        trx,
        this.actor(audit, grant),
        {
          action: body.approve ? 'citizen_request.approve' : 'citizen_request.reject',
          targetKind: 'camera',
          targetId: row.camera_id,
          institutionId: camera.facts.institutionId,
          decision: 'allow',
          reason: grant.role,
          details: { requestId: id, reference: row.reference, note },
        },
        this.now(),
      );
    });
    return this.get(caller, id);
  }

  /** Starts producing the package (answers at once; the screen follows `production.progress`). */
  async produce(caller: AuthenticatedSession, id: string, audit: AuditContext) {
    const { row, camera, grant } = await this.row(caller, id, 'update');
    const stale = row.status === 'producing' && !(await this.productionAlive(id));
    if (!(row.status === 'approved' || row.status === 'failed' || stale))
      throw new AppError(
        'conflict',
        row.status === 'pending' ? 'the request is not approved yet' : `the request is ${row.status}`,
      );
    const fromMs = Date.parse(row.from_at);
    const toMs = Date.parse(row.to_at);
    const segments = await this.deps.recording.segmentsOverlapping(row.camera_id, fromMs, toMs);
    const pieces = planPieces(segments, fromMs, toMs);
    if (pieces.length === 0) throw new AppError('not_found', 'nothing was recorded in this range');
    const lease = productionLease(id);
    if (!(await tryAcquireLease(this.deps.db, lease, this.holder, this.now(), PRODUCTION_LEASE_MS)))
      throw new AppError('conflict', 'another server is producing this request');
    const now = this.now().toISOString();
    const r = await this.deps.db
      .updateTable('citizen_requests')
      .set({ status: 'producing', production_error: null, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', row.status)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) {
      await releaseLease(this.deps.db, lease, this.holder);
      throw new AppError('conflict', 'the request changed meanwhile; reload it');
    }
    const job = { progress: 0, done: Promise.resolve() };
    this.jobs.set(id, job);
    const renew = setInterval(() => {
      void tryAcquireLease(this.deps.db, lease, this.holder, this.now(), PRODUCTION_LEASE_MS).catch(
        () => undefined,
      );
    }, PRODUCTION_LEASE_MS / 3);
    renew.unref();
    const run = async () => {
      try {
        await this.runProduction(caller, row, camera, grant, audit, job);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        await this.deps.db
          .updateTable('citizen_requests')
          .set({
            status: 'failed',
            production_error: message.slice(0, 1000),
            updated_at: this.now().toISOString(),
          })
          .where('id', '=', id)
          .execute()
          .catch(() => undefined);
        await recordAudit(
          this.deps.db,
          this.actor(audit, grant),
          {
            action: 'citizen_request.produce',
            targetKind: 'camera',
            targetId: row.camera_id,
            institutionId: camera.facts.institutionId,
            decision: 'deny',
            reason: 'production_failed',
            details: { requestId: id, error: message.slice(0, 500) },
          },
          this.now(),
        ).catch(() => undefined);
      } finally {
        clearInterval(renew);
        this.jobs.delete(id);
        await releaseLease(this.deps.db, lease, this.holder).catch(() => undefined);
      }
    };
    job.done = this.queue = this.queue.then(run, run);
    return this.get(caller, id);
  }

  private async runProduction(
    caller: AuthenticatedSession,
    row: Row,
    camera: CameraRow,
    grant: Grant,
    audit: AuditContext,
    job: { progress: number },
  ): Promise<void> {
    const fromMs = Date.parse(row.from_at);
    const toMs = Date.parse(row.to_at);
    const rec = this.deps.recording;
    const pieces = planPieces(await rec.segmentsOverlapping(row.camera_id, fromMs, toMs), fromMs, toMs);
    const clip = await buildClip(rec.root, pieces);
    const gaps = await rec.repo.gapsOverlapping(row.camera_id, clip.startMs, clip.endMs);
    const masks = (await this.maskState(row.camera_id)).masks.map(({ x, y, w, h }) => ({ x, y, w, h }));
    const regions = JSON.parse(row.regions) as NormRect[];
    const exportId = newId();
    const key = this.key();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(this.exportsDir, { recursive: true });
    const tmpVideo = path.join(this.exportsDir, `${exportId}.masked.mp4`);
    try {
      const done = await reencodeMasked({
        ffmpegPath: this.deps.config.ffmpegPath,
        clip,
        out: tmpVideo,
        masks,
        regions,
        regionStyle: row.region_style,
        keepAudio: row.keep_audio === 1,
        onProgress: (f) => {
          job.progress = f * 0.95;
        },
      });
      const people = new Map(
        (
          await this.deps.db
            .selectFrom('persons')
            .select(['id', 'display_name'])
            .where('id', 'in', [row.requested_by, row.decided_by ?? row.requested_by])
            .execute()
        ).map((x) => [x.id, x.display_name]),
      );
      const roles = await this.rolesAt(row);
      const nowMs = this.now().getTime();
      const step = (pid: string, at: string, role: string, note?: string | null): CustodyStep => ({
        personId: pid,
        displayName: people.get(pid) ?? pid,
        role,
        at,
        ...(note ? { note } : {}),
      });
      const reason = `Запрос гражданина № ${row.reference} от ${row.received_on}: копия записи своего приёма (персональные данные)`;
      const written = await writeExportPackage({
        dir: this.exportsDir,
        exportId,
        clip,
        pieces,
        gaps,
        meta: {
          site: this.deps.config.publicUrl,
          camera: { id: row.camera_id, name: camera.name },
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
            role: grant.role,
          },
          reason,
        },
        requested: { fromMs, toMs },
        createdAtMs: nowMs,
        key,
        reencoded: {
          path: tmpVideo,
          container:
            "MP4 (ISO BMFF), re-encoded (H.264) with privacy masks filled and the request's regions hidden",
          masking: done.masking,
          source: done.source,
          custody: {
            request: {
              id: row.id,
              reference: row.reference,
              receivedOn: row.received_on,
              visitId: row.visit_id,
            },
            requested: step(row.requested_by, row.requested_at, roles.requested),
            approved: step(row.decided_by!, row.decided_at!, roles.decided, row.decision_note),
            produced: {
              personId: caller.person.id,
              displayName: caller.person.displayName,
              role: grant.role,
              at: iso(nowMs),
            },
            handOver: 'recorded after production: handover.json, signed by the same key (handover.sig)',
          },
        },
      });
      const check = await verifyExportPackage(path.join(this.exportsDir, written.file), key.publicKey);
      if (!check.ok) throw new Error(`the package did not verify: ${check.problems.join('; ')}`);
      const manifestSha = (await import('node:crypto'))
        .createHash('sha256')
        .update(JSON.stringify(written.manifest, null, 2) + '\n')
        .digest('hex');
      const at = iso(nowMs);
      await this.deps.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('recording_exports')
          .values({
            id: exportId,
            camera_id: row.camera_id,
            person_id: caller.person.id,
            from_at: row.from_at,
            to_at: row.to_at,
            reason,
            file: written.file,
            bytes: written.bytes,
            sha256: written.sha256,
            mp4_sha256: written.manifest.video.sha256,
            key_id: key.keyId,
            created_at: at,
            file_deleted_at: null,
          })
          .execute();
        const u = await trx
          .updateTable('citizen_requests')
          .set({
            status: 'produced',
            produced_by: caller.person.id,
            produced_at: at,
            export_id: exportId,
            manifest_sha256: manifestSha,
            production_error: null,
            updated_at: at,
          })
          .where('id', '=', row.id)
          .where('status', '=', 'producing')
          .executeTakeFirst();
        if (Number(u.numUpdatedRows) !== 1) throw new Error('the request changed while it was produced');
        await appendAudit(
          trx,
          this.actor(audit, grant),
          {
            action: 'citizen_request.produce',
            targetKind: 'camera',
            targetId: row.camera_id,
            institutionId: camera.facts.institutionId,
            decision: 'allow',
            reason: grant.role,
            details: {
              requestId: row.id,
              exportId,
              from: row.from_at,
              to: row.to_at,
              statedReason: reason,
              sha256: written.sha256,
              mp4Sha256: written.manifest.video.sha256,
              sourceSha256: done.source.sha256,
              masks: masks.length,
              regions: regions.length,
              audio: done.masking.audio,
            },
          },
          new Date(nowMs),
        );
      });
      job.progress = 1;
    } finally {
      await rm(tmpVideo, { force: true });
    }
  }

  /** The roles under which the requester and the approver acted (from the audit entries). */
  private async rolesAt(row: Row): Promise<{ requested: string; decided: string }> {
    const entries = await this.deps.db
      .selectFrom('audit_log')
      .select(['action', 'actor_role', 'details'])
      .where('target_kind', '=', 'camera')
      .where('target_id', '=', row.camera_id)
      .where('action', 'in', ['citizen_request.create', 'citizen_request.approve'])
      .execute();
    const of = (action: string) =>
      entries.find((e) => e.action === action && (e.details ?? '').includes(row.id))?.actor_role ?? 'unknown';
    return { requested: of('citizen_request.create'), decided: of('citizen_request.approve') };
  }

  /** The package for download (audited: who took a copy, when). */
  async packageFile(caller: AuthenticatedSession, id: string, audit: AuditContext) {
    const { row, camera, grant } = await this.row(caller, id, 'update');
    if (!(row.status === 'produced' || row.status === 'handed_over') || !row.export_id)
      throw new AppError('conflict', 'the package is not produced yet');
    const ex = await this.deps.db
      .selectFrom('recording_exports')
      .selectAll()
      .where('id', '=', row.export_id)
      .executeTakeFirstOrThrow();
    if (ex.file_deleted_at)
      throw new AppError(
        'gone',
        `the package was deleted on ${ex.file_deleted_at} (kept ${this.deps.config.recording.exportKeepDays} days); produce it again`,
        { deletedAt: ex.file_deleted_at },
      );
    const file = path.join(this.exportsDir, ex.file);
    const bytes = (await stat(file)).size;
    await recordAudit(
      this.deps.db,
      this.actor(audit, grant),
      {
        action: 'citizen_request.download',
        targetKind: 'camera',
        targetId: row.camera_id,
        institutionId: camera.facts.institutionId,
        decision: 'allow',
        reason: grant.role,
        details: { requestId: id, exportId: ex.id, bytes, handedOver: row.status === 'handed_over' },
      },
      this.now(),
    );
    return { path: file, bytes, name: `okno-zapros-${row.reference.replace(/[^\p{L}\p{N}-]+/gu, '_')}.tar` };
  }

  /** Records the hand-over: a signed receipt is added to the package, the request is closed. */
  async handOver(
    caller: AuthenticatedSession,
    id: string,
    body: { handedTo: string; note?: string | undefined },
    audit: AuditContext,
  ) {
    const { row, camera, grant } = await this.row(caller, id, 'update');
    if (row.status !== 'produced' || !row.export_id)
      throw new AppError(
        'conflict',
        row.status === 'handed_over'
          ? 'the hand-over is already recorded'
          : 'the package is not produced yet',
      );
    const handedTo = body.handedTo.trim();
    if (!handedTo) throw new AppError('validation_failed', 'say to whom the copy was handed over');
    const ex = await this.deps.db
      .selectFrom('recording_exports')
      .selectAll()
      .where('id', '=', row.export_id)
      .executeTakeFirstOrThrow();
    if (ex.file_deleted_at) throw new AppError('gone', 'the package was deleted; produce it again');
    const at = this.now();
    const note = body.note?.trim() || null;
    // Claim the request first, so two hand-overs cannot both write a receipt.
    const claim = await this.deps.db
      .updateTable('citizen_requests')
      .set({
        status: 'handed_over',
        handed_over_by: caller.person.id,
        handed_over_at: at.toISOString(),
        handed_to: handedTo,
        handover_note: note,
        updated_at: at.toISOString(),
      })
      .where('id', '=', id)
      .where('status', '=', 'produced')
      .executeTakeFirst();
    if (Number(claim.numUpdatedRows) !== 1)
      throw new AppError('conflict', 'the request changed meanwhile; reload it');
    try {
      const appended = await appendHandoverReceipt(
        path.join(this.exportsDir, ex.file),
        {
          exportId: ex.id,
          requestId: id,
          handedOverBy: {
            personId: caller.person.id,
            displayName: caller.person.displayName,
            role: grant.role,
            at: at.toISOString(),
            ...(note ? { note } : {}),
          },
          handedTo,
        },
        this.key(),
        at.getTime(),
      );
      await this.deps.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('recording_exports')
          .set({ bytes: appended.bytes, sha256: appended.sha256 })
          .where('id', '=', ex.id)
          .execute();
        await appendAudit(
          trx,
          this.actor(audit, grant),
          {
            action: 'citizen_request.handover',
            targetKind: 'camera',
            targetId: row.camera_id,
            institutionId: camera.facts.institutionId,
            decision: 'allow',
            reason: grant.role,
            details: { requestId: id, exportId: ex.id, handedTo, note, sha256: appended.sha256 },
          },
          at,
        );
      });
    } catch (e) {
      await this.deps.db
        .updateTable('citizen_requests')
        .set({
          status: 'produced',
          handed_over_by: null,
          handed_over_at: null,
          handed_to: null,
          handover_note: null,
        })
        .where('id', '=', id)
        .execute();
      throw e;
    }
    return this.get(caller, id);
  }
}

/** The scope ids of the caller's bindings of one kind (never empty: `in ()` is not SQL). */
function scopeIds(p: Principal, kind: 'region' | 'institution' | 'room'): string[] {
  const ids = p.bindings.filter((b) => b.scopeKind === kind).map((b) => b.scopeId);
  return ids.length ? ids : ['-'];
}
