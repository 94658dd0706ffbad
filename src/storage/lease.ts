/**
 * Named leases: of several Okno processes on one database, only the holder of a job's lease runs it.
 * A lease is one `leases` row (name, holder, expiry). Taking it is ONE statement on both engines —
 * insert, or on conflict update only where the row has expired or is already ours — so two processes
 * racing for it cannot both succeed (the database serialises the row). A holder renews before the
 * expiry; a holder that dies simply stops renewing and another process takes over after the expiry.
 *
 * Reusable by any periodic job: `tryAcquireLease`/`releaseLease` for one-shot use, `LeasedLoop` for a
 * job that runs every few seconds while this process holds the lease (the alert delivery worker).
 * Used by the alert delivery worker, the hourly billing job and the nightly attendance job.
 */
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../shared/clock.js';
import type { Database } from './schema.js';

/**
 * Takes (or renews) lease `name` for `holder` until `now + ttlMs` when it is free, expired or already
 * `holder`'s. True when `holder` holds it afterwards.
 */
export async function tryAcquireLease(
  db: Kysely<Database>,
  name: string,
  holder: string,
  now: Date,
  ttlMs: number,
): Promise<boolean> {
  const nowIso = now.toISOString();
  const until = new Date(now.getTime() + ttlMs).toISOString();
  const r = await db
    .insertInto('leases')
    .values({ name, holder, acquired_at: nowIso, expires_at: until })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet((eb) => ({
          holder,
          expires_at: until,
          // a renewal keeps the time the holder first took it
          acquired_at: eb
            .case()
            .when('leases.holder', '=', holder)
            .then(eb.ref('leases.acquired_at'))
            .else(nowIso)
            .end(),
        }))
        .where((eb) => eb.or([eb('leases.expires_at', '<=', nowIso), eb('leases.holder', '=', holder)])),
    )
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Gives the lease up at once (only if `holder` holds it), so another process need not wait out the expiry. */
export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}

/** Who holds lease `name` (possibly expired), for status screens and tests. */
export async function leaseHolder(
  db: Kysely<Database>,
  name: string,
): Promise<{ holder: string; acquiredAt: string; expiresAt: string } | undefined> {
  const r = await db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
  return r ? { holder: r.holder, acquiredAt: r.acquired_at, expiresAt: r.expires_at } : undefined;
}

/** A holder id unique to this process (host-independent: a random id with the pid for logs). */
export function processHolderId(): string {
  return `${process.pid}-${randomUUID().slice(0, 8)}`;
}

export interface LeasedLoopOptions {
  db: Kysely<Database>;
  clock: Clock;
  /** the lease's name, e.g. 'alerts.delivery' */
  name: string;
  /** default: processHolderId() */
  holder?: string;
  /** how long one take of the lease lasts; renewed every run (default 15 s) */
  ttlMs?: number;
  /** how often `run` is called while holding the lease (and how often a non-holder retries) */
  periodMs: number;
  /** one run of the job; only called while this process holds the lease */
  run: (lease: { holder: string; stillHeld: () => boolean }) => Promise<void>;
  log?: Pick<Logger, 'error' | 'info'>;
}

/**
 * Runs a job every `periodMs` while this process holds the lease; retries taking it every period
 * otherwise. Runs never overlap; `wake()` starts the next run at once (e.g. when work arrives
 * in-process). `stop()` waits for a run in progress and releases the lease.
 */
export class LeasedLoop {
  readonly holder: string;
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;
  private heldUntilMs = 0;
  /** whether the last attempt to take the lease succeeded */
  held = false;

  constructor(private readonly opts: LeasedLoopOptions) {
    this.holder = opts.holder ?? processHolderId();
    this.ttlMs = opts.ttlMs ?? 15_000;
    if (this.ttlMs <= opts.periodMs * 2) throw new Error('lease ttl must be longer than two periods');
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Run as soon as possible (coalesced with a run in progress). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** One run now (tests, CLI); resolves when it is done. */
  async runOnce(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.tick();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running) await this.running;
    if (this.held) {
      this.held = false;
      await releaseLease(this.opts.db, this.opts.name, this.holder).catch(() => undefined);
    }
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      if (this.running) return this.schedule(this.opts.periodMs);
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        const now = this.again;
        this.again = false;
        this.schedule(now ? 0 : this.opts.periodMs);
      });
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const now = this.opts.clock.now();
    try {
      const got = await tryAcquireLease(this.opts.db, this.opts.name, this.holder, now, this.ttlMs);
      if (got !== this.held)
        this.opts.log?.info({ lease: this.opts.name, holder: this.holder, held: got }, 'lease');
      this.held = got;
      if (!got) return;
      this.heldUntilMs = now.getTime() + this.ttlMs;
      await this.opts.run({
        holder: this.holder,
        // a run that outlasts its lease must stop taking new work (another process may have it now)
        stillHeld: () => !this.stopped && this.opts.clock.now().getTime() < this.heldUntilMs - 1000,
      });
    } catch (err) {
      this.opts.log?.error({ err, lease: this.opts.name }, 'leased job failed');
    }
  }
}
