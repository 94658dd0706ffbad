/**
 * Who may do what with attendance. Institution- and region-scoped roles go through the admin table
 * (src/domain/scope.ts: kindergarten administrators keep the register, correct orders and manage
 * analytics devices; education officers read; auditors read). A teacher is bound to one group room,
 * which that table does not cover: `authorizeRoom` lets a teacher read and mark their own group's
 * register and read its notices, and nothing else. Deny by default; 404 outside the caller's reach.
 */
import type { Kysely } from 'kysely';
import {
  authorize,
  reachOf,
  type AdminAction,
  type AdminObject,
  type Grant,
  type Principal,
} from '../domain/scope.js';
import { notFound } from '../shared/errors.js';
import { PlacesRepository } from '../storage/repositories/places.js';
import { AttendanceRepository, type InstitutionInfo } from '../storage/repositories/attendance.js';
import type { Database, Role } from '../storage/schema.js';

/** What a teacher's room binding allows in that room. */
const TEACHER_RIGHTS: Partial<Record<AdminObject, readonly AdminAction[]>> = {
  register_mark: ['read', 'create'],
  absence_notice: ['read'],
};

export async function authorizeRoom(
  db: Kysely<Database>,
  p: Principal,
  object: AdminObject,
  action: AdminAction,
  roomId: string,
): Promise<Grant & { institutionId: string }> {
  const place = await new PlacesRepository(db).room(roomId);
  if (!place?.institution || place.institution.kind !== 'kindergarten') throw notFound('group');
  const teacher = p.bindings.find(
    (b) =>
      b.role === 'teacher' &&
      b.scopeKind === 'room' &&
      b.scopeId === roomId &&
      (TEACHER_RIGHTS[object]?.includes(action) ?? false),
  );
  if (teacher) return { role: 'teacher', institutionId: place.institution.id };
  try {
    return { ...authorize(p, object, action, place), institutionId: place.institution.id };
  } catch {
    throw notFound('group');
  }
}

export async function authorizeInstitution(
  db: Kysely<Database>,
  p: Principal,
  object: AdminObject,
  action: AdminAction,
  institutionId: string,
): Promise<Grant> {
  const place = await new PlacesRepository(db).institution(institutionId);
  if (!place?.institution || place.institution.kind !== 'kindergarten') throw notFound('kindergarten');
  return authorize(p, object, action, place, 'institution');
}

/** The kindergartens whose `object` the caller may read (for the dashboard and the supplier export). */
export async function kindergartensInReach(
  db: Kysely<Database>,
  p: Principal,
  object: AdminObject,
): Promise<InstitutionInfo[]> {
  const reach = reachOf(p, object);
  const repo = new AttendanceRepository(db);
  const regionIds = reach.regions.filter((r) => r.kinds.includes('kindergarten')).map((r) => r.regionId);
  const ids = reach.institutions.filter((i) => i.kinds.includes('kindergarten')).map((i) => i.institutionId);
  const found = new Map<string, InstitutionInfo>();
  for (const k of await repo.kindergartens({ regionIds })) found.set(k.id, k);
  for (const k of await repo.kindergartens({ ids })) found.set(k.id, k);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name, 'ru'));
}

/** The group rooms whose register the caller may keep: a teacher's rooms, an administrator's groups. */
export async function registerRooms(
  db: Kysely<Database>,
  p: Principal,
): Promise<{ id: string; name: string; institution_id: string }[]> {
  const repo = new AttendanceRepository(db);
  const out: { id: string; name: string; institution_id: string }[] = [];
  for (const b of p.bindings)
    if (b.role === 'teacher' && b.scopeKind === 'room') {
      const r = await repo.room(b.scopeId);
      if (r && r.kind === 'group') out.push({ id: r.id, name: r.name, institution_id: r.institution_id });
    }
  const admin = reachOf(p, 'register_mark');
  const ids = admin.institutions.map((i) => i.institutionId);
  const regionKgs = await repo.kindergartens({ regionIds: admin.regions.map((r) => r.regionId) });
  const writable = (role: Role) => role === 'kindergarten_admin' || role === 'city_operator';
  if (p.bindings.some((b) => writable(b.role)))
    for (const r of await repo.groupRooms([...ids, ...regionKgs.map((k) => k.id)]))
      if (!out.some((o) => o.id === r.id)) out.push(r);
  return out;
}
