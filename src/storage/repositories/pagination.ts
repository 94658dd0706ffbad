/**
 * Keyset pagination for list queries: rows are ordered by a list of columns whose last one is unique
 * (the id), and the opaque cursor carries the key of the last row of the previous page. Stable under
 * inserts and deletes, and as fast on page 1000 as on page 1. Row-value comparison `(a, b) > (x, y)`
 * works on PostgreSQL and SQLite ≥ 3.15 alike.
 */
import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { AppError } from '../../shared/errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface PageRequest {
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** pass as `cursor` to get the next page; null on the last page */
  nextCursor: string | null;
}

export type KeyValue = string | number;

export function encodeCursor(key: readonly KeyValue[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function badCursor(): AppError {
  return new AppError('validation_failed', 'the cursor is not valid for this list', [
    { field: 'querystring/cursor', message: 'use the nextCursor of the previous page of the same list' },
  ]);
}

export function decodeCursor(cursor: string, width: number): KeyValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== width ||
    !parsed.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  )
    throw badCursor();
  return parsed as KeyValue[];
}

/**
 * One page of `query`, ordered by `orderBy` (qualified column names, all not null; the last must be
 * unique) in one direction. `keyOf` returns a row's values for those columns, in the same order.
 */
export async function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  orderBy: readonly string[],
  keyOf: (row: O) => KeyValue[],
  page: PageRequest,
  direction: 'asc' | 'desc' = 'asc',
): Promise<Page<O>> {
  const limit = Math.max(1, Math.min(page.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE));
  let q = query;
  if (page.cursor !== undefined) {
    const after = decodeCursor(page.cursor, orderBy.length);
    const cols = sql.join(orderBy.map((c) => sql.ref(c)));
    const op = sql.raw(direction === 'asc' ? '>' : '<');
    q = q.where(sql<SqlBool>`(${cols}) ${op} (${sql.join(after)})`);
  }
  for (const c of orderBy) q = q.orderBy(sql.ref(c), direction);
  const rows = await q.limit(limit + 1).execute();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
