import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { recordAudit, verifyAuditChain, SYSTEM_CONTEXT } from '../../src/audit/audit-log.js';
import { testDatabases, type TestDb } from '../support/db.js';

async function withEntries(db: TestDb, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await recordAudit(
      db.kysely,
      SYSTEM_CONTEXT,
      { action: 'test.event', targetKind: 'thing', targetId: String(i), details: { i } },
      new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    );
}

/** Simulates a database administrator tampering behind the application's back. */
async function tamper(db: TestDb, statement: string): Promise<void> {
  if (db.dialect === 'postgres') {
    await sql.raw('alter table audit_log disable trigger audit_log_append_only').execute(db.kysely);
    await sql.raw(statement).execute(db.kysely);
    await sql.raw('alter table audit_log enable trigger audit_log_append_only').execute(db.kysely);
  } else {
    for (const op of ['update', 'delete'])
      await sql.raw(`drop trigger audit_log_append_only_${op}`).execute(db.kysely);
    await sql.raw(statement).execute(db.kysely);
    for (const op of ['update', 'delete'])
      await sql
        .raw(
          `create trigger audit_log_append_only_${op} before ${op} on audit_log
           begin select raise(abort, 'audit_log is append-only'); end`,
        )
        .execute(db.kysely);
  }
}

for (const { name, open, skip } of testDatabases()) {
  describe(`audit chain on ${name}`, { skip }, () => {
    test('a fresh chain verifies', async () => {
      const db = await open();
      try {
        await withEntries(db, 5);
        assert.deepEqual(await verifyAuditChain(db.kysely), { ok: true, entries: 5 });
      } finally {
        await db.close();
      }
    });

    test('an edited entry is found and named', async () => {
      const db = await open();
      try {
        await withEntries(db, 5);
        await tamper(db, `update audit_log set reason = 'nothing to see' where seq = 3`);
        const r = await verifyAuditChain(db.kysely);
        assert.equal(r.ok, false);
        assert.equal(r.firstBad?.seq, 3);
        assert.match(r.firstBad.problem, /edited/);
      } finally {
        await db.close();
      }
    });

    test('a deleted entry is found', async () => {
      const db = await open();
      try {
        await withEntries(db, 5);
        await tamper(db, `delete from audit_log where seq = 2`);
        const r = await verifyAuditChain(db.kysely);
        assert.equal(r.ok, false);
        assert.equal(r.firstBad?.seq, 2);
        assert.match(r.firstBad.problem, /missing/);
      } finally {
        await db.close();
      }
    });

    test('a deleted last entry is found', async () => {
      const db = await open();
      try {
        await withEntries(db, 4);
        await tamper(db, `delete from audit_log where seq = 4`);
        const r = await verifyAuditChain(db.kysely);
        assert.equal(r.ok, false);
        assert.match(r.firstBad!.problem, /removed from the end/);
      } finally {
        await db.close();
      }
    });

    test('two swapped entries are found', async () => {
      const db = await open();
      try {
        await withEntries(db, 5);
        await tamper(db, `update audit_log set seq = -1 where seq = 2`);
        await tamper(db, `update audit_log set seq = 2 where seq = 3`);
        await tamper(db, `update audit_log set seq = 3 where seq = -1`);
        const r = await verifyAuditChain(db.kysely);
        assert.equal(r.ok, false);
        assert.equal(r.firstBad?.seq, 2);
        assert.match(r.firstBad.problem, /link broken/);
      } finally {
        await db.close();
      }
    });

    test('the database refuses updates and deletes of audit rows', async () => {
      const db = await open();
      try {
        await withEntries(db, 1);
        await assert.rejects(sql`update audit_log set reason = 'x'`.execute(db.kysely), /append-only/);
        await assert.rejects(sql`delete from audit_log`.execute(db.kysely), /append-only/);
      } finally {
        await db.close();
      }
    });
  });
}
