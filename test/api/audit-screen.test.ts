/**
 * The auditor's screen over HTTP on both databases: suggestions for the person, child, camera and
 * institution filters (scoped like the log itself, case-insensitive in Cyrillic, bad input refused in
 * Russian), filtering by each picked name, rows with names and Russian words beside the codes, the
 * free-text search, and the CSV export with the same filters and the names.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases, type TestDb } from '../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { Factory } from '../support/factory.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';

interface Suggestion {
  kind: string;
  id: string;
  name: string;
  context: string | null;
}
interface Entry {
  seq: number;
  action: string;
  actionText: string | null;
  actor: { personId: string; name: string | null; role: string | null; roleText: string | null } | null;
  target: { kind: string; kindText: string | null; id: string | null; name: string | null } | null;
  child: { id: string; name: string | null } | null;
  camera: { id: string; name: string | null } | null;
  room: { id: string; name: string | null } | null;
  institution: { id: string; name: string | null } | null;
  decision: 'allow' | 'deny' | null;
  reason: string | null;
  reasonText: string | null;
  detailLines: { label: string; value: string }[];
}

for (const { name, open, skip } of testDatabases()) {
  describe(`audit screen API on ${name}`, { skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let auditor: TestSession;
    let auditorB: TestSession;
    let kgAdmin: TestSession;
    const ids: Record<string, string> = {};

    const get = async <T>(s: TestSession, url: string) => {
      const r = await t.app.inject({ url, headers: s.headers });
      const json = /json/.test(String(r.headers['content-type']));
      return { status: r.statusCode, body: (json ? r.json<T>() : null) as T, raw: r };
    };
    const suggest = async (s: TestSession, kind: string, q: string) => {
      const r = await get<{ items: Suggestion[]; message?: string }>(
        s,
        `/api/audit/suggest?kind=${kind}&q=${encodeURIComponent(q)}`,
      );
      assert.equal(r.status, 200, `${kind} ${q}: ${JSON.stringify(r.body)}`);
      return r.body.items;
    };
    const entries = async (s: TestSession, query: string) => {
      const r = await get<{ items: Entry[]; picked?: Record<string, Suggestion | null> }>(
        s,
        `/api/audit?${query}`,
      );
      assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
      return r.body;
    };

    before(async () => {
      db = await open();
      t = await buildTestApp(db);
      await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
      const person = async (subject: string) =>
        (
          await db.kysely
            .selectFrom('persons')
            .select('id')
            .where('subject', '=', subject)
            .executeTakeFirstOrThrow()
        ).id;
      for (const s of ['demo-parent-anna', 'demo-parent-petr', 'demo-kg-admin', 'demo-auditor'])
        ids[s] = await person(s);
      const cams = await db.kysely.selectFrom('cameras').select(['id', 'name']).execute();
      ids.bees = cams.find((c) => c.name === 'Пчёлки — игровая')!.id;
      ids.daisies = cams.find((c) => c.name === 'Ромашки — игровая')!.id;
      ids.masha = (
        await db.kysely
          .selectFrom('children')
          .select('id')
          .where('full_name', '=', 'Маша Иванова')
          .executeTakeFirstOrThrow()
      ).id;
      ids.kg1 = (
        await db.kysely
          .selectFrom('institutions')
          .select('id')
          .where('name', '=', 'Детский сад №1 «Солнышко»')
          .executeTakeFirstOrThrow()
      ).id;

      // Region B: a namesake parent «Анна Иванова-Белова», her child and camera, and its own auditor.
      const f = new Factory(db.kysely);
      const regionB = await f.region({ name: 'Другой город' });
      const world = await f.kindergartenWorld(regionB.id);
      await db.kysely
        .updateTable('persons')
        .set({ display_name: 'АННА Иванова-Белова' })
        .where('id', '=', world.parent.id)
        .execute();
      await db.kysely
        .updateTable('children')
        .set({ full_name: 'Маша Белова' })
        .where('id', '=', world.child.id)
        .execute();
      await db.kysely
        .updateTable('cameras')
        .set({ name: 'Пчёлки Б — игровая' })
        .where('id', '=', world.camera.id)
        .execute();
      await db.kysely
        .updateTable('institutions')
        .set({ name: 'Детский сад №1 другого города' })
        .where('id', '=', world.institution.id)
        .execute();
      const auditorBPerson = await f.person({ display_name: 'Аудитор Другого' });
      await f.bind(auditorBPerson.id, 'auditor', 'region', regionB.id);
      ids.annaB = world.parent.id;
      ids.cameraB = world.camera.id;

      auditor = await sessionFor(t, ids['demo-auditor']!);
      auditorB = await sessionFor(t, auditorBPerson.id);
      kgAdmin = await sessionFor(t, ids['demo-kg-admin']!);
      const anna = await sessionFor(t, ids['demo-parent-anna']!);
      const petr = await sessionFor(t, ids['demo-parent-petr']!);
      const annaB = await sessionFor(t, world.parent.id);
      const ask = async (s: TestSession, cameraId: string) =>
        (
          await t.app.inject({
            method: 'POST',
            url: '/api/streams',
            headers: s.headers,
            payload: { cameraId },
          })
        ).statusCode;
      assert.equal(await ask(anna, ids.bees), 200, 'Anna watches her group');
      assert.equal(await ask(petr, ids.bees), 404, 'Pyotr is refused the other kindergarten');
      await ask(annaB, world.camera.id); // region B's entry, whatever the decision
    });

    after(async () => {
      await t?.close();
      await db?.close();
    });

    test('person suggestions: any case, Cyrillic, ё as е, several words; only within the scope', async () => {
      for (const q of ['анна', 'АННА', 'аННа ив', 'Иванова анна']) {
        const names = (await suggest(auditor, 'person', q)).map((s) => s.name);
        assert.deepEqual(names, ['Анна Иванова'], `«${q}» finds the demo parent and not region B's`);
      }
      const anna = (await suggest(auditor, 'person', 'анна'))[0]!;
      assert.equal(anna.id, ids['demo-parent-anna']);
      assert.match(anna.context ?? '', /родитель: Маша Иванова/);
      assert.ok(
        (await suggest(auditor, 'person', 'петр')).some((s) => s.name === 'Пётр Смирнов'),
        '«петр» finds «Пётр»',
      );
      assert.deepEqual(
        (await suggest(auditor, 'person', 'пётр смир')).map((s) => s.name),
        ['Пётр Смирнов'],
      );
      assert.deepEqual(
        (await suggest(auditor, 'person', 'ольга кузн')).map((s) => s.name),
        ['Ольга Петровна Кузнецова'],
      );
      // Region B's auditor sees only region B's namesake.
      assert.deepEqual(
        (await suggest(auditorB, 'person', 'анна')).map((s) => s.id),
        [ids.annaB],
      );
      // The kindergarten's administrator sees her own kindergarten's parent, not kindergarten 2's.
      assert.deepEqual(
        (await suggest(kgAdmin, 'person', 'анна')).map((s) => s.name),
        ['Анна Иванова'],
      );
      // Pyotr asked for a camera of her kindergarten: he is in her log, so she may find him.
      assert.deepEqual(
        (await suggest(kgAdmin, 'person', 'смирнов')).map((s) => s.name),
        ['Пётр Смирнов'],
      );
      assert.deepEqual(await suggest(auditorB, 'person', 'смирнов'), [], 'not in region B');
    });

    test('child, camera and institution suggestions are scoped and case-insensitive', async () => {
      const kids = await suggest(auditor, 'child', 'МАША');
      assert.deepEqual(
        kids.map((k) => k.name),
        ['Маша Иванова'],
      );
      assert.match(kids[0]!.context ?? '', /Пчёлки.*Солнышко/);
      assert.deepEqual(
        (await suggest(auditorB, 'child', 'маша')).map((k) => k.name),
        ['Маша Белова'],
      );
      const cams = (await suggest(auditor, 'camera', 'пчелки')).map((c) => c.name).sort();
      assert.deepEqual(cams, ['Пчёлки — игровая', 'Пчёлки — спальня']);
      assert.deepEqual(
        (await suggest(auditorB, 'camera', 'ПЧЁЛКИ')).map((c) => c.id),
        [ids.cameraB],
      );
      const kgs = (await suggest(auditor, 'institution', 'детский')).map((i) => i.name);
      assert.ok(kgs.includes('Детский сад №1 «Солнышко»'));
      assert.ok(!kgs.includes('Детский сад №1 другого города'), 'not from region B');
      assert.deepEqual(
        (await suggest(auditor, 'institution', '№2')).map((i) => i.name),
        ['Детский сад №2 «Берёзка» (пилот)'],
      );
      // Punctuation is matched as itself, not as a pattern.
      assert.deepEqual(await suggest(auditor, 'institution', '*['), []);
      assert.deepEqual(await suggest(auditor, 'person', '%_'), []);
    });

    test('bad suggestion requests are refused in Russian; parents get nothing', async () => {
      const bad = async (query: string, field: string) => {
        const r = await get<{ code: string; message: string; details: { field: string } }>(
          auditor,
          `/api/audit/suggest?${query}`,
        );
        assert.equal(r.status, 400, query);
        assert.equal(r.body.code, 'validation_failed');
        assert.equal(r.body.details.field, field);
        assert.match(r.body.message, /[а-яё]/i, `a Russian message: ${r.body.message}`);
      };
      await bad('kind=person&q=%D0%B0', 'q'); // one letter
      await bad('kind=person&q=%20%20%20', 'q');
      await bad(`kind=person&q=${'я'.repeat(101)}`, 'q');
      await bad('kind=room&q=%D0%B0%D0%BD', 'kind');
      const anna = await sessionFor(t, ids['demo-parent-anna']!);
      assert.equal((await get(anna, '/api/audit/suggest?kind=person&q=анна')).status, 404);
      assert.equal((await get(anna, '/api/audit/actions')).status, 404);
      const actions = await get<{ items: { code: string; text: string }[] }>(auditor, '/api/audit/actions');
      assert.ok(actions.body.items.some((a) => a.code === 'grant.live' && a.text === 'Открыл живое видео'));
      assert.equal((await t.app.inject({ url: '/api/audit/suggest?kind=person&q=анна' })).statusCode, 401);
    });

    test('filtering by a picked person, child, camera and institution; rows carry names and words', async () => {
      const annaId = ids['demo-parent-anna']!;
      const byPerson = await entries(auditor, `person=${annaId}&action=grant.live`);
      assert.ok(byPerson.items.length >= 1);
      for (const e of byPerson.items) {
        assert.equal(e.actor?.personId, annaId);
        assert.equal(e.actor?.name, 'Анна Иванова');
        assert.equal(e.actionText, 'Открыл живое видео');
        assert.equal(e.camera?.name, 'Пчёлки — игровая');
        assert.equal(e.room?.name, 'Группа «Пчёлки»');
        assert.equal(e.institution?.name, 'Детский сад №1 «Солнышко»');
        assert.equal(e.child?.name, 'Маша Иванова', 'the stream names the child it was for');
        assert.equal(e.reason, 'guardian');
        assert.equal(e.reasonText, 'законный представитель ребёнка из группы');
      }
      assert.equal(byPerson.picked?.person?.name, 'Анна Иванова', 'the picked filter is named');

      const byChild = await entries(auditor, `child=${ids.masha}`);
      assert.ok(byChild.items.some((e) => e.action === 'grant.live' && e.actor?.personId === annaId));
      assert.ok(byChild.items.every((e) => e.child?.id === ids.masha));

      const byCamera = await entries(auditor, `camera=${ids.bees}&decision=deny`);
      const petrDenied = byCamera.items.find((e) => e.actor?.personId === ids['demo-parent-petr']);
      assert.ok(petrDenied, 'Pyotr’s refusal on the bees camera');
      assert.equal(petrDenied.reasonText, 'ребёнок не числится в группе');
      assert.equal(petrDenied.actor?.name, 'Пётр Смирнов');
      assert.ok(byCamera.items.every((e) => e.camera?.id === ids.bees));

      const byKg = await entries(auditor, `institution=${ids.kg1}&action=grant.live`);
      assert.ok(byKg.items.length >= 2);
      assert.ok(byKg.items.every((e) => e.institution?.id === ids.kg1));

      // Region B's auditor cannot read region A's parent by id: the id filters within its scope.
      const foreign = await entries(auditorB, `person=${annaId}`);
      assert.deepEqual(foreign.items, []);
      assert.equal(foreign.picked?.person, null, 'a person outside the scope is not named');
      // A seeded administrator change reads as lines, not JSON.
      const seeded = await entries(auditor, 'action=demo.seed');
      for (const e of seeded.items) assert.equal(e.actionText, 'Создание демонстрационных данных');
    });

    test('free text finds names and words (not ids); invalid filters get a Russian message', async () => {
      const found = await entries(auditor, `text=${encodeURIComponent('пчелки открыл')}`);
      assert.ok(found.items.length >= 1);
      assert.ok(
        found.items.every((e) => e.action === 'grant.live' && e.camera?.name === 'Пчёлки — игровая'),
        JSON.stringify(found.items.map((e) => [e.action, e.camera?.name])),
      );
      const byName = await entries(auditor, `text=${encodeURIComponent('смирнов')}`);
      assert.ok(byName.items.some((e) => e.actor?.name === 'Пётр Смирнов'));
      assert.deepEqual((await entries(auditor, 'text=zzzqqq')).items, []);

      const bad = async (query: string, field: string) => {
        const r = await get<{ code: string; message: string; details: { field: string } }>(
          auditor,
          `/api/audit?${query}`,
        );
        assert.equal(r.status, 400, query);
        assert.equal(r.body.details.field, field, query);
        assert.match(r.body.message, /[а-яё]/i, `a Russian message: ${r.body.message}`);
        assert.doesNotMatch(r.body.message, /schema|must match/);
      };
      await bad(`person=${encodeURIComponent('Анна Иванова')}`, 'person');
      await bad('child=masha', 'child');
      await bad('camera=1', 'camera');
      await bad('institution=x', 'institution');
      await bad('action=Открыл', 'action');
      await bad('decision=maybe', 'decision');
      await bad('from=yesterday', 'from');
      await bad('to=2026-13-45T00:00', 'to');
      await bad('from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z', 'to');
      await bad(`text=${'а'.repeat(201)}`, 'text');
      await bad('cursor=abc', 'cursor');
    });

    test('the CSV export keeps the filters and names the people, cameras and children', async () => {
      const r = await get<never>(
        auditor,
        `/api/audit.csv?person=${ids['demo-parent-anna']}&action=grant.live`,
      );
      assert.equal(r.status, 200);
      const lines = r.raw.body
        .replace(/^\ufeff/, '')
        .trim()
        .split('\r\n');
      assert.match(lines[0]!, /^"seq","время","кто","роль","действие"/);
      assert.ok(lines.length >= 2);
      for (const line of lines.slice(1)) {
        assert.ok(line.includes('"Анна Иванова"'), line);
        assert.ok(line.includes('"Открыл живое видео"'), line);
        assert.ok(line.includes('"Пчёлки — игровая"'), line);
        assert.ok(line.includes('"Маша Иванова"'), line);
        assert.ok(line.includes('"grant.live"'), 'the code is kept');
      }
      const badCsv = await get<{ message: string }>(auditor, '/api/audit.csv?person=Анна');
      assert.equal(badCsv.status, 400);
    });
  });
}
