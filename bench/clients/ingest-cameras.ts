/**
 * Child process of the ingest benchmark (a fresh process, so that its CPU and memory are the cameras'
 * and nothing else's): N cameras, each a CameraSupervisor running ffmpeg that remuxes a looping
 * 4 Mbit/s file in real time (`-stream_loop -1 -re -i fixture.mp4`, `-c:v copy`), wired to a LiveHub
 * and an HLS window exactly as the camera manager wires them, with no viewers.
 */
import { buildIngestArgs } from '../../src/media/ffmpeg-args.js';
import { HlsLiveWindow } from '../../src/media/hls-live.js';
import { LiveHub } from '../../src/media/hub.js';
import { CameraSupervisor } from '../../src/media/supervisor.js';
import { serveRequests } from '../lib/child.js';
import { cpuWindow, procCpuMs, procRssBytes } from '../lib/proc.js';
import { sleep, waitFor } from '../lib/stats.js';

export interface IngestRequest {
  cameras: number;
  windows: number;
  windowMs: number;
  settleMs: number;
  sourceMp4: string;
  ffmpegPath: string;
}

export interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

export interface IngestWindow {
  /** This process (Okno's side), cores. */
  oknoCores: number;
  /** All ffmpeg processes together, cores. */
  ffmpegCores: number;
  memory: Memory;
  ffmpegRss: number;
}

export interface IngestResult {
  /** The lower of the idle baselines measured before and after the cameras ran, cores. */
  baselineCores: number;
  baselineBeforeCores: number;
  baselineAfterCores: number;
  baselineMemory: Memory;
  windows: IngestWindow[];
  bitrateBps: number;
  fps: number;
  restarts: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function memory(): Memory {
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

async function run(req: IngestRequest): Promise<IngestResult> {
  if (!gc) throw new Error('run with --expose-gc');
  await sleep(2000); // module loading and compilation settle before the idle baseline
  const base = cpuWindow();
  await sleep(req.windowMs);
  const baselineCores = base().cores;
  const baselineMemory = memory();

  const cams = Array.from({ length: req.cameras }, (_, i) => {
    const hub = new LiveHub();
    const hls = new HlsLiveWindow();
    const supervisor = new CameraSupervisor({
      cameraId: `bench-camera-${i}`,
      command: req.ffmpegPath,
      args: buildIngestArgs({
        input: {
          kind: 'ffmpeg',
          inputArgs: ['-stream_loop', '-1', '-re', '-i', req.sourceMp4],
          videoArgs: ['-c:v', 'copy'],
        },
      }),
    });
    supervisor.on('init', (init) => {
      hub.setInit(init);
      hls.setInit(init);
    });
    supervisor.on('fragment', (f) => {
      hub.publish(f);
      hls.push(f);
    });
    supervisor.start();
    return { hub, hls, supervisor };
  });
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(cams.map((c) => c.supervisor.stop('bench done')));
    for (const c of cams) c.hub.close();
  };
  try {
    await waitFor(() => cams.every((c) => c.supervisor.state === 'live'), 'every camera live', 30_000);
    await sleep(req.settleMs); // GOP caches and HLS windows fill up
    const windows: IngestWindow[] = [];
    for (let w = 0; w < req.windows; w++) {
      const pids = cams.map((c) => c.supervisor.stats().pid).filter((p): p is number => p !== undefined);
      const ff0 = pids.map((p) => procCpuMs(p) ?? 0);
      const cpu = cpuWindow();
      await sleep(req.windowMs);
      const m = cpu();
      const ff1 = pids.map((p) => procCpuMs(p) ?? 0);
      const ffmpegMs = ff1.reduce((a, v, i) => a + v - ff0[i]!, 0);
      windows.push({
        oknoCores: m.cores,
        ffmpegCores: ffmpegMs / m.wallMs,
        memory: memory(),
        ffmpegRss: pids.reduce((a, p) => a + (procRssBytes(p) ?? 0), 0),
      });
    }
    const stats = cams.map((c) => c.supervisor.stats());
    const avg = (f: (s: (typeof stats)[number]) => number) =>
      stats.reduce((a, s) => a + f(s), 0) / stats.length;
    await stopAll();
    // The idle process once more, after the cameras: the lower of the two baselines is subtracted
    // (on a busy machine a baseline is easily inflated, which would flatter the per-camera figure).
    await sleep(1000);
    const after = cpuWindow();
    await sleep(req.windowMs);
    const baselineAfterCores = after().cores;
    return {
      baselineCores: Math.min(baselineCores, baselineAfterCores),
      baselineBeforeCores: baselineCores,
      baselineAfterCores,
      baselineMemory,
      windows,
      bitrateBps: avg((s) => s.bitrateBps),
      fps: avg((s) => s.fps),
      restarts: stats.reduce((a, s) => a + s.restarts, 0),
    };
  } finally {
    await stopAll();
  }
}

serveRequests(async (body) => run(body as IngestRequest));
