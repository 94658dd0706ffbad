/**
 * Persons as administrators see them: everyone linked to a place the caller administers (guardians and
 * subscribers of its children, holders of role bindings inside it). A person linked to several
 * institutions is changed only by someone who administers all of them (see scope.authorizePerson).
 * Persons are created where they are linked: guardian links, role bindings, the CSV import.
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import { AppError } from '../../shared/errors.js';
import { authorize, authorizePerson, reachOf } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { optionalText, requiredText } from './rules.js';
import type { PersonPatch, PersonView } from './schemas.js';
import { pageOf, personView } from './views.js';

export async function listPersons(
  deps: AdminDeps,
  caller: Caller,
  filter: { institutionId?: string | undefined },
  page: PageRequest,
): Promise<Page<PersonView>> {
  const r = read(deps);
  let reach = reachOf(caller.principal, 'person');
  if (filter.institutionId !== undefined) {
    const place = await placeOf(r, 'institution', filter.institutionId);
    authorize(caller.principal, 'person', 'read', place, 'institution');
    reach = {
      regions: [],
      institutions: [{ institutionId: filter.institutionId, kinds: [place.institution!.kind] }],
    };
  }
  return pageOf(await r.persons.list(reach, page), personView);
}

export async function getPerson(deps: AdminDeps, caller: Caller, id: string): Promise<PersonView> {
  const r = read(deps);
  authorizePerson(caller.principal, 'read', await r.places.personPlaces(id));
  return personView(found(await r.persons.find(id), 'person'));
}

export async function updatePerson(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: PersonPatch,
): Promise<PersonView> {
  const displayName =
    patch.displayName === undefined ? undefined : requiredText('body/displayName', patch.displayName);
  return change(deps, caller, async (r) => {
    const grant = authorizePerson(caller.principal, 'update', await r.places.personPlaces(id));
    if (patch.disabled === true && id === caller.principal.personId)
      throw new AppError('bad_request', 'you cannot disable yourself');
    const before = personView(found(await r.persons.find(id), 'person'));
    const row = await r.persons.update(id, {
      display_name: displayName,
      email: patch.email === undefined ? undefined : optionalText(patch.email),
      phone: patch.phone === undefined ? undefined : optionalText(patch.phone),
      disabled: patch.disabled === undefined ? undefined : patch.disabled ? 1 : 0,
      updated_at: nowIso(deps),
    });
    const after = personView(found(row, 'person'));
    return {
      result: after,
      grant,
      audit: auditEvent('person', 'update', { id, institutionId: null }, before, after),
    };
  });
}

/** Removes the person with their sessions, role bindings, guardian links and subscriptions. */
export async function deletePerson(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(deps, caller, async (r) => {
    const grant = authorizePerson(caller.principal, 'delete', await r.places.personPlaces(id));
    if (id === caller.principal.personId) throw new AppError('bad_request', 'you cannot delete yourself');
    const before = personView(found(await r.persons.find(id), 'person'));
    await r.persons.delete(id);
    return {
      result: undefined,
      grant,
      audit: auditEvent('person', 'delete', { id, institutionId: null }, before, null),
    };
  });
}
