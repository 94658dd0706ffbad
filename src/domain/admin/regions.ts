/**
 * Regions: read and renamed by their operators. Regions are the root of tenancy and no role binding
 * scopes above them, so they are created and removed by the installation (the demo seed; a CLI command is still to come),
 * not through the admin API.
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import { authorize, readableRegionIds, requireVisible } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { requiredText } from './rules.js';
import type { RegionPatch, RegionView } from './schemas.js';
import { pageOf, regionView } from './views.js';

export async function listRegions(
  deps: AdminDeps,
  caller: Caller,
  page: PageRequest,
): Promise<Page<RegionView>> {
  return pageOf(await read(deps).regions.list(readableRegionIds(caller.principal), page), regionView);
}

export async function getRegion(deps: AdminDeps, caller: Caller, id: string): Promise<RegionView> {
  const r = read(deps);
  requireVisible(caller.principal, 'region', await r.places.locate('region', id));
  return regionView(found(await r.regions.find(id), 'region'));
}

export async function updateRegion(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: RegionPatch,
): Promise<RegionView> {
  const name = requiredText('body/name', patch.name);
  return change(deps, caller, async (r) => {
    const grant = authorize(caller.principal, 'region', 'update', await placeOf(r, 'region', id));
    const before = regionView(found(await r.regions.find(id), 'region'));
    const after = regionView(found(await r.regions.update(id, { name, updated_at: nowIso(deps) }), 'region'));
    return {
      result: after,
      grant,
      audit: auditEvent('region', 'update', { id, institutionId: null }, before, after),
    };
  });
}
