/**
 * Okno's own CPU and memory per ingested 4 Mbit/s camera with no viewers: N cameras remuxing a looping
 * 4 Mbit/s file through CameraSupervisor → LiveHub + HLS window, in a fresh child process. Okno's
 * share is that process's CPU minus its idle baseline (the lower of one taken before and one after the
 * cameras), divided by N; ffmpeg's is read from /proc/PID/stat of each ffmpeg. Memory per camera is
 * the growth of the process's resident memory (after a full GC) over its idle baseline, divided by N.
 */
import { forkChild } from './lib/child.js';
import type { IngestRequest, IngestResult } from './clients/ingest-cameras.js';
import type { Fixture } from './lib/fixture.js';
import type { Figure } from './lib/report.js';
import { fmt, summarize } from './lib/stats.js';

export interface IngestOptions {
  cameras: number;
  windows: number;
  windowMs: number;
  settleMs: number;
  ffmpegPath: string;
}

const MB = 1024 * 1024;

export async function benchIngest(fixture: Fixture, opts: IngestOptions): Promise<Figure[]> {
  const child = forkChild(new URL('./clients/ingest-cameras.ts', import.meta.url), ['--expose-gc']);
  let r: IngestResult;
  try {
    r = await child.request<IngestResult>(
      {
        cameras: opts.cameras,
        windows: opts.windows,
        windowMs: opts.windowMs,
        settleMs: opts.settleMs,
        sourceMp4: fixture.sourceMp4,
        ffmpegPath: opts.ffmpegPath,
      } satisfies IngestRequest,
      300_000,
    );
  } finally {
    await child.close();
  }
  const n = opts.cameras;
  const okno = r.windows.map((w) => ((w.oknoCores - r.baselineCores) / n) * 100);
  const ffmpeg = r.windows.map((w) => (w.ffmpegCores / n) * 100);
  const both = r.windows.map((_, i) => okno[i]! + ffmpeg[i]!);
  const rss = r.windows.map((w) => (w.memory.rss - r.baselineMemory.rss) / n / MB);
  const heapExt = r.windows.map(
    (w) =>
      (w.memory.heapUsed + w.memory.external - r.baselineMemory.heapUsed - r.baselineMemory.external) /
      n /
      MB,
  );
  const ffRss = r.windows.map((w) => w.ffmpegRss / n / MB);
  const over = `${r.windows.length} windows of ${opts.windowMs / 1000} s, ${n} cameras`;
  const source = `each camera: ffmpeg -stream_loop -1 -re -i <4 Mbit/s file> -c:v copy → fMP4 pipe → supervisor → hub + HLS window; measured ${fmt(r.bitrateBps / 1e6)} Mbit/s, ${fmt(r.fps)} fps per camera, ${r.restarts} restarts`;
  return [
    {
      id: 'ingest.cpu.okno',
      title: 'CPU per 4 Mbit/s camera, Okno only',
      unit: '% core',
      summary: summarize(okno),
      over,
      extra: {
        'idle baseline before, % core': r.baselineBeforeCores * 100,
        'idle baseline after, % core': r.baselineAfterCores * 100,
      },
      goal: { on: 'median', op: '<=', value: 0.5 },
      notes: [
        source,
        'the Okno process CPU (process.cpuUsage, user+system) minus the lower of its idle baselines, ÷ cameras',
      ],
    },
    {
      id: 'ingest.cpu.total',
      title: 'CPU per 4 Mbit/s camera, Okno + ffmpeg',
      unit: '% core',
      summary: summarize(both),
      over,
      extra: { 'ffmpeg alone, median': summarize(ffmpeg).median },
      notes: ['ffmpeg CPU from /proc/PID/stat (10 ms ticks)'],
    },
    {
      id: 'ingest.memory.okno',
      title: 'memory per camera, Okno process (RSS growth)',
      unit: 'MB',
      summary: summarize(rss),
      over,
      extra: {
        'heap+external per camera, median MB': summarize(heapExt).median,
        'ffmpeg RSS per camera, median MB': summarize(ffRss).median,
      },
      goal: { on: 'median', op: '<=', value: 15 },
      notes: [
        'resident memory after a full GC, minus the idle process, ÷ cameras; includes the GOP cache (~1 s) and the HLS window (6 segments) of each camera',
      ],
    },
  ];
}
