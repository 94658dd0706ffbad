/**
 * Consent campaigns (docs/design/consent-campaigns.md): the kindergarten asks the families of a group,
 * and the group's staff, whether the group's cameras may be shown to its parents; the group opens only
 * while the kindergarten's rule is met.
 *
 * The outcome is kept where the access policy already reads it: whenever the rule's result changes,
 * a `consents` row (given / withdrawn) is appended in the same transaction as the answer (or the
 * launch, or the sweep) that changed it, with the campaign named in its note. So granting a stream
 * still reads one fact per group, and the live registry's re-check closes open streams of a group
 * whose consent was withdrawn within seconds.
 *
 * Answers are history: every answer is a new row; the latest answer of each person (per child) counts.
 */
import type { Kysely, Transaction } from 'kysely';
import { appendAudit, type AuditContext } from '../../audit/audit-log.js';
import {
  evaluateConsent,
  familyState,
  inGracePeriod,
  type Answer,
  type ConsentOutcome,
} from '../../policy/consent-rule.js';
import { toLocalTime } from '../../policy/local-time.js';
import type { Clock } from '../../shared/clock.js';
import { AppError, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import {
  ConsentCampaignsRepository,
  type ConsentAnswerRow,
  type ConsentCampaignRow,
  type ConsentRuleRow,
  type ConsentTemplateRow,
  type FamilyRow,
} from '../../storage/repositories/consent-campaigns.js';
import { ConsentsRepository } from '../../storage/repositories/consents.js';
import { PlacesRepository } from '../../storage/repositories/places.js';
import type { ConsentRuleKind, Database } from '../../storage/schema.js';
import { authorize, objectNotFound, type Principal } from '../scope.js';

export interface ConsentDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** called after a change of a group's consent has committed (revocation events; optional) */
  onConsentChanged?: (roomId: string) => void;
}

export interface ConsentCaller {
  principal: Principal;
  audit(role: string): AuditContext;
}

/** The rule a kindergarten that never set one has: every family must agree. */
export const DEFAULT_RULE = { kind: 'all' as ConsentRuleKind, sharePercent: 67, graceDays: 14 };

// --- views ------------------------------------------------------------------------------------------

export interface RuleView {
  kind: ConsentRuleKind;
  sharePercent: number;
  graceDays: number;
  updatedAt: string | null;
}

export interface TemplateView {
  id: string;
  version: number;
  title: string;
  body: string;
  publishedAt: string;
}

export interface OutcomeView extends ConsentOutcome {
  /** the group's consent state as the policy sees it */
  groupConsent: 'given' | 'withdrawn' | 'none';
}

export interface CampaignSummaryView {
  id: string;
  roomId: string;
  roomName: string;
  status: 'active' | 'closed';
  templateVersion: number;
  title: string;
  rule: { kind: ConsentRuleKind; sharePercent: number; graceDays: number };
  launchedAt: string;
  closedAt: string | null;
  lastReminderAt: string | null;
  outcome: OutcomeView;
}

export interface CampaignDetailView extends CampaignSummaryView {
  body: string;
  families: {
    childId: string;
    childName: string;
    enrolledFrom: string;
    state: 'agree' | 'disagree' | 'pending' | 'grace';
    guardians: { personId: string; displayName: string; answer: Answer | null; answeredAt: string | null }[];
  }[];
  staff: { personId: string; displayName: string; answer: Answer | null; answeredAt: string | null }[];
}

const ruleView = (r: ConsentRuleRow | undefined): RuleView =>
  r
    ? { kind: r.rule_kind, sharePercent: r.share_percent, graceDays: r.grace_days, updatedAt: r.updated_at }
    : { ...DEFAULT_RULE, updatedAt: null };

const templateView = (t: ConsentTemplateRow): TemplateView => ({
  id: t.id,
  version: t.version,
  title: t.title,
  body: t.body,
  publishedAt: t.published_at,
});

// --- evaluation -------------------------------------------------------------------------------------

interface Evaluated {
  outcome: ConsentOutcome;
  families: FamilyRow[];
  staff: { personId: string; displayName: string }[];
  latest: Map<string, ConsentAnswerRow>;
  today: string;
}

/** The key of a person's answer: per child for guardians, per person for staff. */
const answerKey = (personId: string, childId: string | null) => `${personId}:${childId ?? ''}`;

async function evaluate(
  db: Kysely<Database>,
  c: ConsentCampaignRow,
  now: Date,
  timeZone: string,
): Promise<Evaluated> {
  const repo = new ConsentCampaignsRepository(db);
  const today = toLocalTime(now.getTime(), timeZone).date;
  const [families, staff, answers] = await Promise.all([
    repo.families(c.room_id, today),
    repo.staff(c.room_id),
    repo.answers(c.id),
  ]);
  const latest = new Map<string, ConsentAnswerRow>();
  for (const a of answers) latest.set(answerKey(a.person_id, a.child_id), a);
  const staffIds = new Set(staff.map((s) => s.personId));
  const outcome = evaluateConsent({
    rule: { kind: c.rule_kind, sharePercent: c.share_percent, graceDays: c.grace_days },
    launchedOn: c.launched_on,
    today,
    families: families.map((f) => ({
      childId: f.childId,
      enrolledFrom: f.enrolledFrom,
      answers: f.guardians.flatMap((g) => {
        const a = latest.get(answerKey(g.personId, f.childId));
        return a ? [a.answer] : [];
      }),
    })),
    staffAnswers: [...latest.values()]
      .filter((a) => a.respondent === 'staff' && staffIds.has(a.person_id))
      .map((a) => a.answer),
  });
  return { outcome, families, staff, latest, today };
}

/**
 * Re-evaluates a campaign and appends a `consents` row when the group's state must change. Runs in
 * the caller's transaction. Returns whether the state changed.
 */
async function settle(
  trx: Kysely<Database>,
  c: ConsentCampaignRow,
  now: Date,
  timeZone: string,
  by: string | null,
): Promise<{ changed: boolean; evaluated: Evaluated; groupConsent: 'given' | 'withdrawn' | 'none' }> {
  const evaluated = await evaluate(trx, c, now, timeZone);
  const consents = new ConsentsRepository(trx);
  const latest = await consents.latest(c.room_id);
  const current = latest?.status ?? 'none';
  const want = evaluated.outcome.met ? 'given' : current === 'none' ? 'none' : 'withdrawn';
  if (want === current || want === 'none') return { changed: false, evaluated, groupConsent: current };
  let at = now.getTime();
  if (latest && Date.parse(latest.recorded_at) >= at) at = Date.parse(latest.recorded_at) + 1;
  await consents.insert({
    id: newId(),
    room_id: c.room_id,
    status: want,
    recorded_by: by,
    note: `Сбор согласий (текст версии ${c.template_version}): ${OUTCOME_WORDS[evaluated.outcome.reason]}, согласны ${evaluated.outcome.agreed} из ${evaluated.outcome.families} семей`,
    recorded_at: new Date(at).toISOString(),
  });
  return { changed: true, evaluated, groupConsent: want };
}

/** The outcome in the words of the consent history (the note of the `consents` row). */
const OUTCOME_WORDS: Record<ConsentOutcome['reason'], string> = {
  met: 'правило выполнено',
  waiting: 'ответили не все семьи',
  family_objection: 'одна из семей не согласна',
  staff_objection: 'сотрудник группы возражает',
  no_families: 'в группе нет семей',
};

function outcomeView(e: Evaluated, groupConsent: 'given' | 'withdrawn' | 'none'): OutcomeView {
  return { ...e.outcome, groupConsent };
}

// --- rules and templates ----------------------------------------------------------------------------

async function institutionPlace(db: Kysely<Database>, institutionId: string) {
  const place = await new PlacesRepository(db).institution(institutionId);
  if (!place || place.institution?.kind !== 'kindergarten') throw objectNotFound('institution');
  return place;
}

export async function getRule(
  deps: ConsentDeps,
  caller: ConsentCaller,
  institutionId: string,
): Promise<RuleView> {
  authorize(
    caller.principal,
    'consent_rule',
    'read',
    await institutionPlace(deps.db, institutionId),
    'institution',
  );
  return ruleView(await new ConsentCampaignsRepository(deps.db).rule(institutionId));
}

export async function setRule(
  deps: ConsentDeps,
  caller: ConsentCaller,
  institutionId: string,
  input: { kind: ConsentRuleKind; sharePercent: number; graceDays: number },
): Promise<RuleView> {
  const place = await institutionPlace(deps.db, institutionId);
  const grant = authorize(caller.principal, 'consent_rule', 'update', place, 'institution');
  if (input.kind === 'share' && (input.sharePercent < 50 || input.sharePercent > 100))
    throw new AppError('validation_failed', 'a share rule needs at least 50 % of the families', [
      { path: '/sharePercent', message: 'between 50 and 100' },
    ]);
  return deps.db.transaction().execute(async (trx) => {
    const repo = new ConsentCampaignsRepository(trx);
    const before = await repo.rule(institutionId);
    const row = await repo.upsertRule({
      institution_id: institutionId,
      rule_kind: input.kind,
      share_percent: input.kind === 'all' ? 100 : input.sharePercent,
      grace_days: input.graceDays,
      updated_at: deps.clock.now().toISOString(),
      updated_by: caller.principal.personId,
    });
    await appendAudit(
      trx,
      caller.audit(grant.role),
      {
        action: 'consent.rule.update',
        targetKind: 'institution',
        targetId: institutionId,
        institutionId,
        details: { before: before ? ruleView(before) : null, after: ruleView(row) },
      },
      deps.clock.now(),
    );
    return ruleView(row);
  });
}

export async function listTemplates(
  deps: ConsentDeps,
  caller: ConsentCaller,
  institutionId: string,
): Promise<TemplateView[]> {
  const place = await institutionPlace(deps.db, institutionId);
  authorize(caller.principal, 'consent_campaign', 'read', place, 'institution');
  return (await new ConsentCampaignsRepository(deps.db).templates(place.regionId)).map(templateView);
}

export async function regionTemplates(
  deps: ConsentDeps,
  caller: ConsentCaller,
  regionId: string,
): Promise<TemplateView[]> {
  authorize(caller.principal, 'consent_template', 'read', { regionId, institution: null }, 'region');
  return (await new ConsentCampaignsRepository(deps.db).templates(regionId)).map(templateView);
}

/** The city publishes a new version of its consent text (earlier versions stay, with their answers). */
export async function publishTemplate(
  deps: ConsentDeps,
  caller: ConsentCaller,
  regionId: string,
  input: { title: string; body: string },
): Promise<TemplateView> {
  const grant = authorize(
    caller.principal,
    'consent_template',
    'create',
    { regionId, institution: null },
    'region',
  );
  return deps.db.transaction().execute(async (trx) => {
    const repo = new ConsentCampaignsRepository(trx);
    const latest = await repo.latestTemplate(regionId);
    const row = await repo.insertTemplate({
      id: newId(),
      region_id: regionId,
      version: (latest?.version ?? 0) + 1,
      title: input.title.trim(),
      body: input.body.trim(),
      published_at: deps.clock.now().toISOString(),
      published_by: caller.principal.personId,
    });
    await appendAudit(
      trx,
      caller.audit(grant.role),
      {
        action: 'consent.template.publish',
        targetKind: 'consent_template',
        targetId: row.id,
        details: { version: row.version, title: row.title },
      },
      deps.clock.now(),
    );
    return templateView(row);
  });
}

// --- campaigns (administrator) -------------------------------------------------------------------------

async function groupRoom(db: Kysely<Database>, roomId: string) {
  const info = await new ConsentCampaignsRepository(db).roomInfo(roomId);
  if (!info || info.institutionKind !== 'kindergarten') throw objectNotFound('room');
  const place = {
    regionId: info.regionId,
    institution: { id: info.institutionId, kind: 'kindergarten' as const },
  };
  return { info, place };
}

async function campaignWithRoom(db: Kysely<Database>, campaignId: string) {
  const c = await new ConsentCampaignsRepository(db).find(campaignId);
  if (!c) throw objectNotFound('consent_campaign');
  const { info, place } = await groupRoom(db, c.room_id);
  return { c, info, place };
}

function summary(c: ConsentCampaignRow, roomName: string, outcome: OutcomeView): CampaignSummaryView {
  return {
    id: c.id,
    roomId: c.room_id,
    roomName,
    status: c.status,
    templateVersion: c.template_version,
    title: c.title,
    rule: { kind: c.rule_kind, sharePercent: c.share_percent, graceDays: c.grace_days },
    launchedAt: c.launched_at,
    closedAt: c.closed_at,
    lastReminderAt: c.last_reminder_at,
    outcome,
  };
}

function detail(
  c: ConsentCampaignRow,
  roomName: string,
  e: Evaluated,
  groupConsent: 'given' | 'withdrawn' | 'none',
): CampaignDetailView {
  const answerOf = (personId: string, childId: string | null) => {
    const a = e.latest.get(answerKey(personId, childId));
    return { answer: a?.answer ?? null, answeredAt: a?.answered_at ?? null };
  };
  return {
    ...summary(c, roomName, outcomeView(e, groupConsent)),
    body: c.body,
    families: e.families.map((f) => {
      const guardians = f.guardians.map((g) => ({ ...g, ...answerOf(g.personId, f.childId) }));
      const answers = guardians.flatMap((g) => (g.answer ? [g.answer] : []));
      let state: 'agree' | 'disagree' | 'pending' | 'grace' = familyState(answers);
      if (
        state === 'pending' &&
        inGracePeriod(
          { childId: f.childId, enrolledFrom: f.enrolledFrom, answers },
          {
            launchedOn: c.launched_on,
            today: e.today,
            rule: { kind: c.rule_kind, sharePercent: c.share_percent, graceDays: c.grace_days },
          },
        )
      )
        state = 'grace';
      return { childId: f.childId, childName: f.childName, enrolledFrom: f.enrolledFrom, state, guardians };
    }),
    staff: e.staff.map((s) => ({ ...s, ...answerOf(s.personId, null) })),
  };
}

async function groupConsentOf(db: Kysely<Database>, roomId: string) {
  return (await new ConsentsRepository(db).latest(roomId))?.status ?? 'none';
}

/** The campaigns of a group, newest first (the active one first). */
export async function roomCampaigns(
  deps: ConsentDeps,
  caller: ConsentCaller,
  roomId: string,
): Promise<{
  active: CampaignDetailView | null;
  past: CampaignSummaryView[];
  rule: RuleView;
  groupConsent: string;
}> {
  const { info, place } = await groupRoom(deps.db, roomId);
  authorize(caller.principal, 'consent_campaign', 'read', place, 'room');
  const repo = new ConsentCampaignsRepository(deps.db);
  const all = await repo.forRoom(roomId);
  const groupConsent = await groupConsentOf(deps.db, roomId);
  let active: CampaignDetailView | null = null;
  const past: CampaignSummaryView[] = [];
  for (const c of all) {
    const e = await evaluate(deps.db, c, deps.clock.now(), info.timeZone);
    if (c.status === 'active') active = detail(c, info.roomName, e, groupConsent);
    else past.push(summary(c, info.roomName, outcomeView(e, groupConsent)));
  }
  return { active, past, rule: ruleView(await repo.rule(info.institutionId)), groupConsent };
}

/** Active campaigns of a kindergarten with their progress (the administrator's overview). */
export async function institutionCampaigns(
  deps: ConsentDeps,
  caller: ConsentCaller,
  institutionId: string,
): Promise<CampaignSummaryView[]> {
  const place = await institutionPlace(deps.db, institutionId);
  authorize(caller.principal, 'consent_campaign', 'read', place, 'institution');
  const repo = new ConsentCampaignsRepository(deps.db);
  const out: CampaignSummaryView[] = [];
  for (const c of await repo.active(institutionId)) {
    const info = (await repo.roomInfo(c.room_id))!;
    const e = await evaluate(deps.db, c, deps.clock.now(), info.timeZone);
    out.push(summary(c, info.roomName, outcomeView(e, await groupConsentOf(deps.db, c.room_id))));
  }
  return out;
}

export async function launchCampaign(
  deps: ConsentDeps,
  caller: ConsentCaller,
  roomId: string,
  input: { templateId?: string | undefined },
): Promise<CampaignDetailView> {
  const { info, place } = await groupRoom(deps.db, roomId);
  const grant = authorize(caller.principal, 'consent_campaign', 'create', place, 'room');
  if (info.roomKind !== 'group' && info.roomKind !== 'hall')
    throw new AppError('validation_failed', 'consent campaigns are for groups and halls that parents watch', [
      { path: '/roomId', message: 'not a group or hall' },
    ]);
  if (info.zone !== 'common')
    throw new AppError(
      'conflict',
      'a restricted room is never shown to parents: there is nothing to consent to',
    );
  const now = deps.clock.now();
  const result = await deps.db.transaction().execute(async (trx) => {
    const repo = new ConsentCampaignsRepository(trx);
    if (await repo.activeForRoom(roomId))
      throw new AppError('conflict', 'the group already has an active consent campaign: close it first');
    const templates = await repo.templates(info.regionId);
    const template = input.templateId ? templates.find((t) => t.id === input.templateId) : templates[0];
    if (!template)
      throw new AppError(
        'conflict',
        input.templateId
          ? 'no such consent text in this city'
          : 'the city has not published a consent text yet',
      );
    const rule = ruleView(await repo.rule(info.institutionId));
    const c = await repo.insert({
      id: newId(),
      room_id: roomId,
      institution_id: info.institutionId,
      template_id: template.id,
      template_version: template.version,
      title: template.title,
      body: template.body,
      rule_kind: rule.kind,
      share_percent: rule.sharePercent,
      grace_days: rule.graceDays,
      status: 'active',
      launched_at: now.toISOString(),
      launched_on: toLocalTime(now.getTime(), info.timeZone).date,
      launched_by: caller.principal.personId,
      closed_at: null,
      last_reminder_at: null,
    });
    const s = await settle(trx, c, now, info.timeZone, caller.principal.personId);
    await appendAudit(
      trx,
      caller.audit(grant.role),
      {
        action: 'consent.campaign.launch',
        targetKind: 'room',
        targetId: roomId,
        institutionId: info.institutionId,
        details: {
          campaignId: c.id,
          templateVersion: c.template_version,
          rule,
          groupConsent: s.groupConsent,
        },
      },
      now,
    );
    return { c, s };
  });
  if (result.s.changed) deps.onConsentChanged?.(roomId);
  return detail(result.c, info.roomName, result.s.evaluated, result.s.groupConsent);
}

export async function remindCampaign(
  deps: ConsentDeps,
  caller: ConsentCaller,
  campaignId: string,
): Promise<{ remindedAt: string; pendingGuardians: number }> {
  const { c, info, place } = await campaignWithRoom(deps.db, campaignId);
  const grant = authorize(caller.principal, 'consent_campaign', 'update', place, 'room');
  if (c.status !== 'active') throw new AppError('conflict', 'the campaign is closed');
  const now = deps.clock.now();
  const e = await evaluate(deps.db, c, now, info.timeZone);
  const pendingGuardians = e.families
    .filter((f) => !f.guardians.some((g) => e.latest.has(answerKey(g.personId, f.childId))))
    .reduce((n, f) => n + f.guardians.length, 0);
  await deps.db.transaction().execute(async (trx) => {
    await new ConsentCampaignsRepository(trx).remind(c.id, now.toISOString());
    await appendAudit(
      trx,
      caller.audit(grant.role),
      {
        action: 'consent.campaign.remind',
        targetKind: 'room',
        targetId: c.room_id,
        institutionId: c.institution_id,
        details: { campaignId: c.id, pendingGuardians },
      },
      now,
    );
  });
  return { remindedAt: now.toISOString(), pendingGuardians };
}

/** Closing a campaign keeps the group's consent as it stands; a new campaign asks anew. */
export async function closeCampaign(
  deps: ConsentDeps,
  caller: ConsentCaller,
  campaignId: string,
): Promise<void> {
  const { c, place } = await campaignWithRoom(deps.db, campaignId);
  const grant = authorize(caller.principal, 'consent_campaign', 'update', place, 'room');
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await new ConsentCampaignsRepository(trx).close(c.id, now.toISOString());
    await appendAudit(
      trx,
      caller.audit(grant.role),
      {
        action: 'consent.campaign.close',
        targetKind: 'room',
        targetId: c.room_id,
        institutionId: c.institution_id,
        details: { campaignId: c.id },
      },
      now,
    );
  });
}

/** Every answer of the campaign, for the kindergarten's files (CSV, UTF-8 with a BOM for Excel). */
export async function exportAnswers(
  deps: ConsentDeps,
  caller: ConsentCaller,
  campaignId: string,
): Promise<string> {
  const { c, info, place } = await campaignWithRoom(deps.db, campaignId);
  authorize(caller.principal, 'consent_campaign', 'read', place, 'room');
  const repo = new ConsentCampaignsRepository(deps.db);
  const answers = await repo.answers(c.id);
  const names = await repo.personNames([...new Set(answers.map((a) => a.person_id))]);
  const kids = await repo.childNames([...new Set(answers.flatMap((a) => (a.child_id ? [a.child_id] : [])))]);
  const nameOf = new Map(names.map((n) => [n.id, n.display_name]));
  const kidOf = new Map(kids.map((k) => [k.id, k.full_name]));
  const cell = (v: string) => (/[",;\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [
    ['group', 'campaign', 'text_version', 'answered_at', 'respondent', 'person', 'child', 'answer'].join(','),
    ...answers.map((a) =>
      [
        info.roomName,
        c.id,
        String(a.template_version),
        a.answered_at,
        a.respondent === 'guardian' ? 'родитель' : 'сотрудник',
        nameOf.get(a.person_id) ?? a.person_id,
        a.child_id ? (kidOf.get(a.child_id) ?? a.child_id) : '',
        a.answer === 'agree' ? 'согласен' : 'не согласен',
      ]
        .map(cell)
        .join(','),
    ),
  ];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

// --- answers (parents and staff) ---------------------------------------------------------------------

export interface ParentCampaignView {
  campaignId: string;
  childId: string;
  childName: string;
  groupName: string;
  institutionName: string;
  title: string;
  body: string;
  templateVersion: number;
  myAnswer: Answer | null;
  myAnsweredAt: string | null;
  /** the family's answer (any guardian's objection wins) */
  familyAnswer: 'agree' | 'disagree' | 'pending';
  remindedAt: string | null;
  outcome: OutcomeView;
}

export async function parentCampaigns(
  deps: { db: Kysely<Database>; clock: Clock },
  personId: string,
): Promise<ParentCampaignView[]> {
  const repo = new ConsentCampaignsRepository(deps.db);
  const now = deps.clock.now();
  // Today in UTC is close enough to pick the enrolment; evaluation uses each institution's zone.
  const rows = await repo.guardianCampaigns(personId, now.toISOString().slice(0, 10));
  const out: ParentCampaignView[] = [];
  for (const r of rows) {
    const info = (await repo.roomInfo(r.campaign.room_id))!;
    const e = await evaluate(deps.db, r.campaign, now, info.timeZone);
    const mine = e.latest.get(answerKey(personId, r.childId));
    const family = e.families.find((f) => f.childId === r.childId);
    const familyAnswers = (family?.guardians ?? []).flatMap((g) => {
      const a = e.latest.get(answerKey(g.personId, r.childId));
      return a ? [a.answer] : [];
    });
    out.push({
      campaignId: r.campaign.id,
      childId: r.childId,
      childName: r.childName,
      groupName: r.roomName,
      institutionName: r.institutionName,
      title: r.campaign.title,
      body: r.campaign.body,
      templateVersion: r.campaign.template_version,
      myAnswer: mine?.answer ?? null,
      myAnsweredAt: mine?.answered_at ?? null,
      familyAnswer: familyState(familyAnswers),
      remindedAt: r.campaign.last_reminder_at,
      outcome: outcomeView(e, await groupConsentOf(deps.db, r.campaign.room_id)),
    });
  }
  return out;
}

async function recordAnswer(
  deps: ConsentDeps,
  audit: AuditContext,
  c: ConsentCampaignRow,
  timeZone: string,
  row: Omit<ConsentAnswerRow, 'id' | 'answered_at' | 'template_version'>,
): Promise<OutcomeView> {
  if (c.status !== 'active') throw new AppError('conflict', 'the campaign is closed');
  const now = deps.clock.now();
  const result = await deps.db.transaction().execute(async (trx: Transaction<Database>) => {
    const repo = new ConsentCampaignsRepository(trx);
    const previous = (await repo.answers(c.id))
      .filter((a) => a.person_id === row.person_id && a.child_id === row.child_id)
      .pop();
    let at = now.getTime();
    if (previous && Date.parse(previous.answered_at) >= at) at = Date.parse(previous.answered_at) + 1;
    await repo.insertAnswer({
      ...row,
      id: newId(),
      template_version: c.template_version,
      answered_at: new Date(at).toISOString(),
    });
    const s = await settle(trx, c, now, timeZone, row.person_id);
    await appendAudit(
      trx,
      audit,
      {
        action: 'consent.answer',
        targetKind: 'room',
        targetId: c.room_id,
        institutionId: c.institution_id,
        details: {
          campaignId: c.id,
          childId: row.child_id,
          answer: row.answer,
          previous: previous?.answer ?? null,
          respondent: row.respondent,
          textVersion: c.template_version,
          groupConsent: s.groupConsent,
          changed: s.changed,
        },
      },
      now,
    );
    return s;
  });
  if (result.changed) deps.onConsentChanged?.(c.room_id);
  return outcomeView(result.evaluated, result.groupConsent);
}

/** A guardian answers for their child. Only a verified guardian of a child enrolled in the group may. */
export async function answerAsGuardian(
  deps: ConsentDeps,
  audit: AuditContext,
  personId: string,
  campaignId: string,
  input: { childId: string; answer: Answer },
): Promise<OutcomeView> {
  const repo = new ConsentCampaignsRepository(deps.db);
  const mine = await repo.guardianCampaigns(personId, deps.clock.now().toISOString().slice(0, 10));
  const match = mine.find((m) => m.campaign.id === campaignId && m.childId === input.childId);
  if (!match) throw notFound('consent campaign');
  const info = (await repo.roomInfo(match.campaign.room_id))!;
  return recordAnswer(deps, audit, match.campaign, info.timeZone, {
    campaign_id: campaignId,
    child_id: input.childId,
    person_id: personId,
    respondent: 'guardian',
    answer: input.answer,
  });
}

export async function staffCampaigns(
  deps: { db: Kysely<Database>; clock: Clock },
  personId: string,
): Promise<
  {
    campaignId: string;
    groupName: string;
    title: string;
    body: string;
    templateVersion: number;
    myAnswer: Answer | null;
  }[]
> {
  const repo = new ConsentCampaignsRepository(deps.db);
  const out = [];
  for (const c of await repo.staffCampaigns(personId)) {
    const mine = (await repo.answers(c.id))
      .filter((a) => a.person_id === personId && a.respondent === 'staff')
      .pop();
    out.push({
      campaignId: c.id,
      groupName: c.room_name,
      title: c.title,
      body: c.body,
      templateVersion: c.template_version,
      myAnswer: mine?.answer ?? null,
    });
  }
  return out;
}

/** A member of the group's staff (a teacher bound to the room) answers for themselves. */
export async function answerAsStaff(
  deps: ConsentDeps,
  audit: AuditContext,
  personId: string,
  campaignId: string,
  answer: Answer,
): Promise<OutcomeView> {
  const repo = new ConsentCampaignsRepository(deps.db);
  const c = (await repo.staffCampaigns(personId)).find((x) => x.id === campaignId);
  if (!c) throw notFound('consent campaign');
  const info = (await repo.roomInfo(c.room_id))!;
  const { room_name: _roomName, ...campaign } = c;
  return recordAnswer(deps, audit, campaign, info.timeZone, {
    campaign_id: campaignId,
    child_id: null,
    person_id: personId,
    respondent: 'staff',
    answer,
  });
}

/**
 * The periodic sweep: families join and leave groups and grace periods run out without anybody
 * answering, so every active campaign is settled again now and then. Writes only on a change.
 */
export async function sweepCampaigns(deps: ConsentDeps): Promise<number> {
  const repo = new ConsentCampaignsRepository(deps.db);
  let changed = 0;
  for (const c of await repo.active()) {
    const info = await repo.roomInfo(c.room_id);
    if (!info) continue;
    const s = await deps.db
      .transaction()
      .execute((trx) => settle(trx, c, deps.clock.now(), info.timeZone, null));
    if (s.changed) {
      changed++;
      deps.onConsentChanged?.(c.room_id);
    }
  }
  return changed;
}

/** Whether the group's consent is decided by an active campaign (then administrators do not record it). */
export async function campaignGoverns(db: Kysely<Database>, roomId: string): Promise<boolean> {
  return (await new ConsentCampaignsRepository(db).activeForRoom(roomId)) !== undefined;
}
