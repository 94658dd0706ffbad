/**
 * The group's consent rule (docs/design/consent-campaigns.md): pure, over the answers of one campaign.
 *
 * - A family is a child enrolled in the group today. Its answer is `disagree` if any of its guardians'
 *   latest answers is «не согласен», `agree` if at least one guardian agreed and none disagreed, and
 *   `pending` otherwise.
 * - A family whose enrolment began after the launch is in its grace period for `graceDays` days from
 *   that start: its silence does not count yet (it is neither a missing answer nor in the share's
 *   denominator). An answer it gives counts at once.
 * - Rule `all`: met when every counted family agrees (no objection, no silence), at least one does,
 *   and no member of staff objects.
 * - Rule `share`: met when agreeing families are at least `sharePercent` % of the counted families,
 *   and no member of staff objects. An objecting family then only does not add to the share.
 */
export type ConsentRuleKind = 'all' | 'share';
export type Answer = 'agree' | 'disagree';

export interface ConsentRule {
  readonly kind: ConsentRuleKind;
  /** for `share`: 1–100 */
  readonly sharePercent: number;
  readonly graceDays: number;
}

export interface FamilyAnswers {
  readonly childId: string;
  /** first local day of the child's enrolment in the group */
  readonly enrolledFrom: string;
  /** the latest answer of each guardian who answered */
  readonly answers: readonly Answer[];
}

export interface CampaignFacts {
  readonly rule: ConsentRule;
  /** local date of the launch */
  readonly launchedOn: string;
  /** local date now */
  readonly today: string;
  readonly families: readonly FamilyAnswers[];
  /** the latest answer of each member of staff who answered */
  readonly staffAnswers: readonly Answer[];
}

export type FamilyState = 'agree' | 'disagree' | 'pending';

export type ConsentOutcomeReason =
  | 'met'
  | 'waiting' // answers are missing
  | 'family_objection' // rule `all`: a family said no
  | 'staff_objection'
  | 'no_families';

export interface ConsentOutcome {
  readonly met: boolean;
  readonly reason: ConsentOutcomeReason;
  readonly families: number;
  readonly agreed: number;
  readonly disagreed: number;
  /** families that have not answered and whose silence counts */
  readonly pending: number;
  /** families in their grace period that have not answered */
  readonly inGrace: number;
  readonly staffObjections: number;
  /** how many more families must agree for the rule to be met (0 when met or blocked by objection) */
  readonly missingAgreements: number;
}

export function familyState(answers: readonly Answer[]): FamilyState {
  if (answers.includes('disagree')) return 'disagree';
  if (answers.includes('agree')) return 'agree';
  return 'pending';
}

/** Days from local date `a` to local date `b` (YYYY-MM-DD), b − a. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export function inGracePeriod(f: FamilyAnswers, facts: Pick<CampaignFacts, 'launchedOn' | 'today' | 'rule'>) {
  return f.enrolledFrom > facts.launchedOn && daysBetween(f.enrolledFrom, facts.today) < facts.rule.graceDays;
}

export function evaluateConsent(facts: CampaignFacts): ConsentOutcome {
  let agreed = 0;
  let disagreed = 0;
  let pending = 0;
  let inGrace = 0;
  for (const f of facts.families) {
    const s = familyState(f.answers);
    if (s === 'agree') agreed++;
    else if (s === 'disagree') disagreed++;
    else if (inGracePeriod(f, facts)) inGrace++;
    else pending++;
  }
  const staffObjections = facts.staffAnswers.filter((a) => a === 'disagree').length;
  const counted = agreed + disagreed + pending;
  const base = { families: facts.families.length, agreed, disagreed, pending, inGrace, staffObjections };

  let needed: number;
  if (facts.rule.kind === 'all') needed = counted;
  else needed = Math.ceil((facts.rule.sharePercent * counted) / 100);
  const missingAgreements = Math.max(0, needed - agreed);

  if (staffObjections > 0) return { ...base, met: false, reason: 'staff_objection', missingAgreements: 0 };
  if (facts.rule.kind === 'all' && disagreed > 0)
    return { ...base, met: false, reason: 'family_objection', missingAgreements: 0 };
  if (counted === 0 && agreed === 0)
    return { ...base, met: false, reason: 'no_families', missingAgreements: 0 };
  if (missingAgreements > 0 || agreed === 0)
    return { ...base, met: false, reason: 'waiting', missingAgreements };
  return { ...base, met: true, reason: 'met', missingAgreements: 0 };
}
