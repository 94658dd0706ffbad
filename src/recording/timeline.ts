/**
 * The timeline of a camera for a range (pure): recorded spans (segments joined where they touch) and
 * gaps with their cause, both clipped to the range. An open gap runs until now.
 */
import type { GapCause } from '../storage/schema.js';
import type { Gap, Segment } from '../storage/repositories/recordings.js';
import { GAP_TOLERANCE_MS } from './recorder.js';

export interface Timeline {
  from: string;
  to: string;
  spans: { start: string; end: string }[];
  gaps: { start: string; end: string; cause: GapCause; open: boolean }[];
  /** The segment being written now (known to the recording process only), clipped to the range. */
  recording: { start: string; end: string } | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function timelineOf(
  segments: readonly Pick<Segment, 'startMs' | 'endMs'>[],
  gaps: readonly Pick<Gap, 'startMs' | 'endMs' | 'cause'>[],
  fromMs: number,
  toMs: number,
  nowMs: number,
  inProgress?: { startMs: number; endMs: number },
): Timeline {
  const spans: { startMs: number; endMs: number }[] = [];
  for (const s of [...segments].sort((a, b) => a.startMs - b.startMs)) {
    const start = Math.max(s.startMs, fromMs);
    const end = Math.min(s.endMs, toMs);
    if (end <= start) continue;
    const last = spans[spans.length - 1];
    if (last && start - last.endMs <= GAP_TOLERANCE_MS) last.endMs = Math.max(last.endMs, end);
    else spans.push({ startMs: start, endMs: end });
  }
  const out: Timeline['gaps'] = [];
  for (const g of gaps) {
    const start = Math.max(g.startMs, fromMs);
    const end = Math.min(g.endMs ?? Math.max(nowMs, g.startMs), toMs);
    if (end <= start) continue;
    out.push({ start: iso(start), end: iso(end), cause: g.cause, open: g.endMs === null });
  }
  let recording: Timeline['recording'] = null;
  if (inProgress) {
    const start = Math.max(inProgress.startMs, fromMs);
    const end = Math.min(inProgress.endMs, toMs);
    if (end > start) recording = { start: iso(start), end: iso(end) };
  }
  return {
    from: iso(fromMs),
    to: iso(toMs),
    spans: spans.map((s) => ({ start: iso(s.startMs), end: iso(s.endMs) })),
    gaps: out,
    recording,
  };
}
