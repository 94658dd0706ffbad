/** Routes: rooms, their cameras, viewing schedules and consent history. */
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../server/app.js';
import {
  CameraCreate,
  CameraPatch,
  CameraView,
  ConsentCreate,
  ConsentView,
  Id,
  PageOf,
  RoomCreate,
  RoomKind,
  RoomPatch,
  RoomView,
  ViewingScheduleCreate,
  ViewingSchedulePatch,
  ViewingScheduleView,
} from '../../domain/admin/schemas.js';
import { createRoom, deleteRoom, getRoom, listRooms, updateRoom } from '../../domain/admin/rooms.js';
import {
  createCamera,
  deleteCamera,
  getCamera,
  listCameras,
  updateCamera,
} from '../../domain/admin/cameras.js';
import {
  createViewingSchedule,
  deleteViewingSchedule,
  getViewingSchedule,
  listViewingSchedules,
  updateViewingSchedule,
} from '../../domain/admin/viewing-schedules.js';
import { getConsent, listConsents, recordConsent } from '../../domain/admin/consents.js';
import { adminCaller, adminDeps } from './caller.js';
import { ERRORS, IdParams, NoContent, WRITE_ERRORS, pageQuery } from './http.js';

export function registerRoomRoutes(app: App, ctx: AppContext): void {
  const deps = adminDeps(ctx);

  // --- rooms ---------------------------------------------------------------------------------------
  let tags = ['admin: rooms'];
  app.get(
    '/institutions/:id/rooms',
    {
      schema: {
        tags,
        summary: 'Rooms of an institution, by name, with their current consent',
        params: IdParams,
        querystring: pageQuery({ kind: Type.Optional(RoomKind) }),
        response: { 200: PageOf(RoomView), ...ERRORS },
      },
    },
    async (req) => {
      const { kind, ...page } = req.query;
      return listRooms(deps, adminCaller(req), req.params.id, { kind }, page);
    },
  );
  app.post(
    '/institutions/:id/rooms',
    {
      schema: {
        tags,
        summary: 'Add a room (group rooms in kindergartens, workplaces in offices)',
        params: IdParams,
        body: RoomCreate,
        response: { 201: RoomView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createRoom(deps, adminCaller(req), req.params.id, req.body)),
  );
  app.get(
    '/rooms/:id',
    { schema: { tags, summary: 'One room', params: IdParams, response: { 200: RoomView, ...ERRORS } } },
    async (req) => getRoom(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/rooms/:id',
    {
      schema: {
        tags,
        summary: 'Change a room',
        params: IdParams,
        body: RoomPatch,
        response: { 200: RoomView, ...WRITE_ERRORS },
      },
    },
    async (req) => updateRoom(deps, adminCaller(req), req.params.id, req.body),
  );
  app.delete(
    '/rooms/:id',
    {
      schema: {
        tags,
        summary: 'Remove a room without cameras and enrolments (its schedules and consents go with it)',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteRoom(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- cameras -------------------------------------------------------------------------------------
  tags = ['admin: cameras'];
  app.get(
    '/institutions/:id/cameras',
    {
      schema: {
        tags,
        summary: 'Cameras of an institution (optionally of one room), by name',
        params: IdParams,
        querystring: pageQuery({ roomId: Type.Optional(Id) }),
        response: { 200: PageOf(CameraView), ...ERRORS },
      },
    },
    async (req) => {
      const { roomId, ...page } = req.query;
      return listCameras(deps, adminCaller(req), req.params.id, { roomId }, page);
    },
  );
  app.post(
    '/rooms/:id/cameras',
    {
      schema: {
        tags,
        summary: 'Add a camera to a room (source URL and credentials are write-only)',
        params: IdParams,
        body: CameraCreate,
        response: { 201: CameraView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createCamera(deps, adminCaller(req), req.params.id, req.body)),
  );
  app.get(
    '/cameras/:id',
    { schema: { tags, summary: 'One camera', params: IdParams, response: { 200: CameraView, ...ERRORS } } },
    async (req) => getCamera(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/cameras/:id',
    {
      schema: {
        tags,
        summary: 'Change a camera; move it to another room of its institution',
        params: IdParams,
        body: CameraPatch,
        response: { 200: CameraView, ...WRITE_ERRORS },
      },
    },
    async (req) => {
      const view = await updateCamera(deps, adminCaller(req), req.params.id, req.body);
      await ctx.live.cameras.refresh(req.params.id); // the running ingest follows at once
      return view;
    },
  );
  app.delete(
    '/cameras/:id',
    {
      schema: {
        tags,
        summary: 'Remove a camera',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteCamera(deps, adminCaller(req), req.params.id);
      await ctx.live.cameras.refresh(req.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- viewing schedules ---------------------------------------------------------------------------
  tags = ['admin: viewing schedules'];
  app.get(
    '/rooms/:id/viewing-schedules',
    {
      schema: {
        tags,
        summary: "A room's viewing windows, by weekday and start",
        params: IdParams,
        querystring: pageQuery({}),
        response: { 200: PageOf(ViewingScheduleView), ...ERRORS },
      },
    },
    async (req) => listViewingSchedules(deps, adminCaller(req), req.params.id, req.query),
  );
  app.post(
    '/rooms/:id/viewing-schedules',
    {
      schema: {
        tags,
        summary: 'Add a viewing window (local time of the institution)',
        params: IdParams,
        body: ViewingScheduleCreate,
        response: { 201: ViewingScheduleView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await createViewingSchedule(deps, adminCaller(req), req.params.id, req.body)),
  );
  app.get(
    '/viewing-schedules/:id',
    {
      schema: {
        tags,
        summary: 'One viewing window',
        params: IdParams,
        response: { 200: ViewingScheduleView, ...ERRORS },
      },
    },
    async (req) => getViewingSchedule(deps, adminCaller(req), req.params.id),
  );
  app.patch(
    '/viewing-schedules/:id',
    {
      schema: {
        tags,
        summary: 'Change a viewing window',
        params: IdParams,
        body: ViewingSchedulePatch,
        response: { 200: ViewingScheduleView, ...WRITE_ERRORS },
      },
    },
    async (req) => updateViewingSchedule(deps, adminCaller(req), req.params.id, req.body),
  );
  app.delete(
    '/viewing-schedules/:id',
    {
      schema: {
        tags,
        summary: 'Remove a viewing window',
        params: IdParams,
        response: { 204: NoContent, ...WRITE_ERRORS },
      },
    },
    async (req, reply) => {
      await deleteViewingSchedule(deps, adminCaller(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  // --- consents (append-only history) --------------------------------------------------------------
  tags = ['admin: consents'];
  app.get(
    '/rooms/:id/consents',
    {
      schema: {
        tags,
        summary: "A group room's consent history, newest first (the first is the current state)",
        params: IdParams,
        querystring: pageQuery({}),
        response: { 200: PageOf(ConsentView), ...ERRORS },
      },
    },
    async (req) => listConsents(deps, adminCaller(req), req.params.id, req.query),
  );
  app.post(
    '/rooms/:id/consents',
    {
      schema: {
        tags,
        summary: 'Record that consent was given or withdrawn',
        params: IdParams,
        body: ConsentCreate,
        response: { 201: ConsentView, ...WRITE_ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await recordConsent(deps, adminCaller(req), req.params.id, req.body)),
  );
  app.get(
    '/consents/:id',
    {
      schema: {
        tags,
        summary: 'One consent entry',
        params: IdParams,
        response: { 200: ConsentView, ...ERRORS },
      },
    },
    async (req) => getConsent(deps, adminCaller(req), req.params.id),
  );
}
