/**
 * Camera health (issue 10):
 *
 * - camera return → live again: a real GStreamer RTSP camera (test/support/rtsp-camera.py) under the
 *   real supervisor and ffmpeg; the camera is killed, stays down 2 s, and is started again on the same
 *   port. Measured from the camera listening again (its READY line) to the supervisor's `live` (the
 *   first keyframe through ffmpeg). Back-off is 30 s after the first (refused) retry, so only the
 *   reachability poll can explain a fast return. Goal ≤ 2 s (median).
 * - idle health checks of 1,000 cameras: IdleHealthChecks with its real RTSP DESCRIBE check against
 *   a cheap RTSP responder on loopback (a child process, so its CPU is not counted), over one period
 *   scaled down to 10 s (the checks are the same; only the period is shorter). Printed: CPU per check,
 *   the CPU share of one core this costs at the default 5-minute period, and the spread (the busiest
 *   second's checks against the mean per second: 1 would be perfectly even).
 */
import { spawn } from 'node:child_process';
import { CameraSupervisor } from '../src/media/supervisor.js';
import { buildIngestArgs } from '../src/media/ffmpeg-args.js';
import { checkRtsp, tcpReachable } from '../src/media/rtsp-check.js';
import { IdleHealthChecks } from '../src/streams/idle-checks.js';
import type { CameraSource } from '../src/storage/repositories/camera-sources.js';
import { rtspCameraSupport, startRtspCamera, type RtspCamera } from '../test/support/rtsp-camera.js';
import type { Figure } from './lib/report.js';
import { sleep, summarize, waitFor } from './lib/stats.js';

export interface CameraHealthBenchOptions {
  ffmpegPath: string;
  returns: number;
  idleCameras: number;
  idlePeriodMs: number;
}

export async function benchCameraHealth(opts: CameraHealthBenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  const support = rtspCameraSupport();
  if (support.available) figures.push(await benchReturn(opts));
  else console.log(`  camera return skipped: ${support.reason ?? 'no RTSP test camera'}`);
  figures.push(...(await benchIdleChecks(opts)));
  return figures;
}

async function benchReturn(opts: CameraHealthBenchOptions): Promise<Figure> {
  let cam: RtspCamera = await startRtspCamera({ keyIntFrames: 25, fps: 25 });
  const url = cam.url;
  const supervisor = new CameraSupervisor({
    cameraId: 'bench',
    command: opts.ffmpegPath,
    args: buildIngestArgs({ input: { kind: 'rtsp', url, transport: 'tcp' }, audio: 'drop' }),
    watchdogMs: 2000,
    backoff: { initialMs: 500, factor: 60, maxMs: 30_000 },
    reachable: () => tcpReachable(url, 500),
    reachabilityPollMs: 250,
    minRetryIntervalMs: 250,
  });
  const samples: number[] = [];
  try {
    supervisor.start();
    await waitFor(() => supervisor.state === 'live', 'the camera live', 20_000);
    for (let i = 0; i < opts.returns; i++) {
      const port = cam.port;
      await cam.kill();
      await waitFor(() => supervisor.state !== 'live', 'the supervisor to notice', 10_000);
      await sleep(2000);
      cam = await startRtspCamera({ port, keyIntFrames: 25, fps: 25 });
      const answeredAt = performance.now();
      await waitFor(() => supervisor.state === 'live', 'live again', 40_000);
      samples.push(performance.now() - answeredAt);
      await sleep(1000);
    }
  } finally {
    await supervisor.stop();
    await cam.stop();
  }
  return {
    id: 'camera.return',
    title: 'camera return → live again',
    unit: 'ms',
    summary: summarize(samples),
    over: `${samples.length} returns of a killed camera (1 s GOP, back-off 30 s after the first retry)`,
    goal: { on: 'median', op: '<=', value: 2000 },
    notes: ['from the camera listening again to the first keyframe through ffmpeg'],
  };
}

/** A loopback RTSP responder: answers every DESCRIBE with 200 and an H.264 SDP. */
const RESPONDER = `
const net = require('node:net');
const sdp = 'v=0\\r\\no=- 0 0 IN IP4 127.0.0.1\\r\\ns=bench\\r\\nt=0 0\\r\\nm=video 0 RTP/AVP 96\\r\\na=rtpmap:96 H264/90000\\r\\n';
const server = net.createServer((s) => {
  let buf = '';
  s.setEncoding('latin1');
  s.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\r\\n\\r\\n')) >= 0) {
      const head = buf.slice(0, i);
      buf = buf.slice(i + 4);
      const cseq = (/CSeq: *(\\d+)/i.exec(head) || [])[1] || '1';
      s.write('RTSP/1.0 200 OK\\r\\nCSeq: ' + cseq + '\\r\\nContent-Type: application/sdp\\r\\nContent-Length: ' + sdp.length + '\\r\\n\\r\\n' + sdp);
    }
  });
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log('READY ' + server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

async function benchIdleChecks(opts: CameraHealthBenchOptions): Promise<Figure[]> {
  const child = spawn(process.execPath, ['-e', RESPONDER], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /READY (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error('responder exited')));
    });
    const sources: CameraSource[] = Array.from({ length: opts.idleCameras }, (_, i) => ({
      cameraId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: `cam ${i}`,
      url: `rtsp://127.0.0.1:${port}/cam-${i}`,
      username: null,
      password: null,
      transport: 'tcp',
      enabled: true,
      audioAllowed: false,
    }));
    const startedPerSecond = new Map<number, number>();
    let failures = 0;
    const t0 = performance.now();
    const checks = new IdleHealthChecks({
      sources: { listEnabled: () => Promise.resolve(sources) },
      isRunning: () => false,
      periodMs: opts.idlePeriodMs,
      tickMs: 100,
      reloadMs: 3_600_000,
      check: async (source, timeoutMs) => {
        const second = Math.floor((performance.now() - t0) / 1000);
        startedPerSecond.set(second, (startedPerSecond.get(second) ?? 0) + 1);
        const r = await checkRtsp({ url: source.url, timeoutMs });
        if (!r.ok) failures++;
        return r;
      },
    });
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    checks.start();
    await sleep(opts.idlePeriodMs + 500);
    checks.stop();
    await sleep(200);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const done = checks.checksStarted;
    const perSecond = [...startedPerSecond.values()];
    const meanPerSecond = done / (opts.idlePeriodMs / 1000);
    const cpuPerCheckMs = cpuMs / Math.max(1, done);
    const shareAtDefault = (cpuPerCheckMs * opts.idleCameras) / (5 * 60_000);
    return [
      {
        id: 'idle-checks.cpu',
        title: `idle checks of ${opts.idleCameras} cameras: CPU per check`,
        unit: 'ms',
        summary: summarize([cpuPerCheckMs]),
        over: `${done} checks in ${(wallMs / 1000).toFixed(1)} s (period scaled to ${opts.idlePeriodMs / 1000} s), ${failures} failed`,
        extra: {
          cpuMsTotal: Math.round(cpuMs),
          coreShareAt5MinPercent: Math.round(shareAtDefault * 100_000) / 1000,
        },
        notes: [
          `at the default 5-minute period: ${(shareAtDefault * 100).toFixed(3)} % of one core for ${opts.idleCameras} cameras`,
        ],
      },
      {
        id: 'idle-checks.spread',
        title: 'idle checks: checks started per second',
        unit: 'checks/s',
        summary: summarize(perSecond),
        over: `${perSecond.length} seconds; uniform would be ${meanPerSecond.toFixed(0)}/s`,
        extra: { busiestToMean: Math.round((Math.max(...perSecond) / meanPerSecond) * 100) / 100 },
        goal: { on: 'busiestToMean', op: '<=', value: 2 },
        notes: ['busiestToMean: the busiest second against the mean (1 = perfectly even)'],
      },
    ];
  } finally {
    child.stdin.end();
    child.kill();
  }
}
