/** Routes: regions, institutions and their closed days. */
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../server/app.js';
import {
  ClosedDayCreate,
  ClosedDayPatch,
  ClosedDayView,
  Id,
  InstitutionCreate,
  InstitutionKind,
  InstitutionPatch,
  InstitutionView,
  LocalDate,
  PageOf,
  RegionPatch,
  RegionView,
} from '../../domain/admin/schemas.js';
import { getRegion, listRegions, updateRegion } from '../../domain/admin/regions.js';
import {
  createInstitution,
  deleteInstitution,
  getInstitution,
  listInstitutions,
  updateInstitution,
} from '../../domain/admin/institutions.js';
import {
  createClosedDay,
  deleteClosedDay,
  getClosedDay,
  listClosedDays,
  updateClosedDay,
} from '../../domain/admin/closed-days.js';
import { adminCaller, adminDeps } from './caller.js';
import { ERRORS, IdParams, NoContent, WRITE_ERRORS, pageQuery } from './http.js';

export function registerTenancyRoutes(app: App, ctx: AppContext): void {
  const deps = adminDeps(ctx);
  const tags = ['admin: regions and institutions'];

  // --- regions (created and removed by the installation, see docs/design/admin-api.md) ------------
  app.get(
    '/regions',
    {
      schema: {
        tags,
        summary: 'Regions you operate or audit',
        querystring: pageQuery({}),
        response: { 200: PageOf(RegionView), ...ERRORS },
      },
    },
    async (req) => listRegions(deps, adminCaller(req), req.query),
  );
  app.get(
    '/regions/:id',
    { schema: { tags, summary: 'One region', params: IdParams, response: { 200: RegionView, ...ERRORS } } },
    async (req) => getRegion(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/regions/:id',
    {
      schema: {
        tags,
        summary: 'Rename a region (its operators)',
        params: IdParams,
        body: RegionPatch,
        response: { 200: RegionView, ...WRITE_ERRORS },
      },
    },
    async (req) => updateRegion(deps, adminCaller(req), req.params.id, req.body),
  );

  // --- institutions --------------------------------------------------------------------------------
  app.get(
    '/institutions',
    {
      schema: {
        tags,
        summary: 'Institutions you can see',
        querystring: pageQuery({ regionId: Type.Optional(Id), kind: Type.Optional(InstitutionKind) }),
        response: { 200: PageOf(InstitutionView), ...ERRORS },
      },
    },
    async (req) => {
      const { regionId, kind, ...page } = req.query;
      return listInstitutions(deps, adminCaller(req), { regionId, kind }, page);
    },
  );
  app.post(
    '/institutions',
    {
      schema: {
        tags,
        summary: 'Create a kindergarten (city operator) or an office (regional operator)',
        body: InstitutionCreate,
        response: { 201: InstitutionView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => reply.status(201).send(await createInstitution(deps, adminCaller(req), req.body)),
  );
  app.get(
    '/institutions/:id',
    {
      schema: {
        tags,
        summary: 'One institution',
        params: IdParams,
        response: { 200: InstitutionView, ...ERRORS },
      },
    },
    async (req) => getInstitution(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/institutions/:id',
    {
      schema: {
        tags,
        summary: 'Change name, time zone, tariff, pilot status or consent requirement',
        params: IdParams,
        body: InstitutionPatch,
        response: { 200: InstitutionView, ...WRITE_ERRORS },
      },
    },
    async (req) => updateInstitution(deps, adminCaller(req), req.params.id, req.body),
  );
  app.delete(
    '/institutions/:id',
    {
      schema: {
        tags,
        summary: 'Remove an institution that has no rooms and no children',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteInstitution(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- closed days ---------------------------------------------------------------------------------
  app.get(
    '/institutions/:id/closed-days',
    {
      schema: {
        tags,
        summary: 'Closed days of an institution, by date',
        params: IdParams,
        querystring: pageQuery({ from: Type.Optional(LocalDate), to: Type.Optional(LocalDate) }),
        response: { 200: PageOf(ClosedDayView), ...ERRORS },
      },
    },
    async (req) => {
      const { from, to, ...page } = req.query;
      return listClosedDays(deps, adminCaller(req), req.params.id, { from, to }, page);
    },
  );
  app.post(
    '/institutions/:id/closed-days',
    {
      schema: {
        tags,
        summary: 'Mark a day closed',
        params: IdParams,
        body: ClosedDayCreate,
        response: { 201: ClosedDayView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createClosedDay(deps, adminCaller(req), req.params.id, req.body)),
  );
  app.get(
    '/closed-days/:id',
    {
      schema: {
        tags,
        summary: 'One closed day',
        params: IdParams,
        response: { 200: ClosedDayView, ...ERRORS },
      },
    },
    async (req) => getClosedDay(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/closed-days/:id',
    {
      schema: {
        tags,
        summary: 'Change a closed day',
        params: IdParams,
        body: ClosedDayPatch,
        response: { 200: ClosedDayView, ...WRITE_ERRORS },
      },
    },
    async (req) => updateClosedDay(deps, adminCaller(req), req.params.id, req.body),
  );
  app.delete(
    '/closed-days/:id',
    {
      schema: {
        tags,
        summary: 'Remove a closed day',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteClosedDay(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );
}
