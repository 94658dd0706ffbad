/**
 * Access events: whatever changes a fact a live-access decision rests on (an enrolment, a guardian
 * link, a subscription, consent, a viewing schedule or closed day, a camera, a room, a role binding,
 * a person, a session) says so here, and the live registry re-checks the open streams the change
 * touches at once — instead of reading the database for every open stream every two seconds.
 *
 * Publishing is one call, after the change committed:
 *
 *   import { accessChanged } from '../streams/access-events.js';
 *   accessChanged({ kind: 'institution', ids: [institutionId] });
 *
 * `kind` names what changed, as narrowly as the publisher knows it; a stream is touched when it
 * relates to one of the ids (its person, session, camera, room, institution or one of its viewer's
 * children). `{ kind: 'all' }` re-checks every open stream (for changes with no better handle, such
 * as a region's settings). Publishing more than needed costs re-checks, never correctness; publishing
 * nothing leaves the change to the registry's slow full sweep (a minute by default). The admin
 * services' `change()` publishes for every admin write, so most callers never need to.
 *
 * The bus is an interface so that PostgreSQL LISTEN/NOTIFY can carry it between processes (docs/PRODUCT.md, Growing past one machine):
 * a change is plain JSON of at most NOTIFY_MAX_BYTES (`encodeAccessChange` folds a larger one into
 * `{ kind: 'all' }`), and a PostgreSQL bus would `NOTIFY okno_access, '<json>'` in the transaction of
 * the change (delivered at commit) and LISTEN on the same channel. This process uses the in-memory bus
 * below; every registry of the process subscribes to it.
 */

export const ACCESS_CHANGE_KINDS = [
  'person',
  'session',
  'child',
  'camera',
  'room',
  'institution',
  'all',
] as const;
export type AccessChangeKind = (typeof ACCESS_CHANGE_KINDS)[number];

export interface AccessChange {
  readonly kind: AccessChangeKind;
  /** ids of the kind's objects (ignored for 'all') */
  readonly ids?: readonly string[];
}

export type AccessListener = (change: AccessChange) => void;

export interface AccessEventBus {
  publish(change: AccessChange): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: AccessListener): () => void;
}

/** The PostgreSQL NOTIFY channel a cross-process bus would use. */
export const ACCESS_CHANNEL = 'okno_access';
/** NOTIFY payloads must stay under 8000 bytes. */
export const NOTIFY_MAX_BYTES = 7900;

/** The wire form of a change (a NOTIFY payload): JSON, folded into 'all' when too large. */
export function encodeAccessChange(change: AccessChange): string {
  const text = JSON.stringify({ kind: change.kind, ids: change.kind === 'all' ? [] : (change.ids ?? []) });
  return Buffer.byteLength(text) <= NOTIFY_MAX_BYTES ? text : JSON.stringify({ kind: 'all', ids: [] });
}

/** Parses a payload; anything malformed becomes 'all' (re-checking too much is safe, too little not). */
export function decodeAccessChange(payload: string): AccessChange {
  try {
    const v = JSON.parse(payload) as { kind?: unknown; ids?: unknown };
    const kind = ACCESS_CHANGE_KINDS.find((k) => k === v.kind);
    const ids: unknown[] | null = Array.isArray(v.ids) ? (v.ids as unknown[]) : null;
    if (kind && ids?.every((i): i is string => typeof i === 'string')) return { kind, ids };
  } catch {
    // fall through
  }
  return { kind: 'all', ids: [] };
}

/** Delivers synchronously to every subscriber; a throwing listener does not stop the others. */
export class InMemoryAccessEventBus implements AccessEventBus {
  private readonly listeners = new Set<AccessListener>();

  publish(change: AccessChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch {
        // a listener's failure is its own (the registry logs its own errors)
      }
    }
  }

  subscribe(listener: AccessListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** The bus of this process. */
export const accessEvents: AccessEventBus = new InMemoryAccessEventBus();

/** Says that facts changed (call after the change committed). See the module comment. */
export function accessChanged(change: AccessChange): void {
  if (change.kind !== 'all' && (!change.ids || change.ids.length === 0)) return;
  accessEvents.publish(change);
}

/**
 * The change an admin write's audit event describes: the person for person records, the person of a
 * role binding or guardian link (from the before/after views), else the institution, else everything.
 */
export function accessChangeOfAudit(event: {
  targetKind?: string | null;
  targetId?: string | null;
  institutionId?: string | null;
  details?: unknown;
}): AccessChange {
  if (event.targetKind === 'person' && event.targetId) return { kind: 'person', ids: [event.targetId] };
  const details = event.details as { before?: unknown; after?: unknown } | null | undefined;
  const personIds = [details?.before, details?.after]
    .map((v) => (v && typeof v === 'object' ? (v as { personId?: unknown }).personId : undefined))
    .filter((v): v is string => typeof v === 'string');
  if (personIds.length > 0 && !event.institutionId) return { kind: 'person', ids: [...new Set(personIds)] };
  if (event.institutionId) return { kind: 'institution', ids: [event.institutionId] };
  return { kind: 'all' };
}
