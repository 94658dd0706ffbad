/**
 * Recordings of one camera: a day's timeline with recorded spans and gaps, a range picked by dragging
 * or typing, playback and export of the range with a stated reason (and the export's integrity
 * check), and manual start/stop for workplaces recorded per visit.
 */
import type { TargetedPointerEvent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  api,
  withQuery,
  type ExportResult,
  type PlaybackLinks,
  type RecordingCamera,
  type Timeline,
} from '../api.js';
import { formatDate, formatTime } from '../format.js';
import { useAsync, useTitle, useVisibleInterval } from '../hooks.js';
import { Icon } from '../icons.js';
import { gapCauseWords, useI18n } from '../i18n.js';
import { Link, navigate } from '../router.js';
import {
  Badge,
  Button,
  Card,
  EmptyState,
  ErrorState,
  errorMessage,
  Loading,
  Notice,
  PageHeader,
  TextArea,
  TextField,
} from '../ui.js';
import { HEALTH_TONE } from './admin-cameras.js';
import { visitsApi, type Visit } from '../visits/api.js';

const DAY_MIN = 24 * 60;

function todayLocal(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local midnight of a 'YYYY-MM-DD' day plus `minutes`, as an ISO instant. */
function instant(day: string, minutes: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1, 0, minutes).toISOString();
}

function minuteOfDay(iso: string, day: string): number {
  const start = new Date(instant(day, 0)).getTime();
  return Math.max(0, Math.min(DAY_MIN, (new Date(iso).getTime() - start) / 60_000));
}

/** 'HH:MM' for a minute of the day (the end of the day shows as 23:59, what a time input takes). */
function hhmm(minutes: number): string {
  const m = Math.min(DAY_MIN - 1, Math.max(0, Math.round(minutes)));
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** The server asks for a reason with at least 10 letters or digits (src/api/recordings.ts). */
const REASON_MIN_CHARS = 10;
function reasonChars(v: string): number {
  return (v.match(/[\p{L}\p{N}]/gu) ?? []).length;
}

function parseHhmm(v: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(v);
  if (!m) return null;
  const n = Number(m[1]) * 60 + Number(m[2]);
  return n >= 0 && n <= DAY_MIN ? n : null;
}

export function RecordingsIndex() {
  const { t } = useI18n();
  useTitle(t('rec.title'));
  const [cameraId, setCameraId] = useState('');
  const [cams, reload] = useAsync(() => api.recordingCameras().then((r) => r.items), []);
  return (
    <div class="page">
      <PageHeader title={t('rec.title')} lead={t('rec.lead')} />
      {cams.status === 'error' && !cams.data ? (
        <ErrorState error={cams.error} onRetry={reload} />
      ) : !cams.data ? (
        <Loading />
      ) : cams.data.length === 0 ? (
        <EmptyState icon="camera" title={t('rec.noCameras')} />
      ) : (
        <ul class="tile-list">
          {cams.data.map((c) => (
            <li key={c.cameraId}>
              <Link
                href={`/recordings/${encodeURIComponent(c.cameraId)}`}
                class="tile"
                state={{ name: c.name }}
              >
                <span class="tile-icon" aria-hidden="true">
                  <Icon name="camera" size={22} />
                </span>
                <span class="tile-body">
                  <span class="tile-title">{c.name}</span>
                  <span class="tile-meta">
                    <Badge tone={HEALTH_TONE[c.state]}>{t(`health.${c.state}`)}</Badge>
                    <span class="muted small">{t(`rec.policy.${c.recordingPolicy}`)}</span>
                  </span>
                </span>
                <Icon name="back" size={18} class="tile-chevron" />
              </Link>
            </li>
          ))}
        </ul>
      )}
      <Card>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (cameraId.trim()) navigate(`/recordings/${encodeURIComponent(cameraId.trim())}`);
          }}
        >
          <TextField
            label={t('rec.cameraId')}
            value={cameraId}
            onValue={setCameraId}
            required
            autoComplete="off"
          />
          <Button type="submit" variant="primary">
            {t('rec.open')}
          </Button>
        </form>
      </Card>
    </div>
  );
}

export function Recordings({ cameraId, query }: { cameraId: string; query: URLSearchParams }) {
  const { t, lang } = useI18n();
  const day = /^\d{4}-\d{2}-\d{2}$/.test(query.get('day') ?? '')
    ? (query.get('day') ?? todayLocal())
    : todayLocal();
  const [cams] = useAsync(() => api.recordingCameras().then((r) => r.items), []);
  const camera: RecordingCamera | undefined = cams.data?.find((c) => c.cameraId === cameraId);
  const name = camera?.name ?? (window.history.state as { name?: string } | null)?.name;
  useTitle(`${t('rec.title')} — ${name ?? cameraId}`);
  const [timeline, reload] = useAsync(
    () => api.timeline(cameraId, instant(day, 0), instant(day, DAY_MIN)),
    [cameraId, day],
  );
  // While the camera records, today's timeline grows: refresh it now and then.
  useVisibleInterval(() => {
    if (timeline.data?.recording || camera?.manual) reload();
  }, 15_000);
  const [range, setRange] = useState<{ from: number; to: number } | null>(null);
  useEffect(() => setRange(null), [day]);

  return (
    <div class="page page-wide">
      <PageHeader
        title={name ?? t('rec.title')}
        lead={name ? undefined : <code>{cameraId}</code>}
        back={{ href: '/recordings', label: t('rec.title') }}
      />
      <Card>
        <div class="timeline-head">
          <TextField
            label={t('rec.day')}
            type="date"
            value={day}
            max={todayLocal()}
            onValue={(v) =>
              v &&
              navigate(withQuery(`/recordings/${encodeURIComponent(cameraId)}`, { day: v }), {
                replace: true,
                state: window.history.state,
              })
            }
          />
          <div class="legend" aria-hidden="true">
            <span class="legend-item">
              <span class="swatch swatch-span" />
              {t('rec.recorded')}
            </span>
            <span class="legend-item">
              <span class="swatch swatch-gap" />
              {t('rec.gap')}
            </span>
            <span class="legend-item">
              <span class="swatch swatch-sel" />
              {t('rec.range')}
            </span>
          </div>
        </div>
        {timeline.status === 'error' && !timeline.data ? (
          <ErrorState error={timeline.error} onRetry={reload} />
        ) : !timeline.data ? (
          <Loading />
        ) : (
          <>
            <TimelineBar day={day} timeline={timeline.data} range={range} onRange={setRange} />
            {timeline.data.spans.length === 0 && !timeline.data.recording ? (
              <p class="muted">{t('rec.noRecording')}</p>
            ) : null}
            {timeline.data.recording ? (
              <p class="small">
                <Badge tone="bad" dot>
                  {t('rec.recordingNow', {
                    since: formatTime(new Date(timeline.data.recording.start), lang),
                  })}
                </Badge>
              </p>
            ) : null}
            <GapList day={day} timeline={timeline.data} lang={lang} />
          </>
        )}
      </Card>
      <CameraVisits cameraId={cameraId} day={day} initial={query.get('visit')} />
      <RangeActions cameraId={cameraId} day={day} range={range} onRange={setRange} />
      {camera?.manual ? (
        <ManualRecording cameraId={cameraId} live={Boolean(timeline.data?.recording)} onChange={reload} />
      ) : null}
    </div>
  );
}

function TimelineBar({
  day,
  timeline,
  range,
  onRange,
}: {
  day: string;
  timeline: Timeline;
  range: { from: number; to: number } | null;
  onRange: (r: { from: number; to: number } | null) => void;
}) {
  const { t, lang } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const drag = useRef<number | null>(null);
  const spans = [...timeline.spans, ...(timeline.recording ? [timeline.recording] : [])].map((s) => ({
    a: minuteOfDay(s.start, day),
    b: minuteOfDay(s.end, day),
  }));
  const gaps = timeline.gaps.map((g) => ({
    a: minuteOfDay(g.start, day),
    b: minuteOfDay(g.end, day),
    cause: g.cause,
  }));
  // The bar shows the recorded hours (an hour either side), not the empty night.
  const all = [...spans, ...gaps];
  const winA = all.length ? Math.max(0, Math.floor(Math.min(...all.map((s) => s.a)) / 60) * 60 - 60) : 0;
  const winB = all.length
    ? Math.min(DAY_MIN, Math.ceil(Math.max(...all.map((s) => s.b)) / 60) * 60 + 60)
    : DAY_MIN;
  const span = Math.max(60, winB - winA);
  const step = span <= 8 * 60 ? 60 : span <= 14 * 60 ? 120 : 180;
  const ticks: number[] = [];
  for (let m = Math.ceil(winA / step) * step; m <= winB; m += step) ticks.push(m);
  const pct = (m: number) => `${((m - winA) / span) * 100}%`;
  const width = (a: number, b: number) => `${(Math.max(0.5, b - a) / span) * 100}%`;
  const minuteAt = (clientX: number) => {
    const box = ref.current?.getBoundingClientRect();
    if (!box || box.width === 0) return winA;
    const m = winA + ((clientX - box.left) / box.width) * span;
    return Math.max(winA, Math.min(winB, Math.round(m)));
  };
  const down = (e: TargetedPointerEvent<HTMLDivElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    const m = minuteAt(e.clientX);
    drag.current = m;
    onRange({ from: m, to: m });
  };
  const move = (e: TargetedPointerEvent<HTMLDivElement>) => {
    if (drag.current === null) return;
    const m = minuteAt(e.clientX);
    onRange({ from: Math.min(drag.current, m), to: Math.max(drag.current, m) });
  };
  const up = () => {
    drag.current = null;
    if (range && range.to - range.from < 1) onRange(null);
  };
  return (
    <div class="timeline">
      <div
        class="timeline-bar"
        ref={ref}
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={up}
        role="img"
        aria-label={t('rec.timeline', { day: formatDate(day, lang) })}
      >
        {spans.map((s, i) => (
          <div key={`s${i}`} class="timeline-span" style={{ left: pct(s.a), width: width(s.a, s.b) }} />
        ))}
        {gaps.map((g, i) => (
          <div
            key={`g${i}`}
            class="timeline-gap"
            style={{ left: pct(g.a), width: width(g.a, g.b) }}
            title={gapCauseWords(g.cause, t)}
          />
        ))}
        {range ? (
          <div class="timeline-sel" style={{ left: pct(range.from), width: width(range.from, range.to) }} />
        ) : null}
      </div>
      <div class="timeline-ticks" aria-hidden="true">
        {ticks.map((m) => (
          <span key={m} style={{ left: pct(m) }}>
            {String(m / 60).padStart(2, '0')}
          </span>
        ))}
      </div>
    </div>
  );
}

function GapList({ day, timeline, lang }: { day: string; timeline: Timeline; lang: 'ru' | 'en' }) {
  const { t } = useI18n();
  if (timeline.spans.length === 0) return null;
  return (
    <div class="gaps">
      <h3>{t('rec.gaps')}</h3>
      {timeline.gaps.length === 0 ? (
        <p class="muted small">{t('rec.noGaps')}</p>
      ) : (
        <ul>
          {timeline.gaps.map((g, i) => (
            <li key={i}>
              <span class="nowrap">
                {formatTime(new Date(g.start), lang)}–{formatTime(new Date(g.end), lang)}
              </span>{' '}
              <span class="muted">{t('rec.cause', { cause: gapCauseWords(g.cause, t) })}</span>
            </li>
          ))}
        </ul>
      )}
      <span class="sr-only">{day}</span>
    </div>
  );
}

function RangeActions({
  cameraId,
  day,
  range,
  onRange,
}: {
  cameraId: string;
  day: string;
  range: { from: number; to: number } | null;
  onRange: (r: { from: number; to: number } | null) => void;
}) {
  const { t } = useI18n();
  const [fromText, setFromText] = useState('');
  const [toText, setToText] = useState('');
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState<'play' | 'export' | null>(null);
  const [playback, setPlayback] = useState<PlaybackLinks | null>(null);
  const [exported, setExported] = useState<ExportResult | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setFromText(range ? hhmm(range.from) : '');
    setToText(range ? hhmm(range.to) : '');
  }, [range?.from, range?.to]);

  const typed = (f: string, to: string) => {
    const a = parseHhmm(f);
    const b = parseHhmm(to);
    if (a !== null && b !== null && b > a) onRange({ from: a, to: b });
  };

  const run = async (what: 'play' | 'export') => {
    setProblem(null);
    setError(null);
    const a = parseHhmm(fromText);
    const b = parseHhmm(toText);
    if (a === null || b === null || b <= a) return setProblem(t('rec.badRange'));
    if (reasonChars(reason) < REASON_MIN_CHARS) return setProblem(t('rec.needReason'));
    const body = { from: instant(day, a), to: instant(day, b), reason: reason.trim() };
    setBusy(what);
    try {
      if (what === 'play') {
        setExported(null);
        setPlayback(await api.playback(cameraId, body));
      } else {
        setExported(await api.exportRange(cameraId, body));
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card class="range-card">
      <h2 class="card-title">{t('rec.range')}</h2>
      <p class="muted small">{t('rec.rangeHint')}</p>
      <div class="range-grid">
        <TextField
          label={t('rec.from')}
          type="time"
          value={fromText}
          onValue={(v) => {
            setFromText(v);
            typed(v, toText);
          }}
        />
        <TextField
          label={t('rec.to')}
          type="time"
          value={toText}
          onValue={(v) => {
            setToText(v);
            typed(fromText, v);
          }}
        />
        <TextArea
          class="span-2"
          label={t('rec.reason')}
          hint={t('rec.reasonHint')}
          value={reason}
          onValue={setReason}
          rows={2}
          required
        />
      </div>
      {problem ? (
        <Notice tone="warn" icon="alert" live>
          <p>{problem}</p>
        </Notice>
      ) : null}
      {error ? (
        <Notice tone="bad" icon="alert" live>
          <p>{errorMessage(error, t)}</p>
        </Notice>
      ) : null}
      <div class="form-actions">
        <Button variant="primary" icon="play" busy={busy === 'play'} onClick={() => void run('play')}>
          {t('rec.play')}
        </Button>
        <Button icon="download" busy={busy === 'export'} onClick={() => void run('export')}>
          {busy === 'export' ? t('rec.exporting') : t('rec.export')}
        </Button>
      </div>
      {playback ? <RecordingPlayer url={playback.hlsUrl} /> : null}
      {exported ? <ExportCard result={exported} /> : null}
    </Card>
  );
}

function ExportCard({ result }: { result: ExportResult }) {
  const { t } = useI18n();
  return (
    <div class="export-result" role="status">
      <p class="export-title">
        <Icon name="check" size={20} />
        {t('rec.exported')}
      </p>
      <p>
        {result.verification.ok ? (
          <Badge tone="ok">
            <Icon name="shield" size={14} />
            {t('rec.verifyOk')}
          </Badge>
        ) : (
          <Badge tone="bad">
            <Icon name="alert" size={14} />
            {t('rec.verifyBad')}
          </Badge>
        )}
      </p>
      {result.verification.details.problems.length > 0 ? (
        <ul class="verify-problems">
          {result.verification.details.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      {result.verification.details.passed.length > 0 ? (
        <details>
          <summary>{t('rec.verifyChecks', { n: result.verification.details.passed.length })}</summary>
          <ul class="verify-details">
            {result.verification.details.passed.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </details>
      ) : null}
      <p class="muted small">
        {t('rec.exportFile', { mb: (result.bytes / 1_048_576).toFixed(1) })} · SHA-256{' '}
        <code class="hash">{result.sha256.slice(0, 16)}…</code>
      </p>
      <a class="btn btn-primary" href={result.downloadUrl} download>
        <Icon name="download" size={18} />
        <span>{t('rec.download')}</span>
      </a>
    </div>
  );
}

/**
 * The visits recorded by this camera on the day (office workplaces): an inspector picks one and plays
 * exactly its range, from the pre-roll before «Начать приём» to the post-roll after «Завершить приём»,
 * with the stated reason every playback needs. Staff without playback rights see the register only.
 */
function CameraVisits({ cameraId, day, initial }: { cameraId: string; day: string; initial: string | null }) {
  const { t, lang } = useI18n();
  const [list] = useAsync(
    () => visitsApi.list({ cameraId, from: instant(day, 0), to: instant(day, DAY_MIN) }),
    [cameraId, day],
  );
  const [picked, setPicked] = useState<Visit | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [playback, setPlayback] = useState<PlaybackLinks | null>(null);
  useEffect(() => {
    if (initial && !picked) {
      const v = list.data?.find((x) => x.id === initial);
      if (v) setPicked(v);
      else if (list.status !== 'loading') visitsApi.visit(initial).then(setPicked, () => undefined);
    }
  }, [initial, list.data]);
  if (!list.data || (list.data.length === 0 && !picked)) return null;
  const play = async () => {
    if (!picked) return;
    setProblem(null);
    setError(null);
    if (reasonChars(reason) < REASON_MIN_CHARS) return setProblem(t('rec.needReason'));
    setBusy(true);
    try {
      setPlayback(
        await api.playback(cameraId, {
          from: picked.playback.from,
          to: picked.playback.to,
          reason: reason.trim(),
        }),
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const span = (v: Visit) =>
    `${formatTime(new Date(v.startedAt), lang, undefined, true)} — ${
      v.endedAt ? formatTime(new Date(v.endedAt), lang, undefined, true) : 'идёт'
    }`;
  return (
    <Card class="visits-card">
      <h2 class="card-title">Приёмы</h2>
      <ul class="visit-list">
        {list.data.map((v) => (
          <li key={v.id} class={picked?.id === v.id ? 'visit-picked' : ''}>
            <span>
              <strong>{span(v)}</strong> · {v.visitorCategoryLabel}
              {v.caseRef ? ` · дело ${v.caseRef}` : ''}
              {v.employee ? ` · ${v.employee.name}` : ''}
              {v.autoClosed ? ' · закрыт автоматически' : ''}
            </span>{' '}
            {v.flags > 0 ? <Badge tone="bad">флагов: {v.flags}</Badge> : null}{' '}
            <Button
              variant="ghost"
              icon="play"
              onClick={() => {
                setPicked(v);
                setPlayback(null);
              }}
            >
              Смотреть приём
            </Button>
          </li>
        ))}
      </ul>
      {picked ? (
        <div class="visit-play">
          <p>
            Приём {span(picked)}: запись с {formatTime(new Date(picked.playback.from), lang, undefined, true)}{' '}
            до {formatTime(new Date(picked.playback.to), lang, undefined, true)} (с записью до начала и после
            завершения).
          </p>
          <TextArea
            label={t('rec.reason')}
            hint={t('rec.reasonHint')}
            value={reason}
            onValue={setReason}
            rows={2}
            required
          />
          {problem ? (
            <Notice tone="warn" icon="alert" live>
              <p>{problem}</p>
            </Notice>
          ) : null}
          {error ? (
            <Notice tone="bad" icon="alert" live>
              <p>{errorMessage(error, t)}</p>
            </Notice>
          ) : null}
          <div class="form-actions">
            <Button variant="primary" icon="play" busy={busy} onClick={() => void play()}>
              Воспроизвести приём
            </Button>
          </div>
          {playback ? <RecordingPlayer url={playback.hlsUrl} /> : null}
        </div>
      ) : null}
    </Card>
  );
}

/** Playback of a recorded range (HLS VOD): native where the browser has it, else hls.js. */
function RecordingPlayer({ url }: { url: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  const { t } = useI18n();
  const [error, setError] = useState(false);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    setError(false);
    let destroy: (() => void) | undefined;
    let cancelled = false;
    // Autoplay with sound may be refused (no recent click): then play muted; the controls unmute.
    const play = () =>
      video.play().catch(() => {
        if (cancelled) return;
        video.muted = true;
        return video.play().catch(() => undefined);
      });
    if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = url;
      void play();
    } else {
      void import('hls.js').then(({ default: Hls }) => {
        if (cancelled) return;
        if (!Hls.isSupported()) return setError(true);
        const hls = new Hls({ enableWorker: false });
        hls.on(Hls.Events.ERROR, (_e, data) => {
          if (data.fatal) setError(true);
        });
        hls.loadSource(url);
        hls.attachMedia(video);
        hls.once(Hls.Events.MANIFEST_PARSED, () => void play());
        destroy = () => hls.destroy();
      });
    }
    return () => {
      cancelled = true;
      destroy?.();
      video.removeAttribute('src');
      video.load();
    };
  }, [url]);
  return (
    <div class="recording-player" onContextMenu={(e) => e.preventDefault()}>
      <video
        ref={ref}
        controls
        playsInline
        disablePictureInPicture
        controlsList="nodownload noremoteplayback"
      />
      {error ? (
        <Notice tone="bad" icon="alert" live>
          <p>{t('player.unsupported')}</p>
        </Notice>
      ) : null}
    </div>
  );
}

function ManualRecording({
  cameraId,
  live,
  onChange,
}: {
  cameraId: string;
  /** the camera is being recorded now (per the timeline) */
  live: boolean;
  onChange: () => void;
}) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState<'start' | 'stop' | null>(null);
  const [state, setState] = useState<{ what: 'started' | 'stopped'; at: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const recording = state ? state.what === 'started' : live;
  const act = async (what: 'start' | 'stop') => {
    setBusy(what);
    setError(null);
    try {
      if (what === 'start') {
        const r = await api.startRecording(cameraId);
        setState({ what: 'started', at: r.startedAt });
      } else {
        const r = await api.stopRecording(cameraId);
        setState({ what: 'stopped', at: r.recordingUntil });
      }
      onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  return (
    <Card>
      <h2 class="card-title">{t('rec.manual')}</h2>
      <p class="muted small">{t('rec.manualLead')}</p>
      <div class="form-actions">
        <Button
          variant="primary"
          busy={busy === 'start'}
          onClick={() => void act('start')}
          disabled={recording || busy !== null}
        >
          <span class="rec-dot" aria-hidden="true" />
          {t('rec.start')}
        </Button>
        <Button
          busy={busy === 'stop'}
          onClick={() => void act('stop')}
          disabled={!recording || busy !== null}
        >
          {t('rec.stop')}
        </Button>
        <span role="status">
          {recording ? (
            <Badge tone="bad" dot>
              {state ? t('rec.startedAt', { at: formatTime(new Date(state.at), lang) }) : t('rec.started')}
            </Badge>
          ) : state?.what === 'stopped' ? (
            <Badge tone="neutral">
              {t('rec.stoppedUntil', { at: formatTime(new Date(state.at), lang) })}
            </Badge>
          ) : null}
        </span>
      </div>
      {error ? (
        <Notice tone="bad" icon="alert" live>
          <p>{errorMessage(error, t)}</p>
        </Notice>
      ) : null}
    </Card>
  );
}
