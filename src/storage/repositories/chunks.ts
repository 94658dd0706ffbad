/** Splits long `in (…)` lists: SQLite and PostgreSQL both limit the number of bound parameters. */
export const IN_LIST_CHUNK = 500;

export function chunked<T>(items: readonly T[], size = IN_LIST_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
