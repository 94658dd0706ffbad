/** The office visits endpoints (src/api/visits.ts). */
import { request, withQuery } from '../api.js';

export type RecordingState = 'recording' | 'not_recording' | 'camera_down';
export type WorkplaceMode = 'per_visit' | 'continuous' | 'both';

export interface Visit {
  id: string;
  roomId: string;
  roomName: string;
  institutionId: string;
  institutionName: string;
  employee: { id: string; name: string } | null;
  openedBy: { id: string; name: string } | null;
  startedAt: string;
  endedAt: string | null;
  status: 'open' | 'closed';
  autoClosed: boolean;
  caseRef: string | null;
  visitorCategory: string;
  visitorCategoryLabel: string;
  playback: { from: string; to: string };
  cameras: { id: string; name: string; stateAtOpen: string }[];
  flags: number;
}

export interface WorkplaceState {
  roomId: string;
  name: string;
  institutionName: string;
  mode: WorkplaceMode | 'off';
  modeLabel: string;
  state: RecordingState;
  cameras: { id: string; name: string; state: RecordingState; why: string }[];
  openVisit: Visit | null;
  employees: { id: string; name: string }[];
  maxOpenMinutes: number;
  preRollSeconds: number;
  postRollSeconds: number;
  at: string;
}

export interface Flag {
  id: string;
  code: string;
  label: string;
  institutionId: string;
  institutionName: string;
  roomId: string | null;
  roomName: string | null;
  cameraId: string | null;
  visitId: string | null;
  person: { id: string; name: string } | null;
  day: string | null;
  startedAt: string;
  endedAt: string | null;
  evidence: Record<string, unknown>;
  status: 'open' | 'resolved';
  resolvedAt: string | null;
  resolvedBy: { id: string; name: string } | null;
  comment: string | null;
}

export interface CoverageRow {
  key: string;
  label: string;
  institutionId: string;
  institutionName: string;
  workingMinutes: number;
  coveredMinutes: number;
  coveragePercent: number | null;
  visits: number;
  flaggedVisits: number;
}

export const visitsApi = {
  categories: () =>
    request<{
      categories: { code: string; label: string }[];
      modes: { code: WorkplaceMode; label: string }[];
    }>('GET', '/api/visits/categories'),
  workplaces: () =>
    request<{ roomId: string; name: string; institutionName: string; openVisitId: string | null }[]>(
      'GET',
      '/api/visits/workplaces',
    ),
  state: (roomId: string, signal?: AbortSignal) =>
    request<WorkplaceState>('GET', `/api/visits/workplaces/${encodeURIComponent(roomId)}/state`, { signal }),
  setMode: (roomId: string, mode: WorkplaceMode) =>
    request<{ mode: WorkplaceMode }>('PUT', `/api/visits/workplaces/${encodeURIComponent(roomId)}/mode`, {
      json: { mode },
    }),
  open: (body: { roomId: string; visitorCategory: string; caseRef?: string; employeeId?: string }) =>
    request<Visit>('POST', '/api/visits', { json: body }),
  close: (visitId: string) => request<Visit>('POST', `/api/visits/${encodeURIComponent(visitId)}/close`),
  visit: (visitId: string) => request<Visit>('GET', `/api/visits/${encodeURIComponent(visitId)}`),
  list: (q: { from: string; to: string; cameraId?: string; roomId?: string }) =>
    request<Visit[]>('GET', '/api/visits', { query: q }),
  flags: (q: { status?: string; institutionId?: string; visitId?: string }) =>
    request<Flag[]>('GET', '/api/visits/flags', { query: q }),
  resolve: (flagId: string, comment: string) =>
    request<Flag>('POST', `/api/visits/flags/${encodeURIComponent(flagId)}/resolve`, { json: { comment } }),
  coverage: (q: { from: string; to: string; by: string; institutionId?: string }) =>
    request<{ rows: CoverageRow[] }>('GET', '/api/visits/coverage', { query: q }),
  coverageCsvUrl: (q: { from: string; to: string; institutionId?: string }) =>
    withQuery('/api/visits/coverage.csv', q),
};
