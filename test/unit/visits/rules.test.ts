/**
 * The pure parts of office visits: working intervals of a local day (zone, closed days, '24:00'),
 * coverage of intervals, the mode ↔ policy mapping, the recording decision for a workplace recorded
 * in working hours and per visit (mode `both`), and CSV fields.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  coveredMs,
  csvField,
  modeOfPolicy,
  percent,
  policyForMode,
  union,
  workingIntervals,
} from '../../../src/visits/rules.js';
import { decideRecording } from '../../../src/recording/policy.js';
import { weekStart } from '../../../src/visits/service.js';

const cal = {
  timeZone: 'Europe/Moscow',
  closedDays: ['2026-03-09'],
  windows: [
    { weekday: 1 as const, start: '09:00', end: '13:00' },
    { weekday: 1 as const, start: '12:00', end: '18:00' },
    { weekday: 2 as const, start: '20:00', end: '24:00' },
  ],
};

describe('office visit rules', () => {
  test('working intervals: windows of the weekday in the zone, merged; none on a closed day', () => {
    assert.deepEqual(workingIntervals(cal, '2026-03-02'), [
      [Date.parse('2026-03-02T06:00:00Z'), Date.parse('2026-03-02T15:00:00Z')],
    ]);
    assert.deepEqual(workingIntervals(cal, '2026-03-03'), [
      [Date.parse('2026-03-03T17:00:00Z'), Date.parse('2026-03-03T21:00:00Z')],
    ]);
    assert.deepEqual(workingIntervals(cal, '2026-03-09'), [], 'a closed Monday');
    assert.deepEqual(workingIntervals(cal, '2026-03-04'), []);
  });

  test('coverage: overlapping spans count once, only inside working hours', () => {
    const within = [[0, 100] as const, [200, 300] as const];
    const spans = [[50, 120] as const, [60, 80] as const, [250, 400] as const, [-10, 5] as const];
    assert.equal(coveredMs(within, spans), 5 + 50 + 50);
    assert.deepEqual(union([[5, 10] as const, [0, 6] as const, [20, 30] as const]), [
      [0, 10],
      [20, 30],
    ]);
    assert.equal(percent(1, 3), 33.3);
    assert.equal(percent(0, 0), null);
  });

  test('modes and camera policies map both ways', () => {
    assert.equal(policyForMode('per_visit'), 'manual');
    assert.equal(policyForMode('continuous'), 'schedule');
    assert.equal(policyForMode('both'), 'schedule');
    assert.equal(modeOfPolicy('manual', false), 'per_visit');
    assert.equal(modeOfPolicy('schedule', true), 'both');
    assert.equal(modeOfPolicy('off', false), 'off');
  });

  test('mode both: outside working hours the ingest keeps a pre-roll and a visit records with it', () => {
    const workingHours = {
      timeZone: 'Europe/Moscow',
      closedDays: [],
      windows: [{ weekday: 1 as const, start: '09:00', end: '18:00' }],
    };
    const evening = Date.parse('2026-03-02T17:00:00Z'); // Monday 20:00 Moscow
    const noon = Date.parse('2026-03-02T09:00:00Z');
    const base = { policy: 'schedule' as const, enabled: true, workingHours };
    assert.deepEqual(decideRecording({ ...base, manualActive: false, visitsAlso: true }, evening), {
      record: false,
      pin: true,
      preRoll: true,
      why: 'outside_working_hours',
    });
    assert.deepEqual(decideRecording({ ...base, manualActive: true, visitsAlso: true }, evening), {
      record: true,
      pin: true,
      preRoll: true,
      why: 'recording',
    });
    assert.equal(decideRecording({ ...base, manualActive: false, visitsAlso: false }, evening).pin, false);
    assert.equal(decideRecording({ ...base, manualActive: true, visitsAlso: false }, evening).record, true);
    assert.equal(decideRecording({ ...base, manualActive: false, visitsAlso: true }, noon).record, true);
  });

  test('CSV fields: separators quoted, formulas defused; weeks start on Monday', () => {
    assert.equal(csvField('Кабинет 1; приём'), '"Кабинет 1; приём"');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField(-5), '-5');
    assert.equal(csvField(null), '');
    assert.equal(weekStart('2026-03-08'), '2026-03-02');
    assert.equal(weekStart('2026-03-02'), '2026-03-02');
  });
});
