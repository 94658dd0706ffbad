/**
 * The recorded 4 Mbit/s camera the fan-out and ingest benchmarks replay: generated once with ffmpeg
 * (libx264, 1280×720, 25 fps, a keyframe every second, constant bitrate with filler so the bytes really
 * are 4 Mbit/s; a noisy test pattern so the encoder has something to spend them on) into a temp dir
 * kept between runs. The fragmented form comes from Okno's own ingest argument builder (`-c:v copy`,
 * the default fragment duration) and is split with Okno's Fmp4Parser.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildIngestArgs } from '../../src/media/ffmpeg-args.js';
import { Fmp4Parser, type Fragment, type InitSegment } from '../../src/media/fmp4.js';

export const FIXTURE_BITRATE_KBIT = 4000;
export const FIXTURE_FPS = 25;
const FIXTURE_SECONDS = 12;
const FIXTURE_VERSION = 'v1';

export interface Fixture {
  /** A plain MP4 file, for `-stream_loop -1 -re -i` inputs. */
  sourceMp4: string;
  init: InitSegment;
  fragments: Fragment[];
  /** Duration of each fragment, ms (from its sample durations). */
  fragmentMs: number[];
  durationMs: number;
  /** Bytes of the fragments over their duration. */
  bitrateBps: number;
  keyframes: number;
}

export async function loadFixture(ffmpegPath: string): Promise<Fixture> {
  const dir = path.join(tmpdir(), `okno-bench-fixture-${FIXTURE_VERSION}`);
  mkdirSync(dir, { recursive: true });
  const sourceMp4 = path.join(dir, 'camera-4mbit.mp4');
  if (!existsSync(sourceMp4)) {
    const partial = path.join(dir, `camera-4mbit.${process.pid}.partial.mp4`);
    const kbit = `${FIXTURE_BITRATE_KBIT}k`;
    await run(ffmpegPath, [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=1280x720:rate=${FIXTURE_FPS},noise=alls=10:allf=t`,
      '-t',
      String(FIXTURE_SECONDS),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-g',
      String(FIXTURE_FPS),
      '-keyint_min',
      String(FIXTURE_FPS),
      '-sc_threshold',
      '0',
      '-b:v',
      kbit,
      '-minrate',
      kbit,
      '-maxrate',
      kbit,
      '-bufsize',
      `${FIXTURE_BITRATE_KBIT / 2}k`,
      '-x264-params',
      'nal-hrd=cbr',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      partial,
    ]);
    renameSync(partial, sourceMp4);
  }
  const args = buildIngestArgs({
    input: { kind: 'ffmpeg', inputArgs: ['-i', sourceMp4], videoArgs: ['-c:v', 'copy'] },
  });
  const bytes = await run(ffmpegPath, args);
  const parser = new Fmp4Parser();
  let init: InitSegment | undefined;
  const fragments: Fragment[] = [];
  for (const item of parser.push(bytes)) {
    if (item.type === 'init') init = item.init;
    else fragments.push(item.fragment);
  }
  if (!init || fragments.length === 0) throw new Error('fixture: ffmpeg produced no fMP4 fragments');
  const fragmentMs = fragments.map((f) =>
    f.durationTicks && f.timescale ? (f.durationTicks * 1000) / f.timescale : 1000 / FIXTURE_FPS,
  );
  const durationMs = fragmentMs.reduce((a, b) => a + b, 0);
  const total = fragments.reduce((a, f) => a + f.data.length, 0);
  return {
    sourceMp4,
    init,
    fragments,
    fragmentMs,
    durationMs,
    bitrateBps: (total * 8 * 1000) / durationMs,
    keyframes: fragments.filter((f) => f.keyframe).length,
  };
}

/** Runs a program without a shell; resolves with its stdout, rejects with its stderr. */
function run(command: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${command} exited with ${code}: ${err.trim().slice(-500)}`));
    });
  });
}

/**
 * Plays the fixture's fragments in real time (each fragment at its presentation time, looping),
 * calling `publish` for every fragment that is due. Timers are corrected against the wall clock, so
 * a late tick publishes what is due at once rather than drifting. Returns a stop function.
 */
export function replay(fixture: Fixture, publish: (fragment: Fragment) => void): () => void {
  let index = 0;
  let dueAt = performance.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    const now = performance.now();
    while (dueAt <= now) {
      publish(fixture.fragments[index]!);
      dueAt += fixture.fragmentMs[index]!;
      index = (index + 1) % fixture.fragments.length;
    }
    timer = setTimeout(tick, Math.max(0, dueAt - performance.now()));
  };
  tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
