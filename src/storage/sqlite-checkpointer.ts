/**
 * WAL checkpoints for the SQLite database, off the event loop.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses the threshold: that commit copies
 * the WAL into the database file and waits for two fsyncs, and with better-sqlite3 it does so on the
 * event loop, so every request in flight waits with it (the grant benchmark's p99 went from under 1 ms
 * to 5–6 ms sequentially, and past 10 ms with 8 callers). Here a worker thread holds a second
 * connection and runs PASSIVE checkpoints every `intervalMs`; passive checkpoints never block writers
 * or readers. The main connection keeps an automatic checkpoint at a much higher threshold as a
 * backstop, so the WAL stays bounded even if the worker dies.
 *
 * The worker is a few lines of plain JavaScript evaluated in the thread (the process runs TypeScript
 * through a loader the thread would not have); it loads the same better-sqlite3 module by path.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Pages (of 4 KiB) after which the main connection checkpoints by itself: the worker's backstop. */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 16_384;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const tick = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'close') {
    clearInterval(timer);
    try { db.close(); } finally { parentPort.close(); }
  }
});
`;

export interface CheckpointStats {
  runs: number;
  failures: number;
  lastError: string | null;
  /** WAL frames at the last checkpoint, and how many of them were copied into the database. */
  lastLogFrames: number;
  lastCheckpointedFrames: number;
}

export class SqliteCheckpointer {
  readonly stats: CheckpointStats = {
    runs: 0,
    failures: 0,
    lastError: null,
    lastLogFrames: 0,
    lastCheckpointedFrames: 0,
  };
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(file: string, intervalMs = 1000) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, module, intervalMs } });
    this.worker.unref(); // never keeps a process (a CLI command) alive
    this.worker.on(
      'message',
      (m: { ok: true; log: number; checkpointed: number } | { ok: false; error: string }) => {
        this.stats.runs++;
        if (m.ok) {
          this.stats.lastLogFrames = m.log;
          this.stats.lastCheckpointedFrames = m.checkpointed;
        } else {
          this.stats.failures++;
          this.stats.lastError = m.error;
        }
      },
    );
    // A failed worker leaves the backstop checkpoint in charge; the error is kept for /metrics.
    this.worker.on('error', (err) => {
      this.stats.failures++;
      this.stats.lastError = err.message;
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Closes the worker's connection and waits for the thread to end (at most `timeoutMs`). */
  async close(timeoutMs = 2000): Promise<void> {
    this.worker.ref(); // the process waits for the thread to finish closing
    this.worker.postMessage('close');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const how = await Promise.race([this.exited.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    if (how === 'timeout') await this.worker.terminate();
  }
}
