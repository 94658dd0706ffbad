/**
 * Office visits (docs/design/office-visits.md): what reception and employees do at a workplace
 * (open a visit, close it, see whether it is recorded), what office heads and regional operators see
 * (flags with their evidence, coverage of working hours by recording) and the periodic check that
 * computes flags and coverage. Every step is authorised through src/authz/ and audited in the
 * transaction of its change; every flag raises an alert `flag.<code>` in the same transaction.
 *
 * A visit records through the recorder's manual sessions (src/recording/operations.ts does the same
 * for "start/stop recording"): one session per camera of the workplace, opened in the visit's
 * transaction, so the recorder's rolling pre-roll buffer is written from before the click, and closed
 * with the configured post-roll.
 */
import type { Kysely, Transaction } from 'kysely';
import { appendAudit, SYSTEM_CONTEXT, type AuditContext } from '../audit/audit-log.js';
import { raiseAlert } from '../alerts/raise.js';
import { allows, authorize, type Action, type ObjectKind, type Principal } from '../authz/index.js';
import { principalOf } from '../authz/places.js';
import type { Config } from '../config/config.js';
import type { AuthenticatedSession } from '../identity/sessions.js';
import type { ViewingCalendar } from '../policy/facts.js';
import { addDays, firstInstantAtOrAfterLocal, toLocalTime } from '../policy/local-time.js';
import type { Place } from '../storage/repositories/places.js';
import type { RecordingService } from '../recording/service.js';
import { decideRecording } from '../recording/policy.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import {
  VISITOR_CATEGORIES,
  type Database,
  type FlagCode,
  type VisitorCategory,
  type WorkplaceMode,
} from '../storage/schema.js';
import {
  VisitsRepository,
  type VisitFlagRow,
  type VisitRow,
  type Workplace,
  type WorkplaceCamera,
} from '../storage/repositories/visits.js';
import {
  FLAG_LABELS,
  MODE_LABELS,
  VISITOR_LABELS,
  coveredMs,
  csvField,
  modeOfPolicy,
  percent,
  policyForMode,
  totalMs,
  union,
  workingIntervals,
  type Interval,
} from './rules.js';

/** What the visits need of the live plane (CameraManager fits): a camera's ingest state. */
export interface LiveStates {
  state(cameraId: string): string;
}

export interface VisitsDeps {
  db: Kysely<Database>;
  clock: Clock;
  config: Pick<Config, 'recording' | 'visits' | 'cameras'>;
  recording: RecordingService;
  live?: LiveStates | undefined;
}

export type RecordingState = 'recording' | 'not_recording' | 'camera_down';

export interface CameraStateView {
  id: string;
  name: string;
  state: RecordingState;
  /** why not recording (policy words: no_visit, outside_working_hours, …), or the camera's failure */
  why: string;
}

export interface VisitView {
  id: string;
  roomId: string;
  roomName: string;
  institutionId: string;
  institutionName: string;
  employee: { id: string; name: string } | null;
  openedBy: { id: string; name: string } | null;
  startedAt: string;
  endedAt: string | null;
  status: 'open' | 'closed';
  autoClosed: boolean;
  caseRef: string | null;
  visitorCategory: VisitorCategory;
  visitorCategoryLabel: string;
  /** the recorded range of the visit: pre-roll before the start to post-roll after the end */
  playback: { from: string; to: string };
  cameras: { id: string; name: string; stateAtOpen: string }[];
  flags: number;
}

export interface FlagView {
  id: string;
  code: FlagCode;
  label: string;
  institutionId: string;
  institutionName: string;
  roomId: string | null;
  roomName: string | null;
  cameraId: string | null;
  visitId: string | null;
  person: { id: string; name: string } | null;
  day: string | null;
  startedAt: string;
  endedAt: string | null;
  evidence: Record<string, unknown>;
  status: 'open' | 'resolved';
  resolvedAt: string | null;
  resolvedBy: { id: string; name: string } | null;
  comment: string | null;
  alertId: string | null;
}

export interface CoverageRow {
  key: string;
  label: string;
  institutionId: string;
  institutionName: string;
  workingMinutes: number;
  coveredMinutes: number;
  coveragePercent: number | null;
  visits: number;
  flaggedVisits: number;
}

export type CoverageBy = 'office' | 'workplace' | 'employee' | 'day' | 'week';

export interface CheckResult {
  autoClosed: number;
  flags: number;
  coverageDays: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
/**
 * Frames reach the recorder about a second after they were captured (camera encoder, RTSP, ffmpeg),
 * and the recorder stops on the wall clock: a visit's sessions record this much past the post-roll,
 * so the video captured up to the end of the post-roll is on disk (measured in
 * test/integration/visits/rtsp.test.ts: about 1.1 s of latency with a local camera).
 */
export const TAIL_MARGIN_MS = 2000;
const DAY = 86_400_000;
const CASE_REF = /^[\p{L}\p{N} ./№#_-]{1,60}$/u;
const LOCAL_DAY = /^\d{4}-\d{2}-\d{2}$/;

export class VisitsService {
  readonly repo: VisitsRepository;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: VisitsDeps) {
    this.repo = new VisitsRepository(deps.db);
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  /** The periodic check (visits.checkSeconds; 0: never). */
  start(onError?: (err: unknown) => void): void {
    const s = this.deps.config.visits.checkSeconds;
    if (s <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.check().catch((err: unknown) => onError?.(err));
    }, s * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => undefined);
  }

  // ── places and scope ───────────────────────────────────────────────────────────────────────────

  private static placeOf(w: Workplace): Place {
    return {
      regionId: w.regionId,
      institution: { id: w.institutionId, kind: 'office' },
      roomIds: [w.roomId],
    };
  }

  private async workplaceFor(
    caller: AuthenticatedSession,
    roomId: string,
    object: ObjectKind,
    action: Action,
  ): Promise<{ w: Workplace; role: string }> {
    const w = await this.repo.workplace(roomId);
    const g = authorize(principalOf(caller), object, action, w && VisitsService.placeOf(w), 'visit');
    return { w: w!, role: g.role };
  }

  /** The offices where the caller may `action` objects of this kind (institution-wide). */
  private async officesFor(
    p: Principal,
    object: ObjectKind,
    action: Action = 'read',
  ): Promise<{ id: string; name: string; regionId: string; timeZone: string }[]> {
    return (await this.repo.offices()).filter((o) =>
      allows(p, object, action, { regionId: o.regionId, institution: { id: o.id, kind: 'office' } }),
    );
  }

  /** Workplaces where the caller may `action` visits (room bindings included). */
  private async workplacesFor(p: Principal, object: ObjectKind, action: Action): Promise<Workplace[]> {
    return (await this.repo.workplaces()).filter((w) => allows(p, object, action, VisitsService.placeOf(w)));
  }

  private async calendars(ws: readonly Workplace[]): Promise<Map<string, ViewingCalendar>> {
    const [schedules, closed] = await Promise.all([
      this.repo.schedules(ws.map((w) => w.roomId)),
      this.repo.closedDays([...new Set(ws.map((w) => w.institutionId))]),
    ]);
    return new Map(
      ws.map((w) => [
        w.roomId,
        {
          timeZone: w.timeZone,
          closedDays: closed.get(w.institutionId) ?? [],
          windows: schedules.get(w.roomId) ?? [],
        },
      ]),
    );
  }

  // ── the workplace screen ───────────────────────────────────────────────────────────────────────

  /** Workplaces the caller receives at (may open visits), with their state. */
  async myWorkplaces(caller: AuthenticatedSession) {
    const ws = await this.workplacesFor(principalOf(caller), 'visit', 'create');
    const open = new Map((await this.repo.openVisits(ws.map((w) => w.roomId))).map((v) => [v.room_id, v]));
    return ws.map((w) => ({
      roomId: w.roomId,
      name: w.name,
      institutionId: w.institutionId,
      institutionName: w.institutionName,
      openVisitId: open.get(w.roomId)?.id ?? null,
    }));
  }

  private cameraState(
    cam: WorkplaceCamera,
    calendar: ViewingCalendar,
    visitsAlso: boolean,
    manualActive: boolean,
    openOutage: boolean,
    nowMs: number,
  ): CameraStateView {
    const live = this.deps.live?.state(cam.id);
    const rec = this.deps.recording.enabled ? this.deps.recording.recorder(cam.id)?.status() : undefined;
    const d = decideRecording(
      { policy: cam.policy, enabled: cam.enabled, workingHours: calendar, manualActive, visitsAlso },
      nowMs,
    );
    const down =
      cam.enabled &&
      (openOutage ||
        live === 'stalled' ||
        live === 'failing' ||
        (d.record && rec?.openGap?.cause === 'camera_offline'));
    if (down) return { id: cam.id, name: cam.name, state: 'camera_down', why: live ?? 'outage' };
    // In the recording process the recorder says whether a segment is being written; elsewhere the
    // decision is what the recorder does.
    const recording = rec ? rec.recording && d.record : d.record;
    return {
      id: cam.id,
      name: cam.name,
      state: recording ? 'recording' : 'not_recording',
      why: recording ? 'recording' : rec?.diskFull ? 'disk_full' : d.why,
    };
  }

  async workplaceState(caller: AuthenticatedSession, roomId: string) {
    const { w } = await this.workplaceFor(caller, roomId, 'visit', 'read');
    return this.stateOf(w);
  }

  private async stateOf(w: Workplace) {
    const nowMs = this.now().getTime();
    const [cameras, calendars, open, employees] = await Promise.all([
      this.repo.cameras([w.roomId]),
      this.calendars([w]),
      this.repo.openVisit(w.roomId),
      this.repo.employees([w.roomId]),
    ]);
    const cams = cameras.get(w.roomId) ?? [];
    const calendar = calendars.get(w.roomId)!;
    const [outages, manual] = await Promise.all([
      this.repo.outages(
        cams.map((c) => c.id),
        iso(nowMs),
        iso(nowMs + 1),
      ),
      this.deps.recording.policy.activeManual(
        cams.map((c) => c.id),
        iso(nowMs),
      ),
    ]);
    const down = new Set(outages.filter((o) => o.ended_at === null).map((o) => o.camera_id));
    const active = new Set(manual.map((m) => m.camera_id));
    const mode = this.modeOf(w, cams);
    const states = cams.map((c) =>
      this.cameraState(c, calendar, mode === 'both', active.has(c.id), down.has(c.id), nowMs),
    );
    const state: RecordingState =
      states.length === 0 || states.some((s) => s.state === 'camera_down')
        ? 'camera_down'
        : states.every((s) => s.state === 'recording')
          ? 'recording'
          : states.some((s) => s.state === 'recording')
            ? 'recording'
            : 'not_recording';
    return {
      roomId: w.roomId,
      name: w.name,
      institutionId: w.institutionId,
      institutionName: w.institutionName,
      mode,
      modeLabel: mode === 'off' ? 'Запись отключена' : MODE_LABELS[mode],
      workingHours: calendar.windows,
      state,
      cameras: states,
      openVisit: open ? (await this.views([open]))[0]! : null,
      employees: employees.map((e) => ({ id: e.personId, name: e.name })),
      maxOpenMinutes: this.deps.config.visits.maxOpenMinutes,
      preRollSeconds: this.deps.config.recording.preRollSeconds,
      postRollSeconds: this.deps.config.recording.postRollSeconds,
      at: iso(nowMs),
    };
  }

  private modeOf(w: Workplace, cams: readonly WorkplaceCamera[]): WorkplaceMode | 'off' {
    const recording = cams.filter((c) => c.policy !== 'off');
    if (recording.length === 0) return 'off';
    return w.mode ?? modeOfPolicy(recording[0]!.policy, false);
  }

  // ── open and close ─────────────────────────────────────────────────────────────────────────────

  async open(
    caller: AuthenticatedSession,
    roomId: string,
    body: { employeeId?: string | undefined; caseRef?: string | undefined; visitorCategory: string },
    audit: AuditContext,
  ): Promise<VisitView> {
    const { w, role } = await this.workplaceFor(caller, roomId, 'visit', 'create');
    if (!(VISITOR_CATEGORIES as readonly string[]).includes(body.visitorCategory))
      throw new AppError(
        'validation_failed',
        `visitorCategory must be one of ${VISITOR_CATEGORIES.join(', ')}`,
      );
    const caseRef = body.caseRef?.trim() || null;
    if (caseRef !== null && !CASE_REF.test(caseRef))
      throw new AppError(
        'validation_failed',
        'caseRef: up to 60 letters, digits, spaces and . / № # _ - (a case number, not a name)',
      );
    const employees = await this.repo.employees([roomId]);
    let employeeId = body.employeeId ?? null;
    if (employeeId === null) {
      if (employees.some((e) => e.personId === caller.person.id)) employeeId = caller.person.id;
      else if (employees.length === 1) employeeId = employees[0]!.personId;
    } else if (!employees.some((e) => e.personId === employeeId))
      throw new AppError('validation_failed', 'employeeId: not an employee of this workplace');
    const cams = (await this.repo.cameras([roomId])).get(roomId) ?? [];
    const recording = cams.filter((c) => c.policy !== 'off' && c.enabled);
    const now = this.now();
    const nowIso = now.toISOString();
    const nowMs = now.getTime();
    const outages = await this.repo.outages(
      cams.map((c) => c.id),
      nowIso,
      iso(nowMs + 1),
    );
    const downIds = new Set(outages.filter((o) => o.ended_at === null).map((o) => o.camera_id));
    for (const c of cams) {
      const live = this.deps.live?.state(c.id);
      if (live === 'stalled' || live === 'failing') downIds.add(c.id);
    }
    const id = newId();
    const preRollMs = this.deps.config.recording.preRollSeconds * 1000;
    const row: VisitRow = {
      id,
      institution_id: w.institutionId,
      room_id: roomId,
      employee_person_id: employeeId,
      opened_by: caller.person.id,
      closed_by: null,
      started_at: nowIso,
      ended_at: null,
      pre_roll_ms: preRollMs,
      post_roll_ms: 0,
      case_ref: caseRef,
      visitor_category: body.visitorCategory as VisitorCategory,
      status: 'open',
      auto_closed: 0,
      created_at: nowIso,
    };
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        const repo = this.repo.with(trx);
        const sessions = recording.map((c) => ({ camera: c, session: newId() }));
        await repo.insertVisit(
          row,
          cams.map((c) => ({
            visit_id: id,
            camera_id: c.id,
            manual_session_id: sessions.find((s) => s.camera.id === c.id)?.session ?? null,
            camera_state: !c.enabled
              ? 'disabled'
              : c.policy === 'off'
                ? 'off'
                : downIds.has(c.id)
                  ? 'down'
                  : 'live',
          })),
        );
        for (const s of sessions)
          await this.deps.recording.policy.insertManual(
            {
              id: s.session,
              camera_id: s.camera.id,
              started_at: nowIso,
              started_by: caller.person.id,
              purpose: `visit:${id}`,
              stop_at: null,
              stopped_by: null,
              record_until: null,
              created_at: nowIso,
            },
            trx,
          );
        await appendAudit(
          trx,
          { ...audit, actor: audit.actor ? { ...audit.actor, role } : null },
          {
            action: 'visit.open',
            targetKind: 'visit',
            targetId: id,
            institutionId: w.institutionId,
            decision: 'allow',
            reason: role,
            details: {
              roomId,
              employeeId,
              caseRef,
              visitorCategory: body.visitorCategory,
              cameras: cams.map((c) => c.id),
              manualSessions: sessions.map((s) => s.session),
            },
          },
          now,
        );
        const down = cams.filter((c) => downIds.has(c.id));
        if (down.length > 0 || recording.length === 0)
          await this.raiseFlag(trx, w, {
            code: 'visit_camera_offline',
            cameraId: down[0]?.id ?? null,
            visitId: id,
            personId: employeeId,
            startedAt: nowIso,
            endedAt: null,
            dedupeKey: `visit_camera_offline:${id}`,
            evidence: {
              openedAt: nowIso,
              cameras: cams.map((c) => ({
                id: c.id,
                name: c.name,
                enabled: c.enabled,
                policy: c.policy,
                down: downIds.has(c.id),
                since: outages.find((o) => o.camera_id === c.id && o.ended_at === null)?.started_at ?? null,
                reason: outages.find((o) => o.camera_id === c.id && o.ended_at === null)?.reason ?? null,
              })),
            },
            body:
              recording.length === 0
                ? `Приём начат на рабочем месте «${w.name}», где нет записывающей камеры.`
                : `Приём начат на рабочем месте «${w.name}», когда камера «${down[0]!.name}» не работала.`,
          });
      });
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (await this.repo.openVisit(roomId))
        throw new AppError('conflict', 'a visit is already open at this workplace: close it first');
      throw e;
    }
    if (this.deps.recording.enabled) await this.deps.recording.tick(cams.map((c) => c.id));
    return (await this.views([(await this.repo.visit(id))!]))[0]!;
  }

  async close(caller: AuthenticatedSession, visitId: string, audit: AuditContext): Promise<VisitView> {
    const v = await this.repo.visit(visitId);
    const w = v && (await this.repo.workplace(v.room_id));
    const g = authorize(principalOf(caller), 'visit', 'update', w ? VisitsService.placeOf(w) : undefined);
    if (v!.status !== 'open') throw new AppError('conflict', 'the visit is already closed');
    await this.closeVisit(v!, w!, { by: caller.person.id, role: g.role, audit, auto: false });
    if (this.deps.recording.enabled)
      await this.deps.recording.tick(
        ((await this.repo.visitCameras([visitId])).get(visitId) ?? []).map((c) => c.camera_id),
      );
    return (await this.views([(await this.repo.visit(visitId))!]))[0]!;
  }

  private async closeVisit(
    v: VisitRow,
    w: Workplace,
    c: { by: string | null; role: string; audit: AuditContext; auto: boolean },
  ): Promise<void> {
    const now = this.now();
    const nowIso = now.toISOString();
    const postRollMs = this.deps.config.recording.postRollSeconds * 1000;
    const until = iso(now.getTime() + postRollMs + TAIL_MARGIN_MS);
    await this.deps.db.transaction().execute(async (trx) => {
      const repo = this.repo.with(trx);
      const closed = await repo.closeVisit(v.id, {
        endedAt: nowIso,
        closedBy: c.by,
        postRollMs,
        autoClosed: c.auto,
      });
      if (!closed) throw new AppError('conflict', 'the visit is already closed');
      const cams = (await repo.visitCameras([v.id])).get(v.id) ?? [];
      for (const vc of cams)
        if (vc.manual_session_id)
          await this.deps.recording.policy.stopManual(
            vc.manual_session_id,
            { stopAt: nowIso, stoppedBy: c.by, recordUntil: until },
            trx,
          );
      await appendAudit(
        trx,
        c.audit.actor ? { ...c.audit, actor: { ...c.audit.actor, role: c.role } } : c.audit,
        {
          action: c.auto ? 'visit.auto_close' : 'visit.close',
          targetKind: 'visit',
          targetId: v.id,
          institutionId: v.institution_id,
          decision: c.auto ? null : 'allow',
          reason: c.auto ? 'max_open' : c.role,
          details: {
            roomId: v.room_id,
            startedAt: v.started_at,
            endedAt: nowIso,
            recordingUntil: until,
            minutes: Math.round((now.getTime() - Date.parse(v.started_at)) / 60_000),
          },
        },
        now,
      );
      if (c.auto)
        await this.raiseFlag(trx, w, {
          code: 'visit_too_long',
          cameraId: cams[0]?.camera_id ?? null,
          visitId: v.id,
          personId: v.employee_person_id,
          startedAt: v.started_at,
          endedAt: nowIso,
          dedupeKey: `visit_too_long:${v.id}`,
          evidence: {
            startedAt: v.started_at,
            closedAt: nowIso,
            maxOpenMinutes: this.deps.config.visits.maxOpenMinutes,
            autoClosed: true,
          },
          body: `Приём на рабочем месте «${w.name}» не был завершён за ${this.deps.config.visits.maxOpenMinutes} мин и закрыт автоматически.`,
        });
    });
  }

  // ── mode ───────────────────────────────────────────────────────────────────────────────────────

  async setMode(
    caller: AuthenticatedSession,
    roomId: string,
    mode: WorkplaceMode,
    audit: AuditContext,
  ): Promise<{ roomId: string; mode: WorkplaceMode }> {
    const { w, role } = await this.workplaceFor(caller, roomId, 'recording_settings', 'update');
    const cams = (await this.repo.cameras([roomId])).get(roomId) ?? [];
    if (cams.length === 0) throw new AppError('conflict', 'the workplace has no camera');
    const before = this.modeOf(w, cams);
    const now = this.now();
    const nowIso = now.toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      const repo = this.repo.with(trx);
      await repo.setMode(roomId, mode, caller.person.id, nowIso);
      await repo.setCameraPolicies(roomId, policyForMode(mode), nowIso);
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role } : null },
        {
          action: 'workplace.mode.set',
          targetKind: 'room',
          targetId: roomId,
          institutionId: w.institutionId,
          decision: 'allow',
          reason: role,
          details: {
            before: { mode: before, policies: cams.map((c) => ({ id: c.id, policy: c.policy })) },
            after: { mode, policy: policyForMode(mode) },
          },
        },
        now,
      );
      if (before !== mode)
        await this.raiseFlag(trx, w, {
          code: 'recording_changed',
          cameraId: cams[0]!.id,
          visitId: null,
          personId: caller.person.id,
          startedAt: nowIso,
          endedAt: null,
          dedupeKey: `recording_changed:mode:${roomId}:${nowIso}`,
          evidence: { changedAt: nowIso, changedBy: caller.person.displayName, before, after: mode },
          body: `Режим записи рабочего места «${w.name}» изменён: «${before === 'off' ? 'запись отключена' : MODE_LABELS[before]}» → «${MODE_LABELS[mode]}» (${caller.person.displayName}).`,
        });
    });
    if (this.deps.recording.enabled) await this.deps.recording.tick(cams.map((c) => c.id));
    return { roomId, mode };
  }

  // ── lists ──────────────────────────────────────────────────────────────────────────────────────

  async views(rows: readonly VisitRow[]): Promise<VisitView[]> {
    if (rows.length === 0) return [];
    const roomIds = [...new Set(rows.map((r) => r.room_id))];
    const [ws, cams, vcs, names, flagCount] = await Promise.all([
      this.repo.workplacesOfRooms(roomIds),
      this.repo.cameras(roomIds),
      this.repo.visitCameras(rows.map((r) => r.id)),
      this.repo.personNames(rows.flatMap((r) => [r.employee_person_id ?? '', r.opened_by ?? ''])),
      this.repo.flagCounts(rows.map((r) => r.id)),
    ]);
    const wById = new Map(ws.map((w) => [w.roomId, w]));
    const camName = new Map([...cams.values()].flat().map((c) => [c.id, c.name]));
    const nowMs = this.now().getTime();
    const person = (id: string | null) => (id ? { id, name: names.get(id) ?? '—' } : null);
    return rows.map((r) => {
      const w = wById.get(r.room_id);
      const endMs = r.ended_at ? Date.parse(r.ended_at) + Number(r.post_roll_ms) : nowMs;
      return {
        id: r.id,
        roomId: r.room_id,
        roomName: w?.name ?? '—',
        institutionId: r.institution_id,
        institutionName: w?.institutionName ?? '—',
        employee: person(r.employee_person_id),
        openedBy: person(r.opened_by),
        startedAt: r.started_at,
        endedAt: r.ended_at,
        status: r.status,
        autoClosed: r.auto_closed === 1,
        caseRef: r.case_ref,
        visitorCategory: r.visitor_category,
        visitorCategoryLabel: VISITOR_LABELS[r.visitor_category],
        playback: { from: iso(Date.parse(r.started_at) - Number(r.pre_roll_ms)), to: iso(endMs) },
        cameras: (vcs.get(r.id) ?? []).map((c) => ({
          id: c.camera_id,
          name: camName.get(c.camera_id) ?? '—',
          stateAtOpen: c.camera_state,
        })),
        flags: flagCount.get(r.id) ?? 0,
      };
    });
  }

  async visit(caller: AuthenticatedSession, visitId: string): Promise<VisitView> {
    const v = await this.repo.visit(visitId);
    const w = v && (await this.repo.workplace(v.room_id));
    authorize(principalOf(caller), 'visit', 'read', w ? VisitsService.placeOf(w) : undefined);
    return (await this.views([v!]))[0]!;
  }

  async list(
    caller: AuthenticatedSession,
    q: { roomId?: string | undefined; cameraId?: string | undefined; from: string; to: string },
  ): Promise<VisitView[]> {
    const fromMs = Date.parse(q.from);
    const toMs = Date.parse(q.to);
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs)
      throw new AppError('validation_failed', 'from and to must be ISO-8601 instants, from before to');
    if (toMs - fromMs > 92 * DAY)
      throw new AppError('validation_failed', 'a visit list covers at most 92 days');
    let roomIds: string[];
    if (q.roomId) {
      await this.workplaceFor(caller, q.roomId, 'visit', 'read');
      roomIds = [q.roomId];
    } else if (q.cameraId) {
      const cam = await this.deps.db
        .selectFrom('cameras')
        .select('room_id')
        .where('id', '=', q.cameraId)
        .executeTakeFirst();
      const w = cam && (await this.repo.workplace(cam.room_id));
      if (!w || !allows(principalOf(caller), 'visit', 'read', VisitsService.placeOf(w))) return [];
      roomIds = [w.roomId];
    } else roomIds = (await this.workplacesFor(principalOf(caller), 'visit', 'read')).map((w) => w.roomId);
    const rows = await this.repo.visitsOverlapping({ roomIds }, iso(fromMs), iso(toMs), 500);
    return this.views(rows);
  }

  // ── flags ──────────────────────────────────────────────────────────────────────────────────────

  async flags(
    caller: AuthenticatedSession,
    q: {
      status?: 'open' | 'resolved' | undefined;
      institutionId?: string | undefined;
      visitId?: string | undefined;
    },
  ): Promise<FlagView[]> {
    let offices = await this.officesFor(principalOf(caller), 'visit_flag');
    if (q.institutionId) {
      offices = offices.filter((o) => o.id === q.institutionId);
      if (offices.length === 0) throw new AppError('not_found', 'institution not found');
    }
    const rows = await this.repo.flags(
      offices.map((o) => o.id),
      { status: q.status, visitId: q.visitId, limit: 500 },
    );
    return this.flagViews(rows);
  }

  private async flagViews(rows: readonly VisitFlagRow[]): Promise<FlagView[]> {
    const [ws, offices, names] = await Promise.all([
      this.repo.workplaces(),
      this.repo.offices(),
      this.repo.personNames(rows.flatMap((r) => [r.person_id ?? '', r.resolved_by ?? ''])),
    ]);
    const room = new Map(ws.map((w) => [w.roomId, w.name]));
    const office = new Map(offices.map((o) => [o.id, o.name]));
    const person = (id: string | null) => (id ? { id, name: names.get(id) ?? '—' } : null);
    return rows.map((r) => ({
      id: r.id,
      code: r.code,
      label: FLAG_LABELS[r.code],
      institutionId: r.institution_id,
      institutionName: office.get(r.institution_id) ?? '—',
      roomId: r.room_id,
      roomName: r.room_id ? (room.get(r.room_id) ?? '—') : null,
      cameraId: r.camera_id,
      visitId: r.visit_id,
      person: person(r.person_id),
      day: r.day,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      evidence: JSON.parse(r.evidence) as Record<string, unknown>,
      status: r.status,
      resolvedAt: r.resolved_at,
      resolvedBy: person(r.resolved_by),
      comment: r.resolution_comment,
      alertId: r.alert_id,
    }));
  }

  async resolveFlag(
    caller: AuthenticatedSession,
    flagId: string,
    comment: string,
    audit: AuditContext,
  ): Promise<FlagView> {
    const f = await this.repo.flag(flagId);
    const office = f && (await this.repo.offices()).find((o) => o.id === f.institution_id);
    const place: Place | undefined = office
      ? { regionId: office.regionId, institution: { id: office.id, kind: 'office' } }
      : undefined;
    const g = authorize(principalOf(caller), 'visit_flag', 'update', place);
    const text = comment.trim();
    if (text.replace(/[^\p{L}\p{N}]/gu, '').length < 5)
      throw new AppError(
        'validation_failed',
        'comment: say what was found or done (at least 5 letters or digits)',
      );
    if (f!.status !== 'open') throw new AppError('conflict', 'the flag is already resolved');
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      const ok = await this.repo.with(trx).resolveFlag(flagId, caller.person.id, now.toISOString(), text);
      if (!ok) throw new AppError('conflict', 'the flag is already resolved');
      if (f!.alert_id)
        await trx
          .updateTable('alerts')
          .set({ resolved_at: now.toISOString(), resolved_by: caller.person.id, resolution_comment: text })
          .where('id', '=', f!.alert_id)
          .where('resolved_at', 'is', null)
          .execute();
      await appendAudit(
        trx,
        { ...audit, actor: audit.actor ? { ...audit.actor, role: g.role } : null },
        {
          action: 'visit.flag.resolve',
          targetKind: 'visit_flag',
          targetId: flagId,
          institutionId: f!.institution_id,
          decision: 'allow',
          reason: g.role,
          details: { code: f!.code, visitId: f!.visit_id, comment: text },
        },
        now,
      );
    });
    return (await this.flagViews([(await this.repo.flag(flagId))!]))[0]!;
  }

  /** One flag and its alert, in the caller's transaction; nothing when its dedupe key exists. */
  private async raiseFlag(
    trx: Transaction<Database>,
    w: { institutionId: string; regionId: string; roomId: string; name: string },
    f: {
      code: FlagCode;
      cameraId: string | null;
      visitId: string | null;
      personId: string | null;
      day?: string | null;
      startedAt: string;
      endedAt: string | null;
      dedupeKey: string;
      evidence: Record<string, unknown>;
      body: string;
    },
  ): Promise<boolean> {
    const id = newId();
    const now = this.now();
    const inserted = await this.repo.with(trx).insertFlag({
      id,
      code: f.code,
      institution_id: w.institutionId,
      room_id: w.roomId,
      camera_id: f.cameraId,
      visit_id: f.visitId,
      person_id: f.personId,
      day: f.day ?? null,
      started_at: f.startedAt,
      ended_at: f.endedAt,
      evidence: JSON.stringify(f.evidence),
      dedupe_key: f.dedupeKey,
      alert_id: null,
      status: 'open',
      resolved_at: null,
      resolved_by: null,
      resolution_comment: null,
      created_at: now.toISOString(),
    });
    if (!inserted) return false;
    const alert = await raiseAlert(trx, this.deps.clock, {
      kind: `flag.${f.code}`,
      severity: f.code === 'visit_gap' || f.code === 'camera_dark' ? 'critical' : 'warning',
      regionId: w.regionId,
      institutionId: w.institutionId,
      roomId: w.roomId,
      cameraId: f.cameraId,
      title: FLAG_LABELS[f.code],
      body: f.body,
      evidence: { flagId: id, visitId: f.visitId, ...f.evidence },
      dedupeKey: `flag:${f.dedupeKey}`,
    });
    await this.repo.with(trx).setFlagAlert(id, alert.id);
    await appendAudit(
      trx,
      SYSTEM_CONTEXT,
      {
        action: 'visit.flag.raise',
        targetKind: 'visit_flag',
        targetId: id,
        institutionId: w.institutionId,
        reason: f.code,
        details: { visitId: f.visitId, roomId: w.roomId, cameraId: f.cameraId, alertId: alert.id },
      },
      now,
    );
    return true;
  }

  // ── the periodic check ─────────────────────────────────────────────────────────────────────────

  /** One pass: auto-close, flags, coverage (serialised: the timer and tests may overlap). */
  check(): Promise<CheckResult> {
    const next = this.chain.catch(() => undefined).then(() => this.checkOnce());
    this.chain = next;
    return next;
  }

  private async checkOnce(): Promise<CheckResult> {
    const out: CheckResult = { autoClosed: 0, flags: 0, coverageDays: 0 };
    const now = this.now();
    const nowMs = now.getTime();
    const ws = await this.repo.workplaces();
    const wById = new Map(ws.map((w) => [w.roomId, w]));

    // 1. Visits open longer than the maximum are closed, with a flag.
    const maxMs = this.deps.config.visits.maxOpenMinutes * 60_000;
    for (const v of await this.repo.openVisitsStartedBefore(iso(nowMs - maxMs))) {
      const w = wById.get(v.room_id);
      if (!w) continue;
      try {
        await this.closeVisit(v, w, { by: null, role: 'system', audit: SYSTEM_CONTEXT, auto: true });
        out.autoClosed++;
        out.flags++;
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'conflict')) throw e;
      }
    }
    if (out.autoClosed > 0 && this.deps.recording.enabled) await this.deps.recording.tick();

    const cams = await this.repo.cameras(ws.map((w) => w.roomId));
    const calendars = await this.calendars(ws);
    const horizonIso = iso(nowMs - 2 * DAY);

    // 2. Gaps inside visits (open visits included: a camera dying now is flagged now).
    const visits = await this.repo.visitsOverlapping({}, horizonIso, iso(nowMs + 1));
    const vcs = await this.repo.visitCameras(visits.map((v) => v.id));
    for (const v of visits) {
      const w = wById.get(v.room_id);
      if (!w) continue;
      const startMs = Date.parse(v.started_at);
      const endMs = v.ended_at ? Date.parse(v.ended_at) : nowMs;
      const camIds = (vcs.get(v.id) ?? []).filter((c) => c.manual_session_id).map((c) => c.camera_id);
      const gaps = (await this.repo.gaps(camIds, iso(startMs), iso(Math.max(endMs, startMs + 1)))).filter(
        (g) => g.cause !== 'policy_off' || Date.parse(g.start_at) >= startMs,
      );
      const keys = camIds.map((c) => `visit_gap:${v.id}:${c}`);
      const have = await this.repo.flagKeys(keys);
      for (const camId of camIds) {
        const key = `visit_gap:${v.id}:${camId}`;
        const mine = gaps.filter((g) => g.camera_id === camId);
        if (mine.length === 0 || have.has(key)) continue;
        const name = (cams.get(v.room_id) ?? []).find((c) => c.id === camId)?.name ?? '';
        const evidence = {
          visitStartedAt: v.started_at,
          visitEndedAt: v.ended_at,
          camera: { id: camId, name },
          gaps: mine.map((g) => ({
            start: g.start_at,
            end: g.end_at,
            cause: g.cause,
            details: g.details ? (JSON.parse(g.details) as unknown) : null,
          })),
        };
        const raised = await this.deps.db.transaction().execute((trx) =>
          this.raiseFlag(trx, w, {
            code: 'visit_gap',
            cameraId: camId,
            visitId: v.id,
            personId: v.employee_person_id,
            startedAt: mine[0]!.start_at,
            endedAt: mine.at(-1)!.end_at,
            dedupeKey: key,
            evidence,
            body: `В записи приёма на рабочем месте «${w.name}» пропуск с ${mine[0]!.start_at} (причина: ${mine.map((g) => g.cause).join(', ')}).`,
          }),
        );
        if (raised) out.flags++;
      }
    }

    // 3. Cameras dark during working hours (outages longer than the alert delay, inside hours).
    const alertMs = this.deps.config.cameras.alertAfterSeconds * 1000;
    const allCams = ws.flatMap((w) => (cams.get(w.roomId) ?? []).map((c) => ({ w, c })));
    const outages = await this.repo.outages(
      allCams.map((x) => x.c.id),
      horizonIso,
      iso(nowMs + 1),
    );
    const darkKeys = await this.repo.flagKeys(outages.map((o) => `camera_dark:${o.id}`));
    for (const o of outages) {
      if (darkKeys.has(`camera_dark:${o.id}`)) continue;
      const x = allCams.find((a) => a.c.id === o.camera_id);
      if (!x || !x.c.enabled || x.c.policy === 'off') continue;
      const cal = calendars.get(x.w.roomId)!;
      const span: Interval = [Date.parse(o.started_at), o.ended_at ? Date.parse(o.ended_at) : nowMs];
      const hours = this.workingWithin(cal, x.c.policy, span);
      const darkInHours = coveredMs(hours, [span]);
      if (darkInHours < alertMs) continue;
      const raised = await this.deps.db.transaction().execute((trx) =>
        this.raiseFlag(trx, x.w, {
          code: 'camera_dark',
          cameraId: o.camera_id,
          visitId: null,
          personId: null,
          startedAt: o.started_at,
          endedAt: o.ended_at,
          dedupeKey: `camera_dark:${o.id}`,
          evidence: {
            outageId: o.id,
            camera: { id: o.camera_id, name: x.c.name },
            start: o.started_at,
            end: o.ended_at,
            reason: o.reason,
            darkInWorkingHoursSeconds: Math.round(darkInHours / 1000),
          },
          body: `Камера «${x.c.name}» (${x.w.name}) не работала в рабочие часы с ${o.started_at} (${o.reason}).`,
        }),
      );
      if (raised) out.flags++;
    }

    // 4. Recording switched off at a workplace (camera policy off or camera disabled): one flag per change.
    for (const { w, c } of allCams) {
      if (c.enabled && c.policy !== 'off') continue;
      const raised = await this.deps.db.transaction().execute((trx) =>
        this.raiseFlag(trx, w, {
          code: 'recording_changed',
          cameraId: c.id,
          visitId: null,
          personId: null,
          startedAt: c.updatedAt,
          endedAt: null,
          dedupeKey: `recording_changed:off:${c.id}:${c.updatedAt}`,
          evidence: {
            camera: { id: c.id, name: c.name },
            enabled: c.enabled,
            policy: c.policy,
            since: c.updatedAt,
          },
          body: `На рабочем месте «${w.name}» запись камеры «${c.name}» отключена (${c.enabled ? 'режим записи «выключено»' : 'камера выключена'}) с ${c.updatedAt}.`,
        }),
      );
      if (raised) out.flags++;
    }

    // 5. Working days without visits (per-visit workplaces) and coverage.
    out.flags += await this.missingVisits(ws, cams, calendars, nowMs);
    out.coverageDays += await this.computeCoverage(ws, cams, calendars, nowMs);
    return out;
  }

  /** Working intervals of a camera's workplace over a span: its hours, or always for continuous. */
  private workingWithin(cal: ViewingCalendar, policy: string, span: Interval): Interval[] {
    const out: Interval[] = [];
    let day = toLocalTime(span[0], cal.timeZone).date;
    const last = toLocalTime(span[1], cal.timeZone).date;
    for (let i = 0; i < 10 && day <= last; i++, day = addDays(day, 1)) {
      if (cal.windows.length === 0 && policy === 'continuous') {
        if (cal.closedDays.includes(day)) continue;
        out.push([
          firstInstantAtOrAfterLocal(day, 0, cal.timeZone),
          firstInstantAtOrAfterLocal(addDays(day, 1), 0, cal.timeZone),
        ]);
      } else out.push(...workingIntervals(cal, day));
    }
    return union(out);
  }

  /**
   * An employee of a per-visit workplace who opened no visit on a past working day on which the
   * office received at least `visits.missingMinVisits` visits at its other workplaces: they were
   * probably receiving without opening visits (nothing else shows it while continuous recording is off).
   */
  private async missingVisits(
    ws: readonly Workplace[],
    cams: Map<string, WorkplaceCamera[]>,
    calendars: Map<string, ViewingCalendar>,
    nowMs: number,
  ): Promise<number> {
    const perVisit = ws.filter((w) => {
      const m = this.modeOf(w, cams.get(w.roomId) ?? []);
      return m === 'per_visit' || m === 'both';
    });
    if (perVisit.length === 0) return 0;
    const employees = await this.repo.employees(perVisit.map((w) => w.roomId));
    const institutionIds = [...new Set(perVisit.map((w) => w.institutionId))];
    const visits = await this.repo.visitsStarted(institutionIds, iso(nowMs - 4 * DAY), iso(nowMs));
    let n = 0;
    for (const w of perVisit) {
      const cal = calendars.get(w.roomId)!;
      const today = toLocalTime(nowMs, w.timeZone).date;
      for (let back = 1; back <= 3; back++) {
        const day = addDays(today, -back);
        if (workingIntervals(cal, day).length === 0) continue;
        const from = firstInstantAtOrAfterLocal(day, 0, w.timeZone);
        const to = firstInstantAtOrAfterLocal(addDays(day, 1), 0, w.timeZone);
        const ofDay = visits.filter(
          (v) =>
            v.institution_id === w.institutionId &&
            Date.parse(v.started_at) >= from &&
            Date.parse(v.started_at) < to,
        );
        const elsewhere = ofDay.filter((v) => v.room_id !== w.roomId).length;
        if (elsewhere < this.deps.config.visits.missingMinVisits) continue;
        for (const e of employees.filter((x) => x.roomId === w.roomId)) {
          if (ofDay.some((v) => v.employee_person_id === e.personId)) continue;
          const raised = await this.deps.db.transaction().execute((trx) =>
            this.raiseFlag(trx, w, {
              code: 'visits_missing',
              cameraId: null,
              visitId: null,
              personId: e.personId,
              day,
              startedAt: iso(from),
              endedAt: iso(to),
              dedupeKey: `visits_missing:${w.roomId}:${e.personId}:${day}`,
              evidence: {
                day,
                employee: e.name,
                workingHours: cal.windows,
                visitsOfEmployee: 0,
                visitsAtOtherWorkplaces: elsewhere,
                threshold: this.deps.config.visits.missingMinVisits,
              },
              body: `${day}: у сотрудника ${e.name} (${w.name}) нет ни одного открытого приёма, а в отделе было ${elsewhere} приёмов на других местах. Возможно, приём вёлся без записи.`,
            }),
          );
          if (raised) n++;
        }
      }
    }
    return n;
  }

  /** Today's and yesterday's coverage rows (and any earlier row not final yet) from the segment index. */
  private async computeCoverage(
    ws: readonly Workplace[],
    cams: Map<string, WorkplaceCamera[]>,
    calendars: Map<string, ViewingCalendar>,
    nowMs: number,
  ): Promise<number> {
    let n = 0;
    for (const w of ws) {
      const cal = calendars.get(w.roomId)!;
      if (cal.windows.length === 0) continue;
      const today = toLocalTime(nowMs, w.timeZone).date;
      const days = [addDays(today, -1), today];
      const existing = new Map((await this.repo.coverageRows([w.roomId], days)).map((r) => [r.day, r]));
      for (const day of days) {
        if (existing.get(day)?.final === 1) continue;
        await this.coverDay(w, cams.get(w.roomId) ?? [], cal, day, nowMs);
        n++;
      }
    }
    return n;
  }

  /** Computes and stores one workplace day (exposed for the demo and tests). */
  async coverDay(
    w: Workplace,
    cams: readonly WorkplaceCamera[],
    cal: ViewingCalendar,
    day: string,
    nowMs: number,
  ): Promise<void> {
    const from = firstInstantAtOrAfterLocal(day, 0, w.timeZone);
    const to = firstInstantAtOrAfterLocal(addDays(day, 1), 0, w.timeZone);
    const working = workingIntervals(cal, day)
      .map(([a, b]): Interval => [a, Math.min(b, nowMs)])
      .filter(([a, b]) => b > a);
    const camIds = cams.map((c) => c.id);
    const spans: Interval[] = (await this.repo.segmentSpans(camIds, iso(from), iso(to))).map((s) => [
      Date.parse(s.start_at),
      Date.parse(s.end_at),
    ]);
    if (this.deps.recording.enabled)
      for (const id of camIds) {
        const p = this.deps.recording.recorder(id)?.inProgress();
        if (p) spans.push([p.startMs, p.endMs]);
      }
    const visits = (await this.repo.visitsStarted([w.institutionId], iso(from), iso(to))).filter(
      (v) => v.room_id === w.roomId,
    );
    const flagged = await this.repo.flaggedVisitIds(visits.map((v) => v.id));
    await this.repo.upsertCoverage({
      room_id: w.roomId,
      day,
      institution_id: w.institutionId,
      working_ms: totalMs(working),
      covered_ms: Math.min(totalMs(working), coveredMs(working, spans)),
      visits: visits.length,
      flagged_visits: visits.filter((v) => flagged.has(v.id)).length,
      final: to <= nowMs ? 1 : 0,
      computed_at: iso(nowMs),
    });
  }

  // ── coverage ───────────────────────────────────────────────────────────────────────────────────

  async coverage(
    caller: AuthenticatedSession,
    q: { from: string; to: string; by: CoverageBy; institutionId?: string | undefined },
  ): Promise<{ from: string; to: string; by: CoverageBy; rows: CoverageRow[] }> {
    if (!LOCAL_DAY.test(q.from) || !LOCAL_DAY.test(q.to) || q.to < q.from)
      throw new AppError('validation_failed', 'from and to must be local days YYYY-MM-DD, from not after to');
    if (Date.parse(q.to) - Date.parse(q.from) > 370 * DAY)
      throw new AppError('validation_failed', 'coverage covers at most a year at a time');
    let offices = await this.officesFor(principalOf(caller), 'coverage');
    if (offices.length === 0) throw new AppError('not_found', 'institution not found');
    if (q.institutionId) {
      offices = offices.filter((o) => o.id === q.institutionId);
      if (offices.length === 0) throw new AppError('not_found', 'institution not found');
    }
    const ids = offices.map((o) => o.id);
    const [rows, ws] = await Promise.all([this.repo.coverage(ids, q.from, q.to), this.repo.workplaces(ids)]);
    const officeName = new Map(offices.map((o) => [o.id, o.name]));
    const wName = new Map(ws.map((w) => [w.roomId, w.name]));
    const groups = new Map<string, CoverageRow & { working: number; covered: number }>();
    const add = (
      key: string,
      label: string,
      institutionId: string,
      r: { working: number; covered: number; visits: number; flagged: number },
    ) => {
      const g = groups.get(key) ?? {
        key,
        label,
        institutionId,
        institutionName: officeName.get(institutionId) ?? '—',
        workingMinutes: 0,
        coveredMinutes: 0,
        coveragePercent: null,
        visits: 0,
        flaggedVisits: 0,
        working: 0,
        covered: 0,
      };
      g.working += r.working;
      g.covered += r.covered;
      g.visits += r.visits;
      g.flaggedVisits += r.flagged;
      groups.set(key, g);
    };
    if (q.by === 'employee') {
      // An employee's coverage is their workplaces'; their visits are the visits they received.
      const employees = await this.repo.employees(ws.map((w) => w.roomId));
      const tz = offices[0]?.timeZone ?? 'Europe/Moscow';
      const visits = await this.repo.visitsByEmployee(
        ids,
        iso(firstInstantAtOrAfterLocal(q.from, 0, tz) - DAY),
        iso(firstInstantAtOrAfterLocal(addDays(q.to, 1), 0, tz) + DAY),
      );
      const instOf = new Map(ws.map((w) => [w.roomId, w.institutionId]));
      for (const e of employees) {
        const inst = instOf.get(e.roomId)!;
        for (const r of rows.filter((x) => x.room_id === e.roomId))
          add(`${e.personId}`, e.name, inst, {
            working: Number(r.working_ms),
            covered: Number(r.covered_ms),
            visits: 0,
            flagged: 0,
          });
        for (const v of visits.filter((x) => x.employee_person_id === e.personId && x.room_id === e.roomId)) {
          const office = offices.find((o) => o.id === inst)!;
          const day = toLocalTime(Date.parse(v.started_at), office.timeZone).date;
          if (day < q.from || day > q.to) continue;
          add(`${e.personId}`, e.name, inst, {
            working: 0,
            covered: 0,
            visits: 1,
            flagged: v.flagged > 0 ? 1 : 0,
          });
        }
      }
    } else
      for (const r of rows) {
        const v = {
          working: Number(r.working_ms),
          covered: Number(r.covered_ms),
          visits: r.visits,
          flagged: r.flagged_visits,
        };
        const inst = r.institution_id;
        switch (q.by) {
          case 'office':
            add(inst, officeName.get(inst) ?? '—', inst, v);
            break;
          case 'workplace':
            add(r.room_id, wName.get(r.room_id) ?? '—', inst, v);
            break;
          case 'day':
            add(`${r.day}`, r.day, ids.length === 1 ? inst : '', v);
            break;
          case 'week': {
            const wk = weekStart(r.day);
            add(wk, `неделя с ${wk}`, ids.length === 1 ? inst : '', v);
            break;
          }
        }
      }
    const out = [...groups.values()]
      .map(({ working, covered, ...g }) => ({
        ...g,
        workingMinutes: Math.round(working / 60_000),
        coveredMinutes: Math.round(covered / 60_000),
        coveragePercent: percent(covered, working),
      }))
      .sort((a, b) =>
        q.by === 'day' || q.by === 'week' ? a.key.localeCompare(b.key) : a.label.localeCompare(b.label, 'ru'),
      );
    return { from: q.from, to: q.to, by: q.by, rows: out };
  }

  /** The coverage rows (workplace × day) as CSV lines, produced one at a time for a streamed response. */
  async *coverageCsv(
    caller: AuthenticatedSession,
    q: { from: string; to: string; institutionId?: string | undefined },
  ): AsyncGenerator<string> {
    const check = await this.coverage(caller, { ...q, by: 'office' }); // validates and authorises
    const ids = [...new Set(check.rows.map((r) => r.institutionId))];
    const offices = new Map((await this.repo.offices()).map((o) => [o.id, o.name]));
    const ws = await this.repo.workplaces(ids);
    const employees = await this.repo.employees(ws.map((w) => w.roomId));
    const wById = new Map(ws.map((w) => [w.roomId, w]));
    yield (
      '\uFEFF' +
      [
        'Отдел',
        'Рабочее место',
        'Сотрудники',
        'День',
        'Рабочих минут',
        'Минут с записью',
        'Покрытие, %',
        'Приёмов',
        'Приёмов с флагами',
      ]
        .map(csvField)
        .join(';') +
      '\r\n'
    );
    // One month at a time, so a year of a region is never held in memory at once.
    for (let from = q.from; from <= q.to; from = addDays(from, 31)) {
      const to = addDays(from, 30) < q.to ? addDays(from, 30) : q.to;
      for (const r of await this.repo.coverage(ids, from, to)) {
        const w = wById.get(r.room_id);
        yield (
          [
            offices.get(r.institution_id) ?? '',
            w?.name ?? '',
            employees
              .filter((e) => e.roomId === r.room_id)
              .map((e) => e.name)
              .join(', '),
            r.day,
            Math.round(Number(r.working_ms) / 60_000),
            Math.round(Number(r.covered_ms) / 60_000),
            percent(Number(r.covered_ms), Number(r.working_ms)) ?? '',
            r.visits,
            r.flagged_visits,
          ]
            .map(csvField)
            .join(';') + '\r\n'
        );
      }
    }
  }
}

/** The Monday of a local day's week. */
export function weekStart(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const wd = (d.getUTCDay() + 6) % 7;
  return addDays(day, -wd);
}
