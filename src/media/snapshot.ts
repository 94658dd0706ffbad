/**
 * Snapshot: one JPEG from the init segment and a keyframe fragment (e.g. LiveHub.latestKeyframe()),
 * decoded by ffmpeg from stdin. No camera connection is needed; the picture is the latest keyframe.
 */
import { spawn } from 'node:child_process';
import { MediaError } from './errors.js';
import { buildFrameGrabArgs, buildSnapshotArgs, inputSecrets, redactText } from './ffmpeg-args.js';
import type { RtspInput } from './ffmpeg-args.js';
import type { SnapshotArgsOptions } from './ffmpeg-args.js';

export interface SnapshotOptions extends SnapshotArgsOptions {
  ffmpegPath?: string;
  /** Default 5000 ms. */
  timeoutMs?: number;
  /** Largest JPEG accepted. Default 8 MiB. */
  maxBytes?: number;
}

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

export async function takeSnapshot(
  init: Buffer,
  keyframe: Buffer,
  options: SnapshotOptions = {},
): Promise<Buffer> {
  return runJpeg(buildSnapshotArgs(options), Buffer.concat([init, keyframe]), options);
}

/**
 * One JPEG straight from a camera (the probe's preview before the camera is saved). Errors carry only
 * ffmpeg's last stderr line with the credentials masked.
 */
export async function grabCameraFrame(input: RtspInput, options: SnapshotOptions = {}): Promise<Buffer> {
  try {
    return await runJpeg(buildFrameGrabArgs(input, options), null, { timeoutMs: 10_000, ...options });
  } catch (e) {
    throw new MediaError('ffmpeg_failed', redactText((e as Error).message, inputSecrets(input)));
  }
}

/** Runs ffmpeg with `args`, feeding `stdin` (or nothing), and answers the JPEG it writes. */
async function runJpeg(args: string[], stdin: Buffer | null, options: SnapshotOptions): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath ?? 'ffmpeg', args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
    });
    const out: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: string | undefined;
    const timer = setTimeout(() => {
      failure = `snapshot took longer than ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        failure = `snapshot larger than ${maxBytes} bytes`;
        child.kill('SIGKILL');
      } else out.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    // ffmpeg may stop reading after the first frame: a broken pipe here is expected.
    child.stdin.on('error', () => undefined);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new MediaError('ffmpeg_failed', `cannot run ffmpeg for a snapshot: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(out);
      if (failure) reject(new MediaError('ffmpeg_failed', failure));
      else if (code !== 0 || !jpeg.subarray(0, 3).equals(JPEG_MAGIC)) {
        reject(
          new MediaError(
            'ffmpeg_failed',
            `snapshot failed (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}`,
          ),
        );
      } else resolve(jpeg);
    });
    child.stdin.end(stdin ?? undefined);
  });
}
