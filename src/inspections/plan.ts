/**
 * Due dates of a guardianship case's inspections, from the office's rule (pure; no clock, no database).
 *
 * A rule is a list of steps, each "every N months until month M of the case" (the last step has no
 * end): e.g. monthly in the first year, then every six months =
 * `[{ untilMonth: 12, everyMonths: 1 }, { everyMonths: 6 }]`. Dates count calendar months from the
 * day the case was opened; a day past the end of a shorter month falls on that month's last day
 * (opened on 31 January → due 28/29 February).
 */

export interface PlanStep {
  /** the step applies while the due date is at most this many months after opening; absent: forever */
  readonly untilMonth?: number;
  readonly everyMonths: number;
}

export class PlanRuleError extends Error {}

/** Checks a rule's shape and order; throws PlanRuleError naming the problem. */
export function validateRule(steps: readonly PlanStep[]): void {
  if (steps.length === 0) throw new PlanRuleError('a rule needs at least one step');
  let last = 0;
  steps.forEach((s, i) => {
    if (!Number.isInteger(s.everyMonths) || s.everyMonths < 1 || s.everyMonths > 60)
      throw new PlanRuleError(`step ${i + 1}: everyMonths must be a whole number from 1 to 60`);
    const isLast = i === steps.length - 1;
    if (s.untilMonth === undefined) {
      if (!isLast) throw new PlanRuleError(`step ${i + 1}: only the last step may run without an end`);
    } else {
      if (!Number.isInteger(s.untilMonth) || s.untilMonth <= last)
        throw new PlanRuleError(`step ${i + 1}: untilMonth must grow from step to step`);
      last = s.untilMonth;
    }
  });
}

/** `YYYY-MM-DD` plus whole months, clamped to the month's last day. */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  const lastDay = new Date(Date.UTC(ny, nm, 0)).getUTCDate();
  return `${String(ny).padStart(4, '0')}-${String(nm).padStart(2, '0')}-${String(Math.min(d, lastDay)).padStart(2, '0')}`;
}

/** Every due date after `openedOn` up to and including `until` (both `YYYY-MM-DD`). */
export function dueDates(openedOn: string, steps: readonly PlanStep[], until: string): string[] {
  validateRule(steps);
  const out: string[] = [];
  let month = 0;
  for (let guard = 0; guard < 2000; guard++) {
    const step = steps.find((s) => s.untilMonth === undefined || month < s.untilMonth)!;
    month += step.everyMonths;
    if (step.untilMonth !== undefined && month > step.untilMonth) month = step.untilMonth;
    const due = addMonths(openedOn, month);
    if (due > until) break;
    out.push(due);
  }
  return out;
}
