/** The consent campaign endpoints (src/api/consent.ts). */
import { request } from './api.js';

export type ConsentAnswer = 'agree' | 'disagree';
export type RuleKind = 'all' | 'share';

export interface ConsentOutcome {
  met: boolean;
  reason: 'met' | 'waiting' | 'family_objection' | 'staff_objection' | 'no_families';
  families: number;
  agreed: number;
  disagreed: number;
  pending: number;
  inGrace: number;
  staffObjections: number;
  missingAgreements: number;
  groupConsent: 'given' | 'withdrawn' | 'none';
}

export interface ParentConsent {
  campaignId: string;
  childId: string;
  childName: string;
  groupName: string;
  institutionName: string;
  title: string;
  body: string;
  templateVersion: number;
  myAnswer: ConsentAnswer | null;
  myAnsweredAt: string | null;
  familyAnswer: 'agree' | 'disagree' | 'pending';
  remindedAt: string | null;
  outcome: ConsentOutcome;
}

export interface ConsentRule {
  kind: RuleKind;
  sharePercent: number;
  graceDays: number;
  updatedAt: string | null;
}

export interface Respondent {
  personId: string;
  displayName: string;
  answer: ConsentAnswer | null;
  answeredAt: string | null;
}

export interface CampaignSummary {
  id: string;
  roomId: string;
  roomName: string;
  status: 'active' | 'closed';
  templateVersion: number;
  title: string;
  rule: { kind: RuleKind; sharePercent: number; graceDays: number };
  launchedAt: string;
  closedAt: string | null;
  lastReminderAt: string | null;
  outcome: ConsentOutcome;
}

export interface CampaignDetail extends CampaignSummary {
  body: string;
  families: {
    childId: string;
    childName: string;
    enrolledFrom: string;
    state: 'agree' | 'disagree' | 'pending' | 'grace';
    guardians: Respondent[];
  }[];
  staff: Respondent[];
}

export interface RoomConsent {
  active: CampaignDetail | null;
  past: CampaignSummary[];
  rule: ConsentRule;
  groupConsent: 'given' | 'withdrawn' | 'none';
}

export interface StaffConsent {
  campaignId: string;
  groupName: string;
  title: string;
  body: string;
  templateVersion: number;
  myAnswer: ConsentAnswer | null;
}

const enc = encodeURIComponent;

export const consentApi = {
  parentConsents: (signal?: AbortSignal) =>
    request<{ items: ParentConsent[] }>('GET', '/api/parent/consents', signal ? { signal } : {}),
  answer: (campaignId: string, childId: string, answer: ConsentAnswer) =>
    request<ConsentOutcome>('POST', `/api/parent/consents/${enc(campaignId)}/answer`, {
      json: { childId, answer },
    }),
  staffConsents: () => request<{ items: StaffConsent[] }>('GET', '/api/staff/consents'),
  staffAnswer: (campaignId: string, answer: ConsentAnswer) =>
    request<ConsentOutcome>('POST', `/api/staff/consents/${enc(campaignId)}/answer`, { json: { answer } }),
  rule: (institutionId: string) =>
    request<ConsentRule>('GET', `/api/admin/institutions/${enc(institutionId)}/consent-rule`),
  setRule: (institutionId: string, rule: { kind: RuleKind; sharePercent: number; graceDays: number }) =>
    request<ConsentRule>('PUT', `/api/admin/institutions/${enc(institutionId)}/consent-rule`, { json: rule }),
  institutionCampaigns: (institutionId: string) =>
    request<CampaignSummary[]>('GET', `/api/admin/institutions/${enc(institutionId)}/consent-campaigns`),
  room: (roomId: string) => request<RoomConsent>('GET', `/api/admin/rooms/${enc(roomId)}/consent-campaigns`),
  launch: (roomId: string) =>
    request<CampaignDetail>('POST', `/api/admin/rooms/${enc(roomId)}/consent-campaigns`, { json: {} }),
  remind: (campaignId: string) =>
    request<{ remindedAt: string; pendingGuardians: number }>(
      'POST',
      `/api/admin/consent-campaigns/${enc(campaignId)}/remind`,
    ),
  close: (campaignId: string) =>
    request<null>('POST', `/api/admin/consent-campaigns/${enc(campaignId)}/close`),
  exportUrl: (campaignId: string) => `/api/admin/consent-campaigns/${enc(campaignId)}/answers.csv`,
};
