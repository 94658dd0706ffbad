/**
 * Attendance benchmarks (issue 15):
 *
 * 1. Door-event intake over real HTTP (keep-alive, 8 concurrent devices) on the demo app: signed
 *    batches of 50 events (an analytics box or a device sending its backlog: the normal shape) and
 *    single-event requests, with every event new (each is stored). Events/s at capacity (devices
 *    sending back to back), then the request latency while 5,000 events/s arrive on schedule (open
 *    loop). Goal: ≥ 5,000 events/s, and p99 ≤ 20 ms at that rate, on SQLite; PostgreSQL printed.
 * 2. The nightly work for 2,000 kindergartens (4 groups × 20 children each: 160,000 children, a
 *    register of yesterday, door events, 4 weeks of aggregated history): yesterday's aggregation and
 *    tomorrow's final meal orders in one job run. Goal: ≤ 10 s.
 */
import http from 'node:http';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/storage/schema.js';
import { signBody } from '../src/attendance/signature.js';
import { AttendanceJobs } from '../src/attendance/jobs.js';
import { cutoffOf, localToday } from '../src/attendance/days.js';
import { addDays } from '../src/policy/local-time.js';
import { newId } from '../src/shared/ids.js';
import { openDatabase, migrateToLatest } from '../src/storage/db.js';
import { startOkno } from './lib/okno.js';
import type { Figure } from './lib/report.js';
import { distribution, summarize } from './lib/stats.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The goal's rate: the p99 latency is measured while this many events a second arrive. */
const PACED_EVENTS_PER_S = 5000;

export interface IntakeOptions {
  /** events per repetition */
  events: number;
  repetitions: number;
  concurrency: number;
}

function post(
  agent: http.Agent,
  host: string,
  body: string,
  headers: Record<string, string>,
): Promise<number> {
  const [hostname, port] = host.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, hostname, port: Number(port), path: '/api/attendance/events', method: 'POST', headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function benchIntake(database: 'sqlite' | 'postgres', opts: IntakeOptions): Promise<Figure[]> {
  const okno = await startOkno({ database, listen: true, overrides: { 'attendance.jobs': false } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  try {
    const device = await okno.db.kysely
      .selectFrom('attendance_devices')
      .select(['id', 'secret'])
      .executeTakeFirstOrThrow();
    let seq = 0;
    const figures: Figure[] = [];
    for (const perRequest of [50, 1]) {
      const rates: number[] = [];
      const latencies: number[] = [];
      for (let rep = 0; rep < opts.repetitions; rep++) {
        const requests = Math.ceil(opts.events / perRequest);
        let next = 0;
        const t0 = performance.now();
        const worker = async () => {
          while (next < requests) {
            next++;
            const events = [];
            for (let i = 0; i < perRequest; i++)
              events.push({ eventId: `b-${++seq}`, at: new Date().toISOString(), direction: 'in' });
            const body = JSON.stringify({ events });
            const ts = Math.floor(Date.now() / 1000);
            const s = performance.now();
            const status = await post(agent, okno.host!, body, {
              'content-type': 'application/json',
              'x-okno-device': device.id,
              'x-okno-timestamp': String(ts),
              'x-okno-signature': signBody(device.secret, ts, body),
            });
            latencies.push(performance.now() - s);
            if (status !== 200) throw new Error(`intake answered ${status}`);
          }
        };
        await Promise.all(Array.from({ length: opts.concurrency }, worker));
        rates.push((requests * perRequest) / ((performance.now() - t0) / 1000));
      }
      const d = distribution(latencies);
      figures.push({
        id: `attendance.intake.${database}.batch${perRequest}`,
        title: `door-event intake, ${perRequest === 1 ? 'one event' : `${perRequest} events`} per request (${database})`,
        unit: 'events/s',
        summary: summarize(rates),
        over: `${opts.repetitions} runs of ${opts.events} events, ${opts.concurrency} concurrent devices`,
        extra: { p50Ms: d.p50, p99Ms: d.p99, maxMs: d.max },
        ...(perRequest === 50 && database === 'sqlite'
          ? { goal: { on: 'median', op: '>=' as const, value: 5000 } }
          : {}),
        notes:
          perRequest === 50 && database === 'sqlite'
            ? [
                'capacity: 8 devices sending back to back (closed loop); its latency is queueing behind',
                'the other devices, the p99 goal is measured at the goal rate (the paced figure below)',
              ]
            : [],
      });
    }
    // Latency at the goal's rate: 5,000 events/s offered as 100 requests of 50 events a second, sent
    // on schedule whether or not earlier ones have answered (open loop), each timed from when it was
    // due to go out (so a stall counts against every request it delays).
    const p99s: number[] = [];
    const achieved: number[] = [];
    const paced: number[] = [];
    const perRequest = 50;
    const interval = 1000 / (PACED_EVENTS_PER_S / perRequest);
    for (let rep = 0; rep < opts.repetitions; rep++) {
      const requests = Math.ceil(opts.events / perRequest);
      const latencies: number[] = [];
      const inFlight: Promise<void>[] = [];
      const t0 = performance.now();
      for (let r = 0; r < requests; r++) {
        const due = t0 + r * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        const events = [];
        for (let i = 0; i < perRequest; i++)
          events.push({ eventId: `p-${++seq}`, at: new Date().toISOString(), direction: 'in' });
        const body = JSON.stringify({ events });
        const ts = Math.floor(Date.now() / 1000);
        inFlight.push(
          post(agent, okno.host!, body, {
            'content-type': 'application/json',
            'x-okno-device': device.id,
            'x-okno-timestamp': String(ts),
            'x-okno-signature': signBody(device.secret, ts, body),
          }).then((status) => {
            latencies.push(performance.now() - due);
            if (status !== 200) throw new Error(`intake answered ${status}`);
          }),
        );
      }
      await Promise.all(inFlight);
      achieved.push((requests * perRequest) / ((performance.now() - t0) / 1000));
      const d = distribution(latencies);
      p99s.push(d.p99);
      paced.push(...latencies);
    }
    const all = distribution(paced);
    figures.push({
      id: `attendance.intake.${database}.paced`,
      title: `door-event intake at ${PACED_EVENTS_PER_S.toLocaleString('en')} events/s offered, p99 latency (${database})`,
      unit: 'ms',
      summary: summarize(p99s),
      over: `${opts.repetitions} runs of ${opts.events} events in requests of ${perRequest}, open loop`,
      extra: { eventsPerS: summarize(achieved).median, p50Ms: all.p50, maxMs: all.max },
      ...(database === 'sqlite' ? { goal: { on: 'median', op: '<=' as const, value: 20 } } : {}),
    });
    return figures;
  } finally {
    agent.destroy();
    await okno.close();
  }
}

export interface NightlyOptions {
  kindergartens: number;
  repetitions: number;
}

/**
 * Builds the nightly benchmark's city straight through multi-row inserts: `kindergartens` kindergartens
 * of 4 groups × 20 children, yesterday's register and door events, and 4 weeks of aggregated history.
 */
export async function seedCity(
  k: Kysely<Database>,
  kindergartens: number,
  now: Date,
): Promise<{ children: number; zone: string; today: string }> {
  const ts = now.toISOString();
  const stamp = { created_at: ts, updated_at: ts };
  const zone = 'Europe/Moscow';
  const today = localToday(now.getTime(), zone);
  const yesterday = addDays(today, -1);
  const regionId = newId();
  await k
    .insertInto('regions')
    .values({ id: regionId, name: 'Bench city', ...stamp })
    .execute();
  const insert = async (
    table:
      | 'institutions'
      | 'rooms'
      | 'children'
      | 'enrolments'
      | 'register_marks'
      | 'attendance_group_days'
      | 'attendance_events'
      | 'attendance_devices'
      | 'cameras',
    rows: Record<string, unknown>[],
  ) => {
    const cols = Object.keys(rows[0] ?? {}).length || 1;
    const per = Math.floor(30000 / cols);
    await k.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += per)
        await trx
          .insertInto(table)
          .values(rows.slice(i, i + per))
          .execute();
    });
  };
  const kgs: Record<string, unknown>[] = [];
  const rooms: Record<string, unknown>[] = [];
  const children: Record<string, unknown>[] = [];
  const enrolments: Record<string, unknown>[] = [];
  const marks: Record<string, unknown>[] = [];
  const history: Record<string, unknown>[] = [];
  const cameras: Record<string, unknown>[] = [];
  const devices: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  let r = 12345;
  const rand = () => (r = (r * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < kindergartens; i++) {
    const kg = newId();
    kgs.push({
      id: kg,
      region_id: regionId,
      kind: 'kindergarten',
      name: `Детский сад ${i}`,
      time_zone: zone,
      free_pilot: 0,
      monthly_fee_minor: null,
      consent_required: 1,
      ...stamp,
    });
    const entrance = newId();
    rooms.push({
      id: entrance,
      institution_id: kg,
      kind: 'entrance',
      zone: 'common',
      name: 'Вход',
      ...stamp,
    });
    const cam = newId();
    cameras.push({
      id: cam,
      room_id: entrance,
      name: 'Вход',
      source_url: 'demo:x',
      source_username: null,
      source_password: null,
      rtsp_transport: 'tcp',
      enabled: 1,
      audio_allowed: 0,
      recording_policy: 'off',
      ...stamp,
    });
    const dev = newId();
    devices.push({
      id: dev,
      institution_id: kg,
      camera_id: cam,
      name: 'c',
      secret: 's',
      enabled: 1,
      last_event_at: null,
      ...stamp,
    });
    let arrivals = 0;
    for (let g = 0; g < 4; g++) {
      const room = newId();
      rooms.push({
        id: room,
        institution_id: kg,
        kind: 'group',
        zone: 'common',
        name: `Группа ${g}`,
        ...stamp,
      });
      for (let c = 0; c < 20; c++) {
        const child = newId();
        children.push({
          id: child,
          institution_id: kg,
          full_name: `Ребёнок ${c}`,
          birth_date: null,
          external_ref: null,
          age_group: g === 0 ? 'nursery' : 'kindergarten',
          diet: c === 7 ? 'dairy_free' : 'standard',
          ...stamp,
        });
        enrolments.push({
          id: newId(),
          child_id: child,
          room_id: room,
          start_date: '2025-09-01',
          end_date: null,
          ...stamp,
        });
        const absent = rand() < 0.12;
        if (!absent) arrivals++;
        marks.push({
          child_id: child,
          day: yesterday,
          institution_id: kg,
          room_id: room,
          status: absent ? 'absent' : 'present',
          reason: absent ? 'ill' : null,
          marked_at: ts,
          marked_by: null,
          synced_at: ts,
        });
      }
      for (let back = 2; back <= 29; back++)
        history.push({
          room_id: room,
          day: addDays(today, -back),
          institution_id: kg,
          enrolled: 20,
          present: 17,
          absent_notified: 1,
          absent_unannounced: 2,
          ill: 1,
          unmarked: 0,
          computed_at: ts,
        });
    }
    for (let e = 0; e < arrivals; e++)
      events.push({
        device_id: dev,
        device_event_id: `e${e}`,
        institution_id: kg,
        camera_id: cam,
        occurred_at: ts,
        local_day: yesterday,
        local_minute: 480 + e,
        direction: 'in',
        count: 1,
        received_at: ts,
        via: 'demo',
      });
  }
  await insert('institutions', kgs);
  await insert('rooms', rooms);
  await insert('cameras', cameras);
  await insert('attendance_devices', devices);
  await insert('children', children);
  await insert('enrolments', enrolments);
  await insert('register_marks', marks);
  await insert('attendance_group_days', history);
  await insert('attendance_events', events);
  return { children: children.length, zone, today };
}

/** Seeds the city (seedCity), then times the job's run. */
export async function benchNightly(opts: NightlyOptions): Promise<Figure[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'okno-bench-attendance-'));
  const db = openDatabase({ sqlitePath: path.join(dir, 'okno.db') });
  try {
    await migrateToLatest(db);
    const k = db.kysely;
    const now = new Date();
    const city = await seedCity(k, opts.kindergartens, now);
    const { zone, today } = city;
    const tomorrow = addDays(today, 1);
    const afterCutoff = {
      now: () => new Date(Math.max(Date.now(), cutoffOf(tomorrow, 12, zone).getTime() + 1000)),
    };
    const seconds: number[] = [];
    let report = { aggregated: 0, ordersFinalized: 0 };
    for (let rep = 0; rep < opts.repetitions; rep++) {
      await sql`delete from attendance_job_leases`.execute(k);
      await sql`delete from leases`.execute(k);
      await sql`delete from meal_orders`.execute(k);
      const jobs = new AttendanceJobs({ db: k, clock: afterCutoff, cutoffHour: 12 });
      const t0 = performance.now();
      const r2 = await jobs.runOnce();
      seconds.push((performance.now() - t0) / 1000);
      report = r2;
    }
    return [
      {
        id: 'attendance.nightly',
        title: `nightly aggregation and meal orders, ${opts.kindergartens} kindergartens (SQLite)`,
        unit: 's',
        summary: summarize(seconds),
        over: `${opts.repetitions} runs; ${city.children} children, ${report.aggregated} kindergarten-days aggregated, ${report.ordersFinalized} orders made final`,
        goal: { on: 'median', op: '<=', value: 10 },
      },
    ];
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
