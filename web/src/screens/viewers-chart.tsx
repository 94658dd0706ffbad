/**
 * Viewers over the day, drawn in SVG. The server gives only "viewers now", so the page keeps its own
 * readings for the day in localStorage (one every 30 s while it is open).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { localDate, browserTimeZone } from '../format.js';
import { useI18n } from '../i18n.js';

export interface Sample {
  /** minute of the local day, 0…1439 (fractional) */
  m: number;
  v: number;
}

const PREFIX = 'okno.viewers.';
const MIN_GAP_MIN = 0.5;

export function loadSamples(day: string): Sample[] {
  try {
    const raw = localStorage.getItem(PREFIX + day);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed)
      ? parsed.filter(
          (s): s is Sample => typeof (s as Sample).m === 'number' && typeof (s as Sample).v === 'number',
        )
      : [];
  } catch {
    return [];
  }
}

/** Adds a reading (at most one per 30 s) and forgets earlier days. */
export function recordSample(viewers: number, at: Date = new Date()): Sample[] {
  const day = localDate(at, browserTimeZone());
  const samples = loadSamples(day);
  const m = at.getHours() * 60 + at.getMinutes() + at.getSeconds() / 60;
  const last = samples[samples.length - 1];
  if (!last || m - last.m >= MIN_GAP_MIN) samples.push({ m, v: viewers });
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i);
      if (key?.startsWith(PREFIX) && key !== PREFIX + day) localStorage.removeItem(key);
    }
    localStorage.setItem(PREFIX + day, JSON.stringify(samples.slice(-3000)));
  } catch {
    // storage full or disabled: the chart shows this page's readings only
  }
  return samples;
}

const H = 200;
const PAD = { l: 36, r: 12, t: 12, b: 26 };

/** Drawn at the box's real width (no stretching), so text and dots keep their shape. */
export function ViewersChart({ samples }: { samples: readonly Sample[] }) {
  const { t } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const [W, setW] = useState(720);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setW(Math.max(280, Math.round(el.clientWidth)));
    measure();
    if (typeof ResizeObserver !== 'function') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const hours = W < 480 ? [0, 6, 12, 18, 24] : [0, 3, 6, 9, 12, 15, 18, 21, 24];
  const max = Math.max(4, ...samples.map((s) => s.v));
  const niceMax = Math.ceil(max / 4) * 4;
  const x = (m: number) => PAD.l + (m / 1440) * (W - PAD.l - PAD.r);
  const y = (v: number) => H - PAD.b - (v / niceMax) * (H - PAD.t - PAD.b);
  const line = samples.map((s, i) => `${i ? 'L' : 'M'}${x(s.m).toFixed(1)},${y(s.v).toFixed(1)}`).join(' ');
  const first = samples[0];
  const last = samples[samples.length - 1];
  const area =
    first && last ? `${line} L${x(last.m).toFixed(1)},${y(0)} L${x(first.m).toFixed(1)},${y(0)} Z` : '';
  const peak = samples.reduce((p, s) => Math.max(p, s.v), 0);
  const label = t('operator.chartLabel', { max: peak });
  return (
    <figure class="chart">
      <div class="chart-box" ref={box}>
        <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label} class="chart-svg">
          <title>{label}</title>
          {[0, 0.25, 0.5, 0.75, 1].map((f) => (
            <g key={f}>
              <line class="chart-grid" x1={PAD.l} x2={W - PAD.r} y1={y(niceMax * f)} y2={y(niceMax * f)} />
              <text class="chart-label" x={PAD.l - 6} y={y(niceMax * f) + 4} text-anchor="end">
                {Math.round(niceMax * f)}
              </text>
            </g>
          ))}
          {hours.map((h) => (
            <text key={h} class="chart-label" x={x(h * 60)} y={H - 6} text-anchor="middle">
              {String(h).padStart(2, '0')}
            </text>
          ))}
          {area ? <path class="chart-area" d={area} /> : null}
          {line ? <path class="chart-line" d={line} /> : null}
          {last ? <circle class="chart-dot" cx={x(last.m)} cy={y(last.v)} r="4" /> : null}
        </svg>
      </div>
      {samples.length < 2 ? <figcaption class="muted small">{t('operator.chartEmpty')}</figcaption> : null}
    </figure>
  );
}
