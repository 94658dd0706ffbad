/**
 * Grant decisions with their audit writes: GrantService.requestLive called directly (no HTTP), on the
 * real migrations and the demo seed plus bench parents, with a fixed mix of allows and denials:
 *
 *   40 %  a parent in «Пчёлки» asks for its camera              allow (guardian; token signed, stream row)
 *   10 %  the kindergarten administrator, same camera           allow (staff)
 *   10 %  Анна asks for another group's camera                  deny  not_enrolled      (404)
 *   10 %  Анна asks for the bedroom camera                      deny  zone_restricted   (404)
 *   10 %  Пётр (other kindergarten) asks for «Пчёлки»           deny  not_enrolled      (404)
 *   10 %  Анна, who holds 2 open streams, asks again            deny  stream_limit      (403)
 *   10 %  the administrator asks for the other kindergarten     deny  no_role           (404)
 *
 * Every decision appends one hash-chained audit entry in its transaction; the count of audit entries is
 * checked against the count of decisions. Each bench parent has a child of their own in the group and
 * is used at most twice (the default cap of 2 open streams), so guardian requests really are allowed.
 */
import { AppError } from '../src/shared/errors.js';
import { StreamSessionsRepository } from '../src/storage/repositories/stream-sessions.js';
import { startOkno, type Okno, type Session } from './lib/okno.js';
import type { Figure } from './lib/report.js';
import { distribution, summarize } from './lib/stats.js';

export interface GrantOptions {
  requests: number;
  repetitions: number;
  concurrency: number[];
  warmup: number;
}

type Kind = 'allow' | 'deny';

interface Rep {
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  allows: number;
}

export async function benchGrants(database: 'sqlite' | 'postgres', opts: GrantOptions): Promise<Figure[]> {
  const okno = await startOkno({ database });
  let renewer: NodeJS.Timeout | undefined;
  try {
    const total = opts.warmup + opts.requests * opts.repetitions * opts.concurrency.length;
    const parentIds = await okno.addParents(Math.ceil((total * 0.4) / 2) + 16);
    const parents: Session[] = [];
    for (const id of parentIds) parents.push(await okno.session(id));
    const anna = await okno.session(okno.ids.people.anna);
    const petr = await okno.session(okno.ids.people.petr);
    const staff = await okno.session(okno.ids.people.kgAdmin);
    const { bees, stars, beesBedroom, daisies } = okno.ids.cameras;
    // Анна watches 2 streams (granted and started, as a connected player would): the default cap.
    const streams = new StreamSessionsRepository(okno.db.kysely);
    const annaStreams: string[] = [];
    for (let i = 0; i < 2; i++) {
      const g = await okno.grant(anna, bees);
      await streams.started(g.streamId, new Date().toISOString(), 'ws');
      annaStreams.push(g.streamId);
    }
    // …and renews them as her player would (grants live ≤ 60 s; a slow run outlasts them).
    const viewer = { personId: anna.personId, sessionId: anna.sessionId };
    renewer = setInterval(() => {
      for (const id of annaStreams) okno.ctx.live.grants.renew(viewer, id, anna.audit).catch(() => undefined);
    }, 20_000);
    renewer.unref();

    let parentUses = 0;
    const request = (i: number): { session: Session; cameraId: string; expect: Kind } => {
      switch (i % 10) {
        case 0:
        case 1:
        case 2:
        case 3:
          return { session: parents[Math.floor(parentUses++ / 2)]!, cameraId: bees, expect: 'allow' };
        case 4:
          return { session: staff, cameraId: bees, expect: 'allow' };
        case 5:
          return { session: anna, cameraId: stars, expect: 'deny' };
        case 6:
          return { session: anna, cameraId: beesBedroom, expect: 'deny' };
        case 7:
          return { session: petr, cameraId: bees, expect: 'deny' };
        case 8:
          return { session: anna, cameraId: bees, expect: 'deny' };
        default:
          return { session: staff, cameraId: daisies, expect: 'deny' };
      }
    };

    let next = 0;
    const auditBefore = await auditCount(okno);
    await runBatch(okno, request, () => next++, opts.warmup, 1);
    const figures: Figure[] = [];
    const db = database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    for (const concurrency of opts.concurrency) {
      const reps: Rep[] = [];
      for (let r = 0; r < opts.repetitions; r++)
        reps.push(await runBatch(okno, request, () => next++, opts.requests, concurrency));
      const mode = concurrency === 1 ? 'sequential' : `concurrency ${concurrency}`;
      const over = `${opts.repetitions} runs of ${opts.requests} decisions`;
      const allowShare = reps.reduce((a, r) => a + r.allows, 0) / (opts.requests * reps.length);
      const key = `grants.${database}.${concurrency === 1 ? 'seq' : `c${concurrency}`}`;
      figures.push(
        {
          id: `${key}.throughput`,
          title: `grant decisions + audit, ${db}, ${mode}`,
          unit: '/s',
          summary: summarize(reps.map((r) => r.perSecond)),
          over,
          extra: { 'allowed share': allowShare },
          ...(database === 'sqlite' ? { goal: { on: 'median', op: '>=', value: 2000 } as const } : {}),
        },
        {
          id: `${key}.p99`,
          title: `grant decision p99 latency, ${db}, ${mode}`,
          unit: 'ms',
          summary: summarize(reps.map((r) => r.p99)),
          over,
          extra: {
            'p50 median': summarize(reps.map((r) => r.p50)).median,
            'max of runs': Math.max(...reps.map((r) => r.max)),
          },
          ...(database === 'sqlite' ? { goal: { on: 'median', op: '<=', value: 10 } as const } : {}),
        },
      );
    }
    const written = (await auditCount(okno)) - auditBefore;
    if (written !== next)
      throw new Error(`expected ${next} audit entries for ${next} decisions, found ${written}`);
    const first = figures[0];
    if (first)
      first.notes = [
        `GrantService.requestLive in-process; ${okno.db.description.replace(/schema \S+/, 'fresh schema')}; 50 % allow / 50 % deny; ${written} audit entries written for ${next} decisions (checked)`,
      ];
    return figures;
  } finally {
    clearInterval(renewer);
    await okno.close();
  }
}

async function runBatch(
  okno: Okno,
  request: (i: number) => { session: Session; cameraId: string; expect: Kind },
  take: () => number,
  count: number,
  concurrency: number,
): Promise<Rep> {
  const latencies: number[] = [];
  let allows = 0;
  let done = 0;
  const worker = async () => {
    while (done < count) {
      done++;
      const { session, cameraId, expect } = request(take());
      const t0 = performance.now();
      let got: Kind;
      try {
        await okno.grant(session, cameraId);
        got = 'allow';
      } catch (err) {
        if (!(err instanceof AppError) || (err.code !== 'not_found' && err.code !== 'forbidden')) throw err;
        got = 'deny';
      }
      latencies.push(performance.now() - t0);
      if (got === 'allow') allows++;
      if (got !== expect)
        throw new Error(`request for ${cameraId} by ${session.subject}: expected ${expect}, got ${got}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - t0;
  const d = distribution(latencies);
  return { perSecond: (latencies.length * 1000) / wallMs, p50: d.p50, p99: d.p99, max: d.max, allows };
}

async function auditCount(okno: Okno): Promise<number> {
  const r = await okno.db.kysely
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('action', '=', 'grant.live')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
