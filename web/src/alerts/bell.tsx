/** The bell in the top bar: the unread count, refreshed every 15 s while the page is visible. */
import { useEffect, useState } from 'preact/hooks';
import type { Me } from '../api.js';
import { useVisibleInterval } from '../hooks.js';
import { Icon } from '../icons.js';
import { Link, useLocation } from '../router.js';
import { hasAnyRole } from '../session.js';
import { alertsApi } from './api.js';
import { useAlertT } from './strings.js';

/** Roles that read alerts (the `alert: read` rows of src/authz/table.ts). */
export const ALERT_ROLES = [
  'city_operator',
  'regional_operator',
  'kindergarten_admin',
  'office_head',
  'auditor',
  'inspector',
] as const;

export function mayReadAlerts(me: Me): boolean {
  return hasAnyRole(me, ALERT_ROLES);
}

const listeners = new Set<() => void>();
/** Screens that change read state tell the bell to refresh at once. */
export function refreshBell(): void {
  for (const l of listeners) l();
}

export function Bell() {
  const t = useAlertT();
  const loc = useLocation();
  const [unread, setUnread] = useState<number | null>(null);
  const load = () => {
    alertsApi.count().then(
      (r) => setUnread(r.unread),
      () => undefined,
    );
  };
  useEffect(() => {
    load();
    listeners.add(load);
    return () => {
      listeners.delete(load);
    };
  }, [loc.path]);
  useVisibleInterval(load, 15_000);
  const n = unread ?? 0;
  const label = n > 0 ? t('bellUnread', { n }) : t('bell');
  return (
    <Link href="/notifications" class="icon-button bell" aria-label={label} title={label}>
      <Icon name="bell" size={20} />
      {n > 0 ? (
        <span class="bell-count" data-testid="bell-count" aria-hidden="true">
          {n > 99 ? '99+' : n}
        </span>
      ) : null}
    </Link>
  );
}
