/** The parent's home: each child with the group's cameras, a live snapshot and what can be watched. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ParentCamera, type ParentChild } from '../api.js';
import { formatNextOpen } from '../format.js';
import { grantForSnapshot } from '../grants.js';
import { useAsync, useTitle } from '../hooks.js';
import { Icon } from '../icons.js';
import { useI18n, type Translate } from '../i18n.js';
import { Link } from '../router.js';
import { useMe } from '../session.js';
import { Badge, EmptyState, ErrorState, Loading, Notice, PageHeader, type Tone } from '../ui.js';
import { ChildConsent, useChildConsent } from './parent-consent.js';
import { ChildBilling, useChildBilling } from './parent-billing.js';

/** What the watch screen needs to title a camera, passed along in the history state. */
export interface WatchContext {
  cameraName: string;
  childName: string;
  groupName: string | null;
  institutionName: string;
  timeZone?: string;
  /** the other cameras of the same child's group, to switch between them */
  others?: { id: string; name: string; context: WatchContext }[];
}

let lastChildren: ParentChild[] | null = null;

/** The camera's context from the last loaded list (or a fresh one). */
export async function findParentCamera(cameraId: string): Promise<WatchContext | null> {
  const items = lastChildren ?? (await api.parentChildren()).items;
  lastChildren = items;
  for (const item of items) {
    const cam = item.cameras.find((c) => c.id === cameraId);
    if (cam) return watchContext(item, cam);
  }
  return null;
}

function watchContext(item: ParentChild, cam: ParentCamera, withOthers = true): WatchContext {
  return {
    ...(withOthers
      ? {
          others: item.cameras
            .filter((c) => c.id !== cam.id)
            .map((c) => ({ id: c.id, name: c.name, context: watchContext(item, c, false) })),
        }
      : {}),
    cameraName: cam.name,
    childName: item.child.name,
    groupName: item.group?.name ?? null,
    institutionName: item.institution.name,
    timeZone: item.institution.timeZone,
  };
}

export function ParentHome() {
  const { t } = useI18n();
  const me = useMe();
  useTitle(t('parent.title'));
  const [state, reload] = useAsync(async (signal) => {
    const r = await api.parentChildren(signal);
    lastChildren = r.items;
    return r.items;
  }, []);

  return (
    <div class="page page-parent">
      <PageHeader title={t('parent.title')} lead={t('parent.hello', { name: me.person.displayName })} />
      {state.status === 'error' && !state.data ? (
        <ErrorState error={state.error} onRetry={reload} />
      ) : !state.data ? (
        <Loading />
      ) : state.data.length === 0 ? (
        <EmptyState icon="people" title={t('parent.empty.title')}>
          {t('parent.empty.text')}
        </EmptyState>
      ) : (
        <div class="children">
          {state.data.map((item) => (
            <ChildSection key={item.child.id} item={item} onChanged={reload} />
          ))}
        </div>
      )}
    </div>
  );
}

function ChildSection({ item, onChanged }: { item: ParentChild; onChanged: () => void }) {
  const { t } = useI18n();
  const { child, institution, group, cameras } = item;
  const [consent, reloadConsent] = useChildConsent(child.id);
  const [billing, reloadBilling] = useChildBilling(child.id);
  const allPending = cameras.length > 0 && cameras.every((c) => c.availability.state === 'consent_pending');
  const headingId = `child-${child.id}`;
  return (
    <section class="child" aria-labelledby={headingId}>
      <div class="child-head">
        <div class="child-avatar" aria-hidden="true">
          {initials(child.name)}
        </div>
        <div>
          <h2 id={headingId}>{child.name}</h2>
          <p class="muted">
            {institution.name}
            {group ? ` · ${groupLabel(group.name, t)}` : ''}
          </p>
        </div>
      </div>
      {consent ? (
        <ChildConsent
          item={consent}
          onAnswered={() => {
            reloadConsent();
            onChanged();
          }}
        />
      ) : null}
      {!item.verified ? (
        <Notice tone="info" icon="shield" title={t('parent.unverified.title')}>
          <p>{t('parent.unverified.text', { institution: institution.name })}</p>
        </Notice>
      ) : !institution.connected ? (
        <Notice tone="info" icon="clock" title={t('parent.notConnected.title')}>
          <p>{t('parent.notConnected.text', { institution: institution.name })}</p>
        </Notice>
      ) : !group ? (
        <Notice tone="neutral" icon="people">
          <p>{t('parent.noGroup')}</p>
        </Notice>
      ) : allPending && consent ? null : allPending ? (
        <Notice tone="warn" icon="shield" title={t('parent.consentPending.title')}>
          <p>{t('parent.consentPending.text')}</p>
        </Notice>
      ) : cameras.length === 0 ? (
        <Notice tone="neutral" icon="camera">
          <p>{t('parent.noCameras')}</p>
        </Notice>
      ) : (
        <ul class="camera-grid">
          {cameras.map((cam) => (
            <li key={cam.id}>
              <CameraCard item={item} camera={cam} />
            </li>
          ))}
        </ul>
      )}
      {billing ? (
        <ChildBilling
          offer={billing.offer}
          item={billing.item}
          onChanged={() => {
            reloadBilling();
            onChanged();
          }}
        />
      ) : null}
    </section>
  );
}

/** "Группа «Пчёлки»" as named by the kindergarten, or the bare name wrapped: «Пчёлки» → Группа «Пчёлки». */
export function groupLabel(name: string, t: Translate): string {
  return /^(групп|group)/i.test(name.trim()) ? name : t('parent.group', { group: name });
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? '')
    .join('');
}

const TONES: Record<ParentCamera['availability']['state'], Tone> = {
  available: 'ok',
  outside_hours: 'neutral',
  closed_day: 'neutral',
  consent_pending: 'warn',
  subscription_inactive: 'warn',
  subscription_unpaid: 'warn',
  not_enrolled: 'bad',
  camera_offline: 'bad',
  camera_off: 'neutral',
  server_error: 'bad',
};

function CameraCard({ item, camera }: { item: ParentChild; camera: ParentCamera }) {
  const { t, lang } = useI18n();
  const { state, nextOpenAt } = camera.availability;
  const available = state === 'available';
  const next = nextOpenAt ? formatNextOpen(nextOpenAt, lang, item.institution.timeZone) : null;
  return (
    <Link
      href={`/watch/${encodeURIComponent(camera.id)}`}
      state={watchContext(item, camera)}
      class={`camera-card${available ? '' : ' is-unavailable'}`}
    >
      <div class="camera-thumb">
        {available ? <Snapshot cameraId={camera.id} name={camera.name} /> : null}
        <div class="camera-thumb-icon" aria-hidden="true">
          <Icon
            name={
              available ? 'play' : state === 'outside_hours' || state === 'closed_day' ? 'moon' : 'camera'
            }
            size={28}
          />
        </div>
      </div>
      <div class="camera-card-body">
        <span class="camera-card-name">{camera.name}</span>
        <span class="camera-card-state">
          <Badge tone={TONES[state]} dot={available}>
            {t(`availability.${state}`)}
          </Badge>
          {next && !available ? (
            <span class="muted small">
              {t('availability.opensAt', { when: next.text })}
              {next.zoneNote ? ` (${t('time.localNote')})` : ''}
            </span>
          ) : null}
        </span>
      </div>
    </Link>
  );
}

/** A still from the camera, fetched (grant first, then the image) when the card scrolls into view. */
function Snapshot({ cameraId, name }: { cameraId: string; name: string }) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let cancelled = false;
    const load = () => {
      grantForSnapshot(cameraId).then(
        (g) => {
          if (!cancelled) setSrc(g.snapshotUrl);
        },
        () => undefined, // the card still works without its picture
      );
    };
    if (typeof IntersectionObserver !== 'function') {
      load();
      return () => (cancelled = true);
    }
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        io.disconnect();
        load();
      }
    });
    io.observe(el);
    return () => {
      cancelled = true;
      io.disconnect();
    };
  }, [cameraId]);
  return (
    <div class="snapshot" ref={ref}>
      {src ? (
        <img
          src={src}
          alt={t('parent.snapshotAlt', { camera: name })}
          class={loaded ? 'is-loaded' : ''}
          onLoad={() => setLoaded(true)}
          onError={() => setSrc(null)}
          draggable={false}
          onContextMenu={(e) => e.preventDefault()}
        />
      ) : null}
    </div>
  );
}
