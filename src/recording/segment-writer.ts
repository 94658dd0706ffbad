/**
 * Writes one segment file: the init segment, then each fragment appended as it arrives (one write
 * each, in order, never waiting on the caller), with an fdatasync every `syncIntervalMs` — so a crash
 * of the process loses nothing already handed to write(), and a crash of the machine at most the last
 * sync interval. `finish()` is the first half of the create invariant: all writes done → fsync the file
 * → close → fsync the directory. Only then may the caller insert the index row.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, mkdirDurable, segmentRelPath } from './paths.js';

export interface SegmentWriterOptions {
  /** recording.dir */
  root: string;
  cameraId: string;
  startMs: number;
  /** ftyp + moov of the run the fragments belong to. */
  init: Buffer;
  syncIntervalMs: number;
}

export interface FinishedSegment {
  relPath: string;
  bytes: number;
  initBytes: number;
  sha256: string;
  keyframes: [number, number][];
  fragments: number;
}

export class SegmentWriter {
  readonly cameraId: string;
  readonly startMs: number;
  private relPathValue: string | undefined;
  private fh: FileHandle | undefined;
  private chain: Promise<void>;
  private readonly hash: Hash = createHash('sha256');
  private bytesQueued = 0;
  private bytesWritten = 0;
  private bytesSynced = 0;
  private readonly initBytes: number;
  private readonly keyframes: [number, number][] = [];
  private fragments = 0;
  private fragmentsWritten = 0;
  private writtenEndMs = 0;
  private failure: Error | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(private readonly opts: SegmentWriterOptions) {
    this.cameraId = opts.cameraId;
    this.startMs = opts.startMs;
    this.initBytes = opts.init.length;
    this.hash.update(opts.init);
    this.bytesQueued = opts.init.length;
    this.chain = this.openFile(opts.init);
    this.chain.catch(() => undefined);
    this.syncTimer = setInterval(() => this.periodicSync(), opts.syncIntervalMs);
    this.syncTimer.unref();
  }

  /** Relative path (known once the file is created). */
  get relPath(): string | undefined {
    return this.relPathValue;
  }

  /** Bytes handed to the writer so far (init included). */
  get bytes(): number {
    return this.bytesQueued;
  }

  get fragmentCount(): number {
    return this.fragments;
  }

  /** The first write error, if any: the writer then ignores further fragments. */
  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * Appends a fragment; `offsetMs` is its start relative to the segment start (for seek points),
   * `endOffsetMs` its end (for reading the segment while it is written).
   */
  append(data: Buffer, keyframe: boolean, offsetMs: number, endOffsetMs = offsetMs): void {
    if (this.finished || this.failure) return;
    if (keyframe) this.keyframes.push([this.bytesQueued, Math.round(offsetMs)]);
    this.fragments++;
    this.bytesQueued += data.length;
    this.hash.update(data);
    const fragments = this.fragments;
    this.enqueue(async (fh) => {
      await writeAll(fh, data);
      this.bytesWritten += data.length;
      this.writtenEndMs = Math.round(endOffsetMs);
      this.fragmentsWritten = fragments;
    });
  }

  /**
   * What is in the file so far (whole fragments handed to write(); readers see them in the page
   * cache): for playback and export of the segment being written. Undefined before the first fragment.
   */
  written():
    | {
        relPath: string;
        bytes: number;
        initBytes: number;
        keyframes: [number, number][];
        endOffsetMs: number;
        fragments: number;
      }
    | undefined {
    if (!this.relPathValue || this.fragmentsWritten === 0 || this.failure) return undefined;
    const bytes = this.bytesWritten;
    return {
      relPath: this.relPathValue,
      bytes,
      initBytes: this.initBytes,
      keyframes: this.keyframes.filter(([o]) => o < bytes),
      endOffsetMs: this.writtenEndMs,
      fragments: this.fragmentsWritten,
    };
  }

  /** Waits for every write, fsyncs file and directory; resolves with what the index row needs. */
  async finish(): Promise<FinishedSegment> {
    if (this.finished) throw new Error('segment already finished');
    this.finished = true;
    this.stopTimer();
    await this.chain;
    if (this.failure) throw this.failure;
    const fh = this.fh!;
    await fh.sync();
    await fh.close();
    this.fh = undefined;
    await fsyncDir(path.dirname(path.join(this.opts.root, this.relPathValue!)));
    return {
      relPath: this.relPathValue!,
      bytes: this.bytesQueued,
      initBytes: this.initBytes,
      sha256: this.hash.digest('hex'),
      keyframes: this.keyframes,
      fragments: this.fragments,
    };
  }

  /** Stops writing and closes the file as it is (after a failure); recovery salvages what is there. */
  async abandon(): Promise<string | undefined> {
    this.finished = true;
    this.stopTimer();
    await this.chain.catch(() => undefined);
    if (this.fh) {
      await this.fh.close().catch(() => undefined);
      this.fh = undefined;
    }
    return this.relPathValue;
  }

  private stopTimer(): void {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = undefined;
  }

  private enqueue(op: (fh: FileHandle) => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure || !this.fh) return;
      try {
        await op(this.fh);
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
      }
    });
  }

  private periodicSync(): void {
    if (this.finished || this.failure || this.bytesQueued === this.bytesSynced) return;
    const upTo = this.bytesQueued;
    this.enqueue(async (fh) => {
      await fh.datasync();
      this.bytesSynced = Math.max(this.bytesSynced, upTo);
    });
  }

  private async openFile(init: Buffer): Promise<void> {
    try {
      for (let attempt = 0; ; attempt++) {
        const rel = segmentRelPath(this.opts.cameraId, this.opts.startMs, attempt);
        const abs = path.join(this.opts.root, rel);
        await mkdirDurable(this.opts.root, path.dirname(abs));
        try {
          this.fh = await open(abs, 'wx', 0o640);
          this.relPathValue = rel;
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw e;
        }
      }
      await writeAll(this.fh, init);
      this.bytesWritten += init.length;
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
    }
  }
}

async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    off += bytesWritten;
  }
}
