/**
 * Institutions (kindergartens and offices): created, changed and removed by the operator of their
 * region for their kind; read by the institution's own administrator and by auditors. Kind and region
 * never change (rooms, children and bindings depend on them); create a new institution instead.
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import type { InstitutionRow } from '../../storage/repositories/institutions.js';
import { newId } from '../../shared/ids.js';
import { authorize, authorizeNewInstitution, reachOf, requireVisible } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { canonicalTimeZone, invalid, requiredText } from './rules.js';
import type { InstitutionCreate, InstitutionPatch, InstitutionView } from './schemas.js';
import { institutionView, pageOf } from './views.js';

function timeZone(field: string, tz: string): string {
  const canonical = canonicalTimeZone(tz.trim());
  if (!canonical) throw invalid(field, 'not an IANA time zone (for example Europe/Moscow)');
  return canonical;
}

export async function listInstitutions(
  deps: AdminDeps,
  caller: Caller,
  filter: { regionId?: string | undefined; kind?: InstitutionRow['kind'] | undefined },
  page: PageRequest,
): Promise<Page<InstitutionView>> {
  const reach = reachOf(caller.principal, 'institution');
  return pageOf(await read(deps).institutions.list({ reach, ...filter }, page), institutionView);
}

export async function getInstitution(deps: AdminDeps, caller: Caller, id: string): Promise<InstitutionView> {
  const r = read(deps);
  requireVisible(caller.principal, 'institution', await r.places.locate('institution', id));
  return institutionView(found(await r.institutions.find(id), 'institution'));
}

export async function createInstitution(
  deps: AdminDeps,
  caller: Caller,
  input: InstitutionCreate,
): Promise<InstitutionView> {
  const name = requiredText('body/name', input.name);
  const tz = timeZone('body/timeZone', input.timeZone);
  return change(deps, caller, async (r) => {
    const regionPlace = await placeOf(r, 'region', input.regionId);
    const grant = authorizeNewInstitution(caller.principal, regionPlace, input.kind);
    const now = nowIso(deps);
    const row = await r.institutions.insert({
      id: newId(),
      region_id: input.regionId,
      kind: input.kind,
      name,
      time_zone: tz,
      free_pilot: input.freePilot ? 1 : 0,
      monthly_fee_minor: input.monthlyFeeMinor ?? null,
      consent_required: (input.consentRequired ?? input.kind === 'kindergarten') ? 1 : 0,
      created_at: now,
      updated_at: now,
    });
    const after = institutionView(row);
    return {
      result: after,
      grant,
      audit: auditEvent('institution', 'create', { id: row.id, institutionId: row.id }, null, after),
    };
  });
}

export async function updateInstitution(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: InstitutionPatch,
): Promise<InstitutionView> {
  const name = patch.name === undefined ? undefined : requiredText('body/name', patch.name);
  const tz = patch.timeZone === undefined ? undefined : timeZone('body/timeZone', patch.timeZone);
  return change(deps, caller, async (r) => {
    const grant = authorize(caller.principal, 'institution', 'update', await placeOf(r, 'institution', id));
    const before = institutionView(found(await r.institutions.find(id), 'institution'));
    const row = await r.institutions.update(id, {
      name,
      time_zone: tz,
      free_pilot: patch.freePilot === undefined ? undefined : patch.freePilot ? 1 : 0,
      monthly_fee_minor: patch.monthlyFeeMinor,
      consent_required: patch.consentRequired === undefined ? undefined : patch.consentRequired ? 1 : 0,
      updated_at: nowIso(deps),
    });
    const after = institutionView(found(row, 'institution'));
    return {
      result: after,
      grant,
      audit: auditEvent('institution', 'update', { id, institutionId: id }, before, after),
    };
  });
}

export async function deleteInstitution(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(
    deps,
    caller,
    async (r) => {
      const grant = authorize(caller.principal, 'institution', 'delete', await placeOf(r, 'institution', id));
      const before = institutionView(found(await r.institutions.find(id), 'institution'));
      await r.institutions.delete(id);
      // Role bindings have no foreign key (their scope is polymorphic): remove those scoped here.
      const bindings = await r.roleBindings.deleteScoped('institution', id);
      return {
        result: undefined,
        grant,
        audit: auditEvent('institution', 'delete', { id, institutionId: id }, before, null, {
          roleBindingsRemoved: bindings,
        }),
      };
    },
    { foreignKey: 'the institution still has rooms or children: remove them first' },
  );
}
