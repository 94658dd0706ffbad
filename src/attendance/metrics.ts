/** The intake's Prometheus counters, on the app's registry (src/server/metrics.ts). */
import client from 'prom-client';

export type IntakeVia = 'http' | 'mqtt';

export interface IntakeMetrics {
  /** events by outcome: accepted (new), duplicate (already stored), rejected (per-event problem) */
  events: client.Counter<'via' | 'outcome'>;
  /** whole requests or messages refused before anything was stored, by reason */
  refused: client.Counter<'via' | 'reason'>;
}

export function createIntakeMetrics(registry: client.Registry): IntakeMetrics {
  return {
    events: new client.Counter({
      name: 'okno_attendance_events_total',
      help: 'door events received from analytics devices, by outcome',
      labelNames: ['via', 'outcome'],
      registers: [registry],
    }),
    refused: new client.Counter({
      name: 'okno_attendance_refused_total',
      help: 'analytics requests or messages refused whole (unsigned, bad signature, stale, malformed), by reason',
      labelNames: ['via', 'reason'],
      registers: [registry],
    }),
  };
}
