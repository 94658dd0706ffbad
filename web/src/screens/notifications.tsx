/**
 * The notification centre: my notifications (unread first to the eye, newest first), one alert with
 * its evidence and resolution, my e-mail settings, and the delivery log for operators.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import '../alerts/alerts.css';
import { alertsApi, type Delivery, type Notification, type Severity } from '../alerts/api.js';
import { refreshBell } from '../alerts/bell.js';
import { useAlertT, type AlertT } from '../alerts/strings.js';
import { formatDateTime } from '../format.js';
import { useAsync, useTitle } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { Link } from '../router.js';
import {
  Badge,
  Button,
  ButtonLink,
  CheckboxField,
  ErrorState,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  TextArea,
  errorMessage,
} from '../ui.js';

const TONE: Record<Severity, 'info' | 'warn' | 'bad'> = { info: 'info', warning: 'warn', critical: 'bad' };

function SeverityBadge({ s, t }: { s: Severity; t: AlertT }) {
  return <Badge tone={TONE[s]}>{t(`severity.${s}`)}</Badge>;
}

export function NotificationsList() {
  const t = useAlertT();
  const { lang } = useI18n();
  useTitle(t('title'));
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [extra, setExtra] = useState<Notification[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, reload] = useAsync(async () => {
    const r = await alertsApi.list({ unread: unreadOnly });
    setExtra([]);
    setCursor(r.nextCursor);
    return r;
  }, [unreadOnly]);
  const [busy, setBusy] = useState(false);
  const d = state.data;
  const items = d ? [...d.items, ...extra] : [];
  const more = async () => {
    if (!cursor) return;
    const r = await alertsApi.list({ unread: unreadOnly, cursor });
    setExtra((x) => [...x, ...r.items]);
    setCursor(r.nextCursor);
  };
  const readAll = async () => {
    setBusy(true);
    try {
      await alertsApi.markRead('all');
      refreshBell();
      reload();
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="page">
      <PageHeader
        title={t('title')}
        lead={t('lead')}
        actions={
          <>
            <ButtonLink href="/notifications/settings" icon="shield">
              {t('settings')}
            </ButtonLink>
            <ButtonLink href="/notifications/deliveries">{t('deliveries')}</ButtonLink>
          </>
        }
      />
      <div class="alert-tools" role="group">
        <Button variant={unreadOnly ? 'secondary' : 'primary'} onClick={() => setUnreadOnly(false)}>
          {t('all')}
        </Button>
        <Button variant={unreadOnly ? 'primary' : 'secondary'} onClick={() => setUnreadOnly(true)}>
          {t('unreadOnly')} {d ? `(${d.unreadCount})` : ''}
        </Button>
        {d && d.unreadCount > 0 ? (
          <Button variant="ghost" icon="check" busy={busy} onClick={() => void readAll()}>
            {t('markAllRead')}
          </Button>
        ) : null}
      </div>
      {!d ? (
        state.status === 'error' ? (
          <ErrorState error={state.error} onRetry={reload} />
        ) : (
          <Loading />
        )
      ) : items.length === 0 ? (
        <p class="muted">{unreadOnly ? t('noneUnread') : t('none')}</p>
      ) : (
        <>
          <ul class="alert-list">
            {items.map((a) => (
              <li key={a.id} class={`alert-item${a.read ? '' : ' unread'}`}>
                <Link href={`/notifications/${a.id}`}>
                  <span class="alert-title">{a.title}</span>
                  <span class="alert-meta">
                    <SeverityBadge s={a.severity} t={t} />
                    {a.read ? null : <Badge tone="info">{t('unread')}</Badge>}
                    {a.resolvedAt ? <Badge tone="ok">{t('resolved')}</Badge> : null}
                    <span>{formatDateTime(a.createdAt, lang)}</span>
                    {a.institutionName ? <span>{a.institutionName}</span> : null}
                    <span>{a.kindName}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
          {cursor ? (
            <p>
              <Button onClick={() => void more()}>{t('more')}</Button>
            </p>
          ) : null}
        </>
      )}
    </div>
  );
}

function evidenceValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function NotificationDetail({ id }: { id: string }) {
  const t = useAlertT();
  const { lang, t: tr } = useI18n();
  const [state, reload, set] = useAsync(async () => {
    const a = await alertsApi.get(id);
    if (!a.read) {
      await alertsApi.markRead([id]).catch(() => undefined);
      refreshBell();
    }
    return a;
  }, [id]);
  useTitle(state.data?.title ?? t('title'));
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const a = state.data;
  const resolve = async () => {
    setBusy(true);
    setError(null);
    try {
      set(await alertsApi.resolve(id, comment));
      setComment('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  if (!a)
    return (
      <div class="page">
        {state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : <Loading />}
      </div>
    );
  const facts = Object.entries(a.evidence);
  return (
    <div class="page">
      <PageHeader title={a.title} lead={a.body} back={{ href: '/notifications', label: t('backToList') }} />
      <div class="alert-meta alert-tools">
        <SeverityBadge s={a.severity} t={t} />
        {a.resolvedAt ? <Badge tone="ok">{t('resolved')}</Badge> : <Badge tone="warn">{t('open')}</Badge>}
      </div>
      <dl class="alert-evidence" aria-label={t('evidence')}>
        <dt>{t('when')}</dt>
        <dd>{formatDateTime(a.createdAt, lang)}</dd>
        {a.institutionName ? (
          <>
            <dt>{t('where')}</dt>
            <dd>{a.institutionName}</dd>
          </>
        ) : null}
        <dt>{t('kind')}</dt>
        <dd>
          {a.kindName} <span class="muted">({a.kind})</span>
        </dd>
        {facts.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{evidenceValue(v)}</dd>
          </Fragment>
        ))}
      </dl>
      {a.resolvedAt ? (
        <Notice
          tone="ok"
          title={t('resolvedBy', { when: formatDateTime(a.resolvedAt, lang), who: a.resolvedByName ?? '—' })}
        >
          <p>{a.resolutionComment}</p>
        </Notice>
      ) : a.mayResolve ? (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void resolve();
          }}
        >
          <TextArea
            label={t('resolveComment')}
            hint={t('resolveHint')}
            value={comment}
            onValue={setComment}
          />
          {error ? <Notice tone="bad">{errorMessage(error, tr)}</Notice> : null}
          <div>
            <Button
              type="submit"
              variant="primary"
              icon="check"
              busy={busy}
              disabled={comment.trim().length < 3}
            >
              {t('resolve')}
            </Button>
          </div>
        </form>
      ) : null}
      {a.deliveries ? (
        <section>
          <h2>{t('deliveriesTitle')}</h2>
          <DeliveryTable rows={a.deliveries} t={t} />
        </section>
      ) : null}
    </div>
  );
}

function DeliveryTable({ rows, t, withAlert = false }: { rows: Delivery[]; t: AlertT; withAlert?: boolean }) {
  const { lang } = useI18n();
  if (rows.length === 0) return <p class="muted">{t('noDeliveries')}</p>;
  return (
    <table class="delivery-table">
      <thead>
        <tr>
          {withAlert ? <th>{t('title')}</th> : null}
          <th>{t('deliveries')}</th>
          <th>{t('filterStatus')}</th>
          <th>{t('when')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((d) => (
          <tr key={d.id} data-status={d.status}>
            {withAlert ? (
              <td>
                <Link href={`/notifications/${d.alertId}`}>{d.alertTitle}</Link>
              </td>
            ) : null}
            <td>
              {t(`channel.${d.channel}`)}: {d.personName ?? d.webhookDescription ?? ''}{' '}
              <span class="muted">{d.target}</span>
            </td>
            <td>
              <Badge tone={d.status === 'sent' ? 'ok' : d.status === 'failed' ? 'bad' : 'warn'}>
                {t(`status.${d.status}`)}
              </Badge>{' '}
              {t('attempts', { n: d.attempts })}
              {d.lastError ? <div class="muted">{t('lastError', { error: d.lastError })}</div> : null}
            </td>
            <td>
              {d.deliveredAt
                ? formatDateTime(d.deliveredAt, lang)
                : d.nextAttemptAt
                  ? t('nextAttempt', { when: formatDateTime(d.nextAttemptAt, lang) })
                  : d.lastAttemptAt
                    ? formatDateTime(d.lastAttemptAt, lang)
                    : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DeliveryLog() {
  const t = useAlertT();
  useTitle(t('deliveriesTitle'));
  const [status, setStatus] = useState('');
  const [state, reload] = useAsync(() => alertsApi.deliveries({ status: status || undefined }), [status]);
  return (
    <div class="page">
      <PageHeader
        title={t('deliveriesTitle')}
        lead={t('deliveriesLead')}
        back={{ href: '/notifications', label: t('backToList') }}
      />
      <div class="alert-tools">
        <SelectField
          label={t('filterStatus')}
          value={status}
          onValue={setStatus}
          options={[
            { value: '', label: t('filterAll') },
            { value: 'pending', label: t('status.pending') },
            { value: 'sent', label: t('status.sent') },
            { value: 'failed', label: t('status.failed') },
          ]}
        />
      </div>
      {!state.data ? (
        state.status === 'error' ? (
          <ErrorState error={state.error} onRetry={reload} />
        ) : (
          <Loading />
        )
      ) : (
        <DeliveryTable rows={state.data.items} t={t} withAlert />
      )}
    </div>
  );
}

const SEVERITIES: Severity[] = ['info', 'warning', 'critical'];

export function NotificationSettings() {
  const t = useAlertT();
  const { t: tr } = useI18n();
  useTitle(t('settingsTitle'));
  const [state, reload] = useAsync(async () => {
    const [p, k] = await Promise.all([alertsApi.preferences(), alertsApi.kinds()]);
    return { p, kinds: k.items };
  }, []);
  const [draft, setDraft] = useState<{
    emailEnabled: boolean;
    emailMinSeverity: Severity;
    emailMutedKinds: string[];
  } | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const d = state.data;
  if (!d)
    return (
      <div class="page">
        {state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : <Loading />}
      </div>
    );
  const v = draft ?? d.p;
  const change = (patch: Partial<typeof v>) => {
    setSaved(false);
    setDraft({
      emailEnabled: v.emailEnabled,
      emailMinSeverity: v.emailMinSeverity,
      emailMutedKinds: v.emailMutedKinds,
      ...patch,
    });
  };
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await alertsApi.setPreferences(v);
      setSaved(true);
      setDraft(null);
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="page">
      <PageHeader
        title={t('settingsTitle')}
        lead={t('settingsLead')}
        back={{ href: '/notifications', label: t('backToList') }}
      />
      {!d.p.smtpConfigured ? <Notice tone="warn">{t('noSmtp')}</Notice> : null}
      {d.p.email ? (
        <p class="muted">{t('emailAddress', { email: d.p.email })}</p>
      ) : (
        <Notice tone="warn">{t('noEmail')}</Notice>
      )}
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <CheckboxField
          label={t('emailEnabled')}
          checked={v.emailEnabled}
          onChecked={(c) => change({ emailEnabled: c })}
        />
        <SelectField
          label={t('minSeverity')}
          value={v.emailMinSeverity}
          onValue={(s) => change({ emailMinSeverity: s as Severity })}
          options={SEVERITIES.map((s) => ({ value: s, label: t(`severity.${s}`) }))}
        />
        <fieldset>
          <legend>{t('mutedKinds')}</legend>
          {d.kinds.map((k) => (
            <CheckboxField
              key={k.kind}
              label={k.name}
              checked={v.emailMutedKinds.includes(k.kind)}
              onChecked={(c) =>
                change({
                  emailMutedKinds: c
                    ? [...v.emailMutedKinds, k.kind]
                    : v.emailMutedKinds.filter((x) => x !== k.kind),
                })
              }
            />
          ))}
        </fieldset>
        {error ? <Notice tone="bad">{errorMessage(error, tr)}</Notice> : null}
        {saved ? (
          <Notice tone="ok" live>
            {t('saved')}
          </Notice>
        ) : null}
        <div>
          <Button type="submit" variant="primary" busy={busy}>
            {t('save')}
          </Button>
        </div>
      </form>
    </div>
  );
}
