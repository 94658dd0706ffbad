/**
 * Coverage of working hours by recording (the office head sees their office, the regional operator
 * the region): weekly bars of coverage % and flagged visits, a table by office, workplace, employee or
 * day, and the CSV (UTF-8, streamed by the server). Charts are plain SVG, like the other dashboards.
 */
import { useState } from 'preact/hooks';
import { useAsync, useTitle } from '../hooks.js';
import { Link } from '../router.js';
import { Card, ErrorState, Loading, PageHeader, SelectField, TextField } from '../ui.js';
import { visitsApi, type CoverageRow } from '../visits/api.js';
import '../visits/visits.css';

function dayOffset(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const BY_LABEL: Record<string, string> = {
  office: 'Отдел',
  workplace: 'Рабочее место',
  employee: 'Сотрудник',
  day: 'День',
};

function WeeklyChart({ rows }: { rows: CoverageRow[] }) {
  if (rows.length === 0) return <p class="muted">Нет данных за выбранный период.</p>;
  const W = 640;
  const H = 160;
  const bw = W / rows.length;
  const maxVisits = Math.max(1, ...rows.map((r) => r.visits));
  return (
    <figure class="cov-figure">
      <svg
        class="cov-chart"
        viewBox={`0 0 ${W} ${H + 36}`}
        role="img"
        aria-label="Покрытие записью по неделям"
      >
        {[0, 50, 100].map((p) => (
          <line key={p} x1={0} x2={W} y1={H - (p / 100) * H} y2={H - (p / 100) * H} class="cov-grid" />
        ))}
        {rows.map((r, i) => {
          const h = ((r.coveragePercent ?? 0) / 100) * H;
          const fh = (r.flaggedVisits / maxVisits) * H;
          return (
            <g key={r.key}>
              <rect x={i * bw + 4} y={H - h} width={Math.max(2, bw / 2 - 6)} height={h} class="cov-bar">
                <title>{`${r.label}: ${r.coveragePercent ?? '—'} % рабочего времени с записью`}</title>
              </rect>
              <rect
                x={i * bw + bw / 2}
                y={H - fh}
                width={Math.max(2, bw / 2 - 6)}
                height={fh}
                class="cov-bar-flag"
              >
                <title>{`${r.label}: приёмов ${r.visits}, с флагами ${r.flaggedVisits}`}</title>
              </rect>
              <text x={i * bw + bw / 2} y={H + 16} class="cov-label" text-anchor="middle">
                {r.key.slice(5)}
              </text>
              <text x={i * bw + bw / 4} y={Math.max(12, H - h - 4)} class="cov-value" text-anchor="middle">
                {r.coveragePercent === null ? '' : `${Math.round(r.coveragePercent)}%`}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="legend">
        <span class="legend-item">
          <span class="swatch cov-swatch" /> покрытие рабочего времени записью, %
        </span>
        <span class="legend-item">
          <span class="swatch cov-swatch-flag" /> приёмы с флагами (относительно максимума недель)
        </span>
      </figcaption>
    </figure>
  );
}

export function VisitCoverage() {
  useTitle('Покрытие записью');
  const [from, setFrom] = useState(dayOffset(-55));
  const [to, setTo] = useState(dayOffset(0));
  const [by, setBy] = useState('workplace');
  const [weeks, reloadWeeks] = useAsync(() => visitsApi.coverage({ from, to, by: 'week' }), [from, to]);
  const [table, reloadTable] = useAsync(() => visitsApi.coverage({ from, to, by }), [from, to, by]);
  return (
    <div class="page page-wide">
      <PageHeader
        title="Покрытие рабочего времени записью"
        lead="Доля рабочих часов с записью, число приёмов и приёмов с флагами"
        actions={
          <>
            <Link href="/visits/flags">Флаги</Link>{' '}
            <a class="btn btn-secondary" href={visitsApi.coverageCsvUrl({ from, to })} download>
              CSV
            </a>
          </>
        }
      />
      <Card>
        <div class="range-grid">
          <TextField label="С" type="date" value={from} max={to} onValue={(v) => v && setFrom(v)} />
          <TextField label="По" type="date" value={to} min={from} onValue={(v) => v && setTo(v)} />
        </div>
        {weeks.status === 'error' ? (
          <ErrorState error={weeks.error} onRetry={reloadWeeks} />
        ) : !weeks.data ? (
          <Loading />
        ) : (
          <WeeklyChart rows={weeks.data.rows} />
        )}
      </Card>
      <Card>
        <SelectField
          label="Группировать по"
          value={by}
          onValue={setBy}
          options={Object.entries(BY_LABEL).map(([value, label]) => ({ value, label }))}
        />
        {table.status === 'error' ? (
          <ErrorState error={table.error} onRetry={reloadTable} />
        ) : !table.data ? (
          <Loading />
        ) : (
          <div class="table-wrap">
            <table class="table cov-table">
              <thead>
                <tr>
                  <th>{BY_LABEL[by]}</th>
                  {by !== 'office' ? <th>Отдел</th> : null}
                  <th class="num">Рабочих часов</th>
                  <th class="num">С записью</th>
                  <th class="num">Покрытие</th>
                  <th class="num">Приёмов</th>
                  <th class="num">С флагами</th>
                </tr>
              </thead>
              <tbody>
                {table.data.rows.map((r) => (
                  <tr key={r.key}>
                    <td>{r.label}</td>
                    {by !== 'office' ? <td>{r.institutionName}</td> : null}
                    <td class="num">{(r.workingMinutes / 60).toFixed(1)}</td>
                    <td class="num">{(r.coveredMinutes / 60).toFixed(1)}</td>
                    <td class="num">
                      {r.coveragePercent === null ? (
                        '—'
                      ) : (
                        <span class={r.coveragePercent < 90 ? 'cov-low' : ''}>{r.coveragePercent} %</span>
                      )}
                    </td>
                    <td class="num">{r.visits}</td>
                    <td class="num">{r.flaggedVisits}</td>
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
