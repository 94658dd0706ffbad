/** Prometheus metrics (prom-client), one registry per app so tests do not share counters. */
import client from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../storage/db.js';

export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Counter<'method' | 'route' | 'status'>;
  httpDuration: client.Histogram<'method' | 'route'>;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'okno_' });
  return {
    registry,
    httpRequests: new client.Counter({
      name: 'okno_http_requests_total',
      help: 'HTTP requests answered',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: 'okno_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

export function registerMetrics(app: FastifyInstance, m: Metrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    m.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    m.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', m.registry.contentType);
    return m.registry.metrics();
  });
}

/** The SQLite background checkpoints: a growing failure count means the WAL is left to the backstop. */
export function registerDatabaseMetrics(m: Metrics, db: Db): void {
  const stats = db.checkpoints;
  if (!stats) return;
  const gauges: [name: string, help: string, value: () => number][] = [
    ['okno_sqlite_checkpoint_runs', 'background WAL checkpoints run since start', () => stats.runs],
    [
      'okno_sqlite_checkpoint_failures',
      'background WAL checkpoints that failed since start',
      () => stats.failures,
    ],
    [
      'okno_sqlite_wal_frames',
      'frames in the WAL at the last background checkpoint',
      () => stats.lastLogFrames,
    ],
  ];
  for (const [name, help, value] of gauges)
    new client.Gauge({
      name,
      help,
      registers: [m.registry],
      collect() {
        this.set(value());
      },
    });
}
