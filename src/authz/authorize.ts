/**
 * The one authorization function (and its few companions), over the one table in ./table.ts.
 *
 * A caller acts through role bindings. A binding covers a place when its scope contains it (a region
 * — for the institution kinds its role acts in —, one institution of such a kind, or one room) and
 * its role's scopes include the binding's scope kind. What the role may then do is its row of the
 * table. Objects the caller may not even read answer 404 `not_found`, exactly as if they did not
 * exist (Immich's requireAccess); objects the caller may read but not change answer 403 `forbidden`.
 *
 * Pure: no database, no clock. Places come from src/storage/repositories/places.ts.
 */
import type { InstitutionKind, Place } from '../storage/repositories/places.js';
import type { Reach } from '../storage/repositories/reach.js';
import type { Role, ScopeKind } from '../storage/schema.js';
import { AppError, notFound } from '../shared/errors.js';
import { PERMISSIONS, type Action, type ObjectKind, type RoleRule, type VideoRights } from './table.js';

/** One role binding as the check sees it. */
export interface Binding {
  role: Role;
  scopeKind: ScopeKind;
  scopeId: string;
}

/** The caller as the check sees them. */
export interface Principal {
  personId: string;
  bindings: readonly Binding[];
}

/** The permission that allowed an action: the role is what the audit entry records. */
export interface Grant {
  role: Role;
}

const LABEL: Record<ObjectKind, string> = {
  region: 'region',
  institution: 'institution',
  closed_day: 'closed day',
  room: 'room',
  room_zone: 'room',
  camera: 'camera',
  viewing_schedule: 'viewing schedule',
  consent: 'consent entry',
  child: 'child',
  enrolment: 'enrolment',
  guardian_link: 'guardian link',
  subscription: 'subscription',
  person: 'person',
  role_binding: 'role binding',
  recording_timeline: 'camera',
  visit_recording: 'camera',
  recording_settings: 'room',
  retention: 'institution',
  camera_health: 'camera',
  audit_log: 'audit log',
  alert: 'alert',
  alert_webhook: 'webhook',
  alert_delivery: 'delivery',
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
  visit: 'workplace',
  visit_flag: 'flag',
  coverage: 'institution',
  privacy_mask: 'camera',
  citizen_request: 'citizen request',
  workplace_access_log: 'workplace',
};

export function objectNotFound(object: ObjectKind): AppError {
  return notFound(LABEL[object]);
}

/** The row of a role; none for a role this code does not know (deny by default). */
export function ruleOf(role: Role): RoleRule | undefined {
  return Object.hasOwn(PERMISSIONS, role) ? PERMISSIONS[role] : undefined;
}

/** Whether one binding's scope contains the place (for the institution kinds its role acts in). */
export function covers(b: Binding, place: Place): boolean {
  const rule = ruleOf(b.role);
  if (!rule || !rule.scopes.includes(b.scopeKind)) return false;
  const kindOk = place.institution === null || rule.kinds.includes(place.institution.kind);
  switch (b.scopeKind) {
    case 'region':
      return b.scopeId === place.regionId && kindOk;
    case 'institution':
      return place.institution !== null && place.institution.id === b.scopeId && kindOk;
    case 'room':
      return place.institution !== null && kindOk && (place.roomIds ?? []).includes(b.scopeId);
  }
}

/** Whether the role may do `action` to `object` (somewhere). */
export function roleMay(role: Role, object: ObjectKind, action: Action): boolean {
  return ruleOf(role)?.rights[object]?.includes(action) ?? false;
}

function may(b: Binding, object: ObjectKind, action: Action): boolean {
  return roleMay(b.role, object, action);
}

/** Object kinds that are not administered through the admin API (they have routes of their own). */
const OUTSIDE_ADMIN_API: ReadonlySet<string> = new Set<ObjectKind>([
  'recording_timeline',
  'visit_recording',
  'recording_settings',
  'retention',
  'camera_health',
  'audit_log',
  'alert',
  'alert_webhook',
  'alert_delivery',
  // inspections have screens of their own: rights on them alone do not make an administrator
  'guardianship_case',
  'inspection',
  'inspection_photo',
  // office visits have screens of their own (docs/design/office-visits.md)
  'visit',
  'visit_flag',
  'coverage',
  // citizens' requests and the employees' transparency screen have routes of their own
  'privacy_mask',
  'citizen_request',
  'workplace_access_log',
]);

/** Whether the caller holds any binding through which some admin-API right is exercised. */
export function isAdministrator(p: Principal): boolean {
  return p.bindings.some((b) => {
    const rule = ruleOf(b.role);
    return (
      rule !== undefined &&
      rule.scopes.includes(b.scopeKind) &&
      Object.keys(rule.rights).some((o) => !OUTSIDE_ADMIN_API.has(o))
    );
  });
}

/** Whether the caller may do `action` to objects of this kind anywhere at all (for screens and lists). */
export function mayAnywhere(p: Principal, object: ObjectKind, action: Action): boolean {
  return p.bindings.some((b) => ruleOf(b.role)?.scopes.includes(b.scopeKind) && may(b, object, action));
}

/**
 * THE check. May the caller do `action` to an `object` at `place`? Returns the grant (the role that
 * allowed it), or throws 404 when the caller may not even read such an object there, 403 when they
 * may read it but not do this. `place` undefined (the object does not exist) is 404 as well.
 * For `create` and for lists, `place` is the parent's place, and `parent` names the parent in the
 * 404 (the caller asked about the parent: "institution not found").
 */
export function authorize(
  p: Principal,
  object: ObjectKind,
  action: Action,
  place: Place | undefined,
  parent: ObjectKind = object,
): Grant {
  if (!place) throw objectNotFound(parent);
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

/** Immich's name for the same check. */
export const requireAccess = authorize;

/** Whether `authorize` would allow, without throwing. */
export function allows(p: Principal, object: ObjectKind, action: Action, place: Place | undefined): boolean {
  return place !== undefined && p.bindings.some((b) => covers(b, place) && may(b, object, action));
}

/** May the caller read the parent object at `place`? (The first step of every nested request.) */
export function requireVisible(p: Principal, object: ObjectKind, place: Place | undefined): Grant {
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
export function authorizePerson(p: Principal, action: Action, places: readonly Place[]): Grant {
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

/** The video rights of a role; none for a role this code does not know. */
export function videoRightsOf(role: Role): VideoRights {
  return ruleOf(role)?.video ?? { liveInstitutionKinds: [], liveZones: [], recordings: false };
}

/**
 * Whether `granted`'s video rights are all within `own`'s: every institution kind and zone it may
 * watch live, and recordings. A role that sees no video is within anyone's.
 */
export function videoWithin(granted: VideoRights, own: VideoRights): boolean {
  return (
    granted.liveInstitutionKinds.every((k) => own.liveInstitutionKinds.includes(k)) &&
    granted.liveZones.every((z) => own.liveZones.includes(z)) &&
    (!granted.recordings || own.recordings)
  );
}

/** Whether a role carries any video access at all. */
export function carriesVideo(role: Role): boolean {
  const v = videoRightsOf(role);
  return v.liveZones.length > 0 || v.recordings;
}

/**
 * Granting and revoking a role: the caller must administer the binding's scope and be allowed to
 * grant that role there. Nobody grants a role to themselves, and nobody grants a role that sees more
 * video than the role they grant it through. A region-wide binding may not reach institution kinds
 * the caller does not act in (a city operator cannot make a region-wide auditor who also reads
 * offices): such bindings are made by the installation (seed or CLI), not through the API.
 */
export function authorizeRoleBinding(
  p: Principal,
  action: 'create' | 'delete',
  place: Place,
  role: Role,
  target?: { personId: string },
): Grant {
  const covering = p.bindings.filter((b) => covers(b, place));
  const withinKinds = (b: Binding) =>
    place.institution !== null || (ruleOf(role)?.kinds ?? []).every((k) => ruleOf(b.role)!.kinds.includes(k));
  const eligible = covering.filter(
    (b) => may(b, 'role_binding', action) && ruleOf(b.role)!.grants.includes(role) && withinKinds(b),
  );
  if (eligible.length > 0 && action === 'create') {
    if (target?.personId === p.personId)
      throw new AppError('forbidden', 'nobody may grant a role to themselves');
    const actor = eligible.find((b) => videoWithin(videoRightsOf(role), videoRightsOf(b.role)));
    if (!actor)
      throw new AppError('forbidden', `${role} sees more video than your role: you may not grant it`);
    return { role: actor.role };
  }
  if (eligible.length > 0) return { role: eligible[0]!.role };
  if (covering.some((b) => may(b, 'role_binding', 'read')))
    throw new AppError(
      'forbidden',
      `your role may not ${action === 'create' ? 'grant' : 'revoke'} ${role} here`,
    );
  throw objectNotFound('role_binding');
}

/** Everything the caller may read objects of this kind in, for list queries. */
export function reachOf(p: Principal, object: ObjectKind, action: Action = 'read'): Reach {
  const regions: { regionId: string; kinds: readonly InstitutionKind[]; regionLevel: boolean }[] = [];
  const institutions: { institutionId: string; kinds: readonly InstitutionKind[] }[] = [];
  for (const b of p.bindings) {
    const rule = ruleOf(b.role);
    if (!rule || !may(b, object, action)) continue;
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
