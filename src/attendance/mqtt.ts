/**
 * The MQTT intake: analytics devices (or an analytics box) publish signed event batches to the broker,
 * and this subscriber feeds them through the same checks as HTTP (intake.ts).
 *
 *   topic    okno/attendance/<deviceId>/events        (QoS 1)
 *   payload  {"timestamp": <unix seconds>, "signature": "v1=<hex>", "body": "<the batch as JSON text>"}
 *            signature = HMAC-SHA256(device secret, "<timestamp>.<body>"), exactly as over HTTP
 *   answer   okno/attendance/<deviceId>/result         {"ok":true,"accepted":…,"duplicates":…,"rejected":[…]}
 *                                                      or {"ok":false,"code":…,"reason":…,"message":…}
 *
 * A refused message changes nothing, is counted in okno_attendance_refused_total{via="mqtt"}, and is
 * answered on the result topic so an installer can see why.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { AppError } from '../shared/errors.js';
import type { AttendanceIntake } from './intake.js';
import type { IntakeMetrics } from './metrics.js';

export const EVENTS_TOPIC = 'okno/attendance/+/events';
const TOPIC = /^okno\/attendance\/([A-Za-z0-9-]{1,64})\/events$/;

export interface MqttIntakeOptions {
  url: string;
  intake: AttendanceIntake;
  metrics: IntakeMetrics;
  log?: Pick<Logger, 'warn' | 'info' | 'error'>;
}

export class MqttIntake {
  private client: MqttClient | undefined;
  /** messages handled (answered), for tests and the log */
  handled = 0;

  constructor(private readonly o: MqttIntakeOptions) {}

  async start(): Promise<void> {
    const client = mqtt.connect(this.o.url, {
      clientId: `okno-attendance-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 2000,
      connectTimeout: 5000,
    });
    this.client = client;
    client.on('error', (err) => this.o.log?.warn({ err: err.message }, 'MQTT intake: broker error'));
    client.on('message', (topic, payload) => {
      void this.handle(topic, payload);
    });
    client.on('connect', () => {
      client.subscribe(EVENTS_TOPIC, { qos: 1 }, (err) => {
        if (err) this.o.log?.error({ err: err.message }, 'MQTT intake: cannot subscribe');
      });
    });
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      client.once('connect', done);
      // Start anyway when the broker is down: the client keeps reconnecting, and the log says so.
      setTimeout(done, 5000).unref();
    });
  }

  /** Resolves once the subscription is in place (tests publish only after it). */
  async ready(): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('MQTT intake not started');
    if (!client.connected) await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await client.subscribeAsync(EVENTS_TOPIC, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    const m = TOPIC.exec(topic);
    const deviceId = m?.[1];
    let answer: Record<string, unknown>;
    try {
      if (!deviceId) {
        this.o.metrics.refused.inc({ via: 'mqtt', reason: 'malformed' });
        throw new AppError('validation_failed', 'topic must be okno/attendance/<deviceId>/events', {
          reason: 'malformed',
        });
      }
      let env: unknown;
      try {
        env = JSON.parse(payload.toString('utf8'));
      } catch {
        env = null;
      }
      if (!env || typeof env !== 'object' || typeof (env as { body?: unknown }).body !== 'string') {
        this.o.metrics.refused.inc({ via: 'mqtt', reason: 'malformed' });
        throw new AppError('validation_failed', 'payload must be {"timestamp","signature","body"} JSON', {
          reason: 'malformed',
        });
      }
      const e = env as { timestamp?: unknown; signature?: unknown; body: string };
      const result = await this.o.intake.accept(
        {
          deviceId,
          timestamp: e.timestamp,
          signature: typeof e.signature === 'string' ? e.signature : undefined,
          body: e.body,
        },
        'mqtt',
      );
      answer = { ok: true, ...result };
    } catch (err) {
      if (err instanceof AppError)
        answer = {
          ok: false,
          code: err.code,
          reason: (err.details as { reason?: string } | undefined)?.reason ?? null,
          message: err.message,
        };
      else {
        this.o.log?.error({ err }, 'MQTT intake: storing events failed');
        answer = {
          ok: false,
          code: 'internal',
          reason: null,
          message: 'the events could not be stored; send them again',
        };
      }
    }
    this.handled++;
    if (deviceId && this.client?.connected)
      this.client.publish(`okno/attendance/${deviceId}/result`, JSON.stringify(answer), { qos: 0 });
  }
}
