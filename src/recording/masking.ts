/**
 * Re-encoding a recorded clip for a citizen (docs/design/citizen-requests.md): the camera's privacy
 * masks filled with a solid colour (drawbox t=fill: the region is one uniform colour, nothing of the
 * picture under it survives), the regions chosen for the request blurred strongly (gblur) or filled
 * too, audio kept or removed. ffmpeg reads the clip as recorded on stdin (hashed on the way, so the
 * manifest ties the result to the recorded bytes) and writes an MP4 file; progress is read from
 * `-progress`.
 *
 * Rectangles are in 0..1 coordinates of the picture, so a mask drawn on one resolution covers the same
 * part of the picture at another; they are widened to whole chroma samples (even pixels), never
 * narrowed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { parseInitSegment } from '../media/fmp4.js';
import { AppError } from '../shared/errors.js';
import type { ExportMasking, NormRect } from './export.js';
import { readClip, type Clip } from './playback.js';

/** The most rectangles a camera's masks or one request may carry. */
export const MAX_RECTS = 32;
/** Colour of the filled areas. */
export const FILL_COLOR = 'black';
/** Gaussian blur strength of blurred regions (pixels of standard deviation, several passes). */
export const BLUR = 'gblur=sigma=40:steps=6';
export const ENCODER = '-c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p';

/** Checks rectangles from a request body; a clear message names the first bad one. */
export function validateRects(rects: readonly NormRect[], what: string): NormRect[] {
  if (rects.length > MAX_RECTS)
    throw new AppError('validation_failed', `at most ${MAX_RECTS} ${what} per camera or request`);
  return rects.map((r, i) => {
    const bad = (why: string) =>
      new AppError('validation_failed', `${what} ${i + 1}: ${why}`, { index: i, field: what });
    for (const k of ['x', 'y', 'w', 'h'] as const)
      if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) throw bad(`${k} must be a number`);
    if (r.x < 0 || r.y < 0 || r.x > 1 || r.y > 1) throw bad('x and y must be between 0 and 1');
    if (r.w <= 0 || r.h <= 0) throw bad('width and height must be above 0');
    if (r.w < 0.005 || r.h < 0.005) throw bad('too small (under 0.5 % of the picture)');
    if (r.x + r.w > 1 + 1e-6 || r.y + r.h > 1 + 1e-6) throw bad('goes past the edge of the picture');
    const round = (v: number) => Math.round(v * 1e6) / 1e6;
    return { x: round(r.x), y: round(r.y), w: round(r.w), h: round(r.h) };
  });
}

const num = (v: number) => String(Math.round(v * 1e6) / 1e6);
/** Pixel box of a rectangle, widened to even pixels: [x, y, w, h] as ffmpeg expressions. */
function box(r: NormRect, W: string, H: string): [string, string, string, string] {
  const x0 = `trunc(${W}*${num(r.x)}/2)*2`;
  const y0 = `trunc(${H}*${num(r.y)}/2)*2`;
  const x1 = `min(${W}\\,ceil(${W}*${num(r.x + r.w)}/2)*2)`;
  const y1 = `min(${H}\\,ceil(${H}*${num(r.y + r.h)}/2)*2)`;
  return [x0, y0, `${x1}-${x0}`, `${y1}-${y0}`];
}

/** The filter graph: blurred regions first, then every filled area on top (a mask always wins). */
export function maskFilterGraph(
  masks: readonly NormRect[],
  regions: readonly NormRect[],
  style: 'blur' | 'fill',
): string {
  const steps: string[] = [];
  let label = '0:v';
  let n = 0;
  const next = () => `v${++n}`;
  if (style === 'blur')
    for (const r of regions) {
      const [x, y, w, h] = box(r, 'iw', 'ih');
      const [ox, oy] = box(r, 'main_w', 'main_h');
      const a = next();
      const b = next();
      const c = next();
      const out = next();
      steps.push(
        `[${label}]split=2[${a}][${b}]`,
        `[${b}]crop=w=${w}:h=${h}:x=${x}:y=${y},${BLUR}[${c}]`,
        `[${a}][${c}]overlay=x=${ox}:y=${oy}[${out}]`,
      );
      label = out;
    }
  const filled = style === 'fill' ? [...regions, ...masks] : [...masks];
  const draws = filled.map((r) => {
    const [x, y, w, h] = box(r, 'iw', 'ih');
    return `drawbox=x=${x}:y=${y}:w=${w}:h=${h}:color=${FILL_COLOR}:t=fill`;
  });
  steps.push(`[${label}]${[...draws, 'format=yuv420p'].join(',')}[out]`);
  return steps.join(';');
}

export interface ReencodeResult {
  /** the recorded bytes fed to ffmpeg */
  source: { bytes: number; sha256: string };
  masking: ExportMasking;
}

/**
 * Re-encodes `clip` into `out` (an .mp4 path that must not exist). `onProgress` gets 0..1 as ffmpeg
 * reports its position. Rejects with ffmpeg's last error lines when it fails.
 */
export async function reencodeMasked(a: {
  ffmpegPath: string;
  clip: Clip;
  out: string;
  masks: readonly NormRect[];
  regions: readonly NormRect[];
  regionStyle: 'blur' | 'fill';
  keepAudio: boolean;
  onProgress?: (fraction: number) => void;
}): Promise<ReencodeResult> {
  const hasAudio = parseInitSegment(a.clip.init).tracks.some((t) => t.kind === 'audio');
  const filter = maskFilterGraph(a.masks, a.regions, a.regionStyle);
  const audioArgs = a.keepAudio && hasAudio ? ['-map', '0:a:0', '-c:a', 'copy'] : ['-an'];
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-nostats',
    '-progress',
    'pipe:1',
    '-f',
    'mp4',
    '-i',
    'pipe:0',
    '-filter_complex',
    filter,
    '-map',
    '[out]',
    ...audioArgs,
    // Keep the recorded timestamps: a gap in the recording stays a gap, frames are not duplicated.
    '-fps_mode',
    'passthrough',
    ...ENCODER.split(' '),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    a.out,
  ];
  // -nostdin only stops ffmpeg reading commands from the terminal; the clip comes on pipe:0.
  args.splice(args.indexOf('-nostdin'), 1);
  const durationUs = Math.max(1, (a.clip.endMs - a.clip.startMs) * 1000);
  const hash = createHash('sha256');
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(a.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    let stderr = '';
    let progressBuf = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr = (stderr + s).slice(-4000);
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      progressBuf += s;
      const lines = progressBuf.split('\n');
      progressBuf = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^out_time_us=(\d+)/.exec(line);
        if (m) a.onProgress?.(Math.min(0.99, Number(m[1]) / durationUs));
      }
    });
    child.stdin.on('error', () => undefined); // ffmpeg failing closes its stdin: its exit tells why
    child.once('error', (e) => reject(new AppError('unavailable', `cannot run ffmpeg: ${e.message}`)));
    child.once('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new AppError(
            'internal',
            `ffmpeg could not re-encode the clip (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
    void (async () => {
      try {
        for await (const chunk of readClip(a.clip)) {
          hash.update(chunk);
          bytes += chunk.length;
          if (!child.stdin.write(chunk))
            await new Promise<void>((r) => {
              const done = () => {
                child.stdin.off('drain', done);
                child.stdin.off('close', done);
                r();
              };
              child.stdin.once('drain', done);
              child.stdin.once('close', done);
            });
          if (child.stdin.destroyed) break;
        }
      } catch (e) {
        child.kill('SIGKILL');
        reject(e instanceof Error ? e : new Error(String(e)));
      } finally {
        child.stdin.end();
      }
    })();
  });
  if (bytes !== a.clip.bytes) throw new AppError('internal', 'the clip changed while it was re-encoded');
  a.onProgress?.(1);
  return {
    source: { bytes, sha256: hash.digest('hex') },
    masking: {
      masks: [...a.masks],
      regions: [...a.regions],
      regionStyle: a.regionStyle,
      audio: !hasAudio ? 'none recorded' : a.keepAudio ? 'kept' : 'removed',
      filter,
      encoder: `ffmpeg ${ENCODER}${a.keepAudio && hasAudio ? ', audio copied' : ', no audio'}`,
    },
  };
}
