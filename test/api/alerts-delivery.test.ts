/**
 * Alerts that reach people, end to end on the real app (SQLite and PostgreSQL): an alert raised →
 * an e-mail received by a real SMTP server and a signed webhook received by a real HTTP receiver
 * within seconds; a receiver that fails twice gets it on the third attempt (the delivery log shows
 * 3 attempts); preferences honoured; recipients scoped (out-of-scope people never get it); the
 * notification centre (unread count, mark read, resolve with comment, audited); webhook secrets
 * never returned after creation; two workers on one database deliver once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type KindergartenWorld } from '../support/factory.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../support/app.js';
import { eventually, TestSmtpServer } from '../support/mail.js';
import { raiseAlert, type NewAlert } from '../../src/alerts/raise.js';
import { systemClock } from '../../src/shared/clock.js';
import { verifyWebhookSignature } from '../../src/alerts/webhook-signature.js';
import { AlertDeliveryWorker, smtpMailer } from '../../src/alerts/delivery.js';
import { loadConfig } from '../../src/config/config.js';
import type { PersonRow } from '../../src/storage/repositories/persons.js';

interface Hit {
  at: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  answered: number;
}

/** A webhook receiver that answers 500 to the first `failFirst` requests, then 200. */
async function receiver(failFirst: number) {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = hits.length < failFirst ? 500 : 200;
      hits.push({
        at: Date.now(),
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
        answered,
      });
      res.writeHead(answered).end(answered === 200 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/okno-hook`;
  return { hits, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

for (const d of testDatabases()) {
  describe(`alert delivery (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let t: TestApp;
    let smtp: TestSmtpServer;
    let f: Factory;
    let w: KindergartenWorld;
    let operator: PersonRow;
    let admin: PersonRow;
    let auditor: PersonRow;
    let outsider: PersonRow;
    let otherAdmin: PersonRow;
    let op: TestSession;
    let ad: TestSession;
    let out: TestSession;

    const alert = (o: Partial<NewAlert> = {}) =>
      db.kysely.transaction().execute((trx) =>
        raiseAlert(trx, systemClock, {
          kind: 'camera_offline',
          severity: 'warning',
          regionId: w.region.id,
          institutionId: w.institution.id,
          roomId: w.group.id,
          cameraId: w.camera.id,
          title: `Камера «${w.camera.name}» не работает`,
          body: 'Камера недоступна.',
          evidence: { reason: 'unreachable', outageId: 'o-1' },
          ...o,
        }),
      );

    before(async () => {
      db = await d.open();
      smtp = await new TestSmtpServer().start();
      f = new Factory(db.kysely);
      const region = await f.region();
      w = await f.kindergartenWorld(region.id, 'A');
      await db.kysely
        .updateTable('persons')
        .set({ email: 'admin@sad.test' })
        .where('id', '=', w.admin.id)
        .execute();
      admin = { ...w.admin, email: 'admin@sad.test' };
      operator = await f.staff('city_operator', 'region', region.id, { email: 'operator@city.test' });
      auditor = await f.staff('auditor', 'region', region.id, { email: 'auditor@city.test' });
      // out of scope: another kindergarten's admin in the same region, and another region's operator
      const other = await f.kindergartenWorld(region.id, 'B');
      await db.kysely
        .updateTable('persons')
        .set({ email: 'b-admin@sad.test' })
        .where('id', '=', other.admin.id)
        .execute();
      otherAdmin = other.admin;
      const region2 = await f.region();
      outsider = await f.staff('city_operator', 'region', region2.id, { email: 'outsider@city2.test' });
      // a teacher of the group (room-scoped, may not read alerts) and a parent with e-mail
      await f.staff('teacher', 'room', w.group.id, { email: 'teacher@sad.test' });
      await db.kysely
        .updateTable('persons')
        .set({ email: 'parent@home.test' })
        .where('id', '=', w.parent.id)
        .execute();
      t = await buildTestApp(db, {
        overrides: {
          'alerts.delivery': true,
          'alerts.pollMs': 200,
          'alerts.retrySeconds': '1,1,2',
          'alerts.maxAttempts': 4,
          'smtp.host': '127.0.0.1',
          'smtp.port': smtp.port,
          'smtp.from': 'Окно <alerts@okno.test>',
        },
      });
      op = await sessionFor(t, operator.id);
      ad = await sessionFor(t, admin.id);
      out = await sessionFor(t, outsider.id);
    });
    after(async () => {
      await t?.close();
      await smtp?.close();
      await db?.close();
    });

    test('e-mail and a signed webhook within seconds; a receiver failing twice gets it on attempt 3', async (tc) => {
      const hook = await receiver(2);
      try {
        const created = await t.app.inject({
          method: 'POST',
          url: '/api/alerts/webhooks',
          headers: op.headers,
          payload: {
            regionId: w.region.id,
            url: hook.url,
            description: 'Дежурная часть',
            minSeverity: 'warning',
          },
        });
        assert.equal(created.statusCode, 201, created.body);
        const webhook = created.json<{ id: string; secret: string }>();
        assert.match(webhook.secret, /^whsec_/);
        // the secret is never returned again
        const list = await t.app.inject({ method: 'GET', url: '/api/alerts/webhooks', headers: op.headers });
        assert.equal(list.statusCode, 200);
        assert.ok(!list.body.includes(webhook.secret));
        assert.equal(list.json<{ items: unknown[] }>().items.length, 1);
        // not visible to another region's operator
        const theirs = await t.app.inject({
          method: 'GET',
          url: '/api/alerts/webhooks',
          headers: out.headers,
        });
        assert.deepEqual(theirs.json(), { items: [] });

        const raisedAt = Date.now();
        const a = await alert();
        const mail = await eventually(
          () => smtp.to('operator@city.test')[0],
          10_000,
          'e-mail to the operator',
        );
        assert.ok(mail.at - raisedAt < 5000, `e-mail after ${mail.at - raisedAt} ms`);
        tc.diagnostic(`raise → e-mail received: ${mail.at - raisedAt} ms`);
        assert.match(mail.subject, /Камера «Camera A» не работает/);
        assert.ok(mail.text.includes(`/notifications/${a.id}`), mail.text);
        assert.ok(mail.text.includes('reason: unreachable'));
        assert.equal(mail.from, 'alerts@okno.test');
        await eventually(() => smtp.to('admin@sad.test')[0], 5000, 'e-mail to the admin');
        await eventually(() => smtp.to('auditor@city.test')[0], 5000, 'e-mail to the auditor');

        const ok = await eventually(
          () => hook.hits.find((h) => h.answered === 200),
          15_000,
          'webhook success',
        );
        assert.equal(hook.hits.length, 3, 'two failures, then success');
        tc.diagnostic(`raise → first webhook attempt: ${hook.hits[0]!.at - raisedAt} ms`);
        assert.ok(
          hook.hits[0]!.at - raisedAt < 5000,
          `first webhook attempt after ${hook.hits[0]!.at - raisedAt} ms`,
        );
        // retries carry the same delivery id; every attempt is signed with the endpoint's secret
        assert.equal(new Set(hook.hits.map((h) => h.headers['okno-delivery'])).size, 1);
        for (const h of hook.hits) {
          const v = verifyWebhookSignature(
            webhook.secret,
            {
              timestamp: h.headers['okno-timestamp'] as string,
              signature: h.headers['okno-signature'] as string,
            },
            h.body,
            Math.floor(Date.now() / 1000),
          );
          assert.deepEqual(v, { ok: true });
        }
        assert.deepEqual(
          verifyWebhookSignature(
            'whsec_wrong',
            {
              timestamp: ok.headers['okno-timestamp'] as string,
              signature: ok.headers['okno-signature'] as string,
            },
            ok.body,
            Math.floor(Date.now() / 1000),
          ),
          { ok: false, reason: 'mismatch' },
        );
        const payload = JSON.parse(ok.body) as { alert: { id: string; kind: string; evidence: unknown } };
        assert.equal(payload.alert.id, a.id);
        assert.equal(payload.alert.kind, 'camera_offline');
        assert.deepEqual(payload.alert.evidence, { reason: 'unreachable', outageId: 'o-1' });
        assert.equal(ok.headers['okno-event'], 'camera_offline');

        // the delivery log: the webhook with 3 attempts, each e-mail with 1
        const log = await eventually(
          async () => {
            const r = await t.app.inject({
              method: 'GET',
              url: `/api/alerts/deliveries?alertId=${a.id}`,
              headers: op.headers,
            });
            const items = r.json<{
              items: {
                channel: string;
                status: string;
                attempts: number;
                target: string;
                lastError: string | null;
                lastStatusCode: number | null;
              }[];
            }>().items;
            return items.find((i) => i.channel === 'webhook')?.status === 'sent' ? items : undefined;
          },
          5000,
          'the log to show the webhook sent',
        );
        const wh = log.find((i) => i.channel === 'webhook')!;
        assert.equal(wh.attempts, 3);
        assert.equal(wh.lastStatusCode, 200);
        assert.equal(wh.lastError, null);
        const emails = log.filter((i) => i.channel === 'email').map((i) => [i.target, i.status, i.attempts]);
        assert.deepEqual(emails.sort(), [
          ['admin@sad.test', 'sent', 1],
          ['auditor@city.test', 'sent', 1],
          ['operator@city.test', 'sent', 1],
        ]);
        // out of scope: nobody else was written to
        for (const addr of [
          'b-admin@sad.test',
          'outsider@city2.test',
          'teacher@sad.test',
          'parent@home.test',
        ])
          assert.deepEqual(smtp.to(addr), [], addr);
        const outsiderLog = await t.app.inject({
          method: 'GET',
          url: `/api/alerts/deliveries?alertId=${a.id}`,
          headers: out.headers,
        });
        assert.deepEqual(outsiderLog.json(), { items: [] });
        await t.app.inject({
          method: 'DELETE',
          url: `/api/alerts/webhooks/${webhook.id}`,
          headers: op.headers,
        });
      } finally {
        await hook.close();
      }
    });

    test('recipients are scoped: notifications only for people whose scope covers the alert', async () => {
      const a = await alert({ title: 'Проверка адресатов', dedupeKey: null });
      await eventually(async () => {
        const r = await db.kysely
          .selectFrom('alert_notifications')
          .selectAll()
          .where('alert_id', '=', a.id)
          .execute();
        return r.length > 0 ? r : undefined;
      });
      const rows = await db.kysely
        .selectFrom('alert_notifications')
        .select('person_id')
        .where('alert_id', '=', a.id)
        .execute();
      assert.deepEqual(rows.map((r) => r.person_id).sort(), [admin.id, operator.id, auditor.id].sort());
      const detail = await t.app.inject({ method: 'GET', url: `/api/alerts/${a.id}`, headers: out.headers });
      assert.equal(detail.statusCode, 404);
      const other = await sessionFor(t, otherAdmin.id);
      assert.equal(
        (await t.app.inject({ method: 'GET', url: `/api/alerts/${a.id}`, headers: other.headers }))
          .statusCode,
        404,
      );
      const resolve = await t.app.inject({
        method: 'POST',
        url: `/api/alerts/${a.id}/resolve`,
        headers: out.headers,
        payload: { comment: 'не моё' },
      });
      assert.equal(resolve.statusCode, 404);
      assert.equal(
        (await db.kysely.selectFrom('alerts').select('resolved_at').where('id', '=', a.id).executeTakeFirst())
          ?.resolved_at,
        null,
      );
    });

    test('the notification centre: unread count, mark read, resolve with a comment (audited, once)', async () => {
      await t.app.inject({
        method: 'POST',
        url: '/api/alerts/notifications/read',
        headers: ad.headers,
        payload: { all: true },
      });
      const a = await alert({ title: 'Для колокольчика', severity: 'critical', dedupeKey: null });
      const count = await eventually(async () => {
        const r = await t.app.inject({
          method: 'GET',
          url: '/api/alerts/notifications/count',
          headers: ad.headers,
        });
        const n = r.json<{ unread: number }>().unread;
        return n > 0 ? n : undefined;
      });
      assert.equal(count, 1);
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/alerts/notifications?unread=true',
        headers: ad.headers,
      });
      const body = list.json<{
        items: { id: string; read: boolean; evidence: unknown; kindName: string }[];
        unreadCount: number;
      }>();
      assert.equal(body.unreadCount, 1);
      assert.equal(body.items[0]!.id, a.id);
      assert.equal(body.items[0]!.kindName, 'Камера не работает');
      assert.deepEqual(body.items[0]!.evidence, { reason: 'unreachable', outageId: 'o-1' });
      const bad = await t.app.inject({
        method: 'POST',
        url: `/api/alerts/${a.id}/resolve`,
        headers: ad.headers,
        payload: { comment: 5 },
      });
      assert.equal(bad.statusCode, 400);
      const short = await t.app.inject({
        method: 'POST',
        url: `/api/alerts/${a.id}/resolve`,
        headers: ad.headers,
        payload: { comment: ' a ' },
      });
      assert.equal(short.statusCode, 400);
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/alerts/${a.id}/resolve`,
        headers: ad.headers,
        payload: { comment: 'Камеру перезагрузили, работает' },
      });
      assert.equal(res.statusCode, 200, res.body);
      const resolved = res.json<{
        resolvedAt: string;
        resolutionComment: string;
        resolvedByName: string;
        read: boolean;
      }>();
      assert.equal(resolved.resolutionComment, 'Камеру перезагрузили, работает');
      assert.equal(resolved.resolvedByName, admin.display_name);
      assert.equal(resolved.read, true);
      const again = await t.app.inject({
        method: 'POST',
        url: `/api/alerts/${a.id}/resolve`,
        headers: op.headers,
        payload: { comment: 'ещё раз' },
      });
      assert.equal(again.statusCode, 409);
      const audit = await db.kysely
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'alert.resolve')
        .where('target_id', '=', a.id)
        .execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.actor_person_id, admin.id);
      assert.equal(audit[0]!.actor_role, 'kindergarten_admin');
      const after = await t.app.inject({
        method: 'GET',
        url: '/api/alerts/notifications/count',
        headers: ad.headers,
      });
      assert.equal(after.json<{ unread: number }>().unread, 0);
      // the auditor may read but not resolve
      const aud = await sessionFor(t, auditor.id);
      const a2 = await alert({ title: 'Второе', dedupeKey: null });
      await eventually(
        async () =>
          (await t.app.inject({ method: 'GET', url: `/api/alerts/${a2.id}`, headers: aud.headers }))
            .statusCode === 200,
      );
      const forbidden = await t.app.inject({
        method: 'POST',
        url: `/api/alerts/${a2.id}/resolve`,
        headers: aud.headers,
        payload: { comment: 'не могу' },
      });
      assert.equal(forbidden.statusCode, 403);
    });

    test('preferences: e-mail off, minimum severity, muted kinds — in the app everything still shows', async () => {
      const put = (s: TestSession, body: Record<string, unknown>) =>
        t.app.inject({ method: 'PUT', url: '/api/alerts/preferences', headers: s.headers, payload: body });
      assert.equal(
        (await put(ad, { emailEnabled: false, emailMinSeverity: 'info', emailMutedKinds: [] })).statusCode,
        200,
      );
      assert.equal(
        (await put(op, { emailEnabled: true, emailMinSeverity: 'critical', emailMutedKinds: [] })).statusCode,
        200,
      );
      const aud = await sessionFor(t, auditor.id);
      assert.equal(
        (await put(aud, { emailEnabled: true, emailMinSeverity: 'info', emailMutedKinds: ['video.*'] }))
          .statusCode,
        200,
      );
      const badKind = await put(aud, {
        emailEnabled: true,
        emailMinSeverity: 'info',
        emailMutedKinds: ['Bad Kind!'],
      });
      assert.equal(badKind.statusCode, 400);
      const badSeverity = await put(aud, {
        emailEnabled: true,
        emailMinSeverity: 'loud',
        emailMutedKinds: [],
      });
      assert.equal(badSeverity.statusCode, 400);
      const mine = await t.app.inject({
        method: 'GET',
        url: '/api/alerts/preferences',
        headers: aud.headers,
      });
      assert.deepEqual(mine.json<{ emailMutedKinds: string[] }>().emailMutedKinds, ['video.*']);

      const before = smtp.mails.length;
      const warn = await alert({
        kind: 'video.privileged_view',
        title: 'Просмотр',
        severity: 'warning',
        dedupeKey: null,
      });
      const crit = await alert({
        kind: 'access.widened',
        title: 'Расширен доступ',
        severity: 'critical',
        dedupeKey: null,
      });
      await eventually(async () => {
        const rows = await db.kysely
          .selectFrom('alerts')
          .select('id')
          .where('id', 'in', [warn.id, crit.id])
          .where('fanned_out_at', 'is not', null)
          .execute();
        return rows.length === 2;
      });
      const ours = () =>
        smtp.mails
          .slice(before)
          .filter((m) => m.subject.includes('Просмотр') || m.subject.includes('Расширен доступ'));
      await eventually(() => ours().length >= 2, 5000, 'two e-mails');
      await new Promise((r) => setTimeout(r, 600)); // nothing more comes
      const got = ours().map((m) => `${m.to.join()}:${m.subject.includes('Просмотр') ? 'view' : 'widened'}`);
      assert.deepEqual(got.sort(), ['auditor@city.test:widened', 'operator@city.test:widened']);
      // in the app, the admin (e-mail off) has both
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/alerts/notifications',
        headers: ad.headers,
      });
      const ids = list.json<{ items: { id: string }[] }>().items.map((i) => i.id);
      assert.ok(ids.includes(warn.id) && ids.includes(crit.id));
      const audited = await db.kysely
        .selectFrom('audit_log')
        .select('id')
        .where('action', '=', 'alert.preferences.set')
        .execute();
      assert.equal(audited.length, 3);
      await put(ad, { emailEnabled: true, emailMinSeverity: 'warning', emailMutedKinds: [] });
      await put(op, { emailEnabled: true, emailMinSeverity: 'warning', emailMutedKinds: [] });
    });

    test('webhook endpoints: bad input changes nothing; an admin manages only their institution', async () => {
      const post = (s: TestSession, body: Record<string, unknown>) =>
        t.app.inject({ method: 'POST', url: '/api/alerts/webhooks', headers: s.headers, payload: body });
      assert.equal(
        (await post(ad, { institutionId: w.institution.id, url: 'ftp://x.test/hook' })).statusCode,
        400,
      );
      assert.equal(
        (await post(ad, { institutionId: w.institution.id, url: 'https://u:p@x.test/hook' })).statusCode,
        400,
      );
      assert.equal(
        (await post(ad, { institutionId: w.institution.id, regionId: w.region.id, url: 'https://x.test/h' }))
          .statusCode,
        400,
      );
      assert.equal(
        (await post(ad, { regionId: w.region.id, url: 'https://x.test/hook' })).statusCode,
        404,
        'a region is not the admin’s',
      );
      assert.equal(
        (await post(out, { institutionId: w.institution.id, url: 'https://x.test/hook' })).statusCode,
        404,
      );
      assert.equal(
        await db.kysely
          .selectFrom('alert_webhooks')
          .select('id')
          .execute()
          .then((r) => r.length),
        0,
      );
      const ok = await post(ad, {
        institutionId: w.institution.id,
        url: 'https://x.test/hook',
        kinds: ['camera_offline', 'video.*'],
      });
      assert.equal(ok.statusCode, 201);
      const id = ok.json<{ id: string }>().id;
      const rotated = await t.app.inject({
        method: 'PATCH',
        url: `/api/alerts/webhooks/${id}`,
        headers: ad.headers,
        payload: { rotateSecret: true, enabled: false },
      });
      assert.equal(rotated.statusCode, 200);
      assert.match(rotated.json<{ secret: string }>().secret, /^whsec_/);
      assert.equal(rotated.json<{ enabled: boolean }>().enabled, false);
      assert.equal(
        (
          await t.app.inject({
            method: 'PATCH',
            url: `/api/alerts/webhooks/${id}`,
            headers: out.headers,
            payload: { enabled: true },
          })
        ).statusCode,
        404,
      );
      const aud = await sessionFor(t, auditor.id);
      assert.equal(
        (
          await t.app.inject({
            method: 'PATCH',
            url: `/api/alerts/webhooks/${id}`,
            headers: aud.headers,
            payload: { enabled: true },
          })
        ).statusCode,
        403,
      );
      const audits = await db.kysely
        .selectFrom('audit_log')
        .select(['action', 'details'])
        .where('target_id', '=', id)
        .execute();
      assert.deepEqual(audits.map((a) => a.action).sort(), ['alert.webhook.create', 'alert.webhook.update']);
      for (const a of audits) assert.ok(!String(a.details).includes('whsec_'), 'no secret in the audit log');
      assert.equal(
        (await t.app.inject({ method: 'DELETE', url: `/api/alerts/webhooks/${id}`, headers: ad.headers }))
          .statusCode,
        204,
      );
    });

    test('two workers on one database deliver every e-mail once', async () => {
      // the app's own worker is stopped: two workers of two "processes" share the database
      await t.ctx.alertDelivery!.stop();
      const config = loadConfig({
        env: {},
        overrides: {
          'alerts.pollMs': 100,
          'smtp.host': '127.0.0.1',
          'smtp.port': smtp.port,
          logLevel: 'silent',
        },
      });
      const workers = ['p1', 'p2'].map(
        (holder) =>
          new AlertDeliveryWorker({
            db: db.kysely,
            clock: systemClock,
            config,
            holder,
            mailer: smtpMailer(config),
          }),
      );
      for (const wk of workers) wk.start();
      try {
        const before = smtp.mails.length;
        const raised = [];
        for (let i = 0; i < 5; i++) raised.push(await alert({ title: `Пачка ${i}`, dedupeKey: null }));
        // 5 alerts × 3 recipients with e-mail (admin, operator, auditor)
        const ours = () => smtp.mails.slice(before).filter((m) => m.subject.includes('Пачка'));
        await eventually(() => ours().length >= 15, 15_000, '15 e-mails');
        await new Promise((r) => setTimeout(r, 800));
        assert.equal(ours().length, 15);
        const perAlert = new Map<string, number>();
        for (const m of ours())
          perAlert.set(`${m.to.join()}|${m.subject}`, (perAlert.get(`${m.to.join()}|${m.subject}`) ?? 0) + 1);
        assert.ok([...perAlert.values()].every((n) => n === 1));
        assert.equal(workers.filter((wk) => wk.holdsLease).length, 1, 'one holds the lease');
        assert.ok(workers.find((wk) => !wk.holdsLease)!.stats.fannedOut === 0);
      } finally {
        for (const wk of workers) await wk.stop();
      }
    });
  });
}
