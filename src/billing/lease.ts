/**
 * A minimal database lease for the hourly billing job, so that with two processes it runs once an hour,
 * not once per process. It keeps its row in the lease table the attendance jobs already use
 * (`attendance_job_leases`, one atomic upsert on both engines: AttendanceRepository.tryLease), under
 * its own name. To be unified with the generic src/storage/lease.ts when that lands.
 *
 * Unlike the attendance job (which releases its lease after each run) the billing lease is held for
 * the whole hour: a process that took it runs the job; any other process asking within the hour is
 * refused, and takes over once the holder has been gone for an hour.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { AttendanceRepository } from '../storage/repositories/attendance.js';

export const BILLING_LEASE = 'billing.hourly';

/** This process's name as a lease holder. */
export function leaseHolder(): string {
  return `okno-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/** Takes (or renews) the lease for `holder` for `ms` from `now`; false when another holder has it. */
export function tryBillingLease(
  db: Kysely<Database>,
  holder: string,
  now: Date,
  ms: number,
): Promise<boolean> {
  return new AttendanceRepository(db).tryLease(
    BILLING_LEASE,
    holder,
    now.toISOString(),
    new Date(now.getTime() + ms).toISOString(),
  );
}
