/**
 * Reading a kindergarten roster CSV (docs/design/csv-import.md): bytes → typed rows, or the problems of
 * every bad row. Pure; knows nothing of the database (plan.ts checks rows against it).
 *
 * UTF-8 with or without BOM; `,` or `;` as delimiter (whichever the header row uses); a header row
 * naming the columns in any order; CRLF, LF or CR line ends; quoted fields per RFC 4180.
 * Line numbers are the file's lines where a row starts, the header being line 1: what a spreadsheet
 * shows as the row number unless a cell holds a line break.
 */
import { parse, type Options } from 'csv-parse/sync';
import type { ImportProblem } from '../admin/schemas.js';

export const COLUMNS = [
  'child_ref',
  'child_name',
  'birth_date',
  'group',
  'enrolled_from',
  'enrolled_to',
  'guardian_subject',
  'guardian_name',
  'guardian_email',
  'guardian_phone',
  'relation',
] as const;
export type Column = (typeof COLUMNS)[number];

/** Columns the header must have; the others may be left out. */
export const REQUIRED_COLUMNS: readonly Column[] = ['child_ref', 'child_name', 'group', 'enrolled_from'];

export interface RosterGuardian {
  subject: string;
  name: string;
  email: string | null;
  phone: string | null;
  relation: string;
}

export interface RosterRow {
  line: number;
  childRef: string;
  childName: string;
  birthDate: string | null;
  /** a room name of the kindergarten, or a room id */
  group: string;
  enrolledFrom: string;
  enrolledTo: string | null;
  guardian: RosterGuardian | null;
}

export interface ParsedRoster {
  rows: RosterRow[];
  problems: ImportProblem[];
}

const MAX_LENGTH: Record<Column, number> = {
  child_ref: 100,
  child_name: 200,
  birth_date: 10,
  group: 200,
  enrolled_from: 10,
  enrolled_to: 10,
  guardian_subject: 255,
  guardian_name: 200,
  guardian_email: 254,
  guardian_phone: 32,
  relation: 50,
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9][0-9 ()-]{3,30}$/;

/** YYYY-MM-DD or DD.MM.YYYY (as spreadsheets in Russian locales write it) → YYYY-MM-DD, or null. */
export function parseDate(text: string): string | null {
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else {
    match = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text);
    if (!match) return null;
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  }
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d || y < 1900) return null;
  return t.toISOString().slice(0, 10);
}

/** Lines (1-based) that are not valid UTF-8. */
function invalidUtf8Lines(bytes: Buffer): number[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const bad: number[] = [];
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        bad.push(line);
      }
      line++;
      start = i + 1;
    }
  }
  return bad;
}

function detectDelimiter(headerLine: string): ',' | ';' {
  const count = (ch: string) => headerLine.split(ch).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

interface Parsed {
  record: string[];
  raw: string;
  info: { lines: number };
}

/** Parses and checks every row; `today` (YYYY-MM-DD) bounds birth dates. */
export function parseRoster(bytes: Buffer, today: string): ParsedRoster {
  const problems: ImportProblem[] = [];
  const badUtf8 = invalidUtf8Lines(bytes);
  if (badUtf8.length > 0)
    return {
      rows: [],
      problems: badUtf8.map((line) => ({
        line,
        reason: 'not valid UTF-8 text (save the file as "CSV UTF-8")',
      })),
    };
  const text = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n');
  const firstLine = text.split('\n', 1)[0] ?? '';
  if (firstLine.trim() === '')
    return {
      rows: [],
      problems: [{ line: 1, reason: 'the first line must be the header row naming the columns' }],
    };

  // `on_skip` reports each record skipped for a CSV error (runtime option, absent from csv-parse's types).
  const options: Options & { on_skip: (err: { lines?: number; message?: string } | undefined) => void } = {
    delimiter: detectDelimiter(firstLine),
    info: true,
    raw: true,
    relax_column_count: true,
    skip_empty_lines: false,
    skip_records_with_error: true,
    on_skip: (err) => {
      if (err) problems.push({ line: err.lines ?? 0, reason: `unreadable CSV: ${csvReason(err.message)}` });
    },
  };
  let records: Parsed[];
  try {
    records = parse(text, options) as Parsed[];
  } catch (err) {
    const e = err as { lines?: number; message?: string };
    return {
      rows: [],
      problems: [{ line: e.lines ?? 1, reason: `unreadable CSV: ${csvReason(e.message)}` }],
    };
  }

  const header = records[0];
  if (!header) return { rows: [], problems: [{ line: 1, reason: 'the file is empty' }] };
  const names = header.record.map((n) => n.trim().toLowerCase());
  const index = new Map<Column, number>();
  names.forEach((name, i) => {
    if (name === '') return;
    if (!(COLUMNS as readonly string[]).includes(name))
      problems.push({ line: 1, column: name, reason: `unknown column (expected: ${COLUMNS.join(', ')})` });
    else if (index.has(name as Column))
      problems.push({ line: 1, column: name, reason: 'the column appears twice' });
    else index.set(name as Column, i);
  });
  for (const c of REQUIRED_COLUMNS)
    if (!index.has(c)) problems.push({ line: 1, column: c, reason: 'missing column' });
  if (problems.some((p) => p.line === 1)) return { rows: [], problems };

  const rows: RosterRow[] = [];
  for (const rec of records.slice(1)) {
    const line = startLine(rec);
    if (rec.record.every((f) => f.trim() === '')) continue; // an empty row
    const row = checkRow(rec.record, line, index, names.length, today, problems);
    if (row) rows.push(row);
  }
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems };
}

function csvReason(message: string | undefined): string {
  return (message ?? 'malformed').replace(/ at line \d+.*$/, '').replace(/^Invalid Record Length: /, '');
}

function startLine(rec: Parsed): number {
  const body = rec.raw.endsWith('\n') ? rec.raw.slice(0, -1) : rec.raw;
  return rec.info.lines - (body.split('\n').length - 1);
}

function checkRow(
  fields: string[],
  line: number,
  index: Map<Column, number>,
  width: number,
  today: string,
  problems: ImportProblem[],
): RosterRow | null {
  const before = problems.length;
  const bad = (column: Column | undefined, reason: string) =>
    problems.push(column ? { line, column, reason } : { line, reason });
  if (fields.length > width && fields.slice(width).some((f) => f.trim() !== ''))
    bad(undefined, `has ${fields.length} fields but the header names ${width} columns`);
  const get = (c: Column): string => {
    const i = index.get(c);
    const v = i === undefined ? '' : (fields[i] ?? '').trim();
    if (v.length > MAX_LENGTH[c]) {
      bad(c, `longer than ${MAX_LENGTH[c]} characters`);
      return '';
    }
    return v;
  };
  const need = (c: Column): string => {
    const v = get(c);
    if (v === '') bad(c, 'missing value');
    return v;
  };
  const date = (c: Column, v: string): string | null => {
    if (v === '') return null;
    const d = parseDate(v);
    if (d === null) bad(c, `not a date: "${v}" (write YYYY-MM-DD or DD.MM.YYYY)`);
    return d;
  };

  const childRef = need('child_ref');
  const childName = need('child_name');
  const birthDate = date('birth_date', get('birth_date'));
  if (birthDate !== null && birthDate > today) bad('birth_date', 'lies in the future');
  const oldest = `${String(Number(today.slice(0, 4)) - 18).padStart(4, '0')}${today.slice(4)}`;
  if (birthDate !== null && birthDate < oldest)
    bad('birth_date', 'lies more than 18 years ago: a child is younger (check the year)');
  const group = need('group');
  const fromText = need('enrolled_from');
  const enrolledFrom = fromText === '' ? null : date('enrolled_from', fromText);
  const enrolledTo = date('enrolled_to', get('enrolled_to'));
  if (enrolledFrom !== null && enrolledTo !== null && enrolledTo < enrolledFrom)
    bad('enrolled_to', 'is before enrolled_from');

  const subject = get('guardian_subject');
  const gName = get('guardian_name');
  const email = get('guardian_email');
  const phone = get('guardian_phone');
  const relation = get('relation');
  let guardian: RosterGuardian | null = null;
  if (subject !== '') {
    if (/\s/.test(subject)) bad('guardian_subject', 'must not contain spaces');
    if (gName === '') bad('guardian_name', 'missing value (the guardian has a subject)');
    if (email !== '' && !EMAIL.test(email)) bad('guardian_email', 'not an e-mail address');
    if (phone !== '' && !PHONE.test(phone)) bad('guardian_phone', 'not a phone number');
    guardian = {
      subject,
      name: gName,
      email: email || null,
      phone: phone || null,
      relation: relation || 'parent',
    };
  } else if (gName !== '' || email !== '' || phone !== '' || relation !== '') {
    bad('guardian_subject', 'missing value (other guardian columns are filled)');
  }
  if (problems.length > before || enrolledFrom === null) return null;
  return { line, childRef, childName, birthDate, group, enrolledFrom, enrolledTo, guardian };
}
