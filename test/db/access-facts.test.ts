/**
 * The one-statement snapshot of access facts on real SQLite and PostgreSQL: it returns exactly what
 * the single-family readers return, nothing of other people, children or rooms, counts open streams
 * only up to the asked bound and leaves out the stream being renewed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type KindergartenWorld } from '../support/factory.js';
import { AccessFactsRepository } from '../../src/storage/repositories/access-facts.js';
import { StreamSessionsRepository } from '../../src/storage/repositories/stream-sessions.js';
import { newId } from '../../src/shared/ids.js';

const NOW = '2026-03-02T08:00:00.000Z';

for (const d of testDatabases()) {
  describe(`access facts snapshot (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let f: Factory;
    let facts: AccessFactsRepository;
    let streams: StreamSessionsRepository;
    let a: KindergartenWorld;
    let b: KindergartenWorld;
    let second: { childId: string; enrolmentStart: string };

    before(async () => {
      db = await d.open();
      f = new Factory(db.kysely);
      facts = new AccessFactsRepository(db.kysely);
      streams = new StreamSessionsRepository(db.kysely);
      const region = await f.region();
      a = await f.kindergartenWorld(region.id, 'A');
      b = await f.kindergartenWorld(region.id, 'B');
      // A second child of A's parent, unverified, in B's group: both children's facts come along.
      const child = await f.child(b.institution.id);
      const enrolment = await f.enrol(child.id, b.group.id);
      await f.guardian(a.parent.id, child.id, { verified: 0 });
      second = { childId: child.id, enrolmentStart: enrolment.start_date };
    });
    after(() => db.close());

    async function open(personId: string, cameraId: string, started: boolean): Promise<string> {
      const id = newId();
      await streams.insert({
        id,
        person_id: personId,
        camera_id: cameraId,
        child_id: null,
        session_id: 'S',
        basis: 'staff',
        purpose: 'live',
        granted_at: NOW,
        renewed_at: NOW,
        grant_expires_at: '2026-03-02T08:01:00.000Z',
        started_at: started ? NOW : null,
        ended_at: null,
        end_reason: null,
        bytes: 0,
        transport: null,
        ip: null,
        user_agent: null,
      });
      return id;
    }

    test("a parent's facts: every family, for each of their children, nothing of anyone else", async () => {
      const s = await facts.liveSnapshot(a.parent.id, a.camera.id, { nowIso: NOW, countUpTo: 3 });
      assert.ok(s);
      const byChild = <T extends { childId: string }>(xs: readonly T[]) =>
        [...xs].sort((x, y) => x.childId.localeCompare(y.childId));
      // The camera half is what the camera reader (used by recordings) returns.
      assert.deepEqual(s.camera, await facts.camera(a.camera.id));
      assert.deepEqual(s.viewer, await facts.viewer(a.parent.id));
      assert.deepEqual(s.camera.facts.closedDays, [a.closedDay.day]);
      assert.equal(s.camera.facts.timeZone, a.institution.time_zone);
      assert.deepEqual(
        byChild(s.guardianLinks),
        byChild([
          { childId: a.child.id, verified: true },
          { childId: second.childId, verified: false },
        ]),
      );
      assert.deepEqual(
        byChild(s.enrolments),
        byChild([
          { childId: a.child.id, roomId: a.group.id, startDate: a.enrolment.start_date, endDate: null },
          { childId: second.childId, roomId: b.group.id, startDate: second.enrolmentStart, endDate: null },
        ]),
      );
      // B's parent holds no subscription for the second child; A's parent's own one is there.
      assert.deepEqual(s.subscriptions, [{ childId: a.child.id, status: a.subscription.status }]);
      assert.deepEqual(s.viewingWindows, [
        { weekday: a.schedule.weekday, start: a.schedule.start_time, end: a.schedule.end_time },
      ]);
      assert.equal(s.consent, a.consent.status);
      assert.equal(s.openStreams, 0);
    });

    test('staff without children: open streams are not counted (the cap is for parents)', async () => {
      const admin = await f.staff('kindergarten_admin', 'institution', b.institution.id);
      for (let i = 0; i < 4; i++) await open(admin.id, b.camera.id, true);
      const s = await facts.liveSnapshot(admin.id, b.camera.id, { nowIso: NOW, countUpTo: 10 });
      assert.equal(s?.openStreams, 0);
    });

    test('staff: role bindings, no guardian facts', async () => {
      const s = await facts.liveSnapshot(a.admin.id, a.camera.id, { nowIso: NOW, countUpTo: 3 });
      assert.ok(s);
      assert.deepEqual(s.viewer.roleBindings, [
        { role: 'kindergarten_admin', scopeKind: 'institution', scopeId: a.institution.id },
      ]);
      assert.deepEqual([s.guardianLinks, s.enrolments, s.subscriptions], [[], [], []]);
    });

    test('unknown camera or person: undefined', async () => {
      assert.equal(await facts.liveSnapshot(a.parent.id, newId(), { nowIso: NOW, countUpTo: 3 }), undefined);
      assert.equal(await facts.liveSnapshot(newId(), a.camera.id, { nowIso: NOW, countUpTo: 3 }), undefined);
    });

    test("a parent's open streams: counted up to the bound, the renewed one left out, ended ones not counted", async () => {
      // A second guardian of B's child (the cap is the guardian basis's; staff are not counted).
      const staff = await f.person();
      await f.guardian(staff.id, b.child.id);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await open(staff.id, b.camera.id, true));
      await streams.end(ids[4]!, NOW, 'closed', 0);
      const count = async (countUpTo: number, exceptStreamId?: string) =>
        (await facts.liveSnapshot(staff.id, b.camera.id, { nowIso: NOW, countUpTo, exceptStreamId }))!
          .openStreams;
      assert.equal(await count(10), 4);
      assert.equal(await count(3), 3);
      assert.equal(await count(10, ids[0]), 3);
      // A grant that never opened a connection holds no slot (a snapshot, a reload).
      await open(staff.id, b.camera.id, false);
      assert.equal(await count(10), 4);
    });
  });
}
