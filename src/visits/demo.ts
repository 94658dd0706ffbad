/**
 * Office visits in the demo (called from src/demo/seed.ts inside its transaction): the guardianship
 * office's two workplaces get working hours (Mon–Fri 09:00–18:00) and modes (desk 1 continuous, desk 2
 * per visit), two weeks of visits, flags of every kind (some resolved with a comment, some open, each
 * with its alert) and final coverage rows for the past days — so the desk, flags and coverage screens
 * show something at first start. History has no video files: coverage is stored per day (what the
 * periodic check computes from the segment index), and today's row is computed from the real index.
 * Deterministic: the same demo every time for the same day.
 */
import type { Transaction } from 'kysely';
import { raiseAlert } from '../alerts/raise.js';
import { addDays, firstInstantAtOrAfterLocal, toLocalTime, weekdayOfDate } from '../policy/local-time.js';
import { newId } from '../shared/ids.js';
import type { Database, FlagCode, VisitorCategory } from '../storage/schema.js';
import { FLAG_LABELS } from './rules.js';

const TZ = 'Europe/Moscow';
const CATEGORIES: VisitorCategory[] = [
  'citizen',
  'guardian',
  'guardian',
  'foster_parent',
  'applicant',
  'citizen',
  'representative',
  'minor',
];

/** A small deterministic generator (mulberry32): the demo is the same on every reset. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface VisitsDemoInput {
  now: Date;
  regionId: string;
  officeId: string;
  desk1: string;
  desk2: string;
  camera1: string;
  camera2: string;
  employee1: string;
  employee2: string;
  reception: string;
  head: string;
  regional: string;
}

export async function seedVisitsDemo(trx: Transaction<Database>, d: VisitsDemoInput): Promise<void> {
  const ts = d.now.toISOString();
  const nowMs = d.now.getTime();
  const today = toLocalTime(nowMs, TZ).date;
  const at = (day: string, minute: number) => firstInstantAtOrAfterLocal(day, minute, TZ);
  const iso = (ms: number) => new Date(ms).toISOString();
  const random = rng(Number(today.replace(/-/g, '')));

  for (const room of [d.desk1, d.desk2])
    for (let wd = 1; wd <= 5; wd++)
      await trx
        .insertInto('recording_schedules')
        .values({
          id: newId(),
          room_id: room,
          weekday: wd,
          start_time: '09:00',
          end_time: '18:00',
          created_at: ts,
        })
        .execute();
  await trx
    .insertInto('workplace_settings')
    .values([
      { room_id: d.desk1, mode: 'continuous', updated_by: d.head, updated_at: iso(nowMs - 10 * 86_400_000) },
      { room_id: d.desk2, mode: 'per_visit', updated_by: d.head, updated_at: iso(nowMs - 10 * 86_400_000) },
    ])
    .execute();

  const desks = [
    {
      room: d.desk1,
      camera: d.camera1,
      employee: d.employee1,
      name: 'Кабинет 1 — приём граждан',
      camName: 'Кабинет 1',
    },
    {
      room: d.desk2,
      camera: d.camera2,
      employee: d.employee2,
      name: 'Кабинет 2 — приём граждан',
      camName: 'Кабинет 2',
    },
  ];
  type Desk = (typeof desks)[number];
  const flaggedVisits = new Set<string>();
  const flag = async (
    desk: Desk,
    f: {
      code: FlagCode;
      visitId?: string;
      personId?: string | null;
      day?: string;
      start: number;
      end: number | null;
      evidence: Record<string, unknown>;
      body: string;
      resolved?: { comment: string; by: string; afterMs: number };
      /** the key the periodic check would give it (so the check does not raise it again) */
      key?: string;
    },
  ) => {
    const id = newId();
    const key = f.key ?? `demo:${id}`;
    if (f.visitId) flaggedVisits.add(f.visitId);
    const alert = await raiseAlert(
      trx,
      { now: () => new Date(Math.min(nowMs, (f.end ?? f.start) + 60_000)) },
      {
        kind: `flag.${f.code}`,
        severity: f.code === 'visit_gap' || f.code === 'camera_dark' ? 'critical' : 'warning',
        regionId: d.regionId,
        institutionId: d.officeId,
        roomId: desk.room,
        cameraId: desk.camera,
        title: FLAG_LABELS[f.code],
        body: f.body,
        evidence: { flagId: id, visitId: f.visitId ?? null, ...f.evidence },
        dedupeKey: `flag:${key}`,
      },
    );
    const resolvedAt = f.resolved ? iso(Math.min(nowMs, (f.end ?? f.start) + f.resolved.afterMs)) : null;
    await trx
      .insertInto('visit_flags')
      .values({
        id,
        code: f.code,
        institution_id: d.officeId,
        room_id: desk.room,
        camera_id: desk.camera,
        visit_id: f.visitId ?? null,
        person_id: f.personId ?? null,
        day: f.day ?? null,
        started_at: iso(f.start),
        ended_at: f.end === null ? null : iso(f.end),
        evidence: JSON.stringify(f.evidence),
        dedupe_key: key,
        alert_id: alert.id,
        status: f.resolved ? 'resolved' : 'open',
        resolved_at: resolvedAt,
        resolved_by: f.resolved?.by ?? null,
        resolution_comment: f.resolved?.comment ?? null,
        created_at: iso(Math.min(nowMs, (f.end ?? f.start) + 60_000)),
      })
      .execute();
    if (f.resolved)
      await trx
        .updateTable('alerts')
        .set({ resolved_at: resolvedAt, resolved_by: f.resolved.by, resolution_comment: f.resolved.comment })
        .where('id', '=', alert.id)
        .execute();
  };

  // Two weeks of working days before today.
  const days: string[] = [];
  for (let back = 14; back >= 1; back--) {
    const day = addDays(today, -back);
    if (weekdayOfDate(day) <= 5) days.push(day);
  }
  const coverage: { room: string; day: string; working: number; covered: number; visits: string[] }[] = [];
  const missingDay = days[days.length - 3];
  for (const [di, day] of days.entries()) {
    for (const desk of desks) {
      const per = desk === desks[0];
      const visits: { id: string; start: number; end: number }[] = [];
      const n = desk.room === d.desk2 && day === missingDay ? 0 : 3 + Math.floor(random() * 4);
      let minute = 9 * 60 + 15 + Math.floor(random() * 30);
      for (let i = 0; i < n && minute < 17 * 60; i++) {
        const length = 12 + Math.floor(random() * 28);
        const start = at(day, minute) + Math.floor(random() * 50_000);
        const end = start + length * 60_000;
        visits.push({ id: newId(), start, end });
        minute += length + 20 + Math.floor(random() * 60);
        if (minute >= 13 * 60 && minute < 14 * 60) minute = 14 * 60 + Math.floor(random() * 20); // lunch
      }
      for (const [vi, v] of visits.entries()) {
        const tooLong = !per && di === 2 && vi === visits.length - 1;
        const end = tooLong ? v.start + 180 * 60_000 : v.end;
        await trx
          .insertInto('visits')
          .values({
            id: v.id,
            institution_id: d.officeId,
            room_id: desk.room,
            employee_person_id: desk.employee,
            opened_by: vi % 3 === 0 ? d.reception : desk.employee,
            closed_by: tooLong ? null : desk.employee,
            started_at: iso(v.start),
            ended_at: iso(end),
            pre_roll_ms: 6000,
            post_roll_ms: 10_000,
            case_ref: random() < 0.6 ? `ОП-${2026}/${100 + Math.floor(random() * 800)}` : null,
            visitor_category: CATEGORIES[Math.floor(random() * CATEGORIES.length)]!,
            status: 'closed',
            auto_closed: tooLong ? 1 : 0,
            created_at: iso(v.start),
          })
          .execute();
        await trx
          .insertInto('visit_cameras')
          .values({ visit_id: v.id, camera_id: desk.camera, manual_session_id: null, camera_state: 'live' })
          .execute();
        if (tooLong)
          await flag(desk, {
            code: 'visit_too_long',
            visitId: v.id,
            personId: desk.employee,
            start: v.start,
            end,
            evidence: { startedAt: iso(v.start), closedAt: iso(end), maxOpenMinutes: 180, autoClosed: true },
            body: `Приём на рабочем месте «${desk.name}» не был завершён за 180 мин и закрыт автоматически.`,
            resolved: {
              comment: 'Сотрудник забыл нажать «Завершить приём»; приём длился 25 минут, проведён инструктаж',
              by: d.head,
              afterMs: 20 * 3600_000,
            },
          });
      }
      // Gaps inside visits of the per-visit desk: two (one resolved, one open).
      if (!per && (di === 4 || di === days.length - 2) && visits[1]) {
        const v = visits[1];
        const gs = v.start + 7 * 60_000;
        const ge = gs + 95_000;
        await flag(desk, {
          code: 'visit_gap',
          visitId: v.id,
          personId: desk.employee,
          start: gs,
          end: ge,
          evidence: {
            visitStartedAt: iso(v.start),
            visitEndedAt: iso(v.end),
            camera: { id: desk.camera, name: desk.camName },
            gaps: [
              { start: iso(gs), end: iso(ge), cause: 'camera_offline', details: { reason: 'unreachable' } },
            ],
          },
          body: `В записи приёма на рабочем месте «${desk.name}» пропуск с ${iso(gs)} (причина: camera_offline).`,
          ...(di === 4
            ? {
                resolved: {
                  comment: 'Кратковременный сбой сети в здании, подтверждён ИТ-службой (заявка 4471)',
                  by: d.regional,
                  afterMs: 26 * 3600_000,
                },
              }
            : {}),
        });
      }
      if (!per && di === 6 && visits[0]) {
        const v = visits[0];
        await flag(desk, {
          code: 'visit_camera_offline',
          visitId: v.id,
          personId: desk.employee,
          start: v.start,
          end: null,
          evidence: {
            openedAt: iso(v.start),
            cameras: [
              {
                id: desk.camera,
                name: desk.camName,
                down: true,
                since: iso(v.start - 240_000),
                reason: 'unreachable',
              },
            ],
          },
          body: `Приём начат на рабочем месте «${desk.name}», когда камера «${desk.camName}» не работала.`,
        });
      }
      const working = at(day, 18 * 60) - at(day, 9 * 60);
      let covered = per ? working : visits.reduce((s, v) => s + (v.end - v.start) + 16_000, 0);
      // Desk 1's camera was dark for 50 minutes one afternoon.
      if (per && di === days.length - 4) {
        const ds = at(day, 15 * 60 + 10);
        const de = ds + 50 * 60_000;
        covered -= de - ds;
        await flag(desk, {
          code: 'camera_dark',
          start: ds,
          end: de,
          evidence: {
            camera: { id: desk.camera, name: desk.camName },
            start: iso(ds),
            end: iso(de),
            reason: 'unreachable',
            darkInWorkingHoursSeconds: 3000,
          },
          body: `Камера «${desk.camName}» (${desk.name}) не работала в рабочие часы с ${iso(ds)} (unreachable).`,
        });
      }
      coverage.push({
        room: desk.room,
        day,
        working,
        covered: Math.min(working, covered),
        visits: visits.map((v) => v.id),
      });
    }
  }

  // The per-visit desk's employee opened nothing on one day while desk 1 received citizens.
  if (missingDay) {
    const desk1Visits = coverage.find((c) => c.room === d.desk1 && c.day === missingDay)?.visits.length ?? 0;
    await flag(desks[1]!, {
      code: 'visits_missing',
      key: `visits_missing:${d.desk2}:${d.employee2}:${missingDay}`,
      personId: d.employee2,
      day: missingDay,
      start: at(missingDay, 0),
      end: at(addDays(missingDay, 1), 0),
      evidence: {
        day: missingDay,
        employee: 'Андрей Захаров',
        visitsOfEmployee: 0,
        visitsAtOtherWorkplaces: desk1Visits,
        threshold: 3,
      },
      body: `${missingDay}: у сотрудника Андрей Захаров (Кабинет 2 — приём граждан) нет ни одного открытого приёма, а в отделе было ${desk1Visits} приёмов на других местах.`,
    });
  }
  // The head switched desk 2 to per-visit recording ten days ago (a flag the regional operator closed).
  const changedAt = nowMs - 10 * 86_400_000;
  await flag(desks[1]!, {
    code: 'recording_changed',
    personId: d.head,
    start: changedAt,
    end: null,
    evidence: {
      changedAt: iso(changedAt),
      changedBy: 'Наталья Орлова',
      before: 'continuous',
      after: 'per_visit',
    },
    body: 'Режим записи рабочего места «Кабинет 2 — приём граждан» изменён: «Непрерывная запись в рабочие часы» → «Запись на время приёма» (Наталья Орлова).',
    resolved: {
      comment: 'Изменение согласовано приказом № 15 от начала месяца',
      by: d.regional,
      afterMs: 3 * 3600_000,
    },
  });

  for (const c of coverage)
    await trx
      .insertInto('coverage_days')
      .values({
        room_id: c.room,
        day: c.day,
        institution_id: d.officeId,
        working_ms: c.working,
        covered_ms: c.covered,
        visits: c.visits.length,
        flagged_visits: c.visits.filter((id) => flaggedVisits.has(id)).length,
        final: 1,
        computed_at: ts,
      })
      .execute();
}
