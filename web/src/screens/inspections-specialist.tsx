/**
 * The guardianship specialist's phone app (docs/design/inspections.md, "On the phone"): today's and
 * overdue inspections; one inspection with «Начать проверку», the in-app camera, gallery photos
 * (marked not live), the office's checklist, notes and «Завершить». Offline first: everything goes
 * to IndexedDB (../inspections/queue.ts) and the screens say plainly what is still only on the phone.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useMe } from '../session.js';
import { useI18n } from '../i18n.js';
import { formatDate, formatDateTime } from '../format.js';
import { Link } from '../router.js';
import {
  Badge,
  Button,
  Card,
  Loading,
  Notice,
  PageHeader,
  RadioGroup,
  SelectField,
  TextArea,
} from '../ui.js';
import {
  cacheGet,
  cachePut,
  fetchJson,
  keepPhoto,
  onQueueChange,
  pendingSummary,
  photosOf,
  queueFinish,
  queueStart,
  setCsrfToken,
  startUploader,
  syncProblem,
  allOps,
  type LocalPhoto,
  type Position,
} from '../inspections/queue.js';
import { useInspT, type InspT } from '../inspections/strings.js';
import '../inspections/inspections.css';

interface Summary {
  id: string;
  status: 'planned' | 'in_progress' | 'sealed';
  plannedOn: string;
  doneAt: string | null;
  overdue: boolean;
  dueToday: boolean;
  case: { id: string; number: string; ward: string; address: string };
  photoCount: number;
  version: number;
}

interface Detail {
  id: string;
  status: Summary['status'];
  version: number;
  plannedOn: string;
  startedAt: string | null;
  address: string;
  checklist: { items: { id: string; text: string }[] } | null;
  case: { number: string; ward: string; address: string; guardians: { name: string; relation: string }[] };
  office: { timeZone: string };
  photos: { sha256: string }[];
}

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);
  return online;
}

/** Starts the uploader and registers the service worker (installable app, works offline). */
function useOfflineApp(): void {
  const me = useMe();
  useEffect(() => {
    setCsrfToken(me.csrfToken);
    startUploader();
    if ('serviceWorker' in navigator)
      navigator.serviceWorker.register('/sw.js', { scope: '/inspections' }).catch(() => undefined);
  }, [me.csrfToken]);
}

/** Loads from the server when online (and keeps a copy), from the copy when offline. */
function useCached<T>(url: string, key: string): { data: T | undefined; error: unknown } {
  const online = useOnline();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    void cacheGet<T>(key).then((c) => {
      if (live && c !== undefined) setData((d) => d ?? c);
    });
    if (online)
      fetchJson<T>(url).then(
        (v) => {
          if (!live) return;
          setData(v);
          void cachePut(key, v);
        },
        (e: unknown) => live && setError(e),
      );
    return () => {
      live = false;
    };
  }, [url, key, online]);
  return { data, error };
}

function usePending(inspectionId?: string) {
  const [p, setP] = useState({ photos: 0, finish: false, start: false });
  useEffect(() => {
    const read = () => void pendingSummary(inspectionId).then(setP);
    read();
    return onQueueChange(read);
  }, [inspectionId]);
  return p;
}

function PendingNotice({ inspectionId }: { inspectionId?: string }) {
  const t = useInspT();
  const online = useOnline();
  const p = usePending(inspectionId);
  const waiting = p.photos > 0 || p.finish;
  return (
    <div class="insp-status" data-testid="sync-status">
      {!online ? <Notice tone="warn" live title={t('offline')} /> : null}
      {syncProblem() === 'unauthenticated' ? <Notice tone="bad" live title={t('loginAgain')} /> : null}
      {waiting ? (
        <Notice tone="warn" live>
          <p data-testid="pending-text">
            {t('pending', { photos: p.photos, finish: p.finish ? t('pendingFinish') : '' })}
          </p>
        </Notice>
      ) : (
        <p class="insp-allsent" data-testid="all-sent">
          {t('allSent')}
        </p>
      )}
    </div>
  );
}

export function InspectionsHome() {
  useOfflineApp();
  const t = useInspT();
  const { lang } = useI18n();
  const { data, error } = useCached<{ items: Summary[] }>('/api/inspections/mine', 'mine');
  const groups: [string, Summary[]][] = data
    ? [
        [t('overdue'), data.items.filter((i) => i.overdue)],
        [t('today'), data.items.filter((i) => i.dueToday)],
        [t('upcoming'), data.items.filter((i) => i.status !== 'sealed' && !i.overdue && !i.dueToday)],
        [t('sealed'), data.items.filter((i) => i.status === 'sealed')],
      ]
    : [];
  return (
    <main id="main" class="page insp">
      <PageHeader title={t('title')} />
      <PendingNotice />
      {!data && !error ? <Loading /> : null}
      {!data && error ? <Notice tone="bad">{String((error as Error).message)}</Notice> : null}
      {data && data.items.length === 0 ? <p>{t('nothing')}</p> : null}
      {groups
        .filter(([, list]) => list.length > 0)
        .map(([title, list]) => (
          <section key={title} class="insp-group">
            <h2>{title}</h2>
            <ul class="insp-list">
              {list.map((i) => (
                <li key={i.id}>
                  <Link href={`/inspections/${i.id}`} class="insp-item">
                    <span class="insp-ward">{i.case.ward}</span>
                    <span class="insp-addr">{i.case.address}</span>
                    <span class="insp-meta">
                      {i.overdue ? <Badge tone="bad">{t('overdue')}</Badge> : null}
                      {i.status === 'in_progress' ? <Badge tone="info">{t('inProgress')}</Badge> : null}
                      {i.status === 'sealed' ? <Badge tone="ok">{t('sealed')}</Badge> : null}
                      <span>{t('plannedOn', { date: formatDate(i.plannedOn, lang) })}</span>
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          </section>
        ))}
    </main>
  );
}

function getPosition(): Promise<Position | null> {
  if (!('geolocation' in navigator)) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) =>
        resolve({
          latitude: p.coords.latitude,
          longitude: p.coords.longitude,
          accuracyM: p.coords.accuracy ?? null,
        }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 5000, maximumAge: 60_000 },
    );
  });
}

function Camera({ onShot, t }: { onShot: (blob: Blob) => Promise<void>; t: InspT }) {
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let stream: MediaStream | null = null;
    let live = true;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: 'environment' }, width: { ideal: 1920 } }, audio: false })
      .then(async (s) => {
        if (!live) return s.getTracks().forEach((tr) => tr.stop());
        stream = s;
        const v = video.current;
        if (!v) return;
        v.srcObject = s;
        await v.play();
        setReady(true);
      })
      .catch((e: unknown) => setProblem(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, []);
  const shoot = async () => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    setBusy(true);
    try {
      const canvas = document.createElement('canvas');
      canvas.width = v.videoWidth;
      canvas.height = v.videoHeight;
      canvas.getContext('2d')?.drawImage(v, 0, 0);
      const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', 0.9));
      if (blob) await onShot(blob);
    } finally {
      setBusy(false);
    }
  };
  if (problem) return <Notice tone="warn">{t('cameraOff', { reason: problem })}</Notice>;
  return (
    <div class="insp-camera">
      <video ref={video} muted playsInline autoPlay aria-label={t('takePhoto')} />
      <Button variant="primary" icon="camera" onClick={() => void shoot()} disabled={!ready} busy={busy}>
        {t('takePhoto')}
      </Button>
    </div>
  );
}

function PhotoTile({ p, t }: { p: LocalPhoto; t: InspT }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!p.blob) return;
    const u = URL.createObjectURL(p.blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [p.blob]);
  const label =
    p.state === 'stored'
      ? t('onServer')
      : p.state === 'failed'
        ? t('failed', { reason: p.error ?? '' })
        : p.state === 'uploading'
          ? t('uploading', { pct: Math.floor((100 * p.sent) / p.bytes) })
          : t('onPhone');
  return (
    <li class={`insp-photo insp-photo-${p.state}`} data-state={p.state} data-testid="local-photo">
      {url ? <img src={url} alt="" /> : <div class="insp-photo-sent" aria-hidden="true" />}
      <span class="insp-photo-state">{label}</span>
      {p.state === 'uploading' ? <progress max={p.bytes} value={p.sent} /> : null}
      {!p.live ? <span class="insp-photo-gallery">{t('notLive')}</span> : null}
    </li>
  );
}

export function InspectionWork({ id }: { id: string }) {
  useOfflineApp();
  const t = useInspT();
  const { lang } = useI18n();
  const { data, error } = useCached<Detail>(`/api/inspections/${id}`, `detail:${id}`);
  const [photos, setPhotos] = useState<LocalPhoto[]>([]);
  const [startedLocally, setStartedLocally] = useState(false);
  const [finishedLocally, setFinishedLocally] = useState(false);
  const [position, setPosition] = useState<Position | null | undefined>(undefined);
  const [answers, setAnswers] = useState<Record<string, 'yes' | 'no' | 'na'>>({});
  const [notes, setNotes] = useState('');
  const [outcome, setOutcome] = useState<'satisfactory' | 'needs_attention' | 'unsatisfactory'>(
    'satisfactory',
  );
  const [sealedVersion, setSealedVersion] = useState<number | null>(null);

  const reread = useCallback(() => {
    void photosOf(id).then(setPhotos);
    void allOps().then((ops) => {
      if (ops.some((o) => o.inspectionId === id && o.kind === 'start')) setStartedLocally(true);
      if (ops.some((o) => o.inspectionId === id && o.kind === 'finish')) setFinishedLocally(true);
      else if (finishedLocally)
        void fetchJson<Detail>(`/api/inspections/${id}`).then(
          (d) => d.status === 'sealed' && setSealedVersion(d.version),
          () => undefined,
        );
    });
  }, [id, finishedLocally]);
  useEffect(() => {
    reread();
    return onQueueChange(reread);
  }, [reread]);

  if (!data)
    return (
      <main id="main" class="page insp">
        {error ? <Notice tone="bad">{String((error as Error).message)}</Notice> : <Loading />}
      </main>
    );
  const sealed = data.status === 'sealed' || sealedVersion !== null;
  const started = data.status !== 'planned' || startedLocally;

  const start = async () => {
    setStartedLocally(true);
    const pos = await getPosition();
    setPosition(pos);
    await queueStart(id, pos);
  };
  const shot = async (blob: Blob, live: boolean) => {
    const pos = position !== undefined ? position : await getPosition();
    if (position === undefined) setPosition(pos);
    await keepPhoto(id, blob, { live, position: pos });
  };
  const gallery = async (files: FileList | null) => {
    for (const f of Array.from(files ?? [])) await shot(f, false);
  };
  const finish = async () => {
    setFinishedLocally(true);
    await queueFinish(id, { answers, notes, outcome });
  };

  return (
    <main id="main" class="page insp">
      <PageHeader
        title={data.case.ward}
        lead={`${t('caseNo')} ${data.case.number} · ${data.address}`}
        back={{ href: '/inspections', label: t('back') }}
      />
      <PendingNotice inspectionId={id} />
      <Card>
        <p>{t('plannedOn', { date: formatDate(data.plannedOn, lang) })}</p>
        <p>
          {t('guardians')}: {data.case.guardians.map((g) => `${g.name} (${g.relation})`).join(', ')}
        </p>
        {position !== undefined ? (
          <p class="insp-pos">
            {position
              ? t('position', {
                  lat: position.latitude.toFixed(5),
                  lon: position.longitude.toFixed(5),
                  acc: Math.round(position.accuracyM ?? 0),
                })
              : t('noPosition')}
          </p>
        ) : null}
      </Card>
      {sealed ? (
        <Notice tone="ok" live title={t('sealedBanner', { version: sealedVersion ?? data.version })} />
      ) : finishedLocally ? (
        <Notice tone="info" live title={t('finishQueued')} />
      ) : null}
      {!started && !sealed ? (
        <Button variant="primary" icon="camera" onClick={() => void start()}>
          {t('start')}
        </Button>
      ) : null}
      {started && !sealed && !finishedLocally ? (
        <>
          <Camera t={t} onShot={(b) => shot(b, true)} />
          <label class="btn btn-secondary insp-gallery">
            <span>{t('fromGallery')}</span>
            <input
              type="file"
              accept="image/*"
              multiple
              onChange={(e) => void gallery(e.currentTarget.files)}
            />
          </label>
        </>
      ) : null}
      {photos.length > 0 ? (
        <section>
          <h2>{t('photos')}</h2>
          <ul class="insp-photos">
            {photos.map((p) => (
              <PhotoTile key={p.key} p={p} t={t} />
            ))}
          </ul>
        </section>
      ) : null}
      {started && !sealed && !finishedLocally ? (
        <section class="insp-checklist">
          <h2>{t('checklist')}</h2>
          {(data.checklist?.items ?? []).map((item) => (
            <RadioGroup
              key={item.id}
              legend={item.text}
              name={`q-${item.id}`}
              value={answers[item.id] ?? ''}
              onValue={(v) => setAnswers((a) => ({ ...a, [item.id]: v as 'yes' | 'no' | 'na' }))}
              options={[
                { value: 'yes', label: t('yes') },
                { value: 'no', label: t('no') },
                { value: 'na', label: t('na') },
              ]}
            />
          ))}
          <TextArea label={t('notes')} value={notes} onValue={setNotes} />
          <SelectField
            label={t('outcome')}
            value={outcome}
            onValue={(v) => setOutcome(v as typeof outcome)}
            options={(['satisfactory', 'needs_attention', 'unsatisfactory'] as const).map((o) => ({
              value: o,
              label: t(o),
            }))}
          />
          <Button variant="primary" onClick={() => void finish()}>
            {t('finish')}
          </Button>
        </section>
      ) : null}
      {data.startedAt ? (
        <p class="insp-muted">
          {t('started', { time: formatDateTime(data.startedAt, lang, data.office.timeZone) })}
        </p>
      ) : null}
    </main>
  );
}
