/**
 * Recording (issue 5): how many 4 Mbit/s cameras one process records within one core of its own CPU,
 * and the time to first byte of a recorded range played back through the HTTP routes.
 *
 * Cameras: a fresh child process (bench/recording/child.ts) runs the real app on SQLite in a temp dir
 * and, per camera, a CameraRecorder (what the recording service runs for each recorded camera) fed the
 * 4 Mbit/s fixture (bench/lib/fixture.ts: libx264 25 fps, 1 s GOP, split by Okno's Fmp4Parser after
 * Okno's own ingest fragmenting) in real time, each camera on its own timer at a random phase, with
 * decode times increasing across loops. Cameras are added in steps; at each step the child's
 * process.cpuUsage() (user + system, libuv's file-system threads included) is taken over a window after
 * a settling pause. The figure is the largest step that stayed within 1 core.
 *
 * Playback: after the cameras stopped (every segment closed and indexed), an inspector of the demo
 * region asks for a range of camera 1 (POST /api/recordings/:id/playback with a stated reason, as the
 * web app does) and fetches, over a real TCP connection to the listening app, the HLS playlist, its
 * first init and part, and the MP4 clip; time to first byte is from sending the GET to the first byte
 * of the response body.
 */
import http from 'node:http';
import { forkChild } from './lib/child.js';
import { formatFigure, judge, type Figure } from './lib/report.js';
import { fmt, summarize, type Summary } from './lib/stats.js';
import type {
  CloseRequest,
  RecordRequest,
  RecordResult,
  ServeRequest,
  ServeResult,
} from './recording/child.js';

export interface RecordingBenchOptions {
  quick: boolean;
  /** ffmpeg for the fixture; default OKNO_FFMPEG_PATH or `ffmpeg`. */
  ffmpegPath?: string;
  /** Print each figure as it is measured (default true). */
  print?: boolean;
}

export interface PlaybackTimes {
  /** POST …/playback (policy, audit, grant), full response, ms. */
  grantMs: Summary;
  /** GET index.m3u8 → first body byte, ms. */
  playlistTtfbMs: Summary;
  /** GET index.m3u8 (whole) + init (whole) + first part → first body byte, ms. */
  firstPartMs: Summary;
  /** GET clip.mp4 → first body byte, ms. */
  clipTtfbMs: Summary;
  /** GET clip.mp4, whole body, ms. */
  clipTotalMs: Summary;
  clipBytes: number;
  rangeSeconds: number;
  repetitions: number;
}

export interface RecordingBenchResult {
  figures: Figure[];
  /** Largest step within 1 core (0 if even the first step used more). */
  camerasWithinOneCore: number;
  goalCameras: number;
  camerasGoalMet: boolean;
  record: RecordResult;
  playback: PlaybackTimes;
  goalTtfbMedianMs: number;
  ttfbGoalMet: boolean;
}

const STEPS = [25, 50, 100, 150, 200, 300, 400];
const GOAL_CAMERAS = 100;
const GOAL_TTFB_MS = 100;
const REASON = 'Benchmark: complaint 17/2026 about desk 1, checking the recorded visit';

export async function runRecordingBench(opts: RecordingBenchOptions): Promise<RecordingBenchResult> {
  const print = opts.print !== false;
  const ffmpegPath = opts.ffmpegPath ?? (process.env.OKNO_FFMPEG_PATH || 'ffmpeg');
  const windowMs = opts.quick ? 5000 : 10_000;
  const settleMs = opts.quick ? 1500 : 2500;
  const repetitions = 20;
  const child = forkChild(new URL('./recording/child.ts', import.meta.url));
  let record: RecordResult;
  let playback: PlaybackTimes;
  try {
    record = await child.request<RecordResult>(
      {
        cmd: 'record',
        ffmpegPath,
        steps: STEPS,
        settleMs,
        windowMs,
        segmentSeconds: 10,
        stopAboveCores: 1.2,
      } satisfies RecordRequest,
      600_000,
    );
    const target = await child.request<ServeResult>({ cmd: 'serve' } satisfies ServeRequest);
    playback = await measurePlayback(target, repetitions);
    await child.request<void>({ cmd: 'close' } satisfies CloseRequest, 60_000);
  } finally {
    await child.close();
  }

  const within = record.steps.filter((s) => s.cores <= 1);
  const best = within.length ? within[within.length - 1]!.cameras : 0;
  const perCamera = record.steps.map((s) => ((s.cores - record.idleCores) / s.cameras) * 100);
  const stepExtra: Record<string, number> = {};
  for (const s of record.steps) {
    stepExtra[`cores at ${s.cameras}`] = s.cores;
    stepExtra[`loop p99 ms at ${s.cameras}`] = s.loopDelayP99Ms;
  }
  const last = record.steps[record.steps.length - 1];
  const over = `steps of ${record.steps.map((s) => s.cameras).join(', ')} cameras, one ${windowMs / 1000} s window each`;
  const how = [
    `each camera: a CameraRecorder fed the fixture in real time (${fmt(record.fixture.bitrateBps / 1e6)} Mbit/s, ${fmt(record.fixture.fps)} fps, ${fmt(record.fixture.gopMs)} ms GOP, ${fmt(record.fixture.fragmentMs)} ms fragments) → segment files of ${record.segmentMs / 1000} s (fdatasync every ${record.syncIntervalMs} ms, fsync file + dir at close) + index rows in SQLite (WAL)`,
    `the child process's CPU (process.cpuUsage, user+system, libuv fs threads included; idle app ${fmt(record.idleCores * 100)} % core not subtracted); the ingest (ffmpeg + fMP4 parsing, see ingest.cpu.okno) is not included`,
    `${record.segments} segments indexed, ${fmt(record.segmentBytes / 1e9)} GB, ${fmt(record.recordedSeconds / 60)} camera-minutes, ${record.writeErrors} write errors; closing all recorders took ${fmt(record.closeMs)} ms`,
  ];
  const capped = last !== undefined && last.cores <= 1;
  if (capped)
    how.unshift(
      `every step stayed within 1 core: ${best} is the largest step tried, a lower bound (${fmt(last.cores)} cores there)`,
    );
  const figures: Figure[] = [
    {
      id: 'recording.cameras',
      title: 'cameras recorded at 4 Mbit/s within 1 core',
      unit: 'cameras',
      summary: { n: 1, min: best, median: best, max: best },
      over,
      extra: {
        ...stepExtra,
        ...(last ? { 'handed-over Mbit/s per camera, last step': last.bitrateBps / 1e6 } : {}),
        ...(last ? { 'latest fragment hand-over, last step ms': last.maxLateMs } : {}),
      },
      goal: { on: 'median', op: '>=', value: GOAL_CAMERAS },
      notes: how,
    },
    {
      id: 'recording.cpu.perCamera',
      title: 'CPU per recorded 4 Mbit/s camera',
      unit: '% core',
      summary: summarize(perCamera),
      over: `${record.steps.length} steps (${over.slice('steps of '.length)})`,
      notes: ['(process CPU − idle app) ÷ cameras, per step'],
    },
    ...playbackFigures(playback),
  ];
  if (print) for (const f of figures) console.log(formatFigure(f));
  return {
    figures,
    camerasWithinOneCore: best,
    goalCameras: GOAL_CAMERAS,
    camerasGoalMet: judge(figures[0]!)!.met,
    record,
    playback,
    goalTtfbMedianMs: GOAL_TTFB_MS,
    ttfbGoalMet: playback.playlistTtfbMs.median <= GOAL_TTFB_MS && playback.clipTtfbMs.median <= GOAL_TTFB_MS,
  };
}

function playbackFigures(p: PlaybackTimes): Figure[] {
  const over = `${p.repetitions} ranges of ${p.rangeSeconds} s, one after another, each with its own grant (after 1 warm-up)`;
  const note = `camera 1's segments (10 s each) just written, so in the page cache; HTTP over 127.0.0.1 to the listening app, the inspector's session cookie; the recorders are stopped`;
  return [
    {
      id: 'playback.ttfb.hls',
      title: 'time to first byte, HLS playlist of a range',
      unit: 'ms',
      summary: p.playlistTtfbMs,
      over,
      extra: {
        'grant (POST …/playback) median ms': p.grantMs.median,
        'grant + playlist first byte, median ms': p.grantMs.median + p.playlistTtfbMs.median,
      },
      goal: { on: 'median', op: '<=', value: GOAL_TTFB_MS },
      notes: [
        'GET /media/recordings/…/index.m3u8?token= from the request to the first body byte (token check, segment query, planning)',
        note,
      ],
    },
    {
      id: 'playback.ttfb.hlsFirstPart',
      title: 'time to first video byte over HLS (playlist + init + first part)',
      unit: 'ms',
      summary: p.firstPartMs,
      over,
      notes: ['playlist and init fetched whole, then the first part until its first byte'],
    },
    {
      id: 'playback.ttfb.mp4',
      title: 'time to first byte, MP4 clip of a range',
      unit: 'ms',
      summary: p.clipTtfbMs,
      over,
      extra: {
        'whole clip, median ms': p.clipTotalMs.median,
        'clip MB': p.clipBytes / 1e6,
      },
      goal: { on: 'median', op: '<=', value: GOAL_TTFB_MS },
      notes: ['GET …/clip.mp4?token= from the request to the first body byte (the clip is planned before)'],
    },
  ];
}

interface Timed {
  status: number;
  ttfbMs: number;
  totalMs: number;
  body: Buffer;
}

function request(
  host: string,
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
): Promise<Timed> {
  const [hostname, port] = host.split(':') as [string, string];
  const data = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      {
        hostname,
        port: Number(port),
        method,
        path: url,
        agent: false,
        headers: {
          ...headers,
          ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
        },
      },
      (res) => {
        let ttfbMs = NaN;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (Number.isNaN(ttfbMs)) ttfbMs = performance.now() - t0;
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ttfbMs,
            totalMs: performance.now() - t0,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function measurePlayback(t: ServeResult, repetitions: number): Promise<PlaybackTimes> {
  const rangeMs = Math.min(30_000, t.toMs - t.fromMs);
  const auth = { cookie: t.cookie };
  const grants: number[] = [];
  const playlists: number[] = [];
  const firstParts: number[] = [];
  const clipTtfb: number[] = [];
  const clipTotal: number[] = [];
  let clipBytes = 0;
  for (let i = 0; i <= repetitions; i++) {
    const from = t.fromMs + Math.random() * (t.toMs - t.fromMs - rangeMs);
    const g = await request(
      t.host,
      'POST',
      `/api/recordings/${t.cameraId}/playback`,
      { ...auth, 'x-csrf-token': t.csrfToken },
      {
        from: new Date(from).toISOString(),
        to: new Date(from + rangeMs).toISOString(),
        reason: REASON,
      },
    );
    if (g.status !== 200) throw new Error(`playback grant: ${g.status} ${g.body.toString()}`);
    const { hlsUrl, mp4Url } = JSON.parse(g.body.toString()) as { hlsUrl: string; mp4Url: string };
    const pl = await request(t.host, 'GET', hlsUrl, auth);
    if (pl.status !== 200) throw new Error(`playlist: ${pl.status} ${pl.body.toString()}`);
    const lines = pl.body.toString().split('\n');
    const base = hlsUrl.slice(0, hlsUrl.indexOf('index.m3u8'));
    const initUri = /URI="([^"]+)"/.exec(lines.find((l) => l.startsWith('#EXT-X-MAP')) ?? '')?.[1];
    const partUri = lines.find((l) => l.startsWith('part/'));
    if (!initUri || !partUri) throw new Error('playlist without a map or a part');
    const init = await request(t.host, 'GET', base + initUri, auth);
    const part = await request(t.host, 'GET', base + partUri, auth);
    if (init.status !== 200 || part.status !== 200)
      throw new Error(`init/part: ${init.status}/${part.status}`);
    const clip = await request(t.host, 'GET', mp4Url, auth);
    if (clip.status !== 200 || clip.body.toString('latin1', 4, 8) !== 'ftyp')
      throw new Error(`clip: ${clip.status}`);
    if (i === 0) continue; // warm-up
    grants.push(g.totalMs);
    playlists.push(pl.ttfbMs);
    firstParts.push(pl.totalMs + init.totalMs + part.ttfbMs);
    clipTtfb.push(clip.ttfbMs);
    clipTotal.push(clip.totalMs);
    clipBytes = Math.max(clipBytes, clip.body.length);
  }
  return {
    grantMs: summarize(grants),
    playlistTtfbMs: summarize(playlists),
    firstPartMs: summarize(firstParts),
    clipTtfbMs: summarize(clipTtfb),
    clipTotalMs: summarize(clipTotal),
    clipBytes,
    rangeSeconds: rangeMs / 1000,
    repetitions,
  };
}
