import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, RecordingAccessFacts } from '../../../src/policy/index.js';
import {
  decideRecordingAccess,
  isStatedReasonSufficient,
  RECORDING_REASON_MIN_CHARS,
} from '../../../src/policy/index.js';
import {
  groupCamera,
  KINDERGARTEN,
  OFFICE,
  officeCamera,
  recordingFacts,
  REGION,
  staff,
  viewer,
} from './fixtures.js';

const REASON = 'Complaint 2026-114: citizen reports a demand for payment';
const asInspector: Decision = { allow: true, basis: 'staff', role: 'inspector' };
const denied = (
  reason: 'no_role' | 'role_not_permitted' | 'reason_required' | 'person_disabled',
): Decision => ({
  allow: false,
  reason,
});
const inspector = (scopeKind: 'region' | 'institution' | 'room' = 'institution', scopeId = OFFICE) =>
  staff({ role: 'inspector', scopeKind, scopeId });

describe('recording access (playback and export)', () => {
  const rows: readonly { name: string; facts: RecordingAccessFacts; expect: Decision }[] = [
    {
      name: 'inspector in scope with a reason',
      facts: recordingFacts(inspector(), REASON),
      expect: asInspector,
    },
    {
      name: 'inspector with region scope',
      facts: recordingFacts(inspector('region', REGION), REASON),
      expect: asInspector,
    },
    {
      name: 'inspector with room scope',
      facts: recordingFacts(inspector('room', 'room-desk-1'), REASON),
      expect: asInspector,
    },
    {
      name: 'inspector of another office',
      facts: recordingFacts(inspector('institution', 'office-2'), REASON),
      expect: denied('no_role'),
    },
    {
      name: 'inspector, restricted zone',
      facts: recordingFacts(inspector(), REASON, officeCamera({ roomZone: 'restricted' })),
      expect: asInspector,
    },
    {
      name: 'inspector, camera disabled since (recordings remain)',
      facts: recordingFacts(inspector(), REASON, officeCamera({ enabled: false })),
      expect: asInspector,
    },
    {
      name: 'inspector, kindergarten camera in their region',
      facts: recordingFacts(inspector('region', REGION), REASON, groupCamera()),
      expect: asInspector,
    },
    {
      name: 'inspector without a reason',
      facts: recordingFacts(inspector(), ''),
      expect: denied('reason_required'),
    },
    {
      name: 'inspector with blanks for a reason',
      facts: recordingFacts(inspector(), '  \n\t  '),
      expect: denied('reason_required'),
    },
    {
      name: 'inspector with punctuation for a reason',
      facts: recordingFacts(inspector(), '..........!!!'),
      expect: denied('reason_required'),
    },
    {
      name: 'inspector with too short a reason',
      facts: recordingFacts(inspector(), 'check'),
      expect: denied('reason_required'),
    },
    ...(
      ['office_head', 'employee', 'reception', 'auditor', 'regional_operator', 'city_operator'] as const
    ).map((role) => ({
      name: `${role} in scope may not`,
      facts: recordingFacts(staff({ role, scopeKind: 'institution', scopeId: OFFICE }), REASON),
      expect: denied('role_not_permitted'),
    })),
    {
      name: 'kindergarten admin may not play back their own cameras',
      facts: recordingFacts(
        staff({ role: 'kindergarten_admin', scopeKind: 'institution', scopeId: KINDERGARTEN }),
        REASON,
        groupCamera(),
      ),
      expect: denied('role_not_permitted'),
    },
    {
      name: 'a parent (no role) may not',
      facts: recordingFacts(viewer(), REASON, groupCamera()),
      expect: denied('no_role'),
    },
    {
      name: 'the role is checked before the reason: office head without reason',
      facts: recordingFacts(staff({ role: 'office_head', scopeKind: 'institution', scopeId: OFFICE }), ''),
      expect: denied('role_not_permitted'),
    },
    {
      name: 'office head and inspector: the inspector binding allows',
      facts: recordingFacts(
        staff(
          { role: 'office_head', scopeKind: 'institution', scopeId: OFFICE },
          { role: 'inspector', scopeKind: 'region', scopeId: REGION },
        ),
        REASON,
      ),
      expect: asInspector,
    },
    {
      name: 'disabled inspector',
      facts: recordingFacts(
        viewer({
          disabled: true,
          roleBindings: [{ role: 'inspector', scopeKind: 'region', scopeId: REGION }],
        }),
        REASON,
      ),
      expect: denied('person_disabled'),
    },
  ];
  for (const row of rows) {
    test(row.name, () => assert.deepEqual(decideRecordingAccess(row.facts), row.expect));
  }
});

describe('stated reason', () => {
  test(`needs ${RECORDING_REASON_MIN_CHARS} letters or digits`, () => {
    assert.equal(isStatedReasonSufficient('abcdefghij'), true);
    assert.equal(isStatedReasonSufficient('abcdefghi'), false);
    assert.equal(isStatedReasonSufficient('a b c d e f g h i'), false);
    assert.equal(isStatedReasonSufficient('case 2026-0114'), true);
    assert.equal(isStatedReasonSufficient('Жалоба гражданина'), true);
    assert.equal(isStatedReasonSufficient('— — — — — — — — — — —'), false);
  });
});
