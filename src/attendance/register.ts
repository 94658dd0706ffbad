/**
 * The teacher's register: one mark per child and day (present, or absent with a reason), the official
 * record of attendance. Phones queue marks while offline and send them later, so each mark carries the
 * time it was made on the phone; a mark older than the one stored for the same child and day loses.
 * Marks are accepted for today and the 7 days before (a queue that waited over a weekend), never for
 * the future. Each batch is audited in the transaction that writes it.
 */
import type { Kysely } from 'kysely';
import { appendAudit, type AuditContext } from '../audit/audit-log.js';
import { addDays } from '../policy/local-time.js';
import type { Principal } from '../domain/scope.js';
import type { Clock } from '../shared/clock.js';
import { AppError } from '../shared/errors.js';
import { AttendanceRepository, type RegisterMarkRow } from '../storage/repositories/attendance.js';
import type { AbsenceReason, Database } from '../storage/schema.js';
import { authorizeRoom } from './access.js';
import { localToday } from './days.js';

export interface RegisterDeps {
  db: Kysely<Database>;
  clock: Clock;
}

export const MARK_DAYS_BACK = 7;

export interface RosterEntry {
  childId: string;
  name: string;
  mark: { status: 'present' | 'absent'; reason: AbsenceReason | null; markedAt: string } | null;
  notice: { id: string; reason: AbsenceReason; fromDay: string; toDay: string; note: string | null } | null;
}

export interface RegisterView {
  room: { id: string; name: string; institutionId: string };
  day: string;
  today: string;
  children: RosterEntry[];
  /** parents' notices for today and later, for the teacher */
  upcomingNotices: {
    childId: string;
    name: string;
    reason: AbsenceReason;
    fromDay: string;
    toDay: string;
    note: string | null;
  }[];
}

export async function timeZoneOf(db: Kysely<Database>, institutionId: string): Promise<string> {
  return (await new AttendanceRepository(db).timeZone(institutionId)) ?? 'UTC';
}

export async function registerView(
  deps: RegisterDeps,
  p: Principal,
  roomId: string,
  day: string | undefined,
): Promise<RegisterView> {
  const { institutionId } = await authorizeRoom(deps.db, p, 'register_mark', 'read', roomId);
  const repo = new AttendanceRepository(deps.db);
  const room = (await repo.room(roomId))!;
  const today = localToday(deps.clock.now().getTime(), await timeZoneOf(deps.db, institutionId));
  const d = day ?? today;
  const children = await repo.enrolled(d, { roomId });
  const marks = new Map((await repo.marks({ roomId, day: d })).map((m) => [m.child_id, m]));
  const notices = await repo.noticesOfChildren(
    children.map((c) => c.childId),
    d < today ? d : today,
  );
  const names = new Map(children.map((c) => [c.childId, c.fullName]));
  return {
    room: { id: room.id, name: room.name, institutionId },
    day: d,
    today,
    children: children.map((c) => {
      const m = marks.get(c.childId);
      const n = notices.find((x) => x.child_id === c.childId && x.from_day <= d && x.to_day >= d);
      return {
        childId: c.childId,
        name: c.fullName,
        mark: m ? { status: m.status, reason: m.reason, markedAt: m.marked_at } : null,
        notice: n ? { id: n.id, reason: n.reason, fromDay: n.from_day, toDay: n.to_day, note: n.note } : null,
      };
    }),
    upcomingNotices: notices
      .filter((n) => n.to_day >= today)
      .map((n) => ({
        childId: n.child_id,
        name: names.get(n.child_id) ?? '',
        reason: n.reason,
        fromDay: n.from_day,
        toDay: n.to_day,
        note: n.note,
      })),
  };
}

export interface MarkInput {
  childId: string;
  day: string;
  status: 'present' | 'absent';
  reason?: AbsenceReason | undefined;
  /** when the teacher tapped, by the phone's clock (ISO) */
  markedAt: string;
}

export async function saveMarks(
  deps: RegisterDeps,
  p: Principal,
  audit: (role: string) => AuditContext,
  roomId: string,
  marks: readonly MarkInput[],
): Promise<{ kept: number; ignored: number }> {
  const grant = await authorizeRoom(deps.db, p, 'register_mark', 'create', roomId);
  const now = deps.clock.now();
  const today = localToday(now.getTime(), await timeZoneOf(deps.db, grant.institutionId));
  const repo = new AttendanceRepository(deps.db);
  const problems: string[] = [];
  const rows: RegisterMarkRow[] = [];
  const enrolledByDay = new Map<string, Set<string>>();
  for (const [i, m] of marks.entries()) {
    if (m.day > today || m.day < addDays(today, -MARK_DAYS_BACK)) {
      problems.push(`marks/${i}: ${m.day} is not between ${addDays(today, -MARK_DAYS_BACK)} and today`);
      continue;
    }
    if (m.status === 'absent' && !m.reason) problems.push(`marks/${i}: an absence needs a reason`);
    if (m.status === 'present' && m.reason)
      problems.push(`marks/${i}: a present child has no absence reason`);
    let enrolled = enrolledByDay.get(m.day);
    if (!enrolled) {
      enrolled = new Set((await repo.enrolled(m.day, { roomId })).map((c) => c.childId));
      enrolledByDay.set(m.day, enrolled);
    }
    if (!enrolled.has(m.childId)) problems.push(`marks/${i}: the child is not in this group on ${m.day}`);
    const markedAt = Date.parse(m.markedAt);
    rows.push({
      child_id: m.childId,
      day: m.day,
      institution_id: grant.institutionId,
      room_id: roomId,
      status: m.status,
      reason: m.status === 'absent' ? (m.reason ?? null) : null,
      // A phone clock ahead of the server cannot make a mark win over later ones.
      marked_at: new Date(Math.min(markedAt, now.getTime())).toISOString(),
      marked_by: p.personId,
      synced_at: now.toISOString(),
    });
  }
  if (problems.length) throw new AppError('validation_failed', problems.join('; '), { problems });
  return deps.db.transaction().execute(async (trx) => {
    const kept = await new AttendanceRepository(trx).upsertMarks(rows);
    await appendAudit(
      trx,
      audit(grant.role),
      {
        action: 'attendance.register.mark',
        targetKind: 'room',
        targetId: roomId,
        institutionId: grant.institutionId,
        details: {
          marks: rows.map((r) => ({ childId: r.child_id, day: r.day, status: r.status, reason: r.reason })),
          kept,
        },
      },
      now,
    );
    return { kept, ignored: rows.length - kept };
  });
}
