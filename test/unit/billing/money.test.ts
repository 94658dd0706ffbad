import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addDays,
  chargeFor,
  daysInMonth,
  dueDate,
  firstDay,
  lastDay,
  parseAmount,
  prorate,
} from '../../../src/billing/money.js';

const month = fc
  .tuple(fc.integer({ min: 2020, max: 2040 }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`);
const price = fc.integer({ min: 0, max: 10_000_000 });

test('any split of a month into stretches adds up to the month price', () => {
  fc.assert(
    fc.property(
      month,
      price,
      fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 10 }),
      (m, p, cuts) => {
        const d = daysInMonth(m);
        const points = [...new Set(cuts.filter((c) => c < d))].sort((a, b) => a - b);
        let start = 1;
        let sum = 0;
        for (const c of [...points, d]) {
          sum += prorate(p, d, start, c);
          start = c + 1;
        }
        assert.equal(sum, p);
      },
    ),
  );
});

test('subscription start/end dates: the parts of a month (before and after a change) add up to the whole', () => {
  fc.assert(
    fc.property(month, price, fc.integer({ min: 1, max: 31 }), (m, p, splitDay) => {
      const d = daysInMonth(m);
      const split = Math.min(splitDay, d);
      const cut = `${m}-${String(split).padStart(2, '0')}`;
      // one guardian's subscription ends on the cut day, the next one starts the day after
      const a = chargeFor(m, p, { start: '2000-01-01', end: cut });
      const b = chargeFor(m, p, { start: addDays(cut, 1), end: null });
      const whole = chargeFor(m, p, { start: firstDay(m), end: lastDay(m) });
      assert.equal(whole?.amountKopecks, p);
      assert.equal((a?.amountKopecks ?? 0) + (b?.amountKopecks ?? 0), p);
      assert.equal((a?.days ?? 0) + (b?.days ?? 0), d);
    }),
  );
});

test('a stretch costs its exact share rounded to within one kopeck', () => {
  fc.assert(
    fc.property(
      month,
      price,
      fc.integer({ min: 1, max: 31 }),
      fc.integer({ min: 0, max: 30 }),
      (m, p, a, len) => {
        const d = daysInMonth(m);
        const from = Math.min(a, d);
        const to = Math.min(from + len, d);
        const exact = (p * (to - from + 1)) / d;
        const got = prorate(p, d, from, to);
        assert.ok(Math.abs(got - exact) < 1, `${got} vs ${exact}`);
      },
    ),
  );
});

test('coverage outside the month charges nothing; due date is the grace day of the next month', () => {
  assert.equal(chargeFor('2026-03', 15000, { start: '2026-04-01', end: null }), null);
  assert.equal(chargeFor('2026-03', 15000, { start: '2026-01-01', end: '2026-02-28' }), null);
  assert.deepEqual(chargeFor('2026-03', 31000, { start: '2026-03-11', end: null }), {
    from: '2026-03-11',
    to: '2026-03-31',
    days: 21,
    monthDays: 31,
    amountKopecks: 21000,
  });
  assert.equal(dueDate('2026-12', 25), '2027-01-25');
  assert.equal(dueDate('2026-01', 31), '2026-02-28');
});

test('amounts from payment files', () => {
  assert.equal(parseAmount('1500'), 150000);
  assert.equal(parseAmount('1500,5'), 150050);
  assert.equal(parseAmount('1500.05'), 150005);
  assert.equal(parseAmount('-5'), null);
  assert.equal(parseAmount('1,234.00'), null);
});
