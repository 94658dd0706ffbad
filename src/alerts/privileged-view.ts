/**
 * `video.privileged_view`: staff — anyone watching by a role, not as the child's parent or guardian
 * (a kindergarten administrator, a city operator, an inspector, …) — opened live video or a recording
 * of a children's camera (an institution of kind kindergarten). Raised in the transaction that
 * records the grant; deduplicated per person × camera × clock hour, so a shift of watching is one
 * alert, not one per renewal or reconnect. Parents' grants never come here (no cost to them).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { CameraRow } from '../storage/repositories/access-facts.js';
import type { Database } from '../storage/schema.js';
import { raiseAlert } from './raise.js';

export async function raisePrivilegedView(
  db: Kysely<Database>,
  clock: Clock,
  v: {
    personId: string;
    role: string;
    camera: CameraRow;
    what: 'live' | 'playback' | 'export';
    streamId: string;
    /** recordings: the range and the stated reason */
    range?: { from: string; to: string };
    reason?: string;
  },
): Promise<void> {
  const c = v.camera.facts;
  if (c.institutionKind !== 'kindergarten') return;
  const now = clock.now();
  const hour = now.toISOString().slice(0, 13);
  const what = { live: 'смотрит трансляцию', playback: 'смотрит запись', export: 'выгрузил запись' }[v.what];
  await raiseAlert(db, clock, {
    kind: 'video.privileged_view',
    severity: 'warning',
    regionId: c.regionId,
    institutionId: c.institutionId,
    roomId: c.roomId,
    cameraId: c.cameraId,
    actorPersonId: v.personId,
    title: `Сотрудник ${what}: «${v.camera.name}»`,
    body:
      `Камера «${v.camera.name}» (${v.camera.roomName}, ${v.camera.institutionName}): сотрудник с ролью ` +
      `${v.role} ${what}.` +
      (v.reason ? ` Указанная причина: ${v.reason}` : ''),
    evidence: {
      personId: v.personId,
      role: v.role,
      access: v.what,
      streamId: v.streamId,
      zone: c.roomZone,
      at: now.toISOString(),
      ...(v.range ? { from: v.range.from, to: v.range.to } : {}),
      ...(v.reason ? { reason: v.reason } : {}),
    },
    dedupeKey: `video.privileged_view:${v.personId}:${c.cameraId}:${v.what === 'live' ? 'live' : 'rec'}:${hour}`,
  });
}
