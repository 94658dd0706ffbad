/**
 * Every repository the admin API uses, bound to one database handle or transaction:
 * `const r = adminRepositories(trx); await r.rooms.insert(…)`.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { CamerasRepository } from './cameras.js';
import { ChildrenRepository } from './children.js';
import { ClosedDaysRepository } from './closed-days.js';
import { ConsentsRepository } from './consents.js';
import { EnrolmentsRepository } from './enrolments.js';
import { GuardianLinksRepository } from './guardian-links.js';
import { InstitutionsRepository } from './institutions.js';
import { PersonsRepository } from './persons.js';
import { PlacesRepository } from './places.js';
import { RegionsRepository } from './regions.js';
import { RoleBindingsRepository } from './role-bindings.js';
import { RoomsRepository } from './rooms.js';
import { SubscriptionsRepository } from './subscriptions.js';
import { ViewingSchedulesRepository } from './viewing-schedules.js';

export interface AdminRepositories {
  places: PlacesRepository;
  regions: RegionsRepository;
  institutions: InstitutionsRepository;
  closedDays: ClosedDaysRepository;
  rooms: RoomsRepository;
  cameras: CamerasRepository;
  viewingSchedules: ViewingSchedulesRepository;
  consents: ConsentsRepository;
  children: ChildrenRepository;
  enrolments: EnrolmentsRepository;
  guardianLinks: GuardianLinksRepository;
  subscriptions: SubscriptionsRepository;
  persons: PersonsRepository;
  roleBindings: RoleBindingsRepository;
}

export function adminRepositories(db: Kysely<Database>): AdminRepositories {
  return {
    places: new PlacesRepository(db),
    regions: new RegionsRepository(db),
    institutions: new InstitutionsRepository(db),
    closedDays: new ClosedDaysRepository(db),
    rooms: new RoomsRepository(db),
    cameras: new CamerasRepository(db),
    viewingSchedules: new ViewingSchedulesRepository(db),
    consents: new ConsentsRepository(db),
    children: new ChildrenRepository(db),
    enrolments: new EnrolmentsRepository(db),
    guardianLinks: new GuardianLinksRepository(db),
    subscriptions: new SubscriptionsRepository(db),
    persons: new PersonsRepository(db),
    roleBindings: new RoleBindingsRepository(db),
  };
}
