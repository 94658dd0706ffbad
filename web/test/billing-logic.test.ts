import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addMonths, monthName, parseRub, rub } from '../src/billing/client.js';
import { billingText, columnWords, lineErrorWords } from '../src/billing/strings.js';
import { hoursText, monthTotals } from '../src/billing/logic.js';
import { parsePaymentFile } from '../../src/billing/payments.js';

describe('billing on the screens', () => {
  test('money: kopecks shown only when there are any; typed rubles back to kopecks', () => {
    assert.equal(rub(30000).replace(/\s/g, ' '), '300 ₽');
    assert.equal(rub(162582).replace(/\s/g, ' '), '1 625,82 ₽');
    assert.equal(rub(-2000).replace(/\s/g, ' '), '-20 ₽');
    assert.equal(parseRub('300'), 30000);
    assert.equal(parseRub('299,9'), 29990);
    assert.equal(parseRub('1 500.05'), 150005);
    for (const bad of ['', 'триста', '1,234', '-5', '1e3']) assert.equal(parseRub(bad), null, bad);
  });

  test('months', () => {
    assert.equal(monthName('2026-03', 'ru'), 'март 2026');
    assert.equal(monthName('2026-03', 'en'), 'March 2026');
    assert.equal(addMonths('2026-12', 1), '2027-01');
    assert.equal(addMonths('2026-01', -13), '2024-12');
  });

  test('viewing hours in short words', () => {
    const all = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' }));
    assert.equal(hoursText(all, 'ru'), 'Пн–Вс 00:00–24:00');
    assert.equal(
      hoursText(
        [
          { weekday: 1, start: '08:00', end: '18:00' },
          { weekday: 3, start: '08:00', end: '18:00' },
          { weekday: 6, start: '10:00', end: '12:00' },
        ],
        'ru',
      ),
      'Пн, Ср 08:00–18:00; Сб 10:00–12:00',
    );
  });

  test('the revenue chart sums kindergartens per month, in month order', () => {
    const row = (period: string, charged: number) => ({
      period,
      institutionId: period,
      institutionName: 'K',
      subscribers: 2,
      chargedKopecks: charged,
      paidKopecks: charged - 100,
      arrearsKopecks: 100,
    });
    assert.deepEqual(monthTotals([row('2026-02', 500), row('2026-01', 300), row('2026-02', 200)]), [
      { period: '2026-01', subscribers: 2, charged: 300, paid: 200, arrears: 100 },
      { period: '2026-02', subscribers: 4, charged: 700, paid: 500, arrears: 200 },
    ]);
  });

  test("every error the server's payment parser gives is said in Russian", () => {
    const b = billingText('ru');
    const csv = (text: string) => Buffer.from(text, 'utf8');
    const billed = new Set(['A-1|2026-01']);
    const { errors } = parsePaymentFile(
      csv(
        'account,period,amount,paid_date\n' +
          ',2026-01,1,2026-01-05\n' +
          'A-1,январь,1,2026-01-05\n' +
          'A-1,2026-01,триста,2026-01-05\n' +
          'A-1,2026-01,1,вчера\n' +
          'A-1,2026-01,1,2099-01-01\n' +
          'B-2,2026-01,1,2026-01-05\n',
      ),
      billed,
      '2026-02-01',
    );
    const header = parsePaymentFile(csv('account,period\nA-1,2026-01\n'), billed, '2026-02-01').errors;
    const empty = parsePaymentFile(csv('account,period,amount,paid_date\n'), billed, '2026-02-01').errors;
    const all = [...errors, ...header, ...empty];
    assert.ok(all.length >= 9, JSON.stringify(all));
    for (const e of all) {
      const words = lineErrorWords(e.message, b);
      assert.notEqual(words, e.message, `not translated: ${e.message}`);
      assert.doesNotMatch(words, /\b(expected|the|no)\b/, words);
    }
    assert.equal(columnWords('paid_date', b), 'дата оплаты');
    assert.equal(
      lineErrorWords('no approved charge for account B-2 in 2026-01', b),
      'нет утверждённого начисления по счёту B-2 за 2026-01',
    );
  });
});
