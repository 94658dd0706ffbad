/**
 * The city operator's paid service (docs/design/billing.md), one tab each: tariffs (the city's
 * recommended price and each kindergarten's own price, as histories by effective month; free pilots
 * with their end), billing runs (compute a month for the city or one kindergarten, review, approve
 * with a confirmation; an approved month is read-only and exported for accounting), payment imports
 * (a CSV from the payment system: all or nothing, errors per line and column; the arrears check) and
 * the revenue report with its chart.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import '../billing/billing.css';
import { api } from '../api.js';
import {
  addMonths,
  billingApi,
  EXPORT_FORMATS,
  monthName,
  parseRub,
  rub,
  type KindergartenTariff,
  type Line,
  type PaymentImport,
  type Run,
  type RunStatus,
  type Tariffs as TariffsView,
} from '../billing/client.js';
import { monthTotals, type MonthTotal } from '../billing/logic.js';
import { columnWords, lineErrorWords, useBillingText, type BillingText } from '../billing/strings.js';
import { formatDate, formatDateTime } from '../format.js';
import { useAsync, useTitle } from '../hooks.js';
import { Icon } from '../icons.js';
import { useI18n } from '../i18n.js';
import { Link, navigate } from '../router.js';
import { useMe } from '../session.js';
import {
  Badge,
  Button,
  Card,
  CheckboxField,
  ErrorState,
  errorMessage,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  TabNav,
  TextField,
  type Option,
  type Tone,
} from '../ui.js';

export type BillingTab = 'tariffs' | 'runs' | 'payments' | 'report';
export const BILLING_TABS: readonly BillingTab[] = ['tariffs', 'runs', 'payments', 'report'];
const BASE = '/operator/tariffs';

export function billingPath(tab: BillingTab): string {
  return tab === 'tariffs' ? BASE : `${BASE}/${tab}`;
}
export function runPath(id: string): string {
  return `${BASE}/runs/${encodeURIComponent(id)}`;
}

let chosenRegion: string | null = null;

/** The regions the operator bills (their region bindings), named. */
function useRegions() {
  const me = useMe();
  const ids = [
    ...new Set(
      me.roles.filter((r) => r.role === 'city_operator' && r.scopeKind === 'region').map((r) => r.scopeId),
    ),
  ];
  const [names] = useAsync(async () => {
    try {
      return new Map((await api.regions()).map((r) => [r.id, r.name]));
    } catch {
      return new Map<string, string>();
    }
  }, [ids.join()]);
  const [region, setRegion] = useState<string | null>(
    chosenRegion && ids.includes(chosenRegion) ? chosenRegion : (ids[0] ?? null),
  );
  const choose = (id: string) => {
    chosenRegion = id;
    setRegion(id);
  };
  const options: Option[] = ids.map((id) => ({ value: id, label: names.data?.get(id) ?? id }));
  return { region, choose, options };
}

export function Tariffs({ tab = 'tariffs', runId }: { tab?: BillingTab; runId?: string }) {
  const { t } = useI18n();
  const b = useBillingText();
  useTitle(b('op.title'));
  const { region, choose, options } = useRegions();
  const tabs = BILLING_TABS.map((x) => ({ id: x, label: `billing.tab.${x}` as const, href: billingPath(x) }));
  return (
    <div class="page page-wide billing">
      <PageHeader
        title={b('op.title')}
        lead={b('op.lead')}
        actions={
          options.length > 1 && region ? (
            <SelectField label={b('op.region')} value={region} onValue={choose} options={options} />
          ) : null
        }
      />
      <TabNav label={b('op.title')} tabs={tabs} active={tab} />
      <div class="tab-panel">
        {runId ? (
          <RunPage key={runId} id={runId} />
        ) : !region ? (
          <Notice tone="info">{t('error.forbidden')}</Notice>
        ) : tab === 'tariffs' ? (
          <TariffsTab key={region} regionId={region} />
        ) : tab === 'runs' ? (
          <RunsTab key={region} regionId={region} />
        ) : tab === 'payments' ? (
          <PaymentsTab key={region} regionId={region} />
        ) : (
          <ReportTab key={region} regionId={region} />
        )}
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------
// Tariffs

function monthOptions(from: string, count: number, lang: 'ru' | 'en'): Option[] {
  return Array.from({ length: count }, (_, i) => {
    const m = addMonths(from, i);
    return { value: m, label: monthName(m, lang) };
  });
}

function TariffsTab({ regionId }: { regionId: string }) {
  const { lang } = useI18n();
  const b = useBillingText();
  const [state, reload] = useAsync((signal) => billingApi.tariffs(regionId, signal), [regionId]);
  if (!state.data)
    return state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : <Loading />;
  const d = state.data;
  const now = d.recommendations.find((p) => p.effectiveMonth <= d.currentMonth);
  return (
    <div class="billing-stack">
      <Card>
        <h2 class="card-title">{b('tariff.recommended')}</h2>
        <p class="billing-big">
          {now ? b('tariff.recommendedNow', { price: rub(now.priceKopecks, lang) }) : b('tariff.noPrice')}
        </p>
        <PriceHistory prices={d.recommendations} current={d.currentMonth} />
        <PriceForm
          earliest={d.earliestMonth}
          label={b('tariff.set')}
          save={(body) => billingApi.setRegionPrice(regionId, body)}
          onSaved={reload}
        />
      </Card>
      <h2 class="section-title">{b('tariff.kindergartens')}</h2>
      <ul class="billing-kgs">
        {d.kindergartens.map((k) => (
          <li key={k.id}>
            <KindergartenCard kg={k} tariffs={d} onChanged={reload} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function PriceHistory({ prices, current }: { prices: TariffsView['recommendations']; current: string }) {
  const { lang } = useI18n();
  const b = useBillingText();
  if (prices.length === 0) return null;
  return (
    <details class="billing-history">
      <summary>{b('tariff.history')}</summary>
      <ul>
        {prices.map((p) => (
          <li key={p.effectiveMonth} class={p.effectiveMonth > current ? 'is-future' : ''}>
            {b('tariff.from', { month: formatDate(`${p.effectiveMonth}-01`, lang) })} —{' '}
            {rub(p.priceKopecks, lang)}
          </li>
        ))}
      </ul>
    </details>
  );
}

function PriceForm({
  earliest,
  label,
  save,
  onSaved,
}: {
  earliest: string;
  label: string;
  save: (body: { effectiveMonth: string; priceKopecks: number }) => Promise<unknown>;
  onSaved: () => void;
}) {
  const { t, lang } = useI18n();
  const b = useBillingText();
  const [month, setMonth] = useState(earliest);
  const [price, setPrice] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const kopecks = parseRub(price);
    if (kopecks === null) return setError(b('tariff.badPrice'));
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await save({ effectiveMonth: month, priceKopecks: kopecks });
      setDone(true);
      setPrice('');
      onSaved();
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline-form billing-form" onSubmit={(e) => void submit(e)}>
      <SelectField
        label={b('tariff.month')}
        value={month}
        onValue={setMonth}
        options={monthOptions(earliest, 12, lang)}
      />
      <TextField
        label={b('tariff.price')}
        value={price}
        onValue={setPrice}
        inputMode="decimal"
        required
        error={error}
      />
      <Button type="submit" variant="primary" busy={busy}>
        {label}
      </Button>
      <p class="hint billing-wide">{b('tariff.rule', { month: formatDate(`${earliest}-01`, lang) })}</p>
      {done ? (
        <p class="billing-wide" role="status">
          {b('tariff.saved')}
        </p>
      ) : null}
    </form>
  );
}

function KindergartenCard({
  kg,
  tariffs,
  onChanged,
}: {
  kg: KindergartenTariff;
  tariffs: TariffsView;
  onChanged: () => void;
}) {
  const { lang } = useI18n();
  const b = useBillingText();
  const [open, setOpen] = useState<'price' | 'pilot' | null>(null);
  const source =
    kg.priceSource === 'own'
      ? b('tariff.own')
      : kg.priceSource === 'recommended'
        ? b('tariff.fromRecommended')
        : b('tariff.none');
  return (
    <Card class="billing-kg">
      <div class="billing-kg-head">
        <h3>{kg.name}</h3>
        {kg.freePilot ? (
          <Badge tone="info">
            {kg.pilotUntil
              ? b('tariff.pilotBadge', { day: formatDate(kg.pilotUntil, lang) })
              : b('tariff.pilotBadgeOpen')}
          </Badge>
        ) : null}
      </div>
      <p>
        <strong>{kg.currentPriceKopecks === null ? '—' : rub(kg.currentPriceKopecks, lang)}</strong>{' '}
        <span class="muted">· {source}</span>
      </p>
      <PriceHistory prices={kg.prices} current={tariffs.currentMonth} />
      <div class="row-actions">
        <Button
          variant="secondary"
          aria-expanded={open === 'price'}
          onClick={() => setOpen(open === 'price' ? null : 'price')}
        >
          {b('tariff.changePrice')}
        </Button>
        <Button
          variant="ghost"
          aria-expanded={open === 'pilot'}
          onClick={() => setOpen(open === 'pilot' ? null : 'pilot')}
        >
          {b('tariff.pilotEdit')}
        </Button>
      </div>
      {open === 'price' ? (
        <PriceForm
          earliest={tariffs.earliestMonth}
          label={b('tariff.set')}
          save={(body) => billingApi.setKindergartenPrice(kg.id, body)}
          onSaved={onChanged}
        />
      ) : null}
      {open === 'pilot' ? <PilotForm kg={kg} onSaved={onChanged} /> : null}
    </Card>
  );
}

function PilotForm({ kg, onSaved }: { kg: KindergartenTariff; onSaved: () => void }) {
  const { t } = useI18n();
  const b = useBillingText();
  const [pilot, setPilot] = useState(kg.freePilot);
  const [until, setUntil] = useState(kg.pilotUntil ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await billingApi.setPilot(kg.id, { freePilot: pilot, pilotUntil: until || null });
      setDone(true);
      onSaved();
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="billing-form-block" onSubmit={(e) => void submit(e)}>
      <CheckboxField label={b('tariff.pilot')} checked={pilot} onChecked={setPilot} />
      <TextField
        label={b('tariff.pilotUntil')}
        type="date"
        value={until}
        onValue={setUntil}
        hint={b('tariff.pilotHint', { days: 14 })}
        error={error}
      />
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          {t('common.save')}
        </Button>
      </div>
      {done ? <p role="status">{b('tariff.pilotSaved')}</p> : null}
    </form>
  );
}

// ---------------------------------------------------------------------------------------------------
// Runs

const STATUS_TONE: Record<RunStatus, Tone> = { draft: 'neutral', reviewed: 'info', approved: 'ok' };

function RunStatusBadge({ status }: { status: RunStatus }) {
  const b = useBillingText();
  return <Badge tone={STATUS_TONE[status]}>{b(`run.status.${status}`)}</Badge>;
}

function RunsTab({ regionId }: { regionId: string }) {
  const { t, lang } = useI18n();
  const b = useBillingText();
  const [state, reload] = useAsync(
    async (signal) => {
      const [runs, tariffs] = await Promise.all([
        billingApi.runs(regionId, signal),
        billingApi.tariffs(regionId, signal),
      ]);
      return { runs: runs.items, tariffs };
    },
    [regionId],
  );
  const [period, setPeriod] = useState('');
  const [scope, setScope] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!state.data)
    return state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : <Loading />;
  const { runs, tariffs } = state.data;
  const names = new Map(tariffs.kindergartens.map((k) => [k.id, k.name]));
  const latest = tariffs.earliestMonth;
  const month = period || tariffs.currentMonth;
  const compute = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await billingApi.compute({ period: month, regionId, institutionId: scope || null });
      navigate(runPath(r.run.id), { state: r });
    } catch (err) {
      setError(errorMessage(err, t));
      setBusy(false);
    }
  };
  return (
    <div class="billing-stack">
      <Card>
        <h2 class="card-title">{b('run.new')}</h2>
        <form class="inline-form billing-form" onSubmit={(e) => void compute(e)}>
          <SelectField
            label={b('run.period')}
            value={month}
            onValue={setPeriod}
            options={monthOptions(addMonths(latest, -12), 13, lang).reverse()}
          />
          <SelectField
            label={b('run.scope')}
            value={scope}
            onValue={setScope}
            options={[
              { value: '', label: b('run.wholeRegion') },
              ...tariffs.kindergartens.map((k) => ({ value: k.id, label: k.name })),
            ]}
          />
          <Button type="submit" variant="primary" busy={busy} icon="refresh">
            {b('run.compute')}
          </Button>
          {error ? (
            <p class="field-error billing-wide" role="alert">
              {error}
            </p>
          ) : null}
        </form>
      </Card>
      <Card>
        <h2 class="card-title">{b('run.list')}</h2>
        {runs.length === 0 ? (
          <p class="muted">{b('run.none')}</p>
        ) : (
          <div class="table-wrap">
            <table class="table responsive">
              <thead>
                <tr>
                  <th scope="col">{b('run.period')}</th>
                  <th scope="col">{b('run.scope')}</th>
                  <th scope="col">{b('run.status')}</th>
                  <th scope="col" class="num">
                    {b('run.lines')}
                  </th>
                  <th scope="col" class="num">
                    {b('run.total')}
                  </th>
                  <th scope="col">{b('run.computedAt')}</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id} data-run={r.id}>
                    <td class="cell-primary" data-label={b('run.period')}>
                      <Link href={runPath(r.id)}>{monthName(r.period, lang)}</Link>
                    </td>
                    <td data-label={b('run.scope')}>
                      {r.institutionId
                        ? (names.get(r.institutionId) ?? r.institutionId)
                        : b('run.wholeRegion')}
                    </td>
                    <td data-label="">
                      <RunStatusBadge status={r.status} />
                    </td>
                    <td class="num" data-label={b('run.lines')}>
                      {r.lineCount}
                    </td>
                    <td class="num" data-label={b('run.total')}>
                      {rub(r.totalKopecks, lang)}
                    </td>
                    <td data-label={b('run.computedAt')}>{formatDateTime(r.computedAt, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

function RunPage({ id }: { id: string }) {
  const { t, lang } = useI18n();
  const b = useBillingText();
  const [state, reload] = useAsync((signal) => billingApi.run(id, signal), [id]);
  const [lines, setLines] = useState<{ items: Line[]; cursor: string | null; version: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const run = state.data;
  const version = run ? `${run.status}|${run.computedAt}|${run.lineCount}` : '';
  const [lineState] = useAsync(async () => {
    if (!run) return null;
    const page = await billingApi.lines(id, null);
    setLines({ items: page.items, cursor: page.nextCursor, version });
    return true;
  }, [id, version]);
  if (!run)
    return state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : <Loading />;

  const act = async (name: string, work: () => Promise<string | null>) => {
    setBusy(name);
    setError(null);
    setMessage(null);
    try {
      setMessage(await work());
      setConfirming(false);
      reload();
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(null);
    }
  };
  const more = async () => {
    if (!lines?.cursor) return;
    setBusy('more');
    try {
      const page = await billingApi.lines(id, lines.cursor);
      setLines({ items: [...lines.items, ...page.items], cursor: page.nextCursor, version });
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(null);
    }
  };
  const scope = run.institutionId
    ? (run.kindergartens.find((k) => k.institutionId === run.institutionId)?.name ?? '')
    : b('run.wholeRegion');
  const monthText = monthName(run.period, lang);
  const adjustments = run.kindergartens.reduce((s, k) => s + k.adjustmentsKopecks, 0);
  return (
    <div class="billing-stack" data-run-status={run.status}>
      <Link href={billingPath('runs')} class="back-link">
        <Icon name="back" size={18} />
        <span>{b('run.back')}</span>
      </Link>
      <div class="billing-run-head">
        <h2>{b('run.title', { month: monthText })}</h2>
        <span class="muted">{scope}</span> <RunStatusBadge status={run.status} />
      </div>
      <ul class="stats">
        <li class="stat stat-info">
          <span class="stat-value">{run.lineCount}</span>
          <span class="stat-label">{b('run.lines')}</span>
        </li>
        <li class="stat stat-ok">
          <span class="stat-value billing-money">{rub(run.totalKopecks, lang)}</span>
          <span class="stat-label">{b('run.total')}</span>
        </li>
        <li class="stat">
          <span class="stat-value billing-money">{rub(adjustments, lang)}</span>
          <span class="stat-label">{b('run.adjustments')}</span>
        </li>
      </ul>
      {message ? (
        <Notice tone="ok" icon="check" live>
          <p>{message}</p>
        </Notice>
      ) : null}
      {error ? (
        <Notice tone="bad" icon="alert" live>
          <p>{error}</p>
        </Notice>
      ) : null}
      {run.status === 'approved' ? (
        <Notice tone="ok" icon="lock">
          <p>{b('run.approved', { at: formatDateTime(run.approvedAt ?? run.computedAt, lang) })}</p>
        </Notice>
      ) : confirming ? (
        <div class="notice notice-warn billing-confirm" role="alertdialog" aria-labelledby="approve-title">
          <div class="notice-body">
            <p class="notice-title" id="approve-title">
              {b('run.approveConfirm', { month: monthText })}
            </p>
            <p>{b('run.approveText', { total: rub(run.totalKopecks, lang), lines: run.lineCount })}</p>
            <div class="row-actions">
              <Button
                variant="primary"
                busy={busy === 'approve'}
                onClick={() =>
                  void act('approve', async () => {
                    await billingApi.step(id, 'approve');
                    return null;
                  })
                }
              >
                {b('run.approveYes')}
              </Button>
              <Button variant="ghost" onClick={() => setConfirming(false)}>
                {t('common.cancel')}
              </Button>
            </div>
          </div>
        </div>
      ) : (
        <div class="row-actions billing-actions">
          {run.status === 'draft' ? (
            <>
              <Button
                icon="refresh"
                busy={busy === 'compute'}
                onClick={() =>
                  void act('compute', async () => {
                    const r = await billingApi.compute({
                      period: run.period,
                      regionId: run.regionId,
                      institutionId: run.institutionId,
                    });
                    return b('run.recomputed', {
                      inserted: r.inserted,
                      updated: r.updated,
                      deleted: r.deleted,
                    });
                  })
                }
              >
                {b('run.recompute')}
              </Button>
              <Button
                variant="primary"
                icon="check"
                busy={busy === 'review'}
                onClick={() =>
                  void act('review', async () => {
                    await billingApi.step(id, 'review');
                    return null;
                  })
                }
              >
                {b('run.review')}
              </Button>
            </>
          ) : (
            <>
              <Button
                busy={busy === 'reopen'}
                onClick={() =>
                  void act('reopen', async () => {
                    await billingApi.step(id, 'reopen');
                    return null;
                  })
                }
              >
                {b('run.reopen')}
              </Button>
              <Button variant="primary" icon="lock" onClick={() => setConfirming(true)}>
                {b('run.approve')}
              </Button>
            </>
          )}
        </div>
      )}
      {run.status === 'draft' ? <p class="muted small">{b('run.draftHint')}</p> : null}
      <Card>
        <h3 class="card-title">{b('run.export')}</h3>
        {run.status === 'approved' ? (
          <div class="row-actions">
            {EXPORT_FORMATS.map((f) => (
              <a
                key={f}
                class="btn btn-secondary"
                href={billingApi.exportUrl(id, f)}
                download
                data-format={f}
              >
                <Icon name="download" size={18} />
                <span>{b(`run.export.${f}`)}</span>
              </a>
            ))}
          </div>
        ) : (
          <p class="muted">{b('run.exportOnlyApproved')}</p>
        )}
      </Card>
      <Card>
        <h3 class="card-title">{b('run.byKindergarten')}</h3>
        <div class="table-wrap">
          <table class="table responsive">
            <thead>
              <tr>
                <th scope="col">{b('run.kindergarten')}</th>
                <th scope="col" class="num">
                  {b('run.lines')}
                </th>
                <th scope="col" class="num">
                  {b('run.adjustments')}
                </th>
                <th scope="col" class="num">
                  {b('run.total')}
                </th>
              </tr>
            </thead>
            <tbody>
              {run.kindergartens.map((k) => (
                <tr key={k.institutionId}>
                  <td class="cell-primary" data-label={b('run.kindergarten')}>
                    {k.name}
                  </td>
                  <td class="num" data-label={b('run.lines')}>
                    {k.lines}
                  </td>
                  <td class="num" data-label={b('run.adjustments')}>
                    {rub(k.adjustmentsKopecks, lang)}
                  </td>
                  <td class="num" data-label={b('run.total')}>
                    {rub(k.totalKopecks, lang)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <Card>
        <h3 class="card-title">{b('run.lineTable')}</h3>
        {!lines ? (
          lineState.status === 'error' ? (
            <ErrorState error={lineState.error} />
          ) : (
            <Loading />
          )
        ) : (
          <LinesTable run={run} lines={lines.items} />
        )}
        {lines ? (
          <div class="load-more">
            <span class="muted small">{b('run.shown', { n: lines.items.length, total: run.lineCount })}</span>
            {lines.cursor ? (
              <Button busy={busy === 'more'} onClick={() => void more()}>
                {b('run.more')}
              </Button>
            ) : null}
          </div>
        ) : null}
      </Card>
    </div>
  );
}

function LinesTable({ run, lines }: { run: Run; lines: Line[] }) {
  const { lang } = useI18n();
  const b = useBillingText();
  const [adjusting, setAdjusting] = useState<string | null>(null);
  return (
    <div class="table-wrap">
      <table class="table responsive billing-lines">
        <thead>
          <tr>
            <th scope="col">{b('run.account')}</th>
            <th scope="col">{b('run.child')}</th>
            <th scope="col">{b('run.payer')}</th>
            <th scope="col">{b('run.kindergarten')}</th>
            <th scope="col">{b('run.days')}</th>
            <th scope="col" class="num">
              {b('run.amount')}
            </th>
            <th scope="col">{b('run.kind')}</th>
            {run.status === 'approved' ? <th scope="col" /> : null}
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <Fragment key={l.id}>
              <tr class={l.kind === 'adjustment' ? 'is-adjustment' : ''}>
                <td data-label={b('run.account')}>{l.accountNumber}</td>
                <td class="cell-primary" data-label={b('run.child')}>
                  {l.childName}
                </td>
                <td data-label={b('run.payer')}>{l.payerName}</td>
                <td data-label={b('run.kindergarten')}>{l.institutionName}</td>
                <td data-label={b('run.days')}>
                  {l.kind === 'charge'
                    ? `${l.from.slice(8)}–${l.to.slice(8)}.${l.period.slice(5)} · ${l.days}/${l.monthDays}`
                    : '—'}
                </td>
                <td class="num" data-label={b('run.amount')}>
                  {rub(l.amountKopecks, lang)}
                </td>
                <td data-label={b('run.kind')}>
                  {l.kind === 'adjustment' ? (
                    <>
                      <Badge tone="warn">{b('run.kind.adjustment')}</Badge>
                      {l.note ? <span class="small muted"> {l.note}</span> : null}
                    </>
                  ) : (
                    b('run.kind.charge')
                  )}
                </td>
                {run.status === 'approved' ? (
                  <td class="cell-actions">
                    {l.kind === 'charge' ? (
                      <Button
                        variant="ghost"
                        class="btn-small"
                        aria-expanded={adjusting === l.id}
                        onClick={() => setAdjusting(adjusting === l.id ? null : l.id)}
                      >
                        {b('run.adjust')}
                      </Button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
              {adjusting === l.id ? (
                <tr>
                  <td colSpan={8}>
                    <AdjustForm line={l} onDone={() => setAdjusting(null)} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AdjustForm({ line, onDone }: { line: Line; onDone: () => void }) {
  const { t, lang } = useI18n();
  const b = useBillingText();
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const negative = /^\s*[-−]/.test(amount);
    const k = parseRub(amount.replace(/^\s*[-−+]/, ''));
    if (k === null || k === 0) return setError(b('tariff.badPrice'));
    setBusy(true);
    setError(null);
    try {
      await billingApi.adjust({
        subscriptionId: line.subscriptionId,
        forPeriod: line.period,
        amountKopecks: negative ? -k : k,
        reason,
      });
      setDone(true);
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };
  if (done)
    return (
      <Notice tone="ok" icon="check" live>
        <p>{b('run.adjustDone')}</p>
        <Button variant="ghost" onClick={onDone}>
          {t('common.close')}
        </Button>
      </Notice>
    );
  return (
    <form class="billing-form-block" onSubmit={(e) => void submit(e)}>
      <p class="form-title">
        {b('run.adjustTitle', { month: monthName(line.period, lang), child: line.childName })}
      </p>
      <TextField label={b('run.adjustAmount')} value={amount} onValue={setAmount} required error={error} />
      <TextField
        label={b('run.adjustReason')}
        value={reason}
        onValue={setReason}
        required
        hint={b('run.adjustHint')}
      />
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          {b('run.adjustSave')}
        </Button>
        <Button variant="ghost" onClick={onDone}>
          {t('common.cancel')}
        </Button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------------
// Payments

function PaymentsTab({ regionId }: { regionId: string }) {
  const { t, lang } = useI18n();
  const b = useBillingText();
  const [state, reload] = useAsync((signal) => billingApi.imports(regionId, signal), [regionId]);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<PaymentImport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [asOf, setAsOf] = useState(new Date().toISOString().slice(0, 10));
  const [checking, setChecking] = useState(false);
  const [checked, setChecked] = useState<string | null>(null);
  const upload = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await billingApi.importPayments(regionId, file, file.name));
      reload();
    } catch (err) {
      setError(errorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };
  const check = async (e: Event) => {
    e.preventDefault();
    setChecking(true);
    setChecked(null);
    try {
      const r = await billingApi.arrearsCheck(regionId, asOf || undefined);
      setChecked(
        b('pay.checked', { day: formatDate(r.asOf, lang), suspended: r.suspended, restored: r.restored }),
      );
    } catch (err) {
      setChecked(errorMessage(err, t));
    } finally {
      setChecking(false);
    }
  };
  return (
    <div class="billing-stack">
      <Card>
        <h2 class="card-title">{b('pay.upload')}</h2>
        <p class="muted">{b('pay.uploadLead')}</p>
        <form onSubmit={(e) => void upload(e)}>
          <label class="file-drop">
            <Icon name="upload" size={24} />
            <span>{file?.name ?? b('pay.file')}</span>
            <input
              type="file"
              accept=".csv,text/csv"
              class="sr-only"
              onChange={(e) => {
                setFile(e.currentTarget.files?.[0] ?? null);
                setResult(null);
              }}
            />
          </label>
          <div class="form-actions">
            <Button type="submit" variant="primary" icon="upload" busy={busy} disabled={!file}>
              {b('pay.submit')}
            </Button>
          </div>
        </form>
      </Card>
      {error ? (
        <Notice tone="bad" icon="alert" live>
          <p>{error}</p>
        </Notice>
      ) : null}
      {result ? <ImportResult imp={result} /> : null}
      <Card>
        <h2 class="card-title">{b('pay.arrears')}</h2>
        <p class="muted">{b('pay.arrearsLead', { day: 25 })}</p>
        <form class="inline-form billing-form" onSubmit={(e) => void check(e)}>
          <TextField label={b('pay.asOf')} type="date" value={asOf} onValue={setAsOf} />
          <Button type="submit" busy={checking}>
            {b('pay.check')}
          </Button>
        </form>
        {checked ? (
          <p role="status" class="billing-checked">
            {checked}
          </p>
        ) : null}
      </Card>
      <Card>
        <h2 class="card-title">{b('pay.history')}</h2>
        {!state.data ? (
          state.status === 'error' ? (
            <ErrorState error={state.error} onRetry={reload} />
          ) : (
            <Loading />
          )
        ) : state.data.items.length === 0 ? (
          <p class="muted">{b('pay.none')}</p>
        ) : (
          <div class="table-wrap">
            <table class="table responsive">
              <thead>
                <tr>
                  <th scope="col">{b('pay.when')}</th>
                  <th scope="col">{b('pay.file.name')}</th>
                  <th scope="col" />
                  <th scope="col" class="num">
                    {b('pay.count')}
                  </th>
                  <th scope="col" class="num">
                    {b('pay.sum')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {state.data.items.map((i) => (
                  <tr key={i.id}>
                    <td data-label={b('pay.when')}>{formatDateTime(i.createdAt, lang)}</td>
                    <td class="cell-primary" data-label={b('pay.file.name')}>
                      {i.fileName}
                      {i.errors.length ? <ErrorList b={b} imp={i} collapsed /> : null}
                    </td>
                    <td data-label="">
                      <Badge tone={i.status === 'imported' ? 'ok' : 'bad'}>
                        {b(`pay.status.${i.status}`)}
                      </Badge>
                    </td>
                    <td class="num" data-label={b('pay.count')}>
                      {i.importedCount}
                      {i.duplicateCount ? ` (+${i.duplicateCount})` : ''}
                    </td>
                    <td class="num" data-label={b('pay.sum')}>
                      {rub(i.totalKopecks, lang)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

function ImportResult({ imp }: { imp: PaymentImport }) {
  const { lang } = useI18n();
  const b = useBillingText();
  if (imp.status === 'imported')
    return (
      <Notice
        tone="ok"
        icon="check"
        live
        title={b('pay.imported', { n: imp.importedCount, sum: rub(imp.totalKopecks, lang) })}
      >
        {imp.duplicateCount ? <p>{b('pay.duplicates', { n: imp.duplicateCount })}</p> : null}
        {imp.restored ? <p>{b('pay.restored', { n: imp.restored })}</p> : null}
      </Notice>
    );
  return (
    <div class="import-errors">
      <Notice tone="bad" icon="alert" live title={b('pay.rejected', { n: imp.errors.length })} />
      <ErrorList b={b} imp={imp} />
    </div>
  );
}

function ErrorList({
  imp,
  b,
  collapsed = false,
}: {
  imp: PaymentImport;
  b: BillingText;
  collapsed?: boolean;
}) {
  const table = (
    <div class="table-wrap">
      <table class="table billing-errors">
        <thead>
          <tr>
            <th scope="col" class="num">
              {b('pay.line')}
            </th>
            <th scope="col">{b('pay.column')}</th>
            <th scope="col">{b('pay.problem')}</th>
          </tr>
        </thead>
        <tbody>
          {imp.errors.map((e, i) => (
            <tr key={i}>
              <td class="num">{e.line}</td>
              <td>{columnWords(e.column, b)}</td>
              <td>{lineErrorWords(e.message, b)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
  return collapsed ? (
    <details class="billing-history">
      <summary>{b('pay.errors', { n: imp.errors.length })}</summary>
      {table}
    </details>
  ) : (
    table
  );
}

// ---------------------------------------------------------------------------------------------------
// Revenue report

function ReportTab({ regionId }: { regionId: string }) {
  const { lang } = useI18n();
  const b = useBillingText();
  const [state, reload] = useAsync((signal) => billingApi.report(regionId, signal), [regionId]);
  const [kg, setKg] = useState('');
  if (!state.data)
    return state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : <Loading />;
  const rows = state.data.items;
  if (rows.length === 0) return <p class="muted">{b('rep.none')}</p>;
  const kgs = [...new Map(rows.map((r) => [r.institutionId, r.institutionName]))];
  const shown = kg ? rows.filter((r) => r.institutionId === kg) : rows;
  const months = monthTotals(shown);
  return (
    <div class="billing-stack">
      <Card>
        <div class="billing-report-head">
          <h2 class="card-title">{b('rep.title')}</h2>
          <SelectField
            label={b('rep.kindergarten')}
            value={kg}
            onValue={setKg}
            options={[
              { value: '', label: b('rep.all') },
              ...kgs.map(([id, name]) => ({ value: id, label: name })),
            ]}
          />
        </div>
        <RevenueChart months={months} />
      </Card>
      <Card>
        <div class="table-wrap">
          <table class="table responsive billing-report">
            <thead>
              <tr>
                <th scope="col">{b('rep.month')}</th>
                <th scope="col">{b('rep.kindergarten')}</th>
                <th scope="col" class="num">
                  {b('rep.subscribers')}
                </th>
                <th scope="col" class="num">
                  {b('rep.charged')}
                </th>
                <th scope="col" class="num">
                  {b('rep.paid')}
                </th>
                <th scope="col" class="num">
                  {b('rep.arrears')}
                </th>
              </tr>
            </thead>
            <tbody>
              {[...shown].reverse().map((r) => (
                <tr key={`${r.period}${r.institutionId}`}>
                  <td data-label={b('rep.month')}>{monthName(r.period, lang)}</td>
                  <td class="cell-primary" data-label={b('rep.kindergarten')}>
                    {r.institutionName}
                  </td>
                  <td class="num" data-label={b('rep.subscribers')}>
                    {r.subscribers}
                  </td>
                  <td class="num" data-label={b('rep.charged')}>
                    {rub(r.chargedKopecks, lang)}
                  </td>
                  <td class="num" data-label={b('rep.paid')}>
                    {rub(r.paidKopecks, lang)}
                  </td>
                  <td
                    class={`num${r.arrearsKopecks > 0 ? ' billing-debt' : ''}`}
                    data-label={b('rep.arrears')}
                  >
                    {rub(r.arrearsKopecks, lang)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}

const CW = 640;
const CH = 200;
const SERIES = ['charged', 'paid', 'arrears'] as const;

/** Bars of charged, paid and arrears per month (rubles), the subscribers written above each month. */
function RevenueChart({ months }: { months: MonthTotal[] }) {
  const { lang } = useI18n();
  const b = useBillingText();
  // A round top for the scale (1, 2 or 5 × 10ⁿ rubles), with three labelled lines.
  const peak = Math.max(100, ...months.map((m) => Math.max(m.charged, m.paid, m.arrears)));
  const step = 10 ** Math.floor(Math.log10(peak));
  const max = [1, 2, 5, 10].map((k) => k * step).find((v) => v >= peak) ?? peak;
  const top = 24;
  const bottom = 22;
  const left = 64;
  const slot = (CW - left) / Math.max(1, months.length);
  const bar = Math.min(36, (slot - 16) / 3);
  const y = (v: number) => CH - bottom - (v / max) * (CH - top - bottom);
  const label = months
    .map(
      (m) =>
        `${monthName(m.period, lang)}: ${b('rep.subscribers')} ${m.subscribers}, ${b('rep.charged')} ${rub(m.charged, lang)}, ${b('rep.paid')} ${rub(m.paid, lang)}, ${b('rep.arrears')} ${rub(m.arrears, lang)}`,
    )
    .join('; ');
  return (
    <figure class="billing-figure">
      <svg
        class="billing-chart"
        viewBox={`0 0 ${CW} ${CH}`}
        role="img"
        aria-label={`${b('rep.chartLabel')}: ${label}`}
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="chart-grid" x1={left} x2={CW} y1={y(max * f)} y2={y(max * f)} />
            <text class="chart-label" x={left - 6} y={y(max * f) + 4} text-anchor="end">
              {rub(Math.round(max * f), lang)}
            </text>
          </g>
        ))}
        {months.map((m, i) => {
          const x0 = left + i * slot + (slot - bar * 3) / 2;
          return (
            <g key={m.period}>
              {SERIES.map((s, j) => (
                <rect
                  key={s}
                  class={`billing-bar billing-bar-${s}`}
                  x={x0 + j * bar}
                  y={y(m[s])}
                  width={Math.max(1, bar - 2)}
                  height={Math.max(0, y(0) - y(m[s]))}
                >
                  <title>{`${b(`rep.${s}`)}: ${rub(m[s], lang)}`}</title>
                </rect>
              ))}
              <text class="chart-label" x={left + i * slot + slot / 2} y={14} text-anchor="middle">
                {m.subscribers}
              </text>
              <text class="chart-label" x={left + i * slot + slot / 2} y={CH - 6} text-anchor="middle">
                {monthName(m.period, lang)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="billing-legend">
        {SERIES.map((s) => (
          <span key={s} class={`billing-key billing-key-${s}`}>
            {b(`rep.${s}`)}
          </span>
        ))}
        <span class="billing-key-subs">{b('rep.subsAbove')}</span>
      </figcaption>
    </figure>
  );
}
