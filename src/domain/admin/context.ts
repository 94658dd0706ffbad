/**
 * What every admin service gets (the database and the clock, nothing else) and the one way they
 * change data: `change()` runs authorization and the write in one transaction, appends the audit
 * entry in that same transaction (the change commits with its audit entry, or neither does), and
 * turns constraint violations from either database into a `conflict` with a readable message.
 */
import type { Kysely, Transaction } from 'kysely';
import { appendAudit, type AuditContext, type AuditEvent } from '../../audit/audit-log.js';
import type { Clock } from '../../shared/clock.js';
import { AppError } from '../../shared/errors.js';
import { adminRepositories, type AdminRepositories } from '../../storage/repositories/admin.js';
import { constraintViolation, type UniqueRule } from '../../storage/repositories/constraints.js';
import type { Place, PlacedObject } from '../../storage/repositories/places.js';
import type { Database } from '../../storage/schema.js';
import { accessChanged, accessChangeOfAudit } from '../../streams/access-events.js';
import { objectNotFound, type AdminObject, type Grant, type Principal } from '../scope.js';

export interface AdminDeps {
  db: Kysely<Database>;
  clock: Clock;
}

/** For services that create persons: the issuer logins present (see persons-identity.ts). */
export interface IdentityDeps extends AdminDeps {
  issuer: string;
}

/** The caller of an admin operation: who they are, and the audit context for a role they act in. */
export interface Caller {
  principal: Principal;
  audit(role: string): AuditContext;
}

const UNIQUE_MESSAGES: Record<UniqueRule, string> = {
  'regions.name': 'a region with this name already exists',
  'institutions.region_name': 'an institution with this name already exists in the region',
  'closed_days.institution_day': 'this day is already marked as closed',
  'rooms.institution_name': 'a room with this name already exists in the institution',
  'persons.identity': 'a person with this identity (issuer and subject) already exists',
  'role_bindings.binding': 'the person already holds this role in this scope',
  'children.institution_external_ref': 'a child with this reference already exists in the kindergarten',
  'guardian_links.person_child': 'the person is already a guardian of this child',
  'subscriptions.person_child': 'the person already has a subscription for this child',
};

export interface ConflictMessages {
  /** what a foreign-key violation means for this operation (typically: still in use) */
  foreignKey?: string;
}

/** The `conflict` error for a constraint violation, or null if `err` is not one. */
export function conflictFor(err: unknown, messages: ConflictMessages = {}): AppError | null {
  const v = constraintViolation(err);
  if (!v) return null;
  switch (v.kind) {
    case 'unique':
      return new AppError('conflict', v.rule ? UNIQUE_MESSAGES[v.rule] : 'such an object already exists');
    case 'foreign_key':
      return new AppError(
        'conflict',
        messages.foreignKey ?? 'the object is still in use, or refers to an object that no longer exists',
      );
    case 'enrolment_overlap':
      return new AppError('conflict', 'the enrolment overlaps another enrolment of the same child');
    case 'restricted_room_guard':
      return new AppError(
        'conflict',
        'a restricted room stays restricted: cameras keep their zone, and only the city operator changes the zone of a room with cameras, with a reason',
      );
    case 'check':
    case 'not_null':
      return new AppError('conflict', 'the values break a rule of the database');
  }
}

export interface Changed<T> {
  result: T;
  grant: Grant;
  audit: AuditEvent;
}

/** Runs `work` in a transaction and appends its audit entry there; see the module comment. */
export async function change<T>(
  deps: AdminDeps,
  caller: Caller,
  work: (r: AdminRepositories, trx: Transaction<Database>) => Promise<Changed<T>>,
  messages: ConflictMessages = {},
): Promise<T> {
  try {
    let event: AuditEvent | undefined;
    const result = await deps.db.transaction().execute(async (trx) => {
      const { result, grant, audit } = await work(adminRepositories(trx), trx);
      await appendAudit(trx, caller.audit(grant.role), audit, deps.clock.now());
      event = audit;
      return result;
    });
    // Committed: open streams the change touches are re-checked now (src/streams/access-events.ts).
    if (event) accessChanged(accessChangeOfAudit(event));
    return result;
  } catch (err) {
    throw conflictFor(err, messages) ?? err;
  }
}

/** Reads without a transaction. */
export function read(deps: AdminDeps): AdminRepositories {
  return adminRepositories(deps.db);
}

export function nowIso(deps: AdminDeps): string {
  return deps.clock.now().toISOString();
}

/** `admin.<object>.<verb>` audit event with before/after views. */
export function auditEvent(
  object: string,
  verb: 'create' | 'update' | 'delete',
  target: { id: string; institutionId: string | null },
  before: unknown,
  after: unknown,
  extra: Record<string, unknown> = {},
): AuditEvent {
  return {
    action: `admin.${object}.${verb}`,
    targetKind: object,
    targetId: target.id,
    institutionId: target.institutionId,
    details: { before: before ?? null, after: after ?? null, ...extra },
  };
}

/** The place of an existing object, or 404 for it. */
export async function placeOf(r: AdminRepositories, object: PlacedObject, id: string): Promise<Place> {
  const place = await r.places.locate(object, id);
  if (!place) throw objectNotFound(object);
  return place;
}

/** Rows that the place lookup found must exist; a miss means a concurrent delete: answer 404. */
export function found<T>(row: T | undefined, object: AdminObject): T {
  if (row === undefined) throw objectNotFound(object);
  return row;
}
