/**
 * Issue 13 point 3 with the real RTSP camera and the default camera settings: an office camera that
 * goes dark is alerted and the alert is delivered — by e-mail to the office head (a real SMTP server)
 * and by a signed webhook of the office (a real HTTP receiver) — within 60 s of the camera going dark.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp } from '../../support/app.js';
import { Factory, type OfficeWorld } from '../../support/factory.js';
import { eventually, TestSmtpServer } from '../../support/mail.js';
import { skipWithoutRtspCamera, startRtspCamera, type RtspCamera } from '../../support/rtsp-camera.js';
import { verifyWebhookSignature } from '../../../src/alerts/webhook-signature.js';

describe(
  'an office camera dark in working hours: alerted and delivered within 60 s',
  { skip: skipWithoutRtspCamera() },
  () => {
    let db: TestDb;
    let t: TestApp;
    let smtp: TestSmtpServer;
    let cam: RtspCamera | undefined;
    let w: OfficeWorld;
    const hits: { at: number; body: string; headers: http.IncomingHttpHeaders }[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push({ at: Date.now(), body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        res.writeHead(204).end();
      });
    });

    before(async () => {
      db = await openSqliteTestDb();
      smtp = await new TestSmtpServer().start();
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
      const f = new Factory(db.kysely);
      w = await f.officeWorld((await f.region()).id, 'D');
      await db.kysely
        .updateTable('persons')
        .set({ email: 'head@office.test' })
        .where('id', '=', w.head.id)
        .execute();
      // default camera and alert settings: only delivery is switched on and pointed at the test servers
      t = await buildTestApp(db, {
        overrides: { 'alerts.delivery': true, 'smtp.host': '127.0.0.1', 'smtp.port': smtp.port },
      });
    });
    after(async () => {
      await t?.close();
      await cam?.stop();
      await smtp?.close();
      await new Promise<void>((r) => receiver.close(() => r()));
      await db?.close();
    });

    test('kill the camera → e-mail and signed webhook within 60 s', async () => {
      const head = await sessionFor(t, w.head.id);
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/alerts/webhooks',
        headers: head.headers,
        payload: { institutionId: w.institution.id, url, kinds: ['camera_offline'] },
      });
      assert.equal(created.statusCode, 201, created.body);
      const secret = created.json<{ secret: string }>().secret;
      cam = await startRtspCamera({ keyIntFrames: 10 });
      await db.kysely
        .updateTable('cameras')
        .set({ source_url: cam.url, source_username: null, source_password: null })
        .where('id', '=', w.camera.id)
        .execute();
      // pinned, as the recorder pins an office camera that records (a viewer would do the same)
      const release = await t.ctx.live.cameras.pin(w.camera.id);
      const state = () => t.ctx.live.cameras.state(w.camera.id);
      await eventually(() => state() === 'live', 30_000, 'the camera live');
      const darkAt = Date.now();
      await cam.kill();
      const mail = await eventually(() => smtp.to('head@office.test')[0], 60_000, 'the e-mail').catch(
        async (e: unknown) => {
          console.log(
            JSON.stringify({
              state: state(),
              outages: await db.kysely.selectFrom('camera_outages').selectAll().execute(),
              alerts: await db.kysely.selectFrom('alerts').selectAll().execute(),
              deliveries: await db.kysely.selectFrom('alert_deliveries').selectAll().execute(),
              notifications: await db.kysely.selectFrom('alert_notifications').selectAll().execute(),
            }),
          );
          throw e;
        },
      );
      const hook = await eventually(() => hits[0], 5_000, 'the webhook');
      const mailS = (mail.at - darkAt) / 1000;
      const hookS = (hook.at - darkAt) / 1000;
      assert.ok(mailS < 60, `e-mail ${mailS} s after the camera went dark`);
      assert.ok(hookS < 60, `webhook ${hookS} s after the camera went dark`);
      assert.match(mail.subject, /не работает/);
      const v = verifyWebhookSignature(
        secret,
        {
          timestamp: hook.headers['okno-timestamp'] as string,
          signature: hook.headers['okno-signature'] as string,
        },
        hook.body,
        Math.floor(Date.now() / 1000),
      );
      assert.deepEqual(v, { ok: true });
      const payload = JSON.parse(hook.body) as {
        alert: { kind: string; cameraId: string; evidence: { darkSince: string } };
      };
      assert.equal(payload.alert.kind, 'camera_offline');
      assert.equal(payload.alert.cameraId, w.camera.id);
      assert.ok(payload.alert.evidence.darkSince);
      release();
      console.log(`camera dark → e-mail ${mailS.toFixed(1)} s, webhook ${hookS.toFixed(1)} s`);
    });
  },
);
