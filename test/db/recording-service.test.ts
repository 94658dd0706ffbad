/**
 * The recording service on real databases, simulated time and a simulated live plane: schedule-driven
 * recording follows working hours in the institution's zone and closed days; retention deletes what
 * expired (per institution and room kind) except under a legal hold, and every sweep is audited; the
 * disk guard stops recording before the disk is full and only ring buffers give up old video.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory } from '../support/factory.js';
import { loadConfig } from '../../src/config/config.js';
import { RecordingService, type LiveSource } from '../../src/recording/service.js';
import type { SupervisorEvents } from '../../src/media/supervisor.js';
import type { InitSegment } from '../../src/media/fmp4.js';
import { verifyAuditChain } from '../../src/audit/audit-log.js';
import { newId } from '../../src/shared/ids.js';
import { FakeClock, feed, syntheticCamera, type FragmentSource } from '../unit/recording/helpers.js';

class FakeLive implements LiveSource {
  readonly cams = new Map<
    string,
    { hub: { init: InitSegment | undefined }; supervisor: EventEmitter<SupervisorEvents> }
  >();
  pins = new Map<string, number>();
  async pin(cameraId: string): Promise<() => void> {
    if (!this.cams.has(cameraId))
      this.cams.set(cameraId, { hub: { init: undefined }, supervisor: new EventEmitter() });
    this.pins.set(cameraId, (this.pins.get(cameraId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pins.set(cameraId, (this.pins.get(cameraId) ?? 0) - 1);
    };
  }
  get(cameraId: string) {
    return this.cams.get(cameraId);
  }
  pinned(cameraId: string): boolean {
    return (this.pins.get(cameraId) ?? 0) > 0;
  }
  /** The camera sends video for `ms` (when it is running). */
  play(cameraId: string, src: FragmentSource, clock: FakeClock, ms: number): void {
    const cam = this.cams.get(cameraId);
    if (!cam || !this.pinned(cameraId)) {
      clock.advance(ms);
      return;
    }
    if (!cam.hub.init) {
      cam.hub.init = src.init;
      cam.supervisor.emit('init', src.init);
    }
    feed(src, clock, ms, (f) => cam.supervisor.emit('fragment', f));
  }
}

for (const d of testDatabases()) {
  describe(`recording service (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let dataDir: string;
    let f: Factory;
    let regionId: string;

    before(async () => {
      db = await d.open();
      f = new Factory(db.kysely);
      regionId = (await f.region()).id;
    });
    beforeEach(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), 'okno-recsvc-'));
    });
    after(async () => {
      await db.close();
    });

    function service(
      clock: FakeClock,
      live: LiveSource,
      overrides: Record<string, unknown> = {},
      free?: () => number,
    ) {
      const config = loadConfig({
        env: {},
        overrides: { dataDir, 'recording.segmentSeconds': 10, 'recording.minFreeBytes': 1000, ...overrides },
      });
      return new RecordingService({
        db: db.kysely,
        live,
        clock,
        config,
        ...(free ? { freeBytes: async () => free() } : {}),
      });
    }

    test('schedule: records in working hours (institution time zone), not after them, not on closed days', async () => {
      const w = await f.officeWorld(regionId);
      await db.kysely
        .updateTable('cameras')
        .set({ recording_policy: 'schedule' })
        .where('id', '=', w.camera.id)
        .execute();
      // Working "hours" of one minute, 09:00–09:01 Moscow time (UTC+3), on Monday, Tuesday and Thursday;
      // Tuesday 2026-03-03 is a closed day.
      for (const weekday of [1, 2, 4])
        await db.kysely
          .insertInto('recording_schedules')
          .values({
            id: newId(),
            room_id: w.workplace.id,
            weekday,
            start_time: '09:00',
            end_time: '09:01',
            created_at: new Date().toISOString(),
          })
          .execute();
      await f.closedDay(w.institution.id, { day: '2026-03-03' });
      const clock = new FakeClock(Date.parse('2026-03-02T05:59:50.000Z')); // Monday 08:59:50 local
      const live = new FakeLive();
      const svc = service(clock, live);
      await svc.start({ timers: false });
      const cam = w.camera.id;
      const src = syntheticCamera();
      assert.equal(live.pinned(cam), false, 'before working hours the camera is not even started');
      const pinnedAt: string[] = [];
      for (let i = 0; i < 80; i++) {
        live.play(cam, src, clock, 1000);
        await svc.tick();
        if (live.pinned(cam)) pinnedAt.push(clock.now().toISOString().slice(11, 19));
      }
      assert.equal(pinnedAt[0], '06:00:00');
      assert.equal(pinnedAt.at(-1), '06:00:59', 'released at 09:01 local');
      await svc.idle();

      clock.set('2026-03-03T06:00:30.000Z'); // Tuesday 09:00:30, a closed day
      await svc.tick();
      assert.equal(live.pinned(cam), false);
      clock.set('2026-03-04T06:00:30.000Z'); // Wednesday: no working hours
      await svc.tick();
      assert.equal(live.pinned(cam), false);
      clock.set('2026-03-05T06:00:10.000Z'); // Thursday 09:00:10
      await svc.tick();
      assert.equal(live.pinned(cam), true);
      live.play(cam, src, clock, 5000);
      await svc.close();

      const gaps = await svc.repo.gapsOverlapping(
        cam,
        Date.parse('2026-03-01T00:00:00Z'),
        Date.parse('2026-03-06T00:00:00Z'),
      );
      const segs = await svc.repo.segmentsOverlapping(cam, 0, Date.parse('2030-01-01T00:00:00Z'));
      assert.deepEqual(
        gaps.map((g) => g.cause),
        ['policy_off', 'policy_off'],
      );
      const monday = segs.filter((s) => s.startMs < Date.parse('2026-03-03T00:00:00Z'));
      const thursday = segs.filter((s) => s.startMs > Date.parse('2026-03-05T00:00:00Z'));
      assert.equal(monday.length, 6, 'one minute in 10 s segments');
      assert.ok(Math.abs(monday[0]!.startMs - Date.parse('2026-03-02T06:00:00.000Z')) <= 1000);
      assert.ok(Math.abs(monday.at(-1)!.endMs - Date.parse('2026-03-02T06:01:00.000Z')) <= 1000);
      assert.equal(gaps[0]!.endMs, monday[0]!.startMs, 'the gap before ends where recording starts');
      assert.equal(gaps[1]!.startMs, monday.at(-1)!.endMs, 'the gap after starts where it stops');
      assert.equal(thursday.length, 1);
      assert.equal(gaps[1]!.endMs, thursday[0]!.startMs, 'and lasts until Thursday');
    });

    test('retention per institution and room kind, legal holds exempt, every sweep audited', async () => {
      const w = await f.officeWorld(regionId);
      const hall = await f.room(w.institution.id, { kind: 'hall' });
      const hallCam = await f.camera(hall.id, { recording_policy: 'continuous' });
      await db.kysely
        .insertInto('recording_retention')
        .values({
          id: newId(),
          institution_id: w.institution.id,
          room_kind: 'workplace',
          days: 10,
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: '2026-01-01T00:00:00.000Z',
        })
        .execute();
      const clock = new FakeClock(Date.parse('2026-04-01T08:00:00.000Z'));
      const live = new FakeLive();
      const svc = service(clock, live, { 'recording.retentionDaysDefault': 30 });
      await svc.start({ timers: false });
      // Record 3 segments on each camera on 1 April.
      for (const cam of [w.camera.id, hallCam.id]) live.play(cam, syntheticCamera(), clock, 25_000);
      await svc.close();
      const hold = {
        id: newId(),
        camera_id: w.camera.id,
        from_at: '2026-04-01T08:00:12.000Z',
        to_at: '2026-04-01T08:00:14.000Z',
        reason: 'complaint 17/2026 under investigation',
        placed_by: null,
        placed_at: '2026-04-02T00:00:00.000Z',
        lifted_by: null,
        lifted_at: null,
        lift_reason: null,
      };
      await db.kysely.insertInto('legal_holds').values(hold).execute();
      const deskSegs = await svc.repo.segmentsOverlapping(w.camera.id, 0, Date.parse('2030-01-01T00:00:00Z'));
      const hallSegs = await svc.repo.segmentsOverlapping(hallCam.id, 0, Date.parse('2030-01-01T00:00:00Z'));
      assert.equal(deskSegs.length, 3);
      assert.equal(hallSegs.length, 3);

      const mine = (r: Awaited<ReturnType<typeof svc.sweep>>) =>
        r.cameras.filter((c) => c.cameraId === w.camera.id || c.cameraId === hallCam.id);
      clock.set('2026-04-10T09:00:00.000Z'); // 9 days later: nothing expired yet
      let r = await svc.sweep();
      assert.deepEqual(mine(r), []);

      clock.set('2026-04-11T09:00:00.000Z'); // the workplace (10 days) expired, the hall (30 days) not
      r = await svc.sweep();
      assert.deepEqual(
        mine(r).map((c) => [c.cameraId, c.deletedSegments, c.heldSegments]),
        [[w.camera.id, 2, 1]],
      );
      const left = await svc.repo.segmentsOverlapping(w.camera.id, 0, Date.parse('2030-01-01T00:00:00Z'));
      assert.deepEqual(
        left.map((s) => s.id),
        [deskSegs[1]!.id],
        'only the held segment is left',
      );
      for (const s of [deskSegs[0]!, deskSegs[2]!])
        await assert.rejects(access(path.join(svc.root, s.path)), 'its file is gone too');
      await access(path.join(svc.root, deskSegs[1]!.path));
      assert.equal((await svc.repo.segmentsOverlapping(hallCam.id, 0, 2e12)).length, 3);

      const audits = await db.kysely
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'recording.sweep')
        .orderBy('seq')
        .execute();
      type SweepDetails = {
        deletedSegments: number;
        heldSegments: number;
        cameras: { cameraId: string; deletedFrom: string; deletedTo: string; retentionDays: number }[];
      };
      const mentioning = audits
        .map((a) => JSON.parse(a.details!) as SweepDetails)
        .filter((x) => x.cameras.some((c) => c.cameraId === w.camera.id || c.cameraId === hallCam.id));
      assert.equal(
        mentioning.length,
        1,
        'the sweep that deleted is audited (the one that found nothing is not)',
      );
      const details = mentioning[0]!;
      assert.ok(details.deletedSegments >= 2);
      assert.ok(details.heldSegments >= 1);
      const desk = details.cameras.find((c) => c.cameraId === w.camera.id)!;
      assert.equal(desk.retentionDays, 10);
      assert.equal(desk.deletedFrom, new Date(deskSegs[0]!.startMs).toISOString());
      assert.equal(desk.deletedTo, new Date(deskSegs[2]!.endMs).toISOString());

      // Lifting the hold lets the next sweep take it; 30 days on, the hall goes too.
      await db.kysely
        .updateTable('legal_holds')
        .set({ lifted_at: '2026-04-12T00:00:00.000Z', lift_reason: 'case closed' })
        .where('id', '=', hold.id)
        .execute();
      clock.set('2026-05-02T09:00:00.000Z');
      r = await svc.sweep();
      assert.deepEqual(
        mine(r)
          .map((c) => [c.cameraId, c.deletedSegments])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [
          [w.camera.id, 1],
          [hallCam.id, 3],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      assert.equal(
        (await svc.repo.allSegments()).filter((s) => [w.camera.id, hallCam.id].includes(s.cameraId)).length,
        0,
      );
      assert.equal((await verifyAuditChain(db.kysely)).ok, true);
    });

    test('export packages: deleted after exportKeepDays unless a legal hold covers them; the record stays', async () => {
      const w = await f.officeWorld(regionId);
      const clock = new FakeClock(Date.parse('2026-06-01T09:00:00.000Z'));
      const svc = service(clock, new FakeLive(), { 'recording.exportKeepDays': 7 });
      const exportsDir = path.join(dataDir, 'exports');
      await mkdir(exportsDir, { recursive: true });
      const made = async (createdAt: string, from: string, to: string) => {
        const id = newId();
        await writeFile(path.join(exportsDir, `${id}.tar`), 'package');
        await svc.policy.insertExport({
          id,
          camera_id: w.camera.id,
          person_id: w.head.id,
          from_at: from,
          to_at: to,
          reason: 'request 5/2026',
          file: `${id}.tar`,
          bytes: 7,
          sha256: 'a'.repeat(64),
          mp4_sha256: 'b'.repeat(64),
          key_id: 'k',
          created_at: createdAt,
          file_deleted_at: null,
        });
        return id;
      };
      const old = await made(
        '2026-05-20T10:00:00.000Z',
        '2026-05-19T08:00:00.000Z',
        '2026-05-19T08:10:00.000Z',
      );
      const held = await made(
        '2026-05-20T11:00:00.000Z',
        '2026-05-19T09:00:00.000Z',
        '2026-05-19T09:10:00.000Z',
      );
      const fresh = await made(
        '2026-05-30T10:00:00.000Z',
        '2026-05-29T08:00:00.000Z',
        '2026-05-29T08:10:00.000Z',
      );
      await db.kysely
        .insertInto('legal_holds')
        .values({
          id: newId(),
          camera_id: w.camera.id,
          from_at: '2026-05-19T09:05:00.000Z',
          to_at: '2026-05-19T09:06:00.000Z',
          reason: 'complaint 3/2026',
          placed_by: null,
          placed_at: '2026-05-21T00:00:00.000Z',
          lifted_by: null,
          lifted_at: null,
          lift_reason: null,
        })
        .execute();

      // Paging goes past packages a hold keeps (they stay in the result, oldest first).
      const cutoff = '2026-05-25T09:00:00.000Z';
      const page1 = await svc.policy.exportsToExpire(cutoff, undefined, 1);
      const page2 = await svc.policy.exportsToExpire(cutoff, page1.at(-1), 1);
      const page3 = await svc.policy.exportsToExpire(cutoff, page2.at(-1), 1);
      assert.deepEqual(
        [page1, page2, page3].map((p) => p.map((e) => e.id)),
        [[old], [held], []],
      );

      const r = await svc.sweep();
      assert.deepEqual(
        r.exports.expired.map((e) => e.id),
        [old],
      );
      assert.deepEqual(r.exports.held, [held]);
      await assert.rejects(access(path.join(exportsDir, `${old}.tar`)), 'the expired file is gone');
      await access(path.join(exportsDir, `${held}.tar`));
      await access(path.join(exportsDir, `${fresh}.tar`));
      const row = await svc.policy.exportRow(old);
      assert.equal(row?.file_deleted_at, '2026-06-01T09:00:00.000Z');
      assert.equal(row?.sha256, 'a'.repeat(64), 'the record of the export stays');

      const entry = await db.kysely
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'recording.exports.expire')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      const details = JSON.parse(entry.details!) as { deleted: { id: string }[]; heldByLegalHold: string[] };
      assert.deepEqual(
        details.deleted.map((e) => e.id),
        [old],
      );
      assert.deepEqual(details.heldByLegalHold, [held]);

      // Nothing more to do: the next sweep deletes nothing and writes no entry.
      const again = await svc.sweep();
      assert.deepEqual(again.exports.expired, []);
      await svc.close();
    });

    test('disk guard: stops before the disk is full with a disk_full gap; a ring buffer gives up its oldest video', async () => {
      const w = await f.officeWorld(regionId);
      const other = await f.officeWorld(regionId);
      await db.kysely
        .insertInto('recording_camera_settings')
        .values({ camera_id: w.camera.id, ring_buffer: 1, updated_at: new Date().toISOString() })
        .execute();
      const clock = new FakeClock(Date.parse('2026-04-01T08:00:00.000Z'));
      const live = new FakeLive();
      let free = 1_000_000_000;
      const svc = service(clock, live, {}, () => free);
      await svc.start({ timers: false });
      const a = syntheticCamera();
      const b = syntheticCamera();
      live.play(w.camera.id, a, clock, 35_000);
      live.play(other.camera.id, b, clock, 35_000);
      await svc.idle();
      const ringBefore = await svc.repo.segmentsOverlapping(w.camera.id, 0, 2e12);
      const otherBefore = await svc.repo.segmentsOverlapping(other.camera.id, 0, 2e12);
      assert.equal(ringBefore.length, 3);

      free = 10; // below recording.minFreeBytes and nothing the ring buffer frees is measured
      await svc.tick();
      live.play(w.camera.id, a, clock, 3000);
      live.play(other.camera.id, b, clock, 3000);
      await svc.idle();
      assert.equal(svc.status().disk.full, true);
      const ringAfter = await svc.repo.segmentsOverlapping(w.camera.id, 0, 2e12);
      assert.ok(ringAfter.length < ringBefore.length + 1, 'the ring buffer lost its oldest segments');
      assert.ok(!ringAfter.some((s) => s.id === ringBefore[0]!.id));
      const otherAfter = await svc.repo.segmentsOverlapping(other.camera.id, 0, 2e12);
      assert.deepEqual(
        otherAfter.slice(0, otherBefore.length).map((s) => s.id),
        otherBefore.map((s) => s.id),
        'unexpired video of other cameras is never deleted',
      );
      for (const cam of [w.camera.id, other.camera.id]) {
        const gaps = await svc.repo.gapsOverlapping(cam, 0, 2e12);
        assert.equal(gaps.at(-1)?.cause, 'disk_full');
        assert.equal(gaps.at(-1)?.endMs, null);
      }
      const events = await db.kysely
        .selectFrom('health_events')
        .selectAll()
        .where('camera_id', '=', other.camera.id)
        .execute();
      assert.ok(
        events.some((e) => e.kind === 'gap' && e.details?.includes('disk_full')),
        'raises a health event',
      );

      free = 1_000_000_000;
      await svc.tick();
      live.play(other.camera.id, b, clock, 3000);
      await svc.idle();
      const resumed = await svc.repo.gapsOverlapping(other.camera.id, 0, 2e12);
      assert.notEqual(resumed.at(-1)!.endMs, null, 'recording resumed and closed the gap');
      await svc.close();
      await rm(dataDir, { recursive: true, force: true });
    });
  });
}
