/** An institution's cameras with their live health, enable/disable, and links to watch and recordings. */
import { useState } from 'preact/hooks';
import {
  api,
  type Camera,
  type CameraHealth,
  type CameraHealthState,
  type Institution,
  type Room,
} from '../api.js';
import { formatBitrate } from '../format.js';
import { cameraFailureText, lastCheckLabel } from '../camera-failure.js';
import { useAsync, useVisibleInterval } from '../hooks.js';
import { Icon } from '../icons.js';
import { useI18n } from '../i18n.js';
import { Link } from '../router.js';
import {
  Badge,
  Button,
  ButtonLink,
  EmptyState,
  ErrorState,
  errorMessage,
  Loading,
  Notice,
  type Tone,
} from '../ui.js';

export const HEALTH_TONE: Record<CameraHealthState, Tone> = {
  live: 'ok',
  idle: 'neutral',
  starting: 'info',
  stalled: 'warn',
  failing: 'bad',
  disabled: 'neutral',
};

export function CamerasTab({ institution, rooms }: { institution: Institution; rooms: Room[] }) {
  const { t, lang } = useI18n();
  const id = institution.id;
  const [cams, reload, setCams] = useAsync(() => api.cameras.list(id), [id]);
  const [health, reloadHealth] = useAsync(
    () => api.cameraHealth().then((r) => new Map(r.items.map((h) => [h.cameraId, h] as const))),
    [id],
  );
  useVisibleInterval(reloadHealth, 10_000);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const toggle = async (cam: Camera) => {
    setBusy(cam.id);
    setError(null);
    try {
      const updated = await api.cameras.update(cam.id, { enabled: !cam.enabled });
      if (cams.data) setCams(cams.data.map((c) => (c.id === cam.id ? updated : c)));
      reloadHealth();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const newHref = `/admin/institutions/${encodeURIComponent(id)}/cameras/new`;
  return (
    <div class="resource">
      <div class="resource-bar">
        <span />
        <ButtonLink href={newHref} variant="primary" icon="plus">
          {t('camera.add')}
        </ButtonLink>
      </div>
      {error ? (
        <Notice tone="bad" icon="alert" live>
          <p>{errorMessage(error, t)}</p>
        </Notice>
      ) : null}
      {cams.status === 'error' && !cams.data ? (
        <ErrorState error={cams.error} onRetry={reload} />
      ) : !cams.data ? (
        <Loading />
      ) : cams.data.length === 0 ? (
        <EmptyState
          icon="camera"
          title={t('admin.listEmpty')}
          action={
            <ButtonLink href={newHref} variant="primary" icon="plus">
              {t('camera.add')}
            </ButtonLink>
          }
        />
      ) : (
        <ul class="camera-admin-list">
          {cams.data.map((cam) => {
            const room = rooms.find((r) => r.id === cam.roomId);
            const h: CameraHealth | undefined = health.data?.get(cam.id);
            const state: CameraHealthState = cam.enabled ? (h?.state ?? 'idle') : 'disabled';
            const watchable = cam.enabled && room?.zone === 'common';
            return (
              <li key={cam.id} class="camera-admin">
                <div class="camera-admin-main">
                  <span class="camera-admin-icon" aria-hidden="true">
                    <Icon name="camera" size={22} />
                  </span>
                  <div class="camera-admin-text">
                    <h3>{cam.name}</h3>
                    <p class="muted small">
                      {room ? `${room.name} · ${t(`room.zone.${room.zone}`)}` : null}
                      {cam.source.host
                        ? ` · ${cam.source.scheme}://${cam.source.host}`
                        : ` · ${cam.source.scheme}`}
                    </p>
                    <p class="camera-admin-badges">
                      <Badge tone={HEALTH_TONE[state]} dot={state === 'live'}>
                        {t(`health.${state}`)}
                      </Badge>
                      {h && state !== 'disabled' ? <CameraReason health={h} /> : null}
                      {h && state === 'live' ? (
                        <span class="muted small">
                          {Math.round(h.fps)} {t('operator.fps')} · {formatBitrate(h.bitrateBps, lang)} ·{' '}
                          {t('operator.viewers')}: {h.viewers}
                        </span>
                      ) : null}
                      <Badge tone="neutral">{t(`camera.recording.${cam.recordingPolicy}`)}</Badge>
                      {cam.hasCredentials ? (
                        <Badge tone="neutral">
                          <Icon name="lock" size={14} />
                          {t('camera.hasCredentials')}
                        </Badge>
                      ) : null}
                    </p>
                  </div>
                </div>
                <div class="camera-admin-actions">
                  {watchable ? (
                    <Link
                      class="btn btn-ghost btn-small"
                      href={`/watch/${encodeURIComponent(cam.id)}`}
                      state={{
                        cameraName: cam.name,
                        childName: '',
                        groupName: room?.name ?? null,
                        institutionName: institution.name,
                        timeZone: institution.timeZone,
                      }}
                    >
                      <Icon name="play" size={16} />
                      <span>{t('camera.watch')}</span>
                    </Link>
                  ) : null}
                  {cam.recordingPolicy !== 'off' ? (
                    <Link class="btn btn-ghost btn-small" href={`/recordings/${encodeURIComponent(cam.id)}`}>
                      <span>{t('camera.recordings')}</span>
                    </Link>
                  ) : null}
                  <Button
                    class="btn-small"
                    variant={cam.enabled ? 'secondary' : 'primary'}
                    busy={busy === cam.id}
                    onClick={() => void toggle(cam)}
                  >
                    {cam.enabled ? t('camera.disable') : t('camera.enable')}
                  </Button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

/** Why a camera is not live (and what to do), or the last idle check's result: operator and admin lists. */
export function CameraReason({ health }: { health: CameraHealth }) {
  const { lang } = useI18n();
  const failure = cameraFailureText(lang, health.reason);
  if (failure && (health.state === 'stalled' || health.state === 'failing'))
    return (
      <span class="camera-reason small" title={health.reasonDetail ?? undefined}>
        <strong>{failure.short}</strong>: {failure.operator}
      </span>
    );
  if (health.state === 'idle' && health.lastCheck) {
    const bad = cameraFailureText(lang, health.lastCheck.reason);
    return (
      <span class={`camera-reason small${health.lastCheck.ok ? ' muted' : ''}`}>
        {lastCheckLabel(lang, health.lastCheck)}
        {!health.lastCheck.ok && bad ? `. ${bad.operator}` : ''}
      </span>
    );
  }
  return null;
}
