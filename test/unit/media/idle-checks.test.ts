/** Idle camera checks on simulated time: each camera once per period, spread out, running ones skipped. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleHealthChecks, inWindow, phaseOf } from '../../../src/streams/idle-checks.js';
import type { CameraSource } from '../../../src/storage/repositories/camera-sources.js';
import { FakeTimers } from './helpers.js';

function sources(n: number): CameraSource[] {
  return Array.from({ length: n }, (_, i) => ({
    cameraId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: `cam ${i}`,
    url: `rtsp://10.0.0.${i % 250}/live`,
    username: null,
    password: null,
    transport: 'tcp' as const,
    enabled: true,
    audioAllowed: false,
  }));
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('idle camera checks', () => {
  test('windows wrap around the period', () => {
    assert.equal(inWindow(50, 0, 100, 1000), true);
    assert.equal(inWindow(0, 0, 100, 1000), false, 'half-open at the start');
    assert.equal(inWindow(100, 0, 100, 1000), true);
    assert.equal(inWindow(5, 950, 1010, 1000), true, 'wraps');
    assert.equal(inWindow(960, 1950, 2010, 1000), true);
    assert.equal(inWindow(500, 1950, 2010, 1000), false);
    const p = phaseOf('cam-x', 300_000);
    assert.ok(p >= 0 && p < 300_000);
    assert.equal(phaseOf('cam-x', 300_000), p, 'stable');
  });

  test('1,000 cameras: each checked once per period, no second busier than 3× the mean, running ones skipped', async () => {
    const timers = new FakeTimers();
    const list = sources(1000);
    const running = new Set([list[0]!.cameraId, list[1]!.cameraId]);
    const checked: { id: string; atMs: number }[] = [];
    const checks = new IdleHealthChecks({
      sources: { listEnabled: () => Promise.resolve(list) },
      isRunning: (id) => running.has(id),
      periodMs: 300_000,
      tickMs: 1000,
      timers,
      check: (s) => {
        checked.push({ id: s.cameraId, atMs: timers.nowMs() });
        return Promise.resolve(
          s.cameraId === list[2]!.cameraId
            ? { ok: false, durationMs: 3, failure: { code: 'auth_failed', message: '401' } }
            : { ok: true, durationMs: 2, videoCodec: 'H264' },
        );
      },
    });
    checks.start();
    for (let s = 0; s < 300; s++) {
      timers.advance(1000);
      await flush();
    }
    checks.stop();
    const ids = checked.map((c) => c.id);
    assert.equal(new Set(ids).size, 998, 'every idle camera once');
    assert.equal(ids.length, 998);
    assert.ok(!ids.includes(list[0]!.cameraId), 'a running camera is not checked');
    const perSecond = new Map<number, number>();
    for (const c of checked) perSecond.set(c.atMs, (perSecond.get(c.atMs) ?? 0) + 1);
    const busiest = Math.max(...perSecond.values());
    assert.ok(busiest <= 10, `busiest second ${busiest} (mean 3.3)`);
    assert.equal(checks.last(list[2]!.cameraId)?.failure?.code, 'auth_failed');
    assert.equal(checks.last(list[3]!.cameraId)?.ok, true);
    assert.equal(checks.last(list[0]!.cameraId), undefined);
  });

  test('period 0 turns the checks off', async () => {
    const timers = new FakeTimers();
    let calls = 0;
    const checks = new IdleHealthChecks({
      sources: { listEnabled: () => Promise.resolve(sources(3)) },
      isRunning: () => false,
      periodMs: 0,
      timers,
      check: () => {
        calls++;
        return Promise.resolve({ ok: true, durationMs: 1, videoCodec: 'H264' });
      },
    });
    checks.start();
    timers.advance(60_000);
    await flush();
    assert.equal(calls, 0);
    assert.equal(timers.pendingCount, 0);
  });
});
