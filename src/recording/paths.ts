/**
 * Where segment files live, and the durability helpers the file/row invariants rest on
 * (docs/design/recording.md): a file is named by its camera, its UTC day and its start instant,
 *
 *   <recording.dir>/<cameraId>/<YYYY-MM-DD>/<YYYY-MM-DD>T<HH>-<MM>-<SS>.<mmm>Z.mp4
 *
 * so that recovery can index a file that has no row from its name and contents alone.
 */
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { UUID_PATTERN } from '../shared/ids.js';

const SEGMENT_NAME = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})Z(?:-(\d{1,4}))?\.mp4$/;
const CAMERA_DIR = new RegExp(UUID_PATTERN);
const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;

/** The recording directory of a configuration (recording.dir, else DATA_DIR/recordings). */
export function recordingDir(config: Pick<Config, 'dataDir' | 'recording'>): string {
  return config.recording.dir ? path.resolve(config.recording.dir) : path.join(config.dataDir, 'recordings');
}

/** Relative path of a segment starting at startMs (`attempt` > 0 when that name was taken). */
export function segmentRelPath(cameraId: string, startMs: number, attempt = 0): string {
  const isoStr = new Date(startMs).toISOString(); // 2026-11-22T04:46:55.123Z
  const day = isoStr.slice(0, 10);
  const name = `${isoStr.slice(0, 19).replace(/:/g, '-')}.${isoStr.slice(20, 23)}Z${attempt ? `-${attempt}` : ''}.mp4`;
  return `${cameraId}/${day}/${name}`;
}

/** The camera and start instant a relative segment path encodes, or undefined for a foreign file. */
export function parseSegmentRelPath(rel: string): { cameraId: string; startMs: number } | undefined {
  const parts = rel.split('/');
  if (parts.length !== 3) return undefined;
  const [cameraId, day, name] = parts as [string, string, string];
  if (!CAMERA_DIR.test(cameraId) || !DAY_DIR.test(day)) return undefined;
  const m = SEGMENT_NAME.exec(name);
  if (!m || m[1] !== day) return undefined;
  const startMs = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
  return Number.isFinite(startMs) ? { cameraId, startMs } : undefined;
}

export function isCameraDirName(name: string): boolean {
  return CAMERA_DIR.test(name);
}

export function isDayDirName(name: string): boolean {
  return DAY_DIR.test(name);
}

/** fsync a directory, so that entries created or removed in it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Creates `dir` (and missing parents up to `root`), fsync-ing each parent whose entries changed,
 * so the new directories survive a crash. Returns quietly when it exists.
 */
export async function mkdirDurable(root: string, dir: string): Promise<void> {
  const rel = path.relative(root, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${dir} is outside ${root}`);
  await mkdir(root, { recursive: true });
  let current = root;
  for (const part of rel.split(path.sep).filter(Boolean)) {
    const next = path.join(current, part);
    try {
      await mkdir(next);
      await fsyncDir(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    current = next;
  }
}
