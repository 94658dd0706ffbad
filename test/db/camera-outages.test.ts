/**
 * Camera outages (migration 0012) on SQLite and PostgreSQL: open → close, the alert raised with the
 * row marked in one transaction, newest first, and a close never moves the end before the start.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type KindergartenWorld } from '../support/factory.js';
import { CameraOutagesRepository } from '../../src/storage/repositories/camera-outages.js';

for (const d of testDatabases()) {
  describe(`camera outages (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let w: KindergartenWorld;
    let repo: CameraOutagesRepository;
    before(async () => {
      db = await d.open();
      const f = new Factory(db.kysely);
      w = await f.kindergartenWorld((await f.region()).id, 'O');
      repo = new CameraOutagesRepository(db.kysely);
    });
    after(() => db.close());

    test('open, alert, close; the place of the camera for the alert', async () => {
      const cameraId = w.camera.id;
      await repo.open({
        id: 'a0000000-0000-4000-8000-000000000001',
        camera_id: cameraId,
        started_at: '2026-03-02T10:00:00.000Z',
        reason: 'unreachable',
        detail: 'the camera cannot be reached',
      });
      await repo.open({
        id: 'a0000000-0000-4000-8000-000000000002',
        camera_id: cameraId,
        started_at: '2026-03-02T11:00:00.000Z',
        reason: 'stalled',
        detail: 'timestamps stopped advancing',
      });
      await repo.markAlerted('a0000000-0000-4000-8000-000000000002', '2026-03-02T11:01:00.000Z');
      await repo.close('a0000000-0000-4000-8000-000000000002', '2026-03-02T11:05:00.000Z');
      const rows = await repo.recent([cameraId], 10);
      assert.deepEqual(
        rows.map((r) => [r.reason, r.ended_at, r.alerted_at]),
        [
          ['stalled', '2026-03-02T11:05:00.000Z', '2026-03-02T11:01:00.000Z'],
          ['unreachable', null, null],
        ],
      );
      await assert.rejects(repo.close('a0000000-0000-4000-8000-000000000001', '2026-03-02T09:00:00.000Z'));
      const place = await repo.placeOf(cameraId);
      assert.equal(place?.institutionId, w.institution.id);
      assert.equal(place?.regionId, w.region.id);
      assert.equal(await repo.placeOf('a0000000-0000-4000-8000-00000000ffff'), undefined);
    });
  });
}
