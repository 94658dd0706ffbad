/** Builds the server's audit checkpointer from the configuration (null when switched off). */
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import type { Database } from '../storage/schema.js';
import type { Clock } from '../shared/clock.js';
import {
  AuditCheckpointer,
  checkpointFile,
  checkpointKeyFile,
  loadOrCreateCheckpointKey,
  originOf,
} from './checkpoints.js';

export function createAuditCheckpointer(
  config: Config,
  db: Kysely<Database>,
  clock: Clock,
  log: { error(o: unknown, msg: string): void },
): AuditCheckpointer | null {
  if (config.audit.checkpointSeconds <= 0) return null;
  return new AuditCheckpointer({
    db,
    key: loadOrCreateCheckpointKey(checkpointKeyFile(config)),
    file: checkpointFile(config),
    origin: originOf(config.publicUrl),
    clock,
    intervalMs: config.audit.checkpointSeconds * 1000,
    log,
  });
}
