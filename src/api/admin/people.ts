/** Routes: persons and role bindings. */
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../server/app.js';
import {
  Id,
  PageOf,
  PersonPatch,
  PersonView,
  RoleBindingCreate,
  RoleBindingView,
  ScopeKind,
} from '../../domain/admin/schemas.js';
import { deletePerson, getPerson, listPersons, updatePerson } from '../../domain/admin/persons.js';
import {
  createRoleBinding,
  deleteRoleBinding,
  getRoleBinding,
  listRoleBindings,
} from '../../domain/admin/role-bindings.js';
import { adminCaller, adminDeps } from './caller.js';
import { ERRORS, IdParams, NoContent, WRITE_ERRORS, pageQuery } from './http.js';

export function registerPeopleRoutes(app: App, ctx: AppContext): void {
  const deps = adminDeps(ctx);

  // --- persons -------------------------------------------------------------------------------------
  let tags = ['admin: persons'];
  app.get(
    '/persons',
    {
      schema: {
        tags,
        summary: 'Persons linked to what you administer (guardians, subscribers, staff), by name',
        querystring: pageQuery({ institutionId: Type.Optional(Id) }),
        response: { 200: PageOf(PersonView), ...ERRORS },
      },
    },
    async (req) => {
      const { institutionId, ...page } = req.query;
      return listPersons(deps, adminCaller(req), { institutionId }, page);
    },
  );
  app.get(
    '/persons/:id',
    { schema: { tags, summary: 'One person', params: IdParams, response: { 200: PersonView, ...ERRORS } } },
    async (req) => getPerson(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/persons/:id',
    {
      schema: {
        tags,
        summary: 'Change name or contacts, or disable (only if every place they are linked to is yours)',
        params: IdParams,
        body: PersonPatch,
        response: { 200: PersonView, ...WRITE_ERRORS },
      },
    },
    async (req) => updatePerson(deps, adminCaller(req), req.params.id, req.body),
  );
  app.delete(
    '/persons/:id',
    {
      schema: {
        tags,
        summary: 'Remove a person with their links, bindings and sessions (same rule as changing)',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deletePerson(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- role bindings -------------------------------------------------------------------------------
  tags = ['admin: role bindings'];
  app.get(
    '/role-bindings',
    {
      schema: {
        tags,
        summary: 'Role bindings inside what you administer',
        querystring: pageQuery({
          personId: Type.Optional(Id),
          scopeKind: Type.Optional(ScopeKind),
          scopeId: Type.Optional(Id),
        }),
        response: { 200: PageOf(RoleBindingView), ...ERRORS },
      },
    },
    async (req) => {
      const { personId, scopeKind, scopeId, ...page } = req.query;
      return listRoleBindings(deps, adminCaller(req), { personId, scopeKind, scopeId }, page);
    },
  );
  app.post(
    '/role-bindings',
    {
      schema: {
        tags,
        summary: 'Grant a role within a region, institution or room',
        body: RoleBindingCreate,
        response: { 201: RoleBindingView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => reply.status(201).send(await createRoleBinding(deps, adminCaller(req), req.body)),
  );
  app.get(
    '/role-bindings/:id',
    {
      schema: {
        tags,
        summary: 'One role binding',
        params: IdParams,
        response: { 200: RoleBindingView, ...ERRORS },
      },
    },
    async (req) => getRoleBinding(deps, adminCaller(req), req.params.id),
  );
  app.delete(
    '/role-bindings/:id',
    {
      schema: {
        tags,
        summary: 'Revoke a role',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteRoleBinding(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );
}
