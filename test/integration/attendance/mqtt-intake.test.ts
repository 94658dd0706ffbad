/**
 * An analytics event through a real Mosquitto broker: the test publishes a signed batch to
 * okno/attendance/<device>/events, the app's MQTT subscriber stores it and answers on .../result; an
 * unsigned message is refused (answered, counted, nothing stored). Uses the broker on 127.0.0.1:1883
 * when one listens, else starts `mosquitto` on a free port; under CI a missing broker is a failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { signBody } from '../../../src/attendance/signature.js';
import { buildTestApp, sessionFor, type TestApp } from '../../support/app.js';
import { openSqliteTestDb, type TestDb } from '../../support/db.js';
import { Factory } from '../../support/factory.js';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const haveMosquitto = spawnSync('sh', ['-c', 'command -v mosquitto'], { stdio: 'ignore' }).status === 0;
const have1883 = await listening(1883);
if (!haveMosquitto && !have1883 && process.env.CI)
  throw new Error('Mosquitto is required in CI (scripts/setup-test-env.sh installs it)');
const skip = !haveMosquitto && !have1883 ? 'no MQTT broker (install mosquitto)' : false;

describe('attendance events through a real Mosquitto broker', { skip }, () => {
  let broker: ChildProcess | undefined;
  let url = 'mqtt://127.0.0.1:1883';
  let db: TestDb;
  let t: TestApp;
  let device: { id: string; secret: string };
  let client: MqttClient;
  const results: Record<string, unknown>[] = [];

  before(async () => {
    if (!have1883) {
      const port = await freePort();
      broker = spawn('mosquitto', ['-p', String(port)], { stdio: 'ignore' });
      for (let i = 0; i < 100 && !(await listening(port)); i++) await new Promise((r) => setTimeout(r, 100));
      url = `mqtt://127.0.0.1:${port}`;
    }
    db = await openSqliteTestDb();
    t = await buildTestApp(db, { overrides: { 'attendance.mqttUrl': url, 'attendance.jobs': false } });
    const f = new Factory(db.kysely);
    const w = await f.kindergartenWorld((await f.region()).id, 'M');
    const entrance = await f.room(w.institution.id, { kind: 'entrance', name: 'Вход' });
    const camera = await f.camera(entrance.id);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/attendance/devices',
      headers: (await sessionFor(t, w.admin.id)).headers,
      payload: { cameraId: camera.id },
    });
    device = res.json();
    await t.app.attendance.mqtt!.ready();
    client = await mqtt.connectAsync(url, { clientId: `okno-test-device-${process.pid}` });
    await client.subscribeAsync(`okno/attendance/${device.id}/result`, { qos: 1 });
    client.on('message', (_topic, payload) =>
      results.push(JSON.parse(payload.toString()) as Record<string, unknown>),
    );
  });
  after(async () => {
    await client?.endAsync();
    await t?.close();
    await db?.close();
    broker?.kill();
  });

  const nextResult = async (n: number) => {
    for (let i = 0; i < 200 && results.length < n; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(results.length >= n, 'no answer on the result topic');
    return results[n - 1]!;
  };

  test('a signed batch published to the broker is stored', async () => {
    const body = JSON.stringify({
      events: [{ eventId: 'mq-1', at: new Date().toISOString(), direction: 'in', count: 3 }],
    });
    const timestamp = Math.floor(Date.now() / 1000);
    await client.publishAsync(
      `okno/attendance/${device.id}/events`,
      JSON.stringify({ timestamp, signature: signBody(device.secret, timestamp, body), body }),
      { qos: 1 },
    );
    const r = await nextResult(1);
    assert.deepEqual(r, { ok: true, accepted: 1, duplicates: 0, rejected: [] });
    const row = await db.kysely.selectFrom('attendance_events').selectAll().executeTakeFirstOrThrow();
    assert.equal(row.device_event_id, 'mq-1');
    assert.equal(row.via, 'mqtt');
    assert.equal(row.count, 3);
  });

  test('an unsigned message is refused, counted and changes nothing', async () => {
    const body = JSON.stringify({
      events: [{ eventId: 'mq-2', at: new Date().toISOString(), direction: 'in' }],
    });
    await client.publishAsync(`okno/attendance/${device.id}/events`, JSON.stringify({ body }), { qos: 1 });
    const r = await nextResult(2);
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'unsigned');
    const n = await db.kysely
      .selectFrom('attendance_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 1);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /okno_attendance_refused_total\{via="mqtt",reason="unsigned"\} 1/);
  });
});
