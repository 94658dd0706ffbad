/**
 * The paid service's API from the browser (src/api/billing.ts; docs/design/billing.md): the city
 * operator's tariffs, billing runs, exports, payment imports and revenue report; the kindergarten
 * administrator's subscribers; the parent's prices, offer, subscriptions and charges. Money is in
 * kopecks (integers) everywhere; `rub()` formats it for people.
 */
import { request, withQuery } from '../api.js';

const enc = encodeURIComponent;

export interface PriceView {
  effectiveMonth: string;
  priceKopecks: number;
}
export interface KindergartenTariff {
  id: string;
  name: string;
  freePilot: boolean;
  pilotUntil: string | null;
  /** newest first */
  prices: PriceView[];
  currentPriceKopecks: number | null;
  priceSource: 'own' | 'recommended' | 'none';
}
export interface Tariffs {
  regionId: string;
  currentMonth: string;
  earliestMonth: string;
  recommendations: PriceView[];
  kindergartens: KindergartenTariff[];
}

export type RunStatus = 'draft' | 'reviewed' | 'approved';
export interface Run {
  id: string;
  period: string;
  regionId: string;
  institutionId: string | null;
  status: RunStatus;
  lineCount: number;
  totalKopecks: number;
  computedAt: string;
  reviewedAt: string | null;
  approvedAt: string | null;
}
export interface RunTotals extends Run {
  kindergartens: {
    institutionId: string;
    name: string;
    lines: number;
    totalKopecks: number;
    adjustmentsKopecks: number;
  }[];
}
export interface Computed {
  run: Run;
  inserted: number;
  updated: number;
  deleted: number;
}
export interface Line {
  id: string;
  lineKey: string;
  kind: 'charge' | 'adjustment';
  period: string;
  subscriptionId: string;
  childId: string;
  childName: string;
  payerName: string;
  institutionId: string;
  institutionName: string;
  accountNumber: string;
  from: string;
  to: string;
  days: number;
  monthDays: number;
  priceKopecks: number;
  amountKopecks: number;
  note: string | null;
}
export interface LineError {
  line: number;
  column: string;
  message: string;
}
export interface PaymentImport {
  id: string;
  fileName: string;
  status: 'imported' | 'rejected';
  lineCount: number;
  importedCount: number;
  duplicateCount: number;
  totalKopecks: number;
  errors: LineError[];
  createdAt: string;
  restored?: number;
}
export interface RevenueRow {
  period: string;
  institutionId: string;
  institutionName: string;
  subscribers: number;
  chargedKopecks: number;
  paidKopecks: number;
  arrearsKopecks: number;
}
export interface Subscriber {
  subscriptionId: string;
  childId: string;
  childName: string;
  accountNumber: string;
  payerName: string;
  status: string;
  suspendedReason: string | null;
  chargedKopecks: number;
  paidKopecks: number;
  arrearsKopecks: number;
}

export type PaymentState = 'paid' | 'partial' | 'unpaid' | 'overdue';
export interface ParentSubscription {
  id: string;
  status: 'active' | 'suspended' | 'cancelled';
  suspendedReason: string | null;
  payer: { name: string; isMe: boolean };
  offerVersion: string | null;
  acceptedAt: string | null;
}
export interface ParentBillingChild {
  child: { id: string; name: string };
  institution: { id: string; name: string };
  verified: boolean;
  priceKopecks: number | null;
  pilot: { until: string | null; active: boolean; noticeFrom: string | null } | null;
  included: {
    group: string | null;
    cameras: string[];
    hours: { weekday: number; start: string; end: string }[];
  };
  subscription: ParentSubscription | null;
  nextChargeDate: string | null;
  charges: {
    period: string;
    from: string;
    to: string;
    days: number;
    amountKopecks: number;
    kind: 'charge' | 'adjustment';
    state: PaymentState;
    dueDate: string;
  }[];
}
export interface ParentBilling {
  offer: { version: string; text: string } | null;
  children: ParentBillingChild[];
}

export const EXPORT_FORMATS = ['csv', 'csv-1251', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const billingApi = {
  tariffs: (regionId: string, signal?: AbortSignal): Promise<Tariffs> =>
    request('GET', `/api/billing/regions/${enc(regionId)}/tariffs`, { signal }),
  setRegionPrice: (regionId: string, body: PriceView): Promise<{ items: PriceView[] }> =>
    request('PUT', `/api/billing/regions/${enc(regionId)}/price`, { json: body }),
  setKindergartenPrice: (id: string, body: PriceView): Promise<{ items: PriceView[] }> =>
    request('PUT', `/api/billing/institutions/${enc(id)}/price`, { json: body }),
  setPilot: (id: string, body: { freePilot: boolean; pilotUntil: string | null }) =>
    request<{ freePilot: boolean; pilotUntil: string | null }>(
      'PUT',
      `/api/billing/institutions/${enc(id)}/pilot`,
      { json: body },
    ),

  runs: (regionId: string, signal?: AbortSignal): Promise<{ items: Run[] }> =>
    request('GET', `/api/billing/regions/${enc(regionId)}/runs`, { signal }),
  run: (id: string, signal?: AbortSignal): Promise<RunTotals> =>
    request('GET', `/api/billing/runs/${enc(id)}`, { signal }),
  lines: (
    id: string,
    cursor: string | null,
    limit = 50,
  ): Promise<{ items: Line[]; nextCursor: string | null }> =>
    request('GET', `/api/billing/runs/${enc(id)}/lines`, { query: { limit, cursor } }),
  compute: (body: { period: string; regionId: string; institutionId?: string | null }): Promise<Computed> =>
    request('POST', '/api/billing/runs', { json: body }),
  step: (id: string, step: 'review' | 'reopen' | 'approve'): Promise<Run> =>
    request('POST', `/api/billing/runs/${enc(id)}/${step}`),
  exportUrl: (id: string, format: ExportFormat): string =>
    withQuery(`/api/billing/runs/${enc(id)}/export`, { format }),
  adjust: (body: { subscriptionId: string; forPeriod: string; amountKopecks: number; reason: string }) =>
    request<{ id: string }>('POST', '/api/billing/adjustments', { json: body }),

  imports: (regionId: string, signal?: AbortSignal): Promise<{ items: PaymentImport[] }> =>
    request('GET', `/api/billing/regions/${enc(regionId)}/payments`, { signal }),
  importPayments: (regionId: string, file: Blob, fileName: string): Promise<PaymentImport> =>
    request('POST', `/api/billing/regions/${enc(regionId)}/payments`, {
      query: { fileName },
      text: { body: file, contentType: 'text/csv' },
    }),
  arrearsCheck: (regionId: string, asOf?: string) =>
    request<{ asOf: string; suspended: number; restored: number }>(
      'POST',
      `/api/billing/regions/${enc(regionId)}/arrears-check`,
      { json: asOf ? { asOf } : {} },
    ),
  report: (regionId: string, signal?: AbortSignal): Promise<{ items: RevenueRow[] }> =>
    request('GET', `/api/billing/regions/${enc(regionId)}/report`, { signal }),

  subscribers: (institutionId: string, signal?: AbortSignal): Promise<{ items: Subscriber[] }> =>
    request('GET', `/api/billing/institutions/${enc(institutionId)}/subscribers`, { signal }),

  parent: (signal?: AbortSignal): Promise<ParentBilling> => request('GET', '/api/parent/billing', { signal }),
  subscribe: (childId: string, offerVersion: string): Promise<ParentSubscription> =>
    request('POST', `/api/parent/children/${enc(childId)}/subscription`, { json: { offerVersion } }),
  cancel: (childId: string): Promise<ParentSubscription> =>
    request('DELETE', `/api/parent/children/${enc(childId)}/subscription`),
};

/** 150000 → «1 500 ₽», 150050 → «1 500,50 ₽» (kopecks shown only when there are any). */
export function rub(kopecks: number, lang: 'ru' | 'en' = 'ru'): string {
  const whole = kopecks % 100 === 0;
  const n = new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', {
    minimumFractionDigits: whole ? 0 : 2,
    maximumFractionDigits: 2,
  }).format(kopecks / 100);
  return `${n} ₽`;
}

/** «12,5» or «1 500» rubles typed by a person → kopecks, or null when it is not an amount. */
export function parseRub(text: string): number | null {
  const t = text.replace(/\s/g, '').replace(',', '.');
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(t)) return null;
  const [r, k = ''] = t.split('.');
  return Number(r) * 100 + Number(k.padEnd(2, '0'));
}

/** '2026-03' → «март 2026». */
export function monthName(month: string, lang: 'ru' | 'en'): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  })
    .format(new Date(Date.UTC(y, m - 1, 15)))
    .replace(/\s*г\.$/, '');
}

/** '2026-03' plus n months. */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
