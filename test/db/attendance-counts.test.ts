/**
 * The nightly counts on real SQLite and PostgreSQL (src/attendance/aggregate.ts over
 * AttendanceRepository.bucketCounts): every case of the register and the notices lands in its column,
 * kindergartens on both sides of a chunk boundary of the `in (…)` lists are counted, a child enrolled
 * elsewhere that day is not, and a cancelled notice or one given after the cut-off does not count.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type KindergartenWorld } from '../support/factory.js';
import { computeDay } from '../../src/attendance/aggregate.js';
import { AttendanceRepository } from '../../src/storage/repositories/attendance.js';
import { IN_LIST_CHUNK } from '../../src/storage/repositories/chunks.js';

const DAY = '2026-03-03';
const T = '2026-03-01T08:00:00.000Z';

for (const d of testDatabases()) {
  describe(`attendance counts (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let f: Factory;
    let a: KindergartenWorld;
    let b: KindergartenWorld;
    let ids: string[];

    before(async () => {
      db = await d.open();
      f = new Factory(db.kysely);
      const region = await f.region();
      a = await f.kindergartenWorld(region.id, 'A');
      b = await f.kindergartenWorld(region.id, 'B');
      // a's world child is present; then: absent ill (unannounced), absent with a notice, present
      // despite a notice, unmarked, unmarked with a notice, a cancelled notice, and one who left.
      const kids: Record<string, string> = {};
      for (const name of ['ill', 'told', 'came', 'unmarked', 'toldUnmarked', 'cancelled', 'left']) {
        const c = await f.child(a.institution.id, { full_name: name, external_ref: `A-${name}` });
        await f.enrol(c.id, a.group.id, name === 'left' ? { end_date: '2026-03-02' } : {});
        kids[name] = c.id;
      }
      const mark = (
        child: string,
        kg: KindergartenWorld,
        status: 'present' | 'absent',
        reason: string | null,
      ) =>
        db.kysely
          .insertInto('register_marks')
          .values({
            child_id: child,
            day: DAY,
            institution_id: kg.institution.id,
            room_id: kg.group.id,
            status,
            reason: reason as never,
            marked_at: T,
            marked_by: null,
            synced_at: T,
          })
          .execute();
      await mark(a.child.id, a, 'present', null);
      await mark(kids.ill!, a, 'absent', 'ill');
      await mark(kids.told!, a, 'absent', 'vacation');
      await mark(kids.came!, a, 'present', null);
      await mark(kids.cancelled!, a, 'absent', 'other');
      await mark(b.child.id, b, 'absent', 'ill');
      const repo = new AttendanceRepository(db.kysely);
      for (const [name, cancelled] of [
        ['told', null],
        ['came', null],
        ['toldUnmarked', null],
        ['cancelled', T],
      ] as const)
        await repo.insertNotice({
          id: randomUUID(),
          child_id: kids[name]!,
          institution_id: a.institution.id,
          from_day: '2026-03-02',
          to_day: '2026-03-04',
          reason: 'other',
          note: null,
          created_by: null,
          created_at: T,
          cancelled_at: cancelled,
        });
      // b lands in the second chunk of every `in (…)` list
      ids = [
        a.institution.id,
        ...Array.from({ length: IN_LIST_CHUNK }, () => randomUUID()),
        b.institution.id,
      ];
    });
    after(() => db.close());

    test('each case in its column, on both sides of a chunk boundary', async () => {
      const agg = await computeDay(db.kysely, DAY, ids, T);
      const ga = agg.groups.find((g) => g.room_id === a.group.id)!;
      assert.deepEqual(
        {
          enrolled: ga.enrolled,
          present: ga.present,
          absent_notified: ga.absent_notified,
          absent_unannounced: ga.absent_unannounced,
          ill: ga.ill,
          unmarked: ga.unmarked,
        },
        // present: world child, came; notified: told, toldUnmarked; unannounced: ill, cancelled
        { enrolled: 7, present: 2, absent_notified: 2, absent_unannounced: 2, ill: 1, unmarked: 1 },
      );
      const da = agg.days.find((x) => x.institution_id === a.institution.id)!;
      assert.equal(da.enrolled, 7);
      assert.equal(da.present, 2);
      assert.equal(da.unmarked, 1);
      const gb = agg.groups.find((g) => g.room_id === b.group.id)!;
      assert.equal(gb.enrolled, 1);
      assert.equal(gb.absent_unannounced, 1);
      assert.equal(gb.ill, 1);
      assert.equal(
        agg.actuals.filter((x) => x.institutionId === a.institution.id).reduce((s, x) => s + x.actual, 0),
        2,
      );
    });

    test('notices given after the cut-off do not count for a final order', async () => {
      const repo = new AttendanceRepository(db.kysely);
      const all = await repo.bucketCounts(DAY, ids, { marks: false });
      const early = await repo.bucketCounts(DAY, ids, {
        marks: false,
        noticesBefore: '2026-03-01T00:00:00.000Z',
      });
      const sum = (rows: typeof all, kg: string) =>
        rows.filter((r) => r.institutionId === kg).reduce((s, r) => s + r.notified, 0);
      assert.equal(sum(all, a.institution.id), 3);
      assert.equal(sum(early, a.institution.id), 0);
      assert.equal(sum(all, b.institution.id), 0);
    });
  });
}
