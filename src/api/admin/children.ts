/** Routes: children of a kindergarten, their enrolments, guardians and subscriptions. */
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../server/app.js';
import {
  ChildCreate,
  ChildPatch,
  ChildView,
  EnrolmentCreate,
  EnrolmentPatch,
  EnrolmentView,
  GuardianLinkCreate,
  GuardianLinkPatch,
  GuardianLinkView,
  Id,
  LocalDate,
  PageOf,
  SubscriptionCreate,
  SubscriptionPatch,
  SubscriptionView,
} from '../../domain/admin/schemas.js';
import {
  createChild,
  deleteChild,
  getChild,
  listChildren,
  updateChild,
} from '../../domain/admin/children.js';
import {
  createEnrolment,
  deleteEnrolment,
  getEnrolment,
  listEnrolments,
  updateEnrolment,
} from '../../domain/admin/enrolments.js';
import {
  createGuardianLink,
  deleteGuardianLink,
  getGuardianLink,
  listGuardianLinks,
  updateGuardianLink,
} from '../../domain/admin/guardians.js';
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  updateSubscription,
} from '../../domain/admin/subscriptions.js';
import { adminCaller, adminDeps } from './caller.js';
import { ERRORS, IdParams, NoContent, WRITE_ERRORS, pageQuery } from './http.js';

export function registerChildRoutes(app: App, ctx: AppContext): void {
  const deps = adminDeps(ctx);

  // --- children ------------------------------------------------------------------------------------
  let tags = ['admin: children'];
  app.get(
    '/institutions/:id/children',
    {
      schema: {
        tags,
        summary: 'Children of a kindergarten, by name; roomId lists those enrolled in a group on a day',
        params: IdParams,
        querystring: pageQuery({
          roomId: Type.Optional(Id),
          on: Type.Optional(LocalDate),
        }),
        response: { 200: PageOf(ChildView), ...ERRORS },
      },
    },
    async (req) => {
      const { roomId, on, ...page } = req.query;
      return listChildren(deps, adminCaller(req), req.params.id, { roomId, on }, page);
    },
  );
  app.post(
    '/institutions/:id/children',
    {
      schema: {
        tags,
        summary: 'Add a child to a kindergarten',
        params: IdParams,
        body: ChildCreate,
        response: { 201: ChildView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createChild(deps, adminCaller(req), req.params.id, req.body)),
  );
  app.get(
    '/children/:id',
    { schema: { tags, summary: 'One child', params: IdParams, response: { 200: ChildView, ...ERRORS } } },
    async (req) => getChild(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/children/:id',
    {
      schema: {
        tags,
        summary: 'Change a child',
        params: IdParams,
        body: ChildPatch,
        response: { 200: ChildView, ...WRITE_ERRORS },
      },
    },
    async (req) => updateChild(deps, adminCaller(req), req.params.id, req.body),
  );
  app.delete(
    '/children/:id',
    {
      schema: {
        tags,
        summary: 'Remove a child with their enrolments, guardian links and subscriptions',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteChild(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- enrolments ----------------------------------------------------------------------------------
  tags = ['admin: enrolments'];
  app.get(
    '/children/:id/enrolments',
    {
      schema: {
        tags,
        summary: "A child's enrolments, by start date",
        params: IdParams,
        querystring: pageQuery({}),
        response: { 200: PageOf(EnrolmentView), ...ERRORS },
      },
    },
    async (req) => listEnrolments(deps, adminCaller(req), req.params.id, req.query),
  );
  app.post(
    '/children/:id/enrolments',
    {
      schema: {
        tags,
        summary: 'Enrol a child in a group room (no overlapping periods)',
        params: IdParams,
        body: EnrolmentCreate,
        response: { 201: EnrolmentView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createEnrolment(deps, adminCaller(req), req.params.id, req.body)),
  );
  app.get(
    '/enrolments/:id',
    {
      schema: {
        tags,
        summary: 'One enrolment',
        params: IdParams,
        response: { 200: EnrolmentView, ...ERRORS },
      },
    },
    async (req) => getEnrolment(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/enrolments/:id',
    {
      schema: {
        tags,
        summary: 'Change an enrolment (e.g. end it)',
        params: IdParams,
        body: EnrolmentPatch,
        response: { 200: EnrolmentView, ...WRITE_ERRORS },
      },
    },
    async (req) => updateEnrolment(deps, adminCaller(req), req.params.id, req.body),
  );
  app.delete(
    '/enrolments/:id',
    {
      schema: {
        tags,
        summary: 'Remove an enrolment',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteEnrolment(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- guardian links ------------------------------------------------------------------------------
  tags = ['admin: guardians'];
  app.get(
    '/children/:id/guardians',
    {
      schema: {
        tags,
        summary: "A child's guardians",
        params: IdParams,
        querystring: pageQuery({}),
        response: { 200: PageOf(GuardianLinkView), ...ERRORS },
      },
    },
    async (req) => listGuardianLinks(deps, adminCaller(req), req.params.id, req.query),
  );
  app.post(
    '/children/:id/guardians',
    {
      schema: {
        tags,
        summary: 'Link a guardian: an existing person (personId) or one named by identity (person)',
        params: IdParams,
        body: GuardianLinkCreate,
        response: { 201: GuardianLinkView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createGuardianLink(deps, adminCaller(req), req.params.id, req.body)),
  );
  app.get(
    '/guardian-links/:id',
    {
      schema: {
        tags,
        summary: 'One guardian link',
        params: IdParams,
        response: { 200: GuardianLinkView, ...ERRORS },
      },
    },
    async (req) => getGuardianLink(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/guardian-links/:id',
    {
      schema: {
        tags,
        summary: 'Verify a guardian link or change its relation',
        params: IdParams,
        body: GuardianLinkPatch,
        response: { 200: GuardianLinkView, ...WRITE_ERRORS },
      },
    },
    async (req) => updateGuardianLink(deps, adminCaller(req), req.params.id, req.body),
  );
  app.delete(
    '/guardian-links/:id',
    {
      schema: {
        tags,
        summary: 'Remove a guardian link',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteGuardianLink(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- subscriptions -------------------------------------------------------------------------------
  tags = ['admin: subscriptions'];
  app.get(
    '/children/:id/subscriptions',
    {
      schema: {
        tags,
        summary: "A child's subscriptions",
        params: IdParams,
        querystring: pageQuery({}),
        response: { 200: PageOf(SubscriptionView), ...ERRORS },
      },
    },
    async (req) => listSubscriptions(deps, adminCaller(req), req.params.id, req.query),
  );
  app.post(
    '/children/:id/subscriptions',
    {
      schema: {
        tags,
        summary: 'Subscribe a guardian of the child',
        params: IdParams,
        body: SubscriptionCreate,
        response: { 201: SubscriptionView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createSubscription(deps, adminCaller(req), req.params.id, req.body)),
  );
  app.get(
    '/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'One subscription',
        params: IdParams,
        response: { 200: SubscriptionView, ...ERRORS },
      },
    },
    async (req) => getSubscription(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Change status or fee',
        params: IdParams,
        body: SubscriptionPatch,
        response: { 200: SubscriptionView, ...WRITE_ERRORS },
      },
    },
    async (req) => updateSubscription(deps, adminCaller(req), req.params.id, req.body),
  );
  app.delete(
    '/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Remove a subscription',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteSubscription(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );
}
