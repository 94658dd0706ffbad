import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0003 from './0003_streams.js';
import * as m0004 from './0004_recording.js';
import * as m0005 from './0005_access_indexes.js';
import * as m0006 from './0006_export_expiry.js';
import * as m0007 from './0007_roles_alerts.js';
import * as m0009 from './0009_restricted_rooms.js';

/** Every migration, in order. Names never change once released. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0003_streams': m0003,
  '0004_recording': m0004,
  '0005_access_indexes': m0005,
  '0006_export_expiry': m0006,
  '0007_roles_alerts': m0007,
  '0009_restricted_rooms': m0009,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
