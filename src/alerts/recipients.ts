/**
 * Who an alert reaches (docs/design/alerts.md, "Recipients"): every enabled person holding a role
 * binding that covers the alert's place (its room, institution or region) and whose role may read
 * alerts there — the one authorization table decides (`alert: read`), so a person only ever gets
 * alerts of their own scope. The person who caused the alert is not told about their own action.
 * Webhook endpoints of the alert's region and institution receive it when their filters match.
 */
import type { Kysely } from 'kysely';
import { covers, roleMay } from '../authz/authorize.js';
import type { Place } from '../storage/repositories/places.js';
import {
  AlertDeliveryRepository,
  SEVERITY_RANK,
  type PreferencesRow,
  type WebhookRow,
} from '../storage/repositories/alert-delivery.js';
import type { AlertSeverity, Database, InstitutionsTable, Role } from '../storage/schema.js';

export interface AlertPlaceColumns {
  region_id: string | null;
  institution_id: string | null;
  room_id: string | null;
  institution_kind: InstitutionsTable['kind'] | null;
  inst_region_id?: string | null;
}

/** The place of an alert for the authorization check; undefined for an alert with no region. */
export function placeOfAlert(a: AlertPlaceColumns): Place | undefined {
  const regionId = a.region_id ?? a.inst_region_id ?? null;
  if (!regionId) return undefined;
  if (a.institution_id && a.institution_kind) {
    const place: Place = { regionId, institution: { id: a.institution_id, kind: a.institution_kind } };
    return a.room_id ? { ...place, roomIds: [a.room_id] } : place;
  }
  return { regionId, institution: null };
}

export interface Recipient {
  personId: string;
  displayName: string;
  email: string | null;
  /** the roles through which the person reads the alert */
  roles: Role[];
}

/** The recipients of an alert (see the module comment). */
export async function alertRecipients(
  db: Kysely<Database>,
  alert: AlertPlaceColumns & { actor_person_id: string | null },
): Promise<Recipient[]> {
  const place = placeOfAlert(alert);
  if (!place) return [];
  const candidates = await new AlertDeliveryRepository(db).candidateBindings({
    regionId: place.regionId,
    institutionId: place.institution?.id ?? null,
    roomId: alert.room_id,
  });
  const out = new Map<string, Recipient>();
  for (const c of candidates) {
    if (c.person_id === alert.actor_person_id) continue;
    const b = { role: c.role, scopeKind: c.scope_kind, scopeId: c.scope_id };
    if (!covers(b, place) || !roleMay(c.role, 'alert', 'read')) continue;
    const r = out.get(c.person_id) ?? {
      personId: c.person_id,
      displayName: c.display_name,
      email: c.email,
      roles: [],
    };
    if (!r.roles.includes(c.role)) r.roles.push(c.role);
    out.set(c.person_id, r);
  }
  return [...out.values()].sort((a, b) => a.personId.localeCompare(b.personId));
}

/** Whether a kind matches a filter entry: exact, or a prefix ending in `*` (`access.*`). */
export function kindMatches(kind: string, pattern: string): boolean {
  return pattern.endsWith('*') ? kind.startsWith(pattern.slice(0, -1)) : kind === pattern;
}

export function parseKinds(json: string | null): string[] | null {
  if (json === null) return null;
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Whether a webhook endpoint wants this alert (severity at least its minimum, kind in its list). */
export function webhookWants(w: WebhookRow, alert: { kind: string; severity: AlertSeverity }): boolean {
  if (w.enabled !== 1) return false;
  if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[w.min_severity]) return false;
  const kinds = parseKinds(w.kinds);
  return kinds === null || kinds.some((k) => kindMatches(alert.kind, k));
}

export interface EmailPreferences {
  emailEnabled: boolean;
  emailMinSeverity: AlertSeverity;
  emailMutedKinds: string[];
}

/** A person who never chose: e-mail on, for warnings and critical alerts, every kind. */
export const DEFAULT_PREFERENCES: EmailPreferences = {
  emailEnabled: true,
  emailMinSeverity: 'warning',
  emailMutedKinds: [],
};

export function preferencesFromRow(r: PreferencesRow | undefined): EmailPreferences {
  if (!r) return DEFAULT_PREFERENCES;
  return {
    emailEnabled: r.email_enabled === 1,
    emailMinSeverity: r.email_min_severity,
    emailMutedKinds: parseKinds(r.email_muted_kinds) ?? [],
  };
}

/** Whether the person wants this alert by e-mail (in the app every alert is shown). */
export function wantsEmail(p: EmailPreferences, alert: { kind: string; severity: AlertSeverity }): boolean {
  return (
    p.emailEnabled &&
    SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[p.emailMinSeverity] &&
    !p.emailMutedKinds.some((k) => kindMatches(alert.kind, k))
  );
}
