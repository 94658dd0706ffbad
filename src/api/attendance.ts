/**
 * Attendance over HTTP (docs/design/attendance.md): door events from analytics devices (signed, no
 * session), the teacher's register, parents' absence notices, meal orders (view, correction, supplier
 * CSV), the education department's dashboard and analytics devices. Routes are thin: authenticate →
 * validate → the service (which authorizes, writes and audits in one transaction) → present.
 */
import { Type } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { App, AppContext } from '../server/app.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import type { Principal } from '../domain/scope.js';
import type { FastifyRequest } from 'fastify';
import { UUID_PATTERN } from '../shared/ids.js';
import { AppError } from '../shared/errors.js';
import { ErrorSchema } from '../server/error-handler.js';
import { createIntakeMetrics } from '../attendance/metrics.js';
import { AttendanceIntake, BatchSchema, MAX_EVENTS_PER_BATCH } from '../attendance/intake.js';
import { MqttIntake } from '../attendance/mqtt.js';
import { AttendanceJobs } from '../attendance/jobs.js';
import { registerView, saveMarks } from '../attendance/register.js';
import { registerRooms, authorizeInstitution, kindergartensInReach } from '../attendance/access.js';
import { cancelNotice, giveNotice, myNotices } from '../attendance/notices.js';
import { ordersFor, supplierCsv } from '../attendance/orders.js';
import { dashboard } from '../attendance/dashboard.js';
import { createDevice, deleteDevice, listDevices } from '../attendance/devices.js';
import { localTomorrow } from '../attendance/days.js';
import { AttendanceRepository } from '../storage/repositories/attendance.js';
import { appendAudit } from '../audit/audit-log.js';
import { isLocalDate } from '../policy/local-time.js';

export interface AttendanceServices {
  intake: AttendanceIntake;
  jobs: AttendanceJobs;
  mqtt: MqttIntake | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    attendance: AttendanceServices;
  }
}

const Id = Type.String({ pattern: UUID_PATTERN });
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'local date YYYY-MM-DD' });
const Reason = Type.Union([Type.Literal('ill'), Type.Literal('vacation'), Type.Literal('other')]);
const AgeGroup = Type.Union([Type.Literal('nursery'), Type.Literal('kindergarten')]);
const Diet = Type.Union([
  Type.Literal('standard'),
  Type.Literal('dairy_free'),
  Type.Literal('gluten_free'),
  Type.Literal('vegetarian'),
  Type.Literal('medical'),
]);
const closed = { additionalProperties: false } as const;
const errors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
} as const;

function principal(req: FastifyRequest): Principal {
  const a = requireAuth(req);
  return { personId: a.person.id, bindings: a.roles };
}

function checkDay(day: string | undefined): string | undefined {
  if (day !== undefined && !isLocalDate(day)) throw new AppError('validation_failed', `${day} is not a date`);
  return day;
}

export async function registerAttendanceRoutes(app: App, ctx: AppContext): Promise<AttendanceServices> {
  const cfg = ctx.config.attendance;
  const db = ctx.db.kysely;
  const clock = ctx.clock;
  const log = app.log as unknown as Logger;
  const metrics = createIntakeMetrics(ctx.metrics.registry);
  const intake = new AttendanceIntake({
    db,
    clock,
    metrics,
    signatureWindowSeconds: cfg.signatureWindowSeconds,
    eventMaxAgeDays: cfg.eventMaxAgeDays,
  });
  const jobs = new AttendanceJobs({ db, clock, cutoffHour: cfg.orderCutoffHour, log });
  const mqtt = cfg.mqttUrl ? new MqttIntake({ url: cfg.mqttUrl, intake, metrics, log }) : null;
  const services: AttendanceServices = { intake, jobs, mqtt };
  app.decorate('attendance', services);
  const deps = { db, clock, cutoffHour: cfg.orderCutoffHour };

  // ── door events (devices: HMAC-signed, no session) ──────────────────────────────────────────────
  await app.register(async (scope) => {
    // The signature covers the exact bytes: keep the body raw here, parse it after checking.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: 1024 * 1024 },
      (_req, body, done) => done(null, body),
    );
    scope.post(
      '/api/attendance/events',
      {
        // The device signs its batch (HMAC, below); no person's session is involved.
        config: { anonymous: true },
        schema: {
          tags: ['attendance'],
          summary: 'Door events from an analytics device (signed batch)',
          description:
            `Body: {"events":[{"eventId","at","direction":"in"|"out","count"?,"cameraId"?}]} (1–${MAX_EVENTS_PER_BATCH}). ` +
            'Headers: x-okno-device, x-okno-timestamp (unix seconds), x-okno-signature (v1=hex HMAC-SHA256 of "<timestamp>.<body>" with the device secret). ' +
            'Idempotent by eventId; events are counted for the day they happened.',
          security: [],
          headers: Type.Object({
            'x-okno-device': Type.Optional(Type.String({ maxLength: 64 })),
            'x-okno-timestamp': Type.Optional(Type.String({ maxLength: 16 })),
            'x-okno-signature': Type.Optional(Type.String({ maxLength: 100 })),
          }),
          response: {
            200: Type.Object({
              accepted: Type.Integer(),
              duplicates: Type.Integer(),
              rejected: Type.Array(
                Type.Object({ eventId: Type.String(), code: Type.String(), message: Type.String() }),
              ),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const body = req.body;
        if (!Buffer.isBuffer(body))
          throw new AppError('validation_failed', 'send the batch as application/json');
        const h = req.headers;
        return intake.accept(
          {
            deviceId: h['x-okno-device'] as string | undefined,
            timestamp: h['x-okno-timestamp'],
            signature: h['x-okno-signature'] as string | undefined,
            body,
          },
          'http',
        );
      },
    );
  });
  void BatchSchema;

  // ── analytics devices ───────────────────────────────────────────────────────────────────────────
  app.get(
    '/api/attendance/institutions/:id/devices',
    { schema: { tags: ['attendance'], params: Type.Object({ id: Id }, closed) } },
    async (req) => ({ items: await listDevices(deps, principal(req), req.params.id) }),
  );
  app.post(
    '/api/attendance/devices',
    {
      schema: {
        tags: ['attendance'],
        summary: 'Create the analytics device of an entrance camera; the secret is in this answer only',
        body: Type.Object({ cameraId: Id, name: Type.Optional(Type.String({ maxLength: 200 })) }, closed),
      },
    },
    async (req, reply) => {
      const d = await createDevice(deps, principal(req), (role) => auditContext(req, role), req.body);
      intake.forgetDevice(d.id);
      return reply.code(201).send(d);
    },
  );
  app.delete(
    '/api/attendance/devices/:id',
    { schema: { tags: ['attendance'], params: Type.Object({ id: Id }, closed) } },
    async (req, reply) => {
      await deleteDevice(deps, principal(req), (role) => auditContext(req, role), req.params.id);
      intake.forgetDevice(req.params.id);
      return reply.code(204).send();
    },
  );

  // ── the register ────────────────────────────────────────────────────────────────────────────────
  app.get('/api/attendance/rooms', { schema: { tags: ['attendance'] } }, async (req) => ({
    items: (await registerRooms(db, principal(req))).map((r) => ({
      id: r.id,
      name: r.name,
      institutionId: r.institution_id,
    })),
  }));
  app.get(
    '/api/attendance/rooms/:id/register',
    {
      schema: {
        tags: ['attendance'],
        params: Type.Object({ id: Id }, closed),
        querystring: Type.Object({ day: Type.Optional(Day) }, closed),
      },
    },
    async (req) => registerView(deps, principal(req), req.params.id, checkDay(req.query.day)),
  );
  app.post(
    '/api/attendance/rooms/:id/register',
    {
      schema: {
        tags: ['attendance'],
        summary: 'Marks (from a phone, possibly queued offline); the later mark of a child and day wins',
        params: Type.Object({ id: Id }, closed),
        body: Type.Object(
          {
            marks: Type.Array(
              Type.Object(
                {
                  childId: Id,
                  day: Day,
                  status: Type.Union([Type.Literal('present'), Type.Literal('absent')]),
                  reason: Type.Optional(Reason),
                  markedAt: Type.String({ format: 'date-time' }),
                },
                closed,
              ),
              { minItems: 1, maxItems: 500 },
            ),
          },
          closed,
        ),
      },
    },
    async (req) =>
      saveMarks(deps, principal(req), (role) => auditContext(req, role), req.params.id, req.body.marks),
  );

  // ── parents' notices ────────────────────────────────────────────────────────────────────────────
  app.get('/api/attendance/my/notices', { schema: { tags: ['attendance'] } }, async (req) => ({
    children: await myNotices(deps, requireAuth(req).person.id),
  }));
  app.post(
    '/api/attendance/my/notices',
    {
      schema: {
        tags: ['attendance'],
        summary: '«Маша не придёт»: a parent notifies an absence for a day or a range',
        body: Type.Object(
          {
            childId: Id,
            fromDay: Day,
            toDay: Day,
            reason: Reason,
            note: Type.Optional(Type.String({ maxLength: 500 })),
          },
          closed,
        ),
      },
    },
    async (req, reply) => {
      const a = requireAuth(req);
      return reply.code(201).send(await giveNotice(deps, a.person.id, auditContext(req, 'parent'), req.body));
    },
  );
  app.delete(
    '/api/attendance/my/notices/:id',
    { schema: { tags: ['attendance'], params: Type.Object({ id: Id }, closed) } },
    async (req, reply) => {
      await cancelNotice(deps, requireAuth(req).person.id, auditContext(req, 'parent'), req.params.id);
      return reply.code(204).send();
    },
  );

  // ── meal orders ─────────────────────────────────────────────────────────────────────────────────
  app.get(
    '/api/attendance/institutions/:id/orders',
    {
      schema: {
        tags: ['attendance'],
        params: Type.Object({ id: Id }, closed),
        querystring: Type.Object({ day: Type.Optional(Day) }, closed),
      },
    },
    async (req) => {
      const p = principal(req);
      await authorizeInstitution(db, p, 'meal_order', 'read', req.params.id);
      const [kg] = await new AttendanceRepository(db).kindergartens({ ids: [req.params.id] });
      const day = checkDay(req.query.day) ?? localTomorrow(clock.now().getTime(), kg!.timeZone);
      return (await ordersFor(deps, day, [kg!]))[0];
    },
  );
  app.put(
    '/api/attendance/institutions/:id/orders/:day',
    {
      schema: {
        tags: ['attendance'],
        summary: 'Correct a line of a draft order (until the cut-off); quantity null removes the correction',
        params: Type.Object({ id: Id, day: Day }, closed),
        body: Type.Object(
          {
            ageGroup: AgeGroup,
            diet: Diet,
            quantity: Type.Union([Type.Integer({ minimum: 0, maximum: 10000 }), Type.Null()]),
          },
          closed,
        ),
      },
    },
    async (req) => {
      const p = principal(req);
      const grant = await authorizeInstitution(db, p, 'meal_order', 'update', req.params.id);
      const day = checkDay(req.params.day)!;
      const [kg] = await new AttendanceRepository(db).kindergartens({ ids: [req.params.id] });
      await ordersFor(deps, day, [kg!]); // bring the draft up to date (or make it final past the cut-off)
      const now = clock.now();
      const changed = await db.transaction().execute(async (trx) => {
        const n = await new AttendanceRepository(trx).correctOrder(
          { institutionId: kg!.id, day, ageGroup: req.body.ageGroup, diet: req.body.diet },
          req.body.quantity,
          p.personId,
          now.toISOString(),
        );
        if (n > 0)
          await appendAudit(
            trx,
            auditContext(req, grant.role),
            {
              action: 'attendance.order.correct',
              targetKind: 'institution',
              targetId: kg!.id,
              institutionId: kg!.id,
              details: { day, ...req.body },
            },
            now,
          );
        return n;
      });
      if (changed === 0)
        throw new AppError(
          'conflict',
          'the order is final (past the cut-off) or has no such line; corrections are made before the cut-off',
        );
      return (await ordersFor(deps, day, [kg!]))[0];
    },
  );
  app.get(
    '/api/attendance/orders.csv',
    {
      schema: {
        tags: ['attendance'],
        summary: "The food supplier's export: one line per kindergarten × age group × diet",
        querystring: Type.Object({ day: Type.Optional(Day) }, closed),
      },
    },
    async (req, reply) => {
      const kgs = await kindergartensInReach(db, principal(req), 'meal_order');
      const day = checkDay(req.query.day) ?? localTomorrow(clock.now().getTime(), kgs[0]?.timeZone ?? 'UTC');
      const csv = supplierCsv(await ordersFor(deps, day, kgs));
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="meal-order-${day}.csv"`)
        .send(csv);
    },
  );

  // ── the dashboard ───────────────────────────────────────────────────────────────────────────────
  app.get(
    '/api/attendance/dashboard',
    {
      schema: {
        tags: ['attendance'],
        querystring: Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, closed),
      },
    },
    async (req) => dashboard(deps, principal(req), req.query),
  );

  // ── children's meal profile ────────────────────────────────────────────────────────────────────
  app.put(
    '/api/attendance/children/:id/meal-profile',
    {
      schema: {
        tags: ['attendance'],
        params: Type.Object({ id: Id }, closed),
        body: Type.Object({ ageGroup: AgeGroup, diet: Diet }, closed),
      },
    },
    async (req) => {
      const p = principal(req);
      const repo = new AttendanceRepository(db);
      const child = await repo.child(req.params.id);
      if (!child) throw new AppError('not_found', 'child not found');
      const grant = await authorizeInstitution(db, p, 'child', 'update', child.institution_id).catch(() => {
        throw new AppError('not_found', 'child not found');
      });
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await new AttendanceRepository(trx).setMealProfile(
          child.id,
          req.body.ageGroup,
          req.body.diet,
          now.toISOString(),
        );
        await appendAudit(
          trx,
          auditContext(req, grant.role),
          {
            action: 'attendance.child.meal_profile',
            targetKind: 'child',
            targetId: child.id,
            institutionId: child.institution_id,
            details: { ...req.body },
          },
          now,
        );
      });
      return { childId: child.id, ...req.body };
    },
  );

  if (cfg.jobs) jobs.start();
  if (mqtt) await mqtt.start();
  app.addHook('onClose', async () => {
    await jobs.stop();
    await mqtt?.close();
  });
  return services;
}
