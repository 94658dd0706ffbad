/**
 * The database: SQLite (better-sqlite3, WAL) by default, PostgreSQL when a postgres:// URL is given.
 * Both run the same migrations (migrations/) through Kysely's migrator.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations/index.js';
import {
  BACKSTOP_AUTOCHECKPOINT_PAGES,
  SqliteCheckpointer,
  type CheckpointStats,
} from './sqlite-checkpointer.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** where it is, with any password masked */
  readonly description: string;
  /** SQLite files: the background WAL checkpoints (for /metrics) */
  readonly checkpoints?: CheckpointStats;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; when absent, SQLite at sqlitePath */
  databaseUrl?: string | undefined;
  sqlitePath?: string;
  poolSize?: number;
  /** SQLite files: how often the background checkpoint runs (default 1 s) */
  checkpointIntervalMs?: number;
}

export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function openDatabase(opts: OpenOptions): Db {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    // Failed idle connections must not crash the process; queries on them fail and are reported.
    pool.on('error', () => undefined);
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      kysely,
      dialect: 'postgres',
      description: maskUrl(opts.databaseUrl),
      close: () => kysely.destroy(),
    };
  }
  const file = opts.sqlitePath ?? ':memory:';
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 64 MiB of page cache instead of SQLite's 2 MiB: ids are random UUIDs, so city-scale work (a
  // billing run, the nightly attendance) touches index pages all over the file (docs/benchmarks.md).
  sqlite.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  // Checkpoints run in a worker thread (sqlite-checkpointer.ts); the automatic one is only a backstop.
  const checkpointer =
    file === ':memory:' ? undefined : new SqliteCheckpointer(file, opts.checkpointIntervalMs);
  if (checkpointer) sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  const kysely = new Kysely<Database>({
    dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
  });
  return {
    kysely,
    dialect: 'sqlite',
    description: `sqlite:${file}`,
    ...(checkpointer ? { checkpoints: checkpointer.stats } : {}),
    close: async () => {
      await checkpointer?.close();
      await kysely.destroy();
    },
  };
}

/** SQLite's page cache per connection, KiB. */
const SQLITE_CACHE_KIB = 64 * 1024;

/** How many prepared SQLite statements are kept; the application issues a few hundred distinct ones. */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * Kysely's SQLite driver prepares every statement anew for each execution; preparing costs about as
 * much as running a small indexed query, and the grant path runs a dozen per decision. Neither Kysely
 * nor better-sqlite3 offers a statement cache, so this keeps the prepared statements by their SQL text
 * (least recently used out first). A statement still being iterated (busy) is never handed out twice.
 */
function cachingStatements(sqlite: SQLite.Database): {
  prepare(sql: string): SQLite.Statement;
  close(): void;
} {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string): SQLite.Statement {
      const hit = cache.get(sql);
      if (hit && !hit.busy) {
        cache.delete(sql); // re-insert: the Map's order is the recency order
        cache.set(sql, hit);
        return hit;
      }
      const stmt = sqlite.prepare(sql);
      if (!hit) {
        cache.set(sql, stmt);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return stmt;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}

export class MigrationError extends Error {}

/**
 * Applies pending migrations. `schema` names the PostgreSQL schema of the migration bookkeeping tables
 * (needed when several schemas share a database, as the tests' per-suite schemas do).
 */
export async function migrateToLatest(db: Db, schema?: string): Promise<MigrationResultSet['results']> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: migrationProvider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationError(
      `migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
  return results ?? [];
}

export async function pendingMigrations(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider: migrationProvider });
  return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
}
