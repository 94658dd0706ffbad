import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_foundation.js';
import * as m0003 from './0003_streams.js';
import * as m0004 from './0004_recording.js';
import * as m0005 from './0005_access_indexes.js';
import * as m0006 from './0006_export_expiry.js';
import * as m0007 from './0007_roles_alerts.js';
import * as m0014 from './0014_consent_campaigns.js';
import * as m0014b from './0014b_connection.js';
import * as m0017 from './0017_attendance.js';
import * as m0016 from './0016_inspections.js';
import * as m0010 from './0010_audit_append_only.js';
import * as m0012 from './0012_camera_outages.js';
import * as m0013 from './0013_billing.js';
import * as m0009 from './0009_restricted_rooms.js';
import * as m0019 from './0019_office_visits.js';
import * as m0020 from './0020_citizen_requests.js';
import * as m0023 from './0023_camera_leases.js';
import * as m0022 from './0022_perf_indexes.js';
import * as m0018 from './0018_alert_delivery.js';

/** Every migration, in order. Names never change once released. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0003_streams': m0003,
  '0004_recording': m0004,
  '0005_access_indexes': m0005,
  '0006_export_expiry': m0006,
  '0007_roles_alerts': m0007,
  '0014_consent_campaigns': m0014,
  '0014b_connection': m0014b,
  '0017_attendance': m0017,
  '0016_inspections': m0016,
  '0010_audit_append_only': m0010,
  '0012_camera_outages': m0012,
  '0013_billing': m0013,
  '0009_restricted_rooms': m0009,
  '0019_office_visits': m0019,
  '0020_citizen_requests': m0020,
  '0023_camera_leases': m0023,
  '0022_perf_indexes': m0022,
  '0018_alert_delivery': m0018,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
