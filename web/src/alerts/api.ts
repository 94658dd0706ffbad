/** The notification centre's API (src/api/alerts.ts). */
import { request } from '../api.js';

export type Severity = 'info' | 'warning' | 'critical';

export interface Notification {
  id: string;
  kind: string;
  kindName: string;
  severity: Severity;
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

export interface Delivery {
  id: string;
  alertId: string;
  alertKind: string;
  alertSeverity: Severity;
  alertTitle: string;
  alertCreatedAt: string;
  channel: 'email' | 'webhook';
  personName: string | null;
  webhookDescription: string | null;
  target: string;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
  deliveredAt: string | null;
}

export interface AlertDetail extends Notification {
  mayResolve: boolean;
  deliveries: Delivery[] | null;
}

export interface Preferences {
  emailEnabled: boolean;
  emailMinSeverity: Severity;
  emailMutedKinds: string[];
  email: string | null;
  smtpConfigured: boolean;
}

export interface Webhook {
  id: string;
  regionId: string | null;
  institutionId: string | null;
  url: string;
  description: string;
  minSeverity: Severity;
  kinds: string[] | null;
  enabled: boolean;
  createdAt: string;
  secretHint: string;
  secret?: string;
}

export const alertsApi = {
  list(o: { unread?: boolean; cursor?: string } = {}) {
    return request<{ items: Notification[]; unreadCount: number; nextCursor: string | null }>(
      'GET',
      '/api/alerts/notifications',
      { query: { unread: o.unread ? 'true' : undefined, cursor: o.cursor, limit: 30 } },
    );
  },
  count(signal?: AbortSignal) {
    return request<{ unread: number }>('GET', '/api/alerts/notifications/count', { signal });
  },
  markRead(ids: string[] | 'all') {
    return request<{ marked: number; unreadCount: number }>('POST', '/api/alerts/notifications/read', {
      json: ids === 'all' ? { all: true } : { alertIds: ids },
    });
  },
  get(id: string) {
    return request<AlertDetail>('GET', `/api/alerts/${encodeURIComponent(id)}`);
  },
  resolve(id: string, comment: string) {
    return request<AlertDetail>('POST', `/api/alerts/${encodeURIComponent(id)}/resolve`, {
      json: { comment },
    });
  },
  kinds() {
    return request<{ items: { kind: string; name: string }[] }>('GET', '/api/alerts/kinds');
  },
  preferences() {
    return request<Preferences>('GET', '/api/alerts/preferences');
  },
  setPreferences(p: Pick<Preferences, 'emailEnabled' | 'emailMinSeverity' | 'emailMutedKinds'>) {
    return request<Preferences>('PUT', '/api/alerts/preferences', { json: p });
  },
  deliveries(q: { status?: string } = {}) {
    return request<{ items: Delivery[] }>('GET', '/api/alerts/deliveries', { query: { status: q.status } });
  },
  webhooks() {
    return request<{ items: Webhook[] }>('GET', '/api/alerts/webhooks');
  },
};
