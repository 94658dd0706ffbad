/**
 * Inspection photo uploads (issue 14): a 4 MB JPEG sent the way the phone app sends it (announce,
 * 256 KiB chunks over HTTP, the last chunk stores it: sha256 of the whole file, sharp's screen and
 * thumbnail copies, EXIF, the row and its audit entry). The server runs in a child process so that
 * its CPU time (/proc/PID/stat) and resident memory (/proc/PID/status) are its own.
 *
 *   sequential: uploads per CPU-second of the server (throughput per core), latency p50/p99
 *   100 concurrent uploads: the server's peak resident memory above its level before them
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import sharp from 'sharp';
import type { Figure } from './lib/report.js';
import { distribution, summarize } from './lib/stats.js';

const CHUNK = 256 * 1024;
const TICKS = 100; // USER_HZ on Linux

interface Target {
  url: string;
  cookie: string;
  csrf: string;
  inspectionId: string;
}

/** A ~4 MB JPEG of noise (JPEG cannot squeeze it), made once. */
async function baseJpeg(): Promise<Buffer> {
  const w = 2300;
  const h = 2000;
  const raw = Buffer.alloc(w * h * 3);
  let x = 12345;
  for (let i = 0; i < raw.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = (x >> 16) & 0xff;
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** The base picture with a unique comment segment after SOI: a distinct file (and hash) each time. */
function variant(base: Buffer, n: number): Buffer {
  const text = Buffer.from(`okno-bench-${n}-${Date.now()}`);
  const seg = Buffer.alloc(4 + text.length);
  seg.writeUInt16BE(0xfffe, 0);
  seg.writeUInt16BE(text.length + 2, 2);
  text.copy(seg, 4);
  return Buffer.concat([base.subarray(0, 2), seg, base.subarray(2)]);
}

async function upload(t: Target, photo: Buffer): Promise<number> {
  const t0 = performance.now();
  const sha = createHash('sha256').update(photo).digest('hex');
  const headers = { cookie: t.cookie, 'x-csrf-token': t.csrf };
  const now = new Date().toISOString();
  const base = `${t.url}/api/inspections/${t.inspectionId}/uploads`;
  let res = await fetch(base, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      sha256: sha,
      bytes: photo.length,
      category: 'living_conditions',
      live: true,
      deviceTakenAt: now,
      deviceNow: now,
    }),
  });
  let st = (await res.json()) as { state: string; received: number; message?: string };
  if (!res.ok) throw new Error(`announce: ${res.status} ${st.message}`);
  while (st.state === 'partial') {
    const end = Math.min(photo.length, st.received + CHUNK);
    res = await fetch(`${base}/${sha}?offset=${st.received}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: photo.subarray(st.received, end),
    });
    st = (await res.json()) as typeof st;
    if (!res.ok) throw new Error(`chunk: ${res.status} ${st.message}`);
  }
  return performance.now() - t0;
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICKS; // utime, stime
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function benchInspections(opts: {
  sequential: number;
  repetitions: number;
  concurrent: number;
}): Promise<Figure[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/inspections/server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the benchmark server exited (${code})`)));
    });
    const t = JSON.parse(line) as Target;
    const pid = child.pid!;
    const start = await fetch(`${t.url}/api/inspections/${t.inspectionId}/start`, {
      method: 'POST',
      headers: { cookie: t.cookie, 'x-csrf-token': t.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ startedAt: new Date().toISOString() }),
    });
    if (!start.ok) throw new Error(`start: ${start.status}`);
    const base = await baseJpeg();
    let n = 0;
    await upload(t, variant(base, n++)); // warm-up

    const perCore: number[] = [];
    const mbPerCore: number[] = [];
    const latencies: number[] = [];
    for (let r = 0; r < opts.repetitions; r++) {
      const cpu0 = cpuSeconds(pid);
      for (let i = 0; i < opts.sequential; i++) latencies.push(await upload(t, variant(base, n++)));
      const cpu = cpuSeconds(pid) - cpu0;
      perCore.push(opts.sequential / cpu);
      mbPerCore.push((opts.sequential * base.length) / 1e6 / cpu);
    }
    const lat = distribution(latencies);

    const photos = Array.from({ length: opts.concurrent }, () => variant(base, n++));
    const rss0 = rssMiB(pid);
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20);
    const t0 = performance.now();
    const times = await Promise.all(photos.map((p) => upload(t, p)));
    const wallMs = performance.now() - t0;
    clearInterval(sampler);
    peak = Math.max(peak, rssMiB(pid));
    const conc = distribution(times);

    return [
      {
        id: 'inspections.upload.per_core',
        title: `4 MB JPEG upload + sha256 + thumbnail, per server core (${(base.length / 1e6).toFixed(1)} MB)`,
        unit: 'uploads/s',
        summary: summarize(perCore),
        over: `${opts.repetitions} runs of ${opts.sequential} sequential uploads`,
        extra: { mbPerCoreSecond: summarize(mbPerCore).median },
        notes: ['server CPU time from /proc (user + system); one upload = announce + 256 KiB chunks + store'],
      },
      {
        id: 'inspections.upload.latency',
        title: 'one upload, end to end (sequential)',
        unit: 'ms',
        summary: summarize(latencies),
        over: `${latencies.length} uploads`,
        extra: { p50: lat.p50, p99: lat.p99 },
      },
      {
        id: 'inspections.upload.concurrent_rss_growth',
        title: `${opts.concurrent} concurrent uploads: server memory growth (peak RSS above the level before)`,
        unit: 'MiB',
        summary: summarize([peak - rss0]),
        over: `one burst; RSS before ${rss0.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB; all done in ${(wallMs / 1000).toFixed(1)} s, p99 ${(conc.p99 / 1000).toFixed(1)} s`,
        goal: { on: 'max', op: '<=', value: 200 },
      },
    ];
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
