/**
 * Analytics devices: one per entrance camera, with the HMAC secret its events are signed with. The
 * secret is generated here and shown once, in the answer to its creation; it is never returned again
 * (like a camera's credentials). Created and removed by the kindergarten's administrators, audited.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit, type AuditContext } from '../audit/audit-log.js';
import type { Principal } from '../domain/scope.js';
import type { Clock } from '../shared/clock.js';
import { AppError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import {
  AttendanceIntakeRepository,
  type AttendanceDeviceRow,
} from '../storage/repositories/attendance-intake.js';
import { PlacesRepository } from '../storage/repositories/places.js';
import type { Database } from '../storage/schema.js';
import { authorize } from '../domain/scope.js';
import { authorizeInstitution } from './access.js';

export interface DeviceDeps {
  db: Kysely<Database>;
  clock: Clock;
}

export interface DeviceView {
  id: string;
  institutionId: string;
  cameraId: string;
  name: string;
  enabled: boolean;
  lastEventAt: string | null;
  createdAt: string;
}

const view = (d: AttendanceDeviceRow): DeviceView => ({
  id: d.id,
  institutionId: d.institution_id,
  cameraId: d.camera_id,
  name: d.name,
  enabled: d.enabled === 1,
  lastEventAt: d.last_event_at,
  createdAt: d.created_at,
});

export async function listDevices(
  deps: DeviceDeps,
  p: Principal,
  institutionId: string,
): Promise<DeviceView[]> {
  await authorizeInstitution(deps.db, p, 'attendance_device', 'read', institutionId);
  return (await new AttendanceIntakeRepository(deps.db).listDevices(institutionId)).map(view);
}

export async function createDevice(
  deps: DeviceDeps,
  p: Principal,
  audit: (role: string) => AuditContext,
  input: { cameraId: string; name?: string | undefined },
): Promise<DeviceView & { secret: string }> {
  const places = new PlacesRepository(deps.db);
  const place = await places.locate('camera', input.cameraId);
  if (!place?.institution || place.institution.kind !== 'kindergarten') throw notFound('camera');
  const grant = authorize(p, 'attendance_device', 'create', place, 'camera');
  const camera = (await new AttendanceIntakeRepository(deps.db).camera(input.cameraId))!;
  if (camera.kind !== 'entrance')
    throw new AppError(
      'validation_failed',
      'analytics devices count people at an entrance: choose an entrance camera',
    );
  const now = deps.clock.now().toISOString();
  const row: AttendanceDeviceRow = {
    id: newId(),
    institution_id: place.institution.id,
    camera_id: input.cameraId,
    name: input.name?.trim() || `Счётчик: ${camera.name}`,
    secret: randomBytes(32).toString('base64url'),
    enabled: 1,
    last_event_at: null,
    created_at: now,
    updated_at: now,
  };
  try {
    await deps.db.transaction().execute(async (trx) => {
      await new AttendanceIntakeRepository(trx).insertDevice(row);
      await appendAudit(
        trx,
        audit(grant.role),
        {
          action: 'attendance.device.create',
          targetKind: 'attendance_device',
          targetId: row.id,
          institutionId: row.institution_id,
          details: { cameraId: row.camera_id, name: row.name },
        },
        new Date(now),
      );
    });
  } catch (err) {
    if (String(err).match(/unique|UNIQUE/))
      throw new AppError('conflict', 'this camera already has an analytics device');
    throw err;
  }
  return { ...view(row), secret: row.secret };
}

export async function deleteDevice(
  deps: DeviceDeps,
  p: Principal,
  audit: (role: string) => AuditContext,
  deviceId: string,
): Promise<void> {
  const repo = new AttendanceIntakeRepository(deps.db);
  const d = await repo.findDevice(deviceId);
  if (!d) throw notFound('analytics device');
  const grant = await authorizeInstitution(deps.db, p, 'attendance_device', 'delete', d.institution_id).catch(
    () => {
      throw notFound('analytics device');
    },
  );
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await new AttendanceIntakeRepository(trx).deleteDevice(deviceId);
    await appendAudit(
      trx,
      audit(grant.role),
      {
        action: 'attendance.device.delete',
        targetKind: 'attendance_device',
        targetId: deviceId,
        institutionId: d.institution_id,
      },
      now,
    );
  });
}
