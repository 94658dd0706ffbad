/**
 * The paid service's routes (docs/design/billing.md). Operators and kindergarten administrators under
 * /api/billing (authenticate → validate → authorize in the service → act with its audit entry in one
 * transaction → present); parents under /api/parent/billing and /api/parent/children/:id/subscription.
 * A job in this process runs the arrears check and ends free pilots once an hour.
 */
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../server/app.js';
import { adminCaller } from './admin/caller.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import { UUID_PATTERN } from '../shared/ids.js';
import type { BillingDeps } from '../billing/context.js';
import { getTariffs, setInstitutionPrice, setPilot, setRegionPrice } from '../billing/tariffs.js';
import { addAdjustment, getRun, listRuns, runBilling, runForExport, transitionRun } from '../billing/runs.js';
import { EXPORT_FORMATS, exportContentType, exportFileName, exportStream } from '../billing/export.js';
import { importPayments, listImports, MAX_PAYMENT_FILE_BYTES } from '../billing/payments.js';
import { checkArrears, revenueReport, subscribers } from '../billing/report.js';
import { cancel, parentOverview, subscribe } from '../billing/parent.js';
import { startBillingJobs } from '../billing/jobs.js';
import { BillingRepository } from '../storage/repositories/billing.js';
import type { BillingLinesTable } from '../storage/billing-schema.js';
import { WRITE_ERRORS } from './admin/http.js';
import * as R from './billing-schemas.js';

const Id = Type.String({ pattern: UUID_PATTERN });
const Month = Type.String({ pattern: '^\\d{4}-\\d{2}$' });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const PriceBody = Type.Object(
  { effectiveMonth: Month, priceKopecks: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

export function billingDeps(ctx: AppContext): BillingDeps {
  return {
    db: ctx.db.kysely,
    clock: ctx.clock,
    graceDay: ctx.config.billing.graceDay,
    pilotNoticeDays: ctx.config.billing.pilotNoticeDays,
  };
}

export async function registerBillingRoutes(app: App, ctx: AppContext): Promise<void> {
  const deps = billingDeps(ctx);
  const stopJobs = startBillingJobs(deps, app.log);
  app.addHook('onClose', async () => stopJobs());

  await app.register(
    async (b: App) => {
      b.addHook('onRequest', async (req) => {
        adminCaller(req);
      });
      b.addContentTypeParser(
        'text/csv',
        { parseAs: 'buffer', bodyLimit: MAX_PAYMENT_FILE_BYTES },
        (_req, body, done) => done(null, body),
      );
      const tags = ['billing'];
      const regionParams = Type.Object({ regionId: Id });
      const idParams = Type.Object({ id: Id });

      b.get(
        '/regions/:regionId/tariffs',
        {
          schema: {
            summary: 'Tariffs of a region: recommendations, kindergarten prices, pilots',
            tags,
            response: R.read(R.Tariffs),
            params: regionParams,
          },
        },
        async (req) => getTariffs(deps, adminCaller(req), req.params.regionId),
      );
      b.put(
        '/regions/:regionId/price',
        {
          schema: {
            summary: "Set the region's recommended monthly price from a month",
            tags,
            response: R.write(R.Prices),
            params: regionParams,
            body: PriceBody,
          },
        },
        async (req) => ({
          items: await setRegionPrice(deps, adminCaller(req), req.params.regionId, req.body),
        }),
      );
      b.put(
        '/institutions/:id/price',
        {
          schema: {
            summary: "Set a kindergarten's monthly price from a month",
            tags,
            response: R.write(R.Prices),
            params: idParams,
            body: PriceBody,
          },
        },
        async (req) => ({
          items: await setInstitutionPrice(deps, adminCaller(req), req.params.id, req.body),
        }),
      );
      b.put(
        '/institutions/:id/pilot',
        {
          schema: {
            summary: 'Make a kindergarten a free pilot (with its last day) or end that',
            tags,
            response: R.write(R.Pilot),
            params: idParams,
            body: Type.Object(
              { freePilot: Type.Boolean(), pilotUntil: Type.Union([Day, Type.Null()]) },
              { additionalProperties: false },
            ),
          },
        },
        async (req) => setPilot(deps, adminCaller(req), req.params.id, req.body),
      );
      b.get(
        '/regions/:regionId/runs',
        {
          schema: {
            summary: 'Billing runs of a region, newest month first',
            tags,
            response: R.read(R.Runs),
            params: regionParams,
          },
        },
        async (req) => ({ items: await listRuns(deps, adminCaller(req), req.params.regionId) }),
      );
      b.post(
        '/runs',
        {
          schema: {
            summary: 'Compute the draft of a month (create it, or compute the existing draft again)',
            tags,
            response: R.write(R.Computed),
            body: Type.Object(
              { period: Month, regionId: Id, institutionId: Type.Optional(Type.Union([Id, Type.Null()])) },
              { additionalProperties: false },
            ),
          },
        },
        async (req) => runBilling(deps, adminCaller(req), req.body),
      );
      b.get(
        '/runs/:id',
        {
          schema: {
            summary: 'A billing run with its totals per kindergarten',
            tags,
            response: R.read(R.RunTotals),
            params: idParams,
          },
        },
        async (req) => getRun(deps, adminCaller(req), req.params.id),
      );
      b.get(
        '/runs/:id/lines',
        {
          schema: {
            summary: "A run's lines, a page at a time in line-key order (adjustment lines included)",
            tags,
            params: idParams,
            querystring: Type.Object(
              {
                limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
                cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              },
              { additionalProperties: false },
            ),
            response: R.read(R.Lines),
          },
        },
        async (req) => {
          // getRun authorizes the caller for the run (404 outside their scope) before any line is read.
          await getRun(deps, adminCaller(req), req.params.id);
          const limit = req.query.limit ?? 50;
          const rows = await new BillingRepository(ctx.db.kysely).runLinesAfter(
            req.params.id,
            req.query.cursor ?? null,
            limit + 1,
          );
          const page = rows.slice(0, limit);
          return {
            items: page.map(lineView),
            nextCursor: rows.length > limit ? (page[page.length - 1]?.line_key ?? null) : null,
          };
        },
      );
      for (const step of ['review', 'reopen', 'approve'] as const)
        b.post(
          `/runs/:id/${step}`,
          { schema: { summary: `Billing run: ${step}`, tags, response: R.write(R.Run), params: idParams } },
          async (req) => transitionRun(deps, adminCaller(req), req.params.id, step),
        );
      b.get(
        '/runs/:id/export',
        {
          schema: {
            summary: 'Export an approved run (streamed): CSV UTF-8, CSV Windows-1251 with ";" (1C), or JSON',
            tags,
            response: WRITE_ERRORS,
            params: idParams,
            querystring: Type.Object({
              format: Type.Union(
                EXPORT_FORMATS.map((f) => Type.Literal(f)),
                { default: 'csv' },
              ),
            }),
          },
        },
        async (req, reply) => {
          const caller = adminCaller(req);
          const run = await runForExport(deps, caller, req.params.id);
          const format = req.query.format;
          await ctx.audit(caller.audit(run.grant.role), {
            action: 'billing.run.export',
            targetKind: 'run',
            targetId: run.id,
            institutionId: run.institution_id,
            details: { format, lineCount: run.line_count, totalKopecks: run.total_kopecks },
          });
          reply
            .header('content-type', exportContentType(format))
            .header('content-disposition', `attachment; filename="${exportFileName(run, format)}"`);
          return reply.send(exportStream(ctx.db.kysely, run, format));
        },
      );
      b.post(
        '/adjustments',
        {
          schema: {
            summary: 'A correction of an approved month, billed as an adjustment line by the next run',
            tags,
            response: R.write(R.Created),
            body: Type.Object(
              {
                subscriptionId: Id,
                forPeriod: Month,
                amountKopecks: Type.Integer(),
                reason: Type.String({ minLength: 1, maxLength: 500 }),
              },
              { additionalProperties: false },
            ),
          },
        },
        async (req) => addAdjustment(deps, adminCaller(req), req.body),
      );
      b.post(
        '/regions/:regionId/payments',
        {
          schema: {
            summary: 'Import a payment status file (CSV: account, period, amount, paid_date); all or nothing',
            tags,
            response: R.write(R.Import),
            params: regionParams,
            querystring: Type.Object({ fileName: Type.Optional(Type.String({ maxLength: 200 })) }),
          },
        },
        async (req) => {
          const body = req.body;
          const buf = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
          return importPayments(
            deps,
            adminCaller(req),
            req.params.regionId,
            req.query.fileName ?? 'payments.csv',
            buf,
          );
        },
      );
      b.get(
        '/regions/:regionId/payments',
        {
          schema: {
            summary: 'Payment imports of a region with their results',
            tags,
            response: R.read(R.Imports),
            params: regionParams,
          },
        },
        async (req) => ({ items: await listImports(deps, adminCaller(req), req.params.regionId) }),
      );
      b.post(
        '/regions/:regionId/arrears-check',
        {
          schema: {
            summary:
              'Suspend subscriptions with charges unpaid past the grace day as of a date; restore paid ones',
            tags,
            response: R.write(R.Arrears),
            params: regionParams,
            body: Type.Object({ asOf: Type.Optional(Day) }, { additionalProperties: false }),
          },
        },
        async (req) => checkArrears(deps, adminCaller(req), req.params.regionId, req.body.asOf),
      );
      b.get(
        '/regions/:regionId/report',
        {
          schema: {
            summary: 'Revenue by month and kindergarten: subscribers, charged, paid, arrears',
            tags,
            response: R.read(R.Revenue),
            params: regionParams,
          },
        },
        async (req) => ({ items: await revenueReport(deps, adminCaller(req), req.params.regionId) }),
      );
      b.get(
        '/institutions/:id/subscribers',
        {
          schema: {
            summary: "A kindergarten's subscribers with their arrears",
            tags,
            response: R.read(R.Subscribers),
            params: idParams,
          },
        },
        async (req) => ({ items: await subscribers(deps, adminCaller(req), req.params.id) }),
      );
    },
    { prefix: '/api/billing' },
  );

  app.get(
    '/api/parent/billing',
    {
      schema: {
        summary: "The paid service for the parent's children: price, offer, subscription, charges",
        tags: ['parent'],
        response: R.read(R.ParentBilling),
      },
    },
    async (req) => parentOverview(deps, requireAuth(req).person.id),
  );
  const childParams = Type.Object({ childId: Id });
  app.post(
    '/api/parent/children/:childId/subscription',
    {
      schema: {
        summary: 'Subscribe for a child, accepting the current offer version (one subscription per child)',
        tags: ['parent'],
        response: R.write(R.Subscription),
        params: childParams,
        body: Type.Object({ offerVersion: Type.String({ maxLength: 40 }) }, { additionalProperties: false }),
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      return subscribe(
        deps,
        auditContext(req, 'parent'),
        auth.person.id,
        req.params.childId,
        req.body.offerVersion,
      );
    },
  );
  app.delete(
    '/api/parent/children/:childId/subscription',
    {
      schema: {
        summary: 'Cancel the subscription for a child (the payer only): access ends at once',
        tags: ['parent'],
        response: R.write(R.Subscription),
        params: childParams,
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      return cancel(deps, auditContext(req, 'parent'), auth.person.id, req.params.childId);
    },
  );
}

function lineView(l: BillingLinesTable) {
  return {
    id: l.id,
    lineKey: l.line_key,
    kind: l.kind,
    period: l.period,
    subscriptionId: l.subscription_id,
    childId: l.child_id,
    childName: l.child_name,
    payerName: l.payer_name,
    institutionId: l.institution_id,
    institutionName: l.institution_name,
    accountNumber: l.account_number,
    from: l.from_date,
    to: l.to_date,
    days: l.days,
    monthDays: l.month_days,
    priceKopecks: l.price_kopecks,
    amountKopecks: l.amount_kopecks,
    note: l.note,
  };
}
