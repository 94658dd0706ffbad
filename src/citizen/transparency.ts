/**
 * Transparency for employees (issue 13, item 6; docs/design/citizen-requests.md, "Transparency"):
 * an employee sees their own workplace's recording schedule (each camera's mode, the working hours,
 * the closed days), what was recorded (time ranges), and who watched, exported or otherwise took
 * the picture of their workplace, with the reason they stated — read from the audit log, so it is
 * exactly what was recorded about each access and cannot be left out.
 *
 * "Their own workplace" is a room their role binding names (employee or reception, room scope).
 * The same view of any workplace is open to the office head and auditors (the `workplace_access_log`
 * row of src/authz/table.ts).
 */
import type { Kysely } from 'kysely';
import { allows, authorize } from '../authz/index.js';
import { principalOf } from '../authz/places.js';
import type { AuthenticatedSession } from '../identity/sessions.js';
import type { RecordingService } from '../recording/service.js';
import { timelineOf } from '../recording/timeline.js';
import type { Clock } from '../shared/clock.js';
import { PlacesRepository } from '../storage/repositories/places.js';
import { VISITOR_LABELS } from '../visits/rules.js';
import type { VisitsRepository } from '../storage/repositories/visits.js';
import type { Database } from '../storage/schema.js';

/** Audit actions that are someone looking at, copying or handing out the workplace's picture. */
export const ACCESS_ACTIONS: Readonly<Record<string, string>> = {
  'recording.playback': 'просмотр записи',
  'recording.export': 'выгрузка записи (подписанный пакет)',
  'citizen_request.produce': 'копия записи по запросу гражданина (чужие лица скрыты)',
  'citizen_request.download': 'скачивание копии по запросу гражданина',
  'citizen_request.handover': 'передача копии гражданину',
  'privacy_mask.snapshot': 'кадр камеры для разметки закрытых зон',
  'grant.live': 'просмотр в реальном времени',
};

export const ROLE_NAMES: Readonly<Record<string, string>> = {
  inspector: 'инспектор',
  office_head: 'руководитель учреждения',
  regional_operator: 'региональный оператор',
  auditor: 'аудитор',
  employee: 'сотрудник',
  reception: 'регистратура',
  specialist: 'специалист',
};

export const MODE_NAMES: Readonly<Record<string, string>> = {
  off: 'запись выключена',
  continuous: 'непрерывная запись',
  schedule: 'запись в рабочие часы',
  manual: 'запись на время приёма',
};

export interface WorkplaceVisit {
  id: string;
  openedAt: string;
  closedAt: string | null;
  /** the recorded range: pre-roll before the opening to post-roll after the closing */
  recorded: { from: string; to: string | null };
  caseRef: string | null;
  visitorCategory: string;
  visitorCategoryLabel: string;
  employee: string | null;
  autoClosed: boolean;
}

/** The visits recorded at a workplace in [fromIso, toIso), newest first. */
export type VisitsOfWorkplace = (roomId: string, fromIso: string, toIso: string) => Promise<WorkplaceVisit[]>;
export const noVisits: VisitsOfWorkplace = async () => [];

/** The office visits (src/visits/) of the workplace, read from the visits repository. */
export function visitsOfWorkplace(repo: VisitsRepository): VisitsOfWorkplace {
  return async (roomId, fromIso, toIso) => {
    const rows = await repo.visitsOverlapping({ roomIds: [roomId] }, fromIso, toIso, 500);
    const names = await repo.personNames(
      rows.flatMap((r) => (r.employee_person_id ? [r.employee_person_id] : [])),
    );
    return rows.map((r) => ({
      id: r.id,
      openedAt: r.started_at,
      closedAt: r.ended_at,
      recorded: {
        from: new Date(Date.parse(r.started_at) - Number(r.pre_roll_ms)).toISOString(),
        to: r.ended_at ? new Date(Date.parse(r.ended_at) + Number(r.post_roll_ms)).toISOString() : null,
      },
      caseRef: r.case_ref,
      visitorCategory: r.visitor_category,
      visitorCategoryLabel: VISITOR_LABELS[r.visitor_category],
      employee: r.employee_person_id ? (names.get(r.employee_person_id) ?? null) : null,
      autoClosed: r.auto_closed === 1,
    }));
  };
}

export class WorkplaceTransparency {
  private readonly places: PlacesRepository;

  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      clock: Clock;
      recording: RecordingService;
      visits?: VisitsOfWorkplace;
    },
  ) {
    this.places = new PlacesRepository(deps.db);
  }

  /** The workplaces the caller's own room bindings name (the employee's «Моё рабочее место»). */
  async mine(caller: AuthenticatedSession) {
    const p = principalOf(caller);
    const roomIds = [...new Set(caller.roles.filter((b) => b.scopeKind === 'room').map((b) => b.scopeId))];
    if (roomIds.length === 0) return [];
    const rooms = await this.deps.db
      .selectFrom('rooms')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .select(['rooms.id', 'rooms.name', 'rooms.kind', 'institutions.name as institution_name'])
      .where('rooms.id', 'in', roomIds)
      .orderBy('rooms.name')
      .execute();
    const out = [];
    for (const r of rooms)
      if (allows(p, 'workplace_access_log', 'read', await this.places.room(r.id)))
        out.push({ id: r.id, name: r.name, kind: r.kind, institutionName: r.institution_name });
    return out;
  }

  async workplace(caller: AuthenticatedSession, roomId: string, days = 14) {
    const place = await this.places.room(roomId);
    authorize(principalOf(caller), 'workplace_access_log', 'read', place, 'room');
    const db = this.deps.db;
    const nowMs = this.deps.clock.now().getTime();
    const fromMs = nowMs - days * 86_400_000;
    const room = await db
      .selectFrom('rooms')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .select([
        'rooms.id',
        'rooms.name',
        'institutions.id as institution_id',
        'institutions.name as institution_name',
        'institutions.time_zone',
      ])
      .where('rooms.id', '=', roomId)
      .executeTakeFirstOrThrow();
    const today = new Date(nowMs).toISOString().slice(0, 10);
    const [cameras, windows, closed] = await Promise.all([
      db
        .selectFrom('cameras')
        .select(['id', 'name', 'recording_policy', 'enabled'])
        .where('room_id', '=', roomId)
        .orderBy('name')
        .execute(),
      db
        .selectFrom('recording_schedules')
        .select(['weekday', 'start_time', 'end_time'])
        .where('room_id', '=', roomId)
        .orderBy('weekday')
        .orderBy('start_time')
        .execute(),
      db
        .selectFrom('closed_days')
        .select(['day', 'reason'])
        .where('institution_id', '=', room.institution_id)
        .where('day', '>=', today)
        .orderBy('day')
        .limit(60)
        .execute(),
    ]);
    const rec = this.deps.recording;
    const recordings = await Promise.all(
      cameras.map(async (c) => {
        const [segments, gaps] = await Promise.all([
          rec.segmentsOverlapping(c.id, fromMs, nowMs),
          rec.repo.gapsOverlapping(c.id, fromMs, nowMs),
        ]);
        const tl = timelineOf(segments, gaps, fromMs, nowMs, nowMs, rec.recorder(c.id)?.inProgress());
        return { cameraId: c.id, spans: tl.spans, recordingNow: tl.recording !== null };
      }),
    );
    const access = await this.accessLog(cameras.map((c) => c.id));
    const visits = await (this.deps.visits ?? noVisits)(
      roomId,
      new Date(fromMs).toISOString(),
      new Date(nowMs).toISOString(),
    );
    return {
      room: { id: room.id, name: room.name },
      institution: { id: room.institution_id, name: room.institution_name, timeZone: room.time_zone },
      period: { from: new Date(fromMs).toISOString(), to: new Date(nowMs).toISOString(), days },
      cameras: cameras.map((c) => ({
        id: c.id,
        name: c.name,
        mode: c.recording_policy,
        modeText: MODE_NAMES[c.recording_policy] ?? c.recording_policy,
        enabled: c.enabled === 1,
      })),
      workingHours: windows.map((w) => ({ weekday: w.weekday, start: w.start_time, end: w.end_time })),
      closedDays: closed.map((d) => ({ day: d.day, reason: d.reason })),
      recordings,
      visits,
      access,
    };
  }

  /** Who looked at or took the picture of these cameras, newest first, from the audit log. */
  private async accessLog(cameraIds: string[]) {
    if (cameraIds.length === 0) return [];
    const rows = await this.deps.db
      .selectFrom('audit_log')
      .leftJoin('persons', 'persons.id', 'audit_log.actor_person_id')
      .select([
        'audit_log.seq',
        'audit_log.at',
        'audit_log.action',
        'audit_log.actor_person_id',
        'audit_log.actor_role',
        'audit_log.target_id',
        'audit_log.details',
        'persons.display_name',
      ])
      .where('audit_log.target_kind', '=', 'camera')
      .where('audit_log.target_id', 'in', cameraIds)
      .where('audit_log.action', 'in', Object.keys(ACCESS_ACTIONS))
      .where('audit_log.decision', '=', 'allow')
      .orderBy('audit_log.seq', 'desc')
      .limit(300)
      .execute();
    return rows.map((r) => {
      let d: Record<string, unknown> = {};
      try {
        d = r.details ? (JSON.parse(r.details) as Record<string, unknown>) : {};
      } catch {
        d = {};
      }
      const str = (k: string): string | null => {
        const v = d[k];
        return typeof v === 'string' ? v : null;
      };
      return {
        at: r.at,
        action: r.action,
        actionText: ACCESS_ACTIONS[r.action] ?? r.action,
        cameraId: r.target_id,
        person: { id: r.actor_person_id, name: r.display_name ?? 'система' },
        role: r.actor_role,
        roleText: r.actor_role ? (ROLE_NAMES[r.actor_role] ?? r.actor_role) : null,
        reason: str('statedReason') ?? str('reference'),
        range: str('from') && str('to') ? { from: str('from')!, to: str('to')! } : null,
      };
    });
  }
}
