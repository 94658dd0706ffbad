/**
 * The live player's truths that need no browser: which transport a browser gets (ManagedMediaSource
 * on iPhone, MediaSource elsewhere, native HLS where there is none, hls.js when HLS is forced), when
 * «Попробовать снова» is offered, and that every camera probe outcome has Russian words.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  browserMedia,
  chooseTransport,
  hlsForced,
  type BrowserMedia,
} from '../src/player/transport-choice.js';
import { retryHelps } from '../src/player/live-policy.js';
import { isMessageKey, translate } from '../src/i18n.js';

const IPHONE_17_1: BrowserMedia = { managedMediaSource: true, mediaSource: false, nativeHls: true };
const IPHONE_16: BrowserMedia = { managedMediaSource: false, mediaSource: false, nativeHls: true };
const SAFARI_MAC_17: BrowserMedia = { managedMediaSource: true, mediaSource: true, nativeHls: true };
const CHROMIUM: BrowserMedia = { managedMediaSource: false, mediaSource: true, nativeHls: false };
const NOTHING: BrowserMedia = { managedMediaSource: false, mediaSource: false, nativeHls: false };
const plain = { hls: false, mseCodecUnsupported: false };
const hls = { hls: true, mseCodecUnsupported: false };
const h265 = { hls: false, mseCodecUnsupported: true };

describe('transport choice', () => {
  test('WebSocket into ManagedMediaSource wherever it exists (iPhone 17.1+, Safari 17)', () => {
    assert.equal(chooseTransport(IPHONE_17_1, plain), 'managed-mse');
    assert.equal(chooseTransport(SAFARI_MAC_17, plain), 'managed-mse');
  });
  test('MediaSource where there is no managed one; native HLS where there is neither', () => {
    assert.equal(chooseTransport(CHROMIUM, plain), 'mse');
    assert.equal(chooseTransport(IPHONE_16, plain), 'native-hls');
    assert.equal(chooseTransport(NOTHING, plain), null);
  });
  test('HLS forced or needed: hls.js on a desktop, the native player on a phone', () => {
    assert.equal(chooseTransport(CHROMIUM, hls), 'hlsjs');
    assert.equal(chooseTransport(SAFARI_MAC_17, hls), 'hlsjs');
    assert.equal(chooseTransport(IPHONE_17_1, hls), 'native-hls');
    assert.equal(chooseTransport(IPHONE_16, hls), 'native-hls');
    assert.equal(chooseTransport({ ...IPHONE_17_1, nativeHls: false }, hls), 'hlsjs');
    assert.equal(chooseTransport(NOTHING, hls), null);
  });
  test('a codec Media Source cannot decode goes to native HLS, or nowhere', () => {
    assert.equal(chooseTransport(SAFARI_MAC_17, h265), 'native-hls');
    assert.equal(chooseTransport(CHROMIUM, h265), null);
  });
  test('what the browser has is read from the window and the video element', () => {
    class Fake {}
    const video = (can: string) => ({ canPlayType: () => can });
    assert.deepEqual(browserMedia({ ManagedMediaSource: Fake }, video('maybe')), IPHONE_17_1);
    assert.deepEqual(browserMedia({ MediaSource: Fake }, video('')), CHROMIUM);
    assert.deepEqual(browserMedia({ ManagedMediaSource: {} }, video('')), NOTHING);
  });
  test('?transport=hls forces HLS', () => {
    assert.equal(hlsForced('?transport=hls'), true);
    assert.equal(hlsForced('?a=1&transport=hls'), true);
    assert.equal(hlsForced('?transport=ws'), false);
    assert.equal(hlsForced(''), false);
  });
});

describe('final states offer no futile retry', () => {
  test('not enrolled, camera switched off, no relation, session gone: no retry', () => {
    for (const r of [
      'not_enrolled',
      'access_revoked:not_enrolled',
      'camera_disabled',
      'access_revoked:camera_disabled',
      'not_guardian',
      'zone_restricted',
      'not_found',
      'session_ended',
    ])
      assert.equal(retryHelps(r), false, r);
  });
  test('what the viewer can change, or what may pass, keeps the button', () => {
    for (const r of ['stream_limit', 'consent_missing', 'subscription_inactive', 'grant_expired', 'whatever'])
      assert.equal(retryHelps(r), true, r);
  });
});

describe('camera probe outcomes in words', () => {
  test('every probe error code has a Russian and an English message', () => {
    const codes = [
      'camera_url_invalid',
      'camera_unreachable',
      'camera_auth_failed',
      'camera_stream_not_found',
      'camera_timeout',
      'camera_codec_unsupported',
      'camera_probe_failed',
    ];
    for (const code of codes) {
      const key = `probeError.${code}`;
      assert.ok(isMessageKey(key), key);
      const ru = translate('ru', key);
      assert.match(ru, /[а-яё]/i, `${code}: ${ru}`);
      assert.doesNotMatch(ru, /\b(the|camera|failed)\b/i);
      assert.notEqual(translate('en', key), ru);
    }
  });
});
