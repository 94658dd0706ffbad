import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  evaluateConsent,
  familyState,
  type Answer,
  type CampaignFacts,
  type ConsentRule,
  type FamilyAnswers,
} from '../../../src/policy/consent-rule.js';

const ALL: ConsentRule = { kind: 'all', sharePercent: 100, graceDays: 14 };
const TWO_THIRDS: ConsentRule = { kind: 'share', sharePercent: 67, graceDays: 14 };

const fam = (
  answers: Answer[],
  enrolledFrom = '2026-09-01',
  childId = Math.random().toString(),
): FamilyAnswers => ({
  childId,
  enrolledFrom,
  answers,
});

function facts(rule: ConsentRule, families: FamilyAnswers[], staffAnswers: Answer[] = []): CampaignFacts {
  return { rule, launchedOn: '2026-12-01', today: '2026-12-03', families, staffAnswers };
}

describe('consent rule', () => {
  test('a family: any objection wins, one agreement suffices, silence is pending', () => {
    assert.equal(familyState([]), 'pending');
    assert.equal(familyState(['agree']), 'agree');
    assert.equal(familyState(['agree', 'disagree']), 'disagree');
    assert.equal(familyState(['agree', 'agree']), 'agree');
  });

  const cases: [string, CampaignFacts, { met: boolean; reason: string; missing?: number }][] = [
    ['all agree', facts(ALL, [fam(['agree']), fam(['agree'])]), { met: true, reason: 'met' }],
    ['all: one silent', facts(ALL, [fam(['agree']), fam([])]), { met: false, reason: 'waiting', missing: 1 }],
    [
      'all: one objects',
      facts(ALL, [fam(['agree']), fam(['disagree'])]),
      { met: false, reason: 'family_objection' },
    ],
    [
      'all: staff objects',
      facts(ALL, [fam(['agree'])], ['disagree']),
      { met: false, reason: 'staff_objection' },
    ],
    ['all: staff agrees', facts(ALL, [fam(['agree'])], ['agree']), { met: true, reason: 'met' }],
    ['no families', facts(ALL, []), { met: false, reason: 'no_families' }],
    [
      'all: a family that joined after the launch is in grace',
      facts(ALL, [fam(['agree']), fam([], '2026-12-02')]),
      { met: true, reason: 'met' },
    ],
    [
      'all: grace over, silence counts',
      {
        ...facts(ALL, [fam(['agree']), fam([], '2026-11-10')]),
        launchedOn: '2026-11-01',
        today: '2026-11-30',
      },
      { met: false, reason: 'waiting', missing: 1 },
    ],
    [
      'all: families enrolled before the launch get no grace',
      facts(ALL, [fam(['agree']), fam([], '2026-12-01')]),
      { met: false, reason: 'waiting', missing: 1 },
    ],
    [
      'share 2/3: 2 of 3 agree',
      facts(TWO_THIRDS, [fam(['agree']), fam(['agree']), fam([])]),
      { met: false, reason: 'waiting', missing: 1 },
    ],
    [
      'share 67 %: 3 of 4 agree, one objects',
      facts(TWO_THIRDS, [fam(['agree']), fam(['agree']), fam(['agree']), fam(['disagree'])]),
      { met: true, reason: 'met' },
    ],
    [
      'share: staff objection blocks',
      facts(TWO_THIRDS, [fam(['agree']), fam(['agree']), fam(['agree'])], ['agree', 'disagree']),
      { met: false, reason: 'staff_objection' },
    ],
  ];
  for (const [name, f, want] of cases)
    test(name, () => {
      const o = evaluateConsent(f);
      assert.equal(o.met, want.met);
      assert.equal(o.reason, want.reason);
      if (want.missing !== undefined) assert.equal(o.missingAgreements, want.missing);
    });

  test('property: more agreement never closes an open group; an objection under `all` always does', () => {
    const answer = fc.constantFrom<Answer[]>([], ['agree'], ['disagree'], ['agree', 'disagree']);
    fc.assert(
      fc.property(
        fc.array(answer, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 100 }),
        fc.nat({ max: 29 }),
        (answers, share, i) => {
          const rule: ConsentRule = { kind: 'share', sharePercent: share, graceDays: 0 };
          const before = evaluateConsent(
            facts(
              rule,
              answers.map((a) => fam(a)),
            ),
          );
          const k = i % answers.length;
          const more = answers.map((a, j) => (j === k ? (['agree'] as Answer[]) : a));
          const after = evaluateConsent(
            facts(
              rule,
              more.map((a) => fam(a)),
            ),
          );
          if (before.met) assert.ok(after.met);
          const objecting = answers.map((a, j) => (j === k ? (['disagree'] as Answer[]) : a));
          assert.equal(
            evaluateConsent(
              facts(
                ALL,
                objecting.map((a) => fam(a)),
              ),
            ).met,
            false,
          );
        },
      ),
    );
  });
});
