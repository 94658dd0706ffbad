/**
 * The admin scope rules (src/domain/scope.ts), pure: every role × object × action inside and outside
 * the role's scope, and the special rules for persons and role bindings.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN_RULES,
  authorize,
  authorizeNewInstitution,
  authorizePerson,
  authorizeRoleBinding,
  isAdministrator,
  reachOf,
  type AdminAction,
  type AdminObject,
  type Principal,
} from '../../src/domain/scope.js';
import type { Place } from '../../src/storage/repositories/places.js';
import type { Role, ScopeKind } from '../../src/storage/schema.js';
import { AppError } from '../../src/shared/errors.js';

const R1 = 'region-1';
const R2 = 'region-2';
const KG_A: Place = { regionId: R1, institution: { id: 'kg-a', kind: 'kindergarten' } };
const KG_B: Place = { regionId: R1, institution: { id: 'kg-b', kind: 'kindergarten' } };
const OFFICE: Place = { regionId: R1, institution: { id: 'office-1', kind: 'office' } };
const KG_R2: Place = { regionId: R2, institution: { id: 'kg-c', kind: 'kindergarten' } };
const REGION1: Place = { regionId: R1, institution: null };

const OBJECTS: AdminObject[] = [
  'region',
  'institution',
  'closed_day',
  'room',
  'camera',
  'viewing_schedule',
  'consent',
  'child',
  'enrolment',
  'guardian_link',
  'subscription',
  'person',
  'role_binding',
];
const ACTIONS: AdminAction[] = ['read', 'create', 'update', 'delete'];
const ROLES: Role[] = [
  'kindergarten_admin',
  'city_operator',
  'auditor',
  'employee',
  'reception',
  'office_head',
  'inspector',
  'regional_operator',
];

const who = (role: Role, scopeKind: ScopeKind, scopeId: string): Principal => ({
  personId: 'p',
  bindings: [{ role, scopeKind, scopeId }],
});

function outcome(fn: () => unknown): 'allow' | 'not_found' | 'forbidden' {
  try {
    fn();
    return 'allow';
  } catch (e) {
    assert.ok(e instanceof AppError, String(e));
    assert.ok(e.code === 'not_found' || e.code === 'forbidden', e.code);
    return e.code;
  }
}

/** A binding typical of each role, and a place inside and one outside its scope. */
const TYPICAL: Record<Role, { scopeKind: ScopeKind; scopeId: string; inside: Place; outside: Place[] }> = {
  kindergarten_admin: {
    scopeKind: 'institution',
    scopeId: 'kg-a',
    inside: KG_A,
    outside: [KG_B, OFFICE, REGION1, KG_R2],
  },
  office_head: {
    scopeKind: 'institution',
    scopeId: 'office-1',
    inside: OFFICE,
    outside: [KG_A, REGION1, KG_R2],
  },
  city_operator: { scopeKind: 'region', scopeId: R1, inside: KG_A, outside: [OFFICE, KG_R2] },
  regional_operator: { scopeKind: 'region', scopeId: R1, inside: OFFICE, outside: [KG_A, KG_R2] },
  auditor: { scopeKind: 'region', scopeId: R1, inside: KG_A, outside: [KG_R2] },
  employee: { scopeKind: 'institution', scopeId: 'office-1', inside: OFFICE, outside: [KG_A] },
  reception: { scopeKind: 'institution', scopeId: 'office-1', inside: OFFICE, outside: [KG_A] },
  inspector: { scopeKind: 'region', scopeId: R1, inside: OFFICE, outside: [KG_A] },
  teacher: { scopeKind: 'room', scopeId: 'room-1', inside: KG_A, outside: [OFFICE] },
  specialist: { scopeKind: 'institution', scopeId: 'office-1', inside: OFFICE, outside: [KG_A] },
  education_officer: { scopeKind: 'region', scopeId: R1, inside: KG_A, outside: [KG_R2] },
};

describe('admin scope rules', () => {
  test('every role × object × action: allowed inside exactly as the table says, never outside', () => {
    for (const role of ROLES) {
      const t = TYPICAL[role];
      const p = who(role, t.scopeKind, t.scopeId);
      const rights = ADMIN_RULES[role]?.rights ?? {};
      for (const object of OBJECTS)
        for (const action of ACTIONS) {
          const allowed = rights[object]?.includes(action) ?? false;
          const readable = rights[object]?.includes('read') ?? false;
          const inside = outcome(() => authorize(p, object, action, t.inside));
          const expected = allowed ? 'allow' : readable ? 'forbidden' : 'not_found';
          assert.equal(inside, expected, `${role} ${action} ${object} inside`);
          for (const place of t.outside)
            assert.equal(
              outcome(() => authorize(p, object, action, place)),
              'not_found',
              `${role} ${action} ${object} at ${JSON.stringify(place)}`,
            );
        }
    }
  });

  test('whoever may change an object may read it (so a refusal never tells more than a read)', () => {
    for (const [role, rule] of Object.entries(ADMIN_RULES))
      for (const [object, actions] of Object.entries(rule.rights))
        if (actions.length > 0 && OBJECTS.includes(object as AdminObject))
          assert.ok(actions.includes('read'), `${role} on ${object}`);
  });

  test('only roles with rules are administrators; a room-scoped binding administers nothing', () => {
    assert.equal(isAdministrator({ personId: 'p', bindings: [] }), false);
    for (const role of ['employee', 'reception', 'inspector'] as const)
      assert.equal(isAdministrator(who(role, 'institution', 'office-1')), false, role);
    assert.equal(isAdministrator(who('kindergarten_admin', 'institution', 'kg-a')), true);
    assert.equal(isAdministrator(who('kindergarten_admin', 'room', 'room-1')), false);
    assert.equal(isAdministrator(who('city_operator', 'institution', 'kg-a')), false);
  });

  test('a kindergarten administrator bound to an office (a misconfiguration) administers nothing', () => {
    const p = who('kindergarten_admin', 'institution', 'office-1');
    assert.equal(
      outcome(() => authorize(p, 'room', 'read', OFFICE)),
      'not_found',
    );
    assert.deepEqual(
      reachOf(p, 'room').institutions.map((i) => i.kinds),
      [['kindergarten']],
    );
  });

  test('creating institutions: operators for their kind in their region only', () => {
    const city = who('city_operator', 'region', R1);
    assert.deepEqual(authorizeNewInstitution(city, REGION1, 'kindergarten'), { role: 'city_operator' });
    assert.equal(
      outcome(() => authorizeNewInstitution(city, REGION1, 'office')),
      'forbidden',
    );
    assert.equal(
      outcome(() => authorizeNewInstitution(city, { regionId: R2, institution: null }, 'kindergarten')),
      'not_found',
    );
    const regional = who('regional_operator', 'region', R1);
    assert.deepEqual(authorizeNewInstitution(regional, REGION1, 'office'), { role: 'regional_operator' });
    assert.equal(
      outcome(() => authorizeNewInstitution(who('auditor', 'region', R1), REGION1, 'office')),
      'forbidden',
    );
    assert.equal(
      outcome(() =>
        authorizeNewInstitution(who('kindergarten_admin', 'institution', 'kg-a'), REGION1, 'kindergarten'),
      ),
      'not_found',
    );
  });

  test('persons: readable through any linked place, changeable only when every linked place is yours', () => {
    const a = who('kindergarten_admin', 'institution', 'kg-a');
    assert.equal(
      outcome(() => authorizePerson(a, 'update', [KG_A])),
      'allow',
    );
    assert.equal(
      outcome(() => authorizePerson(a, 'read', [KG_A, KG_B])),
      'allow',
    );
    assert.equal(
      outcome(() => authorizePerson(a, 'update', [KG_A, KG_B])),
      'forbidden',
    );
    assert.equal(
      outcome(() => authorizePerson(a, 'delete', [KG_A, REGION1])),
      'forbidden',
    );
    assert.equal(
      outcome(() => authorizePerson(a, 'read', [KG_B])),
      'not_found',
    );
    assert.equal(
      outcome(() => authorizePerson(a, 'read', [])),
      'not_found',
    );
    const city = who('city_operator', 'region', R1);
    assert.equal(
      outcome(() => authorizePerson(city, 'update', [KG_A, KG_B, REGION1])),
      'allow',
    );
    assert.equal(
      outcome(() => authorizePerson(city, 'update', [KG_A, OFFICE])),
      'forbidden',
    );
    assert.equal(
      outcome(() => authorizePerson(who('auditor', 'region', R1), 'update', [KG_A])),
      'forbidden',
    );
  });

  test('role bindings: granted only for the roles a caller may grant, inside their scope', () => {
    const city = who('city_operator', 'region', R1);
    // a kindergarten administrator watches the groups: more video than the operator's own (none)
    assert.equal(
      outcome(() => authorizeRoleBinding(city, 'create', KG_A, 'kindergarten_admin')),
      'forbidden',
    );
    const grants = (p: Principal, place: Place, role: Role) =>
      outcome(() => authorizeRoleBinding(p, 'create', place, role));
    assert.equal(grants(city, KG_A, 'auditor'), 'allow');
    // a region-wide auditor would also read offices, which a city operator does not administer
    assert.equal(grants(city, REGION1, 'auditor'), 'forbidden');
    const regional = who('regional_operator', 'region', R1);
    assert.equal(grants(regional, OFFICE, 'specialist'), 'allow');
    // inspectors watch and export recordings: nobody without that video appoints them (the installation does)
    assert.equal(grants(regional, OFFICE, 'inspector'), 'forbidden');
    assert.equal(grants(regional, REGION1, 'inspector'), 'forbidden');
    assert.equal(grants(regional, KG_A, 'inspector'), 'not_found');
    assert.equal(
      outcome(() => authorizeRoleBinding(city, 'create', REGION1, 'city_operator')),
      'forbidden',
    );
    assert.equal(
      outcome(() => authorizeRoleBinding(city, 'create', KG_R2, 'kindergarten_admin')),
      'not_found',
    );
    const head = who('office_head', 'institution', 'office-1');
    assert.equal(
      outcome(() => authorizeRoleBinding(head, 'create', OFFICE, 'employee')),
      'allow',
    );
    assert.equal(
      outcome(() => authorizeRoleBinding(head, 'delete', OFFICE, 'office_head')),
      'forbidden',
    );
    const a = who('kindergarten_admin', 'institution', 'kg-a');
    // the same video as their own: an administrator appoints the next one, never themselves
    assert.equal(
      outcome(() => authorizeRoleBinding(a, 'create', KG_A, 'kindergarten_admin', { personId: 'q' })),
      'allow',
    );
    assert.equal(
      outcome(() => authorizeRoleBinding(a, 'create', KG_A, 'kindergarten_admin', { personId: 'p' })),
      'forbidden',
    );
    assert.equal(
      outcome(() => authorizeRoleBinding(city, 'create', KG_A, 'auditor', { personId: 'p' })),
      'forbidden',
    );
    assert.equal(
      outcome(() => authorizeRoleBinding(a, 'create', KG_A, 'inspector')),
      'forbidden',
    );
    assert.equal(
      outcome(() => authorizeRoleBinding(a, 'delete', KG_B, 'kindergarten_admin')),
      'not_found',
    );
  });

  test('reach: regions by the kinds the role administers, institutions by id', () => {
    const p: Principal = {
      personId: 'p',
      bindings: [
        { role: 'city_operator', scopeKind: 'region', scopeId: R1 },
        { role: 'kindergarten_admin', scopeKind: 'institution', scopeId: 'kg-c' },
        { role: 'employee', scopeKind: 'room', scopeId: 'room-9' },
      ],
    };
    assert.deepEqual(reachOf(p, 'child'), {
      regions: [{ regionId: R1, kinds: ['kindergarten'], regionLevel: true }],
      institutions: [{ institutionId: 'kg-c', kinds: ['kindergarten'] }],
    });
    assert.deepEqual(reachOf(p, 'region').institutions, []);
    assert.deepEqual(reachOf({ personId: 'p', bindings: [] }, 'child'), { regions: [], institutions: [] });
  });
});
