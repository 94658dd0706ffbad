/**
 * Grants for viewers (POST /api/streams, renewals) and the parent's home (children, groups, cameras
 * with their availability now).
 */
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../server/app.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import { ParentViewRepository } from '../storage/repositories/parent-view.js';
import { toLocalTime } from '../policy/index.js';
import { nextLiveOpening } from '../policy/index.js';
import { UUID_PATTERN } from '../shared/ids.js';

const StreamGrant = Type.Object({
  streamId: Type.String(),
  cameraId: Type.String(),
  token: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  renewAfterMs: Type.Integer(),
  wsUrl: Type.String(),
  hlsUrl: Type.String(),
  snapshotUrl: Type.String(),
  viewerTag: Type.String(),
  mode: Type.Literal('live'),
});

const AVAILABILITY: Record<string, string> = {
  outside_viewing_hours: 'outside_hours',
  closed_day: 'closed_day',
  consent_missing: 'consent_pending',
  subscription_inactive: 'subscription_inactive',
  subscription_unpaid: 'subscription_unpaid',
  camera_disabled: 'camera_off', // switched off: the player says the same («Камера выключена»)
  not_enrolled: 'not_enrolled',
  stream_limit: 'available',
  policy_error: 'server_error',
};

export async function registerStreamRoutes(app: App, ctx: AppContext): Promise<void> {
  const parentView = new ParentViewRepository(ctx.db.kysely);

  app.post(
    '/api/streams',
    {
      schema: {
        summary: 'Ask to watch a camera live: the policy decides (audited); on allow, a short-lived grant',
        tags: ['streams'],
        body: Type.Object(
          { cameraId: Type.String({ pattern: UUID_PATTERN }) },
          { additionalProperties: false },
        ),
        response: { 200: StreamGrant },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      return ctx.live.grants.requestLive(
        { personId: auth.person.id, sessionId: auth.sessionId },
        req.body.cameraId,
        auditContext(req),
      );
    },
  );

  app.post(
    '/api/streams/:streamId/renew',
    {
      schema: {
        summary:
          'Renew the grant of an open stream (re-runs the policy; 403 with the reason when access ended)',
        tags: ['streams'],
        params: Type.Object({ streamId: Type.String({ pattern: UUID_PATTERN }) }),
        response: { 200: StreamGrant },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const issued = await ctx.live.grants.renew(
        { personId: auth.person.id, sessionId: auth.sessionId },
        req.params.streamId,
        auditContext(req),
      );
      ctx.live.registry.extend(issued.streamId, Date.parse(issued.expiresAt));
      return issued;
    },
  );

  app.get(
    '/api/parent/children',
    {
      schema: {
        summary: "The parent's children, each child's group and cameras, and whether each can be watched now",
        tags: ['parent'],
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const now = ctx.clock.now();
      const children = await parentView.children(auth.person.id);
      const items = [];
      for (const c of children) {
        const connected = await parentView.institutionConnected(c.institutionId);
        const today = toLocalTime(now.getTime(), c.timeZone).date;
        const group = c.verified ? await parentView.groupOn(c.childId, today) : undefined;
        const cameras = [];
        if (group) {
          for (const cam of await parentView.camerasOfRoom(group.id)) {
            const d = await ctx.live.grants.decide(auth.person.id, cam.id);
            if (!d) continue;
            if (d.decision.allow) {
              cameras.push({ id: cam.id, name: cam.name, availability: { state: 'available' } });
              continue;
            }
            const state = AVAILABILITY[d.decision.reason];
            if (!state) continue; // restricted zones and the like are not listed at all
            const next =
              state === 'outside_hours' || state === 'closed_day'
                ? nextLiveOpening(d.facts, now.getTime())
                : null;
            cameras.push({
              id: cam.id,
              name: cam.name,
              availability: { state, ...(next !== null ? { nextOpenAt: new Date(next).toISOString() } : {}) },
            });
          }
        }
        items.push({
          child: { id: c.childId, name: c.childName },
          verified: c.verified,
          institution: { id: c.institutionId, name: c.institutionName, connected, timeZone: c.timeZone },
          group: group ?? null,
          cameras,
        });
      }
      return { items };
    },
  );
}
