/**
 * The attendance jobs (docs/design/attendance.md, "Scheduled work"), run every minute under a lease
 * in the database so that two Okno processes never run them at once:
 * - after local midnight, yesterday's attendance is aggregated (register, door counts, actuals on the
 *   meal orders) for every kindergarten; days that received late door events since the last run are
 *   aggregated again;
 * - after the cut-off, tomorrow's meal order is made final.
 * Both are idempotent: a run that dies half way is simply run again by whoever holds the lease next.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { addDays } from '../policy/local-time.js';
import type { Clock } from '../shared/clock.js';
import { AttendanceRepository, type InstitutionInfo } from '../storage/repositories/attendance.js';
import type { Database } from '../storage/schema.js';
import { computeDay, storeDay } from './aggregate.js';
import { cutoffOf, localToday } from './days.js';
import { computeOrders } from './orders.js';
import { releaseLease, tryAcquireLease } from '../storage/lease.js';

export const JOB_LEASE = 'attendance.daily';
const WATERMARK = 'attendance.aggregated-at';
const LEASE_MS = 5 * 60_000;

export interface JobsOptions {
  db: Kysely<Database>;
  clock: Clock;
  cutoffHour: number;
  log?: Pick<Logger, 'error' | 'info'>;
  tickMs?: number;
  /** who holds the lease (default: a random id of this process) */
  holder?: string;
}

export interface RunReport {
  ran: boolean;
  aggregated: number;
  ordersFinalized: number;
}

export class AttendanceJobs {
  readonly holder: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly o: JobsOptions) {
    this.holder = o.holder ?? `okno-${process.pid}-${randomUUID().slice(0, 8)}`;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err: unknown) => this.o.log?.error({ err }, 'attendance jobs failed'))
        .finally(() => (this.running = undefined));
    }, this.o.tickMs ?? 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One run, if this process gets the lease; `kindergartens` narrows it (benchmarks, tests). */
  async runOnce(kindergartens?: readonly InstitutionInfo[]): Promise<RunReport> {
    const repo = new AttendanceRepository(this.o.db);
    const now = this.o.clock.now();
    const took = await tryAcquireLease(this.o.db, JOB_LEASE, this.holder, now, LEASE_MS);
    if (!took) return { ran: false, aggregated: 0, ordersFinalized: 0 };
    try {
      return { ran: true, ...(await this.work(repo, now, kindergartens)) };
    } finally {
      await releaseLease(this.o.db, JOB_LEASE, this.holder);
    }
  }

  private async work(
    repo: AttendanceRepository,
    now: Date,
    only?: readonly InstitutionInfo[],
  ): Promise<Omit<RunReport, 'ran'>> {
    const kgs = only ?? (await repo.kindergartens());
    const last = await repo.watermark(WATERMARK);
    const nowMs = now.getTime();
    const at = now.toISOString();
    let aggregated = 0;
    let ordersFinalized = 0;
    const byZone = new Map<string, InstitutionInfo[]>();
    for (const k of kgs) byZone.set(k.timeZone, [...(byZone.get(k.timeZone) ?? []), k]);
    const todayOf = new Map<string, string>();
    for (const [zone, list] of byZone) {
      const today = localToday(nowMs, zone);
      todayOf.set(zone, today);
      if (!last || localToday(Date.parse(last), zone) < today) {
        const agg = await computeDay(
          this.o.db,
          addDays(today, -1),
          list.map((k) => k.id),
          at,
        );
        await storeDay(this.o.db, agg);
        aggregated += agg.days.length;
      }
      const tomorrow = addDays(today, 1);
      const due = list.filter((k) => nowMs >= cutoffOf(tomorrow, this.o.cutoffHour, k.timeZone).getTime());
      ordersFinalized += await computeOrders(
        { db: this.o.db, clock: this.o.clock, cutoffHour: this.o.cutoffHour },
        tomorrow,
        due,
      );
    }
    // Late door events: days before today that received events since the last run are counted again.
    if (last) {
      const zoneOf = new Map(kgs.map((k) => [k.id, k.timeZone]));
      const late = (await repo.daysWithEventsReceivedAfter(last)).filter((d) => {
        const zone = zoneOf.get(d.institution_id);
        return zone !== undefined && d.local_day < todayOf.get(zone)!;
      });
      const byDay = new Map<string, string[]>();
      for (const d of late) byDay.set(d.local_day, [...(byDay.get(d.local_day) ?? []), d.institution_id]);
      for (const [day, ids] of byDay) {
        const agg = await computeDay(this.o.db, day, ids, at);
        await storeDay(this.o.db, agg);
        aggregated += agg.days.length;
      }
    }
    await repo.setWatermark(WATERMARK, at);
    return { aggregated, ordersFinalized };
  }
}
