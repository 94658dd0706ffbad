/**
 * Door events from analytics devices (entrance cameras with line-crossing / people counting, or an
 * analytics box beside them), over HTTP or MQTT: one path for both (docs/design/attendance.md).
 *
 * A batch is refused whole — nothing stored, a clear error, a metric — when it is unsigned, signed by
 * an unknown or disabled device, signed wrongly, signed outside the replay window, or not the
 * documented JSON. Otherwise each event is stored once: an event id the device already sent is a
 * duplicate (counted, not stored again), so a device may resend its whole backlog after an outage.
 * Events are placed by their own time (`at`), never by arrival, so late and out-of-order events count
 * for the day they happened; an event older than attendance.eventMaxAgeDays or in the future is
 * rejected on its own with its reason, and the rest of the batch is kept.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Kysely } from 'kysely';
import { toLocalTime } from '../policy/local-time.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import {
  AttendanceIntakeRepository,
  type AttendanceEventRow,
  type DeviceAuth,
} from '../storage/repositories/attendance-intake.js';
import type { Database } from '../storage/schema.js';
import type { IntakeMetrics, IntakeVia } from './metrics.js';
import { parseTimestamp, signatureMatches } from './signature.js';

export const MAX_EVENTS_PER_BATCH = 1000;
/** Events up to this far ahead of the server clock are accepted (device clocks drift). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** Device keys are cached this long; a disabled or deleted device is refused within it. */
const DEVICE_CACHE_MS = 30_000;
/** last_event_at is written at most this often per device (it is for people, not for counting). */
const TOUCH_EVERY_MS = 60_000;
/** Local minutes remembered per zone (a burst of events falls in a few minutes; see localMinute). */
const LOCAL_MINUTES_KEPT = 4096;

export const EventSchema = Type.Object(
  {
    eventId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
    at: Type.String({
      minLength: 20,
      maxLength: 40,
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
      description: 'when the line was crossed, ISO 8601 with a zone',
    }),
    direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'people, default 1' })),
    cameraId: Type.Optional(Type.String({ description: "the device's camera (checked when given)" })),
  },
  { additionalProperties: false },
);
export const BatchSchema = Type.Object(
  { events: Type.Array(EventSchema, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }) },
  { additionalProperties: false },
);
export type EventBatch = Static<typeof BatchSchema>;
const batchCheck = TypeCompiler.Compile(BatchSchema);

export type RefusalReason =
  'unsigned' | 'unknown_device' | 'device_disabled' | 'bad_signature' | 'stale_timestamp' | 'malformed';

export interface SignedBatch {
  deviceId: string | undefined;
  timestamp: unknown;
  signature: string | undefined;
  body: string | Buffer;
}

export interface IntakeResult {
  accepted: number;
  duplicates: number;
  rejected: { eventId: string; code: 'too_old' | 'in_future' | 'wrong_camera'; message: string }[];
}

export interface IntakeOptions {
  db: Kysely<Database>;
  clock: Clock;
  metrics: IntakeMetrics;
  signatureWindowSeconds: number;
  eventMaxAgeDays: number;
}

export class AttendanceIntake {
  private readonly repo: AttendanceIntakeRepository;
  private readonly devices = new Map<string, { auth: DeviceAuth | undefined; until: number }>();
  private readonly touched = new Map<string, number>();
  private readonly localMinutes = new Map<string, Map<number, { date: string; minuteOfDay: number }>>();

  constructor(private readonly o: IntakeOptions) {
    this.repo = new AttendanceIntakeRepository(o.db);
  }

  /** Forget cached device keys (after a device is created, disabled or deleted in this process). */
  forgetDevice(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  private refuse(via: IntakeVia, reason: RefusalReason, message: string): never {
    this.o.metrics.refused.inc({ via, reason });
    const code = reason === 'malformed' ? 'validation_failed' : 'unauthenticated';
    throw new AppError(code, message, { reason });
  }

  /**
   * The local day and minute of an instant: worked out through Intl once per zone and UTC minute
   * (zone offsets of the last decades are whole minutes, so every instant of a UTC minute falls in
   * the same local minute). Formatting a date in a zone is the dearest step of storing an event.
   */
  private localMinute(atMs: number, timeZone: string): { date: string; minuteOfDay: number } {
    const minute = Math.floor(atMs / 60_000);
    let zone = this.localMinutes.get(timeZone);
    if (!zone)
      this.localMinutes.set(timeZone, (zone = new Map<number, { date: string; minuteOfDay: number }>()));
    let hit = zone.get(minute);
    if (!hit) {
      const local = toLocalTime(minute * 60_000, timeZone);
      hit = { date: local.date, minuteOfDay: local.minuteOfDay };
      if (zone.size >= LOCAL_MINUTES_KEPT) zone.clear();
      zone.set(minute, hit);
    }
    return hit;
  }

  private async device(id: string): Promise<DeviceAuth | undefined> {
    const now = Date.now();
    const hit = this.devices.get(id);
    if (hit && hit.until > now) return hit.auth;
    const auth = await this.repo.deviceAuth(id);
    this.devices.set(id, { auth, until: now + DEVICE_CACHE_MS });
    return auth;
  }

  /** Checks, then stores a signed batch. Throws AppError (401 / 400) when it is refused whole. */
  async accept(batch: SignedBatch, via: IntakeVia): Promise<IntakeResult> {
    const nowMs = this.o.clock.now().getTime();
    if (!batch.deviceId || !batch.signature || batch.timestamp === undefined)
      this.refuse(via, 'unsigned', 'unsigned: a device id, a timestamp and a signature are required');
    const ts = parseTimestamp(batch.timestamp);
    if (ts === null) this.refuse(via, 'unsigned', 'the timestamp must be whole unix seconds');
    if (Math.abs(nowMs / 1000 - ts) > this.o.signatureWindowSeconds)
      this.refuse(
        via,
        'stale_timestamp',
        `the signed timestamp is more than ${this.o.signatureWindowSeconds} s from the server clock (replayed, or the device clock is wrong)`,
      );
    const device = await this.device(batch.deviceId);
    if (!device) this.refuse(via, 'unknown_device', 'unknown device');
    if (!signatureMatches(device.secret, ts, batch.body, batch.signature))
      this.refuse(via, 'bad_signature', 'the signature does not match the body');
    if (!device.enabled) this.refuse(via, 'device_disabled', 'the device is disabled');

    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof batch.body === 'string' ? batch.body : batch.body.toString('utf8'));
    } catch {
      this.refuse(via, 'malformed', 'the body is not JSON');
    }
    if (!batchCheck.Check(parsed)) {
      const first = batchCheck.Errors(parsed).First();
      this.refuse(
        via,
        'malformed',
        `the body is not an event batch: ${first ? `${first.path || '/'} ${first.message}` : 'invalid'}`,
      );
    }
    return this.store(device, parsed, via, nowMs);
  }

  private async store(
    device: DeviceAuth,
    batch: EventBatch,
    via: IntakeVia,
    nowMs: number,
  ): Promise<IntakeResult> {
    const oldest = nowMs - this.o.eventMaxAgeDays * 86_400_000;
    const receivedAt = new Date(nowMs).toISOString();
    const rows: AttendanceEventRow[] = [];
    const rejected: IntakeResult['rejected'] = [];
    const seen = new Set<string>();
    let repeatedInBatch = 0;
    for (const e of batch.events) {
      const atMs = Date.parse(e.at);
      if (e.cameraId !== undefined && e.cameraId !== device.cameraId)
        rejected.push({ eventId: e.eventId, code: 'wrong_camera', message: "not this device's camera" });
      else if (!Number.isFinite(atMs) || atMs > nowMs + FUTURE_TOLERANCE_MS)
        rejected.push({ eventId: e.eventId, code: 'in_future', message: 'the event time is in the future' });
      else if (atMs < oldest)
        rejected.push({
          eventId: e.eventId,
          code: 'too_old',
          message: `older than ${this.o.eventMaxAgeDays} days`,
        });
      else if (seen.has(e.eventId)) repeatedInBatch++;
      else {
        seen.add(e.eventId);
        const local = this.localMinute(atMs, device.timeZone);
        rows.push({
          device_id: device.id,
          device_event_id: e.eventId,
          institution_id: device.institutionId,
          camera_id: device.cameraId,
          occurred_at: new Date(atMs).toISOString(),
          local_day: local.date,
          local_minute: local.minuteOfDay,
          direction: e.direction,
          count: e.count ?? 1,
          received_at: receivedAt,
          via,
        });
      }
    }
    const inserted = await this.repo.insertEvents(rows);
    const result: IntakeResult = {
      accepted: inserted.size,
      duplicates: rows.length - inserted.size + repeatedInBatch,
      rejected,
    };
    const m = this.o.metrics.events;
    if (result.accepted) m.inc({ via, outcome: 'accepted' }, result.accepted);
    if (result.duplicates) m.inc({ via, outcome: 'duplicate' }, result.duplicates);
    if (rejected.length) m.inc({ via, outcome: 'rejected' }, rejected.length);
    if (inserted.size > 0 && (this.touched.get(device.id) ?? 0) + TOUCH_EVERY_MS <= nowMs) {
      this.touched.set(device.id, nowMs);
      await this.repo.touchDevice(device.id, receivedAt);
    }
    return result;
  }
}
