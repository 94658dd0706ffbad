/** The auditor's search: filters (kept in the URL), results page by page, CSV export, chain status. */
import { useEffect, useState } from 'preact/hooks';
import { api, withQuery, type AuditEntry, type AuditFilters, type AuditVerify } from '../api.js';
import { formatDateTime, fromLocalInput, toLocalInput } from '../format.js';
import { useAsync, useTitle, type Async } from '../hooks.js';
import { Icon } from '../icons.js';
import { reasonWords, useI18n } from '../i18n.js';
import { navigate } from '../router.js';
import { hasAnyRole, useMe } from '../session.js';
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
  SelectField,
  TextField,
} from '../ui.js';

const KEYS = ['person', 'camera', 'child', 'institution', 'action', 'decision', 'from', 'to'] as const;

function filtersFrom(query: URLSearchParams): AuditFilters {
  const f: AuditFilters = {};
  for (const k of KEYS) {
    const v = query.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** Suggestions for the action filter (any action can be typed). */
const ACTIONS = [
  'grant.live',
  'grant.renew',
  'stream.start',
  'stream.end',
  'media.refused',
  'recording.playback',
  'recording.export',
  'admin.',
  'admin.enrolment.update',
  'admin.camera.create',
  'admin.guardian_link.',
  'admin.institution.import',
  'auth.login',
  'auth.logout',
  'auth.login_failed',
  'audit.export',
];

export function AuditSearch({ query }: { query: URLSearchParams }) {
  const { t } = useI18n();
  useTitle(t('audit.title'));
  const filters = filtersFrom(query);
  const key = JSON.stringify(filters);
  const [draft, setDraft] = useState<AuditFilters>(filters);
  useEffect(() => setDraft(filtersFrom(query)), [key]);

  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null });
  const [page, reload] = useAsync(() => api.audit(filters), [key]);
  useEffect(() => {
    if (page.status === 'ok') {
      setEntries(page.data.items);
      setCursor(page.data.nextCursor);
    }
  }, [page]);
  const me = useMe();
  // The chain covers the whole log: only auditors may check it.
  const isAuditor = hasAnyRole(me, ['auditor']);
  const [chain] = useAsync(() => (isAuditor ? api.auditVerify() : Promise.resolve(null)), [isAuditor]);

  const loadMore = async () => {
    if (!cursor) return;
    setMore({ busy: true, error: null });
    try {
      const next = await api.audit(filters, cursor);
      setEntries((old) => [...old, ...next.items]);
      setCursor(next.nextCursor);
      setMore({ busy: false, error: null });
    } catch (error) {
      setMore({ busy: false, error });
    }
  };

  const apply = (e: Event) => {
    e.preventDefault();
    navigate(withQuery('/audit', { ...draft }));
  };
  const set = (k: keyof AuditFilters, v: string) => setDraft((d) => ({ ...d, [k]: v || undefined }));

  return (
    <div class="page page-wide">
      <PageHeader
        title={t('audit.title')}
        lead={t('audit.lead')}
        actions={
          <a class="btn btn-secondary" href={api.auditCsvUrl(filters)} download>
            <Icon name="download" size={18} />
            <span>{t('audit.csv')}</span>
          </a>
        }
      />
      {isAuditor ? <ChainStatus state={chain} /> : null}
      <Card class="filters">
        <form onSubmit={apply} aria-label={t('audit.filters')}>
          <div class="filter-grid">
            <TextField
              label={t('audit.person')}
              value={draft.person ?? ''}
              onValue={(v) => set('person', v)}
            />
            <TextField
              label={t('audit.camera')}
              value={draft.camera ?? ''}
              onValue={(v) => set('camera', v)}
            />
            <TextField label={t('audit.child')} value={draft.child ?? ''} onValue={(v) => set('child', v)} />
            <TextField
              label={t('audit.institution')}
              value={draft.institution ?? ''}
              onValue={(v) => set('institution', v)}
            />
            <TextField
              label={t('audit.action')}
              value={draft.action ?? ''}
              onValue={(v) => set('action', v)}
              list="audit-actions"
            />
            <SelectField
              label={t('audit.decision')}
              value={draft.decision ?? ''}
              onValue={(v) => set('decision', v)}
              options={[
                { value: '', label: t('common.all') },
                { value: 'allow', label: t('audit.decision.allow') },
                { value: 'deny', label: t('audit.decision.deny') },
              ]}
            />
            <TextField
              label={t('audit.from')}
              type="datetime-local"
              value={draft.from ? toLocalInput(draft.from) : ''}
              onValue={(v) => set('from', fromLocalInput(v) ?? '')}
            />
            <TextField
              label={t('audit.to')}
              type="datetime-local"
              value={draft.to ? toLocalInput(draft.to) : ''}
              onValue={(v) => set('to', fromLocalInput(v) ?? '')}
            />
          </div>
          <datalist id="audit-actions">
            {ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          <div class="form-actions">
            <Button type="submit" variant="primary" icon="refresh">
              {t('common.search')}
            </Button>
            <Button variant="ghost" onClick={() => navigate('/audit')}>
              {t('common.reset')}
            </Button>
          </div>
        </form>
      </Card>

      {page.status === 'error' ? (
        <ErrorState error={page.error} onRetry={reload} />
      ) : page.status === 'loading' && entries.length === 0 ? (
        <Loading />
      ) : entries.length === 0 ? (
        <EmptyState icon="shield" title={t('audit.empty')} />
      ) : (
        <>
          <AuditTable entries={entries} />
          {more.error ? (
            <Notice tone="bad" icon="alert" live>
              <p>{errorMessage(more.error, t)}</p>
            </Notice>
          ) : null}
          {cursor ? (
            <div class="load-more">
              <Button busy={more.busy} onClick={() => void loadMore()}>
                {t('common.loadMore')}
              </Button>
            </div>
          ) : null}
        </>
      )}
    </div>
  );
}

function ChainStatus({ state }: { state: Async<AuditVerify | null> }) {
  const { t } = useI18n();
  if (state.status === 'loading')
    return (
      <Notice tone="neutral" icon="shield">
        <p>{t('audit.chainChecking')}</p>
      </Notice>
    );
  if (state.status === 'error')
    return (
      <Notice tone="warn" icon="alert">
        <p>{t('audit.chainUnknown')}</p>
      </Notice>
    );
  if (!state.data) return null;
  return state.data.ok ? (
    <Notice tone="ok" icon="check" live>
      <p>{t('audit.chainOk', { entries: state.data.entries })}</p>
    </Notice>
  ) : (
    <Notice tone="bad" icon="alert" live>
      <p>{t('audit.chainBad', { seq: state.data.firstBad?.seq ?? '?' })}</p>
      {state.data.firstBad ? <p class="small">{state.data.firstBad.problem}</p> : null}
    </Notice>
  );
}

/** A long id shortened for reading; the whole id is in the title and copied with a selection. */
function ShortId({ id }: { id: string | null }) {
  if (!id) return null;
  const short = id.length > 13 ? `${id.slice(0, 8)}…` : id;
  return (
    <code class="id" title={id}>
      {short}
    </code>
  );
}

/** `admin.camera.create` may wrap after its dots, never inside a word (<wbr> adds no text). */
function breakAtDots(action: string) {
  return action.split('.').map((part, i) => (
    <span key={i}>
      {i > 0 ? (
        <>
          .<wbr />
        </>
      ) : null}
      {part}
    </span>
  ));
}

function AuditTable({ entries }: { entries: AuditEntry[] }) {
  const { t, lang } = useI18n();
  return (
    <div class="table-wrap">
      <table class="table responsive audit-table">
        <thead>
          <tr>
            <th scope="col">{t('audit.at')}</th>
            <th scope="col">{t('audit.actor')}</th>
            <th scope="col">{t('audit.action')}</th>
            <th scope="col">{t('audit.target')}</th>
            <th scope="col">{t('audit.result')}</th>
            <th scope="col">{t('audit.from_ip')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => {
            const reason = e.reason ? (reasonWords(e.reason, t) ?? e.reason) : null;
            return (
              <tr key={e.id}>
                <td class="cell-primary nowrap" data-label={t('audit.at')}>
                  {formatDateTime(e.at, lang)}
                  <span class="muted small"> #{e.seq}</span>
                </td>
                <td data-label={t('audit.actor')}>
                  {e.actor?.subject ?? e.actor?.personId ?? <span class="muted">{t('audit.system')}</span>}
                  {e.actor?.role ? <span class="muted small"> · {e.actor.role}</span> : null}
                </td>
                <td data-label={t('audit.action')}>
                  <code class="action">{breakAtDots(e.action)}</code>
                </td>
                <td data-label={t('audit.target')}>
                  {e.targetKind ? (
                    <span>
                      {e.targetKind} <ShortId id={e.targetId} />
                    </span>
                  ) : (
                    t('common.none')
                  )}
                </td>
                <td data-label={t('audit.result')}>
                  {e.decision ? (
                    <Badge tone={e.decision === 'allow' ? 'ok' : 'bad'}>
                      {t(`audit.decision.${e.decision}`)}
                    </Badge>
                  ) : null}
                  {reason ? <div class="small">{reason}</div> : null}
                  {e.details !== null && e.details !== undefined ? (
                    <details class="audit-details">
                      <summary>{t('audit.details')}</summary>
                      <pre>
                        {JSON.stringify(
                          { details: e.details, streamId: e.streamId, userAgent: e.userAgent },
                          null,
                          2,
                        )}
                      </pre>
                    </details>
                  ) : null}
                </td>
                <td class="nowrap" data-label={t('audit.from_ip')}>
                  {e.ip ?? t('common.none')}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
