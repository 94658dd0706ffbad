/**
 * Group commit for audited writes on the grant path (docs/PRODUCT.md, Audit log).
 *
 * Every grant decision writes an audit entry (and, on allow, the stream row) and must not answer
 * before that is committed. One transaction per decision pays a commit — SQLite writing a dozen pages
 * to its WAL, PostgreSQL a round trip and a wait on the chain's head row — for every decision. Here
 * the writes that arrive while a transaction is committing wait and then go together in the next one:
 * the head is read and locked once, each write runs inside a savepoint of its own, the head is written
 * once, and one commit makes them all durable. A caller alone is not delayed (its batch starts at
 * once); callers under load share commits.
 *
 * Each write is still atomic with the change it records: a write whose change fails is rolled back to
 * its savepoint (its audit entry with it) and rejects, and the others commit. When the commit itself
 * fails, every write of the batch rejects — no write is reported done that was not committed.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import {
  insertAuditEntry,
  lockAuditHead,
  writeAuditHead,
  type AuditContext,
  type AuditEvent,
  type AuditHead,
} from './audit-log.js';

interface Job {
  ctx: AuditContext;
  event: AuditEvent;
  at: Date;
  change: ((trx: Transaction<Database>) => Promise<void>) | undefined;
  resolve: (r: { id: string; seq: number }) => void;
  reject: (err: unknown) => void;
}

export class AuditGroupCommit {
  private queue: Job[] = [];
  private running = false;
  /** Transactions run and writes taken, for the metrics. */
  readonly stats = { batches: 0, writes: 0 };

  /** `maxBatch` bounds how many writes share one transaction (and so how long one holds the lock). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxBatch = 64,
  ) {}

  /**
   * Appends the audit entry and runs `change` (the write it records) in one transaction; resolves
   * once committed with the entry's id and place in the chain.
   */
  append(
    ctx: AuditContext,
    event: AuditEvent,
    at: Date,
    change?: (trx: Transaction<Database>) => Promise<void>,
  ): Promise<{ id: string; seq: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ctx, event, at, change, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commit(batch);
      }
    } finally {
      this.running = false;
    }
  }

  private async commit(batch: Job[]): Promise<void> {
    this.stats.batches++;
    this.stats.writes += batch.length;
    const outcomes: ({ ok: true; id: string; seq: number } | { ok: false; err: unknown })[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        outcomes.length = 0;
        let head: AuditHead = await lockAuditHead(trx);
        const alone = batch.length === 1;
        for (const job of batch) {
          // A single write needs no savepoint: the transaction is its unit.
          if (!alone) await sql`savepoint okno_write`.execute(trx);
          try {
            const written = await insertAuditEntry(trx, head, job.ctx, job.event, job.at);
            if (job.change) await job.change(trx);
            if (!alone) await sql`release savepoint okno_write`.execute(trx);
            head = written.head;
            outcomes.push({ ok: true, id: written.id, seq: written.head.seq });
          } catch (err) {
            if (alone) throw err;
            await sql`rollback to savepoint okno_write`.execute(trx);
            await sql`release savepoint okno_write`.execute(trx);
            outcomes.push({ ok: false, err });
          }
        }
        if (outcomes.some((o) => o.ok)) await writeAuditHead(trx, head);
      });
    } catch (err) {
      for (const job of batch) job.reject(err);
      return;
    }
    batch.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) job.resolve({ id: o.id, seq: o.seq });
      else job.reject(o.err);
    });
  }
}
