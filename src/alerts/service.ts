/**
 * The notification centre and its settings (docs/design/alerts.md): a person's notifications with the
 * unread count, marking them read, one alert with its evidence (and its delivery log for those who may
 * read it), resolving an alert with a comment (audited), personal preferences (audited), webhook
 * endpoints (audited; the secret is shown once) and the delivery log. Every access goes through
 * src/authz/ with the alert's place: outside the scope is "not found".
 */
import type { Kysely } from 'kysely';
import { appendAudit, type AuditContext } from '../audit/audit-log.js';
import { allows, authorize, reachOf, type Principal } from '../authz/authorize.js';
import type { Config } from '../config/config.js';
import { invalid } from '../domain/admin/rules.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { AlertDeliveryRepository, type WebhookRow } from '../storage/repositories/alert-delivery.js';
import { AlertsRepository } from '../storage/repositories/alerts.js';
import { PlacesRepository, type Place } from '../storage/repositories/places.js';
import type { AlertSeverity, Database } from '../storage/schema.js';
import { ALERT_KINDS, kindName } from './kinds.js';
import { parseKinds, placeOfAlert, preferencesFromRow, type EmailPreferences } from './recipients.js';
import { newWebhookSecret } from './webhook-signature.js';

export interface AlertCaller {
  principal: Principal;
  audit: AuditContext;
}

export interface NotificationItem {
  id: string;
  kind: string;
  kindName: string;
  severity: AlertSeverity;
  title: string;
  body: string;
  createdAt: string;
  institutionId: string | null;
  institutionName: string | null;
  regionId: string | null;
  roomId: string | null;
  cameraId: string | null;
  read: boolean;
  resolvedAt: string | null;
  resolvedByName: string | null;
  resolutionComment: string | null;
  evidence: Record<string, unknown>;
}

type AlertJoined = NonNullable<Awaited<ReturnType<AlertDeliveryRepository['alertWithPlace']>>>;

function parseEvidence(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function present(a: AlertJoined & { read_at?: string | null }, read: boolean): NotificationItem {
  return {
    id: a.id,
    kind: a.kind,
    kindName: kindName(a.kind),
    severity: a.severity,
    title: a.title,
    body: a.body,
    createdAt: a.created_at,
    institutionId: a.institution_id,
    institutionName: a.institution_name,
    regionId: a.region_id ?? a.inst_region_id,
    roomId: a.room_id,
    cameraId: a.camera_id,
    read,
    resolvedAt: a.resolved_at,
    resolvedByName: a.resolved_by_name,
    resolutionComment: a.resolution_comment,
    evidence: parseEvidence(a.evidence),
  };
}

const KINDS_PATTERN = /^[a-z0-9_.]{1,64}\*?$/;

function checkKinds(field: string, kinds: readonly string[]): string[] {
  const out = [...new Set(kinds.map((k) => k.trim()))];
  for (const k of out)
    if (!KINDS_PATTERN.test(k)) throw invalid(field, `not an alert kind: ${JSON.stringify(k)}`);
  return out;
}

export function presentWebhook(w: WebhookRow) {
  return {
    id: w.id,
    regionId: w.region_id,
    institutionId: w.institution_id,
    url: w.url,
    description: w.description,
    minSeverity: w.min_severity,
    kinds: parseKinds(w.kinds),
    enabled: w.enabled === 1,
    createdAt: w.created_at,
    updatedAt: w.updated_at,
    /** the last characters of the secret, to tell which one a receiver has */
    secretHint: `…${w.secret.slice(-4)}`,
  };
}

export class AlertService {
  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock; config: Config }) {}

  private get repo(): AlertDeliveryRepository {
    return new AlertDeliveryRepository(this.deps.db);
  }

  /** My notifications (newest first) still inside my scope, and how many are unread. */
  async notifications(
    c: AlertCaller,
    o: { unreadOnly: boolean; limit: number; cursor?: string },
  ): Promise<{ items: NotificationItem[]; unreadCount: number; nextCursor: string | null }> {
    let before: { createdAt: string; alertId: string } | undefined;
    if (o.cursor) {
      const [createdAt, alertId] = Buffer.from(o.cursor, 'base64url').toString().split('|');
      if (!createdAt || !alertId) throw new AppError('bad_request', 'bad cursor');
      before = { createdAt, alertId };
    }
    const rows = await this.repo.notificationsOf(c.principal.personId, {
      unreadOnly: o.unreadOnly,
      limit: o.limit + 1,
      before,
    });
    const page = rows.slice(0, o.limit);
    const items = page
      .filter((r) => allows(c.principal, 'alert', 'read', placeOfAlert(r)))
      .map((r) => present(r, r.read_at !== null));
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > o.limit && last
        ? Buffer.from(`${last.created_at}|${last.id}`).toString('base64url')
        : null;
    return { items, unreadCount: await this.unreadCount(c), nextCursor };
  }

  /** Unread notifications inside my scope (counted up to 1,000). */
  async unreadCount(c: AlertCaller): Promise<number> {
    const rows = await this.repo.unreadAlertIds(c.principal.personId, 1000);
    return rows.filter((r) => allows(c.principal, 'alert', 'read', placeOfAlert(r))).length;
  }

  async markRead(
    c: AlertCaller,
    ids: readonly string[] | 'all',
  ): Promise<{ marked: number; unreadCount: number }> {
    const marked = await this.repo.markRead(c.principal.personId, ids, this.deps.clock.now().toISOString());
    return { marked, unreadCount: await this.unreadCount(c) };
  }

  private async visibleAlert(c: AlertCaller, alertId: string): Promise<{ a: AlertJoined; place: Place }> {
    const a = await this.repo.alertWithPlace(alertId);
    const place = a ? placeOfAlert(a) : undefined;
    authorize(c.principal, 'alert', 'read', place);
    return { a: a!, place: place! };
  }

  /** One alert with its evidence; its delivery log when the caller may read it there. */
  async detail(c: AlertCaller, alertId: string) {
    const { a, place } = await this.visibleAlert(c, alertId);
    const mine = await this.repo.notificationOf(alertId, c.principal.personId);
    const deliveries = allows(c.principal, 'alert_delivery', 'read', place)
      ? (
          await this.repo.log(
            { institutionIds: place.institution ? [place.institution.id] : [], regionIds: [place.regionId] },
            { limit: 500, alertId },
          )
        ).map(presentDelivery)
      : null;
    return {
      ...present(a, mine ? mine.read_at !== null : true),
      mayResolve: allows(c.principal, 'alert', 'update', place),
      deliveries,
    };
  }

  /** Resolves an alert with a comment (audited; once). */
  async resolve(c: AlertCaller, alertId: string, comment: string) {
    const text = comment.trim();
    if (text.length < 3) throw invalid('body/comment', 'write what was done (at least 3 characters)');
    const { place } = await this.visibleAlert(c, alertId);
    const grant = authorize(c.principal, 'alert', 'update', place);
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      const current = await new AlertsRepository(trx).find(alertId);
      if (current?.resolved_at) throw new AppError('conflict', 'the alert is already resolved');
      await new AlertsRepository(trx).resolve(alertId, c.principal.personId, now.toISOString(), text);
      await appendAudit(
        trx,
        { ...c.audit, actor: c.audit.actor ? { ...c.audit.actor, role: grant.role } : null },
        {
          action: 'alert.resolve',
          targetKind: 'alert',
          targetId: alertId,
          institutionId: place.institution?.id ?? null,
          details: { comment: text },
        },
        now,
      );
    });
    // Resolving is also reading it.
    await this.repo.markRead(c.principal.personId, [alertId], now.toISOString());
    return this.detail(c, alertId);
  }

  // ── preferences ───────────────────────────────────────────────────────────────────────────────────
  async preferences(
    c: AlertCaller,
  ): Promise<EmailPreferences & { email: string | null; smtpConfigured: boolean }> {
    const prefs = preferencesFromRow(await this.repo.preferencesOf(c.principal.personId));
    const person = await this.deps.db
      .selectFrom('persons')
      .select('email')
      .where('id', '=', c.principal.personId)
      .executeTakeFirst();
    return { ...prefs, email: person?.email ?? null, smtpConfigured: Boolean(this.deps.config.smtp.host) };
  }

  async setPreferences(c: AlertCaller, p: EmailPreferences) {
    const muted = checkKinds('body/emailMutedKinds', p.emailMutedKinds);
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await new AlertDeliveryRepository(trx).savePreferences({
        person_id: c.principal.personId,
        email_enabled: p.emailEnabled ? 1 : 0,
        email_min_severity: p.emailMinSeverity,
        email_muted_kinds: JSON.stringify(muted),
        updated_at: now.toISOString(),
      });
      await appendAudit(
        trx,
        c.audit,
        {
          action: 'alert.preferences.set',
          targetKind: 'person',
          targetId: c.principal.personId,
          details: {
            emailEnabled: p.emailEnabled,
            emailMinSeverity: p.emailMinSeverity,
            emailMutedKinds: muted,
          },
        },
        now,
      );
    });
    return this.preferences(c);
  }

  kinds() {
    return Object.entries(ALERT_KINDS).map(([kind, name]) => ({ kind, name }));
  }

  // ── webhooks ──────────────────────────────────────────────────────────────────────────────────────
  private scopeOf(c: AlertCaller, object: 'alert_webhook' | 'alert_delivery') {
    const reach = reachOf(c.principal, object);
    return {
      regionIds: [...new Set(reach.regions.map((r) => r.regionId))],
      institutionIds: [...new Set(reach.institutions.map((i) => i.institutionId))],
    };
  }

  private async webhookPlace(
    w: Pick<WebhookRow, 'region_id' | 'institution_id'>,
  ): Promise<Place | undefined> {
    const places = new PlacesRepository(this.deps.db);
    return w.institution_id ? places.institution(w.institution_id) : places.scope('region', w.region_id!);
  }

  async listWebhooks(c: AlertCaller) {
    const rows = await this.repo.webhooksIn(this.scopeOf(c, 'alert_webhook'));
    const out = [];
    for (const w of rows)
      if (allows(c.principal, 'alert_webhook', 'read', await this.webhookPlace(w)))
        out.push(presentWebhook(w));
    return out;
  }

  private checkUrl(url: string): string {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw invalid('body/url', 'not a valid URL');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid('body/url', 'use an http(s) URL');
    if (this.deps.config.mode === 'production' && u.protocol !== 'https:')
      throw invalid('body/url', 'webhooks are sent over https only');
    if (u.username || u.password)
      throw invalid('body/url', 'no credentials in the URL: the signature authenticates');
    return u.toString();
  }

  async createWebhook(
    c: AlertCaller,
    b: {
      regionId?: string;
      institutionId?: string;
      url: string;
      description?: string;
      minSeverity?: AlertSeverity;
      kinds?: string[] | null;
    },
  ) {
    if ((b.regionId === undefined) === (b.institutionId === undefined))
      throw invalid('body', 'give exactly one of regionId and institutionId');
    const scope = { region_id: b.regionId ?? null, institution_id: b.institutionId ?? null };
    const place = await this.webhookPlace(scope);
    const grant = authorize(
      c.principal,
      'alert_webhook',
      'create',
      place,
      b.regionId ? 'region' : 'institution',
    );
    const url = this.checkUrl(b.url);
    const kinds = b.kinds ? checkKinds('body/kinds', b.kinds) : null;
    const now = this.deps.clock.now();
    const row: WebhookRow = {
      id: newId(),
      ...scope,
      url,
      secret: newWebhookSecret(),
      description: (b.description ?? '').trim().slice(0, 200),
      min_severity: b.minSeverity ?? 'info',
      kinds: kinds ? JSON.stringify(kinds) : null,
      enabled: 1,
      created_by: c.principal.personId,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    };
    await this.deps.db.transaction().execute(async (trx) => {
      await new AlertDeliveryRepository(trx).insertWebhook(row);
      await appendAudit(
        trx,
        { ...c.audit, actor: c.audit.actor ? { ...c.audit.actor, role: grant.role } : null },
        {
          action: 'alert.webhook.create',
          targetKind: 'alert_webhook',
          targetId: row.id,
          institutionId: row.institution_id,
          details: { after: { ...presentWebhook(row), secretHint: undefined } },
        },
        now,
      );
    });
    // The secret is shown this once; later only its last characters.
    return { ...presentWebhook(row), secret: row.secret };
  }

  async updateWebhook(
    c: AlertCaller,
    id: string,
    b: {
      url?: string;
      description?: string;
      minSeverity?: AlertSeverity;
      kinds?: string[] | null;
      enabled?: boolean;
      rotateSecret?: boolean;
    },
  ) {
    const w = await this.repo.findWebhook(id);
    const place = w ? await this.webhookPlace(w) : undefined;
    const grant = authorize(c.principal, 'alert_webhook', 'update', place);
    const patch: Partial<WebhookRow> = {};
    if (b.url !== undefined) patch.url = this.checkUrl(b.url);
    if (b.description !== undefined) patch.description = b.description.trim().slice(0, 200);
    if (b.minSeverity !== undefined) patch.min_severity = b.minSeverity;
    if (b.kinds !== undefined)
      patch.kinds = b.kinds ? JSON.stringify(checkKinds('body/kinds', b.kinds)) : null;
    if (b.enabled !== undefined) patch.enabled = b.enabled ? 1 : 0;
    if (b.rotateSecret) patch.secret = newWebhookSecret();
    const now = this.deps.clock.now();
    patch.updated_at = now.toISOString();
    const after = { ...w!, ...patch };
    await this.deps.db.transaction().execute(async (trx) => {
      await new AlertDeliveryRepository(trx).updateWebhook(id, patch);
      await appendAudit(
        trx,
        { ...c.audit, actor: c.audit.actor ? { ...c.audit.actor, role: grant.role } : null },
        {
          action: 'alert.webhook.update',
          targetKind: 'alert_webhook',
          targetId: id,
          institutionId: w!.institution_id,
          details: {
            before: { ...presentWebhook(w!), secretHint: undefined },
            after: { ...presentWebhook(after), secretHint: undefined },
            secretRotated: Boolean(b.rotateSecret),
          },
        },
        now,
      );
    });
    return { ...presentWebhook(after), ...(b.rotateSecret ? { secret: after.secret } : {}) };
  }

  async deleteWebhook(c: AlertCaller, id: string): Promise<void> {
    const w = await this.repo.findWebhook(id);
    const place = w ? await this.webhookPlace(w) : undefined;
    const grant = authorize(c.principal, 'alert_webhook', 'delete', place);
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await new AlertDeliveryRepository(trx).deleteWebhook(id);
      await appendAudit(
        trx,
        { ...c.audit, actor: c.audit.actor ? { ...c.audit.actor, role: grant.role } : null },
        {
          action: 'alert.webhook.delete',
          targetKind: 'alert_webhook',
          targetId: id,
          institutionId: w!.institution_id,
          details: { before: { ...presentWebhook(w!), secretHint: undefined } },
        },
        now,
      );
    });
  }

  // ── the delivery log ──────────────────────────────────────────────────────────────────────────────
  async deliveries(
    c: AlertCaller,
    o: { limit: number; alertId?: string; status?: 'pending' | 'sending' | 'sent' | 'failed' },
  ) {
    const rows = await this.repo.log(this.scopeOf(c, 'alert_delivery'), o);
    return rows
      .filter((r) => allows(c.principal, 'alert_delivery', 'read', placeOfAlert(r)))
      .map(presentDelivery);
  }
}

type LogRow = Awaited<ReturnType<AlertDeliveryRepository['log']>>[number];

function presentDelivery(r: LogRow) {
  return {
    id: r.id,
    alertId: r.alert_id,
    alertKind: r.kind,
    alertSeverity: r.severity,
    alertTitle: r.title,
    alertCreatedAt: r.alert_created_at,
    channel: r.channel,
    personId: r.person_id,
    personName: r.person_name,
    webhookId: r.webhook_id,
    webhookDescription: r.webhook_description,
    target: r.target,
    status: r.status,
    attempts: r.attempts,
    lastAttemptAt: r.last_attempt_at,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    lastError: r.last_error,
    lastStatusCode: r.last_status_code,
    deliveredAt: r.delivered_at,
  };
}
