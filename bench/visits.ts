/**
 * Office visits (issue 13): 500 workplaces recorded per visit on one process, visits opening and
 * closing all the time — the process's CPU and the start latency, from «Начать приём» (the service's
 * `open`, as the API route calls it) to the first recorded frame handed to write() in the visit's
 * segment file (the pre-roll's first keyframe; the page cache, synced within recording.syncIntervalMs).
 *
 * What is real: SQLite in a temp dir (WAL, as in production) with 500 office workplaces, their
 * cameras (policy manual) and employees; the VisitsService (authorisation, visit + manual-session +
 * audit rows in one transaction) and the RecordingService with its 1 s policy tick and one
 * CameraRecorder per camera, keeping a 6 s pre-roll buffer of every camera in memory and writing real
 * segment files and index rows.
 *
 * What is synthetic, and why: 500 ffmpeg ingests of real cameras do not fit two cores next to
 * anything else (the `ingest` benchmark measures ingest on its own). Each camera here is a looping
 * real H.264 clip (320×240, 25 fps, 1 s GOP, ~100 ms fragments as Okno's ingest makes them) handed
 * to the recorder as the camera's supervisor would, all cameras on one 100 ms timer. Its CPU is in
 * the figure (it stands in for the ingest's fragment hand-over).
 *
 * Time is compressed: each workplace opens a visit, keeps it open, closes it and waits, on a cycle
 * of `cycleMs` (default 15 s: four times the issue's one open/close per workplace per minute), the
 * workplaces spread evenly over the cycle. Post-roll is 0 so a closed visit's recording stops within
 * the tail margin and the next open starts a new segment.
 */
import { execFile } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { Fmp4Parser, type Fragment, type InitSegment } from '../src/media/fmp4.js';
import type { SupervisorEvents } from '../src/media/supervisor.js';
import { shiftDecodeTimesInPlace } from '../src/recording/fmp4-file.js';
import { RecordingService, type LiveSource } from '../src/recording/service.js';
import { SYSTEM_CONTEXT } from '../src/audit/audit-log.js';
import type { AuthenticatedSession } from '../src/identity/sessions.js';
import { systemClock } from '../src/shared/clock.js';
import { newId } from '../src/shared/ids.js';
import { migrateToLatest, openDatabase } from '../src/storage/db.js';
import { VisitsService } from '../src/visits/service.js';
import type { Figure } from './lib/report.js';
import { distribution, sleep, summarize } from './lib/stats.js';

const run = promisify(execFile);

export interface VisitsBenchOptions {
  workplaces: number;
  windowMs: number;
  cycleMs: number;
  openMs: number;
  ffmpegPath: string;
}

interface Clip {
  init: InitSegment;
  fragments: Fragment[];
  loopTicks: number;
}

async function makeClip(ffmpegPath: string): Promise<Clip> {
  const { stdout } = await run(
    ffmpegPath,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=25:duration=4',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-b:v',
      '300k',
      '-g',
      '25',
      '-bf',
      '0',
      '-f',
      'mp4',
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      '100000',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const items = new Fmp4Parser().push(stdout);
  const first = items[0];
  if (first?.type !== 'init') throw new Error('ffmpeg gave no init segment');
  const fragments = items.flatMap((i) => (i.type === 'fragment' ? [i.fragment] : []));
  return {
    init: first.init,
    fragments,
    loopTicks: fragments.reduce((n, f) => n + (f.durationTicks ?? 0), 0),
  };
}

/** Every camera's supervisor stand-in, fed from the clip on one timer while the camera is pinned. */
class SyntheticLive implements LiveSource {
  private readonly cams = new Map<
    string,
    {
      hub: { init: InitSegment | undefined };
      supervisor: EventEmitter<SupervisorEvents>;
      index: number;
      pins: number;
    }
  >();
  private readonly loops: Fragment[][];
  private readonly timer: NodeJS.Timeout;
  handedOver = 0;

  constructor(private readonly clip: Clip) {
    this.loops = [clip.fragments];
    this.timer = setInterval(() => this.step(), 100);
  }

  private at(index: number): Fragment {
    const n = this.clip.fragments.length;
    const loop = Math.floor(index / n);
    while (this.loops.length <= loop) {
      const k = this.loops.length;
      const shift = new Map(this.clip.init.tracks.map((t) => [t.trackId, k * this.clip.loopTicks]));
      this.loops.push(
        this.clip.fragments.map((f) => {
          const data = Buffer.from(f.data);
          shiftDecodeTimesInPlace(data, shift);
          return { ...f, data, decodeTime: (f.decodeTime ?? 0) + k * this.clip.loopTicks };
        }),
      );
    }
    return this.loops[loop]![index % n]!;
  }

  private step(): void {
    for (const c of this.cams.values()) {
      if (c.pins <= 0) continue;
      if (!c.hub.init) {
        c.hub.init = this.clip.init;
        c.supervisor.emit('init', this.clip.init);
      }
      c.supervisor.emit('fragment', this.at(c.index++));
      this.handedOver++;
    }
  }

  async pin(cameraId: string): Promise<() => void> {
    let c = this.cams.get(cameraId);
    if (!c) {
      c = { hub: { init: undefined }, supervisor: new EventEmitter(), index: 0, pins: 0 };
      this.cams.set(cameraId, c);
    }
    c.pins++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      c.pins--;
    };
  }

  get(cameraId: string) {
    return this.cams.get(cameraId);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** How long one fsync of a 4 KiB write takes on the recording disk (what every segment sync costs). */
function fsyncProbeMs(dir: string): number {
  const fd = openSync(path.join(dir, 'fsync-probe'), 'w');
  const t0 = performance.now();
  for (let i = 0; i < 30; i++) {
    writeSync(fd, Buffer.alloc(4096, i));
    fsyncSync(fd);
  }
  closeSync(fd);
  return (performance.now() - t0) / 30;
}

export async function benchVisits(
  o: VisitsBenchOptions,
  log: (l: string) => void = () => undefined,
): Promise<Figure[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'okno-bench-visits-'));
  const db = openDatabase({ sqlitePath: path.join(dir, 'okno.db') });
  const live = new SyntheticLive(await makeClip(o.ffmpegPath));
  let recording: RecordingService | undefined;
  let visits: VisitsService | undefined;
  try {
    await migrateToLatest(db);
    const k = db.kysely;
    const ts = new Date().toISOString();
    const stamp = { created_at: ts, updated_at: ts };
    const regionId = newId();
    const desks: { roomId: string; cameraId: string; session: AuthenticatedSession }[] = [];
    await k.transaction().execute(async (trx) => {
      await trx
        .insertInto('regions')
        .values({ id: regionId, name: 'Bench region', ...stamp })
        .execute();
      const perOffice = 20;
      let officeId = '';
      for (let i = 0; i < o.workplaces; i++) {
        if (i % perOffice === 0) {
          officeId = newId();
          await trx
            .insertInto('institutions')
            .values({
              id: officeId,
              region_id: regionId,
              kind: 'office',
              name: `Office ${i / perOffice + 1}`,
              time_zone: 'Europe/Moscow',
              free_pilot: 0,
              monthly_fee_minor: null,
              consent_required: 0,
              ...stamp,
            })
            .execute();
        }
        const roomId = newId();
        const cameraId = newId();
        const personId = newId();
        await trx
          .insertInto('rooms')
          .values({
            id: roomId,
            institution_id: officeId,
            kind: 'workplace',
            zone: 'common',
            name: `Desk ${i}`,
            ...stamp,
          })
          .execute();
        await trx
          .insertInto('cameras')
          .values({
            id: cameraId,
            room_id: roomId,
            name: `Desk camera ${i}`,
            source_url: `demo:desk-${i}`,
            source_username: null,
            source_password: null,
            rtsp_transport: 'tcp',
            enabled: 1,
            audio_allowed: 0,
            recording_policy: 'manual',
            ...stamp,
          })
          .execute();
        await trx
          .insertInto('persons')
          .values({
            id: personId,
            issuer: 'bench',
            subject: `employee-${i}`,
            display_name: `Employee ${i}`,
            email: null,
            phone: null,
            disabled: 0,
            ...stamp,
          })
          .execute();
        await trx
          .insertInto('role_bindings')
          .values({
            id: newId(),
            person_id: personId,
            role: 'employee',
            scope_kind: 'room',
            scope_id: roomId,
            created_at: ts,
          })
          .execute();
        desks.push({
          roomId,
          cameraId,
          session: {
            sessionId: newId(),
            csrfToken: 'x',
            person: { id: personId, issuer: 'bench', subject: `employee-${i}`, displayName: `Employee ${i}` },
            roles: [{ role: 'employee', scopeKind: 'room', scopeId: roomId }],
            createdAt: ts,
            expiresAt: ts,
            idTokenHint: null,
          },
        });
      }
    });
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: dir,
        logLevel: 'silent',
        'recording.enabled': true,
        'recording.minFreeBytes': 0,
        'recording.preRollSeconds': 6,
        'recording.postRollSeconds': 0,
        'visits.checkSeconds': 0,
      },
    });
    recording = new RecordingService({ db: k, live, clock: systemClock, config });
    await recording.start();
    visits = new VisitsService({
      db: k,
      clock: systemClock,
      config,
      recording,
      live: { state: () => 'live' },
    });
    const rec = recording;
    const svc = visits;

    // Every camera keeps its pre-roll: let the buffers fill, then measure the idle cost.
    await sleep(7000);
    const idle0 = process.cpuUsage();
    const idleT0 = performance.now();
    await sleep(Math.min(5000, o.windowMs / 4));
    const idleCpu = process.cpuUsage(idle0);
    const idleCores = (idleCpu.user + idleCpu.system) / 1000 / (performance.now() - idleT0);

    const latencies: number[] = [];
    const openMs: number[] = [];
    const closeMs: number[] = [];
    const failures: string[] = [];
    let opened = 0;
    let continuing = 0;
    let stop = false;
    const cycle = async (d: (typeof desks)[number], phaseMs: number) => {
      await sleep(phaseMs);
      while (!stop) {
        const cycleStart = performance.now();
        const r = rec.recorder(d.cameraId);
        const before = new Set((r?.unindexedSegments() ?? []).map((s) => s.id));
        const t0 = performance.now();
        const clickWall = Date.now();
        try {
          const v = await svc.open(d.session, d.roomId, { visitorCategory: 'citizen' }, SYSTEM_CONTEXT);
          openMs.push(performance.now() - t0);
          opened++;
          // The first fragment of the visit's new segment handed to write() (polled every 2 ms); or,
          // when the previous visit's recording had not stopped yet (its tail still running), the
          // first frame captured after the click written to the segment that goes on.
          for (;;) {
            const segs = rec.recorder(d.cameraId)?.unindexedSegments() ?? [];
            if (segs.some((s) => !before.has(s.id))) break;
            if (segs.some((s) => s.endMs >= clickWall)) {
              continuing++;
              break;
            }
            if (performance.now() - t0 > 10_000) {
              failures.push('no segment within 10 s');
              break;
            }
            await sleep(2);
          }
          latencies.push(performance.now() - t0);
          await sleep(Math.max(0, o.openMs - (performance.now() - cycleStart)));
          const c0 = performance.now();
          await svc.close(d.session, v.id, SYSTEM_CONTEXT);
          closeMs.push(performance.now() - c0);
        } catch (e) {
          failures.push(e instanceof Error ? e.message : String(e));
        }
        await sleep(Math.max(0, o.cycleMs - (performance.now() - cycleStart)));
      }
    };
    const fsyncMs = fsyncProbeMs(dir);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const handed0 = live.handedOver;
    const loops = desks.map((d, i) => cycle(d, (i / desks.length) * o.cycleMs));
    await sleep(o.windowMs);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - t0;
    loopDelay.disable();
    stop = true;
    await Promise.all(loops);
    const cores = (cpu.user + cpu.system) / 1000 / wallMs;
    const lat = distribution(latencies);
    const open = distribution(openMs);
    const close = distribution(closeMs);
    const fragmentsPerS = ((live.handedOver - handed0) / wallMs) * 1000;
    log(
      `  ${opened} visits opened in ${(wallMs / 1000).toFixed(0)} s; ${failures.length} failures${failures.length ? ` (${failures[0]})` : ''}`,
    );
    const over = `${o.workplaces} workplaces, a visit each every ${o.cycleMs / 1000} s, ${(wallMs / 1000).toFixed(0)} s window`;
    return [
      {
        id: 'visits.startLatency',
        title: 'click → first recorded frame of the visit on disk',
        unit: 'ms',
        summary: lat,
        over: `${lat.n} visits; ${over}`,
        extra: { p90: lat.p90, p99: lat.p99, failures: failures.length, continuing },
        goal: { on: 'p99', op: '<=', value: 1000 },
        notes: [
          'from VisitsService.open() (authorisation, visit + manual session + audit in one transaction, recorder tick) to the pre-roll’s first fragment written',
        ],
      },
      {
        id: 'visits.cpu',
        title: 'CPU of the process with visits toggling',
        unit: 'cores',
        summary: summarize([cores]),
        over,
        extra: {
          idleCores,
          visitsPerSecond: (opened / wallMs) * 1000,
          fragmentsPerSecond: fragmentsPerS,
          loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
          loopDelayMaxMs: loopDelay.max / 1e6,
          fsyncMs,
        },
        notes: [
          `idle (every camera buffering its pre-roll, no visits): ${idleCores.toFixed(2)} cores`,
          'synthetic cameras: a looping 320×240 H.264 clip, ~100 ms fragments, one timer for all',
          `one fsync on the recording disk: ${fsyncMs.toFixed(1)} ms — every recording segment is fdatasync-ed every 0.5 s through libuv's 4-thread pool, which the first write of a visit's segment queues behind`,
        ],
      },
      {
        id: 'visits.openMs',
        title: 'open a visit (service call)',
        unit: 'ms',
        summary: open,
        over: `${open.n} opens`,
        extra: { p99: open.p99 },
      },
      {
        id: 'visits.closeMs',
        title: 'close a visit (service call)',
        unit: 'ms',
        summary: close,
        over: `${close.n} closes`,
        extra: { p99: close.p99 },
      },
    ];
  } finally {
    live.close();
    await visits?.stop();
    await recording?.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
