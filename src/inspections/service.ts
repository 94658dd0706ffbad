/**
 * Home inspections' operations (docs/design/inspections.md). Each one: load the facts → authorize
 * (src/inspections/access.ts) → act and audit in one transaction → present. Files follow the
 * file-before-row rule of photo-store.ts.
 */
import type { Kysely } from 'kysely';
import { appendAudit, recordAudit, type AuditContext } from '../audit/audit-log.js';
import { raiseAlert } from '../alerts/raise.js';
import type { Config } from '../config/config.js';
import type { Principal } from '../domain/scope.js';
import { isStatedReasonSufficient } from '../policy/access.js';
import { toLocalTime } from '../policy/local-time.js';
import { loadOrCreateExportKey, type ExportSigningKey } from '../recording/export-key.js';
import type { Clock } from '../shared/clock.js';
import { AppError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { constraintViolation } from '../storage/repositories/constraints.js';
import {
  InspectionsRepository,
  placeOfInspection,
  type InspectionWithCase,
  type PhotoRow,
  type UploadRow,
} from '../storage/repositories/inspections.js';
import type { Database, InspectionOutcome, PhotoCategory } from '../storage/schema.js';
import { authorizeInspection } from './access.js';
import { ImageRejected, processImage } from './image.js';
import { signPhotoLink, verifyPhotoLink } from './links.js';
import {
  MANIFEST_FORMAT,
  manifestSha256,
  signManifest,
  verifyVersion,
  type InspectionManifest,
  type VersionCheck,
} from './manifest.js';
import { PhotoStore, type Variant } from './photo-store.js';

export interface InspectionDeps {
  db: Kysely<Database>;
  clock: Clock;
  config: Pick<Config, 'dataDir' | 'inspections'>;
}

export interface InspectionCaller {
  principal: Principal;
  displayName: string;
  audit(role: string): AuditContext;
}

export interface Position {
  latitude: number;
  longitude: number;
  accuracyM: number | null;
}

export interface UploadStart {
  sha256: string;
  bytes: number;
  category: PhotoCategory;
  live: boolean;
  deviceTakenAt: string;
  /** the phone's clock when it sent this request: the server's clock minus this is the skew */
  deviceNow: string;
  position?: Position | null;
}

export type UploadState =
  | { state: 'partial'; received: number; bytes: number }
  | {
      state: 'stored';
      received: number;
      bytes: number;
      photoId: string;
      duplicate: boolean;
      clockSkewFlagged: boolean;
    };

export type Answer = 'yes' | 'no' | 'na';
export interface FinishBody {
  answers: Record<string, Answer>;
  notes: string;
  outcome: InspectionOutcome;
  doneAt: string;
  deviceNow: string;
  /** the sha256 of every photo the phone holds for this inspection */
  photos: string[];
}

export interface CorrectionBody {
  reason: string;
  outcome?: InspectionOutcome;
  notes?: string;
  answers?: Record<string, Answer>;
}

interface ChecklistItem {
  id: string;
  text: string;
}

const ms = (iso: string) => Date.parse(iso);

export class InspectionService {
  readonly store: PhotoStore;
  private keyCache: ExportSigningKey | undefined;
  private readonly finalizing = new Map<string, Promise<UploadState>>();

  constructor(private readonly deps: InspectionDeps) {
    this.store = new PhotoStore(deps.config.dataDir);
  }

  key(): ExportSigningKey {
    return (this.keyCache ??= loadOrCreateExportKey(this.deps.config.dataDir));
  }

  private repo(db: Kysely<Database> = this.deps.db) {
    return new InspectionsRepository(db);
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  private async load(id: string): Promise<InspectionWithCase> {
    const ins = await this.repo().inspection(id);
    if (!ins) throw notFound('inspection');
    return ins;
  }

  private facts(ins: InspectionWithCase) {
    return { place: placeOfInspection(ins), specialistPersonId: ins.case_specialist_id };
  }

  /** The specialist's own: overdue, today's, the next two weeks, and sealed in the last week. */
  async mine(caller: InspectionCaller) {
    if (!caller.principal.bindings.some((b) => b.role === 'specialist'))
      throw new AppError('forbidden', 'this list is for guardianship specialists');
    const now = this.now();
    const until = new Date(now.getTime() + 15 * 86400_000).toISOString().slice(0, 10);
    const since = new Date(now.getTime() - 7 * 86400_000).toISOString();
    const rows = (await this.repo().forSpecialist(caller.principal.personId, until, since)).filter((r) =>
      caller.principal.bindings.some(
        (b) => b.role === 'specialist' && b.scopeKind === 'institution' && b.scopeId === r.institution_id,
      ),
    );
    const counts = await this.repo().photoCounts(rows.map((r) => r.id));
    return rows.map((r) => this.summary(r, now, counts.get(r.id) ?? 0));
  }

  /** The office head's plan against what was done, overdue first. */
  async plan(caller: InspectionCaller, from: string, to: string) {
    const heads = caller.principal.bindings.filter(
      (b) => b.role === 'office_head' && b.scopeKind === 'institution',
    );
    if (heads.length === 0) throw new AppError('forbidden', 'the plan is for office heads');
    const rows = await this.repo().forOffices(
      heads.map((b) => b.scopeId),
      [],
      from,
      to,
    );
    const now = this.now();
    const counts = await this.repo().photoCounts(rows.map((r) => r.id));
    const items = rows.map((r) => this.summary(r, now, counts.get(r.id) ?? 0));
    const rank = (s: (typeof items)[number]) => (s.overdue ? 0 : 1);
    items.sort((a, b) => rank(a) - rank(b) || a.plannedOn.localeCompare(b.plannedOn));
    return {
      from,
      to,
      totals: {
        planned: items.length,
        done: items.filter((i) => i.status === 'sealed').length,
        overdue: items.filter((i) => i.overdue).length,
      },
      items,
    };
  }

  private summary(r: InspectionWithCase, now: Date, photoCount: number) {
    const today = toLocalTime(now.getTime(), r.time_zone).date;
    return {
      id: r.id,
      status: r.status,
      plannedOn: r.planned_on,
      doneAt: r.done_at,
      overdue: r.status !== 'sealed' && r.planned_on < today,
      dueToday: r.status !== 'sealed' && r.planned_on === today,
      case: { id: r.case_id, number: r.case_number, ward: r.ward_name, address: r.case_address },
      office: { id: r.institution_id, name: r.institution_name, timeZone: r.time_zone },
      specialist: { id: r.case_specialist_id, name: r.specialist_name },
      outcome: r.outcome,
      photoCount,
      version: r.version,
    };
  }

  /** One inspection with its photos (as signed links), versions and verification state; audited. */
  async detail(caller: InspectionCaller, id: string, statedReason?: string) {
    const ins = await this.load(id);
    const grant = authorizeInspection(caller.principal, 'inspection', 'read', this.facts(ins), statedReason);
    const repo = this.repo();
    const [photos, versions, checklist, guardians] = await Promise.all([
      repo.photos(id),
      repo.versions(id),
      ins.checklist_id ? repo.checklist(ins.checklist_id) : repo.currentChecklist(ins.institution_id),
      repo.guardians(ins.case_id),
    ]);
    const now = this.now();
    await recordAudit(
      this.deps.db,
      caller.audit(grant.role),
      {
        action: 'inspection.view',
        targetKind: 'inspection',
        targetId: id,
        institutionId: ins.institution_id,
        decision: 'allow',
        reason: grant.role === 'inspector' ? (statedReason ?? null) : grant.role,
      },
      now,
    );
    const verification = await this.verify(id);
    const exp = now.getTime() + this.deps.config.inspections.linkSeconds * 1000;
    const link = (p: PhotoRow, v: Variant) =>
      p.purged_at
        ? null
        : `/media/inspections/photo?token=${signPhotoLink({ p: p.id, v, s: caller.principal.personId, i: id, r: grant.role, e: exp }, this.key().privateKey)}`;
    return {
      id: ins.id,
      status: ins.status,
      version: ins.version,
      plannedOn: ins.planned_on,
      startedAt: ins.started_at,
      doneAt: ins.done_at,
      address: ins.address ?? ins.case_address,
      position: ins.position ? (JSON.parse(ins.position) as Position) : null,
      outcome: ins.outcome,
      notes: ins.notes,
      answers: JSON.parse(ins.answers) as Record<string, Answer>,
      checklist: checklist
        ? {
            id: checklist.id,
            version: checklist.version,
            items: JSON.parse(checklist.items) as ChecklistItem[],
          }
        : null,
      case: {
        id: ins.case_id,
        number: ins.case_number,
        ward: ins.ward_name,
        address: ins.case_address,
        guardians: guardians.map((g) => ({ name: g.full_name, relation: g.relation })),
      },
      office: { id: ins.institution_id, name: ins.institution_name, timeZone: ins.time_zone },
      specialist: { id: ins.case_specialist_id, name: ins.specialist_name },
      viewerRole: grant.role,
      photos: photos.map((p) => ({
        id: p.id,
        sha256: p.sha256,
        bytes: p.bytes,
        mime: p.mime,
        width: p.width,
        height: p.height,
        category: p.category,
        live: p.live === 1,
        deviceTakenAt: p.device_taken_at,
        serverReceivedAt: p.server_received_at,
        clockSkewMs: p.skew_ms,
        clockSkewFlagged: p.skew_flagged === 1,
        position:
          p.latitude !== null && p.longitude !== null
            ? { latitude: p.latitude, longitude: p.longitude, accuracyM: p.accuracy_m }
            : null,
        exif: JSON.parse(p.exif) as Record<string, unknown>,
        purged: p.purged_at !== null,
        thumbUrl: link(p, 'thumb'),
        screenUrl: link(p, 'screen'),
        originalUrl: link(p, 'original'),
      })),
      versions: versions.map((v) => {
        const m = JSON.parse(v.manifest) as InspectionManifest;
        return {
          version: v.version,
          sealedAt: v.sealed_at,
          sealedBy: m.sealedBy.displayName,
          reason: v.reason,
          keyId: v.key_id,
          manifestSha256: manifestSha256(v.manifest),
          outcome: m.outcome,
          notes: m.notes,
          answers: m.checklist.answers,
        };
      }),
      verification,
    };
  }

  /** Verifies every sealed version of an inspection against the stored originals. */
  async verify(id: string): Promise<{ state: 'not_sealed' | 'intact' | 'altered'; checks: VersionCheck[] }> {
    const versions = await this.repo().versions(id);
    if (versions.length === 0) return { state: 'not_sealed', checks: [] };
    const photos = await this.repo().photos(id);
    const purged = new Set(photos.filter((p) => p.purged_at).map((p) => p.sha256));
    const checks: VersionCheck[] = [];
    for (const v of versions)
      checks.push(await verifyVersion(v, this.key().publicKey, (h) => this.hashOriginal(h), purged));
    return { state: checks.every((c) => c.ok) ? 'intact' : 'altered', checks };
  }

  async hashOriginal(sha256: string): Promise<{ sha256: string; bytes: number } | null> {
    try {
      return await this.store.hashFile(this.store.originalPath(sha256));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  private requireSpecialist(
    caller: InspectionCaller,
    ins: InspectionWithCase,
    object: 'inspection' | 'inspection_photo',
    action: 'update' | 'create',
  ) {
    const grant = authorizeInspection(caller.principal, object, action, this.facts(ins));
    if (grant.role !== 'specialist') {
      const own = caller.principal.personId === ins.case_specialist_id;
      if (!own) throw new AppError('forbidden', "only the case's specialist carries out its inspections");
    }
    return grant;
  }

  /** «Начать проверку»: the specialist is at the address. Repeating it changes nothing. */
  async start(caller: InspectionCaller, id: string, body: { startedAt: string; position?: Position | null }) {
    const ins = await this.load(id);
    const grant = this.requireSpecialist(caller, ins, 'inspection', 'update');
    if (ins.status !== 'planned') return { id, status: ins.status, startedAt: ins.started_at };
    const now = this.now();
    this.checkClock(body.startedAt, now, 'startedAt');
    const checklist = await this.repo().currentChecklist(ins.institution_id);
    await this.deps.db.transaction().execute(async (trx) => {
      await this.repo(trx).markStarted(id, {
        specialistId: caller.principal.personId,
        address: ins.case_address,
        startedAt: body.startedAt,
        position: body.position ? JSON.stringify(body.position) : null,
        checklistId: checklist?.id ?? null,
        now: now.toISOString(),
      });
      await appendAudit(
        trx,
        caller.audit(grant.role),
        {
          action: 'inspection.start',
          targetKind: 'inspection',
          targetId: id,
          institutionId: ins.institution_id,
          details: { startedAt: body.startedAt, position: body.position ?? null },
        },
        now,
      );
    });
    return { id, status: 'in_progress' as const, startedAt: body.startedAt };
  }

  /** A device time that cannot be right at all (not merely skewed): refused with a clear answer. */
  private checkClock(deviceIso: string, now: Date, field: string): number {
    const skewMs = now.getTime() - ms(deviceIso);
    if (!Number.isFinite(skewMs)) throw new AppError('bad_request', `${field}: not a time`);
    const limitMs = this.deps.config.inspections.skewRefuseHours * 3600_000;
    if (Math.abs(skewMs) > limitMs)
      throw new AppError(
        'bad_request',
        `the phone's clock is ${Math.round(Math.abs(skewMs) / 3600_000)} h ${skewMs > 0 ? 'behind' : 'ahead of'} the server: set the phone's date and time, then send again`,
        { reason: 'clock_off', skewMs },
      );
    return skewMs;
  }

  private refuseIfSealed(ins: InspectionWithCase) {
    if (ins.status === 'sealed')
      throw new AppError(
        'conflict',
        'the inspection is sealed: photos can no longer be added (a correction cannot add photos)',
        {
          reason: 'sealed',
        },
      );
  }

  /** Announces a photo upload (idempotent by content hash); says how many bytes the server already has. */
  async beginUpload(caller: InspectionCaller, id: string, body: UploadStart): Promise<UploadState> {
    const ins = await this.load(id);
    this.requireSpecialist(caller, ins, 'inspection_photo', 'create');
    const repo = this.repo();
    const existing = await repo.photoByHash(id, body.sha256);
    if (existing) return this.stored(existing, true);
    this.refuseIfSealed(ins);
    if (body.bytes > this.deps.config.inspections.maxPhotoBytes)
      throw new AppError(
        'payload_too_large',
        `the photo is ${(body.bytes / 1048576).toFixed(1)} MB; at most ${(this.deps.config.inspections.maxPhotoBytes / 1048576).toFixed(0)} MB are accepted`,
      );
    const now = this.now();
    this.checkClock(body.deviceNow, now, 'deviceNow');
    const up = await repo.upload(id, body.sha256);
    if (up) {
      if (up.bytes !== body.bytes)
        throw new AppError('conflict', 'an upload of this photo with another size is already under way');
      return { state: 'partial', received: up.received, bytes: up.bytes };
    }
    try {
      await repo.insertUpload({
        id: newId(),
        inspection_id: id,
        sha256: body.sha256,
        bytes: body.bytes,
        received: 0,
        meta: JSON.stringify({ ...body, serverFirstSeenAt: now.toISOString() }),
        created_by: caller.principal.personId,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
    } catch (e) {
      if (constraintViolation(e)?.kind !== 'unique') throw e;
    }
    await this.store.removePart(id, body.sha256);
    return { state: 'partial', received: 0, bytes: body.bytes };
  }

  async uploadStatus(caller: InspectionCaller, id: string, sha256: string): Promise<UploadState> {
    const ins = await this.load(id);
    this.requireSpecialist(caller, ins, 'inspection_photo', 'create');
    const existing = await this.repo().photoByHash(id, sha256);
    if (existing) return this.stored(existing, true);
    const up = await this.repo().upload(id, sha256);
    if (!up) throw new AppError('not_found', 'no upload of this photo: announce it first');
    return { state: 'partial', received: up.received, bytes: up.bytes };
  }

  /** Bytes `offset … offset+chunk` of an announced photo; the last chunk stores the photo. */
  async putChunk(
    caller: InspectionCaller,
    id: string,
    sha256: string,
    offset: number,
    chunk: Buffer,
    deviceNow?: string,
  ): Promise<UploadState> {
    const ins = await this.load(id);
    const grant = this.requireSpecialist(caller, ins, 'inspection_photo', 'create');
    const repo = this.repo();
    const existing = await repo.photoByHash(id, sha256);
    if (existing) return this.stored(existing, true);
    this.refuseIfSealed(ins);
    const up = await repo.upload(id, sha256);
    if (!up) throw new AppError('not_found', 'no upload of this photo: announce it first');
    if (offset !== up.received)
      throw new AppError(
        'conflict',
        `the server has ${up.received} bytes of this photo: continue from there`,
        {
          reason: 'offset_mismatch',
          received: up.received,
        },
      );
    if (offset + chunk.length > up.bytes)
      throw new AppError('bad_request', `more bytes than announced (${up.bytes})`);
    if (chunk.length === 0 && up.received < up.bytes) throw new AppError('bad_request', 'an empty chunk');
    if (chunk.length > 0) {
      await this.store.writeChunk(id, sha256, offset, chunk);
      const moved = await repo.advanceUpload(up.id, offset, offset + chunk.length, this.now().toISOString());
      if (!moved) {
        const again = await repo.upload(id, sha256);
        throw new AppError('conflict', 'another request sent these bytes at the same time', {
          reason: 'offset_mismatch',
          received: again?.received ?? 0,
        });
      }
    }
    const received = offset + chunk.length;
    if (received < up.bytes) return { state: 'partial', received, bytes: up.bytes };
    const key = `${id}/${sha256}`;
    let job = this.finalizing.get(key);
    if (!job) {
      job = this.finalize(caller, grant.role, ins, { ...up, received }, deviceNow).finally(() =>
        this.finalizing.delete(key),
      );
      this.finalizing.set(key, job);
    }
    return job;
  }

  private async finalize(
    caller: InspectionCaller,
    role: string,
    ins: InspectionWithCase,
    up: UploadRow,
    deviceNow?: string,
  ): Promise<UploadState> {
    const repo = this.repo();
    const part = this.store.partPath(ins.id, up.sha256);
    const discard = async () => {
      await this.store.removePart(ins.id, up.sha256);
      await repo.deleteUpload(up.id);
    };
    const got = await this.store.hashFile(part);
    if (got.sha256 !== up.sha256 || got.bytes !== up.bytes) {
      await discard();
      throw new AppError(
        'bad_request',
        'the bytes received do not match the photo’s sha256: nothing was stored, send the photo again',
        {
          reason: 'hash_mismatch',
        },
      );
    }
    let image;
    try {
      image = await processImage(part);
    } catch (e) {
      if (!(e instanceof ImageRejected)) throw e;
      await discard();
      throw new AppError('unsupported_media_type', `${e.message}: nothing was stored`);
    }
    await this.store.putDerived(up.sha256, 'thumb', image.thumb);
    await this.store.putDerived(up.sha256, 'screen', image.screen);
    await this.store.promote(ins.id, up.sha256);

    const meta = JSON.parse(up.meta) as UploadStart;
    const now = this.now();
    // Skew: the server's clock minus the phone's, both read when the phone last spoke.
    // (from the last chunk's x-device-now, else as measured when the photo was announced), so the
    // time an upload takes is never counted as skew.
    const fromChunk = deviceNow && Number.isFinite(ms(deviceNow)) ? now.getTime() - ms(deviceNow) : null;
    const announced = meta as UploadStart & { serverFirstSeenAt?: string };
    const skewMs = fromChunk ?? ms(announced.serverFirstSeenAt ?? now.toISOString()) - ms(meta.deviceNow);
    const flagged = Math.abs(skewMs) > this.deps.config.inspections.skewFlagSeconds * 1000;
    const row: PhotoRow = {
      id: newId(),
      inspection_id: ins.id,
      sha256: up.sha256,
      bytes: up.bytes,
      mime: image.mime,
      width: image.width,
      height: image.height,
      category: meta.category,
      live: meta.live ? 1 : 0,
      device_taken_at: new Date(ms(meta.deviceTakenAt)).toISOString(),
      server_received_at: now.toISOString(),
      skew_ms: Math.round(skewMs),
      skew_flagged: flagged ? 1 : 0,
      latitude: meta.position?.latitude ?? null,
      longitude: meta.position?.longitude ?? null,
      accuracy_m: meta.position?.accuracyM ?? null,
      exif: JSON.stringify(image.exif),
      uploaded_by: caller.principal.personId,
      created_at: now.toISOString(),
      purged_at: null,
    };
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        const r = this.repo(trx);
        const fresh = await r.inspection(ins.id);
        if (fresh?.status === 'sealed')
          throw new AppError('conflict', 'the inspection was sealed meanwhile: the photo was not added', {
            reason: 'sealed',
          });
        await r.insertPhoto(row);
        await r.deleteUpload(up.id);
        await appendAudit(
          trx,
          caller.audit(role),
          {
            action: 'inspection.photo.upload',
            targetKind: 'inspection',
            targetId: ins.id,
            institutionId: ins.institution_id,
            details: {
              photoId: row.id,
              sha256: row.sha256,
              bytes: row.bytes,
              live: meta.live,
              skewMs: row.skew_ms,
              flagged,
            },
          },
          now,
        );
        if (flagged)
          await raiseAlert(trx, this.deps.clock, {
            kind: 'inspection.clock_skew',
            severity: 'warning',
            regionId: ins.region_id,
            institutionId: ins.institution_id,
            actorPersonId: caller.principal.personId,
            title: 'Время телефона расходится с сервером',
            body: `Фото к проверке по делу ${ins.case_number}: часы телефона расходятся с сервером на ${Math.round(Math.abs(skewMs) / 60000)} мин.`,
            evidence: { inspectionId: ins.id, photoId: row.id, skewMs: row.skew_ms },
            dedupeKey: `inspection.clock_skew:${ins.id}`,
          });
      });
    } catch (e) {
      if (constraintViolation(e)?.kind === 'unique') {
        const existing = await repo.photoByHash(ins.id, up.sha256);
        if (existing) return this.stored(existing, true);
      }
      if (e instanceof AppError) await discard().catch(() => undefined);
      throw e;
    }
    return this.stored(row, false);
  }

  private stored(p: PhotoRow, duplicate: boolean): UploadState {
    return {
      state: 'stored',
      received: p.bytes,
      bytes: p.bytes,
      photoId: p.id,
      duplicate,
      clockSkewFlagged: p.skew_flagged === 1,
    };
  }

  private checkAnswers(items: ChecklistItem[], answers: Record<string, Answer>) {
    const known = new Set(items.map((i) => i.id));
    const unknown = Object.keys(answers).filter((k) => !known.has(k));
    if (unknown.length)
      throw new AppError('bad_request', `answers to questions not on the checklist: ${unknown.join(', ')}`);
  }

  /** «Завершить»: seals the inspection with a signed manifest (version 1). A repeat returns the seal. */
  async finish(caller: InspectionCaller, id: string, body: FinishBody) {
    let ins = await this.load(id);
    const grant = this.requireSpecialist(caller, ins, 'inspection', 'update');
    if (ins.status === 'sealed')
      return { id, status: 'sealed' as const, version: ins.version, alreadySealed: true };
    const now = this.now();
    this.checkClock(body.deviceNow, now, 'deviceNow');
    if (ins.status === 'planned') {
      await this.start(caller, id, { startedAt: body.doneAt });
      ins = await this.load(id);
    }
    const repo = this.repo();
    const photos = await repo.photos(id);
    const have = new Set(photos.map((p) => p.sha256));
    const missing = body.photos.filter((h) => !have.has(h));
    if (missing.length)
      throw new AppError(
        'conflict',
        `${missing.length} photo(s) have not reached the server yet: upload them first`,
        {
          reason: 'photos_missing',
          missing,
        },
      );
    const checklist = ins.checklist_id
      ? await repo.checklist(ins.checklist_id)
      : await repo.currentChecklist(ins.institution_id);
    const items = checklist ? (JSON.parse(checklist.items) as ChecklistItem[]) : [];
    this.checkAnswers(items, body.answers);
    const fields = {
      outcome: body.outcome,
      notes: body.notes,
      answers: body.answers,
      doneAt: new Date(ms(body.doneAt)).toISOString(),
    };
    return this.seal(caller, grant.role, ins, photos, checklist ?? null, items, fields, 1, null, now);
  }

  /** A correction after sealing: a new signed version with a reason; earlier versions stay. */
  async correct(caller: InspectionCaller, id: string, body: CorrectionBody) {
    const ins = await this.load(id);
    const grant = authorizeInspection(caller.principal, 'inspection', 'update', this.facts(ins));
    if (ins.status !== 'sealed')
      throw new AppError('conflict', 'only a sealed inspection is corrected; before that, just finish it');
    if (!isStatedReasonSufficient(body.reason))
      throw new AppError(
        'bad_request',
        'state the reason for the correction (at least 10 letters or digits)',
      );
    const repo = this.repo();
    const photos = await repo.photos(id);
    const checklist = ins.checklist_id ? await repo.checklist(ins.checklist_id) : undefined;
    const items = checklist ? (JSON.parse(checklist.items) as ChecklistItem[]) : [];
    const answers = body.answers ?? (JSON.parse(ins.answers) as Record<string, Answer>);
    this.checkAnswers(items, answers);
    const versions = await repo.versions(id);
    const last = versions[versions.length - 1]!;
    const fields = {
      outcome: body.outcome ?? ins.outcome!,
      notes: body.notes ?? ins.notes,
      answers,
      doneAt: ins.done_at!,
    };
    return this.seal(
      caller,
      grant.role,
      ins,
      photos,
      checklist ?? null,
      items,
      fields,
      ins.version + 1,
      {
        version: last.version,
        manifestSha256: manifestSha256(last.manifest),
        reason: body.reason,
      },
      this.now(),
    );
  }

  private async seal(
    caller: InspectionCaller,
    role: string,
    ins: InspectionWithCase,
    photos: PhotoRow[],
    checklist: { id: string; version: number } | null,
    items: ChecklistItem[],
    fields: { outcome: InspectionOutcome; notes: string; answers: Record<string, Answer>; doneAt: string },
    version: number,
    previous: { version: number; manifestSha256: string; reason: string } | null,
    now: Date,
  ) {
    const key = this.key();
    const manifest: InspectionManifest = {
      format: MANIFEST_FORMAT,
      inspectionId: ins.id,
      version,
      previous: previous ? { version: previous.version, manifestSha256: previous.manifestSha256 } : null,
      reason: previous?.reason ?? null,
      office: { id: ins.institution_id, name: ins.institution_name },
      case: { id: ins.case_id, number: ins.case_number, ward: ins.ward_name },
      plannedOn: ins.planned_on,
      startedAt: ins.started_at,
      doneAt: fields.doneAt,
      address: ins.address ?? ins.case_address,
      position: ins.position ? (JSON.parse(ins.position) as unknown) : null,
      specialist: { personId: ins.specialist_person_id, displayName: ins.specialist_name },
      outcome: fields.outcome,
      checklist: {
        id: checklist?.id ?? null,
        version: checklist?.version ?? null,
        items,
        answers: fields.answers,
      },
      notes: fields.notes,
      photos: photos.map((p) => ({
        id: p.id,
        sha256: p.sha256,
        bytes: p.bytes,
        mime: p.mime,
        category: p.category,
        live: p.live === 1,
        deviceTakenAt: p.device_taken_at,
        serverReceivedAt: p.server_received_at,
        clockSkewMs: p.skew_ms,
        clockSkewFlagged: p.skew_flagged === 1,
        position:
          p.latitude !== null && p.longitude !== null
            ? { latitude: p.latitude, longitude: p.longitude, accuracyM: p.accuracy_m }
            : null,
      })),
      sealedAt: now.toISOString(),
      sealedBy: { personId: caller.principal.personId, displayName: caller.displayName, role },
      signature: { algorithm: 'Ed25519', keyId: key.keyId },
    };
    const signed = signManifest(manifest, key.privateKey);
    await this.deps.db.transaction().execute(async (trx) => {
      const r = this.repo(trx);
      const ok = await r.seal(ins.id, {
        version,
        doneAt: fields.doneAt,
        outcome: fields.outcome,
        answers: JSON.stringify(fields.answers),
        notes: fields.notes,
        now: now.toISOString(),
      });
      if (!ok) throw new AppError('conflict', 'the inspection changed meanwhile: reload it and try again');
      await r.insertVersion({
        id: newId(),
        inspection_id: ins.id,
        version,
        manifest: signed.text,
        signature: signed.signature,
        key_id: signed.keyId,
        reason: previous?.reason ?? null,
        sealed_by: caller.principal.personId,
        sealed_at: now.toISOString(),
      });
      await appendAudit(
        trx,
        caller.audit(role),
        {
          action: version === 1 ? 'inspection.seal' : 'inspection.correct',
          targetKind: 'inspection',
          targetId: ins.id,
          institutionId: ins.institution_id,
          reason: previous?.reason ?? null,
          details: { version, manifestSha256: signed.sha256, photos: photos.length, keyId: signed.keyId },
        },
        now,
      );
    });
    return {
      id: ins.id,
      status: 'sealed' as const,
      version,
      manifestSha256: signed.sha256,
      alreadySealed: false,
    };
  }

  /** A photo behind a signed link: checks the link and the viewer's session, audits the view. */
  async openPhoto(
    token: string,
    sessionPersonId: string | null,
    audit: (role: string) => AuditContext,
  ): Promise<{ file: string; mime: string; bytes: number }> {
    const now = this.now();
    const v = verifyPhotoLink(token, this.key().publicKey, now.getTime());
    if (!v.ok)
      throw new AppError(
        v.reason === 'expired' ? 'gone' : 'forbidden',
        `photo link ${v.reason === 'expired' ? 'expired: reload the page' : 'is not valid'}`,
      );
    const c = v.claims;
    if (sessionPersonId !== c.s)
      throw new AppError('forbidden', 'this photo link belongs to another session');
    const photo = await this.repo().photo(c.p);
    if (!photo || photo.inspection_id !== c.i || photo.purged_at) throw notFound('photo');
    const ins = await this.load(c.i);
    await recordAudit(
      this.deps.db,
      audit(c.r),
      {
        action: 'inspection.photo.view',
        targetKind: 'inspection_photo',
        targetId: photo.id,
        institutionId: ins.institution_id,
        decision: 'allow',
        details: { inspectionId: ins.id, variant: c.v, sha256: photo.sha256 },
      },
      now,
    );
    return {
      file: this.store.variantPath(photo.sha256, c.v),
      mime: c.v === 'original' ? photo.mime : 'image/jpeg',
      bytes: photo.bytes,
    };
  }
}
