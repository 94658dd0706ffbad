/**
 * Benchmark helpers that run in a child process (the viewers, so that their CPU is not counted as
 * Okno's), driven by request/response messages over the IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Envelope {
  id: number;
  body: unknown;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface Child {
  readonly pid: number;
  request<T>(body: unknown, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Forks a TypeScript module (run through tsx) that calls serveRequests(). */
export function forkChild(module: URL, execArgv: string[] = []): Child {
  const proc: ChildProcess = fork(fileURLToPath(module), [], {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    proc.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values())
        p.reject(new Error(`benchmark child exited (${signal ?? code}) before answering`));
      pending.clear();
      resolve();
    }),
  );
  proc.on('message', (raw) => {
    const msg = raw as Reply;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error ?? 'benchmark child failed'));
  });
  return {
    get pid() {
      return proc.pid ?? -1;
    },
    request<T>(body: unknown, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(new Error('benchmark child has exited'));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`benchmark child did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        proc.send({ id, body } satisfies Envelope);
      });
    },
    async close() {
      if (exited) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

/** In the child: answers each request with handler's result (or its error). */
export function serveRequests(handler: (body: unknown) => Promise<unknown>): void {
  if (!process.send) throw new Error('this module runs as a benchmark child process (fork) only');
  process.on('message', (raw) => {
    const { id, body } = raw as Envelope;
    handler(body).then(
      (result) => process.send!({ id, ok: true, result } satisfies Reply),
      (err: unknown) =>
        process.send!({
          id,
          ok: false,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        } satisfies Reply),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
