/**
 * Reading the audit log: filtered, newest first, paginated by sequence number; the names of the
 * people, children, cameras, rooms and institutions its rows point at; and suggestions for the
 * filters (docs/design/audit-screen.md).
 */
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { AuditLogTable, Database } from '../schema.js';
import { TextMatcher, foldForSearch } from './text-match.js';
import { ROLE_TEXT } from '../../audit/describe.js';

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
  /** free-text words: each must appear in the details, the reason, or a name the entry points at */
  words?: readonly string[] | undefined;
  /** for each word, the action codes whose Russian description contains it (found by the caller) */
  wordActions?: readonly (readonly string[])[] | undefined;
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
    if (f.words?.length) {
      const m = new TextMatcher(this.db);
      for (const [i, w] of f.words.entries()) {
        const actions = f.wordActions?.[i]?.length ? f.wordActions[i] : null;
        const named = (table: 'persons' | 'children' | 'cameras' | 'rooms' | 'institutions', col: string) =>
          this.db
            .selectFrom(table)
            .select('id')
            .where(m.contains(`${table}.${col}`, w));
        q = q.where((eb) =>
          eb.or([
            m.contains('audit_log.details', w),
            m.contains('audit_log.reason', w),
            eb('actor_person_id', 'in', named('persons', 'display_name')),
            eb('target_id', 'in', named('children', 'full_name')),
            eb('target_id', 'in', named('cameras', 'name')),
            eb('target_id', 'in', named('rooms', 'name')),
            eb('institution_id', 'in', named('institutions', 'name')),
            ...(actions ? [eb('action', 'in', [...actions])] : []),
          ]),
        );
      }
    }
    return q;
  }

  /** The names behind a page of entries: actors, targets, the streams' children, the institutions. */
  async names(rows: readonly AuditRow[]): Promise<NameBook> {
    const ids = (pick: (r: AuditRow) => (string | null)[]) => [
      ...new Set(rows.flatMap(pick).filter((x): x is string => typeof x === 'string' && x.length > 0)),
    ];
    const target = (kind: string) => (r: AuditRow) => [r.target_kind === kind ? r.target_id : null];
    const streamIds = ids((r) => [r.stream_id]);
    const streams = streamIds.length
      ? await this.db
          .selectFrom('stream_sessions')
          .select(['id', 'child_id', 'camera_id'])
          .where('id', 'in', streamIds)
          .execute()
      : [];
    const book: NameBook = {
      persons: new Map(),
      children: new Map(),
      cameras: new Map(),
      rooms: new Map(),
      institutions: new Map(),
      regions: new Map(),
      streamChild: new Map(streams.filter((s) => s.child_id).map((s) => [s.id, s.child_id!])),
    };
    const personIds = ids((r) => [r.actor_person_id, ...target('person')(r)]);
    if (personIds.length)
      for (const p of await this.db
        .selectFrom('persons')
        .select(['id', 'display_name'])
        .where('id', 'in', personIds)
        .execute())
        book.persons.set(p.id, p.display_name);
    const childIds = [...new Set([...ids(target('child')), ...book.streamChild.values()])];
    if (childIds.length)
      for (const c of await this.db
        .selectFrom('children')
        .select(['id', 'full_name'])
        .where('id', 'in', childIds)
        .execute())
        book.children.set(c.id, c.full_name);
    const cameraIds = ids(target('camera'));
    if (cameraIds.length)
      for (const c of await this.db
        .selectFrom('cameras')
        .select(['id', 'name', 'room_id'])
        .where('id', 'in', cameraIds)
        .execute())
        book.cameras.set(c.id, { name: c.name, roomId: c.room_id });
    const roomIds = [
      ...new Set([...ids(target('room')), ...[...book.cameras.values()].map((c) => c.roomId)]),
    ];
    if (roomIds.length)
      for (const r of await this.db
        .selectFrom('rooms')
        .select(['id', 'name', 'institution_id'])
        .where('id', 'in', roomIds)
        .execute())
        book.rooms.set(r.id, { name: r.name, institutionId: r.institution_id });
    const institutionIds = [
      ...new Set([
        ...ids((r) => [r.institution_id, ...target('institution')(r)]),
        ...[...book.rooms.values()].map((r) => r.institutionId),
      ]),
    ];
    if (institutionIds.length)
      for (const i of await this.db
        .selectFrom('institutions')
        .select(['id', 'name'])
        .where('id', 'in', institutionIds)
        .execute())
        book.institutions.set(i.id, i.name);
    const regionIds = ids(target('region'));
    if (regionIds.length)
      for (const r of await this.db
        .selectFrom('regions')
        .select(['id', 'name'])
        .where('id', 'in', regionIds)
        .execute())
        book.regions.set(r.id, r.name);
    return book;
  }

  /**
   * People, children, cameras or institutions whose name contains every word, within the caller's
   * institutions (and regions, for people bound to a whole region): best first — names that start
   * with the first word, then alphabetically.
   */
  async suggest(
    kind: SuggestKind,
    match: { words: readonly string[] } | { id: string },
    scope: { institutionIds: readonly string[]; regionIds: readonly string[] },
    limit: number,
  ): Promise<Suggestion[]> {
    const words = 'words' in match ? match.words : [];
    const only = 'id' in match ? match.id : null;
    const inst = scope.institutionIds.length ? [...scope.institutionIds] : ['-'];
    const regions = scope.regionIds.length ? [...scope.regionIds] : ['-'];
    const m = new TextMatcher(this.db);
    const pool = limit * 5;
    let found: { id: string; name: string; context: string | null }[];
    if (kind === 'institution') {
      found = (
        await this.db
          .selectFrom('institutions as i')
          .innerJoin('regions as r', 'r.id', 'i.region_id')
          .select(['i.id', 'i.name', 'r.name as context'])
          .where('i.id', 'in', inst)
          .where(m.containsAll('i.name', words))
          .$if(only !== null, (q) => q.where('i.id', '=', only!))
          .limit(pool)
          .execute()
      ).map((r) => ({ id: r.id, name: r.name, context: r.context }));
    } else if (kind === 'camera') {
      found = (
        await this.db
          .selectFrom('cameras as c')
          .innerJoin('rooms as r', 'r.id', 'c.room_id')
          .innerJoin('institutions as i', 'i.id', 'r.institution_id')
          .select(['c.id', 'c.name', 'r.name as room', 'i.name as institution'])
          .where('r.institution_id', 'in', inst)
          .where(m.containsAll('c.name', words))
          .$if(only !== null, (q) => q.where('c.id', '=', only!))
          .limit(pool)
          .execute()
      ).map((r) => ({ id: r.id, name: r.name, context: `${r.room} · ${r.institution}` }));
    } else if (kind === 'child') {
      found = (
        await this.db
          .selectFrom('children as c')
          .innerJoin('institutions as i', 'i.id', 'c.institution_id')
          .select([
            'c.id',
            'c.full_name',
            'i.name as institution',
            (eb) =>
              eb
                .selectFrom('enrolments as e')
                .innerJoin('rooms as r', 'r.id', 'e.room_id')
                .select('r.name')
                .whereRef('e.child_id', '=', 'c.id')
                .orderBy('e.start_date', 'desc')
                .limit(1)
                .as('room'),
          ])
          .where('c.institution_id', 'in', inst)
          .where(m.containsAll('c.full_name', words))
          .$if(only !== null, (q) => q.where('c.id', '=', only!))
          .limit(pool)
          .execute()
      ).map((r) => ({
        id: r.id,
        name: r.full_name,
        context: r.room ? `${r.room} · ${r.institution}` : r.institution,
      }));
    } else {
      // People of these institutions: guardians of their children, holders of roles in them (or in
      // their region), viewers of their cameras, and anyone who acted on them in the log.
      const rows = await this.db
        .selectFrom('persons as p')
        .select(['p.id', 'p.display_name'])
        .where(m.containsAll('p.display_name', words))
        .$if(only !== null, (q) => q.where('p.id', '=', only!))
        .where((eb) =>
          eb.or([
            eb.exists(
              eb
                .selectFrom('guardian_links as gl')
                .innerJoin('children as c', 'c.id', 'gl.child_id')
                .select('gl.id')
                .whereRef('gl.person_id', '=', 'p.id')
                .where('c.institution_id', 'in', inst),
            ),
            eb.exists(
              eb
                .selectFrom('role_bindings as rb')
                .select('rb.id')
                .whereRef('rb.person_id', '=', 'p.id')
                .where((b) =>
                  b.or([
                    b.and([b('rb.scope_kind', '=', 'institution'), b('rb.scope_id', 'in', inst)]),
                    b.and([b('rb.scope_kind', '=', 'region'), b('rb.scope_id', 'in', regions)]),
                    b.and([
                      b('rb.scope_kind', '=', 'room'),
                      b(
                        'rb.scope_id',
                        'in',
                        b.selectFrom('rooms').select('id').where('institution_id', 'in', inst),
                      ),
                    ]),
                  ]),
                ),
            ),
            eb.exists(
              eb
                .selectFrom('stream_sessions as s')
                .innerJoin('cameras as c', 'c.id', 's.camera_id')
                .innerJoin('rooms as r', 'r.id', 'c.room_id')
                .select('s.id')
                .whereRef('s.person_id', '=', 'p.id')
                .where('r.institution_id', 'in', inst),
            ),
            eb.exists(
              eb
                .selectFrom('audit_log as a')
                .select('a.seq')
                .whereRef('a.actor_person_id', '=', 'p.id')
                .where('a.institution_id', 'in', inst),
            ),
          ]),
        )
        .limit(pool)
        .execute();
      found = rows.map((r) => ({ id: r.id, name: r.display_name, context: null }));
      await this.personContexts(found, inst);
    }
    const first = foldForSearch(words[0] ?? '');
    const starts = (name: string) =>
      foldForSearch(name)
        .split(/[\s«»"'().,-]+/u)
        .some((part) => part.startsWith(first));
    return found
      .map((f) => ({ kind, ...f }))
      .sort(
        (a, b) =>
          Number(starts(b.name)) - Number(starts(a.name)) ||
          a.name.localeCompare(b.name, 'ru') ||
          (a.context ?? '').localeCompare(b.context ?? '', 'ru'),
      )
      .slice(0, limit);
  }

  /** What a suggested person is to these institutions: «родитель: Маша Иванова», or their roles. */
  private async personContexts(
    found: { id: string; context: string | null }[],
    inst: string[],
  ): Promise<void> {
    if (found.length === 0) return;
    const ids = found.map((f) => f.id);
    const kids = await this.db
      .selectFrom('guardian_links as gl')
      .innerJoin('children as c', 'c.id', 'gl.child_id')
      .select(['gl.person_id', 'c.full_name'])
      .where('gl.person_id', 'in', ids)
      .where('c.institution_id', 'in', inst)
      .execute();
    const roles = await this.db
      .selectFrom('role_bindings')
      .select(['person_id', 'role'])
      .where('person_id', 'in', ids)
      .execute();
    for (const f of found) {
      const children = kids.filter((k) => k.person_id === f.id).map((k) => k.full_name);
      const mine = [...new Set(roles.filter((r) => r.person_id === f.id).map((r) => r.role))];
      f.context = children.length
        ? `родитель: ${children.join(', ')}`
        : mine.length
          ? mine.map((r) => ROLE_TEXT[r]).join(', ')
          : null;
    }
  }

  async institutionsOfRegion(regionId: string): Promise<string[]> {
    return (
      await this.db.selectFrom('institutions').select('id').where('region_id', '=', regionId).execute()
    ).map((r) => r.id);
  }
}

export type SuggestKind = 'person' | 'child' | 'camera' | 'institution';
export const SUGGEST_KINDS: readonly SuggestKind[] = ['person', 'child', 'camera', 'institution'];

export interface Suggestion {
  kind: SuggestKind;
  id: string;
  name: string;
  /** what tells namesakes apart: a person's children or roles, a child's group, a camera's room */
  context: string | null;
}

/** Names of what a page of entries points at (ids not found: deleted since). */
export interface NameBook {
  persons: Map<string, string>;
  children: Map<string, string>;
  cameras: Map<string, { name: string; roomId: string }>;
  rooms: Map<string, { name: string; institutionId: string }>;
  institutions: Map<string, string>;
  regions: Map<string, string>;
  /** a stream's child (guardian streams) */
  streamChild: Map<string, string>;
}
