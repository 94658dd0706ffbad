/**
 * Fan-out capacity: how many viewers of one 4 Mbit/s camera one Okno process serves with at most one
 * core and no drops, next to a bare fan-out of the same bytes over plain sockets in the same run.
 *
 * Okno: the real app on 127.0.0.1. The demo camera is acquired through the camera manager, its ffmpeg
 * is stopped at once, and the recorded 4 Mbit/s fixture is replayed in real time as the supervisor's
 * own 'init'/'fragment' events, so the camera manager's wiring (live hub + HLS window) runs exactly as
 * with ffmpeg. Viewers open the real WebSocket endpoint with real grants.
 * Bare: a minimal net server in this process writing each fragment to every socket.
 * Viewers of both live in a child process (their CPU is not counted); this process's CPU is measured
 * with process.cpuUsage() (user + system, so the kernel's socket copies are included).
 *
 * Revocation is on, as in production: the live registry subscribes to access events, checks its
 * deadlines every second and runs its full sweep at the default period; during the windows an access
 * event about one viewer's person is published every second (each re-checks that viewer's stream
 * against the database). The cost of a full sweep (the safety net, once a minute) is measured
 * separately, as µs per open stream per pass. `fanout.*.perCoreAt500` and `fanout.ratioAt500` are the
 * issue-10 figures: viewers per core at 500 viewers, Okno with revocation on against the bare fan-out.
 * Okno runs with its default settings, so from 256 viewers the camera's fragments go out in pairs
 * (merged writes, docs/design/live-streams.md); a second, shorter run of a fresh app at 500 viewers
 * with merged writes off gives `fanout.okno.perCoreAt500.unmerged`, what that trade buys.
 */
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { forkChild, type Child } from './lib/child.js';
import type { Counts, FanoutRequest, OpenResult } from './clients/fanout-viewers.js';
import { replay, type Fixture } from './lib/fixture.js';
import { startOkno, type Okno } from './lib/okno.js';
import { accessChanged } from '../src/streams/access-events.js';
import { cpuWindow, procCpuMs, selfCpuMs } from './lib/proc.js';
import type { Figure } from './lib/report.js';
import { fmt, sleep, summarize, waitFor } from './lib/stats.js';

export interface FanoutOptions {
  steps: number[];
  windows: number;
  /** Windows at the 500-viewer step, whose per-core figure is the issue-10 goal. */
  windowsAt500: number;
  windowMs: number;
  warmupMs: number;
  /** Stop stepping up (per server kind) once this much time has been spent. */
  budgetMs: number;
  log: (line: string) => void;
}

const MAX_CORES = 1;

export interface StepResult {
  viewers: number;
  /** Median over the windows. */
  cores: number;
  windowCores: number[];
  coresMin: number;
  coresMax: number;
  drops: number;
  viewersWithDrops: number;
  /** Viewers that received fewer fragments than were published in a window (beyond in-flight ones). */
  lagging: number;
  clientCores: number;
  loopP99Ms: number;
  deliveredMbitPerViewer: number;
  pass: boolean;
  /** Failed with lagging viewers while the viewer process was near a full core: the rig's limit. */
  viewerLimited: boolean;
}

interface Server {
  kind: 'okno' | 'bare';
  /** Adds viewers until there are `n`. */
  grow(n: number): Promise<void>;
  published(): number;
  drops(): { total: number; viewersWithDrops: number };
}

export async function benchFanout(fixture: Fixture, opts: FanoutOptions): Promise<Figure[]> {
  const child = forkChild(new URL('./clients/fanout-viewers.ts', import.meta.url));
  try {
    const okno = await runOkno(fixture, child, opts);
    // The same app with merged writes off (every fragment its own write), at 500 viewers only: what the
    // crowded-camera trade buys (docs/design/live-streams.md, "Merged writes").
    opts.log('    okno, merged writes off:');
    const unmerged = await runOkno(
      fixture,
      child,
      { ...opts, steps: [500] },
      { 'cameras.mergeWritesFromViewers': 0 },
    );
    const bare = await runBare(fixture, child, opts);
    return figures(fixture, okno, bare, opts, unmerged);
  } finally {
    await child.request({ op: 'closeAll' } satisfies FanoutRequest).catch(() => undefined);
    await child.close();
  }
}

async function runOkno(
  fixture: Fixture,
  child: Child,
  opts: FanoutOptions,
  overrides?: Record<string, unknown>,
): Promise<Stepped & { recheck: RecheckCost | undefined }> {
  const okno = await startOkno({
    database: 'sqlite',
    listen: true,
    cameraOptions: { idleStopMs: 3_600_000 },
    ...(overrides ? { overrides } : {}),
  });
  let stopReplay: (() => void) | undefined;
  const personIds: string[] = [];
  // Facts keep changing while people watch: one access event about one viewer's person a second.
  let churnAt = 0;
  // And players renew their grants (every 40 s): as their renewals would, every 10 s the grants are
  // extended in the registry and in their rows, so that none lapses while measured.
  const streamIds: string[] = [];
  let ticks = 0;
  const churn = setInterval(() => {
    if (personIds.length === 0) return;
    accessChanged({ kind: 'person', ids: [personIds[churnAt++ % personIds.length]!] });
    if (++ticks % 10 === 0) void renewAll(okno, streamIds);
  }, 1000);
  try {
    const cameraId = okno.ids.cameras.bees;
    const cam = await okno.ctx.live.cameras.acquire(cameraId);
    await cam.supervisor.stop('bench: replaying a recorded 4 Mbit/s camera instead');
    cam.supervisor.emit('init', fixture.init);
    stopReplay = replay(fixture, (f) => cam.supervisor.emit('fragment', f));
    const port = Number(okno.host!.split(':')[1]);
    const server: Server = {
      kind: 'okno',
      grow: async (n) => {
        // Each viewer a different parent (own session, own child in the group, one grant), as in life:
        // per-person work such as the stream cap count then costs what it costs for a family.
        const tickets = await okno.parentViewers(n - streamIds.length);
        streamIds.push(...tickets.map((t) => t.streamId));
        const rows = await okno.db.kysely
          .selectFrom('stream_sessions')
          .select('person_id')
          .where(
            'id',
            'in',
            tickets.map((t) => t.streamId),
          )
          .execute();
        personIds.push(...rows.map((r) => r.person_id));
        const viewers = tickets.map((t) => ({ path: t.wsPath, cookie: t.cookie }));
        await open(child, { op: 'open', kind: 'ws', port, viewers });
        await waitFor(() => cam.hub.viewerCount >= n, `${n} viewers in the hub`, 60_000);
        // Each new viewer's stream start is written (stream row + audit entry) after it joins the
        // hub: wait until all are, so that no connection work is left for the measured windows.
        await waitFor(async () => (await streamStarts(okno)) >= n, `${n} stream.start entries`, 120_000, 200);
      },
      published: () => cam.hub.stats().publishedFragments,
      drops: () => {
        const v = cam.hub.viewerStats();
        return { total: cam.hub.stats().drops, viewersWithDrops: v.filter((s) => s.drops > 0).length };
      },
    };
    const events0 = okno.ctx.live.registry.stats.events;
    const rechecks0 = okno.ctx.live.registry.stats.rechecks;
    const { steps, stopped } = await stepUp(server, child, opts);
    opts.log(
      `    okno: ${okno.ctx.live.registry.stats.events - events0} access events, ` +
        `${okno.ctx.live.registry.stats.rechecks - rechecks0} re-checks while stepping up`,
    );
    // The replay stops first, so that the re-check pass is all this process does while measured.
    stopReplay();
    stopReplay = undefined;
    await sleep(300);
    let t = performance.now();
    const recheck = overrides ? undefined : await recheckCost(okno, streamIds);
    if (recheck) opts.log(`    okno: re-check cost measured in ${seconds(t)}`);
    t = performance.now();
    await child.request({ op: 'closeAll' } satisfies FanoutRequest);
    await waitFor(() => cam.hub.viewerCount === 0, 'viewers to leave', 60_000);
    opts.log(`    okno: ${streamIds.length} viewers left in ${seconds(t)}`);
    return { steps, stopped, recheck };
  } finally {
    clearInterval(churn);
    stopReplay?.();
    const t = performance.now();
    await okno.close();
    opts.log(`    okno: app closed in ${seconds(t)}`);
  }
}

/**
 * One pass of the live registry's re-check over every open stream (session still active, policy
 * still allows: what runs every 2 s by default), timed in this process. Grants are extended first,
 * as their renewals would have, so the pass re-checks rather than expires them.
 */
async function recheckCost(okno: Okno, streamIds: string[]): Promise<RecheckCost | undefined> {
  const registry = okno.ctx.live.registry;
  if (registry.size === 0) return undefined;
  const until = Date.now() + 60_000;
  for (const id of streamIds) registry.extend(id, until);
  const perStream: number[] = [];
  const passMs: number[] = [];
  const stallMs: number[] = [];
  for (let i = 0; i < 2; i++) {
    const n = registry.size;
    // The longest gap between ticks of a 1 ms timer while the pass runs: how long the loop stalls.
    let last = performance.now();
    let longest = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    const cpu0 = selfCpuMs();
    const t0 = performance.now();
    await registry.sweep();
    const t1 = performance.now();
    perStream.push(((selfCpuMs() - cpu0) * 1000) / n);
    clearInterval(ticker);
    passMs.push(t1 - t0);
    stallMs.push(Math.max(longest, t1 - last));
  }
  return {
    usPerStream: summarize(perStream).median,
    passMs: summarize(passMs).median,
    stallMs: summarize(stallMs).median,
    streams: registry.size,
  };
}

interface RecheckCost {
  usPerStream: number;
  passMs: number;
  stallMs: number;
  streams: number;
}

async function runBare(fixture: Fixture, child: Child, opts: FanoutOptions): Promise<Stepped> {
  const sockets = new Set<net.Socket>();
  let published = 0;
  const srv = net.createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    socket.write(fixture.init.data);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  const stopReplay = replay(fixture, (f) => {
    published++;
    for (const s of sockets) s.write(f.data);
  });
  try {
    let connected = 0;
    const server: Server = {
      kind: 'bare',
      grow: async (n) => {
        await open(child, { op: 'open', kind: 'tcp', port, count: n - connected });
        connected = n;
        await waitFor(() => sockets.size >= n, `${n} bare sockets`, 60_000);
      },
      published: () => published,
      drops: () => ({ total: 0, viewersWithDrops: 0 }),
    };
    const stepped = await stepUp(server, child, opts);
    await child.request({ op: 'closeAll' } satisfies FanoutRequest);
    return stepped;
  } finally {
    stopReplay();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function renewAll(okno: Okno, streamIds: string[]): Promise<void> {
  const until = Date.now() + 60_000;
  for (const id of streamIds) okno.ctx.live.registry.extend(id, until);
  for (let i = 0; i < streamIds.length; i += 500)
    await okno.db.kysely
      .updateTable('stream_sessions')
      .set({ grant_expires_at: new Date(until).toISOString() })
      .where('id', 'in', streamIds.slice(i, i + 500))
      .execute();
}

async function streamStarts(okno: Okno): Promise<number> {
  const r = await okno.db.kysely
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('action', '=', 'stream.start')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function open(child: Child, req: FanoutRequest): Promise<void> {
  const r = await child.request<OpenResult>(req, 240_000);
  if (r.failed > 0) throw new Error(`${r.failed} viewers could not connect: ${r.firstError}`);
}

interface Stepped {
  steps: StepResult[];
  /** Why stepping up ended before the end of the step list, if it did. */
  stopped: string | undefined;
}

async function stepUp(server: Server, child: Child, opts: FanoutOptions): Promise<Stepped> {
  const started = performance.now();
  const results: StepResult[] = [];
  for (const n of opts.steps) {
    if (results.length > 0 && performance.now() - started > opts.budgetMs) {
      const stopped = `time budget spent, stopped before ${n} viewers`;
      opts.log(`    ${server.kind}: ${stopped}`);
      return { steps: results, stopped };
    }
    const t = performance.now();
    try {
      await server.grow(n);
      opts.log(`    ${server.kind}: ${n} viewers connected in ${seconds(t)}`);
    } catch (err) {
      // On this rig the viewers' process gives out first: report what was measured up to here.
      const stopped = `could not connect ${n} viewers (${err instanceof Error ? err.message : String(err)})`;
      opts.log(`    ${server.kind}: ${stopped}`);
      return { steps: results, stopped };
    }
    await sleep(opts.warmupMs);
    const r = await measureStep(server, child, n, opts);
    results.push(r);
    opts.log(
      `    ${server.kind.padEnd(4)} ${String(n).padStart(5)} viewers: ${fmt(r.cores)} cores ` +
        `(${fmt(r.coresMin)}–${fmt(r.coresMax)}), drops ${r.drops}, lagging ${r.lagging}, ` +
        `viewer process ${fmt(r.clientCores)} cores, loop p99 ${fmt(r.loopP99Ms)} ms → ${r.pass ? 'ok' : 'over'}`,
    );
    if (!r.pass) break;
  }
  return { steps: results, stopped: undefined };
}

async function measureStep(
  server: Server,
  child: Child,
  n: number,
  opts: FanoutOptions,
): Promise<StepResult> {
  const cores: number[] = [];
  const clientCores: number[] = [];
  let lagging = 0;
  let loopP99 = 0;
  let delivered = 0;
  let deliveredMs = 0;
  const drops0 = server.drops().total;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const windows = n === 500 ? opts.windowsAt500 : opts.windows;
  for (let w = 0; w < windows; w++) {
    const c0 = await child.request<Counts>({ op: 'counts' } satisfies FanoutRequest);
    const p0 = server.published();
    const client0 = procCpuMs(child.pid) ?? 0;
    const t0 = performance.now();
    const cpu = cpuWindow();
    loop.reset();
    loop.enable();
    await sleep(opts.windowMs);
    const m = cpu();
    loop.disable();
    const p1 = server.published();
    const client1 = procCpuMs(child.pid) ?? 0;
    const c1 = await child.request<Counts>({ op: 'counts' } satisfies FanoutRequest);
    const wallMs = performance.now() - t0;
    cores.push(m.cores);
    clientCores.push((client1 - client0) / wallMs);
    loopP99 = Math.max(loopP99, loop.percentile(99) / 1e6);
    const expected = p1 - p0;
    // The two snapshots of the viewers' counters are a round trip away from the published counts:
    // allow for the fragments of ~0.3 s in flight.
    const tolerance = 4;
    for (let i = 0; i < n; i++) {
      const got = (c1.fragments[i] ?? 0) - (c0.fragments[i] ?? 0);
      if (got < expected - tolerance) lagging++;
      delivered += (c1.bytes[i] ?? 0) - (c0.bytes[i] ?? 0);
    }
    deliveredMs += wallMs;
    if (c1.ended > 0) throw new Error(`${c1.ended} viewers were disconnected: ${c1.texts.join(' ')}`);
  }
  const d = server.drops();
  const s = summarize(cores);
  const drops = d.total - drops0;
  return {
    viewers: n,
    cores: s.median,
    windowCores: cores,
    coresMin: s.min,
    coresMax: s.max,
    drops,
    viewersWithDrops: d.viewersWithDrops,
    lagging,
    clientCores: summarize(clientCores).median,
    loopP99Ms: loopP99,
    deliveredMbitPerViewer: (delivered * 8) / (deliveredMs / 1000) / n / 1e6,
    pass: s.median <= MAX_CORES && drops === 0 && lagging === 0,
    viewerLimited: lagging > 0 && summarize(clientCores).median >= 0.85,
  };
}

function capacity(steps: StepResult[]): { measured: number; perCore: number; atCap: boolean } {
  const passing = steps.filter((s) => s.pass);
  const best = passing[passing.length - 1];
  if (!best) return { measured: 0, perCore: NaN, atCap: false };
  return {
    measured: best.viewers,
    // Linear projection from the largest passing step (fixed costs included, so slightly low).
    perCore: best.viewers / best.cores,
    atCap: steps.length === passing.length,
  };
}

function figures(
  fixture: Fixture,
  okno: Stepped & { recheck: RecheckCost | undefined },
  bare: Stepped,
  opts: FanoutOptions,
  unmerged: Stepped,
): Figure[] {
  const co = capacity(okno.steps);
  const cb = capacity(bare.steps);
  const stepExtra = (steps: StepResult[]) =>
    Object.fromEntries(steps.map((s) => [`cores@${s.viewers}`, s.cores]));
  const window = `${opts.windows}×${opts.windowMs / 1000} s per step (${opts.windowsAt500} at 500)`;
  const common = okno.steps
    .filter((s) => s.pass)
    .map((s) => s.viewers)
    .filter((n) => bare.steps.some((b) => b.viewers === n && b.pass));
  const atN = common[common.length - 1];
  const oAt = okno.steps.find((s) => s.viewers === atN);
  const bAt = bare.steps.find((s) => s.viewers === atN);
  const ratioMeasured = cb.measured > 0 ? co.measured / cb.measured : NaN;
  // Per-window CPU ratios at the largest viewer count both passed: viewers per core, Okno ÷ bare.
  const ratios = oAt && bAt ? oAt.windowCores.map((c, i) => (bAt.windowCores[i] ?? bAt.cores) / c) : [];
  const source = `fixture ${fmt(fixture.bitrateBps / 1e6)} Mbit/s, ${fixture.fragments.length} fragments of ~${fmt(fixture.durationMs / fixture.fragments.length)} ms, replayed in real time`;
  const last = okno.steps[okno.steps.length - 1];
  const out: Figure[] = [
    {
      id: 'fanout.okno.viewers',
      title: 'fan-out: viewers served by Okno within 1 core, no drops',
      unit: 'viewers',
      summary: { n: 1, min: co.measured, median: co.measured, max: co.measured },
      over: `largest passing step of ${opts.steps.join('/')}; ${window}`,
      extra: {
        'projected per core': co.perCore,
        ...stepExtra(okno.steps),
        ...(last ? { 'drops at last step': last.drops, 'viewers with drops': last.viewersWithDrops } : {}),
      },
      goal: { on: 'median', op: '>=', value: 1000 },
      notes: [
        source,
        'real app, real grants, WebSocket endpoint; viewers in a child process; CPU = process.cpuUsage() (user+system) of the Okno process',
        ...(co.atCap
          ? ['every step passed: the capacity is at least the last step (time budget / step list)']
          : []),
        ...okno.steps.map(
          (s) =>
            `${s.viewers} viewers: ${fmt(s.cores)} cores (${fmt(s.coresMin)}–${fmt(s.coresMax)}), drops ${s.drops}, lagging ${s.lagging}, ${fmt(s.deliveredMbitPerViewer)} Mbit/s per viewer, viewer process ${fmt(s.clientCores)} cores, event-loop p99 ${fmt(s.loopP99Ms)} ms`,
        ),
      ],
    },
    {
      id: 'fanout.bare.viewers',
      title: 'fan-out: viewers served by a bare net server within 1 core',
      unit: 'viewers',
      summary: { n: 1, min: cb.measured, median: cb.measured, max: cb.measured },
      over: `same steps, same run; ${window}`,
      extra: { 'projected per core': cb.perCore, ...stepExtra(bare.steps) },
      notes: [
        'socket.write(fragment) to every socket, no framing, no queues, no grants',
        ...(cb.atCap ? ['every step measured passed: the capacity is at least the last one'] : []),
        ...(bare.stopped ? [`stepping up ended: ${bare.stopped}`] : []),
        ...bare.steps.map(
          (s) =>
            `${s.viewers} viewers: ${fmt(s.cores)} cores (${fmt(s.coresMin)}–${fmt(s.coresMax)}), lagging ${s.lagging}, viewer process ${fmt(s.clientCores)} cores`,
        ),
      ],
    },
    {
      id: 'fanout.ratio',
      title: 'fan-out: Okno / bare, viewers per core',
      unit: '×',
      summary: summarize(ratios),
      over:
        atN !== undefined
          ? `bare CPU ÷ Okno CPU at ${atN} viewers, per window`
          : 'no viewer count passed by both',
      extra: { 'measured capacity ratio': ratioMeasured },
      goal: { on: 'median', op: '>=', value: 0.8 },
      notes: [
        'the ratio of the capacities themselves is only as fine as the step list (both may pass every step): the CPU ratio at the same viewer count is the finer measure',
      ],
    },
  ];
  out.push(...perCoreAt(500, okno.steps, bare.steps, window));
  const u = unmerged.steps.find((s) => s.viewers === 500);
  if (u)
    out.push({
      id: 'fanout.okno.perCoreAt500.unmerged',
      title: 'fan-out: Okno viewers per core at 500 viewers, merged writes off',
      unit: 'viewers/core',
      summary: summarize(u.windowCores.map((c) => 500 / c)),
      over: `500 ÷ cores per window; ${window}; same run, a fresh app`,
      extra: { drops: u.drops, lagging: u.lagging },
      notes: ['cameras.mergeWritesFromViewers = 0: every fragment its own socket write, the lowest latency'],
    });
  if (okno.recheck) {
    const r = okno.recheck;
    out.push({
      id: 'recheck.cost',
      title: 'live registry full sweep (safety net), CPU per open stream per pass',
      unit: 'µs',
      summary: { n: 1, min: r.usPerStream, median: r.usPerStream, max: r.usPerStream },
      over: `median of 2 passes over ${r.streams} open streams`,
      extra: {
        'cores at 1,000 viewers, one pass / 60 s': (r.usPerStream * 1000) / 1e6 / 60,
        [`pass over ${r.streams} streams, ms`]: r.passMs,
        'longest event-loop stall during a pass, ms': r.stallMs,
      },
      notes: [
        'the full sweep runs once a minute (access events and clock deadlines re-check the touched streams in between); the pass yields to the event loop between streams',
      ],
    });
  }
  return out;
}

/** Viewers per core at `n` viewers (n ÷ cores, per window), Okno and bare, and their ratio. */
function perCoreAt(n: number, okno: StepResult[], bare: StepResult[], window: string): Figure[] {
  const o = okno.find((s) => s.viewers === n);
  const b = bare.find((s) => s.viewers === n);
  if (!o || !b) return [];
  const oPer = o.windowCores.map((c) => n / c);
  const bPer = b.windowCores.map((c) => n / c);
  return [
    {
      id: `fanout.okno.perCoreAt${n}`,
      title: `fan-out: Okno viewers per core at ${n} viewers, revocation on`,
      unit: 'viewers/core',
      summary: summarize(oPer),
      over: `${n} ÷ cores per window; ${window}`,
      extra: { drops: o.drops, lagging: o.lagging },
      goal: { on: 'median', op: '>=', value: 5000 },
      notes: [
        'WebSocket path, real grants, access events (one a second), deadline tick and full sweep on, as in production',
        'default settings: from 256 viewers the camera writes its fragments in pairs (merged writes, ≤ 0.1 s more latency)',
      ],
    },
    {
      id: `fanout.bare.perCoreAt${n}`,
      title: `fan-out: bare net server viewers per core at ${n} viewers (reference)`,
      unit: 'viewers/core',
      summary: summarize(bPer),
      over: `${n} ÷ cores per window; same run`,
    },
    {
      id: `fanout.ratioAt${n}`,
      title: `fan-out: Okno / bare viewers per core at ${n} viewers`,
      unit: '×',
      summary: summarize(oPer.map((v, i) => v / (bPer[i] ?? bPer[0]!))),
      over: 'per window',
    },
  ];
}
