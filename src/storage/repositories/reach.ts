/**
 * A caller's reach as list queries filter by it: whole regions (for some institution kinds, and
 * optionally the region-level objects themselves) plus single institutions. Computed from role
 * bindings by src/domain/scope.ts; turned into SQL here.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { InstitutionKind } from './places.js';

export interface Reach {
  regions: readonly {
    regionId: string;
    /** institution kinds of the region in reach */
    kinds: readonly InstitutionKind[];
    /** whether the region itself and region-scoped objects (role bindings) are in reach */
    regionLevel: boolean;
  }[];
  /** single institutions in reach, each only if it is of one of the kinds */
  institutions: readonly { institutionId: string; kinds: readonly InstitutionKind[] }[];
}

export const NO_REACH: Reach = { regions: [], institutions: [] };

export function isEmptyReach(r: Reach): boolean {
  return r.regions.length === 0 && r.institutions.length === 0;
}

const FALSE = sql<SqlBool>`1 = 0`;

/** `institutions` rows in reach, given the qualified names of their id, region and kind columns. */
export function institutionInReach(
  reach: Reach,
  cols: { id: string; regionId: string; kind: string },
): RawBuilder<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = [];
  for (const r of reach.regions) {
    if (r.kinds.length === 0) continue;
    parts.push(
      sql<SqlBool>`(${sql.ref(cols.regionId)} = ${r.regionId} and ${sql.ref(cols.kind)} in (${sql.join([...r.kinds])}))`,
    );
  }
  for (const i of reach.institutions) {
    if (i.kinds.length === 0) continue;
    parts.push(
      sql<SqlBool>`(${sql.ref(cols.id)} = ${i.institutionId} and ${sql.ref(cols.kind)} in (${sql.join([...i.kinds])}))`,
    );
  }
  return parts.length === 0 ? FALSE : sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
}

/** Subquery text: the ids of institutions in reach. */
export function institutionIdsInReach(reach: Reach): RawBuilder<unknown> {
  return sql`select i.id from institutions i where ${institutionInReach(reach, {
    id: 'i.id',
    regionId: 'i.region_id',
    kind: 'i.kind',
  })}`;
}

/** Region ids whose region level is in reach. */
export function regionLevelIds(reach: Reach): string[] {
  return reach.regions.filter((r) => r.regionLevel).map((r) => r.regionId);
}

/** A role binding (given its scope columns) whose scope lies in reach. */
export function bindingScopeInReach(
  reach: Reach,
  cols: { scopeKind: string; scopeId: string },
): RawBuilder<SqlBool> {
  const kind = sql.ref(cols.scopeKind);
  const id = sql.ref(cols.scopeId);
  const inst = institutionIdsInReach(reach);
  const regions = regionLevelIds(reach);
  return sql<SqlBool>`(
    (${kind} = 'institution' and ${id} in (${inst}))
    or (${kind} = 'room' and ${id} in (select r.id from rooms r where r.institution_id in (${inst})))
    ${regions.length > 0 ? sql`or (${kind} = 'region' and ${id} in (${sql.join(regions)}))` : sql``}
  )`;
}
