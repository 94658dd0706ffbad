/**
 * «Моё рабочее место» (issue 13, item 6; docs/design/citizen-requests.md, "Transparency"): an
 * employee sees their workplace's recording mode, working hours and closed days, what was recorded in
 * the last two weeks, the visits recorded there (from the office's visit log, with times and case
 * reference), and who watched, exported or handed out its recordings — with the reason they stated,
 * read from the audit log.
 */
import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.js';
import { useI18n } from '../i18n.js';
import { formatDate, formatDateTime, formatTime, localDate } from '../format.js';
import { Badge, Button, Card, EmptyState, ErrorState, Loading, PageHeader } from '../ui.js';
import { useCrT } from '../citizen/strings.js';
import '../citizen/citizen.css';

/** Visits shown before «Показать все»: two weeks of a busy desk would bury the access log below. */
const VISITS_SHOWN = 10;

interface Workplace {
  id: string;
  name: string;
  institutionName: string;
}
interface Transparency {
  room: { id: string; name: string };
  institution: { id: string; name: string; timeZone: string };
  period: { from: string; to: string; days: number };
  cameras: { id: string; name: string; mode: string; modeText: string; enabled: boolean }[];
  workingHours: { weekday: number; start: string; end: string }[];
  closedDays: { day: string; reason: string | null }[];
  recordings: { cameraId: string; spans: { start: string; end: string }[]; recordingNow: boolean }[];
  visits: {
    id: string;
    openedAt: string;
    closedAt: string | null;
    caseRef: string | null;
    visitorCategoryLabel: string;
    employee: string | null;
    autoClosed: boolean;
  }[];
  access: {
    at: string;
    action: string;
    actionText: string;
    cameraId: string | null;
    person: { id: string | null; name: string };
    roleText: string | null;
    reason: string | null;
    range: { from: string; to: string } | null;
  }[];
}

const WEEKDAYS_RU = ['', 'пн', 'вт', 'ср', 'чт', 'пт', 'сб', 'вс'];
const WEEKDAYS_EN = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export function MyWorkplace() {
  const t = useCrT();
  const [mine, setMine] = useState<Workplace[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    request<{ items: Workplace[] }>('GET', '/api/workplaces/mine').then((r) => setMine(r.items), setError);
  }, []);
  return (
    <main id="main" class="page citizen">
      <PageHeader title={t('myTitle')} lead={t('myLead')} />
      {error ? <ErrorState error={error} /> : null}
      {!mine && !error ? <Loading /> : null}
      {mine && mine.length === 0 ? <EmptyState title={t('noWorkplace')} /> : null}
      {mine?.map((w) => (
        <WorkplaceView key={w.id} roomId={w.id} />
      ))}
    </main>
  );
}

function WorkplaceView({ roomId }: { roomId: string }) {
  const t = useCrT();
  const { lang } = useI18n();
  const [v, setV] = useState<Transparency | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [allVisits, setAllVisits] = useState(false);
  useEffect(() => {
    request<Transparency>('GET', `/api/workplaces/${roomId}/transparency`).then(setV, setError);
  }, [roomId]);
  if (error) return <ErrorState error={error} />;
  if (!v) return <Loading />;
  const tz = v.institution.timeZone;
  const days = lang === 'en' ? WEEKDAYS_EN : WEEKDAYS_RU;
  /** the end of a visit: its time alone on the day it began, else the date and time */
  const endOf = (start: string, end: string) =>
    localDate(new Date(start), tz) === localDate(new Date(end), tz)
      ? formatTime(new Date(end), lang, tz, true)
      : formatDateTime(end, lang, tz);
  const cameraName = (id: string | null) => v.cameras.find((c) => c.id === id)?.name ?? '';
  return (
    <section class="workplace" aria-label={v.room.name}>
      <h2>
        {v.room.name} · {v.institution.name}
      </h2>
      <Card>
        <h3 class="card-title">{t('schedule')}</h3>
        <ul class="plain-list">
          {v.cameras.map((c) => (
            <li key={c.id}>
              {c.name}: <strong>{c.modeText}</strong> {c.enabled ? null : <Badge>{t('disabled')}</Badge>}
            </li>
          ))}
        </ul>
        <h3 class="card-title">{t('workingHours')}</h3>
        {v.workingHours.length === 0 ? (
          <p>{t('noHours')}</p>
        ) : (
          <ul class="plain-list">
            {v.workingHours.map((w, i) => (
              <li key={i}>
                {days[w.weekday]} {w.start}–{w.end}
              </li>
            ))}
          </ul>
        )}
        <h3 class="card-title">{t('closedDays')}</h3>
        {v.closedDays.length === 0 ? (
          <p>{t('noClosedDays')}</p>
        ) : (
          <ul class="plain-list">
            {v.closedDays.map((d) => (
              <li key={d.day}>
                {formatDate(d.day, lang)}
                {d.reason ? ` — ${d.reason}` : ''}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card>
        <h3 class="card-title">{t('recordings', { days: v.period.days })}</h3>
        {v.recordings.every((r) => r.spans.length === 0) ? <p>{t('noRecordings')}</p> : null}
        {v.recordings
          .filter((r) => r.spans.length > 0)
          .map((r) => (
            <div key={r.cameraId}>
              <p>
                <strong>{cameraName(r.cameraId)}</strong>{' '}
                {r.recordingNow ? (
                  <Badge tone="bad" dot>
                    {t('recordingNow')}
                  </Badge>
                ) : null}
              </p>
              <ul class="plain-list cr-spans">
                {[...r.spans]
                  .reverse()
                  .slice(0, 50)
                  .map((s) => (
                    <li key={s.start}>
                      {formatDateTime(s.start, lang, tz)} — {formatDateTime(s.end, lang, tz)}
                    </li>
                  ))}
              </ul>
            </div>
          ))}
      </Card>
      <Card>
        <h3 class="card-title">{t('visits')}</h3>
        {v.visits.length === 0 ? (
          <p>{t('noVisits')}</p>
        ) : (
          <>
            <ul class="plain-list" data-testid="workplace-visits">
              {(allVisits ? v.visits : v.visits.slice(0, VISITS_SHOWN)).map((x) => (
                <li key={x.id}>
                  <strong>
                    {formatDateTime(x.openedAt, lang, tz)} —{' '}
                    {x.closedAt ? endOf(x.openedAt, x.closedAt) : t('visitOpen')}
                  </strong>
                  <br />
                  <span class="field-hint">
                    {[
                      x.caseRef ? `${t('caseRef')} ${x.caseRef}` : null,
                      x.visitorCategoryLabel,
                      x.employee,
                      x.autoClosed ? t('visitAutoClosed') : null,
                    ]
                      .filter(Boolean)
                      .join(' · ')}
                  </span>
                </li>
              ))}
            </ul>
            {!allVisits && v.visits.length > VISITS_SHOWN ? (
              <Button onClick={() => setAllVisits(true)}>
                {t('allVisits')} ({v.visits.length})
              </Button>
            ) : null}
          </>
        )}
      </Card>
      <Card>
        <h3 class="card-title">{t('access')}</h3>
        {v.access.length === 0 ? (
          <p>{t('noAccess')}</p>
        ) : (
          <ul class="cr-access" data-testid="access-log">
            {v.access.map((a, i) => (
              <li key={i} class="cr-access-item">
                <div class="cr-access-head">
                  <strong class="cr-access-who">{a.person.name}</strong>
                  {a.roleText ? <span class="cr-access-role">{a.roleText}</span> : null}
                  <span class="cr-access-when">{formatDateTime(a.at, lang, tz)}</span>
                </div>
                <div class="cr-access-what">
                  {a.actionText}
                  {a.cameraId ? ` · ${cameraName(a.cameraId)}` : ''}
                  {a.range
                    ? ` · ${formatDateTime(a.range.from, lang, tz)} — ${formatDateTime(a.range.to, lang, tz)}`
                    : ''}
                </div>
                {a.reason ? (
                  <div class="cr-access-why">
                    {t('why')}: «{a.reason}»
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </section>
  );
}
