/**
 * The teacher's register on a phone: one tap per child (present, or absent with a reason), applied at
 * once on screen and queued in IndexedDB; the queue is sent now, on `online`, and every 20 s.
 */
import { useEffect, useState } from 'preact/hooks';
import { useTitle, useVisibleInterval } from '../hooks.js';
import { useMe } from '../session.js';
import { Button, ErrorState, Loading, Notice, PageHeader } from '../ui.js';
import {
  attendanceApi,
  enqueueMark,
  flushQueue,
  queuedMarks,
  type Reason,
  type RegisterView,
} from '../attendance/client.js';
import { useAttendanceText } from '../attendance/strings.js';

const REASONS: Reason[] = ['ill', 'vacation', 'other'];

export function AttendanceRegister() {
  const me = useMe();
  const t = useAttendanceText();
  useTitle(t('register.title'));
  const [rooms, setRooms] = useState<{ id: string; name: string }[] | null>(null);
  const [roomId, setRoomId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    attendanceApi.rooms(me.csrfToken).then(
      (r) => {
        setRooms(r.items);
        setRoomId(r.items[0]?.id ?? null);
      },
      (e: unknown) => setError(e),
    );
  }, [me.csrfToken]);
  if (error) return <ErrorState error={error} />;
  if (!rooms) return <Loading />;
  return (
    <div class="page">
      <PageHeader title={t('register.title')} lead={t('register.lead')} />
      {rooms.length === 0 ? <p class="muted">{t('register.noRooms')}</p> : null}
      {rooms.length > 1 ? (
        <div class="register-rooms" role="tablist">
          {rooms.map((r) => (
            <Button
              key={r.id}
              variant={r.id === roomId ? 'primary' : 'secondary'}
              onClick={() => setRoomId(r.id)}
            >
              {r.name}
            </Button>
          ))}
        </div>
      ) : null}
      {roomId ? <RoomRegister key={roomId} roomId={roomId} /> : null}
    </div>
  );
}

function RoomRegister({ roomId }: { roomId: string }) {
  const me = useMe();
  const t = useAttendanceText();
  const [view, setView] = useState<RegisterView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [queued, setQueued] = useState(0);
  const [asking, setAsking] = useState<string | null>(null);

  const sync = async () => {
    try {
      setQueued(await flushQueue(me.csrfToken, roomId));
    } catch (e) {
      setError(e);
    }
  };
  const load = async () => {
    try {
      const v = await attendanceApi.register(me.csrfToken, roomId);
      // marks still in the queue win over what the server has
      const pending = await queuedMarks(roomId);
      for (const q of pending) {
        const c = v.children.find((x) => x.childId === q.childId && q.day === v.day);
        if (c) c.mark = { status: q.status, reason: q.reason ?? null, markedAt: q.markedAt };
      }
      setView(v);
      setQueued(pending.length);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void sync().then(load);
    const online = () => void sync();
    window.addEventListener('online', online);
    return () => window.removeEventListener('online', online);
  }, [roomId]);
  useVisibleInterval(() => void sync(), 20_000);

  const mark = async (childId: string, status: 'present' | 'absent', reason?: Reason) => {
    if (!view) return;
    const m = {
      childId,
      day: view.day,
      status,
      markedAt: new Date().toISOString(),
      ...(reason ? { reason } : {}),
    };
    setView({
      ...view,
      children: view.children.map((c) =>
        c.childId === childId ? { ...c, mark: { status, reason: reason ?? null, markedAt: m.markedAt } } : c,
      ),
    });
    setAsking(null);
    await enqueueMark(roomId, m);
    setQueued((await queuedMarks(roomId)).length);
    await sync();
  };

  if (!view) return error ? <ErrorState error={error} /> : <Loading />;
  const present = view.children.filter((c) => c.mark?.status === 'present').length;
  const unmarked = view.children.filter((c) => !c.mark).length;
  return (
    <section class="register" aria-label={view.room.name}>
      <h2>
        {view.room.name} · {view.day}
      </h2>
      <p class="register-summary" role="status">
        {t('register.summary', { present, total: view.children.length, unmarked })}
      </p>
      {queued > 0 ? (
        <Notice tone="warn">{t('register.queued', { n: queued })}</Notice>
      ) : (
        <p class="muted register-synced">{t('register.synced')}</p>
      )}
      <ul class="register-list">
        {view.children.map((c) => (
          <li
            key={c.childId}
            class={`register-child ${c.mark ? `is-${c.mark.status}` : ''}`}
            data-child={c.name}
          >
            <div class="register-name">
              <strong>{c.name}</strong>
              {c.notice ? (
                <span class="muted">
                  {t('register.noticeFrom', { reason: t(`reason.${c.notice.reason}`) })}
                </span>
              ) : null}
              {c.mark?.status === 'absent' && c.mark.reason ? (
                <span class="muted">{t(`reason.${c.mark.reason}`)}</span>
              ) : null}
            </div>
            <div class="register-actions">
              <Button
                variant={c.mark?.status === 'present' ? 'primary' : 'secondary'}
                aria-pressed={c.mark?.status === 'present' ? 'true' : 'false'}
                onClick={() => void mark(c.childId, 'present')}
              >
                {t('register.present')}
              </Button>
              <Button
                variant={c.mark?.status === 'absent' ? 'danger' : 'secondary'}
                aria-pressed={c.mark?.status === 'absent' ? 'true' : 'false'}
                onClick={() =>
                  c.notice
                    ? void mark(c.childId, 'absent', c.notice.reason)
                    : setAsking(asking === c.childId ? null : c.childId)
                }
              >
                {t('register.absent')}
              </Button>
            </div>
            {asking === c.childId ? (
              <div class="register-reasons" role="group" aria-label={t('register.why')}>
                <span>{t('register.why')}</span>
                {REASONS.map((r) => (
                  <Button key={r} onClick={() => void mark(c.childId, 'absent', r)}>
                    {t(`reason.${r}`)}
                  </Button>
                ))}
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      {view.upcomingNotices.length > 0 ? (
        <>
          <h2>{t('register.upcoming')}</h2>
          <ul class="register-notices">
            {view.upcomingNotices.map((n) => (
              <li key={`${n.childId}${n.fromDay}`}>
                <strong>{n.name}</strong>: {n.fromDay === n.toDay ? n.fromDay : `${n.fromDay} — ${n.toDay}`},{' '}
                {t(`reason.${n.reason}`)}
                {n.note ? ` (${n.note})` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
