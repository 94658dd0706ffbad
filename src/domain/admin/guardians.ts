/**
 * Guardian links: who may watch for a child (once verified). An administrator links an existing
 * person they can see (`personId`) or names one by their identity at the OpenID provider (`person`),
 * which matches an existing person or creates one.
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import { newId } from '../../shared/ids.js';
import { authorize, authorizePerson, requireVisible } from '../scope.js';
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
import { invalid, requiredText } from './rules.js';
import type { GuardianLinkCreate, GuardianLinkPatch, GuardianLinkView } from './schemas.js';
import { guardianLinkView, pageOf } from './views.js';
import { raiseAccessWidened } from '../../alerts/access-widened.js';

export async function listGuardianLinks(
  deps: AdminDeps,
  caller: Caller,
  childId: string,
  page: PageRequest,
): Promise<Page<GuardianLinkView>> {
  const r = read(deps);
  authorize(caller.principal, 'guardian_link', 'read', await placeOf(r, 'child', childId), 'child');
  return pageOf(await r.guardianLinks.list(childId, page), guardianLinkView);
}

export async function getGuardianLink(
  deps: AdminDeps,
  caller: Caller,
  id: string,
): Promise<GuardianLinkView> {
  const r = read(deps);
  requireVisible(caller.principal, 'guardian_link', await r.places.locate('guardian_link', id));
  return guardianLinkView(found(await r.guardianLinks.find(id), 'guardian_link'));
}

export async function createGuardianLink(
  deps: IdentityDeps,
  caller: Caller,
  childId: string,
  input: GuardianLinkCreate,
): Promise<GuardianLinkView> {
  if ((input.personId === undefined) === (input.person === undefined))
    throw invalid('body', 'give exactly one of personId and person');
  const relation = requiredText('body/relation', input.relation ?? 'parent');
  return change(deps, caller, async (r, trx) => {
    const place = await placeOf(r, 'child', childId);
    const grant = authorize(caller.principal, 'guardian_link', 'create', place, 'child');
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
    const now = nowIso(deps);
    const id = newId();
    await r.guardianLinks.insert({
      id,
      person_id: personId,
      child_id: childId,
      relation,
      verified: input.verified ? 1 : 0,
      created_at: now,
      updated_at: now,
    });
    const after = guardianLinkView(found(await r.guardianLinks.find(id), 'guardian_link'));
    if (after.verified)
      await raiseAccessWidened(trx, deps.clock, {
        change: 'guardian_link_verified',
        place,
        actorPersonId: caller.principal.personId,
        body: 'Сотрудник добавил подтверждённую связь родителя с ребёнком: родитель видит камеры группы ребёнка.',
        evidence: { guardianLinkId: id, personId, childId, relation },
      });
    return {
      result: after,
      grant,
      audit: auditEvent(
        'guardian_link',
        'create',
        { id, institutionId: place.institution!.id },
        null,
        after,
        {
          personCreated,
        },
      ),
    };
  });
}

export async function updateGuardianLink(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: GuardianLinkPatch,
): Promise<GuardianLinkView> {
  const relation = patch.relation === undefined ? undefined : requiredText('body/relation', patch.relation);
  return change(deps, caller, async (r, trx) => {
    const place = await placeOf(r, 'guardian_link', id);
    const grant = authorize(caller.principal, 'guardian_link', 'update', place);
    const before = guardianLinkView(found(await r.guardianLinks.find(id), 'guardian_link'));
    const row = await r.guardianLinks.update(id, {
      relation,
      verified: patch.verified === undefined ? undefined : patch.verified ? 1 : 0,
      updated_at: nowIso(deps),
    });
    const after = guardianLinkView(found(row, 'guardian_link'));
    if (after.verified && !before.verified)
      await raiseAccessWidened(trx, deps.clock, {
        change: 'guardian_link_verified',
        place,
        actorPersonId: caller.principal.personId,
        body: 'Сотрудник подтвердил связь родителя с ребёнком: родитель видит камеры группы ребёнка.',
        evidence: { guardianLinkId: id },
      });
    return {
      result: after,
      grant,
      audit: auditEvent(
        'guardian_link',
        'update',
        { id, institutionId: place.institution!.id },
        before,
        after,
      ),
    };
  });
}

export async function deleteGuardianLink(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(deps, caller, async (r) => {
    const place = await placeOf(r, 'guardian_link', id);
    const grant = authorize(caller.principal, 'guardian_link', 'delete', place);
    const before = guardianLinkView(found(await r.guardianLinks.find(id), 'guardian_link'));
    await r.guardianLinks.delete(id);
    return {
      result: undefined,
      grant,
      audit: auditEvent(
        'guardian_link',
        'delete',
        { id, institutionId: place.institution!.id },
        before,
        null,
      ),
    };
  });
}
