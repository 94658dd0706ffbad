/**
 * Role bindings: granting and revoking roles. Which role may be bound to which scope is fixed here
 * (ROLE_SCOPES); who may grant which role where is fixed in the one table, src/authz/table.ts (`grants`; never to
 * oneself, never a role with more video than one's own). Grants of a role with video raise an alert.
 * A binding is never changed: revoke it and grant another.
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import type { InstitutionKind, Place } from '../../storage/repositories/places.js';
import type { Role, ScopeKind } from '../../storage/schema.js';
import { newId } from '../../shared/ids.js';
import { raiseAlert } from '../../alerts/raise.js';
import {
  authorize,
  authorizePerson,
  authorizeRoleBinding,
  carriesVideo,
  objectNotFound,
  reachOf,
  requireVisible,
} from '../scope.js';
import {
  auditEvent,
  change,
  found,
  nowIso,
  placeOf,
  read,
  type AdminDeps,
  type Caller,
  type IdentityDeps,
} from './context.js';
import { matchOrCreatePerson } from './persons-identity.js';
import { invalid } from './rules.js';
import type { RoleBindingCreate, RoleBindingView } from './schemas.js';
import { pageOf, roleBindingView } from './views.js';

/** Where each role can be bound: scope kinds and, below region level, institution kinds. */
export const ROLE_SCOPES: Readonly<
  Record<Role, { scopes: readonly ScopeKind[]; kinds: readonly InstitutionKind[] }>
> = {
  city_operator: { scopes: ['region'], kinds: [] },
  regional_operator: { scopes: ['region'], kinds: [] },
  auditor: { scopes: ['region', 'institution'], kinds: ['kindergarten', 'office'] },
  inspector: { scopes: ['region', 'institution'], kinds: ['kindergarten', 'office'] },
  kindergarten_admin: { scopes: ['institution'], kinds: ['kindergarten'] },
  office_head: { scopes: ['institution'], kinds: ['office'] },
  employee: { scopes: ['institution', 'room'], kinds: ['office'] },
  reception: { scopes: ['institution', 'room'], kinds: ['office'] },
  teacher: { scopes: ['room'], kinds: ['kindergarten'] },
  specialist: { scopes: ['institution'], kinds: ['office'] },
  education_officer: { scopes: ['region'], kinds: [] },
};

function checkRoleScope(role: Role, scopeKind: ScopeKind, place: Place): void {
  const allowed = ROLE_SCOPES[role];
  if (!allowed.scopes.includes(scopeKind))
    throw invalid('body/scopeKind', `${role} is bound to a ${allowed.scopes.join(' or ')}`);
  if (place.institution && !allowed.kinds.includes(place.institution.kind))
    throw invalid('body/scopeId', `${role} is not bound inside a ${place.institution.kind}`);
}

const SCOPE_OBJECT = { region: 'region', institution: 'institution', room: 'room' } as const;

export async function listRoleBindings(
  deps: AdminDeps,
  caller: Caller,
  filter: { personId?: string | undefined; scopeKind?: ScopeKind | undefined; scopeId?: string | undefined },
  page: PageRequest,
): Promise<Page<RoleBindingView>> {
  const r = read(deps);
  if ((filter.scopeKind === undefined) !== (filter.scopeId === undefined))
    throw invalid('querystring', 'give scopeKind and scopeId together');
  if (filter.personId !== undefined)
    authorizePerson(caller.principal, 'read', await r.places.personPlaces(filter.personId));
  let scope: { kind: ScopeKind; id: string } | undefined;
  if (filter.scopeKind !== undefined && filter.scopeId !== undefined) {
    const place = await r.places.scope(filter.scopeKind, filter.scopeId);
    if (!place) throw objectNotFound(SCOPE_OBJECT[filter.scopeKind]);
    authorize(caller.principal, 'role_binding', 'read', place, SCOPE_OBJECT[filter.scopeKind]);
    scope = { kind: filter.scopeKind, id: filter.scopeId };
  }
  const reach = reachOf(caller.principal, 'role_binding');
  return pageOf(
    await r.roleBindings.list({ reach, personId: filter.personId, scope }, page),
    roleBindingView,
  );
}

export async function getRoleBinding(deps: AdminDeps, caller: Caller, id: string): Promise<RoleBindingView> {
  const r = read(deps);
  requireVisible(caller.principal, 'role_binding', await r.places.locate('role_binding', id));
  return roleBindingView(found(await r.roleBindings.find(id), 'role_binding'));
}

export async function createRoleBinding(
  deps: IdentityDeps,
  caller: Caller,
  input: RoleBindingCreate,
): Promise<RoleBindingView> {
  if ((input.personId === undefined) === (input.person === undefined))
    throw invalid('body', 'give exactly one of personId and person');
  return change(deps, caller, async (r, trx) => {
    const place = await r.places.scope(input.scopeKind, input.scopeId);
    if (!place) throw objectNotFound(SCOPE_OBJECT[input.scopeKind]);
    requireVisible(caller.principal, SCOPE_OBJECT[input.scopeKind], place);
    checkRoleScope(input.role, input.scopeKind, place);
    const grant = authorizeRoleBinding(caller.principal, 'create', place, input.role);
    let personId: string;
    let personCreated = false;
    if (input.personId !== undefined) {
      authorizePerson(caller.principal, 'read', await r.places.personPlaces(input.personId));
      personId = input.personId;
    } else {
      const m = await matchOrCreatePerson(r, deps.issuer, input.person!, nowIso(deps));
      personId = m.person.id;
      personCreated = m.created;
    }
    // Nobody grants a role to themselves (also when named by their login rather than their id).
    authorizeRoleBinding(caller.principal, 'create', place, input.role, { personId });
    if (carriesVideo(input.role))
      await raiseAlert(trx, deps.clock, {
        kind: 'access.role_with_video_granted',
        severity: 'warning',
        regionId: place.regionId,
        institutionId: place.institution?.id ?? null,
        roomId: input.scopeKind === 'room' ? input.scopeId : null,
        actorPersonId: caller.principal.personId,
        title: 'Выдана роль с доступом к видео',
        body: `Роль «${input.role}» с доступом к видео выдана (${input.scopeKind} ${input.scopeId}).`,
        evidence: {
          personId,
          role: input.role,
          scopeKind: input.scopeKind,
          scopeId: input.scopeId,
          grantedAs: grant.role,
        },
      });
    const row = await r.roleBindings.insert({
      id: newId(),
      person_id: personId,
      role: input.role,
      scope_kind: input.scopeKind,
      scope_id: input.scopeId,
      created_at: nowIso(deps),
    });
    const after = roleBindingView(row);
    return {
      result: after,
      grant,
      audit: auditEvent(
        'role_binding',
        'create',
        { id: row.id, institutionId: place.institution?.id ?? null },
        null,
        after,
        {
          personCreated,
        },
      ),
    };
  });
}

export async function deleteRoleBinding(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(deps, caller, async (r) => {
    const place = await placeOf(r, 'role_binding', id);
    const row = found(await r.roleBindings.find(id), 'role_binding');
    const grant = authorizeRoleBinding(caller.principal, 'delete', place, row.role);
    await r.roleBindings.delete(id);
    const before = roleBindingView(row);
    return {
      result: undefined,
      grant,
      audit: auditEvent(
        'role_binding',
        'delete',
        { id, institutionId: place.institution?.id ?? null },
        before,
        null,
      ),
    };
  });
}
