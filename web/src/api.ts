/**
 * The one typed client for the Okno HTTP API. Every fetch the app makes goes through `request()`:
 * same-origin cookies, JSON in and out, the session's CSRF token on every state-changing request,
 * and errors turned into `ApiError` with the server's stable `{code, message, details}`.
 */

// ---------------------------------------------------------------------------------------------------
// Types of the contract

export type Role =
  | 'kindergarten_admin'
  | 'city_operator'
  | 'auditor'
  | 'employee'
  | 'reception'
  | 'office_head'
  | 'inspector'
  | 'regional_operator'
  | 'teacher'
  | 'specialist'
  | 'education_officer';
export type ScopeKind = 'region' | 'institution' | 'room';

export interface RoleBinding {
  role: Role;
  scopeKind: ScopeKind;
  scopeId: string;
}

export interface Me {
  person: { id: string; displayName: string };
  roles: RoleBinding[];
  csrfToken: string;
  sessionExpiresAt: string;
}

export interface ApiErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export type AvailabilityState =
  | 'available'
  | 'outside_hours'
  | 'closed_day'
  | 'consent_pending'
  | 'subscription_inactive'
  | 'subscription_unpaid'
  | 'not_enrolled'
  | 'camera_offline'
  /** switched off by an administrator (not the same as offline) */
  | 'camera_off'
  /** the server failed to decide (policy_error): try later */
  | 'server_error';

export interface ParentCamera {
  id: string;
  name: string;
  availability: { state: AvailabilityState; nextOpenAt?: string };
}

export interface ParentChild {
  child: { id: string; name: string };
  /** whether the kindergarten confirmed this parent as the child's guardian */
  verified: boolean;
  institution: { id: string; name: string; connected: boolean; timeZone: string };
  group: { id: string; name: string } | null;
  cameras: ParentCamera[];
}

export interface StreamGrant {
  streamId: string;
  cameraId: string;
  token: string;
  expiresAt: string;
  renewAfterMs: number;
  wsUrl: string;
  hlsUrl: string;
  snapshotUrl: string;
  viewerTag: string;
  mode: 'live';
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Every admin object carries these (ISO-8601 UTC). */
interface Stamped {
  createdAt: string;
  updatedAt: string;
}

export interface Region extends Stamped {
  id: string;
  name: string;
}

export type InstitutionKind = 'kindergarten' | 'office';
export interface Institution extends Stamped {
  id: string;
  regionId: string;
  kind: InstitutionKind;
  name: string;
  /** IANA, e.g. Europe/Moscow */
  timeZone: string;
  freePilot: boolean;
  consentRequired: boolean;
  /** minor currency units (kopecks), or null */
  monthlyFeeMinor: number | null;
}
export interface InstitutionCreate {
  regionId: string;
  kind: InstitutionKind;
  name: string;
  timeZone: string;
  freePilot?: boolean;
  monthlyFeeMinor?: number | null;
  consentRequired?: boolean;
}
export type InstitutionPatch = Partial<
  Pick<Institution, 'name' | 'timeZone' | 'freePilot' | 'monthlyFeeMinor' | 'consentRequired'>
>;

export interface ClosedDay {
  id: string;
  institutionId: string;
  /** YYYY-MM-DD */
  day: string;
  reason: string | null;
  createdAt: string;
}
export interface ClosedDayCreate {
  day: string;
  reason?: string | null;
}

export type RoomKind = 'group' | 'workplace' | 'entrance' | 'hall';
export type Zone = 'common' | 'restricted';
export type ConsentStatus = 'given' | 'withdrawn';
export interface Room extends Stamped {
  id: string;
  institutionId: string;
  kind: RoomKind;
  zone: Zone;
  name: string;
  /** the latest consent entry of the room */
  consent: { status: ConsentStatus; recordedAt: string } | null;
}
export interface RoomCreate {
  kind: RoomKind;
  zone: Zone;
  name: string;
}
export type RoomPatch = Partial<RoomCreate>;

export type RtspTransport = 'tcp' | 'udp';
export type RecordingPolicy = 'off' | 'continuous' | 'schedule' | 'manual';
export interface Camera extends Stamped {
  id: string;
  roomId: string;
  name: string;
  /** the source's scheme and host only: the URL and credentials never come back */
  source: { scheme: string; host: string | null };
  hasCredentials: boolean;
  rtspTransport: RtspTransport;
  enabled: boolean;
  audioAllowed: boolean;
  recordingPolicy: RecordingPolicy;
}
/** `POST /rooms/:id/cameras`: the room is in the path. */
export interface CameraCreate {
  name: string;
  sourceUrl: string;
  username?: string | null;
  password?: string | null;
  rtspTransport?: RtspTransport;
  enabled?: boolean;
  audioAllowed?: boolean;
  recordingPolicy?: RecordingPolicy;
}
export type CameraPatch = Partial<CameraCreate> & { roomId?: string };

export interface Schedule {
  id: string;
  roomId: string;
  /** 1 = Monday … 7 = Sunday */
  weekday: number;
  /** HH:MM, local time of the institution (24:00 = end of the day) */
  startTime: string;
  endTime: string;
  createdAt: string;
}
export interface ScheduleCreate {
  weekday: number;
  startTime: string;
  endTime: string;
}

export interface Consent {
  id: string;
  roomId: string;
  status: ConsentStatus;
  note: string | null;
  recordedBy: string | null;
  recordedAt: string;
}
export interface ConsentCreate {
  status: ConsentStatus;
  note?: string | null;
}

export interface Child extends Stamped {
  id: string;
  institutionId: string;
  fullName: string;
  birthDate: string | null;
  externalRef: string | null;
}
export interface ChildCreate {
  fullName: string;
  birthDate?: string | null;
  externalRef?: string | null;
}

export interface Enrolment extends Stamped {
  id: string;
  childId: string;
  roomId: string;
  startDate: string;
  /** inclusive; null = open-ended */
  endDate: string | null;
}
export interface EnrolmentCreate {
  roomId: string;
  startDate: string;
  endDate?: string | null;
}
export type EnrolmentPatch = Partial<EnrolmentCreate>;

/** A person named by their identity at the login provider: matched, or created. */
export interface PersonIdentity {
  subject: string;
  displayName: string;
  email?: string | null;
  phone?: string | null;
}
export interface Person extends Stamped {
  id: string;
  issuer: string;
  subject: string;
  displayName: string;
  email: string | null;
  phone: string | null;
  disabled: boolean;
}

export interface Guardian extends Stamped {
  id: string;
  childId: string;
  personId: string;
  person: { displayName: string; subject: string };
  relation: string;
  verified: boolean;
}
/** Exactly one of `personId` (an existing person) and `person` (matched or created). */
export type GuardianCreate = { relation?: string; verified?: boolean } & (
  { personId: string; person?: never } | { person: PersonIdentity; personId?: never }
);
export interface GuardianPatch {
  relation?: string;
  verified?: boolean;
}

export interface RoleBindingView {
  id: string;
  personId: string;
  role: Role;
  scopeKind: ScopeKind;
  scopeId: string;
  createdAt: string;
}
/** Exactly one of `personId` and `person`. */
export type RoleBindingCreate = { role: Role; scopeKind: ScopeKind; scopeId: string } & (
  { personId: string; person?: never } | { person: PersonIdentity; personId?: never }
);

interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
}
export interface ImportResult {
  /** data rows read */
  rows: number;
  children: ImportCounts;
  enrolments: ImportCounts;
  guardians: ImportCounts;
  persons: { created: number; matched: number };
  /** new guardian links to existing persons this kindergarten does not know yet: to be confirmed */
  unverifiedLinks: number;
}
export interface ImportBadRow {
  /** line of the file (the header is line 1) */
  line: number;
  column?: string;
  reason: string;
}

export interface ProbeRequest {
  sourceUrl: string;
  username?: string;
  password?: string;
  rtspTransport?: RtspTransport;
}
export interface ProbeResult {
  video: {
    codec: string;
    profile?: string;
    width: number;
    height: number;
    fps?: number;
    keyframeIntervalFrames?: number;
    keyframeIntervalMs?: number;
  };
  audio?: { codec: string; sampleRateHz?: number; channels?: number };
  /** a synthetic demo source: nothing was read from a camera */
  demo?: boolean;
  /** one picture from the camera (JPEG data: URL), when it could be taken */
  snapshotDataUrl?: string;
  durationMs?: number;
}

export type CameraHealthState = 'idle' | 'starting' | 'live' | 'stalled' | 'failing' | 'disabled';
export interface CameraHealth {
  cameraId: string;
  name: string;
  institutionId: string;
  state: CameraHealthState;
  online: boolean;
  fps: number;
  bitrateBps: number;
  viewers: number;
  lastKeyframeAgeMs: number | null;
  restarts: number;
  /** fragments dropped for slow viewers */
  drops: number;
  /** why it is not live (web/src/camera-failure.ts), null while fine */
  reason: string | null;
  /** the server's account (English), for details */
  reasonDetail: string | null;
  /** the last check of a camera nobody watches, null before the first */
  lastCheck: { at: string; ok: boolean; reason: string | null; durationMs: number } | null;
}
export interface CameraHealthEvent {
  id: string;
  cameraId: string;
  kind: string;
  at: string;
}

/** A named object an audit entry points at (name null: deleted since). */
export interface AuditRef {
  id: string;
  name: string | null;
}
export interface AuditEntry {
  id: string;
  seq: number;
  at: string;
  actor: {
    personId: string | null;
    subject: string | null;
    role: string | null;
    /** the person's name (null: deleted since) */
    name: string | null;
    /** the role in Russian */
    roleText: string | null;
  } | null;
  action: string;
  /** the action in Russian (null: a code the server has no words for) */
  actionText: string | null;
  targetKind: string | null;
  targetId: string | null;
  target: { kind: string; kindText: string | null; id: string | null; name: string | null } | null;
  child: AuditRef | null;
  camera: AuditRef | null;
  room: AuditRef | null;
  institution: AuditRef | null;
  institutionId: string | null;
  decision: 'allow' | 'deny' | null;
  reason: string | null;
  reasonText: string | null;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
  streamId: string | null;
  details: unknown;
  /** the details as readable lines */
  detailLines: { label: string; value: string }[];
}
export type AuditPickKind = 'person' | 'child' | 'camera' | 'institution';
export interface AuditSuggestion {
  kind: AuditPickKind;
  id: string;
  name: string;
  context: string | null;
}
export interface AuditPage extends Page<AuditEntry> {
  /** names of the picked person, child, camera, institution (null: not found in the caller's scope) */
  picked?: Partial<Record<AuditPickKind, Omit<AuditSuggestion, 'kind'> | null>>;
}
export interface AuditFilters {
  person?: string;
  camera?: string;
  child?: string;
  institution?: string;
  action?: string;
  decision?: string;
  from?: string;
  to?: string;
  /** free text (names, details, reasons; not ids) */
  text?: string;
}
export interface AuditVerify {
  ok: boolean;
  entries: number;
  /** the first entry found bad, and why */
  firstBad?: { seq: number; id: string | null; problem: string };
}

export interface TimeSpan {
  start: string;
  end: string;
}
export interface Timeline {
  from: string;
  to: string;
  spans: TimeSpan[];
  gaps: (TimeSpan & { cause: string; open: boolean })[];
  /** the span being recorded now (its end is the last fragment written), or null */
  recording: TimeSpan | null;
}
/** A camera whose recordings the caller works with (`GET /api/recordings/cameras`). */
export interface RecordingCamera {
  cameraId: string;
  name: string;
  institutionId: string;
  state: CameraHealthState;
  recordingPolicy: RecordingPolicy;
  /** the caller may start and stop recording a visit on it */
  manual: boolean;
}
export interface PlaybackLinks {
  streamId: string;
  expiresAt: string;
  from: string;
  to: string;
  hlsUrl: string;
  mp4Url: string;
}
export interface ExportResult {
  exportId: string;
  /** the package checked right after it was written, as `okno export verify` does */
  verification: { ok: boolean; details: { passed: string[]; problems: string[] } };
  file: string;
  bytes: number;
  sha256: string;
  mp4Sha256: string;
  keyId: string;
  downloadUrl: string;
  from: string;
  to: string;
}
export interface ManualStarted {
  sessionId: string;
  startedAt: string;
  preRollSeconds: number;
}
export interface ManualStopped {
  stoppedAt: string;
  recordingUntil: string;
  sessions: string[];
}

// ---------------------------------------------------------------------------------------------------
// Transport

export class ApiError extends Error {
  constructor(
    /** HTTP status, or 0 when the server could not be reached */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
const unauthenticatedListeners = new Set<() => void>();

/** Called when any request answers 401: the session ended while the app was open. */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

interface RequestOptions {
  query?: Query;
  json?: unknown;
  /** a raw body: text, or a file's bytes as they are (a CSV in Windows-1251 must not be re-decoded) */
  text?: { body: string | Blob; contentType: string };
  signal?: AbortSignal;
  /** do not fire the unauthenticated listeners on 401 (the session probe itself) */
  quiet401?: boolean;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | Blob | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    headers['x-csrf-token'] = csrfToken;
    if (opts.text) {
      headers['content-type'] = opts.text.contentType;
      body = opts.text.body;
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json ?? {});
    }
  }
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err instanceof Error ? err.message : 'network error');
  }
  const type = res.headers.get('content-type') ?? '';
  const parsed: unknown = type.includes('json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const e = isErrorBody(parsed) ? parsed : { code: `http_${res.status}`, message: res.statusText };
    if (res.status === 401 && !opts.quiet401) for (const l of unauthenticatedListeners) l();
    throw new ApiError(res.status, e.code, e.message, e.details);
  }
  return parsed as T;
}

function isErrorBody(v: unknown): v is ApiErrorBody {
  return typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'string';
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------------------
// Endpoints

/** Every page of a list (`{items, nextCursor}`); admin lists of one institution are small. */
async function allPages<T>(page: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const p = await page(cursor);
    all.push(...p.items);
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }
  return all;
}

function listAll<T>(path: string): Promise<T[]> {
  return allPages((cursor) => request<Page<T>>('GET', path, { query: { cursor, limit: 200 } }));
}

export const api = {
  /** The session, or null when nobody is logged in. */
  async me(): Promise<Me | null> {
    // /api/session answers 200 also when logged out, so the app's start logs no failed request.
    const { session } = await request<{ session: Me | null }>('GET', '/api/session', { quiet401: true });
    if (session) csrfToken = session.csrfToken;
    return session;
  },

  loginUrl(returnTo: string): string {
    return withQuery('/auth/login', { returnTo });
  },

  /** Ends the session; answers where to go next (the login provider's logout page, or `/`). */
  async logout(): Promise<string> {
    const { redirectTo } = await request<{ redirectTo: string }>('POST', '/auth/logout', { quiet401: true });
    return redirectTo;
  },

  parentChildren(signal?: AbortSignal): Promise<{ items: ParentChild[] }> {
    return request('GET', '/api/parent/children', { signal });
  },

  // live
  createStream(cameraId: string): Promise<StreamGrant> {
    return request('POST', '/api/streams', { json: { cameraId } });
  },
  renewStream(streamId: string): Promise<StreamGrant> {
    return request('POST', `/api/streams/${enc(streamId)}/renew`);
  },

  // admin (/api/admin, docs/design/admin-api.md): lists are pages of {items, nextCursor}
  regions(): Promise<Region[]> {
    return allPages((cursor) => request('GET', '/api/admin/regions', { query: { cursor, limit: 200 } }));
  },
  institutions(): Promise<Institution[]> {
    return allPages((cursor) => request('GET', '/api/admin/institutions', { query: { cursor, limit: 200 } }));
  },
  institution(id: string): Promise<Institution> {
    return request('GET', `/api/admin/institutions/${enc(id)}`);
  },
  createInstitution(body: InstitutionCreate): Promise<Institution> {
    return request('POST', '/api/admin/institutions', { json: body });
  },
  updateInstitution(id: string, patch: InstitutionPatch): Promise<Institution> {
    return request('PATCH', `/api/admin/institutions/${enc(id)}`, { json: patch });
  },
  deleteInstitution(id: string): Promise<void> {
    return request('DELETE', `/api/admin/institutions/${enc(id)}`);
  },

  closedDays: {
    list: (institutionId: string): Promise<ClosedDay[]> =>
      listAll(`/api/admin/institutions/${enc(institutionId)}/closed-days`),
    create: (institutionId: string, body: ClosedDayCreate): Promise<ClosedDay> =>
      request('POST', `/api/admin/institutions/${enc(institutionId)}/closed-days`, { json: body }),
    remove: (id: string): Promise<void> => request('DELETE', `/api/admin/closed-days/${enc(id)}`),
  },

  rooms: {
    list: (institutionId: string): Promise<Room[]> =>
      listAll(`/api/admin/institutions/${enc(institutionId)}/rooms`),
    create: (institutionId: string, body: RoomCreate): Promise<Room> =>
      request('POST', `/api/admin/institutions/${enc(institutionId)}/rooms`, { json: body }),
    update: (id: string, patch: RoomPatch): Promise<Room> =>
      request('PATCH', `/api/admin/rooms/${enc(id)}`, { json: patch }),
    remove: (id: string): Promise<void> => request('DELETE', `/api/admin/rooms/${enc(id)}`),
  },

  cameras: {
    list: (institutionId: string): Promise<Camera[]> =>
      listAll(`/api/admin/institutions/${enc(institutionId)}/cameras`),
    /** A camera belongs to a room: it is created under it. */
    create: (roomId: string, body: CameraCreate): Promise<Camera> =>
      request('POST', `/api/admin/rooms/${enc(roomId)}/cameras`, { json: body }),
    update: (id: string, patch: CameraPatch): Promise<Camera> =>
      request('PATCH', `/api/admin/cameras/${enc(id)}`, { json: patch }),
    remove: (id: string): Promise<void> => request('DELETE', `/api/admin/cameras/${enc(id)}`),
    probe: (body: ProbeRequest, signal?: AbortSignal): Promise<ProbeResult> =>
      request('POST', '/api/admin/cameras/probe', { json: body, signal }),
  },

  schedules: {
    list: (roomId: string): Promise<Schedule[]> =>
      listAll(`/api/admin/rooms/${enc(roomId)}/viewing-schedules`),
    create: (roomId: string, body: ScheduleCreate): Promise<Schedule> =>
      request('POST', `/api/admin/rooms/${enc(roomId)}/viewing-schedules`, { json: body }),
    remove: (id: string): Promise<void> => request('DELETE', `/api/admin/viewing-schedules/${enc(id)}`),
  },

  consents: {
    /** newest first: the first is the room's current state */
    list: (roomId: string): Promise<Consent[]> => listAll(`/api/admin/rooms/${enc(roomId)}/consents`),
    create: (roomId: string, body: ConsentCreate): Promise<Consent> =>
      request('POST', `/api/admin/rooms/${enc(roomId)}/consents`, { json: body }),
  },

  children: {
    list: (institutionId: string): Promise<Child[]> =>
      listAll(`/api/admin/institutions/${enc(institutionId)}/children`),
    get: (id: string): Promise<Child> => request('GET', `/api/admin/children/${enc(id)}`),
    create: (institutionId: string, body: ChildCreate): Promise<Child> =>
      request('POST', `/api/admin/institutions/${enc(institutionId)}/children`, { json: body }),
    remove: (id: string): Promise<void> => request('DELETE', `/api/admin/children/${enc(id)}`),
  },

  enrolments: {
    list: (childId: string): Promise<Enrolment[]> =>
      listAll(`/api/admin/children/${enc(childId)}/enrolments`),
    create: (childId: string, body: EnrolmentCreate): Promise<Enrolment> =>
      request('POST', `/api/admin/children/${enc(childId)}/enrolments`, { json: body }),
    update: (id: string, patch: EnrolmentPatch): Promise<Enrolment> =>
      request('PATCH', `/api/admin/enrolments/${enc(id)}`, { json: patch }),
    remove: (id: string): Promise<void> => request('DELETE', `/api/admin/enrolments/${enc(id)}`),
  },

  guardians: {
    list: (childId: string): Promise<Guardian[]> => listAll(`/api/admin/children/${enc(childId)}/guardians`),
    create: (childId: string, body: GuardianCreate): Promise<Guardian> =>
      request('POST', `/api/admin/children/${enc(childId)}/guardians`, { json: body }),
    update: (id: string, patch: GuardianPatch): Promise<Guardian> =>
      request('PATCH', `/api/admin/guardian-links/${enc(id)}`, { json: patch }),
    remove: (id: string): Promise<void> => request('DELETE', `/api/admin/guardian-links/${enc(id)}`),
  },

  persons: {
    /** persons linked to what the caller administers (of one institution when given) */
    list: (institutionId?: string): Promise<Person[]> =>
      allPages((cursor) =>
        request('GET', '/api/admin/persons', { query: { institutionId, cursor, limit: 200 } }),
      ),
  },

  roleBindings: {
    list: (filter: {
      personId?: string;
      scopeKind?: ScopeKind;
      scopeId?: string;
    }): Promise<RoleBindingView[]> =>
      allPages((cursor) =>
        request('GET', '/api/admin/role-bindings', { query: { ...filter, cursor, limit: 200 } }),
      ),
    create: (body: RoleBindingCreate): Promise<RoleBindingView> =>
      request('POST', '/api/admin/role-bindings', { json: body }),
    remove: (id: string): Promise<void> => request('DELETE', `/api/admin/role-bindings/${enc(id)}`),
  },

  /** All or nothing: a file with any bad row answers 400 with every problem (see `badRows`). */
  importCsv(institutionId: string, csv: string): Promise<ImportResult> {
    return request('POST', `/api/admin/institutions/${enc(institutionId)}/import`, {
      text: { body: csv, contentType: 'text/csv; charset=utf-8' },
    });
  },

  cameraHealth(): Promise<{ items: CameraHealth[]; events: CameraHealthEvent[] }> {
    return request('GET', '/api/cameras/health');
  },

  // audit
  audit(filters: AuditFilters, cursor?: string): Promise<AuditPage> {
    return request('GET', '/api/audit', { query: { ...filters, cursor } });
  },
  auditSuggest(kind: AuditPickKind, q: string): Promise<{ items: AuditSuggestion[] }> {
    return request('GET', '/api/audit/suggest', { query: { kind, q } });
  },
  auditActions(): Promise<{ items: { code: string; text: string }[] }> {
    return request('GET', '/api/audit/actions');
  },
  auditCsvUrl(filters: AuditFilters): string {
    return withQuery('/api/audit.csv', { ...filters });
  },
  auditVerify(): Promise<AuditVerify> {
    return request('GET', '/api/audit/verify');
  },

  // recordings
  recordingCameras(): Promise<{ items: RecordingCamera[] }> {
    return request('GET', '/api/recordings/cameras');
  },
  timeline(cameraId: string, from: string, to: string): Promise<Timeline> {
    return request('GET', `/api/recordings/${enc(cameraId)}/timeline`, { query: { from, to } });
  },
  playback(cameraId: string, body: { from: string; to: string; reason: string }): Promise<PlaybackLinks> {
    return request('POST', `/api/recordings/${enc(cameraId)}/playback`, { json: body });
  },
  exportRange(cameraId: string, body: { from: string; to: string; reason: string }): Promise<ExportResult> {
    return request('POST', `/api/recordings/${enc(cameraId)}/exports`, { json: body });
  },
  startRecording(cameraId: string, purpose?: string): Promise<ManualStarted> {
    return request('POST', `/api/recordings/${enc(cameraId)}/start`, { json: purpose ? { purpose } : {} });
  },
  stopRecording(cameraId: string): Promise<ManualStopped> {
    return request('POST', `/api/recordings/${enc(cameraId)}/stop`, { json: {} });
  },
};

/** The reason a refused stream grant gives (`403 {details:{reason, nextOpenAt?}}`). */
export function grantRefusal(err: unknown): { reason: string; nextOpenAt?: string } | null {
  if (!(err instanceof ApiError) || err.status !== 403) return null;
  const d = err.details as { reason?: unknown; nextOpenAt?: unknown } | undefined;
  const reason = typeof d?.reason === 'string' ? d.reason : err.code;
  const nextOpenAt = typeof d?.nextOpenAt === 'string' ? d.nextOpenAt : undefined;
  return nextOpenAt ? { reason, nextOpenAt } : { reason };
}
