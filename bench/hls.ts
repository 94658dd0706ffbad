/**
 * Live HLS (issue 10): time to the first segment, latency next to the WebSocket path, and serving cost
 * next to plain static HLS files served by Node, all in one run.
 *
 * 1. Time to first segment (the real app, the demo camera through the real ffmpeg, a parent's grant
 *    in hand): GET index.m3u8 → stream.m3u8 → init → the newest complete segment, received. Live
 *    camera (another viewer keeps it running) and idle camera (ffmpeg must start).
 * 2. Latency, HLS next to WebSocket, at the same time on the same camera. ffmpeg stamps each fragment
 *    with its wall clock (`prft`). A WebSocket viewer and a Low-Latency HLS client (playlist, then the
 *    hinted part, as hls.js does) note when each fragment arrives. Glass-to-glass is then how late the
 *    newest frame arrives plus how far behind the newest frame each player plays: the web player jumps
 *    to 0.3 s behind the newest frame (JUMP_BEHIND_S); an LL-HLS player plays PART-HOLD-BACK behind
 *    the end of the playlist (the value the playlist announces). Goal: HLS ≤ 2 × WebSocket.
 * 3. Serving cost: N players of one 4 Mbit/s camera (the recorded fixture replayed in real time),
 *    each on its own keep-alive connection, players in a child process; this process's CPU over a
 *    window, less the same window with no players. Three servers in turn: plain static HLS files
 *    (2 s segments written to disk as they are cut, served by node:http + fs streams: the reference),
 *    Okno's segments from memory (the same classic players), and Okno's LL-HLS parts from memory
 *    (players following the preload hint: ~12 requests/s each instead of ~1.5). Viewers per core =
 *    N / cores used.
 */
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { HlsLiveWindow } from '../src/media/hls-live.js';
import { forkChild } from './lib/child.js';
import type { HlsViewersRequest, HlsViewersResult } from './clients/hls-viewers.js';
import { replay, type Fixture } from './lib/fixture.js';
import { startOkno, type Okno, type Session } from './lib/okno.js';
import { cpuWindow } from './lib/proc.js';
import type { Figure } from './lib/report.js';
import { distribution, epochMs, fmt, sleep, summarize, waitFor } from './lib/stats.js';
import { prftWallclockMs } from './lib/wire.js';

export interface HlsLatencyOptions {
  liveRepetitions: number;
  idleRepetitions: number;
  latencyWindowMs: number;
}

/** The web player's distance behind the newest frame (web/src/player/live-policy.ts JUMP_BEHIND_S). */
const WS_PLAYER_BEHIND_MS = 300;

/** Needs an Okno on 127.0.0.1 with prft stamps (prftSpawner) and a short camera idle timeout. */
export async function benchHlsLatency(okno: Okno, opts: HlsLatencyOptions): Promise<Figure[]> {
  const host = okno.host!;
  const camera = okno.ids.cameras.bees;
  const staff = await okno.session(okno.ids.people.kgAdmin);
  // Each HLS start is a new stream of a new parent (an HLS stream stays open until it idles out).
  const parents = await okno.addParents(opts.liveRepetitions + opts.idleRepetitions + 2);
  let next = 0;
  const parent = async () => okno.session(parents[next++]!);

  // Idle first (the camera has not been started by anyone yet, or has idled out).
  const idle: number[] = [];
  for (let i = 0; i < opts.idleRepetitions; i++) {
    await cameraStopped(okno, camera);
    idle.push((await firstSegment(okno, host, await parent(), camera)).totalMs);
  }

  // Keep the camera live with a WebSocket viewer (staff: the parents' stream caps stay untouched).
  const anchorGrant = await okno.grant(staff, camera);
  const ws = new WebSocket(`ws://${host}${anchorGrant.wsUrl}`, {
    headers: { cookie: staff.cookie },
    perMessageDeflate: false,
  });
  const wsDelays: number[] = [];
  let wsFragments = 0;
  let measuring = false;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    wsFragments++;
    const at = epochMs();
    const stamp = prftWallclockMs(data);
    if (measuring && stamp !== undefined) wsDelays.push(at - stamp);
  });
  await waitFor(() => wsFragments >= 2, 'the WebSocket viewer to see a picture', 20_000);
  await sleep(2500); // a complete segment in the HLS window

  const live: number[] = [];
  let playlistMs: number[] = [];
  for (let i = 0; i < opts.liveRepetitions; i++) {
    const r = await firstSegment(okno, host, await parent(), camera);
    live.push(r.totalMs);
    playlistMs.push(r.playlistMs);
    await sleep(50 + Math.random() * 300);
  }

  // Latency: the WebSocket viewer above and one LL-HLS client, side by side.
  const hlsSession = await parent();
  const grant = await okno.grant(hlsSession, camera);
  const hlsBase = `http://${host}${grant.hlsUrl.slice(0, grant.hlsUrl.indexOf('index.m3u8'))}`;
  const query = grant.hlsUrl.slice(grant.hlsUrl.indexOf('?'));
  const hlsEdgeDelays: number[] = [];
  const holdBacks: number[] = [];
  measuring = true;
  const until = performance.now() + opts.latencyWindowMs;
  let partsSeen = 0;
  while (performance.now() < until) {
    const pl = await fetch(`${hlsBase}stream.m3u8${query}`, { headers: { cookie: hlsSession.cookie } });
    const text = await pl.text();
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text)?.[1];
    const holdBack = /PART-HOLD-BACK=([\d.]+)/.exec(text)?.[1];
    if (!hint || !holdBack) throw new Error(`no LL-HLS playlist: ${text.slice(0, 200)}`);
    holdBacks.push(Number(holdBack) * 1000);
    const part = Buffer.from(
      await (await fetch(`${hlsBase}${hint}`, { headers: { cookie: hlsSession.cookie } })).arrayBuffer(),
    );
    const at = epochMs();
    const stamps = prftStamps(part);
    const newest = stamps[stamps.length - 1];
    if (newest !== undefined && partsSeen++ > 0) hlsEdgeDelays.push(at - newest);
  }
  measuring = false;
  ws.close();

  const wsD = distribution(wsDelays);
  const hlsD = distribution(hlsEdgeDelays);
  const holdBackMs = summarize(holdBacks).median;
  const wsG2g = wsD.median + WS_PLAYER_BEHIND_MS;
  const hlsG2g = hlsD.median + holdBackMs;
  playlistMs = playlistMs.sort((a, b) => a - b);
  return [
    {
      id: 'hls.first-segment.live',
      title: 'HLS time to first segment, live camera',
      unit: 'ms',
      summary: summarize(live),
      over: `${live.length} players, one after another`,
      extra: { playlistMedian: summarize(playlistMs).median },
      notes: [
        'index.m3u8 → stream.m3u8 → init → newest complete segment received (grant in hand, real app on 127.0.0.1)',
      ],
    },
    {
      id: 'hls.first-segment.idle',
      title: 'HLS time to first segment, idle camera',
      unit: 'ms',
      summary: summarize(idle),
      over: `${idle.length} cold starts`,
      notes: ['includes starting ffmpeg and the first complete segment (one GOP of the demo source: 2 s)'],
    },
    {
      id: 'hls.latency',
      title: 'glass-to-glass latency, LL-HLS vs WebSocket (same camera, same time)',
      unit: 'ms',
      summary: { n: 1, min: hlsG2g, median: hlsG2g, max: hlsG2g },
      over: `one ${fmt(opts.latencyWindowMs / 1000)} s window`,
      extra: {
        ratio: hlsG2g / wsG2g,
        websocket: wsG2g,
        wsArrivalP50: wsD.median,
        wsArrivalP99: wsD.p99,
        hlsNewestArrivalP50: hlsD.median,
        hlsNewestArrivalP99: hlsD.p99,
        partHoldBack: holdBackMs,
      },
      goal: { on: 'ratio', op: '<=', value: 2 },
      notes: [
        `WebSocket: newest frame arrives ${fmt(wsD.median)} ms after ffmpeg wrote it (p99 ${fmt(wsD.p99)}, ${wsD.n} fragments) + the player's 300 ms behind it = ${fmt(wsG2g)} ms`,
        `LL-HLS: newest frame of each part arrives ${fmt(hlsD.median)} ms after ffmpeg wrote it (p99 ${fmt(hlsD.p99)}, ${hlsD.n} parts) + PART-HOLD-BACK ${fmt(holdBackMs)} ms = ${fmt(hlsG2g)} ms`,
        'frames are stamped when ffmpeg writes them (the demo source makes them in real time); capture and display add the same to both',
      ],
    },
  ];
}

async function firstSegment(
  okno: Okno,
  host: string,
  session: Session,
  camera: string,
): Promise<{ totalMs: number; playlistMs: number }> {
  const grant = await okno.grant(session, camera);
  const headers = { cookie: session.cookie };
  const t0 = performance.now();
  const index = await fetch(`http://${host}${grant.hlsUrl}`, { headers });
  const mv = await index.text();
  if (!index.ok) throw new Error(`index.m3u8: ${index.status} ${mv}`);
  const dir = `http://${host}${grant.hlsUrl.slice(0, grant.hlsUrl.indexOf('index.m3u8'))}`;
  const media = await (await fetch(dir + mv.trim().split('\n').pop()!, { headers })).text();
  const playlistMs = performance.now() - t0;
  const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(media)?.[1];
  const segs = media.split('\n').filter((l) => l.startsWith('seg-'));
  if (!map || segs.length === 0) throw new Error(`no segment in the playlist: ${media.slice(0, 300)}`);
  const [init, seg] = await Promise.all([
    fetch(dir + map, { headers }).then((r) => r.arrayBuffer()),
    fetch(dir + segs[segs.length - 1]!, { headers }).then((r) => r.arrayBuffer()),
  ]);
  if (init.byteLength === 0 || seg.byteLength === 0) throw new Error('empty init or segment');
  return { totalMs: performance.now() - t0, playlistMs };
}

async function cameraStopped(okno: Okno, cameraId: string): Promise<void> {
  await waitFor(() => okno.ctx.live.cameras.get(cameraId) === undefined, 'the camera to idle out', 60_000);
}

/** The prft wall clocks of the fragments in a part (each fragment starts with its prft box). */
function prftStamps(data: Buffer): number[] {
  const out: number[] = [];
  let at = 0;
  while (at + 8 <= data.length) {
    const size = data.readUInt32BE(at);
    if (size < 8) break;
    if (data.toString('latin1', at + 4, at + 8) === 'prft') {
      const ms = prftWallclockMs(data.subarray(at));
      if (ms !== undefined) out.push(ms);
    }
    at += size;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Serving cost

export interface HlsServingOptions {
  viewers: number;
  windowMs: number;
  warmupMs: number;
}

interface Measured {
  cores: number;
  requests: number;
  media: number;
  errors: number;
  firstError: string | undefined;
}

export async function benchHlsServing(fixture: Fixture, opts: HlsServingOptions): Promise<Figure[]> {
  const okno = await startOkno({ database: 'sqlite', listen: true });
  const child = forkChild(new URL('./clients/hls-viewers.ts', import.meta.url));
  const dir = await mkdtemp(path.join(tmpdir(), 'okno-bench-hls-'));
  // One replay feeds Okno's camera and the static reference's files alike.
  const cameraId = okno.ids.cameras.bees;
  const cam = await okno.ctx.live.cameras.acquire(cameraId);
  await cam.supervisor.stop('bench: replaying a recorded 4 Mbit/s camera instead');
  const files = new HlsLiveWindow({ windowSegments: 6 });
  cam.supervisor.emit('init', fixture.init);
  files.setInit(fixture.init);
  await writeFile(path.join(dir, 'init.mp4'), fixture.init.data);
  let written = -1;
  let writing = Promise.resolve();
  const stopReplay = replay(fixture, (f) => {
    cam.supervisor.emit('fragment', f);
    files.push(f);
    const newest = files.liveSequence - 1;
    if (newest > written && files.segment(newest)) {
      written = newest;
      writing = writing.then(() => writeStatic(dir, files));
    }
  });
  const server = http.createServer((req, res) => void serveStatic(dir, req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const staticPort = (server.address() as { port: number }).port;
  const oknoPort = Number(okno.host!.split(':')[1]);

  try {
    await waitFor(() => files.ready && cam.hls.ready, 'the first segments', 20_000);
    await sleep(2500);
    const idle = await measure(child, null, opts);
    // Okno's players: distinct parents (each with a grant), as many families watching at once. Their
    // grants are issued just before each run (a grant is good for a minute before its first use, and
    // issuing hundreds takes a while on a loaded machine).
    const players = async () =>
      (await okno.parentViewers(opts.viewers)).map((t) => ({
        playlist: t.wsPath.replace('/ws?', '/hls/stream.m3u8?'),
        cookie: t.cookie,
      }));
    const staticRun = await measure(
      child,
      {
        op: 'start',
        port: staticPort,
        mode: 'segments',
        viewers: Array.from({ length: opts.viewers }, () => ({ playlist: '/index.m3u8', cookie: '' })),
      },
      opts,
    );
    const oknoSegments = await measure(
      child,
      { op: 'start', port: oknoPort, mode: 'segments', viewers: await players() },
      opts,
    );
    const oknoParts = await measure(
      child,
      { op: 'start', port: oknoPort, mode: 'll', viewers: await players() },
      opts,
    );

    const perCore = (m: Measured) => opts.viewers / Math.max(1e-6, m.cores - idle.cores);
    const figure = (id: string, title: string, m: Measured, goal?: Figure['goal']): Figure => ({
      id,
      title,
      unit: 'viewers/core',
      summary: { n: 1, min: perCore(m), median: perCore(m), max: perCore(m) },
      over: `${opts.viewers} players, ${fmt(opts.windowMs / 1000)} s`,
      extra: {
        cores: m.cores - idle.cores,
        requestsPerSecond: m.requests / (opts.windowMs / 1000),
        // CPU per request: comparable across runs whatever rate the players managed
        usPerRequest: ((m.cores - idle.cores) * 1e6) / Math.max(1e-9, m.requests / (opts.windowMs / 1000)),
        // what each player got per second: ~0.5 segments (classic) or ~6 parts (LL) when the players
        // keep up; less means the players' process was short of CPU (the figure is then optimistic)
        mediaPerPlayerPerSecond: m.media / opts.viewers / (opts.windowMs / 1000),
        vsStatic: perCore(m) / perCore(staticRun),
        errors: m.errors,
      },
      ...(goal ? { goal } : {}),
      ...(m.firstError ? { notes: [`first error: ${m.firstError}`] } : {}),
    });
    return [
      figure('hls.serve.static', 'reference: static 2 s HLS files, node:http + fs', staticRun),
      figure('hls.serve.segments', 'Okno live HLS, 2 s segments from memory (classic players)', oknoSegments),
      figure(
        'hls.serve.parts',
        'Okno LL-HLS parts from memory (players following the preload hint)',
        oknoParts,
        {
          on: 'median',
          op: '>=',
          value: 8000,
        },
      ),
    ];
  } finally {
    stopReplay();
    await child.close();
    await new Promise((r) => server.close(r));
    await okno.close();
    await writing;
    await rm(dir, { recursive: true, force: true });
  }
}

async function measure(
  child: ReturnType<typeof forkChild>,
  start: HlsViewersRequest | null,
  opts: HlsServingOptions,
): Promise<Measured> {
  if (start) await child.request(start);
  await sleep(opts.warmupMs);
  const end = cpuWindow();
  await sleep(opts.windowMs);
  const { cores } = end();
  if (!start) return { cores, requests: 0, media: 0, errors: 0, firstError: undefined };
  const r = await child.request<HlsViewersResult>({ op: 'stop' });
  // Counted over warm-up + window; scaled to the window.
  const share = opts.windowMs / (opts.windowMs + opts.warmupMs);
  return {
    cores,
    requests: r.requests * share,
    media: r.media * share,
    errors: r.errors,
    firstError: r.firstError,
  };
}

/** The static reference's files: each new segment, then the playlist (renamed into place). */
async function writeStatic(dir: string, w: HlsLiveWindow): Promise<void> {
  const first = Math.max(0, w.liveSequence - 6);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-TARGETDURATION:2',
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
    '#EXT-X-MAP:URI="init.mp4"',
  ];
  for (let n = first; n < w.liveSequence; n++) {
    const s = w.segment(n);
    if (!s) continue;
    const file = path.join(dir, `seg-${n}.m4s`);
    if (!(await stat(file).catch(() => null))) await writeFile(file, s.data);
    lines.push(`#EXTINF:${s.durationSec.toFixed(3)},`, `seg-${n}.m4s`);
  }
  await writeFile(path.join(dir, 'index.tmp'), lines.join('\n') + '\n');
  await rename(path.join(dir, 'index.tmp'), path.join(dir, 'index.m3u8'));
}

/** What a minimal static file server does: stat, headers, stream the file. */
async function serveStatic(dir: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const name = (req.url ?? '/').split('?')[0]!.slice(1);
  if (!/^(index\.m3u8|init\.mp4|seg-\d+\.m4s)$/.test(name)) {
    res.writeHead(404).end();
    return;
  }
  const file = path.join(dir, name);
  const st = await stat(file).catch(() => null);
  if (!st) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    'content-type': name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp4',
    'content-length': st.size,
    'cache-control': name.endsWith('.m3u8') ? 'no-cache' : 'max-age=60',
  });
  createReadStream(file).pipe(res);
}
