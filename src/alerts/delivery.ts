/**
 * The alert delivery worker (docs/design/alerts.md). Runs in the server process under the lease
 * `alerts.delivery` (src/storage/lease.ts), so of several processes on one database only one
 * delivers. Every `alerts.pollMs` (and ~50 ms after an alert is raised in this process):
 *
 * 1. **Fan-out** — alerts with `fanned_out_at` null (the outbox), oldest first: in one transaction,
 *    an in-app notification for every recipient (src/alerts/recipients.ts), an e-mail delivery for
 *    each recipient whose preferences want it and who has an address (when SMTP is configured), a
 *    webhook delivery for each matching endpoint of the region and institution, and the mark.
 *    Alerts older than `alerts.maxAgeMinutes` when first seen get notifications only.
 * 2. **Sending** — due deliveries: each attempt is claimed first (pending → sending, one conditional
 *    UPDATE), so even two workers that both believe they hold the lease never send the same attempt
 *    twice; then sent; then marked sent, or pending again after the next back-off wait
 *    (`alerts.retrySeconds`), or failed after `alerts.maxAttempts`. An attempt left `sending` by a
 *    process that died is retried after the webhook timeout has passed twice over.
 *
 * Raising an alert never waits for any of this.
 */
import type { Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import { retryDelayMs, type Config } from '../config/config.js';
import { LeasedLoop } from '../storage/lease.js';
import {
  AlertDeliveryRepository,
  type DeliveryRow,
  type PlacedAlert,
} from '../storage/repositories/alert-delivery.js';
import type { Database } from '../storage/schema.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { onAlertRaised } from './raise.js';
import { alertRecipients, preferencesFromRow, wantsEmail, webhookWants } from './recipients.js';
import {
  HEADER_DELIVERY,
  HEADER_EVENT,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  signWebhookBody,
} from './webhook-signature.js';
import { alertEmail } from './email.js';

export const DELIVERY_LEASE = 'alerts.delivery';

/** How an e-mail leaves: nodemailer's SMTP transport in production; tests may pass their own. */
export interface Mailer {
  send(m: { from: string; to: string; subject: string; text: string; html?: string }): Promise<void>;
  close(): void;
}

export function smtpMailer(config: Config): Mailer | null {
  const s = config.smtp;
  if (!s.host) return null;
  // nodemailer: a well-kept SMTP client (STARTTLS, AUTH, pooling); writing SMTP ourselves would not be.
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    ...(s.user ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    send: async (m) => {
      await transport.sendMail(m);
    },
    close: () => transport.close(),
  };
}

export interface AlertDeliveryOptions {
  db: Kysely<Database>;
  clock: Clock;
  config: Config;
  log?: Pick<Logger, 'error' | 'info' | 'warn'>;
  /** the lease holder id (default: random per process) */
  holder?: string;
  /** default: smtpMailer(config) */
  mailer?: Mailer | null;
  /** deliveries sent at once (default 8) */
  concurrency?: number;
}

export class AlertDeliveryWorker {
  private readonly loop: LeasedLoop;
  private readonly repo: AlertDeliveryRepository;
  private readonly mailer: Mailer | null;
  private unsubscribe: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** counters for metrics and tests */
  readonly stats = { fannedOut: 0, sent: 0, failedAttempts: 0 };

  constructor(private readonly opts: AlertDeliveryOptions) {
    this.repo = new AlertDeliveryRepository(opts.db);
    this.mailer = opts.mailer === undefined ? smtpMailer(opts.config) : opts.mailer;
    const periodMs = opts.config.alerts.pollMs;
    this.loop = new LeasedLoop({
      db: opts.db,
      clock: opts.clock,
      name: DELIVERY_LEASE,
      holder: opts.holder,
      periodMs,
      ttlMs: Math.max(15_000, periodMs * 3),
      run: (lease) => this.run(lease.stillHeld),
      log: opts.log,
    });
  }

  get holder(): string {
    return this.loop.holder;
  }

  get holdsLease(): boolean {
    return this.loop.held;
  }

  start(): void {
    this.unsubscribe ??= onAlertRaised(() => this.loop.wake());
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  /** One pass now (tests); waits for the sends it started. */
  async runOnce(): Promise<void> {
    await this.loop.runOnce();
    await Promise.all([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.loop.stop();
    await Promise.all([...this.inFlight]);
    this.mailer?.close();
  }

  private async run(stillHeld: () => boolean): Promise<void> {
    const now = this.opts.clock.now();
    // Attempts claimed by a process that died mid-send.
    const staleMs = 2 * this.opts.config.alerts.webhookTimeoutSeconds * 1000 + 30_000;
    await this.repo.recoverStale(new Date(now.getTime() - staleMs).toISOString(), now.toISOString());
    for (;;) {
      const batch = await this.repo.unfanned(100);
      for (const a of batch) {
        if (!stillHeld()) return;
        await this.fanOut(a);
      }
      if (batch.length < 100) break;
    }
    const limit = this.opts.concurrency ?? 8;
    if (this.inFlight.size >= limit) return;
    const due = await this.repo.due(this.opts.clock.now().toISOString(), 200);
    for (const d of due) {
      if (!stillHeld()) return;
      while (this.inFlight.size >= limit) await Promise.race(this.inFlight);
      const claimedAt = this.opts.clock.now().toISOString();
      if (!(await this.repo.claim(d, claimedAt))) continue;
      const p = this.attempt({ ...d, attempts: d.attempts + 1 }).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private async fanOut(a: PlacedAlert): Promise<void> {
    const now = this.opts.clock.now();
    const nowIso = now.toISOString();
    const fresh = now.getTime() - Date.parse(a.created_at) <= this.opts.config.alerts.maxAgeMinutes * 60_000;
    await this.opts.db.transaction().execute(async (trx) => {
      const repo = new AlertDeliveryRepository(trx);
      const recipients = await alertRecipients(trx, a);
      await repo.insertNotifications(
        a.id,
        recipients.map((r) => r.personId),
        nowIso,
      );
      const deliveries: DeliveryRow[] = [];
      const row = (o: Pick<DeliveryRow, 'channel' | 'person_id' | 'webhook_id' | 'target'>): DeliveryRow => ({
        id: newId(),
        alert_id: a.id,
        ...o,
        status: 'pending',
        attempts: 0,
        next_attempt_at: nowIso,
        last_attempt_at: null,
        last_error: null,
        last_status_code: null,
        delivered_at: null,
        created_at: nowIso,
      });
      if (fresh) {
        if (this.mailer) {
          const prefs = await repo.preferences(recipients.map((r) => r.personId));
          for (const r of recipients) {
            if (!r.email || !wantsEmail(preferencesFromRow(prefs.get(r.personId)), a)) continue;
            deliveries.push(
              row({ channel: 'email', person_id: r.personId, webhook_id: null, target: r.email }),
            );
          }
        }
        for (const w of await repo.webhooksFor(a.region_id, a.institution_id)) {
          if (!webhookWants(w, a)) continue;
          deliveries.push(row({ channel: 'webhook', person_id: null, webhook_id: w.id, target: w.url }));
        }
      }
      await repo.insertDeliveries(deliveries);
      await repo.markFannedOut(a.id, nowIso);
    });
    this.stats.fannedOut++;
  }

  /** One claimed attempt: send, then record the outcome. Never throws. */
  private async attempt(d: DeliveryRow): Promise<void> {
    let statusCode: number | null = null;
    try {
      const alert = await this.repo.alertWithPlace(d.alert_id);
      if (!alert) throw new Error('the alert no longer exists');
      if (d.channel === 'email') {
        if (!this.mailer) throw new Error('SMTP is not configured (smtp.host)');
        const mail = alertEmail(alert, this.opts.config.publicUrl);
        await this.mailer.send({ from: this.opts.config.smtp.from, to: d.target, ...mail });
      } else {
        const w = d.webhook_id ? await this.repo.findWebhook(d.webhook_id) : undefined;
        if (!w) throw new Error('the webhook endpoint was deleted');
        statusCode = await this.postWebhook(d, w.url, w.secret, alert);
      }
      await this.repo.succeeded(d.id, this.opts.clock.now().toISOString(), statusCode);
      this.stats.sent++;
    } catch (err) {
      this.stats.failedAttempts++;
      if (err instanceof WebhookError) statusCode = err.statusCode;
      const message = err instanceof Error ? err.message : String(err);
      const last = d.attempts >= this.opts.config.alerts.maxAttempts;
      const nextAt = last
        ? null
        : new Date(
            this.opts.clock.now().getTime() + retryDelayMs(this.opts.config, d.attempts),
          ).toISOString();
      this.opts.log?.warn(
        {
          deliveryId: d.id,
          alertId: d.alert_id,
          channel: d.channel,
          attempt: d.attempts,
          nextAt,
          err: message,
        },
        'alert delivery attempt failed',
      );
      await this.repo.attemptFailed(d.id, message, statusCode, nextAt).catch((e: unknown) => {
        this.opts.log?.error({ err: e, deliveryId: d.id }, 'could not record a delivery attempt');
      });
    }
  }

  private async postWebhook(
    d: DeliveryRow,
    url: string,
    secret: string,
    alert: NonNullable<Awaited<ReturnType<AlertDeliveryRepository['alertWithPlace']>>>,
  ): Promise<number> {
    const body = JSON.stringify(webhookPayload(d, alert, this.opts.config.publicUrl));
    const ts = Math.floor(this.opts.clock.now().getTime() / 1000);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Okno-Webhooks/1',
          [HEADER_TIMESTAMP]: String(ts),
          [HEADER_SIGNATURE]: signWebhookBody(secret, ts, body),
          [HEADER_DELIVERY]: d.id,
          [HEADER_EVENT]: alert.kind,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.config.alerts.webhookTimeoutSeconds * 1000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why =
        (e as Error).name === 'TimeoutError'
          ? `no answer in ${this.opts.config.alerts.webhookTimeoutSeconds} s`
          : (cause?.code ?? cause?.message ?? (e as Error).message);
      throw new WebhookError(`request failed: ${why}`, null);
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status >= 300)
      throw new WebhookError(`receiver answered HTTP ${res.status}`, res.status);
    return res.status;
  }
}

class WebhookError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | null,
  ) {
    super(message);
  }
}

/** The JSON a webhook receives (documented in docs/design/alerts.md). */
export function webhookPayload(
  d: Pick<DeliveryRow, 'id' | 'attempts'>,
  a: PlacedAlert & { institution_name?: string | null },
  publicUrl: string,
) {
  let evidence: unknown = {};
  try {
    evidence = JSON.parse(a.evidence);
  } catch {
    evidence = {};
  }
  return {
    type: 'alert',
    deliveryId: d.id,
    attempt: d.attempts,
    alert: {
      id: a.id,
      kind: a.kind,
      severity: a.severity,
      createdAt: a.created_at,
      title: a.title,
      body: a.body,
      regionId: a.region_id,
      institutionId: a.institution_id,
      institutionName: a.institution_name ?? null,
      roomId: a.room_id,
      cameraId: a.camera_id,
      actorPersonId: a.actor_person_id,
      evidence,
      resolvedAt: a.resolved_at,
      url: `${publicUrl}/notifications/${a.id}`,
    },
  };
}
