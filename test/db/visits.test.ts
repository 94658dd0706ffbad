/**
 * Office visits on real databases (SQLite and PostgreSQL) with simulated time: opening a visit opens
 * a manual recording session per camera (one open visit per workplace, enforced by the database);
 * closing sets the post-roll; the periodic check auto-closes overlong visits, flags gaps inside
 * visits, dark cameras in working hours, recording switched off, days without visits, computes
 * coverage from the segment index — each flag once, each with an alert `flag.<code>` — and a flag is
 * resolved with a comment that resolves its alert too, all audited with the chain intact.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type OfficeWorld } from '../support/factory.js';
import { loadConfig } from '../../src/config/config.js';
import { RecordingService } from '../../src/recording/service.js';
import { VisitsService } from '../../src/visits/service.js';
import { verifyAuditChain, SYSTEM_CONTEXT } from '../../src/audit/audit-log.js';
import type { AuthenticatedSession } from '../../src/identity/sessions.js';
import type { Role, ScopeKind } from '../../src/policy/facts.js';
import { newId } from '../../src/shared/ids.js';
import { FakeClock } from '../unit/recording/helpers.js';

const ctx = SYSTEM_CONTEXT;

function session(personId: string, role: Role, scopeKind: ScopeKind, scopeId: string): AuthenticatedSession {
  return {
    sessionId: newId(),
    csrfToken: 'x',
    person: { id: personId, issuer: 'test', subject: personId, displayName: `P ${personId.slice(0, 4)}` },
    roles: [{ role, scopeKind, scopeId }],
    createdAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    idTokenHint: null,
  };
}

for (const d of testDatabases()) {
  describe(`office visits (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let f: Factory;
    let clock: FakeClock;
    let svc: VisitsService;
    let w: OfficeWorld;
    let head: AuthenticatedSession;
    let emp: AuthenticatedSession;

    before(async () => {
      db = await d.open();
      f = new Factory(db.kysely);
      // Tuesday 2026-03-03, 10:00 Moscow time
      clock = new FakeClock(Date.parse('2026-03-03T07:00:00Z'));
      const config = loadConfig({
        env: {},
        overrides: { 'recording.enabled': false, 'visits.maxOpenMinutes': 60, 'visits.missingMinVisits': 2 },
      });
      const recording = new RecordingService({
        db: db.kysely,
        live: { pin: async () => () => undefined, get: () => undefined },
        clock,
        config,
      });
      svc = new VisitsService({ db: db.kysely, clock, config, recording });
      w = await f.officeWorld((await f.region()).id);
      await db.kysely.updateTable('cameras').set({ recording_policy: 'manual' }).execute();
      for (let wd = 1; wd <= 5; wd++)
        await db.kysely
          .insertInto('recording_schedules')
          .values({
            id: newId(),
            room_id: w.workplace.id,
            weekday: wd,
            start_time: '09:00',
            end_time: '18:00',
            created_at: clock.now().toISOString(),
          })
          .execute();
      head = session(w.head.id, 'office_head', 'institution', w.institution.id);
      emp = session(w.employee.id, 'employee', 'room', w.workplace.id);
    });
    after(async () => {
      await db.close();
    });

    test('open: a manual session per camera, one open visit per workplace; close: post-roll', async () => {
      const v = await svc.open(emp, w.workplace.id, { visitorCategory: 'guardian', caseRef: '№ 12/3' }, ctx);
      assert.equal(v.status, 'open');
      assert.equal(v.employee?.id, w.employee.id, 'the employee opening at their own workplace receives');
      assert.equal(v.cameras.length, 1);
      const sessions = await db.kysely.selectFrom('recording_manual_sessions').selectAll().execute();
      assert.equal(sessions.length, 1);
      assert.equal(sessions[0]!.purpose, `visit:${v.id}`);
      assert.equal(sessions[0]!.stop_at, null);
      assert.equal(Date.parse(v.playback.from), clock.ms - 6000, 'the range starts with the pre-roll');

      await assert.rejects(
        svc.open(emp, w.workplace.id, { visitorCategory: 'citizen' }, ctx),
        /already open/,
      );
      await assert.rejects(
        svc.open(emp, w.workplace.id, { visitorCategory: 'nobody' }, ctx),
        /visitorCategory/,
      );
      await assert.rejects(
        svc.open(head, w.workplace.id, { visitorCategory: 'citizen', caseRef: '=HYPERLINK("x")' }, ctx),
        /caseRef/,
      );

      clock.advance(10 * 60_000);
      const closed = await svc.close(emp, v.id, ctx);
      assert.equal(closed.status, 'closed');
      assert.equal(Date.parse(closed.playback.to), clock.ms + 10_000, 'the range ends with the post-roll');
      const s = await db.kysely.selectFrom('recording_manual_sessions').selectAll().executeTakeFirstOrThrow();
      assert.equal(
        s.record_until,
        new Date(clock.ms + 12_000).toISOString(),
        'post-roll and the tail margin',
      );
      await assert.rejects(svc.close(emp, v.id, ctx), /already closed/);
    });

    test('the check: a gap inside a visit is flagged once, with its cause and an alert', async () => {
      const v = await svc.open(emp, w.workplace.id, { visitorCategory: 'citizen' }, ctx);
      const gapStart = new Date(clock.ms + 30_000).toISOString();
      await db.kysely
        .insertInto('recording_gaps')
        .values({
          id: newId(),
          camera_id: w.camera.id,
          start_at: gapStart,
          end_at: null,
          cause: 'camera_offline',
          details: JSON.stringify({ reason: 'unreachable' }),
          created_at: gapStart,
        })
        .execute();
      clock.advance(60_000);
      const r1 = await svc.check();
      assert.ok(r1.flags >= 1);
      const r2 = await svc.check();
      const flags = await svc.flags(head, { visitId: v.id });
      assert.equal(flags.length, 1, JSON.stringify(r2));
      assert.equal(flags[0]!.code, 'visit_gap');
      const gaps = flags[0]!.evidence.gaps as { cause: string; start: string }[];
      assert.equal(gaps[0]!.cause, 'camera_offline');
      assert.equal(gaps[0]!.start, gapStart);
      const alert = await db.kysely
        .selectFrom('alerts')
        .selectAll()
        .where('id', '=', flags[0]!.alertId!)
        .executeTakeFirstOrThrow();
      assert.equal(alert.kind, 'flag.visit_gap');
      assert.equal(alert.institution_id, w.institution.id);
      await db.kysely
        .updateTable('recording_gaps')
        .set({ end_at: new Date(clock.ms).toISOString() })
        .execute();
      await svc.close(emp, v.id, ctx);
    });

    test('a visit open past the maximum is closed by the check and flagged', async () => {
      const v = await svc.open(emp, w.workplace.id, { visitorCategory: 'minor' }, ctx);
      clock.advance(61 * 60_000);
      const r = await svc.check();
      assert.equal(r.autoClosed, 1);
      const after = await svc.visit(head, v.id);
      assert.equal(after.status, 'closed');
      assert.equal(after.autoClosed, true);
      const flags = await svc.flags(head, { visitId: v.id });
      assert.deepEqual(
        flags.map((x) => x.code),
        ['visit_too_long'],
      );
      const audit = await db.kysely
        .selectFrom('audit_log')
        .select('action')
        .where('target_id', '=', v.id)
        .execute();
      assert.deepEqual(audit.map((a) => a.action).sort(), ['visit.auto_close', 'visit.open']);
    });

    test('a camera dark in working hours longer than the alert delay is flagged; a short outage is not', async () => {
      const t0 = clock.ms;
      await db.kysely
        .insertInto('camera_outages')
        .values([
          {
            id: newId(),
            camera_id: w.camera.id,
            started_at: new Date(t0 - 30 * 60_000).toISOString(),
            ended_at: new Date(t0 - 25 * 60_000).toISOString(),
            reason: 'unreachable',
            detail: '',
            alerted_at: null,
          },
          {
            id: newId(),
            camera_id: w.camera.id,
            started_at: new Date(t0 - 20 * 60_000).toISOString(),
            ended_at: new Date(t0 - 20 * 60_000 + 20_000).toISOString(),
            reason: 'stalled',
            detail: '',
            alerted_at: null,
          },
        ])
        .execute();
      await svc.check();
      const dark = (await svc.flags(head, {})).filter((x) => x.code === 'camera_dark');
      assert.equal(dark.length, 1);
      assert.equal(dark[0]!.evidence.reason, 'unreachable');
      assert.equal(dark[0]!.evidence.darkInWorkingHoursSeconds, 300);
    });

    test('mode change is audited and flagged; the cameras follow it; recording off is flagged', async () => {
      await svc.setMode(head, w.workplace.id, 'both', ctx);
      const cam = await db.kysely.selectFrom('cameras').selectAll().executeTakeFirstOrThrow();
      assert.equal(cam.recording_policy, 'schedule');
      const state = await svc.workplaceState(emp, w.workplace.id);
      assert.equal(state.mode, 'both');
      assert.equal(state.state, 'recording', 'in working hours a "both" workplace records');
      await assert.rejects(svc.setMode(emp, w.workplace.id, 'per_visit', ctx), /not found|may not/);
      const changed = (await svc.flags(head, {})).filter((x) => x.code === 'recording_changed');
      assert.equal(changed.length, 1);
      await db.kysely
        .updateTable('cameras')
        .set({ recording_policy: 'off', updated_at: new Date(clock.ms).toISOString() })
        .execute();
      await svc.check();
      await svc.check();
      assert.equal((await svc.flags(head, {})).filter((x) => x.code === 'recording_changed').length, 2);
      assert.equal((await svc.workplaceState(emp, w.workplace.id)).mode, 'off');
      await svc.setMode(head, w.workplace.id, 'per_visit', ctx);
      clock.advance(13_000); // past the post-roll (and tail margin) of the visit closed last
      assert.equal((await svc.workplaceState(emp, w.workplace.id)).state, 'not_recording');
    });

    test('coverage: working hours covered by indexed segments, visits and flagged visits per day', async () => {
      // today 10:00–10:30 Moscow recorded (two segments with a 1 min hole)
      const day = '2026-03-03';
      const seg = (startIso: string, endIso: string, seq: number) => ({
        id: newId(),
        camera_id: w.camera.id,
        seq,
        run_id: 'r',
        start_at: startIso,
        end_at: endIso,
        duration_ms: Date.parse(endIso) - Date.parse(startIso),
        path: `${w.camera.id}/${day}/x${seq}.mp4`,
        bytes: 1000,
        init_bytes: 100,
        sha256: String(seq).repeat(64),
        prev_sha256: null,
        keyframes: '[]',
        fragments: 1,
        recovered: 0 as const,
        state: 'ok' as const,
        created_at: endIso,
      });
      await db.kysely
        .insertInto('recording_segments')
        .values([
          seg('2026-03-03T07:00:00.000Z', '2026-03-03T07:15:00.000Z', 1),
          seg('2026-03-03T07:16:00.000Z', '2026-03-03T07:30:00.000Z', 2),
        ])
        .execute();
      await svc.check();
      const row = await db.kysely
        .selectFrom('coverage_days')
        .selectAll()
        .where('day', '=', day)
        .executeTakeFirstOrThrow();
      // working hours so far today: 09:00 → now
      const workingMs = clock.ms - Date.parse('2026-03-03T06:00:00Z');
      assert.equal(Number(row.working_ms), workingMs);
      assert.equal(Number(row.covered_ms), 29 * 60_000);
      assert.ok(row.visits >= 3);
      assert.ok(row.flagged_visits >= 2);
      assert.equal(row.final, 0);
      const byWorkplace = await svc.coverage(head, { from: day, to: day, by: 'workplace' });
      assert.equal(byWorkplace.rows.length, 1);
      assert.equal(byWorkplace.rows[0]!.coveredMinutes, 29);
      const byEmployee = await svc.coverage(head, { from: day, to: day, by: 'employee' });
      assert.equal(byEmployee.rows[0]!.label, w.employee.display_name);
      assert.ok(byEmployee.rows[0]!.visits >= 3);
      const csv: string[] = [];
      for await (const line of svc.coverageCsv(head, { from: day, to: day })) csv.push(line);
      assert.equal(csv.length, 2);
      assert.match(csv[1]!, new RegExp(`;${day};`));
      await assert.rejects(svc.coverage(emp, { from: day, to: day, by: 'office' }), /not found/);
      await assert.rejects(svc.coverage(head, { from: day, to: '2026-03-01', by: 'office' }), /local days/);
    });

    test('a working day without visits while the office received elsewhere is flagged the next day', async () => {
      const desk2 = await f.room(w.institution.id, { kind: 'workplace', name: 'Desk two' });
      await f.camera(desk2.id, { recording_policy: 'manual' });
      const other = await f.person({ display_name: 'Other employee' });
      await f.bind(other.id, 'employee', 'room', desk2.id);
      const otherS = session(other.id, 'employee', 'room', desk2.id);
      for (let i = 0; i < 2; i++) {
        const v = await svc.open(otherS, desk2.id, { visitorCategory: 'citizen' }, ctx);
        clock.advance(60_000);
        await svc.close(otherS, v.id, ctx);
      }
      // The employee of desk one had visits today (earlier tests): nothing. Tomorrow: nobody opened
      // anything at desk one, two visits at desk two.
      clock.set('2026-03-04T08:00:00Z');
      for (let i = 0; i < 2; i++) {
        const v = await svc.open(otherS, desk2.id, { visitorCategory: 'citizen' }, ctx);
        clock.advance(60_000);
        await svc.close(otherS, v.id, ctx);
      }
      clock.set('2026-03-05T08:00:00Z');
      await svc.check();
      const missing = (await svc.flags(head, {})).filter((x) => x.code === 'visits_missing');
      assert.deepEqual(
        missing.map((m) => [m.day, m.person?.id]),
        [['2026-03-04', w.employee.id]],
      );
      // Yesterday's coverage row is final now.
      const rows = await db.kysely
        .selectFrom('coverage_days')
        .select(['day', 'final'])
        .where('room_id', '=', w.workplace.id)
        .orderBy('day')
        .execute();
      assert.deepEqual(
        rows.filter((r) => r.day === '2026-03-04').map((r) => r.final),
        [1],
      );
    });

    test('resolving a flag needs a comment, resolves its alert, is audited once', async () => {
      const [flag] = await svc.flags(head, { status: 'open' });
      assert.ok(flag);
      await assert.rejects(svc.resolveFlag(head, flag.id, '  ..  ', ctx), /comment/);
      await assert.rejects(svc.resolveFlag(emp, flag.id, 'Проверено, всё в порядке', ctx), /not found/);
      const r = await svc.resolveFlag(head, flag.id, 'Проверено: камеру перезапустили', ctx);
      assert.equal(r.status, 'resolved');
      assert.equal(r.comment, 'Проверено: камеру перезапустили');
      await assert.rejects(svc.resolveFlag(head, flag.id, 'ещё раз проверено', ctx), /already resolved/);
      const alert = await db.kysely
        .selectFrom('alerts')
        .selectAll()
        .where('id', '=', r.alertId!)
        .executeTakeFirstOrThrow();
      assert.equal(alert.resolution_comment, 'Проверено: камеру перезапустили');
      assert.equal((await verifyAuditChain(db.kysely)).ok, true);
    });
  });
}
