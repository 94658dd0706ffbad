/**
 * Consent campaigns over HTTP (docs/design/consent-campaigns.md): the administrator's routes under
 * /api/admin (rule, campaigns, progress, reminders, export), the city's consent texts, and the
 * answers of parents (/api/parent/consents) and of the group's staff (/api/staff/consents).
 * Thin: authenticate → validate → the service authorizes and acts in a transaction with its audit entry.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { App, AppContext } from '../server/app.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import {
  answerAsGuardian,
  answerAsStaff,
  closeCampaign,
  exportAnswers,
  getRule,
  institutionCampaigns,
  launchCampaign,
  listTemplates,
  parentCampaigns,
  publishTemplate,
  regionTemplates,
  remindCampaign,
  roomCampaigns,
  setRule,
  staffCampaigns,
  sweepCampaigns,
  type ConsentDeps,
} from '../domain/consent/campaigns.js';
import { adminCaller } from './admin/caller.js';
import { ERRORS, IdParams, NoContent, WRITE_ERRORS, closed } from './admin/http.js';
import { UUID_PATTERN } from '../shared/ids.js';
import { accessChanged } from '../streams/access-events.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const RuleKind = Type.Union([Type.Literal('all'), Type.Literal('share')]);
const AnswerSchema = Type.Union([Type.Literal('agree'), Type.Literal('disagree')]);
const RuleView = Type.Object({
  kind: RuleKind,
  sharePercent: Type.Integer(),
  graceDays: Type.Integer(),
  updatedAt: Nullable(Type.String()),
});
const RuleInput = Type.Object(
  {
    kind: RuleKind,
    sharePercent: Type.Integer({ minimum: 1, maximum: 100 }),
    graceDays: Type.Integer({ minimum: 0, maximum: 60 }),
  },
  closed,
);
const TemplateView = Type.Object({
  id: Type.String(),
  version: Type.Integer(),
  title: Type.String(),
  body: Type.String(),
  publishedAt: Type.String(),
});
const TemplateInput = Type.Object(
  {
    title: Type.String({ minLength: 3, maxLength: 200, pattern: '\\S' }),
    body: Type.String({ minLength: 20, maxLength: 20000, pattern: '\\S' }),
  },
  closed,
);
const Outcome = Type.Object({
  met: Type.Boolean(),
  reason: Type.String(),
  families: Type.Integer(),
  agreed: Type.Integer(),
  disagreed: Type.Integer(),
  pending: Type.Integer(),
  inGrace: Type.Integer(),
  staffObjections: Type.Integer(),
  missingAgreements: Type.Integer(),
  groupConsent: Type.String(),
});
const CampaignSummary = Type.Object({
  id: Type.String(),
  roomId: Type.String(),
  roomName: Type.String(),
  status: Type.String(),
  templateVersion: Type.Integer(),
  title: Type.String(),
  rule: Type.Object({ kind: RuleKind, sharePercent: Type.Integer(), graceDays: Type.Integer() }),
  launchedAt: Type.String(),
  closedAt: Nullable(Type.String()),
  lastReminderAt: Nullable(Type.String()),
  outcome: Outcome,
});
const Respondent = Type.Object({
  personId: Type.String(),
  displayName: Type.String(),
  answer: Nullable(AnswerSchema),
  answeredAt: Nullable(Type.String()),
});
const CampaignDetail = Type.Composite([
  CampaignSummary,
  Type.Object({
    body: Type.String(),
    families: Type.Array(
      Type.Object({
        childId: Type.String(),
        childName: Type.String(),
        enrolledFrom: Type.String(),
        state: Type.String(),
        guardians: Type.Array(Respondent),
      }),
    ),
    staff: Type.Array(Respondent),
  }),
]);
const ParentCampaign = Type.Object({
  campaignId: Type.String(),
  childId: Type.String(),
  childName: Type.String(),
  groupName: Type.String(),
  institutionName: Type.String(),
  title: Type.String(),
  body: Type.String(),
  templateVersion: Type.Integer(),
  myAnswer: Nullable(AnswerSchema),
  myAnsweredAt: Nullable(Type.String()),
  familyAnswer: Type.String(),
  remindedAt: Nullable(Type.String()),
  outcome: Outcome,
});
const CampaignParams = Type.Object({ campaignId: Type.String({ pattern: UUID_PATTERN }) }, closed);

/** How often active campaigns are settled again (families join and leave; grace periods end). */
export const CONSENT_SWEEP_MS = 60_000;

export function consentDeps(ctx: AppContext): ConsentDeps {
  // A change of a group's consent re-checks the group's open streams at once (src/streams/access-events.ts).
  return {
    db: ctx.db.kysely,
    clock: ctx.clock,
    onConsentChanged: (roomId) => accessChanged({ kind: 'room', ids: [roomId] }),
  };
}

/** The administrator's routes; registered inside the /api/admin prefix (its onRequest hook). */
export function registerConsentAdminRoutes(admin: App, ctx: AppContext): void {
  const deps = consentDeps(ctx);
  const tags = ['admin: consent campaigns'];
  admin.get(
    '/institutions/:id/consent-rule',
    {
      schema: {
        tags,
        summary: "The kindergarten's consent rule",
        params: IdParams,
        response: { 200: RuleView, ...ERRORS },
      },
    },
    async (req) => getRule(deps, adminCaller(req), req.params.id),
  );
  admin.put(
    '/institutions/:id/consent-rule',
    {
      schema: {
        tags,
        summary:
          'Set the rule: every family (all) or a share of families, and the grace period for late joiners',
        params: IdParams,
        body: RuleInput,
        response: { 200: RuleView, ...WRITE_ERRORS },
      },
    },
    async (req) => setRule(deps, adminCaller(req), req.params.id, req.body),
  );
  admin.get(
    '/institutions/:id/consent-templates',
    {
      schema: {
        tags,
        summary: "The city's consent texts, newest version first",
        params: IdParams,
        response: { 200: Type.Array(TemplateView), ...ERRORS },
      },
    },
    async (req) => listTemplates(deps, adminCaller(req), req.params.id),
  );
  admin.get(
    '/institutions/:id/consent-campaigns',
    {
      schema: {
        tags,
        summary: "The kindergarten's active campaigns with their progress",
        params: IdParams,
        response: { 200: Type.Array(CampaignSummary), ...ERRORS },
      },
    },
    async (req) => institutionCampaigns(deps, adminCaller(req), req.params.id),
  );
  admin.get(
    '/rooms/:id/consent-campaigns',
    {
      schema: {
        tags,
        summary: "A group's campaigns: the active one with every family's answer, and the past ones",
        params: IdParams,
        response: {
          200: Type.Object({
            active: Nullable(CampaignDetail),
            past: Type.Array(CampaignSummary),
            rule: RuleView,
            groupConsent: Type.String(),
          }),
          ...ERRORS,
        },
      },
    },
    async (req) => roomCampaigns(deps, adminCaller(req), req.params.id),
  );
  admin.post(
    '/rooms/:id/consent-campaigns',
    {
      schema: {
        tags,
        summary:
          "Launch a campaign: the city's consent text goes to every guardian of the group and its staff",
        params: IdParams,
        body: Type.Object({ templateId: Type.Optional(Type.String({ pattern: UUID_PATTERN })) }, closed),
        response: { 200: CampaignDetail, ...WRITE_ERRORS },
      },
    },
    async (req) => launchCampaign(deps, adminCaller(req), req.params.id, req.body),
  );
  admin.post(
    '/consent-campaigns/:id/remind',
    {
      schema: {
        tags,
        summary: 'Remind the families that have not answered (shown in their app)',
        params: IdParams,
        response: {
          200: Type.Object({ remindedAt: Type.String(), pendingGuardians: Type.Integer() }),
          ...WRITE_ERRORS,
        },
      },
    },
    async (req) => remindCampaign(deps, adminCaller(req), req.params.id),
  );
  admin.post(
    '/consent-campaigns/:id/close',
    {
      schema: {
        tags,
        summary: "Close the campaign (the group's consent stays as it stands)",
        params: IdParams,
        response: { 200: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req) => {
      await closeCampaign(deps, adminCaller(req), req.params.id);
      return null;
    },
  );
  admin.get(
    '/consent-campaigns/:id/answers.csv',
    {
      schema: {
        tags,
        summary:
          "Every answer with its text version, time and who (CSV, UTF-8), for the kindergarten's files",
        params: IdParams,
      },
    },
    async (req, reply) => {
      const csv = await exportAnswers(deps, adminCaller(req), req.params.id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="consent-${req.params.id}.csv"`)
        .send(csv);
    },
  );
  admin.get(
    '/regions/:id/consent-templates',
    {
      schema: {
        tags,
        summary: "The city's consent texts (all versions)",
        params: IdParams,
        response: { 200: Type.Array(TemplateView), ...ERRORS },
      },
    },
    async (req) => regionTemplates(deps, adminCaller(req), req.params.id),
  );
  admin.post(
    '/regions/:id/consent-templates',
    {
      schema: {
        tags,
        summary: 'Publish a new version of the consent text (campaigns already running keep theirs)',
        params: IdParams,
        body: TemplateInput,
        response: { 200: TemplateView, ...WRITE_ERRORS },
      },
    },
    async (req) => publishTemplate(deps, adminCaller(req), req.params.id, req.body),
  );
}

/** Parents' and staff's answers, and the periodic settling of active campaigns. */
export function registerConsentRoutes(app: App, ctx: AppContext, opts: { sweepMs?: number } = {}): void {
  const deps = consentDeps(ctx);
  app.get(
    '/api/parent/consents',
    {
      schema: {
        tags: ['parent'],
        summary: "The consent questions of the parent's children's groups, with the parent's answers",
        response: { 200: Type.Object({ items: Type.Array(ParentCampaign) }) },
      },
    },
    async (req) => ({ items: await parentCampaigns(deps, requireAuth(req).person.id) }),
  );
  app.post(
    '/api/parent/consents/:campaignId/answer',
    {
      schema: {
        tags: ['parent'],
        summary: 'Answer for a child: «согласен» or «не согласен» (a later answer replaces it; all are kept)',
        params: CampaignParams,
        body: Type.Object({ childId: Type.String({ pattern: UUID_PATTERN }), answer: AnswerSchema }, closed),
        response: { 200: Outcome },
      },
    },
    async (req) =>
      answerAsGuardian(
        deps,
        auditContext(req, 'parent'),
        requireAuth(req).person.id,
        req.params.campaignId,
        req.body,
      ),
  );
  app.get(
    '/api/staff/consents',
    {
      schema: {
        tags: ['staff'],
        summary: 'The consent questions of the groups where the person is a teacher',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                campaignId: Type.String(),
                groupName: Type.String(),
                title: Type.String(),
                body: Type.String(),
                templateVersion: Type.Integer(),
                myAnswer: Nullable(AnswerSchema),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await staffCampaigns(deps, requireAuth(req).person.id) }),
  );
  app.post(
    '/api/staff/consents/:campaignId/answer',
    {
      schema: {
        tags: ['staff'],
        summary:
          'A member of the group’s staff answers for themselves (an objection keeps the cameras closed)',
        params: CampaignParams,
        body: Type.Object({ answer: AnswerSchema }, closed),
        response: { 200: Outcome },
      },
    },
    async (req) =>
      answerAsStaff(
        deps,
        auditContext(req, 'teacher'),
        requireAuth(req).person.id,
        req.params.campaignId,
        req.body.answer,
      ),
  );

  const every = opts.sweepMs ?? CONSENT_SWEEP_MS;
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      sweepCampaigns(deps).catch((err: unknown) => app.log.error({ err }, 'consent sweep failed'));
    }, every);
    timer.unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}
