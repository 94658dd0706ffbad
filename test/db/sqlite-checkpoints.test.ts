/**
 * The SQLite file database checkpoints its WAL from a worker thread: the WAL is copied into the
 * database while the application keeps writing, nothing is lost, and closing ends the worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordAudit, SYSTEM_CONTEXT, verifyAuditChain } from '../../src/audit/audit-log.js';
import { createMetrics, registerDatabaseMetrics } from '../../src/server/metrics.js';
import { migrateToLatest, openDatabase } from '../../src/storage/db.js';

test('background checkpoints keep up with writes; the data survives close and reopen', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'okno-ckpt-'));
  try {
    const file = path.join(dir, 'okno.db');
    const db = openDatabase({ sqlitePath: file, checkpointIntervalMs: 50 });
    await migrateToLatest(db);
    const at = new Date('2026-03-02T08:00:00.000Z');
    for (let i = 0; i < 500; i++)
      await recordAudit(db.kysely, SYSTEM_CONTEXT, { action: 'test.write', targetId: String(i) }, at);
    const stats = db.checkpoints!;
    const deadline = Date.now() + 5000;
    while (!(
      stats.runs > 0 &&
      stats.lastLogFrames > 0 &&
      stats.lastCheckpointedFrames === stats.lastLogFrames
    )) {
      assert.ok(Date.now() < deadline, `no complete checkpoint in 5 s: ${JSON.stringify(stats)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(stats.failures, 0, String(stats.lastError));
    const metrics = createMetrics();
    registerDatabaseMetrics(metrics, db);
    const text = await metrics.registry.metrics();
    assert.match(text, /^okno_sqlite_checkpoint_runs [1-9]/m);
    assert.match(text, /^okno_sqlite_checkpoint_failures 0$/m);
    await db.close();
    // The last connection to close folds the WAL into the database and removes it.
    assert.equal(existsSync(`${file}-wal`), false);
    const again = openDatabase({ sqlitePath: file });
    try {
      assert.deepEqual(await verifyAuditChain(again.kysely), { ok: true, entries: 500 });
    } finally {
      await again.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
