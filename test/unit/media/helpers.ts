/**
 * Shared helpers for the media unit tests: an ISO BMFF box builder for hand-made streams, fixtures
 * generated with the real ffmpeg (never committed binaries), simulated timers and a fake child process.
 */
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import type { ChildProcessLike } from '../../../src/media/supervisor.js';
import type { TimerHandle, Timers } from '../../../src/media/timers.js';

const execFileAsync = promisify(execFile);

// ---------------------------------------------------------------------------------------------------
// Boxes.

export function u8(n: number): Buffer {
  return Buffer.from([n & 0xff]);
}
export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
export function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
export function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

export function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
}

export function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  return box(type, u32(((version & 0xff) << 24) | (flags & 0xffffff)), ...payload);
}

export interface SyntheticTrack {
  trackId: number;
  kind: 'video' | 'audio';
  timescale: number;
  /** The sample entry box (avc1/hvc1/mp4a…), complete. */
  sampleEntry: Buffer;
  width?: number;
  height?: number;
  trexDuration?: number;
  trexFlags?: number;
}

export function tkhd(trackId: number, width = 0, height = 0): Buffer {
  return fullBox(
    'tkhd',
    0,
    3,
    zeros(8), // creation, modification
    u32(trackId),
    zeros(4), // reserved
    u32(0), // duration
    zeros(8), // reserved
    zeros(8), // layer, alternate group, volume, reserved
    zeros(36), // matrix
    u32(width * 65536),
    u32(height * 65536),
  );
}

export function avc1(width: number, height: number, profile: number, compat: number, level: number): Buffer {
  const avcC = box('avcC', u8(1), u8(profile), u8(compat), u8(level), u8(0xff), u8(0xe0), u8(0));
  return box(
    'avc1',
    zeros(6),
    u16(1),
    zeros(16),
    u16(width),
    u16(height),
    u32(0x00480000),
    u32(0x00480000),
    zeros(4),
    u16(1),
    zeros(32),
    u16(0x18),
    u16(0xffff),
    avcC,
  );
}

export function hvc1(hvcCRecord: Buffer, type = 'hvc1'): Buffer {
  return box(
    type,
    zeros(6),
    u16(1),
    zeros(16),
    u16(1920),
    u16(1080),
    u32(0x00480000),
    u32(0x00480000),
    zeros(4),
    u16(1),
    zeros(32),
    u16(0x18),
    u16(0xffff),
    box('hvcC', hvcCRecord),
  );
}

/** mp4a with an esds whose AudioSpecificConfig starts with the given bytes. */
export function mp4a(objectType: number, asc: Buffer, channels = 2, rate = 48000): Buffer {
  const dsi = Buffer.concat([u8(0x05), u8(asc.length), asc]);
  const dcdBody = Buffer.concat([u8(objectType), u8(0x15), zeros(3), u32(128000), u32(128000), dsi]);
  const dcd = Buffer.concat([u8(0x04), u8(dcdBody.length), dcdBody]);
  const slc = Buffer.from([0x06, 0x01, 0x02]);
  const esBody = Buffer.concat([u16(1), u8(0), dcd, slc]);
  const es = Buffer.concat([u8(0x03), u8(0x80), u8(0x80), u8(0x80), u8(esBody.length), esBody]);
  return box(
    'mp4a',
    zeros(6),
    u16(1),
    zeros(8),
    u16(channels),
    u16(16),
    zeros(4),
    u32(rate * 65536),
    fullBox('esds', 0, 0, es),
  );
}

function trak(t: SyntheticTrack): Buffer {
  const handler = t.kind === 'video' ? 'vide' : 'soun';
  return box(
    'trak',
    tkhd(t.trackId, t.width ?? 0, t.height ?? 0),
    box(
      'mdia',
      fullBox('mdhd', 0, 0, zeros(8), u32(t.timescale), u32(0), u16(0x55c4), u16(0)),
      fullBox('hdlr', 0, 0, u32(0), Buffer.from(handler, 'latin1'), zeros(12), Buffer.from('h\0', 'latin1')),
      box('minf', box('stbl', fullBox('stsd', 0, 0, u32(1), t.sampleEntry), fullBox('stts', 0, 0, u32(0)))),
    ),
  );
}

export function initSegment(tracks: SyntheticTrack[]): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), u32(512), Buffer.from('isomiso6mp41', 'latin1'));
  const trex = tracks.map((t) =>
    fullBox('trex', 0, 0, u32(t.trackId), u32(1), u32(t.trexDuration ?? 0), u32(0), u32(t.trexFlags ?? 0)),
  );
  const moov = box('moov', fullBox('mvhd', 0, 0, zeros(96)), ...tracks.map(trak), box('mvex', ...trex));
  return Buffer.concat([ftyp, moov]);
}

export interface SyntheticTraf {
  trackId: number;
  decodeTime?: number;
  tfhdDuration?: number;
  tfhdFlags?: number;
  firstSampleFlags?: number;
  /** Per-sample records; each may carry duration and flags. */
  samples: { duration?: number; flags?: number; size?: number }[];
}

export const SYNC = 0x02000000;
export const NON_SYNC = 0x01010000;

export function traf(t: SyntheticTraf): Buffer {
  let tfhdFlags = 0x020000; // default-base-is-moof
  const tfhdFields: Buffer[] = [u32(t.trackId)];
  if (t.tfhdDuration !== undefined) {
    tfhdFlags |= 0x8;
    tfhdFields.push(u32(t.tfhdDuration));
  }
  if (t.tfhdFlags !== undefined) {
    tfhdFlags |= 0x20;
    tfhdFields.push(u32(t.tfhdFlags));
  }
  const hasDuration = t.samples.some((s) => s.duration !== undefined);
  const hasFlags = t.samples.some((s) => s.flags !== undefined);
  let trunFlags = 0x1 | 0x200;
  if (t.firstSampleFlags !== undefined) trunFlags |= 0x4;
  if (hasDuration) trunFlags |= 0x100;
  if (hasFlags) trunFlags |= 0x400;
  const trunFields: Buffer[] = [u32(t.samples.length), u32(0)];
  if (t.firstSampleFlags !== undefined) trunFields.push(u32(t.firstSampleFlags));
  for (const s of t.samples) {
    if (hasDuration) trunFields.push(u32(s.duration ?? 0));
    trunFields.push(u32(s.size ?? 4));
    if (hasFlags) trunFields.push(u32(s.flags ?? 0));
  }
  const parts = [fullBox('tfhd', 0, tfhdFlags, ...tfhdFields)];
  if (t.decodeTime !== undefined) parts.push(fullBox('tfdt', 1, 0, u64(t.decodeTime)));
  parts.push(fullBox('trun', 0, trunFlags, ...trunFields));
  return box('traf', ...parts);
}

export function fragment(sequence: number, trafs: SyntheticTraf[], mdatBytes = 16): Buffer {
  const moof = box('moof', fullBox('mfhd', 0, 0, u32(sequence)), ...trafs.map(traf));
  return Buffer.concat([moof, box('mdat', Buffer.alloc(mdatBytes, 0xab))]);
}

export const H264_TRACK: SyntheticTrack = {
  trackId: 1,
  kind: 'video',
  timescale: 90000,
  sampleEntry: avc1(1280, 720, 0x64, 0x00, 0x1f),
  width: 1280,
  height: 720,
};

// ---------------------------------------------------------------------------------------------------
// ffmpeg fixtures.

export interface Fixtures {
  dir: string;
  /** Path → bytes, generated once. */
  load(name: string, args: string[]): Promise<Buffer>;
  cleanup(): Promise<void>;
}

export async function ffmpegFixtures(): Promise<Fixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'okno-media-'));
  return {
    dir,
    async load(name, args) {
      const path = join(dir, name);
      await execFileAsync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, path], {
        timeout: 60_000,
      });
      return readFile(path);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Three seconds of 320x240@25 H.264 (GOP 25) + AAC as ffmpeg's fragmented MP4. */
export const H264_AAC_ARGS = [
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=320x240:rate=25',
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=440:sample_rate=48000',
  '-t',
  '3',
  '-c:v',
  'libx264',
  '-preset',
  'ultrafast',
  '-g',
  '25',
  '-c:a',
  'aac',
  '-f',
  'mp4',
  '-movflags',
  '+frag_keyframe+empty_moov+default_base_moof',
  '-frag_duration',
  '100000',
];

// ---------------------------------------------------------------------------------------------------
// Simulated time.

interface PendingTimer {
  id: number;
  dueMs: number;
  callback: () => void;
}

export class FakeTimers implements Timers {
  private now = 0;
  private nextId = 1;
  private pending: PendingTimer[] = [];

  nowMs(): number {
    return this.now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, dueMs: this.now + Math.max(0, delayMs), callback };
    this.pending.push(timer);
    return timer as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as unknown as PendingTimer).id;
    this.pending = this.pending.filter((t) => t.id !== id);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Moves time forward, firing due timers in order (also those they schedule). */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      this.pending.sort((a, b) => a.dueMs - b.dueMs || a.id - b.id);
      const next = this.pending[0];
      if (!next || next.dueMs > target) break;
      this.pending.shift();
      this.now = next.dueMs;
      next.callback();
    }
    this.now = target;
  }
}

// ---------------------------------------------------------------------------------------------------
// Fake ffmpeg process.

export class FakeChild extends EventEmitter implements ChildProcessLike {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly signals: NodeJS.Signals[] = [];
  exited = false;
  /** When true, SIGTERM is ignored (only SIGKILL ends it). */
  ignoreSigterm = false;

  constructor(
    readonly pid: number | undefined,
    readonly command: string,
    readonly args: readonly string[],
  ) {
    super();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    if (this.exited) return false;
    if (signal === 'SIGTERM' && this.ignoreSigterm) return true;
    this.exit(null, signal);
    return true;
  }

  /** Ends the process as the OS would: 'close' after the streams end. */
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exited) return;
    this.exited = true;
    this.emit('close', code, signal);
  }

  writeStdout(data: Buffer): void {
    this.stdout.emit('data', data);
  }

  writeStderr(text: string): void {
    this.stderr.emit('data', Buffer.from(text));
  }
}

export function fakeSpawner(): {
  spawn: (command: string, args: readonly string[]) => FakeChild;
  children: FakeChild[];
} {
  const children: FakeChild[] = [];
  let pid = 1000;
  return {
    children,
    spawn: (command, args) => {
      const child = new FakeChild(pid++, command, args);
      children.push(child);
      return child;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Deterministic randomness for property tests (seeded, so a failure can be replayed).

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export function randomBytes(random: () => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(random() * 256);
  return b;
}

/** Splits a buffer into random chunks (mostly small, sometimes large). */
export function randomSplit(random: () => number, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const r = random();
    const size =
      r < 0.3
        ? 1 + Math.floor(random() * 8)
        : r < 0.8
          ? 1 + Math.floor(random() * 2000)
          : 1 + Math.floor(random() * 40000);
    out.push(data.subarray(at, at + size));
    at += size;
  }
  return out;
}
