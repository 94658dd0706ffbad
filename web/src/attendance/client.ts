/**
 * The attendance API from the browser, and the register's offline queue: marks are kept in IndexedDB
 * until the server has them, so a teacher can keep marking with no network and the phone sends the
 * queue when it is back (on `online`, on every new mark, and every 20 s while the screen is open).
 */
import { ApiError } from '../api.js';

export type Reason = 'ill' | 'vacation' | 'other';

export interface RosterEntry {
  childId: string;
  name: string;
  mark: { status: 'present' | 'absent'; reason: Reason | null; markedAt: string } | null;
  notice: { id: string; reason: Reason; fromDay: string; toDay: string; note: string | null } | null;
}
export interface RegisterView {
  room: { id: string; name: string; institutionId: string };
  day: string;
  today: string;
  children: RosterEntry[];
  upcomingNotices: {
    childId: string;
    name: string;
    reason: Reason;
    fromDay: string;
    toDay: string;
    note: string | null;
  }[];
}
export interface Mark {
  childId: string;
  day: string;
  status: 'present' | 'absent';
  reason?: Reason;
  markedAt: string;
}
export interface MyChildNotices {
  childId: string;
  name: string;
  today: string;
  tomorrow: string;
  orderCutoffAt: string;
  notices: {
    id: string;
    childId: string;
    fromDay: string;
    toDay: string;
    reason: Reason;
    note: string | null;
  }[];
}
export interface Dashboard {
  from: string;
  to: string;
  today: string;
  tomorrow: string;
  kindergartens: {
    id: string;
    name: string;
    today: KgDay | null;
    mape30: number | null;
    mapeDays: number;
    tomorrowOrder: { total: number; status: 'draft' | 'final'; cutoffAt: string };
  }[];
  days: {
    day: string;
    enrolled: number;
    present: number;
    rate: number | null;
    ordered: number | null;
    actual: number | null;
  }[];
  perKindergarten: KgDay[];
  disagreements: (KgDay & { name: string; difference: number })[];
}
export interface KgDay {
  institutionId: string;
  day: string;
  enrolled: number;
  present: number;
  unmarked: number;
  doorArrivals: number | null;
  flagged: boolean;
}

async function call<T>(method: string, path: string, csrf: string, json?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['x-csrf-token'] = csrf;
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : 'network error');
  }
  const parsed = (await res.json().catch(() => null)) as
    (T & { code?: string; message?: string; details?: unknown }) | null;
  if (!res.ok)
    throw new ApiError(
      res.status,
      parsed?.code ?? `http_${res.status}`,
      parsed?.message ?? '',
      parsed?.details,
    );
  return parsed as T;
}

export const attendanceApi = {
  rooms: (csrf: string) =>
    call<{ items: { id: string; name: string }[] }>('GET', '/api/attendance/rooms', csrf),
  register: (csrf: string, roomId: string) =>
    call<RegisterView>('GET', `/api/attendance/rooms/${roomId}/register`, csrf),
  mark: (csrf: string, roomId: string, marks: Mark[]) =>
    call<{ kept: number }>('POST', `/api/attendance/rooms/${roomId}/register`, csrf, { marks }),
  myNotices: (csrf: string) =>
    call<{ children: MyChildNotices[] }>('GET', '/api/attendance/my/notices', csrf),
  giveNotice: (
    csrf: string,
    body: { childId: string; fromDay: string; toDay: string; reason: Reason; note?: string },
  ) => call<{ lowersOrderFor: string | null }>('POST', '/api/attendance/my/notices', csrf, body),
  cancelNotice: (csrf: string, id: string) => call<null>('DELETE', `/api/attendance/my/notices/${id}`, csrf),
  dashboard: (csrf: string) => call<Dashboard>('GET', '/api/attendance/dashboard', csrf),
};

// ── the offline queue (IndexedDB) ─────────────────────────────────────────────────────────────────
interface Queued extends Mark {
  key: string;
  roomId: string;
}

const DB_NAME = 'okno-register';
const STORE = 'queue';

function openQueue(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB'));
  });
}

function tx<T>(
  mode: IDBTransactionMode,
  run: (s: IDBObjectStore) => IDBRequest<T> | void,
): Promise<T | undefined> {
  return openQueue().then(
    (db) =>
      new Promise<T | undefined>((resolve, reject) => {
        const t = db.transaction(STORE, mode);
        const req = run(t.objectStore(STORE));
        t.oncomplete = () => {
          db.close();
          resolve(req ? req.result : undefined);
        };
        t.onerror = () => reject(t.error ?? new Error('IndexedDB'));
      }),
  );
}

/** Queues a mark (a later mark of the same child and day replaces the queued one). */
export async function enqueueMark(roomId: string, m: Mark): Promise<void> {
  await tx('readwrite', (s) => s.put({ ...m, roomId, key: `${roomId}|${m.childId}|${m.day}` }));
}

export async function queuedMarks(roomId: string): Promise<Queued[]> {
  const all = ((await tx('readonly', (s) => s.getAll())) ?? []) as Queued[];
  return all.filter((q) => q.roomId === roomId);
}

/** Sends the room's queue; what the server took leaves the queue. Returns what is still queued. */
export async function flushQueue(csrf: string, roomId: string): Promise<number> {
  const queued = await queuedMarks(roomId);
  if (queued.length === 0) return 0;
  try {
    await attendanceApi.mark(
      csrf,
      roomId,
      queued.map(({ childId, day, status, reason, markedAt }) => ({
        childId,
        day,
        status,
        markedAt,
        ...(reason ? { reason } : {}),
      })),
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 0) return queued.length; // offline: keep them
    if (err instanceof ApiError && err.status === 400) {
      // refused for good (a child no longer in the group, a day too old): drop them, say so
      await tx('readwrite', (s) => {
        for (const q of queued) s.delete(q.key);
      });
    }
    throw err;
  }
  // A mark queued while this batch was on its way stays (it has a later markedAt).
  const now = await queuedMarks(roomId);
  await tx('readwrite', (s) => {
    for (const q of queued) if (now.find((x) => x.key === q.key)?.markedAt === q.markedAt) s.delete(q.key);
  });
  return (await queuedMarks(roomId)).length;
}
