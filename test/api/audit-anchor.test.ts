import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createPublicKey, verify } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testDatabases } from '../support/db.js';
import { buildTestApp, sessionFor } from '../support/app.js';
import { rewriteChain } from '../support/audit-tamper.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';
import { migrateToLatest, openDatabase } from '../../src/storage/db.js';
import { recordAudit, SYSTEM_CONTEXT } from '../../src/audit/audit-log.js';
import { AuditCheckpointer, loadOrCreateCheckpointKey } from '../../src/audit/checkpoints.js';

const execFileAsync = promisify(execFile);

for (const { name, open, skip } of testDatabases()) {
  describe(`audit anchoring API on ${name}`, { skip }, () => {
    test('auditors read the newest signed checkpoint; verify reports a rewritten chain', async () => {
      const db = await open();
      const dataDir = mkdtempSync(path.join(tmpdir(), 'okno-anchor-'));
      const t = await buildTestApp(db, { overrides: { dataDir, 'audit.checkpointSeconds': 3600 } });
      try {
        await seedDemo(db.kysely, devIssuer(t.config.publicUrl), new Date());
        const person = async (subject: string) =>
          (
            await db.kysely
              .selectFrom('persons')
              .select('id')
              .where('subject', '=', subject)
              .executeTakeFirstOrThrow()
          ).id;
        const auditor = await sessionFor(t, await person('demo-auditor'));
        const anna = await sessionFor(t, await person('demo-parent-anna'));
        for (let i = 0; i < 4; i++)
          await recordAudit(db.kysely, SYSTEM_CONTEXT, { action: 'test.event', reason: `r${i}` }, new Date());
        await t.ctx.auditCheckpoints!.checkpointNow();
        const r = await t.app.inject({ url: '/api/audit/checkpoint', headers: auditor.headers });
        assert.equal(r.statusCode, 200);
        const body = r.json<{
          checkpoint: { seq: number; head: string; body: string; signature: string };
          publicKeyPem: string;
        }>();
        const head = await db.kysely.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
        assert.equal(body.checkpoint.seq, Number(head.seq));
        assert.equal(body.checkpoint.head, head.hash);
        assert.ok(
          verify(
            null,
            Buffer.from(body.checkpoint.body),
            createPublicKey(body.publicKeyPem),
            Buffer.from(body.checkpoint.signature, 'base64'),
          ),
          'the signature verifies with the published key',
        );
        assert.equal(
          (await t.app.inject({ url: '/api/audit/checkpoint', headers: anna.headers })).statusCode,
          404,
        );

        const ok = await t.app.inject({ url: '/api/audit/verify', headers: auditor.headers });
        assert.equal(ok.json<{ ok: boolean }>().ok, true);
        await rewriteChain(db, 2, 'rewritten');
        const bad = await t.app.inject({ url: '/api/audit/verify', headers: auditor.headers });
        const v = bad.json<{ ok: boolean; checkpoints: { problems: string[] } }>();
        assert.equal(v.ok, false, bad.body);
        assert.match(v.checkpoints.problems.join('\n'), /chain REWRITTEN: entry \d+ .*entries 1–\d+/);
      } finally {
        await t.close();
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}

describe('okno audit verify (SQLite data dir)', () => {
  test('intact passes; a rewrite is caught by the server file and by an auditor copy alone', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'okno-anchor-cli-'));
    const cli = (...args: string[]) =>
      execFileAsync(process.execPath, ['bin/okno.js', ...args], {
        env: { ...process.env, OKNO_DATA_DIR: dataDir, OKNO_DATABASE_URL: '' },
      }).then(
        (o) => ({ code: 0, out: o.stdout }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    const db = openDatabase({ sqlitePath: path.join(dataDir, 'okno.db') });
    try {
      await migrateToLatest(db);
      for (let i = 0; i < 6; i++)
        await recordAudit(db.kysely, SYSTEM_CONTEXT, { action: 'test.event', reason: `r${i}` }, new Date());
      const key = loadOrCreateCheckpointKey(path.join(dataDir, 'audit-checkpoint-key.pem'));
      const cp = new AuditCheckpointer({
        db: db.kysely,
        key,
        file: path.join(dataDir, 'audit-checkpoints.jsonl'),
        origin: 'okno-audit/test',
        clock: { now: () => new Date() },
        intervalMs: 0,
      });
      await cp.checkpointNow();
      const copy = path.join(dataDir, 'auditor-copy.jsonl');
      copyFileSync(path.join(dataDir, 'audit-checkpoints.jsonl'), copy);
      const pem = path.join(dataDir, 'auditor-key.pem'); // as `okno audit public-key` prints it
      writeFileSync(pem, key.publicKeyPem);

      const intact = await cli('audit', 'verify', '--checkpoints', copy, '--public-key', pem);
      assert.equal(intact.code, 0, intact.out);
      assert.match(intact.out, /^audit chain intact: 6 entries/);
      assert.match(intact.out, /1 signed checkpoints match \(newest: entry 6/);

      await rewriteChain(db, 3, 'nothing to see');
      const caught = await cli('audit', 'verify');
      assert.equal(caught.code, 1, caught.out);
      assert.match(caught.out, /^audit chain NOT intact/);
      assert.match(caught.out, /chain REWRITTEN: entry 6 .* entries 1–6/);

      // Whoever rewrote the chain also removes the server's file: the auditor's copy still catches it.
      unlinkSync(path.join(dataDir, 'audit-checkpoints.jsonl'));
      const alone = await cli('audit', 'verify', '--checkpoints', copy, '--public-key', pem);
      assert.equal(alone.code, 1, alone.out);
      assert.match(alone.out, new RegExp(`REWRITTEN.*${path.basename(copy)}`));
    } finally {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
