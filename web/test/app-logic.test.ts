import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNextOpen, localDate } from '../src/format.js';
import { MESSAGE_KEYS, translate } from '../src/i18n.js';
import { matchPath } from '../src/router.js';
import { homePath, sectionsFor } from '../src/session.js';
import type { Me, Role } from '../src/api.js';

function me(...roles: Role[]): Me {
  return {
    person: { id: 'p', displayName: 'P' },
    roles: roles.map((role) => ({ role, scopeKind: 'institution', scopeId: 'i' })),
    csrfToken: 'c',
    sessionExpiresAt: '2030-01-01T00:00:00Z',
  };
}

describe('routing', () => {
  test('patterns match whole paths and decode their params', () => {
    assert.deepEqual(matchPath('/watch/:cameraId', '/watch/abc%20d'), { cameraId: 'abc d' });
    assert.equal(matchPath('/watch/:cameraId', '/watch/a/b'), null);
    assert.deepEqual(matchPath('/admin/institutions/:id/:tab', '/admin/institutions/1/rooms'), {
      id: '1',
      tab: 'rooms',
    });
    assert.equal(matchPath('/watch/:id', '/watch/%E0%A4%A'), null);
  });
  test('/ leads parents to their children and staff to their main screen', () => {
    assert.equal(homePath(me()), '/children');
    assert.equal(homePath(me('kindergarten_admin')), '/admin');
    assert.equal(homePath(me('city_operator')), '/operator');
    assert.equal(homePath(me('auditor')), '/audit');
    assert.equal(homePath(me('inspector')), '/recordings');
    assert.deepEqual(
      sectionsFor(me()).map((s) => s.path),
      ['/children', '/absence'],
    );
    assert.ok(!sectionsFor(me('auditor')).some((s) => s.path === '/children'));
  });
});

describe('the next opening time', () => {
  const now = new Date('2026-03-02T15:00:00Z'); // 18:00 in Moscow
  test('is said relative to today in the kindergarten time zone', () => {
    const r = formatNextOpen('2026-03-03T04:00:00Z', 'ru', 'Europe/Moscow', now, 'Europe/Moscow');
    assert.deepEqual(r, { text: 'завтра в 07:00', zoneNote: false });
    assert.equal(
      formatNextOpen('2026-03-02T16:00:00Z', 'en', 'Europe/Moscow', now, 'Europe/Moscow').text,
      'today at 19:00',
    );
    assert.match(
      formatNextOpen('2026-03-05T04:00:00Z', 'ru', 'Europe/Moscow', now, 'Europe/Moscow').text,
      /в 07:00$/,
    );
  });
  test('notes the zone when the viewer is elsewhere', () => {
    const r = formatNextOpen('2026-03-03T02:00:00Z', 'ru', 'Asia/Yekaterinburg', now, 'Europe/Moscow');
    assert.deepEqual(r, { text: 'завтра в 07:00', zoneNote: true });
  });
  test('local dates cross midnight in the right zone', () => {
    assert.equal(localDate(new Date('2026-03-02T21:30:00Z'), 'Europe/Moscow'), '2026-03-03');
    assert.equal(localDate(new Date('2026-03-02T21:30:00Z'), 'UTC'), '2026-03-02');
  });
});

describe('strings', () => {
  test('every message exists in both languages with the same placeholders', () => {
    assert.ok(MESSAGE_KEYS.length > 100);
    for (const key of MESSAGE_KEYS) {
      for (const lang of ['ru', 'en'] as const)
        assert.ok(translate(lang, key).trim() !== '', `${lang} ${key}`);
      const ph = (lang: 'ru' | 'en') => (translate(lang, key).match(/\{\w+\}/g) ?? []).sort().join();
      assert.equal(ph('ru'), ph('en'), key);
    }
    assert.equal(
      translate('ru', 'player.opensAt', { when: 'завтра в 07:00' }),
      'Просмотр откроется завтра в 07:00.',
    );
  });
});
