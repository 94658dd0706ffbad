/**
 * Citizens' requests (docs/design/citizen-requests.md): the office head's list, the request form
 * (camera, time range, extra regions drawn on the camera's picture, audio), one request with its
 * custody trail (approve by a second person, produce with progress, download, record the hand-over),
 * and the privacy-mask editor of each camera. Tablet and phone friendly: one column, big targets,
 * rectangles drawn with a finger.
 */
import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.js';
import { useI18n } from '../i18n.js';
import { formatDate, formatDateTime, fromLocalInput, toLocalInput } from '../format.js';
import { useVisibleInterval } from '../hooks.js';
import { Link, navigate } from '../router.js';
import {
  Badge,
  Button,
  ButtonLink,
  Card,
  CheckboxField,
  EmptyState,
  ErrorState,
  Facts,
  Loading,
  Notice,
  PageHeader,
  RadioGroup,
  SelectField,
  TextArea,
  TextField,
  errorMessage,
  type Tone,
} from '../ui.js';
import { RectEditor, type Rect } from '../citizen/rect-editor.js';
import { useCrT } from '../citizen/strings.js';
import '../citizen/citizen.css';

type Status = 'pending' | 'approved' | 'rejected' | 'producing' | 'produced' | 'failed' | 'handed_over';
interface PersonRef {
  id: string;
  name: string;
}
export interface CitizenRequest {
  id: string;
  status: Status;
  institution: { id: string; name: string; timeZone: string };
  camera: { id: string; name: string; roomName: string };
  visitId: string | null;
  visit: {
    id: string;
    roomName: string;
    employee: string | null;
    startedAt: string;
    endedAt: string | null;
    caseRef: string | null;
  } | null;
  reference: string;
  receivedOn: string;
  note: string | null;
  from: string;
  to: string;
  regions: Rect[];
  regionStyle: 'blur' | 'fill';
  keepAudio: boolean;
  requested: { by: PersonRef; at: string };
  decided: { by: PersonRef; at: string; note: string | null } | null;
  produced: { by: PersonRef; at: string } | null;
  handedOver: { by: PersonRef; at: string; to: string; note: string | null } | null;
  production: { progress: number } | null;
  productionError: string | null;
  package: { exportId: string; bytes: number; sha256: string; fileDeletedAt: string | null } | null;
  may: { approve: boolean; produce: boolean; handOver: boolean; download: boolean };
}
interface CameraChoice {
  id: string;
  name: string;
  room: { id: string; name: string };
  institution: { id: string; name: string; timeZone: string };
  may: { editMasks: boolean; createRequest: boolean };
}
interface VisitChoice {
  id: string;
  roomName: string;
  institutionId: string;
  employee: { id: string; name: string } | null;
  startedAt: string;
  endedAt: string | null;
  status: 'open' | 'closed';
  caseRef: string | null;
  playback: { from: string; to: string };
  cameras: { id: string; name: string }[];
}
interface MaskState {
  cameraId: string;
  cameraName: string;
  roomName: string;
  masks: (Rect & { label: string | null })[];
  updatedAt: string | null;
  updatedBy: string | null;
  snapshot: { at: string } | null;
}

const TONE: Record<Status, Tone> = {
  pending: 'warn',
  approved: 'info',
  rejected: 'neutral',
  producing: 'info',
  produced: 'ok',
  failed: 'bad',
  handed_over: 'ok',
};

function StatusBadge({ status }: { status: Status }) {
  const t = useCrT();
  return <Badge tone={TONE[status]}>{t(status)}</Badge>;
}

/** Recent closed visits of the offices the caller may make requests for (last 14 days). */
function useRecentVisits(institutionIds: string[]) {
  const [visits, setVisits] = useState<VisitChoice[] | null>(null);
  const key = institutionIds.join(',');
  useEffect(() => {
    if (!key) return;
    const to = new Date();
    const from = new Date(to.getTime() - 14 * 86_400_000);
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    request<VisitChoice[] | { items: VisitChoice[] }>('GET', `/api/visits?${q.toString()}`).then(
      (r) => {
        const items = Array.isArray(r) ? r : r.items;
        const offices = new Set(key.split(','));
        setVisits(
          items.filter((v) => v.status === 'closed' && v.cameras.length > 0 && offices.has(v.institutionId)),
        );
      },
      () => setVisits([]),
    );
  }, [key]);
  return visits;
}

function useCameras() {
  const [cameras, setCameras] = useState<CameraChoice[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    request<{ items: CameraChoice[] }>('GET', '/api/citizen-requests/cameras').then(
      (r) => setCameras(r.items),
      setError,
    );
  }, []);
  return { cameras, error };
}

export function CitizenRequestsList() {
  const t = useCrT();
  const { lang } = useI18n();
  const [items, setItems] = useState<CitizenRequest[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { cameras } = useCameras();
  useEffect(() => {
    request<{ items: CitizenRequest[] }>('GET', '/api/citizen-requests').then(
      (r) => setItems(r.items),
      setError,
    );
  }, []);
  const canCreate = cameras?.some((c) => c.may.createRequest) ?? false;
  const maskable = cameras?.filter((c) => c.may.editMasks) ?? [];
  return (
    <main id="main" class="page citizen">
      <PageHeader
        title={t('requestsTitle')}
        lead={t('requestsLead')}
        actions={
          canCreate ? (
            <ButtonLink href="/citizen-requests/new" variant="primary" icon="plus">
              {t('newRequest')}
            </ButtonLink>
          ) : undefined
        }
      />
      {error ? <ErrorState error={error} /> : null}
      {!items && !error ? <Loading /> : null}
      {items && items.length === 0 ? <EmptyState title={t('noRequests')} /> : null}
      {items && items.length > 0 ? (
        <ul class="cr-list">
          {items.map((r) => (
            <li key={r.id}>
              <Link href={`/citizen-requests/${r.id}`} class="cr-item">
                <span class="cr-item-main">
                  <strong>№ {r.reference}</strong> · {formatDate(r.receivedOn, lang)}
                  <span class="cr-item-sub">
                    {r.camera.roomName}, {r.camera.name} ·{' '}
                    {formatDateTime(r.from, lang, r.institution.timeZone)}
                  </span>
                </span>
                <StatusBadge status={r.status} />
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
      {maskable.length > 0 ? (
        <Card>
          <h2 class="card-title">{t('masksTitle')}</h2>
          <p>{t('masksLead')}</p>
          <ul class="cr-cameras">
            {maskable.map((c) => (
              <li key={c.id}>
                <Link href={`/citizen-requests/masks/${c.id}`}>
                  {c.room.name}, {c.name}
                </Link>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
    </main>
  );
}

export function CitizenRequestNew() {
  const t = useCrT();
  const { t: tt, lang } = useI18n();
  const { cameras, error } = useCameras();
  const choices = cameras?.filter((c) => c.may.createRequest) ?? [];
  const [cameraId, setCameraId] = useState('');
  const [from, setFrom] = useState(() => toLocalInput(new Date(Date.now() - 3600_000).toISOString()));
  const [to, setTo] = useState(() => toLocalInput(new Date(Date.now() - 1800_000).toISOString()));
  const [reference, setReference] = useState('');
  const [receivedOn, setReceivedOn] = useState(() => new Date().toISOString().slice(0, 10));
  const [note, setNote] = useState('');
  const [regions, setRegions] = useState<Rect[]>([]);
  const [style, setStyle] = useState<'blur' | 'fill'>('blur');
  const [keepAudio, setKeepAudio] = useState(false);
  const [masks, setMasks] = useState<Rect[]>([]);
  const [picture, setPicture] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const offices = [...new Set(choices.map((c) => c.institution.id))].sort();
  const visits = useRecentVisits(offices);
  const [visitId, setVisitId] = useState('');
  const visit = visits?.find((v) => v.id === visitId) ?? null;
  const camera = visit
    ? visit.cameras.some((c) => c.id === cameraId)
      ? cameraId
      : (visit.cameras[0]?.id ?? '')
    : cameraId || choices[0]?.id || '';
  const tz = choices.find((c) => c.id === camera)?.institution.timeZone;
  useEffect(() => {
    if (!camera) return;
    request<MaskState>('GET', `/api/privacy-masks/${camera}`).then(
      (m) => {
        setMasks(m.masks);
        setPicture(m.snapshot !== null);
      },
      () => {
        setMasks([]);
        setPicture(false);
      },
    );
  }, [camera]);
  if (error) return <ErrorState error={error} />;
  if (!cameras) return <Loading />;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const r = await request<CitizenRequest>('POST', '/api/citizen-requests', {
        json: {
          cameraId: camera,
          ...(visit
            ? { visitId: visit.id }
            : { from: fromLocalInput(from) ?? from, to: fromLocalInput(to) ?? to }),
          reference,
          receivedOn,
          ...(note.trim() ? { note } : {}),
          regions,
          regionStyle: style,
          keepAudio,
        },
      });
      navigate(`/citizen-requests/${r.id}`);
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="page citizen">
      <PageHeader title={t('newRequest')} back={{ href: '/citizen-requests', label: t('back') }} />
      <form class="cr-form" onSubmit={(e) => void submit(e)}>
        <TextField label={t('reference')} value={reference} onValue={setReference} required />
        <TextField label={t('receivedOn')} type="date" value={receivedOn} onValue={setReceivedOn} required />
        <SelectField
          label={t('chooseVisit')}
          hint={visits && visits.length === 0 ? t('noRecentVisits') : t('chooseVisitHint')}
          value={visitId}
          onValue={(v) => {
            setVisitId(v);
            setRegions([]);
          }}
          options={[
            { value: '', label: t('manualRange') },
            ...(visits ?? []).map((v) => ({
              value: v.id,
              label: [
                formatDateTime(v.startedAt, lang, tz),
                v.roomName,
                v.employee?.name ?? '—',
                v.caseRef ? `${t('caseRef')} ${v.caseRef}` : null,
              ]
                .filter(Boolean)
                .join(' · '),
            })),
          ]}
        />
        <SelectField
          label={t('camera')}
          value={camera}
          onValue={(v) => {
            setCameraId(v);
            setRegions([]);
          }}
          options={
            visit
              ? visit.cameras.map((c) => ({ value: c.id, label: `${visit.roomName}, ${c.name}` }))
              : choices.map((c) => ({
                  value: c.id,
                  label: `${c.room.name}, ${c.name} (${c.institution.name})`,
                }))
          }
        />
        {visit ? (
          <p class="field-hint" data-testid="visit-range">
            {t('visitRange')}: {formatDateTime(visit.playback.from, lang, tz)} —{' '}
            {formatDateTime(visit.playback.to, lang, tz)}
          </p>
        ) : (
          <div class="cr-range">
            <TextField label={t('from')} type="datetime-local" value={from} onValue={setFrom} required />
            <TextField label={t('to')} type="datetime-local" value={to} onValue={setTo} required />
          </div>
        )}
        <fieldset class="cr-regions">
          <legend>{t('regions')}</legend>
          <p class="field-hint">{t('regionsHint')}</p>
          {camera ? (
            <RectEditor
              key={camera}
              imageUrl={picture ? `/api/privacy-masks/${camera}/snapshot.jpg` : null}
              rects={regions}
              onRects={setRegions}
              fixed={masks}
              label={t('regions')}
              tone="region"
            />
          ) : null}
        </fieldset>
        <RadioGroup
          legend={t('regionStyle')}
          name="style"
          value={style}
          onValue={(v) => setStyle(v === 'fill' ? 'fill' : 'blur')}
          options={[
            { value: 'blur', label: t('blur') },
            { value: 'fill', label: t('fill') },
          ]}
        />
        <CheckboxField
          label={t('keepAudio')}
          hint={t('keepAudioHint')}
          checked={keepAudio}
          onChecked={setKeepAudio}
        />
        <TextArea label={t('note')} value={note} onValue={setNote} />
        {failure ? (
          <Notice tone="bad" live>
            {errorMessage(failure, tt)}
          </Notice>
        ) : null}
        <Button type="submit" variant="primary" busy={busy} disabled={!camera}>
          {t('create')}
        </Button>
      </form>
    </main>
  );
}

export function CitizenRequestPage({ id }: { id: string }) {
  const t = useCrT();
  const { lang, t: tt } = useI18n();
  const [r, setR] = useState<CitizenRequest | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [decisionNote, setDecisionNote] = useState('');
  const [handedTo, setHandedTo] = useState('');
  const [handNote, setHandNote] = useState('');
  const load = () =>
    request<CitizenRequest>('GET', `/api/citizen-requests/${id}`).then(setR, (e: unknown) => setError(e));
  useEffect(() => {
    void load();
  }, [id]);
  useVisibleInterval(() => {
    if (r?.status === 'producing') void load();
  }, 1000);
  if (error) return <ErrorState error={error} onRetry={() => void load()} />;
  if (!r) return <Loading />;
  const tz = r.institution.timeZone;
  const act = async (name: string, path: string, json?: unknown) => {
    setBusy(name);
    setFailure(null);
    try {
      setR(
        await request<CitizenRequest>('POST', `/api/citizen-requests/${id}/${path}`, { json: json ?? {} }),
      );
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(null);
    }
  };
  const step = (label: string, by: PersonRef, at: string, note?: string | null) =>
    [
      label,
      <>
        <strong>{by.name}</strong> · {formatDateTime(at, lang, tz)}
        {note ? <span class="cr-note"> — {note}</span> : null}
      </>,
    ] as [string, preact.ComponentChildren];
  const custody: [string, preact.ComponentChildren][] = [
    step(t('requestedBy'), r.requested.by, r.requested.at),
  ];
  if (r.decided)
    custody.push(
      step(
        r.status === 'rejected' ? t('rejectedBy') : t('approvedBy'),
        r.decided.by,
        r.decided.at,
        r.decided.note,
      ),
    );
  if (r.produced) custody.push(step(t('producedBy'), r.produced.by, r.produced.at));
  if (r.handedOver)
    custody.push(
      step(
        t('handedOverBy'),
        r.handedOver.by,
        r.handedOver.at,
        `${r.handedOver.to}${r.handedOver.note ? `; ${r.handedOver.note}` : ''}`,
      ),
    );
  const pct = Math.round((r.production?.progress ?? 0) * 100);
  return (
    <main id="main" class="page citizen">
      <PageHeader
        title={`№ ${r.reference}`}
        lead={<StatusBadge status={r.status} />}
        back={{ href: '/citizen-requests', label: t('back') }}
      />
      <Card>
        <Facts
          items={[
            [t('receivedOn'), formatDate(r.receivedOn, lang)],
            [t('camera'), `${r.camera.roomName}, ${r.camera.name} (${r.institution.name})`],
            ...(r.visit
              ? ([
                  [
                    t('visit'),
                    [
                      `${formatDateTime(r.visit.startedAt, lang, tz)} — ${
                        r.visit.endedAt ? formatDateTime(r.visit.endedAt, lang, tz) : '…'
                      }`,
                      r.visit.roomName,
                      r.visit.employee,
                      r.visit.caseRef ? `${t('caseRef')} ${r.visit.caseRef}` : null,
                    ]
                      .filter(Boolean)
                      .join(' · '),
                  ],
                ] as [string, string][])
              : []),
            [t('range'), `${formatDateTime(r.from, lang, tz)} — ${formatDateTime(r.to, lang, tz)}`],
            [t('regions'), `${r.regions.length} · ${r.regionStyle === 'blur' ? t('blur') : t('fill')}`],
            [t('keepAudio'), r.keepAudio ? t('audioKept') : t('audioRemoved')],
            ...(r.note ? ([[t('note'), r.note]] as [string, string][]) : []),
          ]}
        />
      </Card>
      <Card>
        <h2 class="card-title">{t('custody')}</h2>
        <Facts items={custody} />
      </Card>
      {failure ? (
        <Notice tone="bad" live>
          {errorMessage(failure, tt)}
        </Notice>
      ) : null}
      {r.status === 'pending' && !r.may.approve ? <Notice tone="info">{t('fourEyes')}</Notice> : null}
      {r.may.approve ? (
        <Card>
          <TextArea label={t('approveNote')} value={decisionNote} onValue={setDecisionNote} />
          <div class="cr-actions">
            <Button
              variant="primary"
              busy={busy === 'approve'}
              onClick={() => void act('approve', 'approve', { note: decisionNote })}
            >
              {t('approve')}
            </Button>
            <Button
              variant="danger"
              busy={busy === 'reject'}
              onClick={() => void act('reject', 'reject', { note: decisionNote })}
            >
              {t('reject')}
            </Button>
          </div>
        </Card>
      ) : null}
      {r.status === 'producing' && r.production ? (
        <Card>
          <p role="status">{t('progress', { pct })}</p>
          <div class="progress" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
            <div class="progress-bar" style={{ width: `${pct}%` }} />
          </div>
        </Card>
      ) : r.status === 'producing' ? (
        // Produced by another server of the site: it alone knows how far it is.
        <Card>
          <p role="status">{t('progressElsewhere')}</p>
        </Card>
      ) : null}
      {r.productionError && r.status === 'failed' ? (
        <Notice tone="bad">{t('error', { message: r.productionError })}</Notice>
      ) : null}
      {r.may.produce ? (
        <Button variant="primary" busy={busy === 'produce'} onClick={() => void act('produce', 'produce')}>
          {r.status === 'failed' ? t('produceAgain') : t('produce')}
        </Button>
      ) : null}
      {r.package ? (
        <Card>
          <p class="cr-mono">
            {t('packageInfo', {
              size: `${(r.package.bytes / 1048576).toFixed(1)} MB`,
              sha: r.package.sha256.slice(0, 16) + '…',
            })}
          </p>
          {r.package.fileDeletedAt ? (
            <Notice tone="warn">
              {t('packageDeleted', { date: formatDateTime(r.package.fileDeletedAt, lang, tz) })}
            </Notice>
          ) : null}
          {r.may.download ? (
            <a class="btn btn-secondary" href={`/api/citizen-requests/${r.id}/package`} download>
              <span>{t('download')}</span>
            </a>
          ) : null}
        </Card>
      ) : null}
      {r.may.handOver ? (
        <Card>
          <h2 class="card-title">{t('handOver')}</h2>
          <TextField
            label={t('handedTo')}
            hint={t('handedToHint')}
            value={handedTo}
            onValue={setHandedTo}
            required
          />
          <TextArea label={t('note')} value={handNote} onValue={setHandNote} />
          <Button
            variant="primary"
            busy={busy === 'handover'}
            disabled={!handedTo.trim()}
            onClick={() =>
              void act('handover', 'handover', { handedTo, ...(handNote.trim() ? { note: handNote } : {}) })
            }
          >
            {t('handOver')}
          </Button>
        </Card>
      ) : null}
      {r.status === 'handed_over' ? <Notice tone="ok">{t('handOverDone')}</Notice> : null}
    </main>
  );
}

export function PrivacyMasks({ cameraId }: { cameraId: string }) {
  const t = useCrT();
  const { lang, t: tt } = useI18n();
  const [state, setState] = useState<MaskState | null>(null);
  const [rects, setRects] = useState<Rect[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    request<MaskState>('GET', `/api/privacy-masks/${cameraId}`).then((m) => {
      setState(m);
      setRects(m.masks);
    }, setError);
  }, [cameraId]);
  if (error) return <ErrorState error={error} />;
  if (!state) return <Loading />;
  const save = async () => {
    setBusy(true);
    setFailure(null);
    setSaved(false);
    try {
      const m = await request<MaskState>('PUT', `/api/privacy-masks/${cameraId}`, { json: { masks: rects } });
      setState(m);
      setSaved(true);
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="page citizen">
      <PageHeader
        title={`${t('masksTitle')}: ${state.roomName}, ${state.cameraName}`}
        lead={t('masksLead')}
        back={{ href: '/citizen-requests', label: t('back') }}
      />
      <RectEditor
        imageUrl={state.snapshot ? `/api/privacy-masks/${cameraId}/snapshot.jpg` : null}
        rects={rects}
        onRects={(r) => {
          setRects(r);
          setSaved(false);
        }}
        label={t('masksTitle')}
      />
      {state.updatedAt ? (
        <p class="field-hint">
          {t('updatedBy', { at: formatDateTime(state.updatedAt, lang), who: state.updatedBy ?? '' })}
        </p>
      ) : null}
      {failure ? (
        <Notice tone="bad" live>
          {errorMessage(failure, tt)}
        </Notice>
      ) : null}
      {saved ? (
        <Notice tone="ok" live>
          {t('saved')}
        </Notice>
      ) : null}
      <Button variant="primary" busy={busy} onClick={() => void save()}>
        {t('save')}
      </Button>
    </main>
  );
}
