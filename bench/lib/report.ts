/**
 * Figures as the benchmarks report them: a summary (min/median/max over repetitions or samples), the
 * goal from the issue printed next to it, and notes on how it was measured. A goal is shown as met or
 * not met; nothing fails on it (a benchmark is not a timed test).
 */
import { fmt, type Summary } from './stats.js';

export interface Goal {
  /** Which statistic the goal is about: a key of the summary or of `extra`. */
  on: string;
  op: '<=' | '>=';
  value: number;
}

export interface Figure {
  /** Stable key in the JSON output, e.g. "ttff.live". */
  id: string;
  title: string;
  unit: string;
  /** min/median/max (and n) over what `over` says. */
  summary: Summary;
  /** What the samples are: "20 viewers", "3 windows of 8 s", … */
  over: string;
  /** Further statistics (pooled percentiles, per-step values, …). */
  extra?: Record<string, number>;
  goal?: Goal;
  notes?: string[];
}

export interface GoalResult {
  measured: number;
  met: boolean;
  text: string;
}

export function judge(figure: Figure): GoalResult | undefined {
  const { goal } = figure;
  if (!goal) return undefined;
  const source = figure.extra && goal.on in figure.extra ? figure.extra : figure.summary;
  const measured = (source as Record<string, number>)[goal.on];
  if (measured === undefined) return undefined;
  const met = goal.op === '<=' ? measured <= goal.value : measured >= goal.value;
  const op = goal.op === '<=' ? '≤' : '≥';
  return {
    measured,
    met: Number.isFinite(measured) && met,
    text: `goal ${goal.on} ${op} ${fmt(goal.value)} ${figure.unit}`,
  };
}

/** One figure on one line (plus its notes, indented), as printed while the benchmarks run. */
export function formatFigure(figure: Figure): string {
  const s = figure.summary;
  const verdict = judge(figure);
  const range = `min ${fmt(s.min)}  median ${fmt(s.median)}  max ${fmt(s.max)} ${figure.unit}`;
  const goal = verdict
    ? `   ${verdict.text}: ${fmt(verdict.measured)} → ${verdict.met ? 'MET' : 'NOT MET'}`
    : '';
  const lines = [`  ${figure.title}: ${range}  (${figure.over})${goal}`];
  if (figure.extra) {
    const parts = Object.entries(figure.extra).map(([k, v]) => `${k} ${fmt(v)}`);
    if (parts.length) lines.push(`      ${parts.join(', ')}`);
  }
  for (const note of figure.notes ?? []) lines.push(`      · ${note}`);
  return lines.join('\n');
}

/** The summary table printed at the end. */
export function formatTable(figures: readonly Figure[], skipped: readonly string[]): string {
  const rows = figures.map((f) => {
    const v = judge(f);
    return [
      f.title,
      fmt(f.summary.min),
      fmt(f.summary.median),
      fmt(f.summary.max),
      f.unit,
      v ? `${v.text.replace(/^goal /, '')}` : '',
      v ? (v.met ? 'met' : 'NOT met') : '',
    ];
  });
  const header = ['figure', 'min', 'median', 'max', 'unit', 'goal', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 1 && i <= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
  for (const s of skipped) out.push(`(skipped: ${s})`);
  return out.join('\n');
}
