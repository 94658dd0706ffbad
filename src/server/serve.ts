/** Starts the server: opens the database, migrates (unless told not to), listens, and stops cleanly. */
import path from 'node:path';
import type { Config } from '../config/config.js';
import { migrateToLatest, openDatabase, pendingMigrations, type Db } from '../storage/db.js';
import { systemClock } from '../shared/clock.js';
import { buildApp, type App } from './app.js';

export function openConfiguredDatabase(config: Config): Db {
  return openDatabase({ databaseUrl: config.databaseUrl, sqlitePath: path.join(config.dataDir, 'okno.db') });
}

export interface Running {
  app: App;
  db: Db;
  url: string;
  close(): Promise<void>;
}

export async function startServer(
  config: Config,
  hooks: { beforeListen?: (db: Db) => Promise<void>; quietRequests?: boolean } = {},
): Promise<Running> {
  const db = openConfiguredDatabase(config);
  if (config.migrateOnStart) await migrateToLatest(db);
  else {
    const pending = await pendingMigrations(db);
    if (pending.length)
      throw new Error(`database needs migrations (${pending.join(', ')}): run okno migrate`);
  }
  let app: App;
  try {
    await hooks.beforeListen?.(db);
    ({ app } = await buildApp({
      config,
      db,
      clock: systemClock,
      logLevel: config.logLevel,
      quietRequests: hooks.quietRequests,
    }));
  } catch (e) {
    await db.close();
    throw e;
  }
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    // A busy port: stop what started (recorders, the recording directory's lock) before giving up.
    await app.close();
    await db.close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      await db.close();
    })());
  return { app, db, url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`, close };
}
