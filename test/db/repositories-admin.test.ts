/**
 * The admin repositories on both databases: keyset pagination, places, reach filters, and the
 * constraint violations the domain turns into `conflict` (same classification on SQLite and PostgreSQL).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminRepositories } from '../../src/storage/repositories/admin.js';
import { constraintViolation } from '../../src/storage/repositories/constraints.js';
import { encodeCursor } from '../../src/storage/repositories/pagination.js';
import type { Reach } from '../../src/storage/repositories/reach.js';
import { newId } from '../../src/shared/ids.js';
import { AppError } from '../../src/shared/errors.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory } from '../support/factory.js';

async function violation(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return constraintViolation(err);
  }
  assert.fail('expected the database to refuse');
}

for (const { name, open, skip } of testDatabases()) {
  describe(`admin repositories on ${name}`, { skip }, () => {
    const withDb = (fn: (db: TestDb, f: Factory) => Promise<void>) => async () => {
      const db = await open();
      try {
        await fn(db, new Factory(db.kysely));
      } finally {
        await db.close();
      }
    };

    test(
      'keyset pages walk a list in order, without gaps or repeats, in both directions',
      withDb(async (db, f) => {
        const region = await f.region();
        const kg = await f.institution(region.id);
        const days = ['2026-01-05', '2026-01-01', '2026-01-04', '2026-01-02', '2026-01-03'];
        for (const day of days) await f.closedDay(kg.id, { day });
        const r = adminRepositories(db.kysely);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await r.closedDays.list(kg.id, {}, { limit: 2, cursor });
          seen.push(...page.items.map((x) => x.day));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor);
        assert.equal(pages, 3);
        assert.deepEqual(seen, [...days].sort());

        const range = await r.closedDays.list(kg.id, { from: '2026-01-02', to: '2026-01-04' }, {});
        assert.deepEqual(
          range.items.map((x) => x.day),
          ['2026-01-02', '2026-01-03', '2026-01-04'],
        );

        const group = await f.room(kg.id);
        for (let i = 0; i < 3; i++)
          await f.consent(group.id, {
            recorded_at: `2026-02-0${i + 1}T10:00:00.000Z`,
            status: i % 2 ? 'withdrawn' : 'given',
          });
        const first = await r.consents.list(group.id, { limit: 2 });
        const second = await r.consents.list(group.id, { limit: 2, cursor: first.nextCursor! });
        assert.deepEqual(
          [...first.items, ...second.items].map((c) => c.recorded_at.slice(0, 10)),
          ['2026-02-03', '2026-02-02', '2026-02-01'],
        );
        assert.equal(second.nextCursor, null);
        assert.equal((await r.rooms.find(group.id))?.consent_status, 'given');

        // a schedule page is keyed on (weekday, start, id): integers and text together
        for (const [weekday, start_time, end_time] of [
          [2, '08:00', '12:00'],
          [1, '13:00', '18:00'],
          [1, '08:00', '12:00'],
        ] as const)
          await f.schedule(group.id, { weekday, start_time, end_time });
        const s1 = await r.viewingSchedules.list(group.id, { limit: 2 });
        const s2 = await r.viewingSchedules.list(group.id, { limit: 2, cursor: s1.nextCursor! });
        assert.deepEqual(
          [...s1.items, ...s2.items].map((s) => `${s.weekday} ${s.start_time}`),
          ['1 08:00', '1 13:00', '2 08:00'],
        );
      }),
    );

    test(
      'a cursor that is not one is refused as validation_failed',
      withDb(async (db, f) => {
        const kg = await f.institution((await f.region()).id);
        const r = adminRepositories(db.kysely);
        const objectKey = Buffer.from(JSON.stringify([{}, 'x'])).toString('base64url');
        for (const cursor of ['not base64 json', encodeCursor(['only one key']), objectKey])
          await assert.rejects(
            r.closedDays.list(kg.id, {}, { cursor }),
            (e: unknown) => e instanceof AppError && e.code === 'validation_failed',
          );
      }),
    );

    test(
      'places: every object resolves to its institution and region',
      withDb(async (db, f) => {
        const region = await f.region();
        const w = await f.kindergartenWorld(region.id, 'A');
        const r = adminRepositories(db.kysely);
        const at = { regionId: region.id, institution: { id: w.institution.id, kind: 'kindergarten' } };
        for (const [object, id] of [
          ['institution', w.institution.id],
          ['closed_day', w.closedDay.id],
          ['room', w.group.id],
          ['camera', w.camera.id],
          ['viewing_schedule', w.schedule.id],
          ['consent', w.consent.id],
          ['child', w.child.id],
          ['enrolment', w.enrolment.id],
          ['guardian_link', w.guardianLink.id],
          ['subscription', w.subscription.id],
          ['role_binding', w.adminBinding.id],
        ] as const) {
          // Objects inside a room also name it (roomIds: room-scoped bindings, src/authz); the
          // institution and region are what this test is about.
          const place = await r.places.locate(object, id);
          assert.ok(place, object);
          const { roomIds: _rooms, ...where } = place;
          assert.deepEqual(where, at, object);
        }
        assert.deepEqual(await r.places.locate('region', region.id), {
          regionId: region.id,
          institution: null,
        });
        assert.equal(await r.places.locate('camera', newId()), undefined);
        assert.deepEqual(await r.places.personPlaces(w.parent.id), [at]);
        const operator = await f.staff('city_operator', 'region', region.id);
        assert.deepEqual(await r.places.personPlaces(operator.id), [
          { regionId: region.id, institution: null },
        ]);
      }),
    );

    test(
      'reach filters lists to the regions (per institution kind) and institutions given',
      withDb(async (db, f) => {
        const r1 = await f.region();
        const r2 = await f.region();
        const a = await f.kindergartenWorld(r1.id, 'A');
        const b = await f.kindergartenWorld(r1.id, 'B');
        const office = await f.officeWorld(r1.id, 'O');
        const c = await f.kindergartenWorld(r2.id, 'C');
        const r = adminRepositories(db.kysely);
        const names = async (reach: Reach) =>
          (await r.institutions.list({ reach }, {})).items.map((i) => i.name).sort();

        assert.deepEqual(await names({ regions: [], institutions: [] }), []);
        assert.deepEqual(
          await names({
            regions: [{ regionId: r1.id, kinds: ['kindergarten'], regionLevel: true }],
            institutions: [],
          }),
          ['Kindergarten A', 'Kindergarten B'],
        );
        assert.deepEqual(
          await names({
            regions: [],
            institutions: [{ institutionId: a.institution.id, kinds: ['kindergarten'] }],
          }),
          ['Kindergarten A'],
        );
        // an institution-scoped reach of the wrong kind reaches nothing
        assert.deepEqual(
          await names({
            regions: [],
            institutions: [{ institutionId: office.institution.id, kinds: ['kindergarten'] }],
          }),
          [],
        );

        const onlyA: Reach = {
          regions: [],
          institutions: [{ institutionId: a.institution.id, kinds: ['kindergarten'] }],
        };
        const persons = (await r.persons.list(onlyA, {})).items.map((p) => p.display_name).sort();
        assert.deepEqual(persons, ['Admin A', 'Parent A']);
        const bindings = (await r.roleBindings.list({ reach: onlyA }, {})).items.map((x) => x.id);
        assert.deepEqual(bindings, [a.adminBinding.id]);

        const region1: Reach = {
          regions: [{ regionId: r1.id, kinds: ['office'], regionLevel: true }],
          institutions: [],
        };
        const officePeople = (await r.persons.list(region1, {})).items.map((p) => p.display_name).sort();
        assert.deepEqual(officePeople, ['Employee O', 'Head O']);
        assert.ok(
          !(await r.persons.list(region1, {})).items.some((p) => [b.parent.id, c.parent.id].includes(p.id)),
        );
      }),
    );

    test(
      'constraint violations are recognised the same way on both databases',
      withDb(async (db, f) => {
        const region = await f.region();
        const w = await f.kindergartenWorld(region.id, 'A');
        const r = adminRepositories(db.kysely);
        assert.deepEqual(await violation(f.region({ name: region.name })), {
          kind: 'unique',
          rule: 'regions.name',
        });
        assert.deepEqual(await violation(f.room(w.institution.id, { name: w.group.name })), {
          kind: 'unique',
          rule: 'rooms.institution_name',
        });
        assert.deepEqual(await violation(f.child(w.institution.id, { external_ref: w.child.external_ref })), {
          kind: 'unique',
          rule: 'children.institution_external_ref',
        });
        assert.deepEqual(await violation(f.guardian(w.parent.id, w.child.id)), {
          kind: 'unique',
          rule: 'guardian_links.person_child',
        });
        assert.deepEqual(await violation(f.person({ subject: w.parent.subject })), {
          kind: 'unique',
          rule: 'persons.identity',
        });
        assert.deepEqual(await violation(f.closedDay(w.institution.id, { day: w.closedDay.day })), {
          kind: 'unique',
          rule: 'closed_days.institution_day',
        });
        assert.deepEqual(await violation(r.rooms.delete(w.group.id)), { kind: 'foreign_key' });
        assert.deepEqual(await violation(f.enrol(w.child.id, w.group.id, { start_date: '2026-01-01' })), {
          kind: 'enrolment_overlap',
        });
        assert.deepEqual(
          await violation(
            f.enrol(w.child.id, w.group.id, { start_date: '2020-01-10', end_date: '2020-01-01' }),
          ),
          { kind: 'check' },
        );
        // a period that ends the day before the open one starts does not overlap
        await f.enrol(w.child.id, w.group.id, { start_date: '2024-09-01', end_date: '2025-08-31' });
        assert.equal(constraintViolation(new Error('something else')), null);
      }),
    );
  });
}
