/** Consent templates, rules, campaigns and answers (migration 0014); see docs/design/consent-campaigns.md. */
import type { Kysely } from 'kysely';
import type {
  ConsentAnswersTable,
  ConsentCampaignsTable,
  ConsentRulesTable,
  ConsentTemplatesTable,
  Database,
} from '../schema.js';

export type ConsentTemplateRow = ConsentTemplatesTable;
export type ConsentRuleRow = ConsentRulesTable;
export type ConsentCampaignRow = ConsentCampaignsTable;
export type ConsentAnswerRow = ConsentAnswersTable;

/** A child enrolled in the group on a day, with the verified guardians who answer for it. */
export interface FamilyRow {
  childId: string;
  childName: string;
  enrolledFrom: string;
  guardians: { personId: string; displayName: string }[];
}

/** A parent's child in a group that has an active campaign. */
export interface GuardianCampaignRow {
  campaign: ConsentCampaignRow;
  childId: string;
  childName: string;
  roomName: string;
  institutionName: string;
}

export class ConsentCampaignsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  // --- templates -------------------------------------------------------------------------------------
  latestTemplate(regionId: string): Promise<ConsentTemplateRow | undefined> {
    return this.db
      .selectFrom('consent_templates')
      .selectAll()
      .where('region_id', '=', regionId)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  templates(regionId: string): Promise<ConsentTemplateRow[]> {
    return this.db
      .selectFrom('consent_templates')
      .selectAll()
      .where('region_id', '=', regionId)
      .orderBy('version', 'desc')
      .execute();
  }

  async insertTemplate(row: ConsentTemplateRow): Promise<ConsentTemplateRow> {
    await this.db.insertInto('consent_templates').values(row).execute();
    return row;
  }

  // --- rules -----------------------------------------------------------------------------------------
  rule(institutionId: string): Promise<ConsentRuleRow | undefined> {
    return this.db
      .selectFrom('consent_rules')
      .selectAll()
      .where('institution_id', '=', institutionId)
      .executeTakeFirst();
  }

  async upsertRule(row: ConsentRuleRow): Promise<ConsentRuleRow> {
    await this.db
      .insertInto('consent_rules')
      .values(row)
      .onConflict((oc) =>
        oc.column('institution_id').doUpdateSet({
          rule_kind: row.rule_kind,
          share_percent: row.share_percent,
          grace_days: row.grace_days,
          updated_at: row.updated_at,
          updated_by: row.updated_by,
        }),
      )
      .execute();
    return row;
  }

  // --- campaigns -------------------------------------------------------------------------------------
  find(id: string): Promise<ConsentCampaignRow | undefined> {
    return this.db.selectFrom('consent_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
  }

  activeForRoom(roomId: string): Promise<ConsentCampaignRow | undefined> {
    return this.db
      .selectFrom('consent_campaigns')
      .selectAll()
      .where('room_id', '=', roomId)
      .where('status', '=', 'active')
      .executeTakeFirst();
  }

  forRoom(roomId: string): Promise<ConsentCampaignRow[]> {
    return this.db
      .selectFrom('consent_campaigns')
      .selectAll()
      .where('room_id', '=', roomId)
      .orderBy('launched_at', 'desc')
      .execute();
  }

  /** Active campaigns of an institution (or every institution), for lists and the periodic sweep. */
  active(institutionId?: string): Promise<ConsentCampaignRow[]> {
    let q = this.db.selectFrom('consent_campaigns').selectAll().where('status', '=', 'active');
    if (institutionId) q = q.where('institution_id', '=', institutionId);
    return q.orderBy('launched_at').execute();
  }

  async insert(row: ConsentCampaignRow): Promise<ConsentCampaignRow> {
    await this.db.insertInto('consent_campaigns').values(row).execute();
    return row;
  }

  async close(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('consent_campaigns')
      .set({ status: 'closed', closed_at: at })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .execute();
  }

  async remind(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('consent_campaigns')
      .set({ last_reminder_at: at })
      .where('id', '=', id)
      .execute();
  }

  // --- answers ---------------------------------------------------------------------------------------
  async insertAnswer(row: ConsentAnswerRow): Promise<ConsentAnswerRow> {
    await this.db.insertInto('consent_answers').values(row).execute();
    return row;
  }

  /** Every answer of a campaign, oldest first (the history; the export). */
  answers(campaignId: string): Promise<ConsentAnswerRow[]> {
    return this.db
      .selectFrom('consent_answers')
      .selectAll()
      .where('campaign_id', '=', campaignId)
      .orderBy('answered_at')
      .orderBy('id')
      .execute();
  }

  async personNames(ids: readonly string[]): Promise<{ id: string; display_name: string }[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('persons').select(['id', 'display_name']).where('id', 'in', ids).execute();
  }

  async childNames(ids: readonly string[]): Promise<{ id: string; full_name: string }[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('children').select(['id', 'full_name']).where('id', 'in', ids).execute();
  }

  /** The families of a group on a local day: enrolled children and their verified guardians. */
  async families(roomId: string, day: string): Promise<FamilyRow[]> {
    const kids = await this.db
      .selectFrom('enrolments')
      .innerJoin('children', 'children.id', 'enrolments.child_id')
      .select(['children.id as child_id', 'children.full_name', 'enrolments.start_date'])
      .where('enrolments.room_id', '=', roomId)
      .where('enrolments.start_date', '<=', day)
      .where((eb) => eb.or([eb('enrolments.end_date', 'is', null), eb('enrolments.end_date', '>=', day)]))
      .orderBy('children.full_name')
      .execute();
    if (kids.length === 0) return [];
    const links = await this.db
      .selectFrom('guardian_links')
      .innerJoin('persons', 'persons.id', 'guardian_links.person_id')
      .select(['guardian_links.child_id', 'persons.id as person_id', 'persons.display_name'])
      .where(
        'guardian_links.child_id',
        'in',
        kids.map((k) => k.child_id),
      )
      .where('guardian_links.verified', '=', 1)
      .orderBy('persons.display_name')
      .execute();
    return kids.map((k) => ({
      childId: k.child_id,
      childName: k.full_name,
      enrolledFrom: k.start_date,
      guardians: links
        .filter((l) => l.child_id === k.child_id)
        .map((l) => ({ personId: l.person_id, displayName: l.display_name })),
    }));
  }

  /** The group's staff who are asked too: the teachers bound to the room. */
  staff(roomId: string): Promise<{ personId: string; displayName: string }[]> {
    return this.db
      .selectFrom('role_bindings')
      .innerJoin('persons', 'persons.id', 'role_bindings.person_id')
      .select(['persons.id as personId', 'persons.display_name as displayName'])
      .where('role_bindings.role', '=', 'teacher')
      .where('role_bindings.scope_kind', '=', 'room')
      .where('role_bindings.scope_id', '=', roomId)
      .orderBy('persons.display_name')
      .execute();
  }

  /** Rooms where the person is a teacher, with their active campaigns. */
  staffCampaigns(personId: string): Promise<(ConsentCampaignRow & { room_name: string })[]> {
    return this.db
      .selectFrom('role_bindings')
      .innerJoin('consent_campaigns', 'consent_campaigns.room_id', 'role_bindings.scope_id')
      .innerJoin('rooms', 'rooms.id', 'consent_campaigns.room_id')
      .selectAll('consent_campaigns')
      .select('rooms.name as room_name')
      .where('role_bindings.person_id', '=', personId)
      .where('role_bindings.role', '=', 'teacher')
      .where('role_bindings.scope_kind', '=', 'room')
      .where('consent_campaigns.status', '=', 'active')
      .execute();
  }

  /** The person's verified children whose group (enrolled on `day`) has an active campaign. */
  async guardianCampaigns(personId: string, day: string): Promise<GuardianCampaignRow[]> {
    const rows = await this.db
      .selectFrom('guardian_links')
      .innerJoin('children', 'children.id', 'guardian_links.child_id')
      .innerJoin('enrolments', 'enrolments.child_id', 'children.id')
      .innerJoin('consent_campaigns', 'consent_campaigns.room_id', 'enrolments.room_id')
      .innerJoin('rooms', 'rooms.id', 'enrolments.room_id')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .selectAll('consent_campaigns')
      .select([
        'children.id as child_id',
        'children.full_name as child_name',
        'rooms.name as room_name',
        'institutions.name as institution_name',
      ])
      .where('guardian_links.person_id', '=', personId)
      .where('guardian_links.verified', '=', 1)
      .where('enrolments.start_date', '<=', day)
      .where((eb) => eb.or([eb('enrolments.end_date', 'is', null), eb('enrolments.end_date', '>=', day)]))
      .where('consent_campaigns.status', '=', 'active')
      .orderBy('children.full_name')
      .execute();
    return rows.map(({ child_id, child_name, room_name, institution_name, ...campaign }) => ({
      campaign,
      childId: child_id,
      childName: child_name,
      roomName: room_name,
      institutionName: institution_name,
    }));
  }

  /** The room's group and institution facts a campaign needs. */
  roomInfo(roomId: string): Promise<
    | {
        roomId: string;
        roomName: string;
        roomKind: string;
        zone: string;
        institutionId: string;
        institutionKind: string;
        regionId: string;
        timeZone: string;
      }
    | undefined
  > {
    return this.db
      .selectFrom('rooms')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .select([
        'rooms.id as roomId',
        'rooms.name as roomName',
        'rooms.kind as roomKind',
        'rooms.zone as zone',
        'institutions.id as institutionId',
        'institutions.kind as institutionKind',
        'institutions.region_id as regionId',
        'institutions.time_zone as timeZone',
      ])
      .where('rooms.id', '=', roomId)
      .executeTakeFirst();
  }
}
