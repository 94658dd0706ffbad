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

// --- connecting a kindergarten (src/api/connection.ts) ------------------------------------------------

export interface Requirement {
  key: string;
  state: 'met' | 'not_met' | 'manual';
  required: string;
  actual: string;
  fix: string;
}

export interface CameraCheck {
  passed: boolean;
  checkedAt: string;
  requirements: Requirement[];
  error: string | null;
}

export interface ConnectionCamera {
  id: string;
  name: string;
  roomName: string;
  check: CameraCheck | null;
  attestation: { at: string; byName: string; sha256: string } | null;
}

export interface Connection {
  institution: { id: string; name: string; freePilot: boolean };
  cameras: ConnectionCamera[];
  uplinkMbps: number;
  steps: {
    key: 'rooms' | 'cameras_checked' | 'attested' | 'network' | 'consent' | 'live';
    done: boolean;
    detail: string;
  }[];
  wentLiveAt: string | null;
}

export interface ConnectionRow {
  id: string;
  name: string;
  freePilot: boolean;
  state: 'live' | 'ready' | 'in_progress' | 'not_started';
  stepsDone: number;
  stepsTotal: number;
  cameras: number;
  consent: { groupsWithConsent: number; activeCampaigns: number };
  wentLiveAt: string | null;
}

export const connectionApi = {
  view: (institutionId: string) =>
    request<Connection>('GET', `/api/admin/institutions/${enc(institutionId)}/connection`),
  check: (cameraId: string) =>
    request<CameraCheck>('POST', `/api/admin/cameras/${enc(cameraId)}/connection-check`),
  snapshot: (cameraId: string) =>
    request<{ sha256: string; dataUrl: string }>(
      'POST',
      `/api/admin/cameras/${enc(cameraId)}/attestation-snapshot`,
    ),
  attest: (cameraId: string, sha256: string) =>
    request<{ at: string }>('POST', `/api/admin/cameras/${enc(cameraId)}/attestation`, { json: { sha256 } }),
  goLive: (institutionId: string) =>
    request<Connection>('POST', `/api/admin/institutions/${enc(institutionId)}/go-live`),
  passportUrl: (institutionId: string) => `/api/admin/institutions/${enc(institutionId)}/passport.pdf`,
  overview: () =>
    request<{ items: ConnectionRow[]; counts: Record<ConnectionRow['state'], number>; pilots: number }>(
      'GET',
      '/api/admin/connections',
    ),
};
