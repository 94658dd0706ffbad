/**
 * The notification centre's routes (docs/design/alerts.md). Each: authenticate → validate →
 * AlertService (authorize through src/authz/, act, audit) → present.
 *
 *   GET    /api/alerts/notifications?unread=&limit=&cursor=  my notifications and the unread count
 *   GET    /api/alerts/notifications/count                   the bell: unread count only
 *   POST   /api/alerts/notifications/read {alertIds | all}   mark read
 *   GET    /api/alerts/kinds                                 kinds with Russian names (settings)
 *   GET    /api/alerts/preferences                           my e-mail preferences
 *   PUT    /api/alerts/preferences                           change them (audited)
 *   GET    /api/alerts/webhooks                              endpoints in my scope (no secrets)
 *   POST   /api/alerts/webhooks                              a new endpoint: the secret, this once
 *   PATCH  /api/alerts/webhooks/:id                          change / disable / rotate the secret
 *   DELETE /api/alerts/webhooks/:id
 *   GET    /api/alerts/deliveries?alertId&status&limit       the delivery log
 *   GET    /api/alerts/:id                                   one alert, its evidence (and deliveries)
 *   POST   /api/alerts/:id/resolve {comment}                 resolve with a comment (audited)
 */
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AlertService, type AlertCaller } from '../alerts/service.js';
import type { App, AppContext } from '../server/app.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import { UUID_PATTERN } from '../shared/ids.js';

const closed = { additionalProperties: false } as const;
const Uuid = Type.String({ pattern: UUID_PATTERN });
const Params = Type.Object({ id: Uuid }, closed);
const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
const Kinds = Type.Array(Type.String({ minLength: 1, maxLength: 65 }), { maxItems: 50 });
const WebhookUrl = Type.String({ minLength: 8, maxLength: 2000 });

function callerOf(req: FastifyRequest): AlertCaller {
  const auth = requireAuth(req);
  return { principal: { personId: auth.person.id, bindings: auth.roles }, audit: auditContext(req) };
}

export function registerAlertRoutes(app: App, ctx: AppContext): AlertService {
  const service = new AlertService({ db: ctx.db.kysely, clock: ctx.clock, config: ctx.config });
  const tags = ['alerts'];

  app.get(
    '/api/alerts/notifications',
    {
      schema: {
        summary: 'My notifications, newest first, and the unread count',
        tags,
        querystring: Type.Object(
          {
            unread: Type.Optional(Type.Boolean()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          closed,
        ),
      },
    },
    async (req) =>
      service.notifications(callerOf(req), {
        unreadOnly: req.query.unread ?? false,
        limit: req.query.limit ?? 30,
        cursor: req.query.cursor,
      }),
  );

  app.get(
    '/api/alerts/notifications/count',
    { schema: { summary: 'The bell: how many of my notifications are unread', tags } },
    async (req) => ({ unread: await service.unreadCount(callerOf(req)) }),
  );

  app.post(
    '/api/alerts/notifications/read',
    {
      schema: {
        summary: 'Mark my notifications read (some, or all)',
        tags,
        body: Type.Union([
          Type.Object({ alertIds: Type.Array(Uuid, { minItems: 1, maxItems: 500 }) }, closed),
          Type.Object({ all: Type.Literal(true) }, closed),
        ]),
      },
    },
    async (req) => service.markRead(callerOf(req), 'all' in req.body ? 'all' : req.body.alertIds),
  );

  app.get('/api/alerts/kinds', { schema: { summary: 'Alert kinds and their names', tags } }, async (req) => {
    requireAuth(req);
    return { items: service.kinds() };
  });

  app.get(
    '/api/alerts/preferences',
    { schema: { summary: 'My alert e-mail preferences', tags } },
    async (req) => service.preferences(callerOf(req)),
  );

  app.put(
    '/api/alerts/preferences',
    {
      schema: {
        summary: 'Change my alert e-mail preferences (in the app every alert is shown)',
        tags,
        body: Type.Object(
          { emailEnabled: Type.Boolean(), emailMinSeverity: Severity, emailMutedKinds: Kinds },
          closed,
        ),
      },
    },
    async (req) => service.setPreferences(callerOf(req), req.body),
  );

  app.get(
    '/api/alerts/webhooks',
    { schema: { summary: 'Webhook endpoints in my scope', tags } },
    async (req) => ({
      items: await service.listWebhooks(callerOf(req)),
    }),
  );

  app.post(
    '/api/alerts/webhooks',
    {
      schema: {
        summary: 'A new webhook endpoint of a region or institution; the reply carries its secret, this once',
        tags,
        body: Type.Object(
          {
            regionId: Type.Optional(Uuid),
            institutionId: Type.Optional(Uuid),
            url: WebhookUrl,
            description: Type.Optional(Type.String({ maxLength: 200 })),
            minSeverity: Type.Optional(Severity),
            kinds: Type.Optional(Type.Union([Kinds, Type.Null()])),
          },
          closed,
        ),
      },
    },
    async (req, reply) => {
      const created = await service.createWebhook(callerOf(req), req.body);
      return reply.code(201).send(created);
    },
  );

  app.patch(
    '/api/alerts/webhooks/:id',
    {
      schema: {
        summary: 'Change a webhook endpoint; rotateSecret returns the new secret, this once',
        tags,
        params: Params,
        body: Type.Object(
          {
            url: Type.Optional(WebhookUrl),
            description: Type.Optional(Type.String({ maxLength: 200 })),
            minSeverity: Type.Optional(Severity),
            kinds: Type.Optional(Type.Union([Kinds, Type.Null()])),
            enabled: Type.Optional(Type.Boolean()),
            rotateSecret: Type.Optional(Type.Boolean()),
          },
          closed,
        ),
      },
    },
    async (req) => service.updateWebhook(callerOf(req), req.params.id, req.body),
  );

  app.delete(
    '/api/alerts/webhooks/:id',
    { schema: { summary: 'Delete a webhook endpoint', tags, params: Params } },
    async (req, reply) => {
      await service.deleteWebhook(callerOf(req), req.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/alerts/deliveries',
    {
      schema: {
        summary: 'The delivery log: per alert × channel × recipient/endpoint, attempts, status, errors',
        tags,
        querystring: Type.Object(
          {
            alertId: Type.Optional(Uuid),
            status: Type.Optional(
              Type.Union([
                Type.Literal('pending'),
                Type.Literal('sending'),
                Type.Literal('sent'),
                Type.Literal('failed'),
              ]),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          },
          closed,
        ),
      },
    },
    async (req) => ({
      items: await service.deliveries(callerOf(req), {
        limit: req.query.limit ?? 100,
        alertId: req.query.alertId,
        status: req.query.status,
      }),
    }),
  );

  app.get(
    '/api/alerts/:id',
    {
      schema: {
        summary: 'One alert with its evidence (and its deliveries, for those who may see them)',
        tags,
        params: Params,
      },
    },
    async (req) => service.detail(callerOf(req), req.params.id),
  );

  app.post(
    '/api/alerts/:id/resolve',
    {
      schema: {
        summary: 'Resolve an alert with a comment (audited)',
        tags,
        params: Params,
        body: Type.Object({ comment: Type.String({ minLength: 1, maxLength: 2000 }) }, closed),
      },
    },
    async (req) => service.resolve(callerOf(req), req.params.id, req.body.comment),
  );

  return service;
}
