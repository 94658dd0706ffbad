/**
 * CSV import of a kindergarten roster: the parser on its own (pure), and the endpoint on both
 * databases — all or nothing, every bad row named, idempotent re-import, one audit entry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDate, parseRoster } from '../../src/domain/csv-import/parse.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { dumpDatabase, Factory, TEST_ISSUER, type KindergartenWorld } from '../support/factory.js';
import type { RoomRow } from '../../src/storage/repositories/rooms.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const TODAY = '2026-06-01';

interface Problem {
  line: number;
  column?: string;
  reason: string;
}

describe('roster CSV parser', () => {
  test('reads the Excel flavour: BOM, semicolons, CRLF, DD.MM.YYYY, any column order, quotes', () => {
    const { rows, problems } = parseRoster(fixture('roster-excel.csv'), TODAY);
    assert.deepEqual(problems, []);
    assert.deepEqual(rows, [
      {
        line: 2,
        childRef: 'KG-101',
        childName: 'Ваня Смирнов',
        birthDate: '2021-05-14',
        group: 'Пчёлки',
        enrolledFrom: '2025-09-01',
        enrolledTo: null,
        guardian: {
          subject: 'esia-2001',
          name: 'Пётр Смирнов',
          email: null,
          phone: null,
          relation: 'parent',
        },
      },
      {
        line: 3,
        childRef: 'KG-102',
        childName: 'Ева "Солнышко" Ли',
        birthDate: null,
        group: 'Звёздочки',
        enrolledFrom: '2025-09-01',
        enrolledTo: null,
        guardian: null,
      },
    ]);
  });

  test('line numbers are those of the file, header = 1, empty rows counted but skipped', () => {
    const csv = 'child_ref,child_name,group,enrolled_from\n\nA,"Two\nlines",G,2025-09-01\nB,,G,2025-09-01\n';
    const { rows, problems } = parseRoster(Buffer.from(csv), TODAY);
    assert.deepEqual(
      rows.map((r) => [r.line, r.childRef]),
      [[3, 'A']],
    );
    assert.deepEqual(problems, [{ line: 5, column: 'child_name', reason: 'missing value' }]);
  });

  test('header problems: missing and unknown columns, no header at all', () => {
    let r = parseRoster(Buffer.from('child_ref,child_nme,group\nA,B,C\n'), TODAY);
    assert.deepEqual(
      r.problems.map((p) => [p.line, p.column]),
      [
        [1, 'child_nme'],
        [1, 'child_name'],
        [1, 'enrolled_from'],
      ],
    );
    r = parseRoster(Buffer.from(''), TODAY);
    assert.deepEqual(
      r.problems.map((p) => p.line),
      [1],
    );
    r = parseRoster(Buffer.from('\n\nchild_ref'), TODAY);
    assert.match(r.problems[0]!.reason, /header/);
  });

  test('unreadable CSV and text that is not UTF-8 are named by line', () => {
    let r = parseRoster(
      Buffer.from('child_ref,child_name,group,enrolled_from\nA,"B"x,G,2025-09-01\n'),
      TODAY,
    );
    assert.equal(r.problems[0]?.line, 2);
    assert.match(r.problems[0]?.reason ?? '', /unreadable CSV/);
    const cp1251 = Buffer.concat([
      Buffer.from('child_ref,child_name,group,enrolled_from\nA,'),
      Buffer.from([0xcc, 0xe0, 0xf8, 0xe0]), // "Маша" in Windows-1251
      Buffer.from(',G,2025-09-01\n'),
    ]);
    r = parseRoster(cp1251, TODAY);
    assert.deepEqual(
      r.problems.map((p) => p.line),
      [2],
    );
    assert.match(r.problems[0]!.reason, /UTF-8/);
  });

  test('dates: ISO and Russian spreadsheet style, real calendar days only', () => {
    assert.equal(parseDate('2024-02-29'), '2024-02-29');
    assert.equal(parseDate('29.02.2024'), '2024-02-29');
    assert.equal(parseDate('1.9.2025'), '2025-09-01');
    for (const bad of ['2025-02-29', '31.04.2025', '2025/09/01', '09/01/2025', '2025-9-1', '01.09.25', ''])
      assert.equal(parseDate(bad), null, bad);
  });
});

for (const { name, open, skip } of testDatabases()) {
  describe(`roster import on ${name}`, { skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let f: Factory;

    before(async () => {
      db = await open();
      t = await buildTestApp(db);
      f = new Factory(db.kysely);
    });
    after(async () => {
      await t.close();
      await db.close();
    });

    /** A kindergarten with the groups the fixtures name, plus a hall. */
    async function kindergarten(): Promise<{
      w: KindergartenWorld;
      s: TestSession;
      bees: RoomRow;
      stars: RoomRow;
    }> {
      const w = await f.kindergartenWorld((await f.region()).id);
      const bees = await f.room(w.institution.id, { name: 'Пчёлки' });
      const stars = await f.room(w.institution.id, { name: 'Звёздочки' });
      await f.room(w.institution.id, { name: 'Музыкальный зал', kind: 'hall' });
      return { w, s: await sessionFor(t, w.admin.id), bees, stars };
    }

    const upload = (s: TestSession, institutionId: string, body: Buffer | string, contentType = 'text/csv') =>
      t.app.inject({
        method: 'POST',
        url: `/api/admin/institutions/${institutionId}/import`,
        headers: { ...s.headers, 'content-type': contentType },
        payload: body,
      });

    const domainDump = async () => {
      const { audit_log: _log, audit_head: _head, ...rest } = await dumpDatabase(db.kysely);
      return rest;
    };

    test('a good file imports everything in one go, with one audit entry', async () => {
      const { w, s, bees, stars } = await kindergarten();
      const res = await upload(s, w.institution.id, fixture('roster-good.csv'));
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        rows: 6,
        children: { created: 4, updated: 0, unchanged: 0 },
        enrolments: { created: 5, updated: 0, unchanged: 0 },
        guardians: { created: 4, updated: 0, unchanged: 0 },
        persons: { created: 3, matched: 0 },
        unverifiedLinks: 0,
      });
      const dima = (await f.r.children.byExternalRefs(w.institution.id, ['KG-002']))[0]!;
      assert.equal(dima.birth_date, '2020-11-02');
      const enrolments = await f.r.enrolments.ofChildren([dima.id]);
      assert.deepEqual(
        enrolments.map((e) => [e.room_id, e.start_date, e.end_date]).sort(),
        [
          [bees.id, '2025-09-01', null],
          [stars.id, '2024-09-01', '2025-08-31'],
        ].sort(),
      );
      const anna = (await f.r.persons.findByIdentity(TEST_ISSUER, 'esia-1001'))!;
      assert.deepEqual(
        [anna.display_name, anna.email, anna.phone],
        ['Анна Иванова', 'anna@example.org', '+7 900 111-22-33'],
      );
      const links = await f.r.guardianLinks.ofChildren([dima.id]);
      assert.deepEqual(
        links.map((l) => [l.relation, l.verified]),
        [['mother', 1]],
      );
      const sonya = (await f.r.children.byExternalRefs(w.institution.id, ['KG-003']))[0]!;
      assert.equal(sonya.full_name, 'Соня Белова, младшая');
      const audit = await db.kysely
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'admin.institution.import')
        .execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.institution_id, w.institution.id);
      assert.equal(audit[0]!.actor_role, 'kindergarten_admin');
      const details = JSON.parse(audit[0]!.details!) as { children: unknown };
      assert.deepEqual(details.children, { created: 4, updated: 0, unchanged: 0 });
    });

    test('importing the same file again changes nothing', async () => {
      const { w, s } = await kindergarten();
      assert.equal((await upload(s, w.institution.id, fixture('roster-good.csv'))).statusCode, 200);
      const before = await domainDump();
      const again = await upload(s, w.institution.id, fixture('roster-good.csv'));
      assert.equal(again.statusCode, 200, again.body);
      assert.deepEqual(again.json(), {
        rows: 6,
        children: { created: 0, updated: 0, unchanged: 4 },
        enrolments: { created: 0, updated: 0, unchanged: 5 },
        guardians: { created: 0, updated: 0, unchanged: 4 },
        persons: { created: 0, matched: 3 },
        unverifiedLinks: 0,
      });
      assert.deepEqual(await domainDump(), before);
      // the Excel flavour of another roster, twice
      assert.equal(
        (await upload(s, w.institution.id, fixture('roster-excel.csv'))).json<{
          children: { created: number };
        }>().children.created,
        2,
      );
      assert.equal(
        (await upload(s, w.institution.id, fixture('roster-excel.csv'))).json<{
          children: { unchanged: number };
        }>().children.unchanged,
        2,
      );
    });

    test('a changed file updates names, end dates and relations, and never deletes', async () => {
      const { w, s } = await kindergarten();
      const csv = (name: string, to: string, relation: string) =>
        `child_ref,child_name,group,enrolled_from,enrolled_to,guardian_subject,guardian_name,relation\n` +
        `KG-501,${name},Пчёлки,2025-09-01,${to},esia-5001,Мама,${relation}\n`;
      assert.equal((await upload(s, w.institution.id, csv('Петя', '', 'mother'))).statusCode, 200);
      const res = await upload(s, w.institution.id, csv('Пётр', '2026-05-31', 'guardian'));
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        rows: 1,
        children: { created: 0, updated: 1, unchanged: 0 },
        enrolments: { created: 0, updated: 1, unchanged: 0 },
        guardians: { created: 0, updated: 1, unchanged: 0 },
        persons: { created: 0, matched: 1 },
        unverifiedLinks: 0,
      });
      // the world's own child, not in the file, is still there
      assert.ok(await f.r.children.find(w.child.id));
    });

    test('a link to a person this kindergarten does not know is created unverified', async () => {
      const { w, s } = await kindergarten();
      // a parent of another kindergarten, and a member of staff with no child anywhere
      const other = await f.kindergartenWorld(w.region.id);
      const staff = await f.staff('auditor', 'region', w.region.id);
      const csv =
        `child_ref,child_name,group,enrolled_from,guardian_subject,guardian_name,relation\n` +
        `KG-701,Лиза,Пчёлки,2025-09-01,${other.parent.subject},Чужой родитель,father\n` +
        `KG-702,Миша,Пчёлки,2025-09-01,${staff.subject},Сотрудник,guardian\n` +
        `KG-703,Ваня,Пчёлки,2025-09-01,${w.parent.subject},Свой родитель,mother\n` +
        `KG-704,Катя,Пчёлки,2025-09-01,esia-new-7040,Новая мама,mother\n`;
      const res = await upload(s, w.institution.id, csv);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<{ unverifiedLinks: number; persons: unknown }>();
      assert.equal(body.unverifiedLinks, 2);
      assert.deepEqual(body.persons, { created: 1, matched: 3 });
      const verifiedOf = async (ref: string) => {
        const child = (await f.r.children.byExternalRefs(w.institution.id, [ref]))[0]!;
        return (await f.r.guardianLinks.ofChildren([child.id])).map((l) => l.verified);
      };
      assert.deepEqual(await verifiedOf('KG-701'), [0], 'another kindergarten’s parent: unverified');
      assert.deepEqual(await verifiedOf('KG-702'), [0], 'a person with no child here: unverified');
      assert.deepEqual(await verifiedOf('KG-703'), [1], 'a guardian this kindergarten verified: verified');
      assert.deepEqual(await verifiedOf('KG-704'), [1], 'a guardian the file creates: verified');
      // the other kindergarten's parent sees the child as awaiting confirmation, with no camera
      const parent = await sessionFor(t, other.parent.id);
      const home = await t.app.inject({ url: '/api/parent/children', headers: parent.headers });
      const liza = home
        .json<{ items: { child: { name: string }; verified: boolean; cameras: unknown[] }[] }>()
        .items.find((i) => i.child.name === 'Лиза');
      assert.deepEqual(liza && { verified: liza.verified, cameras: liza.cameras }, {
        verified: false,
        cameras: [],
      });
      // the administrator confirms the link
      const lizaChild = (await f.r.children.byExternalRefs(w.institution.id, ['KG-701']))[0]!;
      const link = (await f.r.guardianLinks.ofChildren([lizaChild.id]))[0]!;
      const confirmed = await t.app.inject({
        method: 'PATCH',
        url: `/api/admin/guardian-links/${link.id}`,
        headers: s.headers,
        payload: { verified: true },
      });
      assert.equal(confirmed.statusCode, 200, confirmed.body);
      assert.deepEqual(await verifiedOf('KG-701'), [1]);
      // importing the file again leaves the (now confirmed) links alone
      const again = await upload(s, w.institution.id, csv);
      assert.equal(again.json<{ unverifiedLinks: number }>().unverifiedLinks, 0);
      assert.deepEqual(await verifiedOf('KG-702'), [0]);
    });

    test('a file with one bad row imports nothing and names that row', async () => {
      const { w, s } = await kindergarten();
      const before = await dumpDatabase(db.kysely);
      const res = await upload(s, w.institution.id, fixture('roster-one-bad-row.csv'));
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json<{ code: string; message: string; details: Problem[] }>();
      assert.equal(body.code, 'validation_failed');
      assert.match(body.message, /nothing was imported/);
      assert.deepEqual(body.details, [
        {
          line: 3,
          column: 'birth_date',
          reason: 'not a date: "2021-02-30" (write YYYY-MM-DD or DD.MM.YYYY)',
        },
      ]);
      assert.deepEqual(await dumpDatabase(db.kysely), before);
    });

    test('a file with several bad rows lists every one of them', async () => {
      const { w, s } = await kindergarten();
      const before = await dumpDatabase(db.kysely);
      const res = await upload(s, w.institution.id, fixture('roster-many-bad-rows.csv'));
      assert.equal(res.statusCode, 400, res.body);
      const details = res.json<{ details: Problem[] }>().details;
      assert.deepEqual(
        details.map((p) => [p.line, p.column ?? null]),
        [
          [3, 'child_name'],
          [4, 'group'],
          [5, 'enrolled_to'],
          [6, 'guardian_email'],
          [7, null],
          [9, 'enrolled_from'],
          [10, 'guardian_name'],
          [11, 'guardian_subject'],
          [12, 'group'],
          [13, 'birth_date'],
        ],
        JSON.stringify(details, null, 1),
      );
      assert.match(details.find((p) => p.line === 7)!.reason, /duplicate of line 2/);
      assert.match(details.find((p) => p.line === 9)!.reason, /overlaps the one on line 8/);
      assert.match(details.find((p) => p.line === 12)!.reason, /not a group room/);
      assert.deepEqual(await dumpDatabase(db.kysely), before);
    });

    test('rows are checked against the database: stored enrolments, other kindergartens’ groups', async () => {
      const { w, s } = await kindergarten();
      const other = await f.kindergartenWorld(w.region.id, 'Other');
      const before = await dumpDatabase(db.kysely);
      const csv =
        'child_ref,child_name,group,enrolled_from\n' +
        `${w.child.external_ref},${w.child.full_name},Пчёлки,2026-01-01\n` + // overlaps the stored open enrolment
        `KG-601,Новенький,${other.group.name},2025-09-01\n` + // a group of another kindergarten, by name
        `KG-602,Новенькая,${other.group.id},2025-09-01\n`; // … and by id
      const res = await upload(s, w.institution.id, csv);
      assert.equal(res.statusCode, 400, res.body);
      const details = res.json<{ details: Problem[] }>().details;
      assert.deepEqual(
        details.map((p) => [p.line, p.column]),
        [
          [2, 'enrolled_from'],
          [3, 'group'],
          [4, 'group'],
        ],
      );
      assert.match(
        details[0]!.reason,
        /overlaps the enrolment already recorded in "Group [^"]+" \(2025-09-01 – open-ended\)/,
      );
      assert.equal(details[1]!.reason, `no group "${other.group.name}" in this kindergarten`);
      assert.deepEqual(await dumpDatabase(db.kysely), before);

      // closing the stored enrolment in the same file makes the move valid
      const move =
        'child_ref,child_name,group,enrolled_from,enrolled_to\n' +
        `${w.child.external_ref},${w.child.full_name},${w.group.name},2025-09-01,2025-12-31\n` +
        `${w.child.external_ref},${w.child.full_name},Пчёлки,2026-01-01,\n`;
      const ok = await upload(s, w.institution.id, move);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(ok.json<{ enrolments: unknown }>().enrolments, {
        created: 1,
        updated: 1,
        unchanged: 0,
      });
    });

    test('wrong content type, wrong charset, too large, an office, another kindergarten', async () => {
      const { w, s } = await kindergarten();
      const good = fixture('roster-good.csv');
      assert.equal((await upload(s, w.institution.id, good, 'text/plain')).statusCode, 415);
      assert.equal(
        (await upload(s, w.institution.id, good, 'text/csv; charset=windows-1251')).statusCode,
        415,
      );
      assert.equal((await upload(s, w.institution.id, good, 'text/csv; charset=UTF-8')).statusCode, 200);
      const huge = Buffer.alloc(5 * 1024 * 1024 + 1, 'a');
      const big = await upload(s, w.institution.id, huge);
      assert.equal(big.statusCode, 413);
      assert.equal(big.json<{ code: string }>().code, 'payload_too_large');
      const office = await f.officeWorld(w.region.id);
      const operator = await sessionFor(t, (await f.staff('city_operator', 'region', w.region.id)).id);
      assert.equal(
        (await upload(operator, office.institution.id, good)).statusCode,
        404,
        'a city operator does not see offices',
      );
      const regional = await sessionFor(t, (await f.staff('regional_operator', 'region', w.region.id)).id);
      assert.equal(
        (await upload(regional, office.institution.id, good)).statusCode,
        404,
        'offices import no children',
      );
      const other = await f.kindergartenWorld(w.region.id);
      assert.equal((await upload(s, other.institution.id, good)).statusCode, 404);
      assert.equal(
        (await upload(s, other.institution.id, fixture('roster-many-bad-rows.csv'))).statusCode,
        404,
      );
    });
  });
}
