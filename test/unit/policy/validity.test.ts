/** How long a live decision holds by the clock alone: the next window boundary or local midnight. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveDecisionStableUntil } from '../../../src/policy/validity.js';
import { viewingStateAt } from '../../../src/policy/schedule.js';
import type { ViewingCalendar } from '../../../src/policy/facts.js';

const moscow: ViewingCalendar = {
  timeZone: 'Europe/Moscow',
  closedDays: [],
  windows: [1, 2, 3, 4, 5].map((weekday) => ({ weekday: weekday as 1, start: '08:00', end: '18:00' })),
};

test('inside the window: valid until the window ends', () => {
  // Monday 2026-11-23 10:00 Moscow (07:00 UTC) → 18:00 Moscow (15:00 UTC).
  assert.equal(
    new Date(liveDecisionStableUntil(moscow, Date.parse('2026-11-23T07:00:00Z'))).toISOString(),
    '2026-11-23T15:00:00.000Z',
  );
});

test('before the window: until it opens; after it: until local midnight', () => {
  assert.equal(
    new Date(liveDecisionStableUntil(moscow, Date.parse('2026-11-23T03:00:00Z'))).toISOString(),
    '2026-11-23T05:00:00.000Z',
  );
  assert.equal(
    new Date(liveDecisionStableUntil(moscow, Date.parse('2026-11-23T16:00:00Z'))).toISOString(),
    '2026-11-23T21:00:00.000Z',
  );
});

test('the viewing state never changes before the instant returned (random instants, a DST zone)', () => {
  const berlin: ViewingCalendar = {
    timeZone: 'Europe/Berlin',
    closedDays: ['2026-03-30'],
    windows: [
      { weekday: 7, start: '01:30', end: '02:30' },
      { weekday: 1, start: '00:00', end: '24:00' },
      { weekday: 3, start: '09:15', end: '11:45' },
    ],
  };
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 300; i++) {
    const at = Date.parse('2026-03-25T00:00:00Z') + Math.floor(rnd() * 14 * 86_400_000);
    const until = liveDecisionStableUntil(berlin, at);
    assert.ok(until > at);
    const state = viewingStateAt(berlin, at);
    for (let probe = at; probe < until; probe += 60_000)
      assert.equal(viewingStateAt(berlin, probe), state, `changed at ${new Date(probe).toISOString()}`);
  }
});
