/**
 * Camera probe before a camera is saved: runs ffprobe on the URL for a short read and reports codecs,
 * resolution, fps and keyframe interval, or one clear error code per kind of failure:
 *
 *   camera_url_invalid        the URL itself is wrong (not rtsp://, no host, …)
 *   camera_unreachable        connection refused, no route, unknown host
 *   camera_auth_failed        401/403: wrong user name or password
 *   camera_stream_not_found   404: the camera has no such stream path
 *   camera_timeout            no answer within the time limit
 *   camera_codec_unsupported  no H.264/H.265 video
 *   camera_probe_failed       anything else (e.g. the port does not speak RTSP)
 *
 * Messages never contain the password: the URL is redacted and ffprobe's output is scrubbed.
 */
import { spawn } from 'node:child_process';
import { MediaError, ProbeError } from './errors.js';
import type { ProbeErrorCode } from './errors.js';
import { audioModeFor, buildProbeArgs, DEFAULT_RTSP_TIMEOUT_MS, redactText } from './ffmpeg-args.js';
import type { ProbeArgsOptions } from './ffmpeg-args.js';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a program (no shell) with a hard time limit; resolves with its output whatever its exit. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  timeoutMs: number,
) => Promise<CommandResult>;

const MAX_STDOUT_BYTES = 16 * 1024 * 1024;
const MAX_STDERR_CHARS = 16 * 1024;

export const runCommand: CommandRunner = (command, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_STDOUT_BYTES) child.kill('SIGKILL');
      else out.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_STDERR_CHARS);
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr, timedOut });
    });
  });

export interface ProbeOptions extends ProbeArgsOptions {
  /** Hard limit for the whole probe. Default 15000 ms. */
  timeoutMs?: number;
  /** ffprobe program; default 'ffprobe' from PATH. */
  ffprobePath?: string;
  run?: CommandRunner;
}

export type SupportedVideoCodec = 'h264' | 'hevc';

export interface CameraProbeResult {
  video: {
    codec: SupportedVideoCodec;
    profile?: string;
    width: number;
    height: number;
    /** Measured from packet timestamps when possible, else the stream's declared rate. */
    fps?: number;
    /** Frames from one keyframe to the next (median over the read); undefined if < 2 keyframes seen. */
    keyframeIntervalFrames?: number;
    keyframeIntervalMs?: number;
  };
  audio?: {
    codec: string;
    sampleRateHz?: number;
    channels?: number;
    /** Ingest audio mode when audio is allowed: AAC is copied, anything else becomes AAC. */
    ingestMode: 'copy' | 'aac';
  };
  /** Video packets looked at. */
  videoPacketsRead: number;
  durationMs: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 15_000;
const SUPPORTED: readonly string[] = ['h264', 'hevc'];

/** Probes a camera. Throws ProbeError (or MediaError camera_url_invalid) with a redacted message. */
export async function probeCamera(options: ProbeOptions): Promise<CameraProbeResult> {
  const secrets = [options.password];
  let args: string[];
  try {
    args = buildProbeArgs(options);
  } catch (err) {
    if (err instanceof MediaError) throw new ProbeError('camera_url_invalid', err.message);
    throw new ProbeError('camera_url_invalid', redactText(errorMessage(err), secrets));
  }
  const run = options.run ?? runCommand;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const started = Date.now();
  let result: CommandResult;
  try {
    result = await run(options.ffprobePath ?? 'ffprobe', args, timeoutMs);
  } catch (err) {
    throw new ProbeError(
      'camera_probe_failed',
      `cannot run ffprobe: ${redactText(errorMessage(err), secrets)}`,
    );
  }
  const durationMs = Date.now() - started;
  if (result.timedOut) {
    throw new ProbeError('camera_timeout', `the camera did not answer within ${timeoutMs} ms`);
  }
  if (result.code !== 0) {
    throw classifyProbeFailure(result.stderr, {
      secrets,
      elapsedMs: durationMs,
      rtspTimeoutMs: options.rtspTimeoutMs ?? DEFAULT_RTSP_TIMEOUT_MS,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    throw new ProbeError('camera_probe_failed', 'ffprobe returned output that is not JSON');
  }
  return { ...interpretProbeOutput(json), durationMs };
}

export interface FailureContext {
  secrets?: readonly (string | undefined)[];
  /** How long ffprobe ran, and its socket timeout: a silent server ends in a generic error at the timeout. */
  elapsedMs?: number;
  rtspTimeoutMs?: number;
}

const FAILURE_RULES: readonly [RegExp, ProbeErrorCode, string][] = [
  [
    /\b401 Unauthorized|authorization failed/i,
    'camera_auth_failed',
    'the camera refused the user name or password',
  ],
  [/\b403 Forbidden/i, 'camera_auth_failed', 'the camera refused access for this user'],
  [
    /\b404 Not Found|\b454 Session Not Found/i,
    'camera_stream_not_found',
    'the camera has no stream at this path',
  ],
  [
    /Connection refused|No route to host|Network is unreachable|Host is unreachable|Failed to resolve hostname|Name or service not known|Temporary failure in name resolution|Cannot assign requested address/i,
    'camera_unreachable',
    'the camera cannot be reached at this address',
  ],
  [/timed out|ETIMEDOUT/i, 'camera_timeout', 'the camera did not answer in time'],
  [
    /\b461 Unsupported transport|\b415 /i,
    'camera_probe_failed',
    'the camera does not support this transport',
  ],
  [
    /Invalid data found|Connection reset by peer|End of file/i,
    'camera_probe_failed',
    'the address does not answer like an RTSP camera',
  ],
];

/** Maps ffprobe's error output to a ProbeError. Pure; the message carries a redacted excerpt. */
export function classifyProbeFailure(stderr: string, context: FailureContext = {}): ProbeError {
  const text = redactText(stderr, context.secrets ?? []);
  const detail = lastMeaningfulLine(text);
  const withDetail = (message: string): string => (detail ? `${message} (${detail})` : message);
  for (const [pattern, code, message] of FAILURE_RULES) {
    if (!pattern.test(text)) continue;
    if (
      code === 'camera_probe_failed' &&
      context.elapsedMs !== undefined &&
      context.rtspTimeoutMs !== undefined &&
      context.elapsedMs >= context.rtspTimeoutMs * 0.9
    ) {
      // ffmpeg reports a socket timeout as "Invalid data found when processing input".
      return new ProbeError(
        'camera_timeout',
        withDetail(`the camera did not answer within ${context.rtspTimeoutMs} ms`),
      );
    }
    return new ProbeError(code, withDetail(message));
  }
  return new ProbeError('camera_probe_failed', withDetail('probing the camera failed'));
}

function lastMeaningfulLine(text: string): string | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const line = lines[lines.length - 1];
  return line === undefined ? undefined : line.slice(0, 300);
}

interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
}

interface ProbePacket {
  stream_index?: number;
  pts_time?: string;
  dts_time?: string;
  flags?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value.filter(isRecord) as T[]) : [];
}

function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [num, den] = rate.split('/').map(Number);
  if (num === undefined || !Number.isFinite(num) || num <= 0) return undefined;
  const value = den === undefined ? num : den > 0 ? num / den : undefined;
  // Declared rates like 90000/1 (RTP clock) are not frame rates.
  return value !== undefined && value > 0 && value <= 240 ? value : undefined;
}

function round(value: number, digits: number): number {
  const f = Math.pow(10, digits);
  return Math.round(value * f) / f;
}

/** ffprobe JSON (streams + packets) → probe result. Pure; throws camera_codec_unsupported. */
export function interpretProbeOutput(json: unknown): Omit<CameraProbeResult, 'durationMs'> {
  if (!isRecord(json)) throw new ProbeError('camera_probe_failed', 'ffprobe output is not an object');
  const streams = asArray<ProbeStream>(json.streams);
  const video = streams.find((s) => s.codec_type === 'video');
  if (!video) throw new ProbeError('camera_codec_unsupported', 'the camera sends no video stream');
  const codec = String(video.codec_name ?? 'unknown');
  if (!SUPPORTED.includes(codec)) {
    throw new ProbeError(
      'camera_codec_unsupported',
      `the camera's video is ${codec}; H.264 or H.265 is needed (set the camera's encoder to H.264)`,
    );
  }
  if (!video.width || !video.height) {
    throw new ProbeError('camera_probe_failed', 'the camera did not say its picture size');
  }
  const packets = asArray<ProbePacket>(json.packets).filter((p) => p.stream_index === video.index);
  const times: number[] = [];
  const keyIndexes: number[] = [];
  const keyTimes: (number | undefined)[] = [];
  packets.forEach((p, i) => {
    const t = Number(p.pts_time ?? p.dts_time);
    const time = Number.isFinite(t) ? t : undefined;
    if (time !== undefined) times.push(time);
    if (p.flags?.startsWith('K')) {
      keyIndexes.push(i);
      keyTimes.push(time);
    }
  });
  let fps: number | undefined;
  if (times.length >= 3) {
    const sorted = [...times].sort((a, b) => a - b);
    const span = (sorted[sorted.length - 1] ?? 0) - (sorted[0] ?? 0);
    if (span > 0) fps = (sorted.length - 1) / span;
  }
  fps ??= parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate);

  const result: Omit<CameraProbeResult, 'durationMs'> = {
    video: { codec: codec as SupportedVideoCodec, width: video.width, height: video.height },
    videoPacketsRead: packets.length,
  };
  if (video.profile) result.video.profile = video.profile;
  if (fps !== undefined) result.video.fps = round(fps, 2);
  if (keyIndexes.length >= 2) {
    const intervals: number[] = [];
    const intervalsMs: number[] = [];
    for (let i = 1; i < keyIndexes.length; i++) {
      intervals.push((keyIndexes[i] ?? 0) - (keyIndexes[i - 1] ?? 0));
      const a = keyTimes[i - 1];
      const b = keyTimes[i];
      if (a !== undefined && b !== undefined && b > a) intervalsMs.push((b - a) * 1000);
    }
    result.video.keyframeIntervalFrames = median(intervals);
    const ms =
      intervalsMs.length > 0 ? median(intervalsMs) : fps ? (median(intervals) * 1000) / fps : undefined;
    if (ms !== undefined) result.video.keyframeIntervalMs = Math.round(ms);
  }
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (audio?.codec_name) {
    const sampleRate = Number(audio.sample_rate);
    result.audio = {
      codec: audio.codec_name,
      ingestMode: audioModeFor(true, audio.codec_name) as 'copy' | 'aac',
    };
    if (Number.isFinite(sampleRate) && sampleRate > 0) result.audio.sampleRateHz = sampleRate;
    if (audio.channels) result.audio.channels = audio.channels;
  }
  return result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
