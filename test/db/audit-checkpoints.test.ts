import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { recordAudit, SYSTEM_CONTEXT, verifyAuditChain } from '../../src/audit/audit-log.js';
import {
  AuditCheckpointer,
  loadOrCreateCheckpointKey,
  readCheckpointFile,
  verifyAgainstCheckpoints,
} from '../../src/audit/checkpoints.js';
import { testDatabases, type TestDb } from '../support/db.js';
import { asDatabaseOwner, rewriteChain } from '../support/audit-tamper.js';

async function addEntries(db: TestDb, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++)
    await recordAudit(
      db.kysely,
      SYSTEM_CONTEXT,
      { action: 'test.event', targetKind: 'thing', targetId: String(i), reason: `reason ${i}` },
      new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    );
}

for (const { name, open, skip } of testDatabases()) {
  describe(`audit checkpoints on ${name}`, { skip }, () => {
    async function setup() {
      const db = await open();
      const dir = mkdtempSync(path.join(tmpdir(), 'okno-cp-'));
      const key = loadOrCreateCheckpointKey(path.join(dir, 'key.pem'));
      const file = path.join(dir, 'checkpoints.jsonl');
      let t = Date.UTC(2026, 0, 2);
      const cp = new AuditCheckpointer({
        db: db.kysely,
        key,
        file,
        origin: 'okno-audit/test',
        clock: { now: () => new Date((t += 60_000)) },
        intervalMs: 0,
      });
      return {
        db,
        key,
        file,
        cp,
        verify: () =>
          verifyAgainstCheckpoints(db.kysely, readCheckpointFile(file), key.publicKey, 'checkpoints'),
        done: async () => {
          await db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }

    test('an intact chain matches every checkpoint; a checkpoint is written only when the chain grew', async () => {
      const s = await setup();
      try {
        await addEntries(s.db, 1, 3);
        await s.cp.checkpointNow();
        await s.cp.checkpointNow();
        await addEntries(s.db, 4, 3);
        await s.cp.checkpointNow();
        await addEntries(s.db, 7, 2);
        const lines = readFileSync(s.file, 'utf8').trim().split('\n');
        assert.equal(lines.length, 2);
        const v = await s.verify();
        assert.deepEqual(v.problems, []);
        assert.equal(v.ok, true);
        assert.equal(v.checked, 2);
        assert.equal(v.lastGood?.seq, 6);
        assert.equal(v.unanchored, 2);
      } finally {
        await s.done();
      }
    });

    test('a chain rewritten with recomputed hashes verifies alone but fails its checkpoints, naming where', async () => {
      const s = await setup();
      try {
        await addEntries(s.db, 1, 4);
        await s.cp.checkpointNow(); // seq 4
        await addEntries(s.db, 5, 4);
        await s.cp.checkpointNow(); // seq 8
        await addEntries(s.db, 9, 4);
        await s.cp.checkpointNow(); // seq 12
        await rewriteChain(s.db, 6, 'nothing happened');
        assert.equal((await verifyAuditChain(s.db.kysely)).ok, true, 'the rewrite fools the bare chain');
        const v = await s.verify();
        assert.equal(v.ok, false);
        assert.equal(v.lastGood?.seq, 4);
        const rewritten = v.problems.find((p) => p.startsWith('chain REWRITTEN'));
        assert.ok(rewritten, v.problems.join('\n'));
        assert.match(rewritten, /entry 8 does not have the head hash/);
        assert.match(rewritten, /entries 5–8/);
      } finally {
        await s.done();
      }
    });

    test('entries cut from the end, a forged checkpoint and a torn line are reported', async () => {
      const s = await setup();
      try {
        await addEntries(s.db, 1, 5);
        await s.cp.checkpointNow();
        await asDatabaseOwner(s.db, async () => {
          await sql`delete from audit_log where seq > 3`.execute(s.db.kysely);
          const last = await s.db.kysely
            .selectFrom('audit_log')
            .select('hash')
            .where('seq', '=', 3)
            .executeTakeFirstOrThrow();
          await sql`update audit_head set seq = 3, hash = ${last.hash} where id = 1`.execute(s.db.kysely);
        });
        const forged = JSON.parse(readFileSync(s.file, 'utf8').trim()) as Record<string, unknown>;
        forged.seq = 3;
        writeFileSync(s.file, JSON.stringify(forged) + '\n{"origin":"okno', { flag: 'a' });
        const v = await s.verify();
        assert.equal(v.ok, false);
        assert.ok(
          v.problems.some((p) => /records 5 entries but the chain has 3/.test(p)),
          v.problems.join('\n'),
        );
        assert.ok(
          v.problems.some((p) => /line 2: signature does not verify/.test(p)),
          v.problems.join('\n'),
        );
        assert.ok(
          v.problems.some((p) => /line 3: unreadable/.test(p)),
          v.problems.join('\n'),
        );
      } finally {
        await s.done();
      }
    });

    test('a checkpointer started again continues the file and skips an unchanged head', async () => {
      const s = await setup();
      try {
        await addEntries(s.db, 1, 2);
        await s.cp.checkpointNow();
        const again = new AuditCheckpointer({
          db: s.db.kysely,
          key: s.key,
          file: s.file,
          origin: 'okno-audit/test',
          clock: { now: () => new Date() },
          intervalMs: 0,
        });
        assert.equal(again.latest()?.seq, 2);
        await again.close();
        assert.equal(readCheckpointFile(s.file).checkpoints.length, 1);
      } finally {
        await s.done();
      }
    });
  });
}
