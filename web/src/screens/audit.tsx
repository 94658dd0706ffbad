/**
 * The auditor's search: filters by person, child, camera and institution picked from suggestions,
 * by action, decision, time and free text (kept in the URL), results with names and Russian words
 * (codes beside them in small grey), page by page, CSV export, chain status.
 * The words come from the server (src/audit/describe.ts), so the screen and the export agree.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import {
  api,
  withQuery,
  type AuditEntry,
  type AuditFilters,
  type AuditPickKind,
  type AuditSuggestion,
  type AuditVerify,
} from '../api.js';
import { formatDateTime, fromLocalInput, toLocalInput } from '../format.js';
import { useAsync, useTitle, type Async } from '../hooks.js';
import { Icon } from '../icons.js';
import { useI18n, type MessageKey } from '../i18n.js';
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

const KEYS = [
  'person',
  'camera',
  'child',
  'institution',
  'action',
  'decision',
  'from',
  'to',
  'text',
] as const;
const PICKS: readonly AuditPickKind[] = ['person', 'child', 'camera', 'institution'];
const PICK_LABEL: Record<AuditPickKind, MessageKey> = {
  person: 'audit.person',
  child: 'audit.child',
  camera: 'audit.camera',
  institution: 'audit.institution',
};
/** Shorter than this, the server does not suggest (src/api/audit.ts). */
const MIN_CHARS = 2;

function filtersFrom(query: URLSearchParams): AuditFilters {
  const f: AuditFilters = {};
  for (const k of KEYS) {
    const v = query.get(k);
    if (v) f[k] = v;
  }
  return f;
}

type Names = Partial<Record<AuditPickKind, string>>;

export function AuditSearch({ query }: { query: URLSearchParams }) {
  const { t } = useI18n();
  useTitle(t('audit.title'));
  const filters = filtersFrom(query);
  const key = JSON.stringify(filters);
  const [draft, setDraft] = useState<AuditFilters>(filters);
  /** the names shown for the picked ids (from a pick, or from the server for a shared link) */
  const [names, setNames] = useState<Names>({});
  /** pickers whose text was typed but nothing picked */
  const [unpicked, setUnpicked] = useState<Partial<Record<AuditPickKind, boolean>>>({});
  useEffect(() => setDraft(filtersFrom(query)), [key]);

  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null });
  const [page, reload] = useAsync(() => api.audit(filters), [key]);
  useEffect(() => {
    if (page.status === 'ok') {
      setEntries(page.data.items);
      setCursor(page.data.nextCursor);
      const picked = page.data.picked ?? {};
      setNames((old) => {
        const next: Names = { ...old };
        for (const k of PICKS) {
          const p = picked[k];
          if (p) next[k] = p.name;
          else if (p === null) next[k] = t('audit.pickUnknown');
        }
        return next;
      });
    }
  }, [page]);
  const [actions] = useAsync(() => api.auditActions(), []);
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
    if (PICKS.some((k) => unpicked[k])) return; // the field says what to do
    navigate(withQuery('/audit', { ...draft }));
  };
  const set = (k: keyof AuditFilters, v: string) => setDraft((d) => ({ ...d, [k]: v || undefined }));
  const actionOptions =
    actions.status === 'ok' ? [...actions.data.items].sort((a, b) => a.text.localeCompare(b.text, 'ru')) : [];
  // A code typed into a link that the list does not know still shows as itself.
  if (draft.action && !actionOptions.some((a) => a.code === draft.action))
    actionOptions.unshift({ code: draft.action, text: draft.action });

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
            {PICKS.map((k) => (
              <PickField
                key={k}
                kind={k}
                label={t(PICK_LABEL[k])}
                pickedId={draft[k]}
                pickedName={draft[k] ? (names[k] ?? null) : null}
                onPick={(s) => {
                  set(k, s?.id ?? '');
                  if (s) setNames((n) => ({ ...n, [k]: s.name }));
                }}
                onPending={(pending) => setUnpicked((u) => ({ ...u, [k]: pending }))}
              />
            ))}
            <SelectField
              label={t('audit.action')}
              value={draft.action ?? ''}
              onValue={(v) => set('action', v)}
              options={[
                { value: '', label: t('audit.allActions') },
                ...actionOptions.map((a) => ({ value: a.code, label: a.text })),
              ]}
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
            <TextField
              label={t('audit.text')}
              type="search"
              hint={t('audit.textHint')}
              value={draft.text ?? ''}
              onValue={(v) => set('text', v)}
            />
          </div>
          <div class="form-actions">
            <Button type="submit" variant="primary" icon="refresh">
              {t('common.search')}
            </Button>
            <Button
              variant="ghost"
              onClick={() => {
                setNames({});
                navigate('/audit');
              }}
            >
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

/**
 * A text field that suggests names as one types (a combobox: arrows move, Enter picks, Escape
 * closes) and holds the picked id. Typing after a pick drops the pick; text left unpicked is flagged.
 */
function PickField({
  kind,
  label,
  pickedId,
  pickedName,
  onPick,
  onPending,
}: {
  kind: AuditPickKind;
  label: string;
  pickedId: string | undefined;
  pickedName: string | null;
  onPick: (s: AuditSuggestion | null) => void;
  onPending: (pending: boolean) => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const listId = `${id}-list`;
  const [text, setText] = useState(pickedName ?? '');
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<AuditSuggestion[]>([]);
  const [state, setState] = useState<'idle' | 'short' | 'loading' | 'done' | 'error'>('idle');
  const [active, setActive] = useState(-1);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const asked = useRef(0);
  useEffect(() => {
    if (pickedId && pickedName) setText(pickedName);
    if (!pickedId) setText((old) => (old === pickedName ? '' : old));
  }, [pickedId, pickedName]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const pending = !pickedId && text.trim().length > 0;
  useEffect(() => onPending(pending), [pending]);

  const search = (q: string) => {
    clearTimeout(timer.current);
    if ([...q.trim()].length < MIN_CHARS) {
      setItems([]);
      setState(q.trim() ? 'short' : 'idle');
      return;
    }
    setState('loading');
    const n = ++asked.current;
    timer.current = setTimeout(() => {
      api.auditSuggest(kind, q.trim()).then(
        (r) => {
          if (n !== asked.current) return; // an older answer after a newer question
          setItems(r.items);
          setActive(r.items.length ? 0 : -1);
          setState('done');
        },
        () => {
          if (n === asked.current) setState('error');
        },
      );
    }, 200);
  };
  const pick = (s: AuditSuggestion) => {
    setText(s.name);
    setOpen(false);
    setItems([]);
    setState('idle');
    onPick(s);
  };
  const clear = () => {
    setText('');
    setItems([]);
    setState('idle');
    onPick(null);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' && items.length) {
      e.preventDefault();
      setOpen(true);
      setActive((a) => (a + 1) % items.length);
    } else if (e.key === 'ArrowUp' && items.length) {
      e.preventDefault();
      setActive((a) => (a <= 0 ? items.length - 1 : a - 1));
    } else if (e.key === 'Enter' && open && active >= 0 && items[active]) {
      e.preventDefault();
      pick(items[active]);
    } else if (e.key === 'Escape') setOpen(false);
  };
  const showList = open && state !== 'idle';
  const hintId = `${id}-hint`;
  return (
    <div class={`field pick-field${pending && !open ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      <div class="pick-input">
        <input
          id={id}
          type="text"
          role="combobox"
          autoComplete="off"
          spellcheck={false}
          aria-expanded={showList}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={showList && active >= 0 ? `${listId}-${active}` : undefined}
          aria-describedby={hintId}
          aria-invalid={pending && !open ? 'true' : undefined}
          class={pickedId ? 'picked' : undefined}
          value={text}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setText(v);
            setOpen(true);
            if (pickedId) onPick(null);
            search(v);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
          onKeyDown={onKey}
        />
        {pickedId ? <Icon name="check" size={18} class="pick-check" /> : null}
        {text ? (
          <button
            type="button"
            class="pick-clear"
            aria-label={t('audit.pickClear', { name: text })}
            onClick={clear}
          >
            ×
          </button>
        ) : null}
      </div>
      <p id={hintId} class={pending && !open ? 'field-error' : 'hint'}>
        {pending && !open ? t('audit.pickFirst') : t('audit.pickHint')}
      </p>
      {showList ? (
        <ul id={listId} role="listbox" class="pick-list" aria-label={label}>
          {state === 'short' ? <li class="pick-note">{t('audit.pickTooShort')}</li> : null}
          {state === 'loading' && items.length === 0 ? (
            <li class="pick-note">{t('audit.pickLoading')}</li>
          ) : null}
          {state === 'error' ? <li class="pick-note">{t('error.network')}</li> : null}
          {state === 'done' && items.length === 0 ? <li class="pick-note">{t('audit.pickNone')}</li> : null}
          {items.map((s, i) => (
            <li
              key={s.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              class={i === active ? 'active' : undefined}
              // mousedown, not click: the input's blur would close the list first
              onMouseDown={(e) => {
                e.preventDefault();
                pick(s);
              }}
            >
              <span class="pick-name">{s.name}</span>
              {s.context ? <span class="pick-context">{s.context}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}
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

/** A code (action, reason, role) as secondary text: small, grey, monospace. */
function Code({ children }: { children: string | null | undefined }) {
  if (!children) return null;
  return <code class="code-note">{children}</code>;
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

function What({ e }: { e: AuditEntry }) {
  const { t } = useI18n();
  const deleted = <span class="muted">{t('audit.deleted')}</span>;
  const place = [e.room?.name, e.institution?.name].filter(Boolean).join(' · ');
  const main = e.camera ? (
    <span>
      <Icon name="camera" size={14} /> {e.camera.name ?? deleted}
    </span>
  ) : e.target && e.target.kind !== 'institution' && e.target.kind !== 'room' ? (
    <span>
      {e.target.kindText ?? e.target.kind}
      {': '}
      {e.target.name ?? (e.target.id ? deleted : null)}
    </span>
  ) : null;
  if (!main && !place && !e.child) return <>{t('common.none')}</>;
  return (
    <div class="audit-what">
      {main ? <div>{main}</div> : null}
      {e.child && e.target?.kind !== 'child' ? (
        <div>
          {t('audit.child')}: {e.child.name ?? deleted}
        </div>
      ) : null}
      {place ? <div class="muted small">{place}</div> : null}
    </div>
  );
}

function Technical({ e }: { e: AuditEntry }) {
  const { t } = useI18n();
  const rows: [string, string | null | undefined][] = [
    ['actor', e.actor ? `${e.actor.subject ?? ''} ${e.actor.personId ?? ''}`.trim() : null],
    ['target', e.targetKind ? `${e.targetKind} ${e.targetId ?? ''}` : null],
    ['institution_id', e.institutionId],
    ['stream_id', e.streamId],
    ['session_id', e.sessionId],
    ['user_agent', e.userAgent],
  ];
  const shown = rows.filter(([, v]) => v);
  if (!shown.length && !e.detailLines.length) return null;
  return (
    <details class="audit-details">
      <summary>{t('audit.details')}</summary>
      {e.detailLines.length ? (
        <dl class="audit-lines">
          {e.detailLines.map((l, i) => (
            <div key={i}>
              <dt>{l.label}</dt>
              <dd>{l.value}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {shown.length ? (
        <dl class="audit-lines audit-technical" aria-label={t('audit.technical')}>
          {shown.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>
                <code>{v}</code>
              </dd>
            </div>
          ))}
        </dl>
      ) : null}
    </details>
  );
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
            <th scope="col">{t('audit.object')}</th>
            <th scope="col">{t('audit.result')}</th>
            <th scope="col">{t('audit.from_ip')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td class="cell-primary nowrap" data-label={t('audit.at')}>
                {formatDateTime(e.at, lang)}
                <span class="muted small"> #{e.seq}</span>
              </td>
              <td data-label={t('audit.actor')}>
                <div class="audit-cell">
                  {e.actor ? (
                    <strong class="audit-actor">{e.actor.name ?? t('audit.deleted')}</strong>
                  ) : (
                    <span class="muted">{t('audit.system')}</span>
                  )}
                  {e.actor?.roleText ? <span class="muted small">{e.actor.roleText}</span> : null}
                </div>
              </td>
              <td data-label={t('audit.action')}>
                <div class="audit-cell">
                  <span class="audit-action">{e.actionText ?? breakAtDots(e.action)}</span>
                  {e.actionText ? (
                    <code class="code-note action" title={t('audit.code')}>
                      {breakAtDots(e.action)}
                    </code>
                  ) : null}
                </div>
              </td>
              <td data-label={t('audit.object')}>
                <What e={e} />
              </td>
              <td data-label={t('audit.result')}>
                <div class="audit-cell">
                  {e.decision ? (
                    <Badge tone={e.decision === 'allow' ? 'ok' : 'bad'}>
                      {t(`audit.decision.${e.decision}`)}
                    </Badge>
                  ) : null}
                  {e.reasonText ? <span class="small audit-reason">{e.reasonText}</span> : null}
                  {e.reason && e.reason !== e.reasonText ? <Code>{e.reason}</Code> : null}
                  <Technical e={e} />
                </div>
              </td>
              <td class="nowrap" data-label={t('audit.from_ip')}>
                {e.ip ?? t('common.none')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
