/**
 * Home inspections' SQL (docs/design/inspections.md): cases, plans, inspections, photos, uploads in
 * progress, sealed versions and holds. Every statement of src/inspections/ lives here.
 */
import type { Kysely, Transaction } from 'kysely';
import type {
  Database,
  GuardianshipCasesTable,
  InspectionPhotosTable,
  InspectionsTable,
  InspectionUploadsTable,
  InspectionVersionsTable,
} from '../schema.js';
import type { InstitutionKind, Place } from './places.js';

type Db = Kysely<Database> | Transaction<Database>;

export type CaseRow = GuardianshipCasesTable;
export type InspectionRow = InspectionsTable;
export type PhotoRow = InspectionPhotosTable;
export type UploadRow = InspectionUploadsTable;
export type VersionRow = InspectionVersionsTable;

/** An inspection with what a list or a seal needs of its case and office. */
export interface InspectionWithCase extends InspectionRow {
  case_number: string;
  ward_name: string;
  case_address: string;
  case_specialist_id: string;
  institution_id: string;
  institution_name: string;
  time_zone: string;
  region_id: string;
  institution_kind: InstitutionKind;
  specialist_name: string | null;
}

export function placeOfInspection(
  r: Pick<InspectionWithCase, 'region_id' | 'institution_id' | 'institution_kind'>,
): Place {
  return { regionId: r.region_id, institution: { id: r.institution_id, kind: r.institution_kind } };
}

export class InspectionsRepository {
  constructor(private readonly db: Db) {}

  private withCase(db: Db = this.db) {
    return db
      .selectFrom('inspections')
      .innerJoin('guardianship_cases as c', 'c.id', 'inspections.case_id')
      .innerJoin('institutions as i', 'i.id', 'c.institution_id')
      .leftJoin('persons as sp', 'sp.id', 'c.specialist_person_id')
      .selectAll('inspections')
      .select([
        'c.case_number',
        'c.ward_name',
        'c.address as case_address',
        'c.specialist_person_id as case_specialist_id',
        'c.institution_id',
        'i.name as institution_name',
        'i.time_zone',
        'i.region_id',
        'i.kind as institution_kind',
        'sp.display_name as specialist_name',
      ]);
  }

  async inspection(id: string): Promise<InspectionWithCase | undefined> {
    return this.withCase().where('inspections.id', '=', id).executeTakeFirst();
  }

  /** Open inspections of one specialist's cases up to `until` (YYYY-MM-DD), and sealed ones since `since`. */
  async forSpecialist(personId: string, until: string, sealedSince: string): Promise<InspectionWithCase[]> {
    return this.withCase()
      .where('c.specialist_person_id', '=', personId)
      .where('c.closed_on', 'is', null)
      .where((eb) =>
        eb.or([
          eb.and([eb('inspections.status', '!=', 'sealed'), eb('inspections.planned_on', '<=', until)]),
          eb.and([eb('inspections.status', '=', 'sealed'), eb('inspections.done_at', '>=', sealedSince)]),
        ]),
      )
      .orderBy('inspections.planned_on')
      .orderBy('inspections.id')
      .execute();
  }

  /** Every inspection of the offices (institution ids) from `from` to `to` (planned dates). */
  async forOffices(
    institutionIds: readonly string[],
    regionIds: readonly string[],
    from: string,
    to: string,
  ) {
    if (institutionIds.length === 0 && regionIds.length === 0) return [];
    return this.withCase()
      .where((eb) =>
        eb.or([
          ...(institutionIds.length ? [eb('c.institution_id', 'in', institutionIds)] : []),
          ...(regionIds.length
            ? [eb.and([eb('i.region_id', 'in', regionIds), eb('i.kind', '=', 'office')])]
            : []),
        ]),
      )
      .where('inspections.planned_on', '>=', from)
      .where('inspections.planned_on', '<=', to)
      .orderBy('inspections.planned_on')
      .orderBy('inspections.id')
      .limit(2000)
      .execute();
  }

  async photoCounts(ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('inspection_photos')
      .select(['inspection_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('inspection_id', 'in', ids)
      .groupBy('inspection_id')
      .execute();
    return new Map(rows.map((r) => [r.inspection_id, Number(r.n)]));
  }

  async checklist(id: string) {
    return this.db.selectFrom('inspection_checklists').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async currentChecklist(institutionId: string) {
    return this.db
      .selectFrom('inspection_checklists')
      .selectAll()
      .where('institution_id', '=', institutionId)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async guardians(caseId: string) {
    return this.db
      .selectFrom('guardianship_guardians')
      .select(['full_name', 'relation'])
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .execute();
  }

  async markStarted(
    id: string,
    v: {
      specialistId: string;
      address: string;
      startedAt: string;
      position: string | null;
      checklistId: string | null;
      now: string;
    },
  ): Promise<void> {
    await this.db
      .updateTable('inspections')
      .set({
        status: 'in_progress',
        specialist_person_id: v.specialistId,
        address: v.address,
        started_at: v.startedAt,
        position: v.position,
        checklist_id: v.checklistId,
        updated_at: v.now,
      })
      .where('id', '=', id)
      .where('status', '=', 'planned')
      .execute();
  }

  async photos(inspectionId: string): Promise<PhotoRow[]> {
    return this.db
      .selectFrom('inspection_photos')
      .selectAll()
      .where('inspection_id', '=', inspectionId)
      .orderBy('device_taken_at')
      .orderBy('sha256')
      .execute();
  }

  async photo(id: string): Promise<PhotoRow | undefined> {
    return this.db.selectFrom('inspection_photos').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async photoByHash(inspectionId: string, sha256: string): Promise<PhotoRow | undefined> {
    return this.db
      .selectFrom('inspection_photos')
      .selectAll()
      .where('inspection_id', '=', inspectionId)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
  }

  async insertPhoto(row: PhotoRow): Promise<void> {
    await this.db.insertInto('inspection_photos').values(row).execute();
  }

  async upload(inspectionId: string, sha256: string): Promise<UploadRow | undefined> {
    return this.db
      .selectFrom('inspection_uploads')
      .selectAll()
      .where('inspection_id', '=', inspectionId)
      .where('sha256', '=', sha256)
      .executeTakeFirst();
  }

  async insertUpload(row: UploadRow): Promise<void> {
    await this.db.insertInto('inspection_uploads').values(row).execute();
  }

  /** Moves `received` from `from` to `to`; false when another request moved it first. */
  async advanceUpload(id: string, from: number, to: number, now: string): Promise<boolean> {
    const r = await this.db
      .updateTable('inspection_uploads')
      .set({ received: to, updated_at: now })
      .where('id', '=', id)
      .where('received', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteUpload(id: string): Promise<void> {
    await this.db.deleteFrom('inspection_uploads').where('id', '=', id).execute();
  }

  async seal(
    id: string,
    v: {
      version: number;
      doneAt: string | null;
      outcome: InspectionRow['outcome'];
      answers: string;
      notes: string;
      now: string;
    },
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('inspections')
      .set({
        status: 'sealed',
        version: v.version,
        done_at: v.doneAt,
        outcome: v.outcome,
        answers: v.answers,
        notes: v.notes,
        updated_at: v.now,
      })
      .where('id', '=', id)
      .where('version', '=', v.version - 1)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async insertVersion(row: VersionRow): Promise<void> {
    await this.db.insertInto('inspection_versions').values(row).execute();
  }

  async versions(inspectionId: string): Promise<VersionRow[]> {
    return this.db
      .selectFrom('inspection_versions')
      .selectAll()
      .where('inspection_id', '=', inspectionId)
      .orderBy('version')
      .execute();
  }

  /** Sealed versions for `okno inspections verify`: all, or those of the given inspections. */
  async allVersions(inspectionIds?: readonly string[]): Promise<VersionRow[]> {
    let q = this.db.selectFrom('inspection_versions').selectAll();
    if (inspectionIds?.length) q = q.where('inspection_id', 'in', inspectionIds);
    return q.orderBy('inspection_id').orderBy('version').execute();
  }

  async activeHolds(caseId: string) {
    return this.db
      .selectFrom('inspection_holds')
      .selectAll()
      .where('case_id', '=', caseId)
      .where('lifted_at', 'is', null)
      .execute();
  }

  /** Photos of closed cases' sealed inspections that are still on disk, done before `before`. */
  async retentionCandidates(before: string) {
    return this.db
      .selectFrom('inspection_photos as p')
      .innerJoin('inspections as s', 's.id', 'p.inspection_id')
      .innerJoin('guardianship_cases as c', 'c.id', 's.case_id')
      .select(['p.id', 'p.sha256', 'p.category', 'c.closed_on', 'c.id as case_id'])
      .where('p.purged_at', 'is', null)
      .where('c.closed_on', 'is not', null)
      .where('c.closed_on', '<', before)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('inspection_holds as h')
              .select('h.id')
              .whereRef('h.case_id', '=', 'c.id')
              .where('h.lifted_at', 'is', null),
          ),
        ),
      )
      .execute();
  }

  async markPurged(photoId: string, now: string): Promise<void> {
    await this.db
      .updateTable('inspection_photos')
      .set({ purged_at: now })
      .where('id', '=', photoId)
      .execute();
  }

  /** Whether any photo row that is not purged still names this content. */
  async hashInUse(sha256: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('inspection_photos')
      .select('id')
      .where('sha256', '=', sha256)
      .where('purged_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  // -- seeding and case administration ------------------------------------------------------------

  async insertRule(row: Database['inspection_rules']): Promise<void> {
    await this.db.insertInto('inspection_rules').values(row).execute();
  }
  async rule(id: string) {
    return this.db.selectFrom('inspection_rules').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async insertChecklist(row: Database['inspection_checklists']): Promise<void> {
    await this.db.insertInto('inspection_checklists').values(row).execute();
  }
  async insertCase(row: CaseRow): Promise<void> {
    await this.db.insertInto('guardianship_cases').values(row).execute();
  }
  async insertGuardian(row: Database['guardianship_guardians']): Promise<void> {
    await this.db.insertInto('guardianship_guardians').values(row).execute();
  }
  async insertInspection(row: InspectionRow): Promise<void> {
    await this.db.insertInto('inspections').values(row).execute();
  }
}
