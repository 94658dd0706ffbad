/**
 * Consent campaigns through the HTTP API on both databases: the demo's campaign in «Звёздочки» (one
 * family agreed, one silent), parents and the teacher answering, the group opening exactly when the
 * kindergarten's rule is met, a withdrawal closing it again, the rule's variants, the administrator's
 * progress, reminders and export, and who may do what.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases } from '../support/db.js';
import { buildTestApp, sessionFor, type TestSession } from '../support/app.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';
import { sweepCampaigns } from '../../src/domain/consent/campaigns.js';

interface Outcome {
  met: boolean;
  reason: string;
  agreed: number;
  families: number;
  missingAgreements: number;
  groupConsent: string;
}
interface ParentItem {
  campaignId: string;
  childId: string;
  childName: string;
  myAnswer: string | null;
  outcome: Outcome;
}

for (const { name, open, skip } of testDatabases()) {
  describe(`consent campaigns on ${name}`, { skip }, () => {
    test('parents and staff answer; the group opens exactly when the rule is met and closes on withdrawal', async () => {
      const db = await open();
      const t = await buildTestApp(db);
      try {
        await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
        const person = async (subject: string) =>
          (
            await db.kysely
              .selectFrom('persons')
              .select('id')
              .where('subject', '=', subject)
              .executeTakeFirstOrThrow()
          ).id;
        const irina = await sessionFor(t, await person('demo-parent-irina'));
        const oleg = await sessionFor(t, await person('demo-parent-oleg'));
        const anna = await sessionFor(t, await person('demo-parent-anna'));
        const teacher = await sessionFor(t, await person('demo-teacher-stars'));
        const admin = await sessionFor(t, await person('demo-kg-admin'));
        const cams = await db.kysely.selectFrom('cameras').select(['id', 'name', 'room_id']).execute();
        const stars = cams.find((c) => c.name === 'Звёздочки — игровая')!;

        const watch = (s: TestSession) =>
          t.app.inject({
            method: 'POST',
            url: '/api/streams',
            headers: s.headers,
            payload: { cameraId: stars.id },
          });
        const mine = async (s: TestSession) =>
          (await t.app.inject({ url: '/api/parent/consents', headers: s.headers })).json<{
            items: ParentItem[];
          }>().items;
        const answer = (s: TestSession, item: ParentItem, a: 'agree' | 'disagree') =>
          t.app.inject({
            method: 'POST',
            url: `/api/parent/consents/${item.campaignId}/answer`,
            headers: s.headers,
            payload: { childId: item.childId, answer: a },
          });

        // The demo: one family of two agreed; the group is closed with the reason.
        const closed = await watch(irina);
        assert.equal(closed.statusCode, 403);
        assert.equal(closed.json<{ details: { reason: string } }>().details.reason, 'consent_missing');
        const [ir] = await mine(irina);
        assert.ok(ir);
        assert.equal(ir.childName, 'Дима Орлов');
        assert.equal(ir.myAnswer, 'agree');
        assert.deepEqual(
          [ir.outcome.met, ir.outcome.reason, ir.outcome.missingAgreements],
          [false, 'waiting', 1],
        );
        // Another group's parent sees no question, and cannot answer this one.
        assert.deepEqual(await mine(anna), []);
        const [ol] = await mine(oleg);
        assert.ok(ol);
        assert.equal((await answer(anna, ol, 'agree')).statusCode, 404);
        // A body that is not an answer changes nothing.
        const bad = await t.app.inject({
          method: 'POST',
          url: `/api/parent/consents/${ol.campaignId}/answer`,
          headers: oleg.headers,
          payload: { childId: ol.childId, answer: 'yes' },
        });
        assert.equal(bad.statusCode, 400);

        // The second family agrees: the rule (all families) is met, the group opens at once.
        const met = await answer(oleg, ol, 'agree');
        assert.equal(met.statusCode, 200);
        assert.deepEqual([met.json<Outcome>().met, met.json<Outcome>().groupConsent], [true, 'given']);
        assert.equal((await watch(irina)).statusCode, 200);

        // A teacher of the group objects: closed again (staff are filmed too).
        const staff = (await t.app.inject({ url: '/api/staff/consents', headers: teacher.headers })).json<{
          items: { campaignId: string }[];
        }>().items;
        assert.equal(staff.length, 1);
        const objection = await t.app.inject({
          method: 'POST',
          url: `/api/staff/consents/${staff[0]!.campaignId}/answer`,
          headers: teacher.headers,
          payload: { answer: 'disagree' },
        });
        assert.deepEqual(
          [objection.json<Outcome>().met, objection.json<Outcome>().reason],
          [false, 'staff_objection'],
        );
        assert.equal((await watch(oleg)).statusCode, 403);
        await t.app.inject({
          method: 'POST',
          url: `/api/staff/consents/${staff[0]!.campaignId}/answer`,
          headers: teacher.headers,
          payload: { answer: 'agree' },
        });
        assert.equal((await watch(oleg)).statusCode, 200);

        // A parent withdraws: the group's consent is withdrawn, the policy refuses with the reason.
        const withdrawn = await answer(irina, ir, 'disagree');
        assert.deepEqual(
          [
            withdrawn.json<Outcome>().met,
            withdrawn.json<Outcome>().reason,
            withdrawn.json<Outcome>().groupConsent,
          ],
          [false, 'family_objection', 'withdrawn'],
        );
        const refused = await watch(oleg);
        assert.equal(refused.statusCode, 403);
        assert.equal(refused.json<{ details: { reason: string } }>().details.reason, 'consent_missing');

        // The administrator sees who answered what (names), not other parents.
        const room = await t.app.inject({
          url: `/api/admin/rooms/${stars.room_id}/consent-campaigns`,
          headers: admin.headers,
        });
        assert.equal(room.statusCode, 200);
        const detail = room.json<{
          active: {
            id: string;
            families: { childName: string; state: string }[];
            staff: { answer: string }[];
          };
          groupConsent: string;
        }>();
        assert.deepEqual(
          detail.active.families.map((f) => [f.childName, f.state]),
          [
            ['Дима Орлов', 'disagree'],
            ['Соня Белова', 'agree'],
          ],
        );
        assert.equal(detail.active.staff[0]!.answer, 'agree');
        assert.equal(detail.groupConsent, 'withdrawn');
        // A parent has no admin API at all; the group's teacher may read the room but not its campaign.
        for (const [s, status] of [
          [irina, 403],
          [teacher, 404],
        ] as const)
          assert.equal(
            (
              await t.app.inject({
                url: `/api/admin/rooms/${stars.room_id}/consent-campaigns`,
                headers: s.headers,
              })
            ).statusCode,
            status,
          );
        // While a campaign decides, the administrator cannot record the group's consent by hand.
        const byHand = await t.app.inject({
          method: 'POST',
          url: `/api/admin/rooms/${stars.room_id}/consents`,
          headers: admin.headers,
          payload: { status: 'given' },
        });
        assert.equal(byHand.statusCode, 409);

        // Every answer is kept with its text version, time and who: the export.
        const csv = await t.app.inject({
          url: `/api/admin/consent-campaigns/${detail.active.id}/answers.csv`,
          headers: admin.headers,
        });
        assert.equal(csv.statusCode, 200);
        const lines = csv.body.trim().split('\r\n');
        assert.equal(lines.length, 1 + 5, 'the demo answer, Oleg, the teacher twice, Irina’s withdrawal');
        assert.match(lines.at(-1)!, /Ирина Орлова,Дима Орлов,не согласен$/);
        const remind = await t.app.inject({
          method: 'POST',
          url: `/api/admin/consent-campaigns/${detail.active.id}/remind`,
          headers: admin.headers,
        });
        assert.equal(remind.statusCode, 200);

        // The rule changes to a 2/3 share: a new campaign, one family agrees of two → 50 % < 67 %.
        const rule = await t.app.inject({
          method: 'PUT',
          url: `/api/admin/institutions/${cams.length ? (await db.kysely.selectFrom('rooms').select('institution_id').where('id', '=', stars.room_id).executeTakeFirstOrThrow()).institution_id : ''}/consent-rule`,
          headers: admin.headers,
          payload: { kind: 'share', sharePercent: 67, graceDays: 7 },
        });
        assert.equal(rule.statusCode, 200);
        assert.equal(
          (
            await t.app.inject({
              method: 'POST',
              url: `/api/admin/rooms/${stars.room_id}/consent-campaigns`,
              headers: admin.headers,
              payload: {},
            })
          ).statusCode,
          409,
          'one active campaign per group',
        );
        await t.app.inject({
          method: 'POST',
          url: `/api/admin/consent-campaigns/${detail.active.id}/close`,
          headers: admin.headers,
        });
        const launched = await t.app.inject({
          method: 'POST',
          url: `/api/admin/rooms/${stars.room_id}/consent-campaigns`,
          headers: admin.headers,
          payload: {},
        });
        assert.equal(launched.statusCode, 200);
        const [again] = await mine(oleg);
        assert.ok(again && again.myAnswer === null, 'a new campaign asks anew');
        const half = await answer(oleg, again, 'agree');
        assert.deepEqual([half.json<Outcome>().met, half.json<Outcome>().missingAgreements], [false, 1]);
        const [irAgain] = await mine(irina);
        const full = await answer(irina, irAgain!, 'agree');
        assert.equal(full.json<Outcome>().met, true);
        assert.equal((await watch(oleg)).statusCode, 200);
        // The sweep changes nothing when nothing changed.
        assert.equal(await sweepCampaigns({ db: db.kysely, clock: t.ctx.clock }), 0);

        // Restricted rooms are never put to parents.
        const bedroom = await db.kysely
          .selectFrom('rooms')
          .select('id')
          .where('zone', '=', 'restricted')
          .executeTakeFirstOrThrow();
        const r = await t.app.inject({
          method: 'POST',
          url: `/api/admin/rooms/${bedroom.id}/consent-campaigns`,
          headers: admin.headers,
          payload: {},
        });
        assert.equal(r.statusCode, 409);
      } finally {
        await t.close();
        await db.close();
      }
    });
  });
}
