/**
 * The education department's dashboard: today per kindergarten (register vs door), attendance rate by
 * day (chart), meals ordered against actual attendance (chart), forecast accuracy, tomorrow's orders,
 * the days when door counts and registers disagree, and the supplier's CSV.
 */
import { useAsync, useTitle, useVisibleInterval } from '../hooks.js';
import { useMe } from '../session.js';
import { Badge, ErrorState, Loading, PageHeader } from '../ui.js';
import { attendanceApi, type Dashboard } from '../attendance/client.js';
import { useAttendanceText } from '../attendance/strings.js';

export function AttendanceEducation() {
  const me = useMe();
  const t = useAttendanceText();
  useTitle(t('edu.title'));
  const [state, reload] = useAsync(() => attendanceApi.dashboard(me.csrfToken), [me.csrfToken]);
  useVisibleInterval(reload, 60_000);
  if (state.status === 'error' && !state.data) return <ErrorState error={state.error} onRetry={reload} />;
  if (!state.data) return <Loading />;
  const d = state.data;
  const names = new Map(d.kindergartens.map((k) => [k.id, k.name]));
  return (
    <div class="page page-wide">
      <PageHeader
        title={t('edu.title')}
        lead={t('edu.lead')}
        actions={
          <a class="btn btn-secondary" href={`/api/attendance/orders.csv?day=${d.tomorrow}`} download>
            <span>{t('edu.csv')}</span>
          </a>
        }
      />
      <section class="card" aria-label={t('edu.today', { day: d.today })}>
        <h2 class="card-title">{t('edu.today', { day: d.today })}</h2>
        <div class="table-wrap">
          <table class="table responsive edu-today">
            <thead>
              <tr>
                <th scope="col">{t('edu.kindergarten')}</th>
                <th scope="col" class="num">
                  {t('edu.present')}
                </th>
                <th scope="col" class="num">
                  {t('edu.door')}
                </th>
                <th scope="col" class="num">
                  {t('edu.tomorrow')}
                </th>
                <th scope="col" class="num">
                  {t('edu.mape')}
                </th>
              </tr>
            </thead>
            <tbody>
              {d.kindergartens.map((k) => (
                <tr key={k.id} data-kindergarten={k.name}>
                  <td class="cell-primary" data-label={t('edu.kindergarten')}>
                    {k.name}
                  </td>
                  <td class="num edu-present" data-label={t('edu.present')}>
                    {k.today ? `${k.today.present} / ${k.today.enrolled}` : '—'}
                  </td>
                  <td class="num" data-label={t('edu.door')}>
                    {k.today?.doorArrivals ?? '—'}{' '}
                    {k.today?.flagged ? <Badge tone="warn">{t('edu.flag')}</Badge> : null}
                  </td>
                  <td class="num edu-order" data-label={t('edu.tomorrow')}>
                    <span class="edu-order-total">{k.tomorrowOrder.total}</span>{' '}
                    <Badge tone={k.tomorrowOrder.status === 'final' ? 'ok' : 'info'}>
                      {t(k.tomorrowOrder.status === 'final' ? 'edu.final' : 'edu.draft')}
                    </Badge>
                  </td>
                  <td class="num" data-label={t('edu.mape')}>
                    {k.mape30 === null ? '—' : `${k.mape30.toFixed(1)} %`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section class="card">
        <h2 class="card-title">{t('edu.chart')}</h2>
        <RateChart days={d.days} />
      </section>
      <section class="card">
        <h2 class="card-title">{t('edu.ordersChart')}</h2>
        <OrdersChart days={d.days} ordered={t('edu.ordered')} actual={t('edu.actual')} />
      </section>
      <section class="card">
        <h2 class="card-title">{t('edu.disagree')}</h2>
        {d.disagreements.length === 0 ? (
          <p class="muted">{t('edu.noDisagree')}</p>
        ) : (
          <div class="table-wrap">
            <table class="table responsive">
              <thead>
                <tr>
                  <th scope="col">{t('edu.day')}</th>
                  <th scope="col">{t('edu.kindergarten')}</th>
                  <th scope="col" class="num">
                    {t('edu.door')}
                  </th>
                  <th scope="col" class="num">
                    {t('edu.present')}
                  </th>
                  <th scope="col" class="num">
                    {t('edu.difference')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.disagreements.slice(0, 20).map((x) => (
                  <tr key={`${x.institutionId}${x.day}`}>
                    <td data-label={t('edu.day')}>{x.day}</td>
                    <td class="cell-primary" data-label={t('edu.kindergarten')}>
                      {names.get(x.institutionId) ?? x.name}
                    </td>
                    <td class="num" data-label={t('edu.door')}>
                      {x.doorArrivals}
                    </td>
                    <td class="num" data-label={t('edu.present')}>
                      {x.present}
                    </td>
                    <td class="num" data-label={t('edu.difference')}>
                      {x.difference > 0 ? `+${x.difference}` : x.difference}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

const W = 640;
const H = 180;

function RateChart({ days }: { days: Dashboard['days'] }) {
  const pts = days.filter((d) => d.rate !== null);
  if (pts.length === 0) return <p class="muted">—</p>;
  const bw = W / pts.length;
  return (
    <svg
      class="edu-chart"
      viewBox={`0 0 ${W} ${H + 20}`}
      role="img"
      aria-label={pts.map((p) => `${p.day}: ${p.rate} %`).join(', ')}
    >
      {pts.map((p, i) => {
        const h = ((p.rate ?? 0) / 100) * H;
        return (
          <g key={p.day}>
            <rect x={i * bw + 1} y={H - h} width={Math.max(1, bw - 2)} height={h} class="edu-bar">
              <title>{`${p.day}: ${p.rate} % (${p.present}/${p.enrolled})`}</title>
            </rect>
          </g>
        );
      })}
      <text x="0" y={H + 16} class="edu-axis">
        {pts[0]!.day}
      </text>
      <text x={W} y={H + 16} text-anchor="end" class="edu-axis">
        {pts[pts.length - 1]!.day}
      </text>
    </svg>
  );
}

function OrdersChart({
  days,
  ordered,
  actual,
}: {
  days: Dashboard['days'];
  ordered: string;
  actual: string;
}) {
  const pts = days.filter((d) => d.ordered !== null && d.actual !== null);
  if (pts.length === 0) return <p class="muted">—</p>;
  const max = Math.max(...pts.map((p) => Math.max(p.ordered ?? 0, p.actual ?? 0)), 1);
  const x = (i: number) => (pts.length === 1 ? W / 2 : (i / (pts.length - 1)) * W);
  const y = (v: number) => H - (v / max) * (H - 10);
  const line = (f: (p: Dashboard['days'][number]) => number) =>
    pts.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(f(p)).toFixed(1)}`).join(' ');
  return (
    <figure class="edu-figure">
      <svg class="edu-chart" viewBox={`0 0 ${W} ${H + 4}`} role="img" aria-label={`${ordered} / ${actual}`}>
        <path d={line((p) => p.ordered ?? 0)} class="edu-line-ordered" fill="none" />
        <path d={line((p) => p.actual ?? 0)} class="edu-line-actual" fill="none" />
      </svg>
      <figcaption>
        <span class="edu-key edu-key-ordered">{ordered}</span>{' '}
        <span class="edu-key edu-key-actual">{actual}</span>
      </figcaption>
    </figure>
  );
}
