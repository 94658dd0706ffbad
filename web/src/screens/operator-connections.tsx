/**
 * The city operator's view of every kindergarten's connection (no map): its state by the standard
 * scheme, wizard steps, consent progress, pilots; filters with counts.
 */
import { useState } from 'preact/hooks';
import '../consent.css';
import { connectionApi, type ConnectionRow } from '../api-consent.js';
import { formatDateTime } from '../format.js';
import { useAsync, useTitle } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { Link } from '../router.js';
import { Badge, Button, ErrorState, Loading, PageHeader } from '../ui.js';

type Filter = 'all' | 'pilots' | ConnectionRow['state'];
const STATES: ConnectionRow['state'][] = ['live', 'ready', 'in_progress', 'not_started'];

export function OperatorConnections() {
  const { t, lang } = useI18n();
  useTitle(t('connect.overview.title'));
  const [state, reload] = useAsync(() => connectionApi.overview(), []);
  const [filter, setFilter] = useState<Filter>('all');
  const d = state.data;
  return (
    <div class="page">
      <PageHeader title={t('connect.overview.title')} lead={t('connect.overview.lead')} />
      {!d ? (
        state.status === 'error' ? (
          <ErrorState error={state.error} onRetry={reload} />
        ) : (
          <Loading />
        )
      ) : (
        <>
          <div class="connect-filters" role="group" aria-label={t('connect.overview.filter')}>
            <Button variant={filter === 'all' ? 'primary' : 'secondary'} onClick={() => setFilter('all')}>
              {t('connect.overview.all')} ({d.items.length})
            </Button>
            {STATES.map((s) => (
              <Button key={s} variant={filter === s ? 'primary' : 'secondary'} onClick={() => setFilter(s)}>
                {t(`connect.overview.state.${s}`)} ({d.counts[s]})
              </Button>
            ))}
            <Button
              variant={filter === 'pilots' ? 'primary' : 'secondary'}
              onClick={() => setFilter('pilots')}
            >
              {t('connect.overview.pilots')} ({d.pilots})
            </Button>
          </div>
          {(() => {
            const rows = d.items.filter((i) =>
              filter === 'all' ? true : filter === 'pilots' ? i.freePilot : i.state === filter,
            );
            if (rows.length === 0) return <p class="muted">{t('connect.overview.none')}</p>;
            return rows.map((i) => (
              <section key={i.id} class="consent-card" aria-label={i.name}>
                <div class="consent-head">
                  <h3>
                    <Link href={`/admin/institutions/${encodeURIComponent(i.id)}/connection`}>{i.name}</Link>
                  </h3>
                  <Badge tone={i.state === 'live' ? 'ok' : i.state === 'not_started' ? 'neutral' : 'warn'}>
                    {t(`connect.overview.state.${i.state}`)}
                    {i.wentLiveAt ? ` ${formatDateTime(i.wentLiveAt, lang)}` : ''}
                  </Badge>
                </div>
                <p class="muted">
                  {t('connect.overview.steps', { done: i.stepsDone, total: i.stepsTotal })} ·{' '}
                  {t('connect.overview.cameras', { n: i.cameras })} ·{' '}
                  {t('connect.overview.consent', {
                    n: i.consent.groupsWithConsent,
                    m: i.consent.activeCampaigns,
                  })}
                  {i.freePilot ? ` · ${t('connect.overview.pilots')}` : ''}
                </p>
              </section>
            ));
          })()}
        </>
      )}
    </div>
  );
}
