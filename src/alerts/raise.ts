/**
 * Raising an alert: the one call every part of Okno uses (camera health, privileged video access,
 * access-widening changes, office flags, billing, …). It writes one `alerts` row in the caller's
 * transaction, so an alert exists exactly when its cause committed. Delivery to people (the in-app
 * notification centre, e-mail, signed webhooks) reads the rows afterwards as an outbox; raising never
 * waits on a mail server or a webhook receiver.
 *
 * An alert with a `dedupeKey` is raised once while an unresolved alert with the same key exists (a
 * camera that stays dark is one alert, not one a minute).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { AlertsRepository, type AlertRow } from '../storage/repositories/alerts.js';
import type { AlertSeverity, Database } from '../storage/schema.js';

export interface NewAlert {
  kind: string;
  severity: AlertSeverity;
  regionId?: string | null;
  institutionId?: string | null;
  roomId?: string | null;
  cameraId?: string | null;
  actorPersonId?: string | null;
  /** Russian, for people */
  title: string;
  body: string;
  evidence?: Record<string, unknown>;
  dedupeKey?: string | null;
}

const raisedListeners = new Set<() => void>();

/**
 * Calls `fn` shortly after an alert is raised in this process (the delivery worker wakes up instead of
 * waiting for its next poll). The alert's transaction may not have committed yet: a listener that
 * finds nothing simply finds it at its next poll. Returns the unsubscribe function.
 */
export function onAlertRaised(fn: () => void): () => void {
  raisedListeners.add(fn);
  return () => raisedListeners.delete(fn);
}

function announce(): void {
  if (raisedListeners.size === 0) return;
  setTimeout(() => {
    for (const fn of raisedListeners) fn();
  }, 50).unref();
}

/** Writes the alert (or finds the open one with the same dedupe key) in `db`, which may be a transaction. */
export async function raiseAlert(db: Kysely<Database>, clock: Clock, alert: NewAlert): Promise<AlertRow> {
  const repo = new AlertsRepository(db);
  if (alert.dedupeKey) {
    const open = await repo.findOpenByKey(alert.dedupeKey);
    if (open) return open;
  }
  announce();
  return repo.insert({
    id: newId(),
    created_at: clock.now().toISOString(),
    kind: alert.kind,
    severity: alert.severity,
    region_id: alert.regionId ?? null,
    institution_id: alert.institutionId ?? null,
    room_id: alert.roomId ?? null,
    camera_id: alert.cameraId ?? null,
    actor_person_id: alert.actorPersonId ?? null,
    title: alert.title,
    body: alert.body,
    evidence: JSON.stringify(alert.evidence ?? {}),
    dedupe_key: alert.dedupeKey ?? null,
    resolved_at: null,
    resolved_by: null,
    resolution_comment: null,
  });
}
