/**
 * Recognises constraint violations from either database and names them in one vocabulary, so the
 * domain can answer `conflict` with a message a person understands. SQLite (better-sqlite3) reports
 * `SQLITE_CONSTRAINT_*` codes with the columns in the message; PostgreSQL reports SQLSTATE codes with
 * the constraint name. Both report the enrolment-overlap trigger by its message `enrolment_overlap`.
 */

/** Every unique rule of the schema that a user can run into, by a stable name. */
export type UniqueRule =
  | 'regions.name'
  | 'institutions.region_name'
  | 'closed_days.institution_day'
  | 'rooms.institution_name'
  | 'persons.identity'
  | 'role_bindings.binding'
  | 'children.institution_external_ref'
  | 'guardian_links.person_child'
  | 'subscriptions.person_child';

const UNIQUE_RULES: readonly { rule: UniqueRule; postgres: string; sqlite: string }[] = [
  { rule: 'regions.name', postgres: 'regions_name_key', sqlite: 'regions.name' },
  {
    rule: 'institutions.region_name',
    postgres: 'institutions_region_name_uq',
    sqlite: 'institutions.region_id, institutions.name',
  },
  {
    rule: 'closed_days.institution_day',
    postgres: 'closed_days_uq',
    sqlite: 'closed_days.institution_id, closed_days.day',
  },
  {
    rule: 'rooms.institution_name',
    postgres: 'rooms_institution_name_uq',
    sqlite: 'rooms.institution_id, rooms.name',
  },
  { rule: 'persons.identity', postgres: 'persons_identity_uq', sqlite: 'persons.issuer, persons.subject' },
  {
    rule: 'role_bindings.binding',
    postgres: 'role_bindings_uq',
    sqlite: 'role_bindings.person_id, role_bindings.role, role_bindings.scope_kind, role_bindings.scope_id',
  },
  {
    rule: 'children.institution_external_ref',
    postgres: 'children_external_ref_uq',
    sqlite: 'children.institution_id, children.external_ref',
  },
  {
    rule: 'guardian_links.person_child',
    postgres: 'guardian_links_uq',
    sqlite: 'guardian_links.person_id, guardian_links.child_id',
  },
  {
    rule: 'subscriptions.person_child',
    postgres: 'subscriptions_uq',
    sqlite: 'subscriptions.person_id, subscriptions.child_id',
  },
];

export type ConstraintViolation =
  | { kind: 'unique'; rule: UniqueRule | null }
  | { kind: 'foreign_key' }
  | { kind: 'check' }
  | { kind: 'not_null' }
  | { kind: 'enrolment_overlap' }
  | { kind: 'restricted_room_guard' };

interface DriverError {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
}

/** The violation behind a database error, or null when the error is something else. */
export function constraintViolation(err: unknown): ConstraintViolation | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as DriverError;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (message.includes('enrolment_overlap')) return { kind: 'enrolment_overlap' };
  if (message.includes('restricted_room_guard')) return { kind: 'restricted_room_guard' };
  // PostgreSQL (SQLSTATE class 23: integrity constraint violation)
  switch (code) {
    case '23505': {
      const name = typeof e.constraint === 'string' ? e.constraint : '';
      return { kind: 'unique', rule: UNIQUE_RULES.find((u) => u.postgres === name)?.rule ?? null };
    }
    case '23503':
      return { kind: 'foreign_key' };
    case '23514':
      return { kind: 'check' };
    case '23502':
      return { kind: 'not_null' };
    case '23P01':
      return { kind: 'enrolment_overlap' };
  }
  // SQLite (better-sqlite3 extended result codes)
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const columns = message.replace(/^UNIQUE constraint failed: /, '');
    return { kind: 'unique', rule: UNIQUE_RULES.find((u) => u.sqlite === columns)?.rule ?? null };
  }
  // A restricting foreign key can surface as SQLITE_CONSTRAINT_TRIGGER: the message is what is stable.
  if (
    code === 'SQLITE_CONSTRAINT_FOREIGNKEY' ||
    (code.startsWith('SQLITE_CONSTRAINT') && message === 'FOREIGN KEY constraint failed')
  )
    return { kind: 'foreign_key' };
  if (code === 'SQLITE_CONSTRAINT_CHECK') return { kind: 'check' };
  if (code === 'SQLITE_CONSTRAINT_NOTNULL') return { kind: 'not_null' };
  return null;
}
