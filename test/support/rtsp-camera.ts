/**
 * Starts and stops the real RTSP test camera (test/support/rtsp-camera.py, GStreamer's RTSP server)
 * for integration tests. The camera runs under the system python, which has the GStreamer bindings.
 *
 * Without GStreamer the camera tests are skipped on a developer machine, but under CI (the CI
 * variable set) they run and fail, so a broken CI image cannot pass silently.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SYSTEM_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./rtsp-camera.py', import.meta.url));

export interface RtspCameraOptions {
  /** TCP port; default 0 (a free one). Pass a previous camera's port to restart it "in place". */
  port?: number;
  path?: string;
  codec?: 'h264' | 'h265' | 'mjpeg' | 'mpeg4';
  width?: number;
  height?: number;
  fps?: number;
  keyIntFrames?: number;
  bitrateKbit?: number;
  audio?: 'none' | 'aac' | 'pcma';
  /** AAC only: sample rate (default 48000), channels (default 1), bitrate (default 64 kbit/s). */
  audioRateHz?: number;
  audioChannels?: number;
  audioBitrateKbit?: number;
  user?: string;
  password?: string;
  /** H.264: after this many seconds frames keep flowing but their timestamps stop advancing. */
  stallAfterSeconds?: number;
  /** How long to wait for READY. Default 15 s. */
  readyTimeoutMs?: number;
}

export interface RtspCamera {
  port: number;
  path: string;
  /** rtsp://127.0.0.1:PORT/PATH, without credentials. */
  url: string;
  /** Graceful stop (SIGTERM); resolves when the process has exited. */
  stop(): Promise<void>;
  /** Abrupt stop (SIGKILL), like a camera losing power. */
  kill(): Promise<void>;
  /** Freezes the camera (SIGSTOP): connections stay open but no data flows, like a hung camera. */
  pause(): void;
  /** Unfreezes a paused camera (SIGCONT). */
  resume(): void;
  readonly exited: boolean;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

let support: { available: boolean; reason?: string } | undefined;

/** Whether the system python has GStreamer's RTSP server bindings. */
export function rtspCameraSupport(): { available: boolean; reason?: string } {
  if (support) return support;
  const check = spawnSync(
    SYSTEM_PYTHON,
    [
      '-c',
      'import gi; gi.require_version("Gst","1.0"); gi.require_version("GstRtspServer","1.0"); ' +
        'from gi.repository import Gst, GstRtspServer; Gst.init(None); ' +
        'import sys; sys.exit(0 if Gst.ElementFactory.find("x264enc") else 3)',
    ],
    { encoding: 'utf8', timeout: 15_000 },
  );
  if (check.error) support = { available: false, reason: `${SYSTEM_PYTHON}: ${check.error.message}` };
  else if (check.status === 3) support = { available: false, reason: 'GStreamer x264enc is not installed' };
  else if (check.status !== 0) {
    support = { available: false, reason: `GStreamer RTSP server bindings missing: ${check.stderr.trim()}` };
  } else support = { available: true };
  return support;
}

/**
 * For `test(name, { skip: skipWithoutRtspCamera() }, …)`: a skip reason on a developer machine
 * without GStreamer; never a skip under CI (the test then fails when the camera cannot start).
 */
export function skipWithoutRtspCamera(): string | false {
  const { available, reason } = rtspCameraSupport();
  if (available || process.env.CI) return false;
  return `RTSP test camera unavailable (${reason ?? 'unknown'}); run scripts/setup-test-env.sh`;
}

export async function startRtspCamera(options: RtspCameraOptions = {}): Promise<RtspCamera> {
  const { available, reason } = rtspCameraSupport();
  if (!available) throw new Error(`cannot start the RTSP test camera: ${reason ?? 'unknown'}`);
  installExitHook();
  const path = options.path ?? '/cam';
  const args = [
    SCRIPT,
    '--port',
    String(options.port ?? 0),
    '--path',
    path,
    '--codec',
    options.codec ?? 'h264',
    '--width',
    String(options.width ?? 320),
    '--height',
    String(options.height ?? 240),
    '--fps',
    String(options.fps ?? 25),
    '--key-int',
    String(options.keyIntFrames ?? 25),
    '--bitrate-kbit',
    String(options.bitrateKbit ?? 400),
    '--audio',
    options.audio ?? 'none',
  ];
  if (options.audioRateHz) args.push('--audio-rate', String(options.audioRateHz));
  if (options.audioChannels) args.push('--audio-channels', String(options.audioChannels));
  if (options.audioBitrateKbit) args.push('--audio-bitrate-kbit', String(options.audioBitrateKbit));
  if (options.stallAfterSeconds) args.push('--stall-after', String(options.stallAfterSeconds));
  if (options.user !== undefined) args.push('--user', options.user, '--password', options.password ?? '');
  // stdin stays open as a pipe: the camera exits when it closes, i.e. when this process dies.
  const child = spawn(SYSTEM_PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  let exited = false;
  void exitedPromise.then(() => {
    exited = true;
  });

  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`RTSP test camera not READY within ${readyTimeoutMs} ms: ${stderr.slice(-2000)}`));
    }, readyTimeoutMs);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      stderr = (stderr + d).slice(-8000);
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      stdout += d;
      const match = /READY (\d+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`RTSP test camera exited (${signal ?? code}) before READY: ${stderr.slice(-2000)}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });

  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (!exited) child.kill(signal);
    await exitedPromise;
  };
  return {
    port,
    path,
    url: `rtsp://127.0.0.1:${port}${path}`,
    stop: async () => {
      if (!exited) child.kill('SIGCONT');
      await stopWith('SIGTERM');
    },
    kill: () => stopWith('SIGKILL'),
    pause: () => {
      if (!exited) child.kill('SIGSTOP');
    },
    resume: () => {
      if (!exited) child.kill('SIGCONT');
    },
    get exited() {
      return exited;
    },
  };
}
