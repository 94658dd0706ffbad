/**
 * Parents' absence notices: «Маша не придёт» for a day or a range, with a reason. A verified guardian
 * gives and cancels them for their own child; the teacher sees them in the register; until the cut-off
 * they lower tomorrow's meal order (orders.ts reads them). Each is audited with the change.
 */
import type { Kysely } from 'kysely';
import { appendAudit, type AuditContext } from '../audit/audit-log.js';
import { addDays, isLocalDate } from '../policy/local-time.js';
import type { Clock } from '../shared/clock.js';
import { AppError, notFound } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { AttendanceRepository, type AbsenceNoticeRow } from '../storage/repositories/attendance.js';
import type { AbsenceReason, Database } from '../storage/schema.js';
import { cutoffOf, localToday } from './days.js';
import { timeZoneOf } from './register.js';

export interface NoticeDeps {
  db: Kysely<Database>;
  clock: Clock;
  cutoffHour: number;
}

/** A notice may cover at most this many days (a long absence is given again, or arranged with staff). */
export const MAX_NOTICE_DAYS = 60;

export interface NoticeView {
  id: string;
  childId: string;
  fromDay: string;
  toDay: string;
  reason: AbsenceReason;
  note: string | null;
  createdAt: string;
}

export const noticeView = (n: AbsenceNoticeRow): NoticeView => ({
  id: n.id,
  childId: n.child_id,
  fromDay: n.from_day,
  toDay: n.to_day,
  reason: n.reason,
  note: n.note,
  createdAt: n.created_at,
});

export interface MyChildNotices {
  childId: string;
  name: string;
  today: string;
  tomorrow: string;
  /** when tomorrow's meal order becomes final: a notice for tomorrow given before then lowers it */
  orderCutoffAt: string;
  notices: NoticeView[];
}

export async function myNotices(deps: NoticeDeps, personId: string): Promise<MyChildNotices[]> {
  const repo = new AttendanceRepository(deps.db);
  const children = await repo.guardedChildren(personId);
  const out: MyChildNotices[] = [];
  const nowMs = deps.clock.now().getTime();
  for (const c of children) {
    const tz = await timeZoneOf(deps.db, c.institution_id);
    const today = localToday(nowMs, tz);
    const tomorrow = addDays(today, 1);
    const notices = await repo.noticesOfChildren([c.id], today);
    out.push({
      childId: c.id,
      name: c.full_name,
      today,
      tomorrow,
      orderCutoffAt: cutoffOf(tomorrow, deps.cutoffHour, tz).toISOString(),
      notices: notices.map(noticeView),
    });
  }
  return out;
}

export interface NewNotice {
  childId: string;
  fromDay: string;
  toDay: string;
  reason: AbsenceReason;
  note?: string | undefined;
}

export async function giveNotice(
  deps: NoticeDeps,
  personId: string,
  audit: AuditContext,
  input: NewNotice,
): Promise<NoticeView & { lowersOrderFor: string | null }> {
  const repo = new AttendanceRepository(deps.db);
  if (!(await repo.isVerifiedGuardian(personId, input.childId))) throw notFound('child');
  if (!isLocalDate(input.fromDay) || !isLocalDate(input.toDay))
    throw new AppError('validation_failed', 'days are written YYYY-MM-DD');
  if (input.toDay < input.fromDay) throw new AppError('validation_failed', 'the range ends before it starts');
  const child = (await repo.child(input.childId))!;
  const tz = await timeZoneOf(deps.db, child.institution_id);
  const now = deps.clock.now();
  const today = localToday(now.getTime(), tz);
  if (input.fromDay < today) throw new AppError('validation_failed', 'a notice starts today or later');
  if (input.toDay > addDays(input.fromDay, MAX_NOTICE_DAYS - 1))
    throw new AppError('validation_failed', `a notice covers at most ${MAX_NOTICE_DAYS} days`);
  const row: AbsenceNoticeRow = {
    id: newId(),
    child_id: input.childId,
    institution_id: child.institution_id,
    from_day: input.fromDay,
    to_day: input.toDay,
    reason: input.reason,
    note: input.note?.trim() || null,
    created_by: personId,
    created_at: now.toISOString(),
    cancelled_at: null,
  };
  await deps.db.transaction().execute(async (trx) => {
    await new AttendanceRepository(trx).insertNotice(row);
    await appendAudit(
      trx,
      audit,
      {
        action: 'attendance.notice.create',
        targetKind: 'child',
        targetId: input.childId,
        institutionId: child.institution_id,
        details: { noticeId: row.id, fromDay: row.from_day, toDay: row.to_day, reason: row.reason },
      },
      now,
    );
  });
  // The first day whose order this notice still lowers: a day whose cut-off has not passed.
  let lowersOrderFor: string | null = null;
  for (let d = input.fromDay; d <= input.toDay; d = addDays(d, 1))
    if (now.getTime() < cutoffOf(d, deps.cutoffHour, tz).getTime()) {
      lowersOrderFor = d;
      break;
    }
  return { ...noticeView(row), lowersOrderFor };
}

export async function cancelNotice(
  deps: NoticeDeps,
  personId: string,
  audit: AuditContext,
  noticeId: string,
): Promise<void> {
  const repo = new AttendanceRepository(deps.db);
  const n = await repo.notice(noticeId);
  if (!n || n.cancelled_at || !(await repo.isVerifiedGuardian(personId, n.child_id)))
    throw notFound('notice');
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await new AttendanceRepository(trx).cancelNotice(noticeId, now.toISOString());
    await appendAudit(
      trx,
      audit,
      {
        action: 'attendance.notice.cancel',
        targetKind: 'child',
        targetId: n.child_id,
        institutionId: n.institution_id,
        details: { noticeId },
      },
      now,
    );
  });
}
