/** The operator's overview: cameras online and offline, viewers now and over the day, every camera's health. */
import { useState } from 'preact/hooks';
import { api, type CameraHealth } from '../api.js';
import { formatBitrate, formatSeconds, formatTime } from '../format.js';
import { useAsync, useTitle, useVisibleInterval } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { Badge, CheckboxField, ErrorState, Loading, PageHeader, Card } from '../ui.js';
import { HEALTH_TONE, CameraReason } from './admin-cameras.js';
import { browserTimeZone, localDate } from '../format.js';
import { loadSamples, recordSample, ViewersChart, type Sample } from './viewers-chart.js';

const PROBLEM = new Set(['stalled', 'failing']);

export function OperatorHealth() {
  const { t, lang } = useI18n();
  useTitle(t('operator.title'));
  const [samples, setSamples] = useState<Sample[]>(() =>
    loadSamples(localDate(new Date(), browserTimeZone())),
  );
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const [health, reload] = useAsync(async () => {
    const r = await api.cameraHealth();
    setSamples(recordSample(r.items.reduce((n, c) => n + c.viewers, 0)));
    setUpdatedAt(new Date());
    return r.items;
  }, []);
  useVisibleInterval(reload, 10_000);
  const [problemsOnly, setProblemsOnly] = useState(false);

  const items = health.data ?? [];
  const online = items.filter(
    (c) => c.state === 'live' || c.state === 'idle' || c.state === 'starting',
  ).length;
  const offline = items.filter((c) => PROBLEM.has(c.state)).length;
  const disabled = items.filter((c) => c.state === 'disabled').length;
  const viewers = items.reduce((n, c) => n + c.viewers, 0);
  const shown = [...items]
    .filter((c) => !problemsOnly || PROBLEM.has(c.state))
    .sort(
      (a, b) => Number(PROBLEM.has(b.state)) - Number(PROBLEM.has(a.state)) || a.name.localeCompare(b.name),
    );

  return (
    <div class="page page-wide">
      <PageHeader
        title={t('operator.title')}
        lead={
          updatedAt
            ? t('operator.updated', { time: formatTime(updatedAt, lang, undefined, true) })
            : undefined
        }
      />
      {health.status === 'error' && !health.data ? (
        <ErrorState error={health.error} onRetry={reload} />
      ) : !health.data ? (
        <Loading />
      ) : (
        <>
          <ul class="stats">
            <Stat label={t('operator.online')} value={online} tone="ok" />
            <Stat label={t('operator.offline')} value={offline} tone={offline ? 'bad' : 'neutral'} />
            <Stat label={t('operator.disabledCount')} value={disabled} tone="neutral" />
            <Stat label={t('operator.viewersNow')} value={viewers} tone="info" />
          </ul>
          <Card>
            <h2 class="card-title">{t('operator.chart')}</h2>
            <ViewersChart samples={samples} />
          </Card>
          <div class="resource-bar">
            <CheckboxField
              label={t('operator.problemsOnly')}
              checked={problemsOnly}
              onChecked={setProblemsOnly}
            />
          </div>
          {items.length === 0 ? (
            <p class="muted">{t('operator.noCameras')}</p>
          ) : (
            <HealthTable items={shown} />
          )}
        </>
      )}
    </div>
  );
}

function Stat({
  label,
  value,
  tone,
}: {
  label: string;
  value: number;
  tone: 'ok' | 'bad' | 'neutral' | 'info';
}) {
  return (
    <li class={`stat stat-${tone}`}>
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
    </li>
  );
}

function HealthTable({ items }: { items: CameraHealth[] }) {
  const { t, lang } = useI18n();
  return (
    <div class="table-wrap">
      <table class="table responsive">
        <thead>
          <tr>
            <th scope="col">{t('operator.camera')}</th>
            <th scope="col">{t('operator.state')}</th>
            <th scope="col" class="num">
              {t('operator.viewers')}
            </th>
            <th scope="col" class="num">
              {t('operator.fps')}
            </th>
            <th scope="col" class="num">
              {t('operator.bitrate')}
            </th>
            <th scope="col" class="num">
              {t('operator.keyframeAge')}
            </th>
            <th scope="col" class="num">
              {t('operator.restarts')}
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.cameraId} class={PROBLEM.has(c.state) ? 'row-problem' : undefined}>
              <td class="cell-primary" data-label={t('operator.camera')}>
                {c.name}
              </td>
              <td data-label={t('operator.state')}>
                <Badge tone={HEALTH_TONE[c.state]} dot={c.state === 'live'}>
                  {t(`health.${c.state}`)}
                </Badge>
                <CameraReason health={c} />
              </td>
              <td class="num" data-label={t('operator.viewers')}>
                {c.viewers}
              </td>
              <td class="num" data-label={t('operator.fps')}>
                {c.state === 'live' ? Math.round(c.fps) : t('common.none')}
              </td>
              <td class="num" data-label={t('operator.bitrate')}>
                {c.state === 'live' ? formatBitrate(c.bitrateBps, lang) : t('common.none')}
              </td>
              <td class="num" data-label={t('operator.keyframeAge')}>
                {c.lastKeyframeAgeMs === null ? t('common.none') : formatSeconds(c.lastKeyframeAgeMs, lang)}
              </td>
              <td class="num" data-label={t('operator.restarts')}>
                {c.restarts}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
