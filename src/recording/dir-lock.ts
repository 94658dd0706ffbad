/**
 * One owner per recording directory (docs/design/recording.md, "One owner").
 *
 * The process that records, recovers or repairs a recording directory holds an exclusive OS lock on
 * `<dir>/.okno-owner.lock`. The lock is SQLite's own (POSIX `fcntl` record locks, taken by
 * better-sqlite3 in `locking_mode = EXCLUSIVE` with `BEGIN EXCLUSIVE`): the kernel drops it when the
 * process dies, however it dies (kill -9 included), so a crash never leaves a stale lock, and a second
 * process — or a second connection in the same process — is refused at once (SQLITE_BUSY, no wait).
 * `.okno-owner.json` beside it says who holds it (pid, host, since), for the refusal message only.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

export const LOCK_FILE = '.okno-owner.lock';
export const OWNER_FILE = '.okno-owner.json';
/** Names in the recording root that belong to the lock, not to the recordings. */
export const isLockFileName = (name: string): boolean => name.startsWith('.okno-owner.');

export interface DirOwner {
  pid: number;
  host: string;
  since: string;
  /** what holds it: `okno serve`, `okno recordings check --repair`, … */
  what: string;
}

export interface DirLock {
  readonly root: string;
  release(): void;
}

export type LockAttempt = { ok: true; lock: DirLock } | { ok: false; holder: DirOwner | null };

function readOwner(root: string): DirOwner | null {
  try {
    return JSON.parse(readFileSync(path.join(root, OWNER_FILE), 'utf8')) as DirOwner;
  } catch {
    return null;
  }
}

/** Takes the directory's lock, or says who holds it. Never waits. */
export function tryLockRecordingDir(root: string, what: string, now: Date = new Date()): LockAttempt {
  mkdirSync(root, { recursive: true });
  const db = new Database(path.join(root, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY' || (e as { code?: string }).code === 'SQLITE_LOCKED')
      return { ok: false, holder: readOwner(root) };
    throw e;
  }
  const owner: DirOwner = { pid: process.pid, host: hostname(), since: now.toISOString(), what };
  const tmp = path.join(root, `${OWNER_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(owner) + '\n');
  renameSync(tmp, path.join(root, OWNER_FILE));
  let released = false;
  return {
    ok: true,
    lock: {
      root,
      release: () => {
        if (released) return;
        released = true;
        db.close();
      },
    },
  };
}

export function describeHolder(root: string, holder: DirOwner | null): string {
  return holder
    ? `the recording directory ${root} is in use by ${holder.what} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
    : `the recording directory ${root} is in use by another process`;
}

export class RecordingDirBusyError extends Error {
  constructor(
    readonly root: string,
    readonly holder: DirOwner | null,
  ) {
    super(
      `${describeHolder(root, holder)}: one process records a directory at a time ` +
        '(stop it, or set recording.enabled=false for a process that only serves the API)',
    );
    this.name = 'RecordingDirBusyError';
  }
}
