/**
 * Alert delivery (migration 0018): the outbox of alerts not yet fanned out, the in-app notifications,
 * the delivery log (claimed one attempt at a time), webhook endpoints and personal preferences.
 */
import { sql, type Kysely } from 'kysely';
import type {
  AlertDeliveriesTable,
  AlertPreferencesTable,
  AlertSeverity,
  AlertWebhooksTable,
  AlertsTable,
  Database,
  InstitutionsTable,
  Role,
  ScopeKind,
} from '../schema.js';

export type DeliveryRow = AlertDeliveriesTable;
export type WebhookRow = AlertWebhooksTable;
export type PreferencesRow = AlertPreferencesTable;

/** An alert with its institution's kind (for the scope check). */
export type PlacedAlert = AlertsTable & { institution_kind: InstitutionsTable['kind'] | null };

/** A person holding a binding that may cover the alert's place. */
export interface CandidateBinding {
  person_id: string;
  display_name: string;
  email: string | null;
  role: Role;
  scope_kind: ScopeKind;
  scope_id: string;
}

export class AlertDeliveryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  // ── the outbox ────────────────────────────────────────────────────────────────────────────────────
  /** Alerts not yet fanned out, oldest first, with the region filled in from the institution. */
  async unfanned(limit: number): Promise<PlacedAlert[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .leftJoin('institutions', 'institutions.id', 'alerts.institution_id')
      .selectAll('alerts')
      .select(['institutions.kind as institution_kind', 'institutions.region_id as inst_region_id'])
      .where('alerts.fanned_out_at', 'is', null)
      .orderBy('alerts.created_at')
      .orderBy('alerts.id')
      .limit(limit)
      .execute();
    return rows.map(({ inst_region_id, ...r }) => ({ ...r, region_id: r.region_id ?? inst_region_id }));
  }

  async markFannedOut(alertId: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable('alerts')
      .set({ fanned_out_at: at })
      .where('id', '=', alertId)
      .where('fanned_out_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Role bindings of enabled persons whose scope is the region, the institution or the room. */
  async candidateBindings(place: {
    regionId: string | null;
    institutionId: string | null;
    roomId: string | null;
  }): Promise<CandidateBinding[]> {
    return this.db
      .selectFrom('role_bindings')
      .innerJoin('persons', 'persons.id', 'role_bindings.person_id')
      .select([
        'persons.id as person_id',
        'persons.display_name',
        'persons.email',
        'role_bindings.role',
        'role_bindings.scope_kind',
        'role_bindings.scope_id',
      ])
      .where('persons.disabled', '=', 0)
      .where((eb) => {
        const ors = [];
        if (place.regionId)
          ors.push(
            eb.and([
              eb('role_bindings.scope_kind', '=', 'region'),
              eb('role_bindings.scope_id', '=', place.regionId),
            ]),
          );
        if (place.institutionId)
          ors.push(
            eb.and([
              eb('role_bindings.scope_kind', '=', 'institution'),
              eb('role_bindings.scope_id', '=', place.institutionId),
            ]),
          );
        if (place.roomId)
          ors.push(
            eb.and([
              eb('role_bindings.scope_kind', '=', 'room'),
              eb('role_bindings.scope_id', '=', place.roomId),
            ]),
          );
        return ors.length ? eb.or(ors) : sql<boolean>`1 = 0`;
      })
      .execute();
  }

  /** Enabled webhook endpoints of the region or the institution. */
  async webhooksFor(regionId: string | null, institutionId: string | null): Promise<WebhookRow[]> {
    if (!regionId && !institutionId) return [];
    return this.db
      .selectFrom('alert_webhooks')
      .selectAll()
      .where('enabled', '=', 1)
      .where((eb) => {
        const ors = [];
        if (regionId) ors.push(eb('region_id', '=', regionId));
        if (institutionId) ors.push(eb('institution_id', '=', institutionId));
        return eb.or(ors);
      })
      .execute();
  }

  async preferences(personIds: readonly string[]): Promise<Map<string, PreferencesRow>> {
    if (personIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('alert_preferences')
      .selectAll()
      .where('person_id', 'in', [...personIds])
      .execute();
    return new Map(rows.map((r) => [r.person_id, r]));
  }

  async insertNotifications(alertId: string, personIds: readonly string[], at: string): Promise<void> {
    if (personIds.length === 0) return;
    await this.db
      .insertInto('alert_notifications')
      .values(personIds.map((p) => ({ alert_id: alertId, person_id: p, created_at: at, read_at: null })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async insertDeliveries(rows: readonly DeliveryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('alert_deliveries')
      .values([...rows])
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  // ── sending ───────────────────────────────────────────────────────────────────────────────────────
  /** Deliveries due now, oldest due first. */
  async due(now: string, limit: number): Promise<DeliveryRow[]> {
    return this.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
  }

  /**
   * Claims one attempt: pending → sending with the attempt counted, only if nobody else claimed it
   * (same attempt count, still pending). False: someone else has it.
   */
  async claim(d: Pick<DeliveryRow, 'id' | 'attempts'>, now: string): Promise<boolean> {
    const r = await this.db
      .updateTable('alert_deliveries')
      .set({ status: 'sending', attempts: d.attempts + 1, last_attempt_at: now })
      .where('id', '=', d.id)
      .where('status', '=', 'pending')
      .where('attempts', '=', d.attempts)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async succeeded(id: string, now: string, statusCode: number | null): Promise<void> {
    await this.db
      .updateTable('alert_deliveries')
      .set({
        status: 'sent',
        delivered_at: now,
        next_attempt_at: null,
        last_error: null,
        last_status_code: statusCode,
      })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .execute();
  }

  /** A failed attempt: again at `nextAt`, or failed for good when `nextAt` is null. */
  async attemptFailed(
    id: string,
    error: string,
    statusCode: number | null,
    nextAt: string | null,
  ): Promise<void> {
    await this.db
      .updateTable('alert_deliveries')
      .set({
        status: nextAt ? 'pending' : 'failed',
        next_attempt_at: nextAt,
        last_error: error.slice(0, 1000),
        last_status_code: statusCode,
      })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .execute();
  }

  /**
   * Attempts left `sending` by a process that died mid-send (claimed before `staleBefore`): pending
   * again at once. The receiver may have got it: webhooks carry a delivery id to deduplicate by.
   */
  async recoverStale(staleBefore: string, now: string): Promise<number> {
    const r = await this.db
      .updateTable('alert_deliveries')
      .set({
        status: 'pending',
        next_attempt_at: now,
        last_error: 'interrupted: the sending process stopped',
      })
      .where('status', '=', 'sending')
      .where('last_attempt_at', '<', staleBefore)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  // ── the notification centre ───────────────────────────────────────────────────────────────────────
  /** A person's notifications, newest first, with the alert. */
  async notificationsOf(
    personId: string,
    o: { unreadOnly: boolean; limit: number; before?: { createdAt: string; alertId: string } },
  ) {
    let q = this.db
      .selectFrom('alert_notifications as n')
      .innerJoin('alerts as a', 'a.id', 'n.alert_id')
      .leftJoin('institutions as i', 'i.id', 'a.institution_id')
      .leftJoin('persons as r', 'r.id', 'a.resolved_by')
      .selectAll('a')
      .select([
        'n.read_at',
        'n.created_at as notified_at',
        'i.kind as institution_kind',
        'i.name as institution_name',
        'i.region_id as inst_region_id',
        'r.display_name as resolved_by_name',
      ])
      .where('n.person_id', '=', personId);
    if (o.unreadOnly) q = q.where('n.read_at', 'is', null);
    if (o.before) {
      const b = o.before;
      q = q.where((eb) =>
        eb.or([
          eb('a.created_at', '<', b.createdAt),
          eb.and([eb('a.created_at', '=', b.createdAt), eb('a.id', '<', b.alertId)]),
        ]),
      );
    }
    return q.orderBy('a.created_at', 'desc').orderBy('a.id', 'desc').limit(o.limit).execute();
  }

  async unreadAlertIds(
    personId: string,
    limit: number,
  ): Promise<
    {
      alert_id: string;
      kind: string;
      region_id: string | null;
      institution_id: string | null;
      room_id: string | null;
      institution_kind: InstitutionsTable['kind'] | null;
      inst_region_id: string | null;
    }[]
  > {
    return this.db
      .selectFrom('alert_notifications as n')
      .innerJoin('alerts as a', 'a.id', 'n.alert_id')
      .leftJoin('institutions as i', 'i.id', 'a.institution_id')
      .select([
        'n.alert_id',
        'a.kind',
        'a.region_id',
        'a.institution_id',
        'a.room_id',
        'i.kind as institution_kind',
        'i.region_id as inst_region_id',
      ])
      .where('n.person_id', '=', personId)
      .where('n.read_at', 'is', null)
      .limit(limit)
      .execute();
  }

  async markRead(personId: string, alertIds: readonly string[] | 'all', at: string): Promise<number> {
    let q = this.db
      .updateTable('alert_notifications')
      .set({ read_at: at })
      .where('person_id', '=', personId)
      .where('read_at', 'is', null);
    if (alertIds !== 'all') {
      if (alertIds.length === 0) return 0;
      q = q.where('alert_id', 'in', [...alertIds]);
    }
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async alertWithPlace(alertId: string) {
    const r = await this.db
      .selectFrom('alerts as a')
      .leftJoin('institutions as i', 'i.id', 'a.institution_id')
      .leftJoin('persons as r', 'r.id', 'a.resolved_by')
      .selectAll('a')
      .select([
        'i.kind as institution_kind',
        'i.name as institution_name',
        'i.region_id as inst_region_id',
        'r.display_name as resolved_by_name',
      ])
      .where('a.id', '=', alertId)
      .executeTakeFirst();
    return r ? { ...r, region_id: r.region_id ?? r.inst_region_id } : undefined;
  }

  async notificationOf(alertId: string, personId: string) {
    return this.db
      .selectFrom('alert_notifications')
      .selectAll()
      .where('alert_id', '=', alertId)
      .where('person_id', '=', personId)
      .executeTakeFirst();
  }

  // ── the delivery log ──────────────────────────────────────────────────────────────────────────────
  /** Deliveries of alerts in the given institutions/regions, newest alert first. */
  async log(
    scope: { institutionIds: readonly string[]; regionIds: readonly string[] },
    o: { limit: number; alertId?: string; status?: DeliveryRow['status'] },
  ) {
    if (scope.institutionIds.length === 0 && scope.regionIds.length === 0) return [];
    let q = this.db
      .selectFrom('alert_deliveries as d')
      .innerJoin('alerts as a', 'a.id', 'd.alert_id')
      .leftJoin('persons as p', 'p.id', 'd.person_id')
      .leftJoin('alert_webhooks as w', 'w.id', 'd.webhook_id')
      .leftJoin('institutions as i', 'i.id', 'a.institution_id')
      .selectAll('d')
      .select([
        'a.room_id',
        'i.kind as institution_kind',
        'i.region_id as inst_region_id',
        'a.kind',
        'a.severity',
        'a.title',
        'a.created_at as alert_created_at',
        'a.region_id',
        'a.institution_id',
        'p.display_name as person_name',
        'w.description as webhook_description',
      ])
      .where((eb) => {
        const ors = [];
        if (scope.institutionIds.length) ors.push(eb('a.institution_id', 'in', [...scope.institutionIds]));
        if (scope.regionIds.length) ors.push(eb('a.region_id', 'in', [...scope.regionIds]));
        return eb.or(ors);
      });
    if (o.alertId) q = q.where('d.alert_id', '=', o.alertId);
    if (o.status) q = q.where('d.status', '=', o.status);
    return q.orderBy('a.created_at', 'desc').orderBy('d.created_at').orderBy('d.id').limit(o.limit).execute();
  }

  // ── webhooks ──────────────────────────────────────────────────────────────────────────────────────
  async insertWebhook(row: WebhookRow): Promise<void> {
    await this.db.insertInto('alert_webhooks').values(row).execute();
  }

  findWebhook(id: string): Promise<WebhookRow | undefined> {
    return this.db.selectFrom('alert_webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async updateWebhook(id: string, patch: Partial<WebhookRow>): Promise<void> {
    await this.db.updateTable('alert_webhooks').set(patch).where('id', '=', id).execute();
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.db.deleteFrom('alert_webhooks').where('id', '=', id).execute();
  }

  async webhooksIn(scope: {
    institutionIds: readonly string[];
    regionIds: readonly string[];
  }): Promise<WebhookRow[]> {
    if (scope.institutionIds.length === 0 && scope.regionIds.length === 0) return [];
    return this.db
      .selectFrom('alert_webhooks')
      .selectAll()
      .where((eb) => {
        const ors = [];
        if (scope.institutionIds.length) ors.push(eb('institution_id', 'in', [...scope.institutionIds]));
        if (scope.regionIds.length) ors.push(eb('region_id', 'in', [...scope.regionIds]));
        return eb.or(ors);
      })
      .orderBy('created_at')
      .execute();
  }

  // ── preferences ───────────────────────────────────────────────────────────────────────────────────
  async preferencesOf(personId: string): Promise<PreferencesRow | undefined> {
    return this.db
      .selectFrom('alert_preferences')
      .selectAll()
      .where('person_id', '=', personId)
      .executeTakeFirst();
  }

  async savePreferences(row: PreferencesRow): Promise<void> {
    await this.db
      .insertInto('alert_preferences')
      .values(row)
      .onConflict((oc) =>
        oc.column('person_id').doUpdateSet({
          email_enabled: row.email_enabled,
          email_min_severity: row.email_min_severity,
          email_muted_kinds: row.email_muted_kinds,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }
}

export const SEVERITY_RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };
