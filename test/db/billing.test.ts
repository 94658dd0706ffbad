/**
 * The paid service on real SQLite and PostgreSQL: tariffs, subscribing, the billing run (pro-rated
 * lines, idempotent re-runs, the approved run immutable in the database), exports, payment imports
 * (all or nothing, errors per line and column, duplicates, partial payments), arrears suspending and
 * payments restoring, adjustments in a later month, the revenue report and the kindergarten's view.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import iconv from 'iconv-lite';
import { testDatabases, type TestDb } from '../support/db.js';
import { Factory, type KindergartenWorld } from '../support/factory.js';
import type { Caller } from '../../src/domain/admin/context.js';
import type { BillingDeps } from '../../src/billing/context.js';
import { getTariffs, setInstitutionPrice, setPilot, setRegionPrice } from '../../src/billing/tariffs.js';
import { addAdjustment, getRun, runBilling, runForExport, transitionRun } from '../../src/billing/runs.js';
import { exportStream } from '../../src/billing/export.js';
import { importPayments } from '../../src/billing/payments.js';
import { checkArrears, revenueReport, subscribers } from '../../src/billing/report.js';
import { cancel, parentOverview, subscribe } from '../../src/billing/parent.js';
import { AccessFactsRepository } from '../../src/storage/repositories/access-facts.js';
import { FIRST_OFFER_VERSION } from '../../src/storage/migrations/0013_billing.js';
import type { AuditContext } from '../../src/audit/audit-log.js';

const ctxOf = (personId: string, role: string): AuditContext => ({
  actor: { personId, subject: personId, role },
  ip: '127.0.0.1',
  userAgent: 'test',
  sessionId: null,
});

for (const d of testDatabases()) {
  describe(`billing (${d.name})`, { skip: d.skip }, () => {
    let db: TestDb;
    let f: Factory;
    let a: KindergartenWorld;
    let pilot: KindergartenWorld;
    let operator: Caller;
    let kgAdmin: Caller;
    let now = new Date('2026-02-10T09:00:00Z');
    let deps: BillingDeps;

    before(async () => {
      db = await d.open();
      f = new Factory(db.kysely);
      const region = await f.region();
      a = await f.kindergartenWorld(region.id, 'A');
      pilot = await f.kindergartenWorld(region.id, 'P');
      const op = await f.person({ display_name: 'Operator' });
      await f.bind(op.id, 'city_operator', 'region', region.id);
      operator = {
        principal: {
          personId: op.id,
          bindings: [{ role: 'city_operator', scopeKind: 'region', scopeId: region.id }],
        },
        audit: (role) => ctxOf(op.id, role),
      };
      kgAdmin = {
        principal: {
          personId: a.admin.id,
          bindings: [{ role: 'kindergarten_admin', scopeKind: 'institution', scopeId: a.institution.id }],
        },
        audit: (role) => ctxOf(a.admin.id, role),
      };
      deps = { db: db.kysely, clock: { now: () => now }, graceDay: 25, pilotNoticeDays: 14 };
    });
    after(() => db.close());

    const count = async (table: 'billing_lines' | 'payments' | 'payment_imports' | 'billing_runs') =>
      Number(
        (
          await db.kysely
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    test('tariffs: recommendation and own price from the next month; pilots', async () => {
      await assert.rejects(
        setRegionPrice(deps, operator, a.region.id, { effectiveMonth: '2026-02', priceKopecks: 300000 }),
        /next billing month/,
      );
      await setRegionPrice(deps, operator, a.region.id, { effectiveMonth: '2026-03', priceKopecks: 300000 });
      await setInstitutionPrice(deps, operator, a.institution.id, {
        effectiveMonth: '2026-03',
        priceKopecks: 310000,
      });
      await setPilot(deps, operator, pilot.institution.id, { freePilot: true, pilotUntil: '2026-03-15' });
      await assert.rejects(
        setRegionPrice(deps, kgAdmin, a.region.id, { effectiveMonth: '2026-04', priceKopecks: 1 }),
        /not found/,
      );
      now = new Date('2026-03-10T09:00:00Z');
      const t = await getTariffs(deps, operator, a.region.id);
      const kgA = t.kindergartens.find((k) => k.id === a.institution.id)!;
      const kgP = t.kindergartens.find((k) => k.id === pilot.institution.id)!;
      assert.deepEqual([kgA.currentPriceKopecks, kgA.priceSource], [310000, 'own']);
      assert.deepEqual(
        [kgP.currentPriceKopecks, kgP.priceSource, kgP.freePilot, kgP.pilotUntil],
        [300000, 'recommended', true, '2026-03-15'],
      );
    });

    test('one subscription per child: the first guardian pays, the second sees the payer', async () => {
      const second = await f.person({ display_name: 'Second Parent' });
      await f.guardian(second.id, a.child.id);
      await assert.rejects(
        subscribe(deps, ctxOf(a.parent.id, 'parent'), a.parent.id, a.child.id, 'old'),
        /offer has changed/,
      );
      const s = await subscribe(
        deps,
        ctxOf(a.parent.id, 'parent'),
        a.parent.id,
        a.child.id,
        FIRST_OFFER_VERSION,
      );
      assert.deepEqual([s?.status, s?.payer.isMe, s?.offerVersion], ['active', true, FIRST_OFFER_VERSION]);
      await assert.rejects(
        subscribe(deps, ctxOf(second.id, 'parent'), second.id, a.child.id, FIRST_OFFER_VERSION),
        /payer is Parent A/,
      );
      const seen = (await parentOverview(deps, second.id)).children[0]!;
      assert.deepEqual([seen.subscription?.payer.name, seen.subscription?.payer.isMe], ['Parent A', false]);
      await assert.rejects(cancel(deps, ctxOf(second.id, 'parent'), second.id, a.child.id), /only the payer/);
      // the pilot kindergarten's parent confirms continuing after the pilot
      await subscribe(
        deps,
        ctxOf(pilot.parent.id, 'parent'),
        pilot.parent.id,
        pilot.child.id,
        FIRST_OFFER_VERSION,
      );
      const p = (await parentOverview(deps, pilot.parent.id)).children[0]!;
      assert.deepEqual(p.pilot, { until: '2026-03-15', active: true, noticeFrom: '2026-03-01' });
      assert.equal(p.priceKopecks, 300000);
    });

    let marchRun = '';
    test('the run pro-rates by days, skips pilot days, and a re-run changes nothing', async () => {
      const r = await runBilling(deps, operator, { period: '2026-03', regionId: a.region.id });
      marchRun = r.run.id;
      assert.equal(r.inserted, 2);
      const lines = await db.kysely
        .selectFrom('billing_lines')
        .selectAll()
        .where('run_id', '=', marchRun)
        .orderBy('account_number')
        .execute();
      // A: 10–31 March of 31 days at 3100 ₽: floor(310000·31/31) − floor(310000·9/31) = 220000
      assert.deepEqual(
        lines.map((l) => [l.account_number, l.from_date, l.to_date, l.days, l.amount_kopecks, l.payer_name]),
        [
          ['A-001', '2026-03-10', '2026-03-31', 22, 220000, 'Parent A'],
          [
            'P-001',
            '2026-03-16',
            '2026-03-31',
            16,
            (300000 * 31) / 31 - Math.floor((300000 * 15) / 31),
            'Parent P',
          ],
        ],
      );
      const again = await runBilling(deps, operator, { period: '2026-03', regionId: a.region.id });
      assert.deepEqual([again.inserted, again.updated, again.deleted], [0, 0, 0]);
      assert.equal(again.run.computedAt, r.run.computedAt);
      const after = await db.kysely
        .selectFrom('billing_lines')
        .selectAll()
        .where('run_id', '=', marchRun)
        .orderBy('account_number')
        .execute();
      assert.deepEqual(after, lines);
      await assert.rejects(
        runBilling(deps, operator, {
          period: '2026-03',
          regionId: a.region.id,
          institutionId: a.institution.id,
        }),
        /whole region is already billed/,
      );
    });

    test('review and approve; the approved run is immutable in the database', async () => {
      await assert.rejects(transitionRun(deps, operator, marchRun, 'approve'), /not reviewed/);
      await transitionRun(deps, operator, marchRun, 'review');
      const approved = await transitionRun(deps, operator, marchRun, 'approve');
      assert.equal(approved.status, 'approved');
      const before = await db.kysely
        .selectFrom('billing_lines')
        .selectAll()
        .where('run_id', '=', marchRun)
        .execute();
      await assert.rejects(
        db.kysely
          .updateTable('billing_lines')
          .set({ amount_kopecks: 1 })
          .where('run_id', '=', marchRun)
          .execute(),
      );
      await assert.rejects(db.kysely.deleteFrom('billing_lines').where('run_id', '=', marchRun).execute());
      await assert.rejects(
        db.kysely.updateTable('billing_runs').set({ status: 'draft' }).where('id', '=', marchRun).execute(),
      );
      await assert.rejects(db.kysely.deleteFrom('billing_runs').where('id', '=', marchRun).execute());
      await assert.rejects(
        db.kysely
          .insertInto('billing_lines')
          .values({ ...before[0]!, id: 'x', line_key: 'charge:x' })
          .execute(),
      );
      await assert.rejects(
        runBilling(deps, operator, { period: '2026-03', regionId: a.region.id }),
        /approved/,
      );
      const afterAll = await db.kysely
        .selectFrom('billing_lines')
        .selectAll()
        .where('run_id', '=', marchRun)
        .execute();
      assert.deepEqual(afterAll, before);
      const audit = await db.kysely
        .selectFrom('audit_log')
        .select(['action', 'details'])
        .where('action', '=', 'billing.run.approve')
        .execute();
      assert.equal(audit.length, 1);
      assert.match(
        audit[0]!.details ?? '',
        /"before":\{.*"status":"reviewed".*"after":\{.*"status":"approved"/,
      );
    });

    test('exports: CSV UTF-8, CSV Windows-1251 with ";", JSON', async () => {
      const run = await runForExport(deps, operator, marchRun);
      const utf8: Buffer[] = [];
      for await (const c of exportStream(db.kysely, run, 'csv')) utf8.push(c as Buffer);
      const raw = Buffer.concat(utf8);
      assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
      const csv = raw.subarray(3).toString('utf8');
      assert.match(csv, /^Лицевой счёт,Ребёнок,/);
      assert.match(
        csv,
        /A-001,Child A,Parent A,Kindergarten A,2026-03,2026-03-10,2026-03-31,22,31,3100.00,2200.00,начисление,/,
      );
      const chunks: Buffer[] = [];
      for await (const c of exportStream(db.kysely, run, 'csv-1251')) chunks.push(c as Buffer);
      const cp = Buffer.concat(chunks);
      assert.equal(cp.includes(Buffer.from('Лицевой', 'utf8')), false);
      assert.match(
        iconv.decode(cp, 'win1251'),
        /A-001;Child A;Parent A;Kindergarten A;2026-03;2026-03-10;2026-03-31;22;31;3100,00;2200,00;начисление;/,
      );
      const json = JSON.parse(await text(exportStream(db.kysely, run, 'json'))) as {
        lines: { accountNumber: string; amountKopecks: number }[];
        totalKopecks: number;
      };
      assert.equal(json.lines.length, 2);
      assert.equal(
        json.lines.reduce((s, l) => s + l.amountKopecks, 0),
        json.totalKopecks,
      );
    });

    test('a payment file with bad lines imports nothing and names every bad line and column', async () => {
      now = new Date('2026-04-20T09:00:00Z');
      const file = [
        'account,period,amount,paid_date',
        'A-001,2026-03,1000.00,2026-04-05',
        'A-001,2026-3,100,2026-04-05',
        'NOPE,2026-03,100,2026-04-05',
        'P-001,2026-03,-5,31.02.2026',
      ].join('\n');
      const res = await importPayments(deps, operator, a.region.id, 'bad.csv', Buffer.from(file));
      assert.equal(res.status, 'rejected');
      assert.deepEqual(
        res.errors.map((e) => [e.line, e.column]),
        [
          [3, 'period'],
          [4, 'account'],
          [5, 'amount'],
          [5, 'paid_date'],
        ],
      );
      assert.equal(await count('payments'), 0);
      assert.equal(await count('payment_imports'), 1);
    });

    test('unpaid past the grace day suspends with reason unpaid; partial payment keeps it; full payment restores', async () => {
      now = new Date('2026-04-26T09:00:00Z');
      const early = await checkArrears(deps, operator, a.region.id, '2026-04-25');
      assert.equal(early.suspended, 0);
      const late = await checkArrears(deps, operator, a.region.id, '2026-04-26');
      assert.equal(late.suspended, 2);
      const facts = new AccessFactsRepository(db.kysely);
      const snap = await facts.liveSnapshot(a.parent.id, a.camera.id, {
        nowIso: now.toISOString(),
        countUpTo: 2,
      });
      assert.deepEqual(snap?.subscriptions, [
        { childId: a.child.id, status: 'suspended', suspendedReason: 'unpaid' },
      ]);
      const file = (lines: string[]) =>
        Buffer.from(['Лицевой счёт;Период;Сумма;Дата оплаты', ...lines].join('\r\n'));
      const partial = await importPayments(
        deps,
        operator,
        a.region.id,
        'p1.csv',
        file(['A-001;2026-03;1000,00;26.04.2026']),
      );
      assert.deepEqual([partial.status, partial.importedCount, partial.restored], ['imported', 1, 0]);
      const rest = await importPayments(
        deps,
        operator,
        a.region.id,
        'p2.csv',
        file(['A-001;2026-03;1000,00;26.04.2026', 'A-001;2026-03;1200,00;26.04.2026']),
      );
      assert.deepEqual([rest.importedCount, rest.duplicateCount, rest.restored], [1, 1, 1]);
      const after = await facts.liveSnapshot(a.parent.id, a.camera.id, {
        nowIso: now.toISOString(),
        countUpTo: 2,
      });
      assert.deepEqual(after?.subscriptions, [{ childId: a.child.id, status: 'active' }]);
      const view = (await parentOverview(deps, a.parent.id)).children[0]!;
      assert.deepEqual(
        view.charges.map((c) => [c.period, c.amountKopecks, c.state]),
        [['2026-03', 220000, 'paid']],
      );
      assert.equal(view.nextChargeDate, '2026-05-01');
      const subs = await subscribers(deps, kgAdmin, a.institution.id);
      assert.deepEqual(
        subs.map((s) => [s.accountNumber, s.chargedKopecks, s.paidKopecks, s.arrearsKopecks]),
        [['A-001', 220000, 220000, 0]],
      );
      await assert.rejects(subscribers(deps, kgAdmin, pilot.institution.id), /not found/);
    });

    test('a correction of an approved month is an adjustment line of a later run; the report adds up', async () => {
      const sub = (
        await db.kysely
          .selectFrom('subscriptions')
          .select('id')
          .where('child_id', '=', a.child.id)
          .executeTakeFirstOrThrow()
      ).id;
      await assert.rejects(
        addAdjustment(deps, operator, {
          subscriptionId: sub,
          forPeriod: '2026-02',
          amountKopecks: -100,
          reason: 'ошибка',
        }),
        /no approved charge/,
      );
      await addAdjustment(deps, operator, {
        subscriptionId: sub,
        forPeriod: '2026-03',
        amountKopecks: -10000,
        reason: 'камера не работала',
      });
      const april = await runBilling(deps, operator, { period: '2026-04', regionId: a.region.id });
      const lines = await db.kysely
        .selectFrom('billing_lines')
        .selectAll()
        .where('run_id', '=', april.run.id)
        .where('account_number', '=', 'A-001')
        .orderBy('kind')
        .execute();
      assert.deepEqual(
        lines.map((l) => [l.kind, l.amount_kopecks]),
        [
          ['adjustment', -10000],
          ['charge', 310000],
        ],
      );
      const totals = await getRun(deps, operator, april.run.id);
      assert.equal(
        totals.kindergartens.reduce((s, k) => s + k.totalKopecks, 0),
        april.run.totalKopecks,
      );
      const report = await revenueReport(deps, operator, a.region.id);
      const marchA = report.find((r) => r.period === '2026-03' && r.institutionId === a.institution.id)!;
      assert.deepEqual([marchA.subscribers, marchA.chargedKopecks, marchA.paidKopecks], [1, 220000, 220000]);
      const marchP = report.find((r) => r.period === '2026-03' && r.institutionId === pilot.institution.id)!;
      assert.equal(marchP.arrearsKopecks, marchP.chargedKopecks);
    });

    test('cancelling ends coverage yesterday; the next run bills up to it', async () => {
      now = new Date('2026-04-11T09:00:00Z');
      await cancel(deps, ctxOf(a.parent.id, 'parent'), a.parent.id, a.child.id);
      const april = await runBilling(deps, operator, { period: '2026-04', regionId: a.region.id });
      assert.deepEqual([april.updated], [1]);
      const line = await db.kysely
        .selectFrom('billing_lines')
        .selectAll()
        .where('run_id', '=', april.run.id)
        .where('kind', '=', 'charge')
        .where('account_number', '=', 'A-001')
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        [line.from_date, line.to_date, line.days, line.amount_kopecks],
        ['2026-04-01', '2026-04-10', 10, Math.floor((310000 * 10) / 30)],
      );
    });
  });
}
