/**
 * "Contains this word, in any case" on SQLite and PostgreSQL alike, for Cyrillic as well as Latin.
 *
 * SQLite's LIKE and lower() fold ASCII letters only, and PostgreSQL's lower()/ILIKE fold per the
 * database's locale (ASCII only under the C locale). Neither is safe for «анна» finding «Анна». So
 * each letter of the word becomes a character class of its cases — «ан» → `[аА][нН]` — matched with
 * SQLite's GLOB (case-sensitive, UTF-8 aware) or PostgreSQL's regular expressions (`~`). Both compare
 * code points, so the result is the same on both databases and under every locale. «е» and «ё» match
 * each other: names are written both ways. No extra column and no trigger to keep in step; the match
 * runs over rows already narrowed by scope (a region's people, children, cameras).
 */
import { PostgresAdapter, sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';

/** At most this many words are matched (each must appear). */
export const MAX_WORDS = 5;

/** The words of a search text: split on spaces, each at least one character. */
export function searchWords(text: string): string[] {
  return text
    .normalize('NFC')
    .split(/\s+/u)
    .filter((w) => w.length > 0)
    .slice(0, MAX_WORDS);
}

const YO = ['е', 'Е', 'ё', 'Ё'];

/** The forms of one character that should match it: its lower and upper case (and е/ё). */
function forms(ch: string): string[] {
  const lower = ch.toLowerCase();
  if (lower === 'е' || lower === 'ё') return YO;
  const out = new Set([ch]);
  for (const f of [lower, ch.toUpperCase()]) if ([...f].length === 1) out.add(f);
  return [...out];
}

/** A GLOB pattern (SQLite) for "contains the word", case-insensitively. */
export function globPattern(word: string): string {
  let p = '*';
  for (const ch of word) {
    const f = forms(ch);
    if (f.length > 1) p += `[${f.join('')}]`;
    else if (ch === '*' || ch === '?' || ch === '[') p += `[${ch}]`;
    else p += ch;
  }
  return `${p}*`;
}

/** A POSIX regular expression (PostgreSQL) for "contains the word", case-insensitively. */
export function regexPattern(word: string): string {
  let p = '';
  for (const ch of word) {
    const f = forms(ch);
    if (f.length > 1) p += `[${f.join('')}]`;
    // Letters, digits and other non-ASCII characters stand for themselves; ASCII punctuation is escaped.
    else if (/[\p{L}\p{N}]/u.test(ch) || ch.charCodeAt(0) > 0x7f) p += ch;
    else p += `\\${ch}`;
  }
  return p;
}

/** JavaScript's view of the same match, for ranking and for tests. */
export function foldForSearch(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(/ё/gu, 'е');
}

export class TextMatcher {
  private readonly pg: boolean;
  constructor(db: Pick<Kysely<unknown>, 'getExecutor'>) {
    this.pg = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /** `column` contains `word`, case-insensitively (a qualified column name, e.g. `p.display_name`). */
  contains(column: string, word: string): RawBuilder<SqlBool> {
    return this.pg
      ? sql<SqlBool>`${sql.ref(column)} ~ ${regexPattern(word)}`
      : sql<SqlBool>`${sql.ref(column)} glob ${globPattern(word)}`;
  }

  /** `column` contains every word. */
  containsAll(column: string, words: readonly string[]): RawBuilder<SqlBool> {
    if (words.length === 0) return sql<SqlBool>`1 = 1`;
    return sql<SqlBool>`(${sql.join(
      words.map((w) => this.contains(column, w)),
      sql` and `,
    )})`;
  }
}
