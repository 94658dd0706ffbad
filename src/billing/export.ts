/**
 * Exports of an approved run for kindergartens' accounting, streamed page by page (never the whole run
 * in memory): CSV in UTF-8 (with a BOM, `,`), CSV in Windows-1251 with `;` and decimal commas (what 1C
 * imports), and JSON.
 */
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { BillingLinesTable, BillingRunsTable } from '../storage/billing-schema.js';
import { BillingRepository } from '../storage/repositories/billing.js';
import { kopecksToDecimal } from './money.js';

export const EXPORT_FORMATS = ['csv', 'csv-1251', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const PAGE = 2000;

const HEADER = [
  'Лицевой счёт',
  'Ребёнок',
  'Плательщик',
  'Детский сад',
  'Период',
  'С',
  'По',
  'Дней',
  'Дней в месяце',
  'Цена',
  'Сумма',
  'Вид',
  'Примечание',
];

/** A CSV field: quoted when needed; text that a spreadsheet would run as a formula is defused. */
function field(v: string, sep: string, text: boolean): string {
  let s = v;
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return s.includes(sep) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvRow(l: BillingLinesTable, sep: string, comma: boolean): string {
  const money = (k: number) => (comma ? kopecksToDecimal(k).replace('.', ',') : kopecksToDecimal(k));
  const cells: [string, boolean][] = [
    [l.account_number, true],
    [l.child_name, true],
    [l.payer_name, true],
    [l.institution_name, true],
    [l.period, false],
    [l.from_date, false],
    [l.to_date, false],
    [String(l.days), false],
    [String(l.month_days), false],
    [money(l.price_kopecks), false],
    [money(l.amount_kopecks), false],
    [l.kind === 'charge' ? 'начисление' : 'корректировка', false],
    [l.note ?? '', true],
  ];
  return cells.map(([v, t]) => field(v, sep, t)).join(sep) + '\r\n';
}

function jsonLine(l: BillingLinesTable): string {
  return JSON.stringify({
    accountNumber: l.account_number,
    child: { id: l.child_id, name: l.child_name },
    payer: { id: l.payer_person_id, name: l.payer_name },
    kindergarten: { id: l.institution_id, name: l.institution_name },
    period: l.period,
    from: l.from_date,
    to: l.to_date,
    days: l.days,
    monthDays: l.month_days,
    priceKopecks: l.price_kopecks,
    amountKopecks: l.amount_kopecks,
    kind: l.kind,
    note: l.note,
  });
}

async function* pages(db: Kysely<Database>, runId: string): AsyncGenerator<BillingLinesTable[]> {
  const r = new BillingRepository(db);
  let after: string | null = null;
  for (;;) {
    const rows = await r.runLinesAfter(runId, after, PAGE);
    if (rows.length === 0) return;
    yield rows;
    const last = rows[rows.length - 1]!;
    after = last.line_key;
    if (rows.length < PAGE) return;
  }
}

async function* chunks(
  db: Kysely<Database>,
  run: BillingRunsTable,
  format: ExportFormat,
): AsyncGenerator<Buffer> {
  if (format === 'json') {
    const head = {
      run: { id: run.id, period: run.period, regionId: run.region_id, institutionId: run.institution_id },
      approvedAt: run.approved_at,
      lineCount: run.line_count,
      totalKopecks: run.total_kopecks,
    };
    yield Buffer.from(JSON.stringify(head).slice(0, -1) + ',"lines":[\n');
    let first = true;
    for await (const rows of pages(db, run.id)) {
      const text = rows.map((l) => (first ? ((first = false), '') : ',\n') + jsonLine(l)).join('');
      yield Buffer.from(text);
    }
    yield Buffer.from('\n]}\n');
    return;
  }
  const cp1251 = format === 'csv-1251';
  const sep = cp1251 ? ';' : ',';
  const encode = (s: string) => (cp1251 ? iconv.encode(s, 'win1251') : Buffer.from(s, 'utf8'));
  yield encode((cp1251 ? '' : '\ufeff') + HEADER.join(sep) + '\r\n');
  for await (const rows of pages(db, run.id)) yield encode(rows.map((l) => csvRow(l, sep, cp1251)).join(''));
}

export function exportStream(db: Kysely<Database>, run: BillingRunsTable, format: ExportFormat): Readable {
  return Readable.from(chunks(db, run, format), { objectMode: false });
}

export function exportFileName(run: BillingRunsTable, format: ExportFormat): string {
  const scope = run.institution_id ? `kg-${run.institution_id.slice(0, 8)}` : 'region';
  return `okno-${run.period}-${scope}${format === 'json' ? '.json' : format === 'csv' ? '.csv' : '-1251.csv'}`;
}

export function exportContentType(format: ExportFormat): string {
  return format === 'json'
    ? 'application/json; charset=utf-8'
    : format === 'csv'
      ? 'text/csv; charset=utf-8'
      : 'text/csv; charset=windows-1251';
}
