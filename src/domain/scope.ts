/**
 * Who may administer what: the one place where the admin API decides access (docs/design/admin-api.md).
 *
 * A caller acts through role bindings. A binding of an administrative role covers the places inside its
 * scope (a region with the institution kinds the role administers, or one institution of such a kind);
 * the table below says what the role may do there, per object. Everything not in the table is refused
 * (deny by default). Objects the caller may not even read answer 404 `not_found`, exactly as if they
 * did not exist; objects the caller may read but not change answer 403 `forbidden`.
 *
 * Pure: no database, no clock. Places come from src/storage/repositories/places.ts.
 */
import type { RoleBinding } from '../identity/sessions.js';
import type { InstitutionKind, Place } from '../storage/repositories/places.js';
import type { Reach } from '../storage/repositories/reach.js';
import type { Role } from '../storage/schema.js';
import { AppError, notFound } from '../shared/errors.js';

export type AdminObject =
  | 'region'
  | 'institution'
  | 'closed_day'
  | 'room'
  | 'camera'
  | 'viewing_schedule'
  | 'consent'
  | 'child'
  | 'enrolment'
  | 'guardian_link'
  | 'subscription'
  | 'person'
  | 'role_binding'
  | 'consent_campaign'
  | 'consent_rule'
  | 'consent_template'
  | 'connection'
  | 'connection_profile'
  // attendance (docs/design/attendance.md)
  | 'attendance_device'
  | 'register_mark'
  | 'absence_notice'
  | 'meal_order'
  | 'attendance'
  // home inspections (docs/design/inspections.md): the service adds "the case's own specialist"
  // and "an inspector states a reason" on top of these rows
  | 'guardianship_case'
  | 'inspection'
  | 'inspection_photo'
  // the paid service (docs/design/billing.md)
  | 'tariff'
  | 'billing_run'
  | 'payment_import'
  | 'billing_account';

/** The objects of home inspections: rights on them alone do not make a role an administrator. */
export const INSPECTION_OBJECTS: readonly AdminObject[] = [
  'guardianship_case',
  'inspection',
  'inspection_photo',
];

export type AdminAction = 'read' | 'create' | 'update' | 'delete';

/** The caller as the scope check sees them. */
export interface Principal {
  personId: string;
  bindings: readonly RoleBinding[];
}

/** The permission that allowed an action: the role is what the audit entry records. */
export interface Grant {
  role: Role;
}

export interface AdminRoleRule {
  /** binding scopes through which the role administers (room-scoped bindings never do) */
  readonly scopes: readonly ('region' | 'institution')[];
  /** the institution kinds the role administers */
  readonly kinds: readonly InstitutionKind[];
  /** what the role may do to each object inside its scope; an absent object: nothing */
  readonly rights: Readonly<Partial<Record<AdminObject, readonly AdminAction[]>>>;
  /** the roles it may grant and revoke inside its scope */
  readonly grants: readonly Role[];
}

const READ = ['read'] as const;
const ALL = ['read', 'create', 'update', 'delete'] as const;
const INSIDE_KINDERGARTEN = {
  closed_day: ALL,
  room: ALL,
  camera: ALL,
  viewing_schedule: ALL,
  consent: ['read', 'create'],
  consent_campaign: ['read', 'create', 'update'],
  consent_rule: ['read', 'update'],
  consent_template: READ,
  connection: ['read', 'update'],
  connection_profile: READ,
  child: ALL,
  enrolment: ALL,
  guardian_link: ALL,
  subscription: ALL,
  attendance_device: ['read', 'create', 'delete'],
  register_mark: ['read', 'create'],
  absence_notice: READ,
  meal_order: ['read', 'update'],
  attendance: READ,
} as const;
const INSIDE_OFFICE = { closed_day: ALL, room: ALL, camera: ALL, viewing_schedule: ALL } as const;

/**
 * The rules. Roles absent here (employee, reception, inspector) have no admin rights at all.
 * Consents are history: entries are added, never changed or removed.
 */
export const ADMIN_RULES: Readonly<Partial<Record<Role, AdminRoleRule>>> = {
  city_operator: {
    scopes: ['region'],
    kinds: ['kindergarten'],
    rights: {
      region: ['read', 'update'],
      institution: ALL,
      ...INSIDE_KINDERGARTEN,
      person: ALL,
      role_binding: ['read', 'create', 'delete'],
      consent_template: ['read', 'create'],
      connection_profile: ['read', 'update'],
      tariff: ['read', 'create', 'update'],
      billing_run: ['read', 'create', 'update'],
      payment_import: ['read', 'create'],
      billing_account: ['read', 'create'],
    },
    grants: ['kindergarten_admin', 'auditor'],
  },
  regional_operator: {
    scopes: ['region'],
    kinds: ['office'],
    rights: {
      region: ['read', 'update'],
      institution: ALL,
      ...INSIDE_OFFICE,
      person: ALL,
      role_binding: ['read', 'create', 'delete'],
    },
    grants: ['office_head', 'employee', 'reception', 'inspector', 'auditor'],
  },
  kindergarten_admin: {
    scopes: ['institution'],
    kinds: ['kindergarten'],
    rights: {
      institution: READ,
      ...INSIDE_KINDERGARTEN,
      person: ALL,
      role_binding: READ,
      tariff: READ,
      billing_account: READ,
    },
    grants: [],
  },
  office_head: {
    scopes: ['institution'],
    kinds: ['office'],
    rights: {
      institution: READ,
      ...INSIDE_OFFICE,
      person: ALL,
      role_binding: ['read', 'create', 'delete'],
      guardianship_case: ALL,
      inspection: ['read', 'create', 'update'],
      inspection_photo: READ,
    },
    grants: ['employee', 'reception'],
  },
  // Only the case's own specialist, checked by src/inspections/access.ts on top of this row.
  specialist: {
    scopes: ['institution'],
    kinds: ['office'],
    rights: { guardianship_case: READ, inspection: ['read', 'update'], inspection_photo: ['read', 'create'] },
    grants: [],
  },
  // Always with a stated reason, checked by src/inspections/access.ts on top of this row.
  inspector: {
    scopes: ['region', 'institution'],
    kinds: ['office'],
    rights: { guardianship_case: READ, inspection: READ, inspection_photo: READ },
    grants: [],
  },
  auditor: {
    scopes: ['region', 'institution'],
    kinds: ['kindergarten', 'office'],
    rights: {
      region: READ,
      institution: READ,
      closed_day: READ,
      room: READ,
      camera: READ,
      viewing_schedule: READ,
      consent: READ,
      consent_campaign: READ,
      consent_rule: READ,
      consent_template: READ,
      connection: READ,
      connection_profile: READ,
      child: READ,
      enrolment: READ,
      guardian_link: READ,
      subscription: READ,
      person: READ,
      role_binding: READ,
      attendance_device: READ,
      register_mark: READ,
      absence_notice: READ,
      meal_order: READ,
      attendance: READ,
      tariff: READ,
      billing_run: READ,
      payment_import: READ,
      billing_account: READ,
    },
    grants: [],
  },
  // The city's education department: attendance and meal orders of the region's kindergartens, read only.
  // (Teachers are room-scoped and so outside this table: src/attendance/access.ts.)
  education_officer: {
    scopes: ['region'],
    kinds: ['kindergarten'],
    rights: { institution: READ, attendance: READ, meal_order: READ, register_mark: READ },
    grants: [],
  },
};

const LABEL: Record<AdminObject, string> = {
  region: 'region',
  institution: 'institution',
  closed_day: 'closed day',
  room: 'room',
  camera: 'camera',
  viewing_schedule: 'viewing schedule',
  consent: 'consent entry',
  child: 'child',
  enrolment: 'enrolment',
  guardian_link: 'guardian link',
  subscription: 'subscription',
  person: 'person',
  role_binding: 'role binding',
  consent_campaign: 'consent campaign',
  consent_rule: 'consent rule',
  consent_template: 'consent template',
  connection: 'connection',
  connection_profile: 'connection profile',
  attendance_device: 'analytics device',
  register_mark: 'register',
  absence_notice: 'absence notice',
  meal_order: 'meal order',
  attendance: 'attendance',
  guardianship_case: 'guardianship case',
  inspection: 'inspection',
  inspection_photo: 'photo',
  tariff: 'tariff',
  billing_run: 'billing run',
  payment_import: 'payment import',
  billing_account: 'billing account',
};

export function objectNotFound(object: AdminObject): AppError {
  return notFound(LABEL[object]);
}

function ruleOf(b: RoleBinding): AdminRoleRule | undefined {
  return ADMIN_RULES[b.role];
}

/** Whether one binding's scope contains the place (for the institution kinds its role administers). */
export function covers(b: RoleBinding, place: Place): boolean {
  const rule = ruleOf(b);
  if (!rule) return false;
  switch (b.scopeKind) {
    case 'region':
      return (
        rule.scopes.includes('region') &&
        b.scopeId === place.regionId &&
        (place.institution === null || rule.kinds.includes(place.institution.kind))
      );
    case 'institution':
      return (
        rule.scopes.includes('institution') &&
        place.institution !== null &&
        place.institution.id === b.scopeId &&
        rule.kinds.includes(place.institution.kind)
      );
    case 'room':
      return false;
  }
}

function may(b: RoleBinding, object: AdminObject, action: AdminAction): boolean {
  return ruleOf(b)?.rights[object]?.includes(action) ?? false;
}

/** Whether the caller holds any binding through which some admin right (not inspections) is exercised. */
export function isAdministrator(p: Principal): boolean {
  return p.bindings.some((b) => {
    const rule = ruleOf(b);
    return (
      rule !== undefined &&
      (rule.scopes as readonly string[]).includes(b.scopeKind) &&
      Object.entries(rule.rights).some(
        ([object, actions]) => !INSPECTION_OBJECTS.includes(object as AdminObject) && actions.length > 0,
      )
    );
  });
}

/**
 * May the caller do `action` to an `object` at `place`? Returns the grant, or throws 404 when the
 * caller may not even read such an object there, 403 when they may read it but not do this.
 * For `create` and for lists, `place` is the parent's place, and `parent` names the parent in the
 * 404 (the caller asked about the parent: "institution not found").
 */
export function authorize(
  p: Principal,
  object: AdminObject,
  action: AdminAction,
  place: Place,
  parent: AdminObject = object,
): Grant {
  const covering = p.bindings.filter((b) => covers(b, place));
  const actor = covering.find((b) => may(b, object, action));
  if (actor) return { role: actor.role };
  if (action !== 'read' && covering.some((b) => may(b, object, 'read')))
    throw new AppError(
      'forbidden',
      `your role may not ${action} ${action === 'create' ? 'a' : 'this'} ${LABEL[object]}`,
    );
  throw objectNotFound(parent);
}

/** May the caller read the parent object at `place`? (The first step of every nested request.) */
export function requireVisible(p: Principal, object: AdminObject, place: Place | undefined): Grant {
  if (!place) throw objectNotFound(object);
  return authorize(p, object, 'read', place);
}

/**
 * Creating an institution of `kind` in a region: the caller must see the region (else 404 for the
 * region) and administer institutions of that kind there (else 403).
 */
export function authorizeNewInstitution(p: Principal, regionPlace: Place, kind: InstitutionKind): Grant {
  authorize(p, 'region', 'read', regionPlace);
  const prospective: Place = { regionId: regionPlace.regionId, institution: { id: '', kind } };
  const actor = p.bindings.find(
    (b) => b.scopeKind === 'region' && covers(b, prospective) && may(b, 'institution', 'create'),
  );
  if (actor) return { role: actor.role };
  throw new AppError('forbidden', `your role may not create a ${kind} in this region`);
}

/**
 * Persons live wherever they are linked (children's institutions, role-binding scopes). The caller may
 * read a person linked to any place they may read persons at, and change one only when every place
 * the person is linked to is theirs to change, so no administrator changes someone another one
 * also answers for. A person linked nowhere is out of everybody's reach.
 */
export function authorizePerson(p: Principal, action: AdminAction, places: readonly Place[]): Grant {
  const readable = places.flatMap((pl) =>
    p.bindings.filter((b) => covers(b, pl) && may(b, 'person', 'read')),
  );
  if (readable.length === 0) throw objectNotFound('person');
  if (action === 'read') return { role: readable[0]!.role };
  let role: Role | undefined;
  for (const pl of places) {
    const b = p.bindings.find((x) => covers(x, pl) && may(x, 'person', action));
    if (!b)
      throw new AppError('forbidden', `the person is also linked elsewhere: you may not ${action} them`);
    role ??= b.role;
  }
  return { role: role! };
}

/**
 * The institution kinds a binding of the role reaches when it is scoped to a whole region (its admin
 * rights, or for staff roles its access to video and visits; see src/policy/roles.ts).
 */
export const REGION_REACH: Readonly<Record<Role, readonly InstitutionKind[]>> = {
  city_operator: ['kindergarten'],
  kindergarten_admin: ['kindergarten'],
  regional_operator: ['office'],
  office_head: ['office'],
  employee: ['office'],
  reception: ['office'],
  auditor: ['kindergarten', 'office'],
  inspector: ['kindergarten', 'office'],
  teacher: ['kindergarten'],
  specialist: ['office'],
  education_officer: ['kindergarten'],
};

/**
 * Granting and revoking a role: the caller must administer the binding's scope and be allowed to
 * grant that role there. A region-wide binding may not reach institution kinds the caller does not
 * administer (a city operator cannot make a region-wide auditor who also reads offices): such
 * bindings are made by the installation (seed or CLI), not through the API.
 */
export function authorizeRoleBinding(
  p: Principal,
  action: 'create' | 'delete',
  place: Place,
  role: Role,
): Grant {
  const covering = p.bindings.filter((b) => covers(b, place));
  const withinKinds = (b: RoleBinding) =>
    place.institution !== null || REGION_REACH[role].every((k) => ruleOf(b)!.kinds.includes(k));
  const actor = covering.find(
    (b) => may(b, 'role_binding', action) && ruleOf(b)!.grants.includes(role) && withinKinds(b),
  );
  if (actor) return { role: actor.role };
  if (covering.some((b) => may(b, 'role_binding', 'read')))
    throw new AppError(
      'forbidden',
      `your role may not ${action === 'create' ? 'grant' : 'revoke'} ${role} here`,
    );
  throw objectNotFound('role_binding');
}

/** Everything the caller may read objects of this kind in, for list queries. */
export function reachOf(p: Principal, object: AdminObject): Reach {
  const regions: { regionId: string; kinds: readonly InstitutionKind[]; regionLevel: boolean }[] = [];
  const institutions: { institutionId: string; kinds: readonly InstitutionKind[] }[] = [];
  for (const b of p.bindings) {
    const rule = ruleOf(b);
    if (!rule || !may(b, object, 'read')) continue;
    if (b.scopeKind === 'region' && rule.scopes.includes('region'))
      regions.push({ regionId: b.scopeId, kinds: rule.kinds, regionLevel: true });
    else if (b.scopeKind === 'institution' && rule.scopes.includes('institution'))
      institutions.push({ institutionId: b.scopeId, kinds: rule.kinds });
  }
  return { regions, institutions };
}

/** Region ids whose region-level objects (the region itself) the caller may read. */
export function readableRegionIds(p: Principal): string[] {
  return [
    ...new Set(
      reachOf(p, 'region')
        .regions.filter((r) => r.regionLevel)
        .map((r) => r.regionId),
    ),
  ];
}
