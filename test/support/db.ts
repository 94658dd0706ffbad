/**
 * Real databases for the medium tests: an in-memory SQLite and a fresh PostgreSQL schema per call,
 * both migrated with the real migrations. PostgreSQL comes from OKNO_TEST_DATABASE_URL; under CI
 * its absence is a failure, elsewhere the PostgreSQL half is skipped with a visible note.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { migrateToLatest, openDatabase, type Db } from '../../src/storage/db.js';
import type { Database } from '../../src/storage/schema.js';

export interface TestDb extends Db {
  name: string;
}

/** The advisory lock key that orders test-schema migrations against test-schema drops. */
const SCHEMA_LOCK = 7_240_101;

export function postgresUrl(): string | undefined {
  const url = process.env.OKNO_TEST_DATABASE_URL;
  if (!url && process.env.CI)
    throw new Error('OKNO_TEST_DATABASE_URL must be set in CI (PostgreSQL suites may not be skipped)');
  return url;
}

export async function openSqliteTestDb(): Promise<TestDb> {
  const db = openDatabase({});
  await migrateToLatest(db);
  return { ...db, name: 'sqlite' };
}

export async function openPostgresTestDb(): Promise<TestDb> {
  const url = postgresUrl();
  if (!url) throw new Error('no PostgreSQL: set OKNO_TEST_DATABASE_URL');
  const schema = 't_' + randomBytes(6).toString('hex');
  // Kysely's migrator introspects every schema of the database (has_schema_privilege and
  // pg_get_serial_sequence by name), which fails with "schema … does not exist" when another test
  // process drops its schema at that moment. Migrations hold a shared advisory lock and drops an
  // exclusive one, so a drop never overlaps a migration in any process.
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.query('select pg_advisory_lock_shared($1)', [SCHEMA_LOCK]);
  const pool = new pg.Pool({ connectionString: url, max: 5, options: `-c search_path=${schema}` });
  pool.on('error', () => undefined);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const db: TestDb = {
    kysely,
    dialect: 'postgres',
    description: `postgres schema ${schema}`,
    name: 'postgres',
    close: async () => {
      await kysely.destroy();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query('select pg_advisory_lock($1)', [SCHEMA_LOCK]);
        await c.query(`drop schema ${schema} cascade`);
      } finally {
        await c.end(); // ending the session releases the lock
      }
    },
  };
  try {
    await migrateToLatest(db, schema);
  } finally {
    await admin.end();
  }
  return db;
}

/** The databases every repository test runs on: SQLite always, PostgreSQL when configured (always in CI). */
export function testDatabases(): {
  name: 'sqlite' | 'postgres';
  open: () => Promise<TestDb>;
  skip: string | false;
}[] {
  const pgUrl = postgresUrl();
  return [
    { name: 'sqlite', open: openSqliteTestDb, skip: false },
    { name: 'postgres', open: openPostgresTestDb, skip: pgUrl ? false : 'OKNO_TEST_DATABASE_URL not set' },
  ];
}
