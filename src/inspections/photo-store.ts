/**
 * Where inspection photos live on disk (docs/design/inspections.md, "Files and rows"):
 *
 *   <dataDir>/inspections/originals/<aa>/<sha256>         the original, byte for byte, read-only
 *   <dataDir>/inspections/derived/<aa>/<sha256>.<v>.jpg   thumbnail (320 px) and screen (1600 px) copies
 *   <dataDir>/inspections/uploads/<inspectionId>-<sha256>.part   an upload in progress
 *
 * Originals are content-addressed and never overwritten: a finished upload is hard-linked to its name
 * (link() fails rather than replace an existing file; an existing file with that name already holds
 * these very bytes). Create = write part → fsync → hash check → link → fsync dir → row.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { chmod, link, mkdir, open, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../recording/paths.js';

export type Variant = 'original' | 'screen' | 'thumb';
export const VARIANTS: readonly Variant[] = ['original', 'screen', 'thumb'];

const SHA256 = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f-]{36}$/;

export class PhotoStore {
  readonly root: string;
  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'inspections');
  }

  originalPath(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error('not a sha256');
    return path.join(this.root, 'originals', sha256.slice(0, 2), sha256);
  }

  derivedPath(sha256: string, variant: Exclude<Variant, 'original'>): string {
    if (!SHA256.test(sha256)) throw new Error('not a sha256');
    return path.join(this.root, 'derived', sha256.slice(0, 2), `${sha256}.${variant}.jpg`);
  }

  variantPath(sha256: string, variant: Variant): string {
    return variant === 'original' ? this.originalPath(sha256) : this.derivedPath(sha256, variant);
  }

  partPath(inspectionId: string, sha256: string): string {
    if (!SHA256.test(sha256) || !UUID.test(inspectionId)) throw new Error('bad upload name');
    return path.join(this.root, 'uploads', `${inspectionId}-${sha256}.part`);
  }

  /** Bytes of a part file so far (0 when there is none). */
  async partSize(inspectionId: string, sha256: string): Promise<number> {
    try {
      return (await stat(this.partPath(inspectionId, sha256))).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
  }

  /** Writes `chunk` at `offset` of the part file (positional: a repeated chunk rewrites the same bytes). */
  async writeChunk(inspectionId: string, sha256: string, offset: number, chunk: Buffer): Promise<void> {
    const file = this.partPath(inspectionId, sha256);
    await mkdir(path.dirname(file), { recursive: true });
    const fh = await open(file, constants.O_RDWR | constants.O_CREAT, 0o640);
    try {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, offset + done);
        done += bytesWritten;
      }
      await fh.truncate(offset + chunk.length);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  async removePart(inspectionId: string, sha256: string): Promise<void> {
    await rm(this.partPath(inspectionId, sha256), { force: true });
  }

  /** sha256 and size of a file, streamed. */
  async hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
    const h = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
      h.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { sha256: h.digest('hex'), bytes };
  }

  /**
   * Makes the finished part file the original named by its hash (never replacing an existing one),
   * durable before it returns. Returns false when the original was already there.
   */
  async promote(inspectionId: string, sha256: string): Promise<boolean> {
    const part = this.partPath(inspectionId, sha256);
    const final = this.originalPath(sha256);
    await mkdir(path.dirname(final), { recursive: true });
    await chmod(part, 0o444);
    let created = true;
    try {
      await link(part, final);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      created = false;
    }
    await unlink(part);
    await fsyncDir(path.dirname(final));
    await fsyncDir(path.dirname(part));
    return created;
  }

  /** Stores a derived copy under its name unless one is there already. */
  async putDerived(sha256: string, variant: Exclude<Variant, 'original'>, data: Buffer): Promise<void> {
    const final = this.derivedPath(sha256, variant);
    await mkdir(path.dirname(final), { recursive: true });
    const tmp = `${final}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const fh = await open(tmp, 'wx', 0o444);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, final);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await unlink(tmp);
    }
  }

  /** Deletes an original and its copies (retention), then fsyncs their directories. */
  async purge(sha256: string): Promise<void> {
    for (const v of VARIANTS) await rm(this.variantPath(sha256, v), { force: true });
    await fsyncDir(path.dirname(this.originalPath(sha256))).catch(() => undefined);
  }
}
