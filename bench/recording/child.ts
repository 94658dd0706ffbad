/**
 * Child process of the recording benchmark (a fresh process, so that the CPU it measures is the
 * recorders' and nothing else's): the real app on SQLite in a temp dir (its recorder service off), N
 * cameras in the database, and for each a CameraRecorder — the unit the recording service runs per
 * camera — fed the 4 Mbit/s fixture's fragments in real time, as the camera's supervisor would hand
 * them over. The recorders write real segment files (fdatasync every `recording.syncIntervalMs`, fsync
 * of file and directory at each close) and real index rows into the app's SQLite database.
 *
 * Requests: `record` ramps the cameras up step by step and measures process.cpuUsage() over a window
 * at each step, then closes every recorder (indexing its last segment); `serve` returns what the parent
 * needs to play a range back through the app's HTTP routes (its address, an inspector's session).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Fragment } from '../../src/media/fmp4.js';
import { CameraRecorder } from '../../src/recording/recorder.js';
import { shiftDecodeTimesInPlace } from '../../src/recording/fmp4-file.js';
import { systemClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import { serveRequests } from '../lib/child.js';
import { loadFixture, type Fixture } from '../lib/fixture.js';
import { startOkno, type Okno } from '../lib/okno.js';
import { sleep } from '../lib/stats.js';

export interface RecordRequest {
  cmd: 'record';
  ffmpegPath: string;
  /** Cameras recording at each step (increasing; cameras are added, never restarted). */
  steps: number[];
  settleMs: number;
  windowMs: number;
  segmentSeconds: number;
  /** Stop ramping once a step uses more than this many cores. */
  stopAboveCores: number;
}

export interface RecordStep {
  cameras: number;
  /** This process, user + system (libuv's file-system threads included), cores. */
  cores: number;
  userCores: number;
  systemCores: number;
  /** Fragment bytes handed to the recorders during the window, bit/s per camera. */
  bitrateBps: number;
  /** Event-loop delay during the window, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Latest a fragment was handed over relative to its due time, ms. */
  maxLateMs: number;
  rssBytes: number;
}

export interface RecordResult {
  idleCores: number;
  fixture: { bitrateBps: number; fragmentMs: number; fps: number; gopMs: number; durationMs: number };
  steps: RecordStep[];
  segmentMs: number;
  syncIntervalMs: number;
  /** Rows in recording_segments after every recorder closed, and what they say. */
  segments: number;
  segmentBytes: number;
  recordedSeconds: number;
  writeErrors: number;
  closeMs: number;
}

export interface ServeRequest {
  cmd: 'serve';
}

/** Closes the app and removes its temp dir and database. */
export interface CloseRequest {
  cmd: 'close';
}

export interface ServeResult {
  host: string;
  cookie: string;
  csrfToken: string;
  cameraId: string;
  /** What camera 0 has recorded: [fromMs, toMs) and its segments. */
  fromMs: number;
  toMs: number;
  segments: number;
}

let okno: Okno | undefined;
let cameraIds: string[] = [];

/** The fixture's fragments looped forever with decode times (in the bytes too) that keep increasing. */
class Looper {
  private readonly loops: Fragment[][];
  private readonly loopTicks: number;
  constructor(private readonly fixture: Fixture) {
    this.loops = [fixture.fragments];
    this.loopTicks = fixture.fragments.reduce((n, f) => n + (f.durationTicks ?? 0), 0);
    if (!this.loopTicks) throw new Error('fixture fragments without durations');
  }
  get length(): number {
    return this.fixture.fragments.length;
  }
  at(index: number): Fragment {
    const loop = Math.floor(index / this.length);
    while (this.loops.length <= loop) {
      const k = this.loops.length;
      const shift = new Map(this.fixture.init.tracks.map((t) => [t.trackId, k * this.loopTicks]));
      this.loops.push(
        this.fixture.fragments.map((f) => {
          const data = Buffer.from(f.data);
          shiftDecodeTimesInPlace(data, shift);
          return { ...f, data, decodeTime: (f.decodeTime ?? 0) + k * this.loopTicks };
        }),
      );
    }
    return this.loops[loop]![index % this.length]!;
  }
  ms(index: number): number {
    return this.fixture.fragmentMs[index % this.length]!;
  }
}

/** One camera's feed: each fragment at its due time, on its own timer (as its own ffmpeg pipe would). */
class Feed {
  private index = 0;
  private dueAt: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  bytes = 0;
  maxLateMs = 0;
  constructor(
    private readonly looper: Looper,
    private readonly publish: (f: Fragment) => void,
    phaseMs: number,
  ) {
    this.dueAt = performance.now() + phaseMs;
    this.timer = setTimeout(() => this.tick(), phaseMs);
  }
  private tick(): void {
    if (this.stopped) return;
    const now = performance.now();
    while (this.dueAt <= now) {
      this.maxLateMs = Math.max(this.maxLateMs, now - this.dueAt);
      const f = this.looper.at(this.index);
      this.bytes += f.data.length;
      this.publish(f);
      this.dueAt += this.looper.ms(this.index);
      this.index++;
    }
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.dueAt - performance.now()));
  }
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

async function cpuOver(ms: number): Promise<{ user: number; system: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(ms);
  const c = process.cpuUsage(c0);
  const wallUs = (performance.now() - t0) * 1000;
  return { user: c.user / wallUs, system: c.system / wallUs };
}

async function record(req: RecordRequest): Promise<RecordResult> {
  const fixture = await loadFixture(req.ffmpegPath);
  const looper = new Looper(fixture);
  const max = Math.max(...req.steps);
  okno = await startOkno({
    database: 'sqlite',
    listen: true,
    overrides: { 'recording.segmentSeconds': req.segmentSeconds },
  });
  const { db, ctx, config } = okno;
  // N cameras like the demo's continuously recorded office workplace (same room, so an inspector of
  // the region may play them back).
  const template = await db.kysely
    .selectFrom('cameras')
    .selectAll()
    .where('recording_policy', '=', 'continuous')
    .executeTakeFirstOrThrow();
  cameraIds = Array.from({ length: max }, () => newId());
  await db.kysely.transaction().execute(async (trx) => {
    for (const [i, id] of cameraIds.entries())
      await trx
        .insertInto('cameras')
        .values({ ...template, id, name: `Bench recorder ${i + 1}`, source_url: `demo:bench-${i + 1}` })
        .execute();
  });
  const segmentMs = config.recording.segmentSeconds * 1000;
  const syncIntervalMs = config.recording.syncIntervalMs;

  await sleep(500);
  const idle = await cpuOver(Math.min(3000, req.windowMs));

  const recorders: CameraRecorder[] = [];
  const feeds: Feed[] = [];
  const steps: RecordStep[] = [];
  const fragmentPeriod = fixture.durationMs / fixture.fragments.length;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  for (const n of req.steps) {
    while (recorders.length < n) {
      const rec = new CameraRecorder({
        cameraId: cameraIds[recorders.length]!,
        root: ctx.recording.root,
        repo: ctx.recording.repo,
        clock: systemClock,
        segmentMs,
        syncIntervalMs,
        preRollMs: config.recording.preRollSeconds * 1000,
      });
      await rec.load();
      rec.setWanted(true, false);
      rec.onInit(fixture.init);
      recorders.push(rec);
      feeds.push(new Feed(looper, (f) => rec.onFragment(f), Math.random() * fragmentPeriod));
    }
    await sleep(req.settleMs);
    for (const f of feeds) f.maxLateMs = 0;
    const bytes0 = feeds.reduce((s, f) => s + f.bytes, 0);
    loop.reset();
    loop.enable();
    const t0 = performance.now();
    const cpu = await cpuOver(req.windowMs);
    const wallS = (performance.now() - t0) / 1000;
    loop.disable();
    const bytes = feeds.reduce((s, f) => s + f.bytes, 0) - bytes0;
    const step: RecordStep = {
      cameras: n,
      cores: cpu.user + cpu.system,
      userCores: cpu.user,
      systemCores: cpu.system,
      bitrateBps: (bytes * 8) / wallS / n,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      loopDelayMaxMs: loop.max / 1e6,
      maxLateMs: Math.max(...feeds.map((f) => f.maxLateMs)),
      rssBytes: process.memoryUsage().rss,
    };
    steps.push(step);
    if (step.cores > req.stopAboveCores) break;
  }
  for (const f of feeds) f.stop();
  const t0 = performance.now();
  await Promise.all(recorders.map((r) => r.close()));
  const closeMs = performance.now() - t0;
  const rows = await ctx.recording.repo.allSegments();
  const writeErrors = await db.kysely
    .selectFrom('recording_gaps')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('cause', '=', 'disk_full')
    .executeTakeFirstOrThrow();
  return {
    idleCores: idle.user + idle.system,
    fixture: {
      bitrateBps: fixture.bitrateBps,
      fragmentMs: fragmentPeriod,
      fps: fixture.fragments.reduce((n, f) => n + f.sampleCount, 0) / (fixture.durationMs / 1000),
      gopMs: fixture.durationMs / Math.max(1, fixture.keyframes),
      durationMs: fixture.durationMs,
    },
    steps,
    segmentMs,
    syncIntervalMs,
    segments: rows.length,
    segmentBytes: rows.reduce((s, r) => s + r.bytes, 0),
    recordedSeconds: rows.reduce((s, r) => s + (r.endMs - r.startMs), 0) / 1000,
    writeErrors: Number(writeErrors.n),
    closeMs,
  };
}

async function serve(): Promise<ServeResult> {
  if (!okno?.host) throw new Error('record first');
  const cameraId = cameraIds[0]!;
  const segs = (await okno.ctx.recording.repo.allSegments()).filter((s) => s.cameraId === cameraId);
  if (segs.length === 0) throw new Error('camera 0 recorded no segment');
  const inspector = await okno.db.kysely
    .selectFrom('persons')
    .select('id')
    .where('subject', '=', 'demo-inspector')
    .executeTakeFirstOrThrow();
  const s = await okno.session(inspector.id);
  return {
    host: okno.host,
    cookie: s.cookie,
    csrfToken: s.csrfToken,
    cameraId,
    fromMs: Math.min(...segs.map((x) => x.startMs)),
    toMs: Math.max(...segs.map((x) => x.endMs)),
    segments: segs.length,
  };
}

async function close(): Promise<void> {
  const o = okno;
  okno = undefined;
  await o?.close();
}

serveRequests(async (body) => {
  const req = body as RecordRequest | ServeRequest | CloseRequest;
  if (req.cmd === 'record') return record(req);
  if (req.cmd === 'serve') return serve();
  return close();
});

process.on('SIGTERM', () => void close().finally(() => process.exit(0)));
