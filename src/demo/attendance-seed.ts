/**
 * The attendance part of the demo (docs/design/attendance.md, "Demo"): an analytics device on
 * kindergarten №1's entrance camera, a nursery group in each kindergarten so the orders have two age
 * groups, a teacher for «Пчёлки» and an education officer for the demo city, and 60 days of synthetic
 * history — the register (with weekday, season and group-illness patterns), door counts that follow a
 * morning arrival curve and evening departures (and sometimes disagree with the register), parents'
 * notices, and each day's meal order made at its cut-off with the actual attendance next to it — so the
 * forecast and the charts show something at first start. Today's door events up to now are there too;
 * today's register is left for the teacher.
 */
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import { computeDay } from '../attendance/aggregate.js';
import { cutoffOf, localToday } from '../attendance/days.js';
import { computeOrders } from '../attendance/orders.js';
import { addDays, instantsAtLocal, weekdayOfDate } from '../policy/local-time.js';
import { newId } from '../shared/ids.js';
import { AttendanceRepository, type RegisterMarkRow } from '../storage/repositories/attendance.js';
import type { AttendanceEventRow } from '../storage/repositories/attendance-intake.js';
import type { Database } from '../storage/schema.js';

export const DEMO_HISTORY_DAYS = 60;
const TZ = 'Europe/Moscow';
const CUTOFF_HOUR = 12;

const FIRST = ['Аня', 'Артём', 'Варя', 'Глеб', 'Даша', 'Егор', 'Ева', 'Кирилл', 'Алиса', 'Максим'];
const LAST = ['Соколов', 'Павлов', 'Морозов', 'Волков', 'Зайцев', 'Фёдоров', 'Семёнов', 'Голубев'];

/** A deterministic generator, so every demo has the same history. */
function rng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Minutes after midnight of one child's arrival: most between 07:30 and 08:45, a few later. */
export function arrivalMinute(r: () => number): number {
  const u = (r() + r() + r()) / 3; // a hump
  return Math.round(7 * 60 + 15 + u * 110 + (r() < 0.05 ? 60 : 0));
}

/** Minutes after midnight of a departure: between 16:30 and 19:00, most around 17:45. */
export function departureMinute(r: () => number): number {
  const u = (r() + r() + r()) / 3;
  return Math.round(16 * 60 + 30 + u * 150);
}

export interface AttendanceDemoInput {
  now: Date;
  /** kindergarten №1, its entrance camera and «Пчёлки»; kindergarten №2 */
  kg1: string;
  kg2: string;
  entranceCameraId: string;
  teacherRoomId: string;
  stamp: { created_at: string; updated_at: string };
  bindTeacher: (roomId: string) => Promise<unknown>;
  bindEducationOfficer: () => Promise<unknown>;
}

export async function seedAttendanceDemo(trx: Transaction<Database>, d: AttendanceDemoInput): Promise<void> {
  const repo = new AttendanceRepository(trx);
  await d.bindTeacher(d.teacherRoomId);
  await d.bindEducationOfficer();

  // A nursery group in each kindergarten, with children of 2 years; some children with a diet.
  const r = rng('okno-demo-attendance');
  const room = async (institutionId: string, name: string) => {
    const id = newId();
    await trx
      .insertInto('rooms')
      .values({ id, institution_id: institutionId, kind: 'group', zone: 'common', name, ...d.stamp })
      .execute();
    return id;
  };
  const nursery1 = await room(d.kg1, 'Группа «Солнышки» (ясли)');
  const nursery2 = await room(d.kg2, 'Группа «Капельки» (ясли)');
  let n = 0;
  for (const [kg, roomId, count] of [
    [d.kg1, nursery1, 18],
    [d.kg2, nursery2, 16],
  ] as const)
    for (let i = 0; i < count; i++) {
      const id = newId();
      const first = FIRST[(n * 7) % FIRST.length]!;
      const last = LAST[(n * 3) % LAST.length]!;
      const female = /[аяь]$/.test(first) && first !== 'Никита';
      await trx
        .insertInto('children')
        .values({
          id,
          institution_id: kg,
          full_name: `${first} ${female ? last + 'а' : last}`,
          birth_date: '2024-03-01',
          external_ref: `NUR-${++n}`,
          age_group: 'nursery',
          diet: i % 9 === 4 ? 'dairy_free' : 'standard',
          ...d.stamp,
        })
        .execute();
      await trx
        .insertInto('enrolments')
        .values({
          id: newId(),
          child_id: id,
          room_id: roomId,
          start_date: '2025-09-01',
          end_date: null,
          ...d.stamp,
        })
        .execute();
    }

  const deviceId = newId();
  await trx
    .insertInto('attendance_devices')
    .values({
      id: deviceId,
      institution_id: d.kg1,
      camera_id: d.entranceCameraId,
      name: 'Счётчик посетителей (демо)',
      secret: createHash('sha256').update(`demo-device-${deviceId}`).digest('base64url'),
      enabled: 1,
      last_event_at: d.now.toISOString(),
      created_at: d.stamp.created_at,
      updated_at: d.stamp.updated_at,
    })
    .execute();

  const kgs = await repo.kindergartens({ ids: [d.kg1, d.kg2] });
  const today = localToday(d.now.getTime(), TZ);
  const events: AttendanceEventRow[] = [];
  const event = (day: string, minute: number, direction: 'in' | 'out') => {
    const at = instantsAtLocal(day, minute, TZ)[0]!;
    events.push({
      device_id: deviceId,
      device_event_id: `demo-${day}-${events.length}`,
      institution_id: d.kg1,
      camera_id: d.entranceCameraId,
      occurred_at: new Date(at).toISOString(),
      local_day: day,
      local_minute: minute,
      direction,
      count: 1,
      received_at: new Date(at + 2000).toISOString(),
      via: 'demo',
    });
  };

  for (let back = DEMO_HISTORY_DAYS; back >= 1; back--) {
    const day = addDays(today, -back);
    const wd = weekdayOfDate(day);
    if (wd > 5) continue;
    // Tomorrow's order, as the job makes it at the cut-off the day before (from the history so far).
    const atCutoff = { now: () => new Date(cutoffOf(day, CUTOFF_HOUR, TZ).getTime() + 60_000) };
    // Parents' notices (vacations, mostly), given two days ahead.
    const children = await repo.enrolled(day, { institutionIds: [d.kg1, d.kg2] });
    const notified = new Set<string>();
    for (const c of children)
      if (r() < 0.03) {
        notified.add(c.childId);
        await repo.insertNotice({
          id: newId(),
          child_id: c.childId,
          institution_id: c.institutionId,
          from_day: day,
          to_day: day,
          reason: r() < 0.7 ? 'vacation' : 'other',
          note: null,
          created_by: null,
          created_at: new Date(cutoffOf(day, CUTOFF_HOUR, TZ).getTime() - 86_400_000).toISOString(),
          cancelled_at: null,
        });
      }
    await computeOrders({ db: trx, clock: atCutoff, cutoffHour: CUTOFF_HOUR }, day, kgs);
    // The register: weekday and season patterns, and a cold going round «Солнышки» three weeks ago.
    const season = 1 + (DEMO_HISTORY_DAYS - back) / DEMO_HISTORY_DAYS / 2;
    const weekday = [0, 0.12, 0.08, 0.07, 0.08, 0.14][wd]!;
    const marks: RegisterMarkRow[] = [];
    let arrivals = 0;
    for (const c of children) {
      if (notified.has(c.childId)) continue;
      const outbreak = c.roomId === nursery1 && back >= 18 && back <= 24 ? 2.5 : 1;
      const absent = r() < weekday * season * outbreak;
      const markedAt = new Date(instantsAtLocal(day, 9 * 60 + 5, TZ)[0]!).toISOString();
      marks.push({
        child_id: c.childId,
        day,
        institution_id: c.institutionId,
        room_id: c.roomId,
        status: absent ? 'absent' : 'present',
        reason: absent ? (r() < 0.8 ? 'ill' : 'other') : null,
        marked_at: markedAt,
        marked_by: null,
        synced_at: markedAt,
      });
      if (!absent && c.institutionId === d.kg1) arrivals++;
    }
    // The history is new: one multi-row insert per day (the register's upsert goes row by row).
    if (marks.length) await trx.insertInto('register_marks').values(marks).execute();
    // The door of kindergarten №1: one crossing per child; now and then the count is off (a sibling
    // walked in, the camera missed a pair).
    const skew = back % 11 === 3 ? 5 : back % 13 === 5 ? -4 : 0;
    for (let i = 0; i < arrivals + skew; i++) {
      event(day, arrivalMinute(r), 'in');
      event(day, departureMinute(r), 'out');
    }
    const agg = await computeDay(trx, day, [d.kg1, d.kg2], atCutoff.now().toISOString());
    await repo.upsertGroupDays(agg.groups);
    await repo.upsertDays(agg.days);
    await repo.setActuals(agg.actuals);
  }
  // Today so far: the morning's arrivals up to now.
  const nowMinute = Math.floor((d.now.getTime() - instantsAtLocal(today, 0, TZ)[0]!) / 60_000);
  const todayKids = (await repo.enrolled(today, { institutionIds: [d.kg1] })).length;
  for (let i = 0; i < Math.round(todayKids * 0.9); i++) {
    const m = arrivalMinute(r);
    if (m <= nowMinute && weekdayOfDate(today) <= 5) event(today, m, 'in');
  }
  for (let i = 0; i < events.length; i += 100)
    await trx
      .insertInto('attendance_events')
      .values(events.slice(i, i + 100))
      .execute();
}
