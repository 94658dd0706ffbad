import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerMessage } from '../src/player/live-policy.js';
import { cameraFailureText, lastCheckLabel } from '../src/camera-failure.js';
import { CAMERA_FAILURE_CODES } from '../../src/media/failure.js';
import { FAILURE_TEXT } from '../../src/streams/failure-text.js';

describe('why a camera is not live, for people', () => {
  test("the live socket's status message carries the reason code", () => {
    assert.deepEqual(
      parseServerMessage('{"type":"status","state":"failing","reason":"auth_failed","text":"…"}'),
      {
        type: 'status',
        state: 'failing',
        reason: 'auth_failed',
      },
    );
    assert.deepEqual(parseServerMessage('{"type":"status","state":"starting"}'), {
      type: 'status',
      state: 'starting',
      reason: null,
    });
  });

  test("the server's Russian words (status message, alerts) are the screens' words, letter for letter", () => {
    // Two copies (the server does not load the web bundle); this keeps them from drifting apart.
    for (const code of CAMERA_FAILURE_CODES)
      assert.deepEqual(cameraFailureText('ru', code), FAILURE_TEXT[code], code);
  });

  test('every reason the server can send has texts in both languages', () => {
    for (const code of CAMERA_FAILURE_CODES)
      for (const lang of ['ru', 'en'] as const) {
        const text = cameraFailureText(lang, code);
        assert.ok(text?.short && text.viewer && text.operator, `${lang} ${code}`);
      }
    assert.match(cameraFailureText('ru', 'auth_failed')?.operator ?? '', /логин или пароль/);
    assert.equal(cameraFailureText('ru', 'something_new'), undefined);
    assert.equal(cameraFailureText('ru', null), undefined);
  });

  test('the last idle check reads as a sentence', () => {
    const at = '2026-03-02T10:42:00.000Z';
    assert.match(lastCheckLabel('ru', { at, ok: true, reason: null }), /^Проверена в \d\d:\d\d: в порядке$/);
    assert.match(lastCheckLabel('ru', { at, ok: false, reason: 'not_found' }), /поток не найден$/);
  });
});
