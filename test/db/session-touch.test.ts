/**
 * A session in use stays alive under a short idle timeout: last_seen_at is written often enough
 * (a quarter of the idle timeout where that is under a minute) that a viewer renewing its grant every
 * 40 s is never timed out, while one that stops is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases } from '../support/db.js';
import { SessionStore } from '../../src/identity/sessions.js';
import { Factory } from '../support/factory.js';

for (const { name, open, skip } of testDatabases()) {
  test(`a one-minute idle timeout does not end an active viewer's session (${name})`, { skip }, async () => {
    const db = await open();
    try {
      let nowMs = Date.parse('2026-11-23T07:00:00Z');
      const clock = { now: () => new Date(nowMs) };
      const personId = (await new Factory(db.kysely).person()).id;
      const sessions = new SessionStore(db.kysely, clock, {
        idleTimeoutMinutes: 1,
        absoluteTimeoutHours: 12,
      });
      const s = await sessions.create(personId, { ip: null, userAgent: null });
      for (let i = 0; i < 6; i++) {
        nowMs += 40_000; // a renewal every 40 s
        const r = await sessions.resolve(s.token);
        assert.equal(r.ok, true, `renewal ${i + 1} at +${(i + 1) * 40} s`);
        const until = await sessions.activeUntil(s.sessionId);
        assert.ok(until !== null && until > nowMs + 30_000);
      }
      nowMs += 61_000; // then nothing for over a minute
      assert.equal(await sessions.activeUntil(s.sessionId), null);
      assert.deepEqual(await sessions.resolve(s.token), { ok: false, reason: 'idle_timeout' });
    } finally {
      await db.close();
    }
  });
}
