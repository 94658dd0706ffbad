/**
 * Group commit of audited writes on real SQLite and PostgreSQL: concurrent writes share transactions
 * and the chain stays whole and in order; a write whose change fails is rolled back alone (its audit
 * entry too) and its caller told; a failed commit fails every write of its batch; writes through the
 * group committer and plain appendAudit transactions interleave on one chain.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { recordAudit, SYSTEM_CONTEXT, verifyAuditChain } from '../../src/audit/audit-log.js';
import { AuditGroupCommit } from '../../src/audit/group-commit.js';
import { testDatabases, type TestDb } from '../support/db.js';

const AT = new Date('2026-03-02T08:00:00.000Z');

async function entries(db: TestDb): Promise<{ seq: number; target_id: string | null }[]> {
  const rows = await db.kysely.selectFrom('audit_log').select(['seq', 'target_id']).orderBy('seq').execute();
  return rows.map((r) => ({ seq: Number(r.seq), target_id: r.target_id }));
}

for (const { name, open, skip } of testDatabases()) {
  describe(`audit group commit on ${name}`, { skip }, () => {
    test('50 concurrent writes: all committed, batched, one unbroken chain', async () => {
      const db = await open();
      try {
        const writes = new AuditGroupCommit(db.kysely);
        let changes = 0;
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            writes.append(SYSTEM_CONTEXT, { action: 'test.write', targetId: String(i) }, AT, async (trx) => {
              changes++;
              await sql`select 1`.execute(trx);
            }),
          ),
        );
        assert.equal(results.length, 50);
        assert.deepEqual(
          results.map((r) => r.seq),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        assert.equal(changes, 50);
        // The first write goes alone; the 49 queued behind it share transactions.
        assert.equal(writes.stats.writes, 50);
        assert.ok(writes.stats.batches <= 3, `${writes.stats.batches} transactions for 50 writes`);
        assert.deepEqual(await verifyAuditChain(db.kysely), { ok: true, entries: 50 });
        assert.deepEqual(
          (await entries(db)).map((e) => e.target_id),
          results.map((_, i) => String(i)),
        );
      } finally {
        await db.close();
      }
    });

    test('a failing change is rolled back alone, with its audit entry; the others commit', async () => {
      const db = await open();
      try {
        const writes = new AuditGroupCommit(db.kysely);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            writes.append(SYSTEM_CONTEXT, { action: 'test.write', targetId: String(i) }, AT, async (trx) => {
              await trx
                .insertInto('regions')
                .values({
                  id: `r${i}`,
                  name: `Region ${i}`,
                  created_at: AT.toISOString(),
                  updated_at: AT.toISOString(),
                })
                .execute();
              if (i === 2 || i === 5) throw new Error(`change ${i} failed`);
            }),
          ),
        );
        assert.deepEqual(
          outcomes.map((o) => o.status),
          ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected'],
        );
        assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /change 2 failed/);
        assert.deepEqual(
          (await entries(db)).map((e) => e.target_id),
          ['0', '1', '3', '4'],
        );
        const regions = await db.kysely.selectFrom('regions').select('id').orderBy('id').execute();
        assert.deepEqual(
          regions.map((r) => r.id),
          ['r0', 'r1', 'r3', 'r4'],
        );
        assert.deepEqual(await verifyAuditChain(db.kysely), { ok: true, entries: 4 });
      } finally {
        await db.close();
      }
    });

    test('a write alone whose change fails leaves nothing behind', async () => {
      const db = await open();
      try {
        const writes = new AuditGroupCommit(db.kysely);
        await assert.rejects(
          writes.append(SYSTEM_CONTEXT, { action: 'test.write' }, AT, () => Promise.reject(new Error('no'))),
          /no/,
        );
        assert.deepEqual(await entries(db), []);
        assert.deepEqual(await verifyAuditChain(db.kysely), { ok: true, entries: 0 });
      } finally {
        await db.close();
      }
    });

    test('when the transaction cannot commit, every write of the batch is refused', async () => {
      const db = await open();
      try {
        // The audit head is gone: no write can be chained, none may be reported done.
        await sql`delete from audit_head`.execute(db.kysely);
        const writes = new AuditGroupCommit(db.kysely);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 4 }, (_, i) =>
            writes.append(SYSTEM_CONTEXT, { action: 'test.write', targetId: String(i) }, AT),
          ),
        );
        assert.deepEqual(
          outcomes.map((o) => o.status),
          ['rejected', 'rejected', 'rejected', 'rejected'],
        );
        assert.deepEqual(await entries(db), []);
      } finally {
        await db.close();
      }
    });

    test('group-committed writes and plain audited transactions share one chain', async () => {
      const db = await open();
      try {
        const writes = new AuditGroupCommit(db.kysely);
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            i % 2 === 0
              ? writes.append(SYSTEM_CONTEXT, { action: 'test.group', targetId: String(i) }, AT)
              : recordAudit(db.kysely, SYSTEM_CONTEXT, { action: 'test.plain', targetId: String(i) }, AT),
          ),
        );
        assert.deepEqual(await verifyAuditChain(db.kysely), { ok: true, entries: 20 });
      } finally {
        await db.close();
      }
    });
  });
}
