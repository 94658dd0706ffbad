/**
 * What the paid service's operations get (the database, the clock and the two billing settings) and
 * small helpers shared by them. Writes go through `change()` of the admin pipeline: authorize, write
 * and audit (with before/after) in one transaction.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../storage/schema.js';
import type { Place } from '../storage/repositories/places.js';
import { PlacesRepository } from '../storage/repositories/places.js';
import { objectNotFound, type AdminObject } from '../domain/scope.js';
import type { AuditEvent } from '../audit/audit-log.js';

export interface BillingDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** a charge unpaid after this day of the next month suspends the subscription (config billing.graceDay) */
  graceDay: number;
  /** parents are told this many days before a free pilot ends (config billing.pilotNoticeDays) */
  pilotNoticeDays: number;
}

/** The UTC date and month of now: the day the region-wide checks and the tariff rules count from. */
export function todayUtc(deps: Pick<BillingDeps, 'clock'>): string {
  return deps.clock.now().toISOString().slice(0, 10);
}

export function regionPlace(regionId: string): Place {
  return { regionId, institution: null };
}

export async function institutionPlace(
  db: Kysely<Database>,
  id: string,
  object: AdminObject,
): Promise<Place> {
  const p = await new PlacesRepository(db).institution(id);
  if (!p || p.institution?.kind !== 'kindergarten') throw objectNotFound(object);
  return p;
}

export async function regionExists(db: Kysely<Database>, id: string): Promise<boolean> {
  return (await db.selectFrom('regions').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/** A `billing.<object>.<verb>` audit event with before/after. */
export function moneyEvent(
  object: string,
  verb: string,
  target: { id: string; institutionId: string | null },
  before: unknown,
  after: unknown,
  extra: Record<string, unknown> = {},
): AuditEvent {
  return {
    action: `billing.${object}.${verb}`,
    targetKind: object,
    targetId: target.id,
    institutionId: target.institutionId,
    details: { before: before ?? null, after: after ?? null, ...extra },
  };
}
