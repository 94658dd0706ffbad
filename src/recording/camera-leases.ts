/**
 * Per-camera leases: which media node ingests, records and recovers a camera when several Okno
 * processes share one PostgreSQL database (docs/design/recording.md, "One owner per camera").
 *
 * A lease is one `camera_leases` row: the holder (a node id), the epoch (changes of holder) and when
 * it runs out. `take()` is one statement that inserts the row, renews it for its holder, or takes it
 * over once it has run out; anything else leaves the row alone and answers false. So two nodes that
 * race for a camera never both get it, whatever the dialect (SQLite serialises writers; PostgreSQL's
 * `insert … on conflict do update … where` locks the row it updates).
 *
 * A holder must stop writing before its lease can run out for others: `holds()` answers false from
 * `ttlMs − marginMs` after the last successful take, whether or not the database can be reached
 * (a node cut off from the database stops recording rather than fork the camera's segment chain).
 * Times are the nodes' own clocks: their skew must stay well under the margin (NTP).
 *
 * On SQLite (one process per database) the recording directory's lock is the owner and no lease is
 * taken. Camera-specific on purpose: small, and no dependency on a generic job lease.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../storage/schema.js';

export interface CameraLeaseOptions {
  /** This node's id; default host/pid/random. */
  holder?: string;
  /** A lease runs out this long after its last renewal. Default 30 s. */
  ttlMs?: number;
  /** Renewed when this old. Default ttlMs / 3. */
  renewMs?: number;
  /** The holder stops this long before its lease runs out (clock skew, a slow renewal). Default ttlMs / 6. */
  marginMs?: number;
}

export interface LeaseRow {
  cameraId: string;
  holder: string;
  epoch: number;
  acquiredAt: string;
  expiresAt: string;
}

export function defaultNodeId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

export class CameraLeases {
  readonly holder: string;
  readonly ttlMs: number;
  readonly renewMs: number;
  readonly marginMs: number;
  /** camera → the instant (ms) of the last successful take by this node */
  private readonly taken = new Map<string, number>();
  /** camera → the instant (ms) another node was found holding it (asked again after renewMs) */
  private readonly refused = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    opts: CameraLeaseOptions = {},
  ) {
    this.holder = opts.holder ?? defaultNodeId();
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.renewMs = opts.renewMs ?? Math.floor(this.ttlMs / 3);
    this.marginMs = opts.marginMs ?? Math.floor(this.ttlMs / 6);
    if (!(this.renewMs > 0 && this.renewMs + this.marginMs < this.ttlMs))
      throw new RangeError('a camera lease must be renewed well before it runs out');
  }

  /**
   * Takes, renews or takes over the camera's lease (one statement). True when this node holds it
   * now; false when another node holds a lease that has not run out. Database errors are thrown.
   */
  async take(cameraId: string): Promise<boolean> {
    const nowMs = this.clock.now().getTime();
    const now = new Date(nowMs).toISOString();
    const expires = new Date(nowMs + this.ttlMs).toISOString();
    const row = await this.db
      .insertInto('camera_leases')
      .values({ camera_id: cameraId, holder: this.holder, epoch: 1, acquired_at: now, expires_at: expires })
      .onConflict((oc) =>
        oc
          .column('camera_id')
          .doUpdateSet({
            holder: (eb) => eb.ref('excluded.holder'),
            expires_at: (eb) => eb.ref('excluded.expires_at'),
            epoch: sql<number>`case when camera_leases.holder = excluded.holder
              then camera_leases.epoch else camera_leases.epoch + 1 end`,
            acquired_at: sql<string>`case when camera_leases.holder = excluded.holder
              then camera_leases.acquired_at else excluded.acquired_at end`,
          })
          .where((eb) =>
            eb.or([
              eb('camera_leases.holder', '=', eb.ref('excluded.holder')),
              eb('camera_leases.expires_at', '<=', eb.ref('excluded.acquired_at')),
            ]),
          ),
      )
      .returning('holder')
      .executeTakeFirst();
    const ok = row?.holder === this.holder;
    if (ok) {
      this.taken.set(cameraId, nowMs);
      this.refused.delete(cameraId);
    } else {
      this.taken.delete(cameraId);
      this.refused.set(cameraId, nowMs);
    }
    return ok;
  }

  /** Whether this node may still write the camera: taken, and not near running out (no I/O). */
  holds(cameraId: string): boolean {
    const at = this.taken.get(cameraId);
    return at !== undefined && this.clock.now().getTime() < at + this.ttlMs - this.marginMs;
  }

  /** Whether the lease is due for renewal (no I/O). */
  dueForRenewal(cameraId: string): boolean {
    const at = this.taken.get(cameraId);
    return at === undefined || this.clock.now().getTime() - at >= this.renewMs;
  }

  /**
   * Holds the camera: renews when due, takes it when not held. True when this node may write it.
   * A failed renewal (the database unreachable) keeps what `holds()` says, so a short database
   * hiccup does not stop recording, while a long one does before the lease runs out for others.
   */
  async ensure(cameraId: string): Promise<boolean> {
    if (!this.dueForRenewal(cameraId)) return true;
    // Held elsewhere a moment ago: asked again after renewMs (a thousand cameras, not every tick).
    const refusedAt = this.refused.get(cameraId);
    if (refusedAt !== undefined && this.clock.now().getTime() - refusedAt < this.renewMs) return false;
    try {
      return await this.take(cameraId);
    } catch (err) {
      if (this.holds(cameraId)) return true;
      throw err;
    }
  }

  /** Gives the camera up (only this node's lease is deleted). */
  async release(cameraId: string): Promise<void> {
    this.taken.delete(cameraId);
    this.refused.delete(cameraId);
    await this.db
      .deleteFrom('camera_leases')
      .where('camera_id', '=', cameraId)
      .where('holder', '=', this.holder)
      .execute();
  }

  /** Gives up every lease of this node (shutdown). */
  async releaseAll(): Promise<void> {
    this.taken.clear();
    this.refused.clear();
    await this.db.deleteFrom('camera_leases').where('holder', '=', this.holder).execute();
  }

  /** Cameras of `ids` whose lease another node holds now (not run out). */
  async heldElsewhere(ids?: readonly string[]): Promise<Set<string>> {
    let q = this.db
      .selectFrom('camera_leases')
      .select('camera_id')
      .where('holder', '<>', this.holder)
      .where('expires_at', '>', this.clock.now().toISOString());
    if (ids) {
      if (ids.length === 0) return new Set();
      q = q.where('camera_id', 'in', [...ids]);
    }
    return new Set((await q.execute()).map((r) => r.camera_id));
  }

  /** Cameras this node believes it holds (no I/O). */
  held(): string[] {
    return [...this.taken.keys()].filter((id) => this.holds(id));
  }

  /** The camera's lease row, if any (for status and tests). */
  async current(cameraId: string): Promise<LeaseRow | undefined> {
    const r = await this.db
      .selectFrom('camera_leases')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .executeTakeFirst();
    return r
      ? {
          cameraId: r.camera_id,
          holder: r.holder,
          epoch: r.epoch,
          acquiredAt: r.acquired_at,
          expiresAt: r.expires_at,
        }
      : undefined;
  }
}
