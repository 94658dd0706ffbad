/**
 * The reception desk (a tablet at the workplace): the recording state, always visible and polled
 * every 2 s («Идёт запись» / «Запись не идёт» / «Камера не работает»); «Начать приём» with the visitor
 * category and an optional case number (no citizen names); while a visit is open, a full-screen notice
 * the citizen can read that the meeting is recorded, and «Завершить приём».
 */
import { useEffect, useState } from 'preact/hooks';
import { useAsync, useTitle, useVisibleInterval, useNow } from '../hooks.js';
import { Link, navigate } from '../router.js';
import {
  Button,
  Card,
  EmptyState,
  ErrorState,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  TextField,
  errorMessage,
} from '../ui.js';
import { useI18n } from '../i18n.js';
import { visitsApi, type RecordingState, type WorkplaceState } from '../visits/api.js';
import '../visits/visits.css';

const STATE_TEXT: Record<RecordingState, string> = {
  recording: 'Идёт запись',
  not_recording: 'Запись не идёт',
  camera_down: 'Камера не работает',
};

const WHY_TEXT: Record<string, string> = {
  no_visit: 'запись начнётся, когда начнётся приём',
  outside_working_hours: 'вне рабочих часов',
  closed_day: 'нерабочий день',
  no_working_hours: 'рабочие часы не заданы',
  policy_off: 'запись отключена',
  camera_disabled: 'камера выключена',
  disk_full: 'нет места на диске записи',
};

export function VisitsDeskIndex() {
  useTitle('Приём граждан');
  const [list, reload] = useAsync(() => visitsApi.workplaces(), []);
  useEffect(() => {
    if (list.data?.length === 1) navigate(`/desk/${list.data[0]!.roomId}`, { replace: true });
  }, [list.data]);
  if (list.status === 'error') return <ErrorState error={list.error} onRetry={reload} />;
  if (!list.data) return <Loading />;
  return (
    <div class="page">
      <PageHeader title="Приём граждан" lead="Выберите рабочее место" />
      {list.data.length === 0 ? (
        <EmptyState title="Нет рабочих мест">Вам не назначено ни одно рабочее место приёма.</EmptyState>
      ) : (
        <ul class="desk-list">
          {list.data.map((w) => (
            <li key={w.roomId}>
              <Link href={`/desk/${w.roomId}`} class="desk-link">
                <strong>{w.name}</strong>
                <span class="muted">{w.institutionName}</span>
                {w.openVisitId ? <span class="badge badge-bad">идёт приём</span> : null}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function StateBanner({ s }: { s: WorkplaceState }) {
  const why = s.cameras.find((c) => c.state !== 'recording')?.why;
  return (
    <div class={`rec-state rec-state-${s.state}`} role="status" aria-live="polite" data-state={s.state}>
      <span class="rec-state-dot" aria-hidden="true" />
      <span class="rec-state-text">{STATE_TEXT[s.state]}</span>
      {s.state === 'not_recording' && why ? <span class="rec-state-why">{WHY_TEXT[why] ?? why}</span> : null}
      {s.state === 'camera_down' ? <span class="rec-state-why">сообщите руководителю отдела</span> : null}
    </div>
  );
}

function elapsed(fromIso: string, now: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(fromIso)) / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

export function VisitsDesk({ roomId }: { roomId: string }) {
  const { t } = useI18n();
  const [state, reload, set] = useAsync((signal) => visitsApi.state(roomId, signal), [roomId]);
  const [cats] = useAsync(() => visitsApi.categories(), []);
  useVisibleInterval(reload, 2000);
  const now = useNow(1000);
  const [category, setCategory] = useState('citizen');
  const [caseRef, setCaseRef] = useState('');
  const [employeeId, setEmployeeId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [noticeHidden, setNoticeHidden] = useState(false);
  const s = state.data;
  useTitle(s ? `Приём — ${s.name}` : 'Приём');

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      await visitsApi.open({
        roomId,
        visitorCategory: category,
        ...(caseRef.trim() ? { caseRef: caseRef.trim() } : {}),
        ...(employeeId ? { employeeId } : {}),
      });
      setNoticeHidden(false);
      setCaseRef('');
      set(await visitsApi.state(roomId));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const finish = async () => {
    if (!s?.openVisit) return;
    setBusy(true);
    setError(null);
    try {
      await visitsApi.close(s.openVisit.id);
      set(await visitsApi.state(roomId));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!s) return state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : <Loading />;
  const open = s.openVisit;
  return (
    <div class="page desk">
      <PageHeader
        title={s.name}
        lead={`${s.institutionName} · ${s.modeLabel}`}
        back={{ href: '/desk', label: 'Рабочие места' }}
      />
      <StateBanner s={s} />
      {state.status === 'error' ? (
        <Notice tone="warn" icon="offline" live>
          <p>Нет связи с сервером: состояние записи может быть устаревшим.</p>
        </Notice>
      ) : null}
      {error ? (
        <Notice tone="bad" icon="alert" live>
          <p>{errorMessage(error, t)}</p>
        </Notice>
      ) : null}
      {open ? (
        <Card>
          <h2 class="card-title">Идёт приём</h2>
          <p class="desk-timer" aria-label="Длительность приёма">
            {elapsed(open.startedAt, now)}
          </p>
          <p class="muted">
            {open.visitorCategoryLabel}
            {open.caseRef ? ` · дело ${open.caseRef}` : ''}
            {open.employee ? ` · принимает ${open.employee.name}` : ''}
          </p>
          <div class="form-actions">
            <Button variant="danger" busy={busy} onClick={() => void finish()} class="desk-big">
              Завершить приём
            </Button>
            {noticeHidden ? (
              <Button variant="ghost" onClick={() => setNoticeHidden(false)}>
                Показать уведомление гражданину
              </Button>
            ) : null}
          </div>
          <p class="small muted">
            После завершения запись продолжается ещё {s.postRollSeconds} с. Незавершённый приём закрывается
            автоматически через {Math.round(s.maxOpenMinutes / 60)} ч и отмечается флагом.
          </p>
        </Card>
      ) : (
        <Card>
          <h2 class="card-title">Новый приём</h2>
          <div class="range-grid">
            <SelectField
              label="Категория посетителя"
              value={category}
              onValue={setCategory}
              options={(cats.data?.categories ?? [{ code: 'citizen', label: 'Гражданин' }]).map((c) => ({
                value: c.code,
                label: c.label,
              }))}
            />
            <TextField
              label="Номер дела (необязательно)"
              hint="Только номер — без фамилий и имён"
              value={caseRef}
              onValue={setCaseRef}
            />
            {s.employees.length > 1 ? (
              <SelectField
                label="Принимает"
                value={employeeId}
                onValue={setEmployeeId}
                options={[
                  { value: '', label: '—' },
                  ...s.employees.map((e) => ({ value: e.id, label: e.name })),
                ]}
              />
            ) : null}
          </div>
          <div class="form-actions">
            <Button variant="primary" icon="play" busy={busy} onClick={() => void start()} class="desk-big">
              Начать приём
            </Button>
          </div>
          {s.mode === 'per_visit' || s.mode === 'both' ? (
            <p class="small muted">
              Запись начнётся с {s.preRollSeconds} секунд до нажатия — начало разговора не теряется.
            </p>
          ) : null}
        </Card>
      )}
      {open && !noticeHidden ? (
        <div class="citizen-notice" role="dialog" aria-modal="true" aria-labelledby="citizen-notice-title">
          <div class={`citizen-notice-state rec-state-${s.state}`} data-state={s.state}>
            <span class="rec-state-dot" aria-hidden="true" />
            {STATE_TEXT[s.state]}
          </div>
          <h2 id="citizen-notice-title">Приём записывается</h2>
          <p>
            В целях защиты ваших прав и предупреждения коррупции приём ведётся с видеозаписью. Запись хранится
            ограниченный срок, доступна только уполномоченным лицам с указанием причины, и каждый просмотр
            фиксируется. Вы можете запросить запись своего приёма у руководителя отдела.
          </p>
          <p class="citizen-notice-timer">{elapsed(open.startedAt, now)}</p>
          <div class="form-actions">
            <Button variant="danger" busy={busy} onClick={() => void finish()} class="desk-big">
              Завершить приём
            </Button>
            <Button variant="secondary" onClick={() => setNoticeHidden(true)}>
              Скрыть уведомление
            </Button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
