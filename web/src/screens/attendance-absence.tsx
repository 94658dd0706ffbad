/** Parents: «Маша не придёт» for a day or a range, with a reason; the list of notices given. */
import { useState } from 'preact/hooks';
import { useAsync, useTitle } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { useMe } from '../session.js';
import { Button, ErrorState, Loading, Notice, PageHeader } from '../ui.js';
import { attendanceApi, type MyChildNotices, type Reason } from '../attendance/client.js';
import { useAttendanceText } from '../attendance/strings.js';

export function AttendanceAbsence() {
  const me = useMe();
  const t = useAttendanceText();
  useTitle(t('absence.title'));
  const [state, reload] = useAsync(() => attendanceApi.myNotices(me.csrfToken), [me.csrfToken]);
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} />;
  if (!state.data) return <Loading />;
  const children = state.data.children;
  return (
    <div class="page">
      <PageHeader title={t('absence.title')} />
      {children.length === 0 ? <p class="muted">{t('absence.noChildren')}</p> : null}
      {children.map((c) => (
        <ChildAbsence key={c.childId} child={c} onChange={reload} />
      ))}
    </div>
  );
}

function ChildAbsence({ child, onChange }: { child: MyChildNotices; onChange: () => void }) {
  const me = useMe();
  const { lang } = useI18n();
  const t = useAttendanceText();
  const [from, setFrom] = useState(child.tomorrow);
  const [to, setTo] = useState(child.tomorrow);
  const [reason, setReason] = useState<Reason>('ill');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const cutoff = new Date(child.orderCutoffAt).toLocaleTimeString(lang === 'en' ? 'en-GB' : 'ru-RU', {
    hour: '2-digit',
    minute: '2-digit',
  });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await attendanceApi.giveNotice(me.csrfToken, {
        childId: child.childId,
        fromDay: from,
        toDay: to < from ? from : to,
        reason,
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setDone(
        `${t('absence.sent')} ${r.lowersOrderFor ? t('absence.lowers', { day: r.lowersOrderFor }) : t('absence.tooLate')}`,
      );
      onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const firstName = child.name.split(' ')[0] ?? child.name;
  return (
    <section class="card absence" aria-label={child.name}>
      <h2 class="card-title">{child.name}</h2>
      <p class="muted">{t('absence.lead', { cutoff })}</p>
      <form class="form absence-form" onSubmit={(e) => void submit(e)}>
        <label class="field">
          <span class="field-label">{t('absence.from')}</span>
          <input
            type="date"
            min={child.today}
            value={from}
            onInput={(e) => setFrom(e.currentTarget.value)}
            required
          />
        </label>
        <label class="field">
          <span class="field-label">{t('absence.to')}</span>
          <input type="date" min={from} value={to} onInput={(e) => setTo(e.currentTarget.value)} required />
        </label>
        <label class="field">
          <span class="field-label">{t('absence.reason')}</span>
          <select value={reason} onChange={(e) => setReason(e.currentTarget.value as Reason)}>
            <option value="ill">{t('reason.ill')}</option>
            <option value="vacation">{t('reason.vacation')}</option>
            <option value="other">{t('reason.other')}</option>
          </select>
        </label>
        <label class="field">
          <span class="field-label">{t('absence.note')}</span>
          <input type="text" maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <Button type="submit" variant="primary" busy={busy}>
          {t('absence.send', { name: firstName })}
        </Button>
      </form>
      {done ? <Notice tone="ok">{done}</Notice> : null}
      {error ? <ErrorState error={error} /> : null}
      <h3>{t('absence.list')}</h3>
      {child.notices.length === 0 ? <p class="muted">{t('absence.none')}</p> : null}
      <ul class="absence-list">
        {child.notices.map((n) => (
          <li key={n.id}>
            {n.fromDay === n.toDay ? n.fromDay : `${n.fromDay} — ${n.toDay}`}: {t(`reason.${n.reason}`)}
            {n.note ? ` (${n.note})` : ''}{' '}
            <Button
              variant="ghost"
              onClick={() => void attendanceApi.cancelNotice(me.csrfToken, n.id).then(onChange, setError)}
            >
              {t('absence.cancel')}
            </Button>
          </li>
        ))}
      </ul>
    </section>
  );
}
