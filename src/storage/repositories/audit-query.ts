/** Reading the audit log: filtered, newest first, paginated by sequence number. */
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { AuditLogTable, Database } from '../schema.js';

export interface AuditFilter {
  /** institutions the caller may see; null = everything (region-wide auditors of a one-city site) */
  institutionIds: string[] | null;
  /** entries with no institution (logins, system events) are visible too */
  includeUnscoped: boolean;
  person?: string | undefined;
  camera?: string | undefined;
  child?: string | undefined;
  institution?: string | undefined;
  action?: string | undefined;
  decision?: 'allow' | 'deny' | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** only entries with seq below this (the cursor) */
  beforeSeq?: number | undefined;
}

export type AuditRow = AuditLogTable;

export class AuditQueryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(f: AuditFilter, limit: number): Promise<AuditRow[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    q = this.apply(q, f);
    return q.orderBy('seq', 'desc').limit(limit).execute();
  }

  private apply(
    q: SelectQueryBuilder<Database, 'audit_log', AuditRow>,
    f: AuditFilter,
  ): SelectQueryBuilder<Database, 'audit_log', AuditRow> {
    const camerasOf = (ids: string[]) =>
      this.db
        .selectFrom('cameras')
        .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
        .select('cameras.id')
        .where('rooms.institution_id', 'in', ids);
    if (f.institutionIds !== null) {
      const ids = f.institutionIds.length ? f.institutionIds : ['-'];
      q = q.where((eb) =>
        eb.or([
          eb('institution_id', 'in', ids),
          eb.and([eb('target_kind', '=', 'camera'), eb('target_id', 'in', camerasOf(ids))]),
          ...(f.includeUnscoped
            ? [eb.and([eb('institution_id', 'is', null), eb('target_kind', 'is distinct from', 'camera')])]
            : []),
        ]),
      );
    }
    if (f.institution) {
      const one = [f.institution];
      q = q.where((eb) =>
        eb.or([
          eb('institution_id', '=', f.institution!),
          eb.and([eb('target_kind', '=', 'camera'), eb('target_id', 'in', camerasOf(one))]),
        ]),
      );
    }
    if (f.person) q = q.where('actor_person_id', '=', f.person);
    if (f.camera) q = q.where('target_kind', '=', 'camera').where('target_id', '=', f.camera);
    if (f.child) {
      const child = f.child;
      q = q.where((eb) =>
        eb.or([
          eb.and([eb('target_kind', '=', 'child'), eb('target_id', '=', child)]),
          eb(
            'stream_id',
            'in',
            this.db.selectFrom('stream_sessions').select('id').where('child_id', '=', child),
          ),
        ]),
      );
    }
    if (f.action)
      q = f.action.endsWith('.')
        ? q.where('action', 'like', `${f.action}%`)
        : q.where('action', '=', f.action);
    if (f.decision) q = q.where('decision', '=', f.decision);
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<', f.to);
    if (f.beforeSeq !== undefined) q = q.where('seq', '<', f.beforeSeq);
    return q;
  }

  async institutionsOfRegion(regionId: string): Promise<string[]> {
    return (
      await this.db.selectFrom('institutions').select('id').where('region_id', '=', regionId).execute()
    ).map((r) => r.id);
  }
}
