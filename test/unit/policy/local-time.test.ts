import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addDays,
  firstInstantAtOrAfterLocal,
  instantsAtLocal,
  isLocalDate,
  isValidTimeZone,
  offsetChangeOnLocalDate,
  offsetMs,
  toLocalTime,
  weekdayOfDate,
} from '../../../src/policy/local-time.js';
import { at, iso } from './fixtures.js';

const HOUR_MS = 3_600_000;

describe('toLocalTime', () => {
  const rows = [
    // [zone, UTC instant, local date, weekday, local HH:MM]
    ['Europe/Moscow', '2026-03-02T07:00:00Z', '2026-03-02', 1, '10:00'],
    ['Europe/Moscow', '2026-03-01T20:59:59Z', '2026-03-01', 7, '23:59'],
    ['Europe/Moscow', '2026-03-01T21:00:00Z', '2026-03-02', 1, '00:00'],
    ['Europe/Moscow', '2026-12-31T21:00:00Z', '2027-01-01', 5, '00:00'],
    ['Asia/Yekaterinburg', '2026-03-02T07:00:00Z', '2026-03-02', 1, '12:00'],
    ['Asia/Yekaterinburg', '2026-03-01T19:00:00Z', '2026-03-02', 1, '00:00'],
    ['Asia/Yekaterinburg', '2026-03-01T18:59:00Z', '2026-03-01', 7, '23:59'],
    ['Europe/Berlin', '2026-03-29T00:59:00Z', '2026-03-29', 7, '01:59'],
    ['Europe/Berlin', '2026-03-29T01:00:00Z', '2026-03-29', 7, '03:00'],
    ['Europe/Berlin', '2026-10-25T00:59:00Z', '2026-10-25', 7, '02:59'],
    ['Europe/Berlin', '2026-10-25T01:00:00Z', '2026-10-25', 7, '02:00'],
    ['Europe/Berlin', '2026-10-24T22:00:00Z', '2026-10-25', 7, '00:00'],
    ['America/New_York', '2026-03-08T06:59:00Z', '2026-03-08', 7, '01:59'],
    ['America/New_York', '2026-03-08T07:00:00Z', '2026-03-08', 7, '03:00'],
    ['America/New_York', '2026-11-01T05:30:00Z', '2026-11-01', 7, '01:30'],
    ['America/New_York', '2026-11-01T06:30:00Z', '2026-11-01', 7, '01:30'],
    ['America/New_York', '2026-03-09T03:59:00Z', '2026-03-08', 7, '23:59'],
    ['UTC', '2028-02-29T12:34:56Z', '2028-02-29', 2, '12:34'],
  ] as const;
  for (const [zone, instant, date, weekday, hhmm] of rows) {
    test(`${zone} ${instant} → ${date} ${hhmm}`, () => {
      const local = toLocalTime(at(instant), zone);
      const [h, m] = hhmm.split(':').map(Number);
      assert.deepEqual(local, { date, weekday, minuteOfDay: (h ?? 0) * 60 + (m ?? 0) });
    });
  }

  test('offsets', () => {
    assert.equal(offsetMs(at('2026-07-01T00:00:00Z'), 'Europe/Moscow'), 3 * HOUR_MS);
    assert.equal(offsetMs(at('2026-07-01T00:00:00Z'), 'Asia/Yekaterinburg'), 5 * HOUR_MS);
    assert.equal(offsetMs(at('2026-01-15T00:00:00Z'), 'Europe/Berlin'), 1 * HOUR_MS);
    assert.equal(offsetMs(at('2026-07-15T00:00:00Z'), 'Europe/Berlin'), 2 * HOUR_MS);
    assert.equal(offsetMs(at('2026-07-15T00:00:00.999Z'), 'America/New_York'), -4 * HOUR_MS);
  });
});

describe('local wall time to instants', () => {
  test('an ordinary wall time has one instant', () => {
    assert.deepEqual(instantsAtLocal('2026-03-02', 7 * 60, 'Europe/Moscow').map(iso), [
      '2026-03-02T04:00:00.000Z',
    ]);
  });
  test('a wall time the clocks jump over has none; the first instant at or after it is the jump', () => {
    assert.deepEqual(instantsAtLocal('2026-03-29', 2 * 60 + 30, 'Europe/Berlin'), []);
    assert.equal(
      iso(firstInstantAtOrAfterLocal('2026-03-29', 2 * 60 + 30, 'Europe/Berlin')),
      '2026-03-29T01:00:00.000Z',
    );
    assert.deepEqual(instantsAtLocal('2026-03-08', 2 * 60, 'America/New_York'), []);
    assert.equal(
      iso(firstInstantAtOrAfterLocal('2026-03-08', 2 * 60, 'America/New_York')),
      '2026-03-08T07:00:00.000Z',
    );
  });
  test('a wall time the clocks go back through has two', () => {
    assert.deepEqual(instantsAtLocal('2026-10-25', 2 * 60 + 30, 'Europe/Berlin').map(iso), [
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ]);
    assert.deepEqual(instantsAtLocal('2026-11-01', 60, 'America/New_York').map(iso), [
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
    ]);
    assert.equal(
      iso(firstInstantAtOrAfterLocal('2026-10-25', 2 * 60 + 30, 'Europe/Berlin')),
      '2026-10-25T00:30:00.000Z',
    );
  });
  test('offset changes are found on their day and only there', () => {
    assert.equal(iso(offsetChangeOnLocalDate('2026-03-29', 'Europe/Berlin')), '2026-03-29T01:00:00.000Z');
    assert.equal(iso(offsetChangeOnLocalDate('2026-10-25', 'Europe/Berlin')), '2026-10-25T01:00:00.000Z');
    assert.equal(iso(offsetChangeOnLocalDate('2026-03-08', 'America/New_York')), '2026-03-08T07:00:00.000Z');
    assert.equal(iso(offsetChangeOnLocalDate('2026-11-01', 'America/New_York')), '2026-11-01T06:00:00.000Z');
    assert.equal(offsetChangeOnLocalDate('2026-03-28', 'Europe/Berlin'), null);
    assert.equal(offsetChangeOnLocalDate('2026-03-29', 'Europe/Moscow'), null);
  });
});

describe('dates and zones', () => {
  test('isLocalDate accepts real dates written YYYY-MM-DD only', () => {
    assert.equal(isLocalDate('2026-03-02'), true);
    assert.equal(isLocalDate('2028-02-29'), true);
    assert.equal(isLocalDate('2026-02-29'), false);
    assert.equal(isLocalDate('2026-3-2'), false);
    assert.equal(isLocalDate('2026-03-02T00:00'), false);
    assert.equal(isLocalDate(''), false);
  });
  test('date arithmetic and weekdays', () => {
    assert.equal(addDays('2026-02-28', 1), '2026-03-01');
    assert.equal(addDays('2026-12-31', 1), '2027-01-01');
    assert.equal(weekdayOfDate('2026-03-02'), 1);
    assert.equal(weekdayOfDate('2026-03-08'), 7);
  });
  test('isValidTimeZone', () => {
    assert.equal(isValidTimeZone('Europe/Moscow'), true);
    assert.equal(isValidTimeZone('Asia/Yekaterinburg'), true);
    assert.equal(isValidTimeZone('Mars/Olympus'), false);
    assert.equal(isValidTimeZone(''), false);
  });
});
