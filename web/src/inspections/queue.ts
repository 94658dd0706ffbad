/**
 * Offline first (docs/design/inspections.md, "On the phone"): everything the specialist does is
 * written to IndexedDB first — photos (the bytes, their sha256, device time and position, taken at
 * capture), «Начать проверку» and «Завершить» — and a single uploader sends it when the phone is
 * online: photos in chunks that resume where the server stopped (idempotent by content hash), then
 * the seal. A record leaves the phone's queue only when the server has confirmed it.
 */

export interface Position {
  latitude: number;
  longitude: number;
  accuracyM: number | null;
}

export type PhotoState = 'waiting' | 'uploading' | 'stored' | 'failed';

export interface LocalPhoto {
  key: string; // `${inspectionId}:${sha256}`
  inspectionId: string;
  sha256: string;
  bytes: number;
  mime: string;
  /** dropped once the server has stored the photo */
  blob: Blob | null;
  live: boolean;
  deviceTakenAt: string;
  position: Position | null;
  state: PhotoState;
  sent: number;
  error: string | null;
}

export type Op =
  | {
      key: string;
      inspectionId: string;
      kind: 'start';
      startedAt: string;
      position: Position | null;
      error?: string | null;
    }
  | {
      key: string;
      inspectionId: string;
      kind: 'finish';
      answers: Record<string, 'yes' | 'no' | 'na'>;
      notes: string;
      outcome: 'satisfactory' | 'needs_attention' | 'unsatisfactory';
      doneAt: string;
      error?: string | null;
    };

const DB_NAME = 'okno-inspections';
const CHUNK = 256 * 1024;

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

let dbPromise: Promise<IDBDatabase> | null = null;
function open(): Promise<IDBDatabase> {
  dbPromise ??= new Promise((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, 1);
    r.onupgradeneeded = () => {
      const db = r.result;
      db.createObjectStore('photos', { keyPath: 'key' }).createIndex('inspection', 'inspectionId');
      db.createObjectStore('ops', { keyPath: 'key' });
      db.createObjectStore('cache', { keyPath: 'key' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB unavailable'));
  });
  return dbPromise;
}

async function store(name: 'photos' | 'ops' | 'cache', mode: IDBTransactionMode = 'readonly') {
  return (await open()).transaction(name, mode).objectStore(name);
}

export async function allPhotos(): Promise<LocalPhoto[]> {
  return req((await store('photos')).getAll() as IDBRequest<LocalPhoto[]>);
}
export async function photosOf(inspectionId: string): Promise<LocalPhoto[]> {
  const s = await store('photos');
  const list = await req(s.index('inspection').getAll(inspectionId) as IDBRequest<LocalPhoto[]>);
  return list.sort((a, b) => a.deviceTakenAt.localeCompare(b.deviceTakenAt));
}
async function putPhoto(p: LocalPhoto): Promise<void> {
  await req((await store('photos', 'readwrite')).put(p));
}
export async function allOps(): Promise<Op[]> {
  return req((await store('ops')).getAll() as IDBRequest<Op[]>);
}
async function putOp(op: Op): Promise<void> {
  await req((await store('ops', 'readwrite')).put(op));
}
async function deleteOp(key: string): Promise<void> {
  await req((await store('ops', 'readwrite')).delete(key));
}
export async function cacheGet<T>(key: string): Promise<T | undefined> {
  const row = await req((await store('cache')).get(key) as IDBRequest<{ key: string; value: T } | undefined>);
  return row?.value;
}
export async function cachePut(key: string, value: unknown): Promise<void> {
  await req((await store('cache', 'readwrite')).put({ key, value }));
}

// ---------------------------------------------------------------------------------------------------
// Listeners: the screens re-read the queue when it changes.

const listeners = new Set<() => void>();
export function onQueueChange(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
function changed(): void {
  for (const l of listeners) l();
}

// ---------------------------------------------------------------------------------------------------
// Capture

export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', data);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Keeps a captured photo on the phone (hash and device time taken now) and wakes the uploader. */
export async function keepPhoto(
  inspectionId: string,
  blob: Blob,
  v: { live: boolean; position: Position | null; takenAt?: Date },
): Promise<LocalPhoto> {
  const sha256 = await sha256Hex(await blob.arrayBuffer());
  const photo: LocalPhoto = {
    key: `${inspectionId}:${sha256}`,
    inspectionId,
    sha256,
    bytes: blob.size,
    mime: blob.type || 'image/jpeg',
    blob,
    live: v.live,
    deviceTakenAt: (v.takenAt ?? new Date()).toISOString(),
    position: v.position,
    state: 'waiting',
    sent: 0,
    error: null,
  };
  await putPhoto(photo);
  changed();
  void syncNow();
  return photo;
}

export async function queueStart(inspectionId: string, position: Position | null): Promise<void> {
  await putOp({
    key: `${inspectionId}:start`,
    inspectionId,
    kind: 'start',
    startedAt: new Date().toISOString(),
    position,
  });
  changed();
  void syncNow();
}

export async function queueFinish(
  inspectionId: string,
  v: Pick<Extract<Op, { kind: 'finish' }>, 'answers' | 'notes' | 'outcome'>,
): Promise<void> {
  await putOp({
    key: `${inspectionId}:finish`,
    inspectionId,
    kind: 'finish',
    doneAt: new Date().toISOString(),
    ...v,
  });
  changed();
  void syncNow();
}

// ---------------------------------------------------------------------------------------------------
// The uploader

let csrf = '';
export function setCsrfToken(token: string): void {
  csrf = token;
}

export type SyncProblem = 'unauthenticated' | null;
let problem: SyncProblem = null;
export function syncProblem(): SyncProblem {
  return problem;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined,
  ) {
    super(message);
  }
}

async function call<T>(method: string, url: string, body?: unknown, raw?: Blob): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-csrf-token': csrf };
  if (raw) {
    headers['content-type'] = 'application/octet-stream';
    headers['x-device-now'] = new Date().toISOString();
  } else if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
  });
  const parsed = (await res.json().catch(() => null)) as
    (T & { code?: string; message?: string; details?: Record<string, unknown> }) | null;
  if (!res.ok)
    throw new HttpError(
      res.status,
      parsed?.code ?? `http_${res.status}`,
      parsed?.message ?? res.statusText,
      parsed?.details,
    );
  return parsed as T;
}

interface UploadState {
  state: 'partial' | 'stored';
  received: number;
  bytes: number;
}

async function uploadPhoto(p: LocalPhoto): Promise<void> {
  const base = `/api/inspections/${p.inspectionId}/uploads`;
  let st = await call<UploadState>('POST', base, {
    sha256: p.sha256,
    bytes: p.bytes,
    category: 'living_conditions',
    live: p.live,
    deviceTakenAt: p.deviceTakenAt,
    deviceNow: new Date().toISOString(),
    position: p.position,
  });
  while (st.state === 'partial') {
    if (!navigator.onLine || !p.blob) throw new Offline();
    p.state = 'uploading';
    p.sent = st.received;
    await putPhoto(p);
    changed();
    const piece = p.blob.slice(st.received, Math.min(p.bytes, st.received + CHUNK));
    try {
      st = await call<UploadState>('PUT', `${base}/${p.sha256}?offset=${st.received}`, undefined, piece);
    } catch (e) {
      // The server has another count (a chunk was lost or sent twice): go on from there.
      if (e instanceof HttpError && e.code === 'conflict' && typeof e.details?.received === 'number') {
        st = { state: 'partial', received: e.details.received, bytes: p.bytes };
        continue;
      }
      throw e;
    }
  }
  p.state = 'stored';
  p.sent = p.bytes;
  p.blob = null;
  p.error = null;
  await putPhoto(p);
  changed();
}

class Offline extends Error {}

let running: Promise<void> | null = null;
let again = false;

/** Sends whatever is waiting, once at a time; safe to call any time (does nothing offline). */
export function syncNow(): Promise<void> {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      await syncOnce();
    } while (again && navigator.onLine);
  })().finally(() => {
    running = null;
  });
  return running;
}

async function syncOnce(): Promise<void> {
  if (!navigator.onLine) return;
  try {
    const ops = await allOps();
    for (const op of ops.filter((o) => o.kind === 'start')) {
      if (op.kind !== 'start') continue;
      await call('POST', `/api/inspections/${op.inspectionId}/start`, {
        startedAt: op.startedAt,
        position: op.position,
      });
      await deleteOp(op.key);
      changed();
    }
    for (const p of await allPhotos()) {
      if (p.state === 'stored' || p.state === 'failed') continue;
      if (!navigator.onLine) return;
      try {
        await uploadPhoto(p);
      } catch (e) {
        if (
          e instanceof HttpError &&
          e.status >= 400 &&
          e.status < 500 &&
          e.status !== 401 &&
          e.status !== 403
        ) {
          p.state = 'failed';
          p.error = e.message;
          await putPhoto(p);
          changed();
        } else throw e;
      }
    }
    for (const op of ops.filter((o) => o.kind === 'finish')) {
      if (op.kind !== 'finish') continue;
      const photos = (await photosOf(op.inspectionId))
        .filter((p) => p.state !== 'failed')
        .map((p) => p.sha256);
      try {
        await call('POST', `/api/inspections/${op.inspectionId}/finish`, {
          answers: op.answers,
          notes: op.notes,
          outcome: op.outcome,
          doneAt: op.doneAt,
          deviceNow: new Date().toISOString(),
          photos,
        });
      } catch (e) {
        if (e instanceof HttpError && e.details?.reason === 'photos_missing') continue;
        if (e instanceof HttpError && e.status >= 400 && e.status < 500 && e.status !== 401) {
          await putOp({ ...op, error: e.message });
          changed();
          continue;
        }
        throw e;
      }
      await deleteOp(op.key);
      changed();
    }
    problem = null;
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) problem = 'unauthenticated';
    // Offline or a network failure: everything stays queued; the next wake-up goes on.
    changed();
  }
}

let started = false;
/** Wakes the uploader when the phone comes back online and every 15 s while something waits. */
export function startUploader(): void {
  if (started) return;
  started = true;
  window.addEventListener('online', () => void syncNow());
  window.setInterval(() => {
    if (navigator.onLine) void syncNow();
  }, 15_000);
  void syncNow();
}

/** What is still only on the phone. */
export async function pendingSummary(
  inspectionId?: string,
): Promise<{ photos: number; finish: boolean; start: boolean }> {
  const photos = (await allPhotos()).filter(
    (p) => p.state !== 'stored' && (!inspectionId || p.inspectionId === inspectionId),
  );
  const ops = (await allOps()).filter((o) => !inspectionId || o.inspectionId === inspectionId);
  return {
    photos: photos.length,
    finish: ops.some((o) => o.kind === 'finish'),
    start: ops.some((o) => o.kind === 'start'),
  };
}

/** A GET through the same client (errors carry the server's code, message and details). */
export function fetchJson<T>(url: string): Promise<T> {
  return call<T>('GET', url);
}

export function isReasonRequired(e: unknown): boolean {
  return e instanceof HttpError && e.details?.reason === 'reason_required';
}
