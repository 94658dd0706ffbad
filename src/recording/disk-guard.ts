/**
 * Disk-space guard: recording stops before the disk is full (every recorder closes its segment and
 * opens a disk_full gap) and resumes once there is room again, with a margin so it does not flap.
 * Unexpired recordings are never deleted to make room, except on cameras configured as ring buffers.
 */
import { mkdir, statfs } from 'node:fs/promises';

export type FreeBytes = (dir: string) => Promise<number>;

/** Free bytes for an unprivileged writer on the file system holding `dir`. */
export const statfsFreeBytes: FreeBytes = async (dir) => {
  await mkdir(dir, { recursive: true });
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

export class DiskGuard {
  private fullSince: number | undefined;
  private lastFree: number | undefined;

  constructor(private readonly minFreeBytes: number) {}

  /** Free space needed to resume after a stop. */
  get resumeBytes(): number {
    return this.minFreeBytes + Math.max(this.minFreeBytes / 10, 16 * 1024 * 1024);
  }

  get isFull(): boolean {
    return this.fullSince !== undefined;
  }

  /** Feeds a measurement; says whether the state changed. */
  update(freeBytes: number, atMs: number): 'stopped' | 'resumed' | undefined {
    this.lastFree = freeBytes;
    if (this.fullSince === undefined && freeBytes < this.minFreeBytes) {
      this.fullSince = atMs;
      return 'stopped';
    }
    if (this.fullSince !== undefined && freeBytes >= this.resumeBytes) {
      this.fullSince = undefined;
      return 'resumed';
    }
    return undefined;
  }

  /** How many bytes must be freed to get back to the resume threshold. */
  shortfall(freeBytes: number): number {
    return Math.max(0, this.resumeBytes - freeBytes);
  }

  status(): { full: boolean; since: string | null; freeBytes: number | null; minFreeBytes: number } {
    return {
      full: this.isFull,
      since: this.fullSince === undefined ? null : new Date(this.fullSince).toISOString(),
      freeBytes: this.lastFree ?? null,
      minFreeBytes: this.minFreeBytes,
    };
  }
}
