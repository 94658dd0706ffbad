/**
 * The office head's screens (and an inspector's, with a stated reason): the plan against what was
 * done, overdue first; one inspection with its photos (short-lived signed links; every view is
 * audited), times, place, checklist, versions and verification state.
 */
import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n.js';
import { formatDate, formatDateTime } from '../format.js';
import { Link } from '../router.js';
import { Badge, Button, Card, Facts, Loading, Notice, PageHeader, TextField } from '../ui.js';
import { fetchJson, isReasonRequired } from '../inspections/queue.js';
import { useInspT } from '../inspections/strings.js';
import '../inspections/inspections.css';

interface PlanItem {
  id: string;
  status: 'planned' | 'in_progress' | 'sealed';
  plannedOn: string;
  doneAt: string | null;
  overdue: boolean;
  case: { number: string; ward: string; address: string };
  specialist: { name: string | null };
  photoCount: number;
}
interface Plan {
  totals: { planned: number; done: number; overdue: number };
  items: PlanItem[];
}

interface Photo {
  id: string;
  sha256: string;
  live: boolean;
  deviceTakenAt: string;
  serverReceivedAt: string;
  clockSkewMs: number;
  clockSkewFlagged: boolean;
  position: { latitude: number; longitude: number; accuracyM: number | null } | null;
  thumbUrl: string | null;
  screenUrl: string | null;
}
interface Detail {
  id: string;
  status: PlanItem['status'];
  version: number;
  plannedOn: string;
  startedAt: string | null;
  doneAt: string | null;
  address: string;
  position: { latitude: number; longitude: number; accuracyM: number | null } | null;
  outcome: string | null;
  notes: string;
  answers: Record<string, string>;
  checklist: { items: { id: string; text: string }[] } | null;
  case: { number: string; ward: string; guardians: { name: string; relation: string }[] };
  office: { name: string; timeZone: string };
  specialist: { name: string | null };
  photos: Photo[];
  versions: {
    version: number;
    sealedAt: string;
    sealedBy: string;
    reason: string | null;
    manifestSha256: string;
  }[];
  verification: {
    state: 'not_sealed' | 'intact' | 'altered';
    checks: { version: number; problems: string[] }[];
  };
}

export function InspectionsPlan() {
  const t = useInspT();
  const { lang } = useI18n();
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    fetchJson<Plan>('/api/inspections/plan').then(setPlan, setError);
  }, []);
  return (
    <main id="main" class="page insp">
      <PageHeader title={t('officeTitle')} lead={plan ? t('planVsDone', plan.totals) : undefined} />
      {error ? <Notice tone="bad">{(error as Error).message}</Notice> : null}
      {!plan && !error ? <Loading /> : null}
      {plan ? (
        <div class="table-wrap">
          <table class="table insp-plan">
            <thead>
              <tr>
                <th>{t('plannedOn', { date: '' }).replace(/:\s*$/, '')}</th>
                <th>{t('ward')}</th>
                <th>{t('specialist')}</th>
                <th>{t('done')}</th>
                <th>{t('photos')}</th>
              </tr>
            </thead>
            <tbody>
              {plan.items.map((i) => (
                <tr key={i.id} class={i.overdue ? 'insp-row-overdue' : undefined}>
                  <td>
                    {formatDate(i.plannedOn, lang)}{' '}
                    {i.overdue ? <Badge tone="bad">{t('overdue')}</Badge> : null}
                  </td>
                  <td>
                    <Link href={`/inspections/office/${i.id}`}>{i.case.ward}</Link>
                    <div class="insp-muted">
                      {t('caseNo')} {i.case.number}
                    </div>
                  </td>
                  <td>{i.specialist.name ?? '—'}</td>
                  <td>
                    {i.status === 'sealed' && i.doneAt ? (
                      <Badge tone="ok">{formatDate(i.doneAt.slice(0, 10), lang)}</Badge>
                    ) : i.status === 'in_progress' ? (
                      <Badge tone="info">{t('inProgress')}</Badge>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{i.photoCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </main>
  );
}

export function InspectionReview({ id }: { id: string }) {
  const t = useInspT();
  const { lang } = useI18n();
  const [reason, setReason] = useState('');
  const [asked, setAsked] = useState<string | undefined>(undefined);
  const [needReason, setNeedReason] = useState(false);
  const [data, setData] = useState<Detail | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const q = asked ? `?reason=${encodeURIComponent(asked)}` : '';
    fetchJson<Detail>(`/api/inspections/${id}${q}`).then(
      (d) => {
        setData(d);
        setNeedReason(false);
      },
      (e: unknown) => (isReasonRequired(e) ? setNeedReason(true) : setError(e)),
    );
  }, [id, asked]);
  const tz = data?.office.timeZone;
  const when = (iso: string | null) => (iso ? formatDateTime(iso, lang, tz) : '—');
  return (
    <main id="main" class="page insp">
      <PageHeader
        title={data ? data.case.ward : t('officeTitle')}
        back={{ href: '/inspections/office', label: t('officeTitle') }}
      />
      {needReason ? (
        <form
          class="insp-reason"
          onSubmit={(e) => {
            e.preventDefault();
            setAsked(reason);
          }}
        >
          <Notice tone="info" title={t('reasonNeeded')} />
          <TextField label={t('reasonLabel')} value={reason} onValue={setReason} required />
          <Button type="submit" variant="primary">
            {t('show')}
          </Button>
        </form>
      ) : null}
      {error ? <Notice tone="bad">{(error as Error).message}</Notice> : null}
      {!data && !error && !needReason ? <Loading /> : null}
      {data ? (
        <>
          <div data-testid="verification">
            {data.verification.state === 'intact' ? (
              <Notice tone="ok" title={`${t('verification')}: ${t('intact')}`} />
            ) : data.verification.state === 'altered' ? (
              <Notice tone="bad" title={`${t('verification')}: ${t('altered')}`}>
                <ul>
                  {data.verification.checks.flatMap((c) => c.problems.map((p) => <li key={p}>{p}</li>))}
                </ul>
              </Notice>
            ) : (
              <Notice tone="info" title={`${t('verification')}: ${t('notSealed')}`} />
            )}
          </div>
          <Card>
            <Facts
              items={[
                [t('caseNo'), data.case.number],
                [t('guardians'), data.case.guardians.map((g) => `${g.name} (${g.relation})`).join(', ')],
                [t('address'), data.address],
                [t('specialist'), data.specialist.name ?? '—'],
                [t('plannedOn', { date: '' }).replace(/:\s*$/, ''), formatDate(data.plannedOn, lang)],
                [t('started', { time: '' }).trim(), when(data.startedAt)],
                [t('done'), when(data.doneAt)],
                [
                  t('address'),
                  data.position
                    ? t('position', {
                        lat: data.position.latitude.toFixed(5),
                        lon: data.position.longitude.toFixed(5),
                        acc: Math.round(data.position.accuracyM ?? 0),
                      })
                    : t('noPosition'),
                ],
                [t('outcome'), data.outcome ? t(data.outcome as 'satisfactory') : '—'],
                [t('notes'), data.notes || '—'],
              ]}
            />
          </Card>
          <section>
            <h2>{t('photoCount', { n: data.photos.length })}</h2>
            <ul class="insp-review-photos">
              {data.photos.map((p) => (
                <li key={p.id} data-testid="server-photo">
                  {p.thumbUrl ? (
                    <a href={p.screenUrl ?? undefined} target="_blank" rel="noopener">
                      <img src={p.thumbUrl} alt={p.sha256.slice(0, 12)} loading="lazy" />
                    </a>
                  ) : null}
                  <div class="insp-muted">
                    {p.live ? t('live') : t('notLive')}
                    <br />
                    {t('deviceTime')}: {when(p.deviceTakenAt)}
                    <br />
                    {t('serverTime')}: {when(p.serverReceivedAt)}
                    {p.clockSkewFlagged ? (
                      <>
                        <br />
                        <Badge tone="warn">
                          {t('skew', { min: Math.round(Math.abs(p.clockSkewMs) / 60000) })}
                        </Badge>
                      </>
                    ) : null}
                    {p.position ? (
                      <>
                        <br />
                        {t('position', {
                          lat: p.position.latitude.toFixed(5),
                          lon: p.position.longitude.toFixed(5),
                          acc: Math.round(p.position.accuracyM ?? 0),
                        })}
                      </>
                    ) : null}
                    <br />
                    <code>sha256 {p.sha256.slice(0, 16)}…</code>
                  </div>
                </li>
              ))}
            </ul>
          </section>
          {data.checklist ? (
            <section>
              <h2>{t('checklist')}</h2>
              <Facts
                items={data.checklist.items.map((i) => {
                  const a = data.answers[i.id];
                  return [i.text, a ? t(a as 'yes') : '—'] as const;
                })}
              />
            </section>
          ) : null}
          {data.versions.length ? (
            <section>
              <h2>{t('versions')}</h2>
              <ol class="insp-versions">
                {data.versions.map((v) => (
                  <li key={v.version}>
                    {t('version', { n: v.version, at: when(v.sealedAt), who: v.sealedBy })}
                    {v.reason ? <div>{t('reason', { reason: v.reason })}</div> : null}
                    <code class="insp-muted">manifest sha256 {v.manifestSha256.slice(0, 16)}…</code>
                  </li>
                ))}
              </ol>
            </section>
          ) : null}
        </>
      ) : null}
    </main>
  );
}
