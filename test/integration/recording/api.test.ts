/**
 * The recording API through the real app (inject), real databases and real H.264 segment files:
 * visits started and stopped by office staff; timelines; playback only for inspectors with a stated
 * reason (audited), served as HLS VOD and one MP4 against the grant; exports verified by `okno export
 * verify` (and refused after one flipped bit); legal holds placed and lifted with reasons.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { testDatabases, type TestDb } from '../../support/db.js';
import { buildTestApp, sessionFor, type TestApp, type TestSession } from '../../support/app.js';
import { Factory, type OfficeWorld } from '../../support/factory.js';
import { CameraRecorder } from '../../../src/recording/recorder.js';
import { FakeClock, feed, probe, realCamera } from '../../unit/recording/helpers.js';

const execFileAsync = promisify(execFile);
const REASON = 'Complaint 17/2026: a citizen reports a bribe request at desk 1';

for (const d of testDatabases()) {
  describe(`recording API (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let dataDir: string;
    let t: TestApp;
    let w: OfficeWorld;
    let outsider: OfficeWorld;
    let inspector: TestSession;
    let employee: TestSession;
    let stranger: TestSession;
    let cameraId: string;
    let recordedFrom: number;
    let recordedTo: number;

    before(async () => {
      db = await d.open();
      dataDir = await mkdtemp(path.join(tmpdir(), 'okno-recapi-'));
      t = await buildTestApp(db, { overrides: { dataDir, 'recording.postRollSeconds': 15 } });
      const f = new Factory(db.kysely);
      const region = await f.region();
      w = await f.officeWorld(region.id);
      outsider = await f.officeWorld(region.id);
      cameraId = w.camera.id;
      const insp = await f.staff('inspector', 'institution', w.institution.id);
      inspector = await sessionFor(t, insp.id);
      employee = await sessionFor(t, w.employee.id);
      stranger = await sessionFor(t, outsider.employee.id);

      // 6 s of video, the camera drops out for 4 s, 6 s more (a new ingest run): ending 10 s ago.
      const clock = new FakeClock(Date.now() - 26_000);
      recordedFrom = clock.ms;
      const rec = new CameraRecorder({
        cameraId,
        root: t.ctx.recording.root,
        repo: t.ctx.recording.repo,
        clock,
        segmentMs: 4000,
        syncIntervalMs: 500,
        preRollMs: 6000,
      });
      await rec.load();
      rec.setWanted(true, false);
      let src = await realCamera(2);
      rec.onInit(src.init);
      feed(src, clock, 6000, (fr) => rec.onFragment(fr));
      rec.onStall('no video for 2000 ms');
      rec.onSpawn();
      clock.advance(2000);
      rec.onSpawn();
      clock.advance(2000);
      src = await realCamera(2);
      rec.onInit(src.init);
      feed(src, clock, 6000, (fr) => rec.onFragment(fr));
      await rec.close();
      recordedTo = clock.ms;
    });
    after(async () => {
      await t.close();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    const post = (s: TestSession, url: string, payload: unknown) =>
      t.app.inject({ method: 'POST', url, headers: s.headers, payload: payload as Record<string, unknown> });
    const audits = (action: string) =>
      db.kysely.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('seq').execute();

    test('office staff start and stop a visit on a manual camera; others cannot', async () => {
      const manual = await new Factory(db.kysely).camera(w.workplace.id, { recording_policy: 'manual' });
      const url = `/api/recordings/${manual.id}`;
      assert.equal((await post(stranger, `${url}/start`, {})).statusCode, 404);
      assert.equal(
        (await post(inspector, `${url}/start`, {})).statusCode,
        404,
        'inspectors do not run visits',
      );
      assert.equal(
        (await post(employee, `/api/recordings/${cameraId}/start`, {})).statusCode,
        409,
        'continuous',
      );
      const start = await post(employee, `${url}/start`, { purpose: 'visit 2026-117' });
      assert.equal(start.statusCode, 200, start.body);
      assert.equal(start.json<{ preRollSeconds: number }>().preRollSeconds, 6);
      const stop = await post(employee, `${url}/stop`, {});
      assert.equal(stop.statusCode, 200, stop.body);
      const body = stop.json<{ stoppedAt: string; recordingUntil: string }>();
      assert.equal(Date.parse(body.recordingUntil) - Date.parse(body.stoppedAt), 15_000, 'post-roll');
      assert.equal((await post(employee, `${url}/stop`, {})).statusCode, 409, 'nothing left to stop');
      const [a] = await audits('recording.start');
      assert.equal(a?.actor_person_id, w.employee.id);
      assert.equal(a?.actor_role, 'employee');
      assert.equal((await audits('recording.stop')).length, 1);
    });

    test('the timeline shows spans and the gap with its cause', async () => {
      const q = `from=${new Date(recordedFrom - 5000).toISOString()}&to=${new Date(recordedTo + 5000).toISOString()}`;
      const r = await t.app.inject({
        url: `/api/recordings/${cameraId}/timeline?${q}`,
        headers: employee.headers,
      });
      assert.equal(r.statusCode, 200, r.body);
      const tl = r.json<{ spans: unknown[]; gaps: { cause: string; open: boolean }[] }>();
      assert.equal(tl.spans.length, 2);
      assert.deepEqual(
        tl.gaps.map((g) => [g.cause, g.open]),
        [['camera_offline', false]],
      );
      const other = await t.app.inject({
        url: `/api/recordings/${cameraId}/timeline?${q}`,
        headers: stranger.headers,
      });
      assert.equal(other.statusCode, 404);
    });

    test('playback: inspectors only, with a stated reason, audited; HLS and MP4 behind the grant', async () => {
      const url = `/api/recordings/${cameraId}/playback`;
      const range = {
        from: new Date(recordedFrom + 1000).toISOString(),
        to: new Date(recordedTo - 1000).toISOString(),
      };
      assert.equal((await post(stranger, url, { ...range, reason: REASON })).statusCode, 404);
      const emp = await post(employee, url, { ...range, reason: REASON });
      assert.equal(emp.statusCode, 403);
      assert.equal(emp.json<{ details: { reason: string } }>().details.reason, 'role_not_permitted');
      const noReason = await post(inspector, url, { ...range, reason: 'check' });
      assert.equal(noReason.statusCode, 403);
      assert.equal(noReason.json<{ details: { reason: string } }>().details.reason, 'reason_required');

      const r = await post(inspector, url, { ...range, reason: REASON });
      assert.equal(r.statusCode, 200, r.body);
      const g = r.json<{ streamId: string; hlsUrl: string; mp4Url: string }>();
      const entries = await audits('recording.playback');
      assert.deepEqual(
        entries.map((e) => [e.decision, e.reason]),
        [
          ['deny', 'no_role'],
          ['deny', 'role_not_permitted'],
          ['deny', 'reason_required'],
          ['allow', 'inspector'],
        ],
        'every decision is audited, the stranger too',
      );
      assert.equal((JSON.parse(entries[3]!.details!) as { statedReason: string }).statedReason, REASON);
      assert.equal(entries[3]!.stream_id, g.streamId);

      const playlist = await t.app.inject({ url: g.hlsUrl, headers: inspector.headers });
      assert.equal(playlist.statusCode, 200, playlist.body);
      const lines = playlist.body.split('\n');
      assert.equal(lines.filter((l) => l === '#EXT-X-DISCONTINUITY').length, 1, 'at the gap');
      const base = g.hlsUrl.slice(0, g.hlsUrl.indexOf('index.m3u8'));
      const init = await t.app.inject({
        url: base + lines.find((l) => l.startsWith('#EXT-X-MAP'))!.slice(16, -1),
        headers: inspector.headers,
      });
      assert.equal(init.statusCode, 200);
      assert.equal(init.rawPayload.toString('latin1', 4, 8), 'ftyp');
      const part = await t.app.inject({
        url: base + lines.find((l) => l.startsWith('part/'))!,
        headers: inspector.headers,
      });
      assert.equal(part.statusCode, 200);
      assert.equal(part.rawPayload.toString('latin1', 4, 8), 'moof');

      // Someone else's session with the inspector's URL gets nothing, and that is audited.
      const copied = await t.app.inject({ url: g.hlsUrl, headers: employee.headers });
      assert.equal(copied.statusCode, 403);
      assert.equal((await audits('media.refused')).at(-1)?.reason, 'wrong_session');

      const mp4 = await t.app.inject({ url: g.mp4Url, headers: inspector.headers });
      assert.equal(mp4.statusCode, 200);
      const file = path.join(dataDir, 'playback.mp4');
      await writeFile(file, mp4.rawPayload);
      const p = await probe(file);
      assert.equal(p.ok, true, p.stderr);
      assert.ok(p.packets >= 25 * 9, `${p.packets} frames`);
      const ranged = await t.app.inject({
        url: g.mp4Url,
        headers: { ...inspector.headers, range: 'bytes=100-199' },
      });
      assert.equal(ranged.statusCode, 206);
      assert.deepEqual(ranged.rawPayload, mp4.rawPayload.subarray(100, 200));
      const session = await db.kysely
        .selectFrom('stream_sessions')
        .selectAll()
        .where('id', '=', g.streamId)
        .executeTakeFirstOrThrow();
      assert.equal(session.purpose, 'playback');
      assert.ok(Number(session.bytes) > mp4.rawPayload.length);
    });

    /** Once its package file has expired, the download answers 410 with the date, not a broken file. */
    async function checkExpiredDownload(url: string, exportId: string): Promise<void> {
      const deletedAt = '2026-01-01T00:00:00.000Z';
      await t.ctx.recording.policy.markExportFileDeleted(exportId, deletedAt);
      try {
        const gone = await t.app.inject({ url, headers: inspector.headers });
        assert.equal(gone.statusCode, 410, gone.body);
        assert.match(gone.json<{ code: string; message: string }>().message, /deleted on 2026-01-01/);
        assert.equal(gone.json<{ code: string }>().code, 'gone');
      } finally {
        await db.kysely
          .updateTable('recording_exports')
          .set({ file_deleted_at: null })
          .where('id', '=', exportId)
          .execute();
      }
    }

    // The CLI does not touch the database: run it once (on SQLite), it costs a process start each.
    test('export: a signed package that `okno export verify` accepts, and refuses after one flipped bit', async (tc) => {
      const range = { from: new Date(recordedFrom).toISOString(), to: new Date(recordedTo).toISOString() };
      const r = await post(inspector, `/api/recordings/${cameraId}/exports`, { ...range, reason: REASON });
      assert.equal(r.statusCode, 200, r.body);
      const ex = r.json<{
        downloadUrl: string;
        sha256: string;
        keyId: string;
        verification: { ok: boolean };
      }>();
      assert.equal(ex.verification.ok, true, 'checked right after it was written');
      const dl = await t.app.inject({ url: ex.downloadUrl, headers: inspector.headers });
      assert.equal(dl.statusCode, 200);
      assert.equal((await t.app.inject({ url: ex.downloadUrl, headers: employee.headers })).statusCode, 403);
      const file = path.join(dataDir, 'export.tar');
      await writeFile(file, dl.rawPayload);
      const allow = (await audits('recording.export')).at(-1)!;
      await checkExpiredDownload(
        ex.downloadUrl,
        (JSON.parse(allow.details!) as { exportId: string }).exportId,
      );
      assert.equal(allow.decision, 'allow');
      assert.equal((JSON.parse(allow.details!) as { sha256: string }).sha256, ex.sha256);

      if (d.name !== 'sqlite') {
        tc.diagnostic('okno export verify is run on the SQLite pass only');
        return;
      }
      const cli = (...args: string[]) =>
        execFileAsync(process.execPath, ['bin/okno.js', ...args], {
          env: { ...process.env, OKNO_DATA_DIR: dataDir },
        }).then(
          (o) => ({ code: 0, out: o.stdout, err: o.stderr }),
          (e: { code: number; stdout: string; stderr: string }) => ({
            code: e.code,
            out: e.stdout,
            err: e.stderr,
          }),
        );
      const pub = await cli('export', 'public-key');
      assert.equal(pub.code, 0);
      assert.match(pub.err, new RegExp(ex.keyId));
      const pem = path.join(dataDir, 'site-key.pem');
      await writeFile(pem, pub.out);
      const ok = await cli('export', 'verify', file, '--public-key', pem);
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, /export intact/);

      const bad = Buffer.from(dl.rawPayload);
      bad[512 + 20_000]! ^= 0x10; // a bit of the video
      await writeFile(file, bad);
      const altered = await cli('export', 'verify', file, '--public-key', pem);
      assert.equal(altered.code, 1);
      assert.match(altered.out, /ALTERED {2}clip\.mp4: altered/);
      assert.match(altered.out, /^export NOT intact\n/, 'the verdict comes first');
      assert.doesNotMatch(altered.out, /by Inspector|Complaint/, 'nothing the package says about itself');
    });

    test('legal holds: placed and lifted by inspectors with a reason, audited', async () => {
      const range = { from: new Date(recordedFrom).toISOString(), to: new Date(recordedTo).toISOString() };
      assert.equal(
        (await post(employee, `/api/recordings/${cameraId}/holds`, { ...range, reason: REASON })).statusCode,
        403,
      );
      const placed = await post(inspector, `/api/recordings/${cameraId}/holds`, { ...range, reason: REASON });
      assert.equal(placed.statusCode, 200, placed.body);
      const { id } = placed.json<{ id: string }>();
      assert.equal(
        (await post(inspector, `/api/recordings/holds/${id}/lift`, { reason: 'done' })).statusCode,
        403,
      );
      const lifted = await post(inspector, `/api/recordings/holds/${id}/lift`, {
        reason: 'Case 17/2026 closed by the court',
      });
      assert.equal(lifted.statusCode, 200, lifted.body);
      const list = await t.app.inject({
        url: `/api/recordings/${cameraId}/holds`,
        headers: employee.headers,
      });
      assert.equal(list.json<{ items: { liftedAt: string | null }[] }>().items[0]?.liftedAt !== null, true);
      assert.equal((await audits('recording.hold.place')).at(-1)?.decision, 'allow');
      assert.deepEqual(
        (await audits('recording.hold.lift')).map((a) => a.decision),
        ['deny', 'allow'],
      );
    });
  });
}
