import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  absoluteWsUrl,
  backoffMs,
  classifyClose,
  classifyRefusal,
  liveEdgeSeek,
  MAX_LAG_S,
  parseServerMessage,
  trimRange,
  withToken,
} from '../src/player/live-policy.js';

describe('what a close reason means for the player', () => {
  test('revocations end the stream with the reason and are not retried', () => {
    assert.deepEqual(classifyClose('access_revoked:not_enrolled'), { kind: 'ended', reason: 'not_enrolled' });
    assert.deepEqual(classifyClose('access_revoked:consent_missing'), {
      kind: 'ended',
      reason: 'consent_missing',
    });
    assert.deepEqual(classifyClose('subscription_inactive'), {
      kind: 'ended',
      reason: 'subscription_inactive',
    });
    assert.deepEqual(classifyClose('logout'), { kind: 'ended', reason: 'logout' });
  });
  test('the viewing window closing is not an end but a wait', () => {
    assert.equal(classifyClose('access_revoked:outside_viewing_hours').kind, 'outside_hours');
    assert.equal(classifyClose('access_revoked:closed_day').kind, 'closed_day');
  });
  test('transient ends reconnect with a new grant', () => {
    for (const r of [
      'grant_expired',
      'camera_offline',
      'camera_unavailable',
      'server_shutdown',
      'grant refused: expired',
    ])
      assert.equal(classifyClose(r).kind, 'reconnect', r);
  });
  test('a refused grant keeps the next opening time', () => {
    assert.deepEqual(classifyRefusal('outside_viewing_hours', '2026-03-02T04:00:00.000Z'), {
      kind: 'outside_hours',
      reason: 'outside_viewing_hours',
      nextOpenAt: '2026-03-02T04:00:00.000Z',
    });
    assert.deepEqual(classifyRefusal('stream_limit'), { kind: 'ended', reason: 'stream_limit' });
  });
});

describe('reconnect backoff', () => {
  test('doubles from about a second and stays under the cap', () => {
    assert.equal(
      backoffMs(0, () => 0.5),
      1000,
    );
    assert.equal(
      backoffMs(1, () => 0.5),
      2000,
    );
    assert.equal(
      backoffMs(3, () => 0.5),
      8000,
    );
    assert.equal(
      backoffMs(10, () => 0.5),
      15_000,
    );
    assert.ok(backoffMs(10, () => 1) <= 18_000);
    assert.ok(backoffMs(0, () => 0) >= 800);
  });
});

describe('keeping to the live edge', () => {
  test('jumps when more than the allowed lag is buffered ahead', () => {
    assert.equal(liveEdgeSeek(10, [{ start: 5, end: 10 + MAX_LAG_S + 0.5 }]), 10 + MAX_LAG_S + 0.5 - 0.3);
    assert.equal(liveEdgeSeek(10, [{ start: 5, end: 11 }]), null);
  });
  test('jumps into the buffer when the playhead is outside it (first fragments, after a hole)', () => {
    assert.equal(liveEdgeSeek(0, [{ start: 1000, end: 1000.2 }]), 1000);
    assert.equal(
      liveEdgeSeek(12, [
        { start: 5, end: 12 },
        { start: 20, end: 21 },
      ]),
      20.7,
    );
    assert.equal(liveEdgeSeek(0, []), null);
  });
  test('trims old buffer only once there is plenty of it', () => {
    assert.equal(trimRange(20, [{ start: 0, end: 21 }]), null);
    assert.deepEqual(trimRange(40, [{ start: 0, end: 41 }]), { start: 0, end: 30 });
  });
});

describe('URLs and messages', () => {
  test('WebSocket URLs follow the page scheme', () => {
    assert.equal(
      absoluteWsUrl('/media/live/c/ws?token=t', { protocol: 'https:', host: 'okno.example' }),
      'wss://okno.example/media/live/c/ws?token=t',
    );
    assert.equal(
      absoluteWsUrl('/m/ws', { protocol: 'http:', host: 'localhost:8080' }),
      'ws://localhost:8080/m/ws',
    );
    assert.equal(absoluteWsUrl('wss://other/ws', { protocol: 'http:', host: 'x' }), 'wss://other/ws');
  });
  test('a renewed token replaces the old one in HLS requests', () => {
    assert.equal(
      withToken('/media/live/c/hls/seg-4.m4s?token=old', 'new', 'https://o.example/'),
      'https://o.example/media/live/c/hls/seg-4.m4s?token=new',
    );
    assert.equal(
      withToken('https://o.example/x.m4s', 'new', 'https://o.example/'),
      'https://o.example/x.m4s',
    );
  });
  test('server messages are parsed strictly', () => {
    assert.deepEqual(parseServerMessage('{"type":"init","mime":"video/mp4; codecs=\\"avc1.64001f\\""}'), {
      type: 'init',
      mime: 'video/mp4; codecs="avc1.64001f"',
    });
    assert.deepEqual(parseServerMessage('{"type":"closed","reason":"grant_expired"}'), {
      type: 'closed',
      reason: 'grant_expired',
    });
    assert.deepEqual(parseServerMessage('{"type":"renew_needed"}'), { type: 'renew_needed' });
    assert.deepEqual(parseServerMessage('{"type":"stats"}'), { type: 'other' });
    assert.equal(parseServerMessage('not json'), null);
    assert.equal(parseServerMessage('42'), null);
  });
});
