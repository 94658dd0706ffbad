import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ViewingCalendar, ViewingWindow } from '../../../src/policy/index.js';
import { nextViewingOpening, parseViewingWindow, viewingStateAt } from '../../../src/policy/index.js';
import { at, everyDay, iso, WEEKDAYS_7_TO_19 } from './fixtures.js';

const MINUTE_MS = 60_000;

function calendar(
  timeZone: string,
  windows: readonly ViewingWindow[],
  closedDays: string[] = [],
): ViewingCalendar {
  return { timeZone, windows, closedDays };
}

describe('viewingStateAt', () => {
  const moscow = calendar('Europe/Moscow', WEEKDAYS_7_TO_19, ['2026-03-09']);
  const rows = [
    ['2026-03-02T07:00:00Z', 'open'],
    ['2026-03-02T16:00:00Z', 'outside_viewing_hours'],
    ['2026-03-07T07:00:00Z', 'outside_viewing_hours'],
    ['2026-03-09T07:00:00Z', 'closed_day'],
    ['2026-03-08T21:00:00Z', 'closed_day'],
    ['2026-03-08T20:59:59Z', 'outside_viewing_hours'],
  ] as const;
  for (const [instant, state] of rows) {
    test(`Moscow ${instant}: ${state}`, () => assert.equal(viewingStateAt(moscow, at(instant)), state));
  }
});

describe('nextViewingOpening', () => {
  const moscow = calendar('Europe/Moscow', WEEKDAYS_7_TO_19);
  const rows: readonly { name: string; cal: ViewingCalendar; from: string; opens: string | null }[] = [
    { name: 'open now: now', cal: moscow, from: '2026-03-02T07:00:00Z', opens: '2026-03-02T07:00:00.000Z' },
    {
      name: 'Moscow Monday 06:00 → 07:00',
      cal: moscow,
      from: '2026-03-02T03:00:00Z',
      opens: '2026-03-02T04:00:00.000Z',
    },
    {
      name: 'Moscow Monday 19:00 → Tuesday 07:00',
      cal: moscow,
      from: '2026-03-02T16:00:00Z',
      opens: '2026-03-03T04:00:00.000Z',
    },
    {
      name: 'Moscow Friday 20:00 → Monday 07:00',
      cal: moscow,
      from: '2026-03-06T17:00:00Z',
      opens: '2026-03-09T04:00:00.000Z',
    },
    {
      name: 'Moscow Friday 20:00, Monday and Tuesday closed → Wednesday 07:00',
      cal: calendar('Europe/Moscow', WEEKDAYS_7_TO_19, ['2026-03-09', '2026-03-10']),
      from: '2026-03-06T17:00:00Z',
      opens: '2026-03-11T04:00:00.000Z',
    },
    {
      name: 'closed today, opens tomorrow even though today has a later window',
      cal: calendar('Europe/Moscow', WEEKDAYS_7_TO_19, ['2026-03-02']),
      from: '2026-03-02T03:00:00Z',
      opens: '2026-03-03T04:00:00.000Z',
    },
    {
      name: 'Yekaterinburg Monday 23:30 local → Tuesday 07:00 local (02:00Z)',
      cal: calendar('Asia/Yekaterinburg', WEEKDAYS_7_TO_19),
      from: '2026-03-02T18:30:00Z',
      opens: '2026-03-03T02:00:00.000Z',
    },
    {
      name: 'midnight window: Sunday 23:00 local → Monday 00:00 local',
      cal: calendar('Europe/Moscow', [{ weekday: 1, start: '00:00', end: '24:00' }]),
      from: '2026-03-01T20:00:00Z',
      opens: '2026-03-01T21:00:00.000Z',
    },
    {
      name: 'Berlin Saturday evening before the spring change → Sunday 07:00 CEST',
      cal: calendar('Europe/Berlin', everyDay('07:00', '19:00')),
      from: '2026-03-28T19:00:00Z',
      opens: '2026-03-29T05:00:00.000Z',
    },
    {
      name: 'Berlin Saturday evening before the autumn change → Sunday 07:00 CET',
      cal: calendar('Europe/Berlin', everyDay('07:00', '19:00')),
      from: '2026-10-24T19:00:00Z',
      opens: '2026-10-25T06:00:00.000Z',
    },
    {
      name: 'Berlin window starting inside the spring gap opens at the jump (03:00 CEST)',
      cal: calendar('Europe/Berlin', [{ weekday: 7, start: '02:30', end: '04:00' }]),
      from: '2026-03-28T19:00:00Z',
      opens: '2026-03-29T01:00:00.000Z',
    },
    {
      name: 'Berlin window wholly inside the spring gap is skipped to the next one',
      cal: calendar('Europe/Berlin', [
        { weekday: 7, start: '02:00', end: '02:45' },
        { weekday: 1, start: '07:00', end: '19:00' },
      ]),
      from: '2026-03-28T19:00:00Z',
      opens: '2026-03-30T05:00:00.000Z',
    },
    {
      name: 'Berlin autumn: after the first 02:00–02:30, the window opens again at 02:00 CET',
      cal: calendar('Europe/Berlin', [{ weekday: 7, start: '02:00', end: '02:30' }]),
      from: '2026-10-25T00:40:00Z',
      opens: '2026-10-25T01:00:00.000Z',
    },
    {
      name: 'Berlin autumn: clocks going back into a window reopen it at the change',
      cal: calendar('Europe/Berlin', [{ weekday: 7, start: '01:30', end: '02:45' }]),
      from: '2026-10-25T00:50:00Z',
      opens: '2026-10-25T01:00:00.000Z',
    },
    {
      name: 'New York spring: window starting inside the gap opens at 03:00 EDT',
      cal: calendar('America/New_York', [{ weekday: 7, start: '02:30', end: '03:30' }]),
      from: '2026-03-07T12:00:00Z',
      opens: '2026-03-08T07:00:00.000Z',
    },
    {
      name: 'New York autumn: 01:00–01:30 opens a second time at 01:00 EST',
      cal: calendar('America/New_York', [{ weekday: 7, start: '01:00', end: '01:30' }]),
      from: '2026-11-01T05:45:00Z',
      opens: '2026-11-01T06:00:00.000Z',
    },
    {
      // Chile moves its clocks from 00:00 to 01:00 (tzdata rule as of 2026): midnight does not exist.
      name: 'Santiago: on a day without midnight a 00:30 window opens at the jump (01:00 local)',
      cal: calendar('America/Santiago', [{ weekday: 7, start: '00:30', end: '08:00' }]),
      from: '2026-09-05T23:00:00Z',
      opens: '2026-09-06T04:00:00.000Z',
    },
    {
      name: 'no windows: never',
      cal: calendar('Europe/Moscow', []),
      from: '2026-03-02T03:00:00Z',
      opens: null,
    },
    {
      name: 'every opening day closed for longer than the horizon: null',
      cal: calendar(
        'Europe/Moscow',
        [{ weekday: 1, start: '07:00', end: '19:00' }],
        Array.from({ length: 60 }, (_, i) =>
          new Date(at('2026-03-02T00:00:00Z') + i * 7 * 86_400_000).toISOString().slice(0, 10),
        ),
      ),
      from: '2026-03-01T00:00:00Z',
      opens: null,
    },
  ];
  for (const row of rows) {
    test(row.name, () => {
      const opens = nextViewingOpening(row.cal, at(row.from));
      assert.equal(iso(opens), row.opens);
      if (opens !== null) assert.equal(viewingStateAt(row.cal, opens), 'open');
    });
  }
});

describe('nextViewingOpening agrees with a minute-by-minute scan around daylight-saving changes', () => {
  const schedules: Record<string, readonly ViewingWindow[]> = {
    'night windows': [
      { weekday: 6, start: '23:30', end: '24:00' },
      { weekday: 7, start: '00:00', end: '00:30' },
      { weekday: 7, start: '01:30', end: '02:15' },
      { weekday: 7, start: '02:30', end: '02:45' },
      { weekday: 7, start: '03:10', end: '03:20' },
      { weekday: 1, start: '07:00', end: '08:00' },
    ],
    'day windows': WEEKDAYS_7_TO_19,
  };
  const starts: readonly [string, string][] = [
    ['Europe/Berlin', '2026-03-28T20:00:00Z'],
    ['Europe/Berlin', '2026-10-24T20:00:00Z'],
    ['America/New_York', '2026-03-07T23:00:00Z'],
    ['America/New_York', '2026-10-31T23:00:00Z'],
    ['Europe/Moscow', '2026-03-27T20:00:00Z'],
  ];
  for (const [name, windows] of Object.entries(schedules)) {
    for (const [zone, start] of starts) {
      test(`${name}, ${zone}, from ${start}`, () => {
        const cal = calendar(zone, windows);
        // Walk minute by minute over two and a half days; at every minute where the scan leaves a
        // closed stretch, nextViewingOpening from the stretch's start must name that minute.
        const fromMs = at(start);
        let closedSinceMs: number | null = null;
        let checked = 0;
        for (let t = fromMs; t < fromMs + 60 * 60 * MINUTE_MS; t += MINUTE_MS) {
          const open = viewingStateAt(cal, t) === 'open';
          if (!open && closedSinceMs === null) closedSinceMs = t;
          if (open && closedSinceMs !== null) {
            assert.equal(
              iso(nextViewingOpening(cal, closedSinceMs)),
              iso(t),
              `closed since ${iso(closedSinceMs)}`,
            );
            assert.equal(iso(nextViewingOpening(cal, t - MINUTE_MS)), iso(t));
            closedSinceMs = null;
            checked++;
          }
        }
        assert.ok(checked > 0, 'the scan saw at least one opening');
      });
    }
  }
});

describe('parseViewingWindow', () => {
  test('accepts 00:00–24:00', () => {
    assert.deepEqual(parseViewingWindow({ weekday: 7, start: '00:00', end: '24:00' }), {
      weekday: 7,
      startMinute: 0,
      endMinute: 1440,
    });
  });
  const bad: readonly ViewingWindow[] = [
    { weekday: 1, start: '7:00', end: '19:00' },
    { weekday: 1, start: '07:00', end: '07:00' },
    { weekday: 1, start: '19:00', end: '07:00' },
    { weekday: 1, start: '24:00', end: '24:00' },
    { weekday: 1, start: '07:60', end: '19:00' },
    { weekday: 0 as 1, start: '07:00', end: '19:00' },
    { weekday: 8 as 1, start: '07:00', end: '19:00' },
  ];
  for (const window of bad) {
    test(`refuses ${JSON.stringify(window)}`, () =>
      assert.throws(() => parseViewingWindow(window), RangeError));
  }
});
