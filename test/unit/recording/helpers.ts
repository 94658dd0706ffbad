/**
 * Helpers for the recording tests: a simulated clock, a synthetic camera (hand-made fMP4 fragments
 * with real timing and keyframe flags), and a real H.264 clip made by ffmpeg and split into fragments
 * (so that ffprobe can read what the recorder writes).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Fmp4Parser, type Fragment, type InitSegment } from '../../../src/media/fmp4.js';
import type { Clock } from '../../../src/shared/clock.js';
import { fragment, H264_TRACK, initSegment, NON_SYNC, SYNC } from '../media/helpers.js';

const execFileAsync = promisify(execFile);

export class FakeClock implements Clock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

/** A stream of init + fragments, parsed by the real splitter. */
export interface FragmentSource {
  init: InitSegment;
  /** The next fragment (its duration in ms is `frameMs`). */
  next(): Fragment;
  readonly frameMs: number;
}

/** 25 fps, one frame per fragment, a keyframe every `gop` frames, 90 kHz timescale. */
export function syntheticCamera(
  opts: { gop?: number; bytes?: number; startDecode?: number } = {},
): FragmentSource {
  const gop = opts.gop ?? 25;
  const parser = new Fmp4Parser();
  const items = parser.push(initSegment([H264_TRACK]));
  const init = items[0]?.type === 'init' ? items[0].init : undefined;
  if (!init) throw new Error('no init');
  let n = 0;
  let decode = opts.startDecode ?? 0;
  return {
    init,
    frameMs: 40,
    next() {
      const key = n % gop === 0;
      const buf = fragment(
        n + 1,
        [{ trackId: 1, decodeTime: decode, samples: [{ duration: 3600, flags: key ? SYNC : NON_SYNC }] }],
        opts.bytes ?? 200,
      );
      n++;
      decode += 3600;
      const out = parser.push(buf);
      const item = out[0];
      if (item?.type !== 'fragment') throw new Error('no fragment');
      return item.fragment;
    },
  };
}

/** Feeds `ms` of video from the source to `sink`, moving the clock by each fragment's duration. */
export function feed(
  source: FragmentSource,
  clock: FakeClock,
  ms: number,
  sink: (f: Fragment) => void,
): void {
  for (let t = 0; t < ms;) {
    const f = source.next();
    const dur = f.durationTicks && f.timescale ? (f.durationTicks * 1000) / f.timescale : source.frameMs;
    clock.advance(dur);
    t += dur;
    sink(f);
  }
}

/**
 * A real H.264 clip (320x240, 25 fps, a keyframe every second, 40 ms fragments) as a looping
 * fragment source: decode times keep increasing across loops, as from a camera.
 */
export async function realCamera(seconds = 4): Promise<FragmentSource> {
  const { stdout } = await execFileAsync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=320x240:rate=25:duration=${seconds}`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '25',
      '-bf',
      '0',
      '-f',
      'mp4',
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      '40000',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const items = new Fmp4Parser().push(stdout);
  const first = items[0];
  if (first?.type !== 'init') throw new Error('ffmpeg gave no init segment');
  const frags = items.flatMap((i) => (i.type === 'fragment' ? [i.fragment] : []));
  const loopTicks = frags.reduce((n, f) => n + (f.durationTicks ?? 0), 0);
  let i = 0;
  let loop = 0;
  return {
    init: first.init,
    frameMs: 40,
    next() {
      const f = frags[i % frags.length]!;
      loop = Math.floor(i / frags.length);
      i++;
      if (loop === 0) return f;
      // Later loops: the same bytes with decode times moved on, like a camera that keeps going.
      const data = Buffer.from(f.data);
      shiftTfdt(data, loop * loopTicks);
      return { ...f, data, decodeTime: (f.decodeTime ?? 0) + loop * loopTicks };
    },
  };
}

function shiftTfdt(buf: Buffer, ticks: number): void {
  const at = buf.indexOf('tfdt', 0, 'latin1');
  if (at < 4) return;
  const version = buf.readUInt8(at + 4);
  if (version === 1) buf.writeBigUInt64BE(buf.readBigUInt64BE(at + 8) + BigInt(ticks), at + 8);
  else buf.writeUInt32BE(buf.readUInt32BE(at + 8) + ticks, at + 8);
}

/** ffprobe of a file: exit code, stderr and the number of video packets read to the end. */
export async function probe(
  file: string,
): Promise<{ ok: boolean; packets: number; durationSec: number; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('ffprobe', [
      '-v',
      'error',
      '-count_packets',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=nb_read_packets:format=duration',
      '-of',
      'json',
      file,
    ]);
    const j = JSON.parse(stdout) as {
      streams?: { nb_read_packets?: string }[];
      format?: { duration?: string };
    };
    return {
      ok: stderr.trim() === '',
      packets: Number(j.streams?.[0]?.nb_read_packets ?? 0),
      durationSec: Number(j.format?.duration ?? 0),
      stderr,
    };
  } catch (e) {
    return { ok: false, packets: 0, durationSec: 0, stderr: String((e as { stderr?: string }).stderr ?? e) };
  }
}
