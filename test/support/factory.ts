/**
 * Test data through the real repositories: one call per object with sensible defaults, and
 * `kindergartenWorld()` / `officeWorld()` for a fully populated institution (one of every object).
 *
 *   const f = new Factory(db.kysely);
 *   const region = await f.region();
 *   const a = await f.kindergartenWorld(region.id, 'A');
 *   const s = await sessionFor(t, a.admin.id);
 */
import { sql, type Kysely } from 'kysely';
import { adminRepositories, type AdminRepositories } from '../../src/storage/repositories/admin.js';
import type { CameraRow } from '../../src/storage/repositories/cameras.js';
import type { ChildRow } from '../../src/storage/repositories/children.js';
import type { ClosedDayRow } from '../../src/storage/repositories/closed-days.js';
import type { ConsentRow } from '../../src/storage/repositories/consents.js';
import type { EnrolmentRow } from '../../src/storage/repositories/enrolments.js';
import type { GuardianLinkRow } from '../../src/storage/repositories/guardian-links.js';
import type { InstitutionRow } from '../../src/storage/repositories/institutions.js';
import type { PersonRow } from '../../src/storage/repositories/persons.js';
import type { RegionRow } from '../../src/storage/repositories/regions.js';
import type { RoleBindingRow } from '../../src/storage/repositories/role-bindings.js';
import type { RoomRow } from '../../src/storage/repositories/rooms.js';
import type { SubscriptionRow } from '../../src/storage/repositories/subscriptions.js';
import type { ViewingScheduleRow } from '../../src/storage/repositories/viewing-schedules.js';
import type { Database, Role, ScopeKind } from '../../src/storage/schema.js';
import { newId } from '../../src/shared/ids.js';

/** The issuer of the embedded development provider at the test app's default public URL. */
export const TEST_ISSUER = 'http://localhost:8080/dev-idp';

export interface KindergartenWorld {
  region: RegionRow;
  institution: InstitutionRow;
  group: RoomRow;
  bedroom: RoomRow;
  camera: CameraRow;
  schedule: ViewingScheduleRow;
  consent: ConsentRow;
  closedDay: ClosedDayRow;
  child: ChildRow;
  enrolment: EnrolmentRow;
  parent: PersonRow;
  guardianLink: GuardianLinkRow;
  subscription: SubscriptionRow;
  admin: PersonRow;
  adminBinding: RoleBindingRow;
}

export interface OfficeWorld {
  region: RegionRow;
  institution: InstitutionRow;
  workplace: RoomRow;
  camera: CameraRow;
  head: PersonRow;
  employee: PersonRow;
  employeeBinding: RoleBindingRow;
}

export class Factory {
  private n = 0;
  readonly r: AdminRepositories;

  constructor(
    readonly db: Kysely<Database>,
    readonly issuer = TEST_ISSUER,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {
    this.r = adminRepositories(db);
  }

  private seq(): number {
    return ++this.n;
  }

  private stamp() {
    const t = this.now();
    return { created_at: t, updated_at: t };
  }

  region(o: Partial<RegionRow> = {}): Promise<RegionRow> {
    return this.r.regions.insert({ id: newId(), name: `Region ${this.seq()}`, ...this.stamp(), ...o });
  }

  institution(regionId: string, o: Partial<InstitutionRow> = {}): Promise<InstitutionRow> {
    const kind = o.kind ?? 'kindergarten';
    return this.r.institutions.insert({
      id: newId(),
      region_id: regionId,
      kind,
      name: `${kind} ${this.seq()}`,
      time_zone: 'Europe/Moscow',
      free_pilot: 0,
      monthly_fee_minor: 30000,
      consent_required: kind === 'kindergarten' ? 1 : 0,
      ...this.stamp(),
      ...o,
    });
  }

  closedDay(institutionId: string, o: Partial<ClosedDayRow> = {}): Promise<ClosedDayRow> {
    return this.r.closedDays.insert({
      id: newId(),
      institution_id: institutionId,
      day: '2026-01-01',
      reason: 'holiday',
      created_at: this.now(),
      ...o,
    });
  }

  room(institutionId: string, o: Partial<RoomRow> = {}): Promise<RoomRow> {
    return this.r.rooms.insert({
      id: newId(),
      institution_id: institutionId,
      kind: 'group',
      zone: 'common',
      name: `Room ${this.seq()}`,
      ...this.stamp(),
      ...o,
    });
  }

  camera(roomId: string, o: Partial<CameraRow> = {}): Promise<CameraRow> {
    const n = this.seq();
    return this.r.cameras.insert({
      id: newId(),
      room_id: roomId,
      name: `Camera ${n}`,
      source_url: `rtsp://camera-${n}.test:554/stream`,
      source_username: 'viewer',
      source_password: `secret-password-${n}`,
      rtsp_transport: 'tcp',
      enabled: 1,
      audio_allowed: 0,
      recording_policy: 'off',
      ...this.stamp(),
      ...o,
    });
  }

  schedule(roomId: string, o: Partial<ViewingScheduleRow> = {}): Promise<ViewingScheduleRow> {
    return this.r.viewingSchedules.insert({
      id: newId(),
      room_id: roomId,
      weekday: 1,
      start_time: '08:00',
      end_time: '18:00',
      created_at: this.now(),
      ...o,
    });
  }

  consent(roomId: string, o: Partial<ConsentRow> = {}): Promise<ConsentRow> {
    return this.r.consents.insert({
      id: newId(),
      room_id: roomId,
      status: 'given',
      recorded_by: null,
      note: null,
      recorded_at: this.now(),
      ...o,
    });
  }

  person(o: Partial<PersonRow> = {}): Promise<PersonRow> {
    const n = this.seq();
    return this.r.persons.insert({
      id: newId(),
      issuer: this.issuer,
      subject: `subject-${n}-${newId().slice(0, 8)}`,
      display_name: `Person ${n}`,
      email: null,
      phone: null,
      disabled: 0,
      ...this.stamp(),
      ...o,
    });
  }

  bind(personId: string, role: Role, scopeKind: ScopeKind, scopeId: string): Promise<RoleBindingRow> {
    return this.r.roleBindings.insert({
      id: newId(),
      person_id: personId,
      role,
      scope_kind: scopeKind,
      scope_id: scopeId,
      created_at: this.now(),
    });
  }

  /** A new person holding `role` in the scope. */
  async staff(
    role: Role,
    scopeKind: ScopeKind,
    scopeId: string,
    o: Partial<PersonRow> = {},
  ): Promise<PersonRow> {
    const p = await this.person(o);
    await this.bind(p.id, role, scopeKind, scopeId);
    return p;
  }

  child(institutionId: string, o: Partial<ChildRow> = {}): Promise<ChildRow> {
    const n = this.seq();
    return this.r.children.insert({
      id: newId(),
      institution_id: institutionId,
      full_name: `Child ${n}`,
      birth_date: '2021-05-14',
      external_ref: `REF-${n}`,
      ...this.stamp(),
      ...o,
    });
  }

  enrol(childId: string, roomId: string, o: Partial<EnrolmentRow> = {}): Promise<EnrolmentRow> {
    return this.r.enrolments.insert({
      id: newId(),
      child_id: childId,
      room_id: roomId,
      start_date: '2025-09-01',
      end_date: null,
      ...this.stamp(),
      ...o,
    });
  }

  guardian(personId: string, childId: string, o: Partial<GuardianLinkRow> = {}): Promise<GuardianLinkRow> {
    return this.r.guardianLinks.insert({
      id: newId(),
      person_id: personId,
      child_id: childId,
      relation: 'parent',
      verified: 1,
      ...this.stamp(),
      ...o,
    });
  }

  subscription(
    personId: string,
    childId: string,
    o: Partial<SubscriptionRow> = {},
  ): Promise<SubscriptionRow> {
    return this.r.subscriptions.insert({
      id: newId(),
      person_id: personId,
      child_id: childId,
      status: 'active',
      monthly_fee_minor: null,
      ...this.stamp(),
      ...o,
    });
  }

  /** A kindergarten with one of every object inside it, and its administrator. */
  async kindergartenWorld(regionId: string, label = String(this.seq())): Promise<KindergartenWorld> {
    const region = (await this.r.regions.find(regionId))!;
    const institution = await this.institution(regionId, { name: `Kindergarten ${label}` });
    const group = await this.room(institution.id, { name: `Group ${label}` });
    const bedroom = await this.room(institution.id, { name: `Bedroom ${label}`, zone: 'restricted' });
    const camera = await this.camera(group.id, { name: `Camera ${label}` });
    const schedule = await this.schedule(group.id);
    const consent = await this.consent(group.id);
    const closedDay = await this.closedDay(institution.id);
    const child = await this.child(institution.id, {
      full_name: `Child ${label}`,
      external_ref: `${label}-001`,
    });
    const enrolment = await this.enrol(child.id, group.id);
    const parent = await this.person({ display_name: `Parent ${label}` });
    const guardianLink = await this.guardian(parent.id, child.id);
    const subscription = await this.subscription(parent.id, child.id);
    const admin = await this.person({ display_name: `Admin ${label}` });
    const adminBinding = await this.bind(admin.id, 'kindergarten_admin', 'institution', institution.id);
    return {
      region,
      institution,
      group,
      bedroom,
      camera,
      schedule,
      consent,
      closedDay,
      child,
      enrolment,
      parent,
      guardianLink,
      subscription,
      admin,
      adminBinding,
    };
  }

  /** An office with a workplace and camera, its head and an employee. */
  async officeWorld(regionId: string, label = String(this.seq())): Promise<OfficeWorld> {
    const region = (await this.r.regions.find(regionId))!;
    const institution = await this.institution(regionId, { kind: 'office', name: `Office ${label}` });
    const workplace = await this.room(institution.id, { kind: 'workplace', name: `Desk ${label}` });
    const camera = await this.camera(workplace.id, {
      name: `Desk camera ${label}`,
      recording_policy: 'continuous',
    });
    const head = await this.staff('office_head', 'institution', institution.id, {
      display_name: `Head ${label}`,
    });
    const employee = await this.person({ display_name: `Employee ${label}` });
    const employeeBinding = await this.bind(employee.id, 'employee', 'room', workplace.id);
    return { region, institution, workplace, camera, head, employee, employeeBinding };
  }
}

/** The tables of the domain model and the audit log, for before/after comparisons. */
export const DOMAIN_TABLES = [
  'regions',
  'institutions',
  'closed_days',
  'rooms',
  'cameras',
  'persons',
  'role_bindings',
  'children',
  'enrolments',
  'guardian_links',
  'viewing_schedules',
  'subscriptions',
  'consents',
  'audit_log',
  'audit_head',
] as const satisfies readonly (keyof Database)[];

/**
 * Every row of the domain tables and the audit log, in a stable order: equal dumps mean nothing was
 * created, changed, removed or audited in between.
 */
export async function dumpDatabase(db: Kysely<Database>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of DOMAIN_TABLES) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    out[table] = rows.rows.map((r) => JSON.stringify(r, Object.keys(r).sort())).sort();
  }
  return out;
}
