/**
 * The Okno server for the inspections benchmark, in a process of its own so that its memory and CPU
 * are measured alone: SQLite and photos in a temporary directory, the demo seed, a session of the
 * demo specialist and today's inspection started. Prints one JSON line with what the client needs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server/serve.js';
import { seedDemo } from '../../src/demo/seed.js';
import { devIssuer } from '../../src/identity/dev-provider-info.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'okno-bench-insp-'));
const config = loadConfig({
  env: {},
  overrides: { host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', 'recording.enabled': false },
});
const running = await startServer(config, {
  beforeListen: async (db) => {
    await seedDemo(db.kysely, devIssuer(config.publicUrl), new Date());
  },
});
const db = running.db.kysely;
const person = await db
  .selectFrom('persons')
  .select('id')
  .where('subject', '=', 'demo-specialist')
  .executeTakeFirstOrThrow();
const { SessionStore } = await import('../../src/identity/sessions.js');
const sessions = new SessionStore(db, { now: () => new Date() }, config.session);
const s = await sessions.create(person.id, { ip: '127.0.0.1', userAgent: 'bench' });
const today = new Date().toISOString().slice(0, 10);
const ins = await db
  .selectFrom('inspections')
  .select(['id', 'planned_on'])
  .where('status', '=', 'planned')
  .orderBy('planned_on')
  .execute();
const target = ins.find((i) => i.planned_on >= today) ?? ins[0]!;
console.log(
  JSON.stringify({
    url: running.url,
    cookie: `okno_session=${s.token}`,
    csrf: s.csrfToken,
    inspectionId: target.id,
  }),
);
const stop = () => {
  void running.close().finally(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
