/**
 * Payment status files from the payment system: CSV with one payment per line (account number,
 * billing month, amount, paid date). All or nothing: any bad line rejects the whole file, with an
 * error per line and column, and nothing is imported (the rejected attempt is kept, with its errors).
 * A payment already imported (same account, month, amount and date) or repeated in the file is a
 * duplicate: counted and skipped, never recorded twice. Partial payments are recorded as they are; a
 * charge counts as paid when its payments add up to it. After an import, subscriptions suspended for
 * arrears that are now paid are restored in the same transaction.
 */
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { newId } from '../shared/ids.js';
import { AppError } from '../shared/errors.js';
import { authorize, objectNotFound } from '../domain/scope.js';
import { change, type Caller } from '../domain/admin/context.js';
import { BillingRepository } from '../storage/repositories/billing.js';
import type { PaymentImportsTable, PaymentsTable } from '../storage/billing-schema.js';
import { isDay, isMonth, parseAmount } from './money.js';
import { applyArrears } from './arrears.js';
import { moneyEvent, regionExists, regionPlace, todayUtc, type BillingDeps } from './context.js';

export const MAX_PAYMENT_FILE_BYTES = 32 * 1024 * 1024;
const MAX_ERRORS = 200;

export interface LineError {
  line: number;
  column: string;
  message: string;
}

export interface ImportView {
  id: string;
  fileName: string;
  status: 'imported' | 'rejected';
  lineCount: number;
  importedCount: number;
  duplicateCount: number;
  totalKopecks: number;
  errors: LineError[];
  createdAt: string;
  restored?: number;
}

export function importView(r: PaymentImportsTable): ImportView {
  return {
    id: r.id,
    fileName: r.file_name,
    status: r.status,
    lineCount: r.line_count,
    importedCount: r.imported_count,
    duplicateCount: r.duplicate_count,
    totalKopecks: r.total_kopecks,
    errors: JSON.parse(r.errors) as LineError[],
    createdAt: r.created_at,
  };
}

const COLUMNS: Record<string, 'account' | 'period' | 'amount' | 'paid_date'> = {
  account: 'account',
  account_number: 'account',
  'лицевой счёт': 'account',
  'лицевой счет': 'account',
  period: 'period',
  период: 'period',
  amount: 'amount',
  сумма: 'amount',
  paid_date: 'paid_date',
  'paid date': 'paid_date',
  'дата оплаты': 'paid_date',
};

function decode(body: Buffer): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  // Not UTF-8 (replacement characters): the payment system's other usual encoding.
  return text.includes('\ufffd') ? iconv.decode(body, 'win1251') : text.replace(/^\ufeff/, '');
}

/** dd.mm.yyyy or yyyy-mm-dd → yyyy-mm-dd, or null. */
function parseDay(s: string): string | null {
  const t = s.trim();
  const ru = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(t);
  const d = ru ? `${ru[3]}-${ru[2]}-${ru[1]}` : t;
  return isDay(d) ? d : null;
}

export interface ParsedPayment {
  line: number;
  account: string;
  period: string;
  amountKopecks: number;
  paidDate: string;
}

/** Parses and checks a payment file; pure except for what `billed` and `today` tell it. */
export function parsePaymentFile(
  body: Buffer,
  billed: ReadonlySet<string>,
  today: string,
): { payments: ParsedPayment[]; errors: LineError[]; lineCount: number } {
  const text = decode(body);
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = firstLine.includes(';') ? ';' : ',';
  let records: string[][];
  try {
    records = parse(text, {
      delimiter,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    }) as string[][];
  } catch (e) {
    return {
      payments: [],
      errors: [{ line: 0, column: '', message: `not a CSV file: ${(e as Error).message}` }],
      lineCount: 0,
    };
  }
  const errors: LineError[] = [];
  const header = (records[0] ?? []).map((h) => COLUMNS[h.toLowerCase()]);
  const at = { account: -1, period: -1, amount: -1, paid_date: -1 };
  header.forEach((h, i) => {
    if (h) at[h] = i;
  });
  for (const [k, i] of Object.entries(at))
    if (i < 0) errors.push({ line: 1, column: k, message: `the header has no column ${k}` });
  if (errors.length) return { payments: [], errors, lineCount: Math.max(0, records.length - 1) };
  const payments: ParsedPayment[] = [];
  for (let n = 1; n < records.length; n++) {
    const rec = records[n]!;
    const line = n + 1;
    const bad = (column: string, message: string) => {
      if (errors.length < MAX_ERRORS) errors.push({ line, column, message });
      ok = false;
    };
    let ok = true;
    const account = (rec[at.account] ?? '').trim();
    const period = (rec[at.period] ?? '').trim();
    const amount = parseAmount(rec[at.amount] ?? '');
    const paidDate = parseDay(rec[at.paid_date] ?? '');
    if (!account) bad('account', 'the account number is empty');
    if (!isMonth(period)) bad('period', `expected a month YYYY-MM, got ${JSON.stringify(period)}`);
    if (amount === null || amount === 0)
      bad('amount', `expected a positive amount in rubles, got ${JSON.stringify(rec[at.amount] ?? '')}`);
    if (paidDate === null)
      bad(
        'paid_date',
        `expected a date (YYYY-MM-DD or DD.MM.YYYY), got ${JSON.stringify(rec[at.paid_date] ?? '')}`,
      );
    else if (paidDate > today) bad('paid_date', 'the date is in the future');
    if (ok && !billed.has(`${account}|${period}`))
      bad('account', `no approved charge for account ${account} in ${period}`);
    if (ok) payments.push({ line, account, period, amountKopecks: amount!, paidDate: paidDate! });
  }
  if (records.length <= 1) errors.push({ line: 1, column: '', message: 'the file has no payment lines' });
  return { payments, errors, lineCount: Math.max(0, records.length - 1) };
}

export async function importPayments(
  deps: BillingDeps,
  caller: Caller,
  regionId: string,
  fileName: string,
  body: Buffer,
): Promise<ImportView> {
  if (!(await regionExists(deps.db, regionId))) throw objectNotFound('region');
  const grant = authorize(caller.principal, 'payment_import', 'create', regionPlace(regionId), 'region');
  if (body.length === 0) throw new AppError('bad_request', 'the file is empty');
  const name = fileName.slice(0, 200) || 'payments.csv';
  return change(deps, caller, async (_r, trx) => {
    const r = new BillingRepository(trx);
    const now = deps.clock.now();
    const parsed = parsePaymentFile(body, await r.billedAccounts(regionId), todayUtc(deps));
    const id = newId();
    const rows: PaymentsTable[] = [];
    let duplicates = 0;
    if (parsed.errors.length === 0) {
      const key = (p: ParsedPayment) => `${p.account}|${p.period}|${p.amountKopecks}|${p.paidDate}`;
      const seen = await r.existingDedupeKeys(parsed.payments.map(key));
      for (const p of parsed.payments) {
        const k = key(p);
        if (seen.has(k)) {
          duplicates++;
          continue;
        }
        seen.add(k);
        rows.push({
          id: newId(),
          import_id: id,
          line_no: p.line,
          account_number: p.account,
          period: p.period,
          amount_kopecks: p.amountKopecks,
          paid_date: p.paidDate,
          dedupe_key: k,
          created_at: now.toISOString(),
        });
      }
    }
    const status = parsed.errors.length ? 'rejected' : 'imported';
    const imp: PaymentImportsTable = {
      id,
      region_id: regionId,
      file_name: name,
      status,
      line_count: parsed.lineCount,
      imported_count: rows.length,
      duplicate_count: duplicates,
      total_kopecks: rows.reduce((s, p) => s + p.amount_kopecks, 0),
      errors: JSON.stringify(parsed.errors),
      created_at: now.toISOString(),
      created_by: caller.principal.personId,
    };
    await r.insertImport(imp);
    await r.insertPayments(rows);
    const restored =
      rows.length > 0
        ? (
            await applyArrears(trx, caller.audit(grant.role), {
              asOf: todayUtc(deps),
              graceDay: deps.graceDay,
              now,
              suspend: false,
              regionId,
            })
          ).restored
        : 0;
    const view = { ...importView(imp), restored };
    const { errors: _e, ...summary } = view;
    return {
      result: view,
      grant,
      audit: moneyEvent('payments', 'import', { id, institutionId: null }, null, summary, {
        errorCount: parsed.errors.length,
      }),
    };
  });
}

export async function listImports(
  deps: BillingDeps,
  caller: Caller,
  regionId: string,
): Promise<ImportView[]> {
  if (!(await regionExists(deps.db, regionId))) throw objectNotFound('region');
  authorize(caller.principal, 'payment_import', 'read', regionPlace(regionId), 'region');
  return (await new BillingRepository(deps.db).listImports(regionId)).map(importView);
}
