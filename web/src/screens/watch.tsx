/** Watching one camera live. */
import { useAsync, useTitle } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { LiveView } from '../player/live-view.js';
import { takeFreshGrant } from '../grants.js';
import { useMe, isParent } from '../session.js';
import { PageHeader } from '../ui.js';
import { findParentCamera, groupLabel, type WatchContext } from './parent-home.js';
import { useMemo } from 'preact/hooks';
import { Icon } from '../icons.js';
import { Link } from '../router.js';

export function Watch({ cameraId, state }: { cameraId: string; state: unknown }) {
  const { t } = useI18n();
  const me = useMe();
  const passed = isWatchContext(state) ? state : null;
  const [ctx] = useAsync<WatchContext | null>(
    async () => passed ?? (isParent(me) ? await findParentCamera(cameraId).catch(() => null) : null),
    [cameraId],
  );
  const info = ctx.status === 'ok' ? ctx.data : passed;
  const title = info?.cameraName ?? t('watch.title');
  useTitle(title);
  // A grant made moments ago for this camera's snapshot starts the video without another request.
  const held = useMemo(() => takeFreshGrant(cameraId), [cameraId]);
  const subtitle = info
    ? [info.childName, info.groupName ? groupLabel(info.groupName, t) : null, info.institutionName]
        .filter(Boolean)
        .join(' · ')
    : undefined;

  return (
    <div class="page page-watch">
      <PageHeader
        title={title}
        lead={subtitle}
        back={isParent(me) ? { href: '/children', label: t('watch.back') } : undefined}
      />
      <div class="watch-stage">
        <LiveView cameraId={cameraId} cameraName={title} timeZone={info?.timeZone} grant={held} />
      </div>
      {info?.others?.length ? (
        <nav class="watch-others" aria-label={t('watch.others')}>
          <h2 class="card-title">{t('watch.others')}</h2>
          <ul>
            {info.others.map((o) => (
              <li key={o.id}>
                <Link href={`/watch/${encodeURIComponent(o.id)}`} state={o.context} class="chip">
                  <Icon name="camera" size={18} />
                  <span>{o.name}</span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
      <p class="watch-notice muted small">
        <Icon name="shield" size={16} /> {t('watch.notice')}
      </p>
    </div>
  );
}

function isWatchContext(v: unknown): v is WatchContext {
  return (
    typeof v === 'object' && v !== null && typeof (v as { cameraName?: unknown }).cameraName === 'string'
  );
}
