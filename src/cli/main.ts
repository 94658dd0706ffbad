/**
 * The `okno` command line. Every command has --help. Configuration comes from OKNO_* variables and
 * the file named by --config or OKNO_CONFIG; it is validated before anything else runs.
 */
import { Command, Option } from 'commander';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, configReference, loadConfig, redactedConfig, type Config } from '../config/config.js';
import { migrateToLatest } from '../storage/db.js';
import { openConfiguredDatabase, startServer } from '../server/serve.js';
import { recordAudit, SYSTEM_CONTEXT } from '../audit/audit-log.js';
import {
  checkpointFile,
  checkpointKeyFile,
  loadCheckpointPublicKey,
  loadOrCreateCheckpointKey,
  verifyAuditAnchored,
} from '../audit/checkpoints.js';
import { seedDemo } from '../demo/seed.js';
import { DEMO_PEOPLE } from '../demo/people.js';
import { devIssuer } from '../identity/dev-provider-info.js';
import { systemClock } from '../shared/clock.js';
import { RecordingsRepository } from '../storage/repositories/recordings.js';
import { checkRecordings, describeReport } from '../recording/check.js';
import { recordingDir } from '../recording/paths.js';
import { describeHolder, tryLockRecordingDir } from '../recording/dir-lock.js';
import { verifyExportPackage } from '../recording/export.js';
import { loadExportPublicKey, loadOrCreateExportKey, publicKeyFromPem } from '../recording/export-key.js';
import { verifyInspections } from '../inspections/verify-cli.js';
import { sweepInspectionRetention } from '../inspections/retention.js';

const program = new Command();
program
  .name('okno')
  .description('Okno — video for public institutions: live viewing for parents, recording for offices')
  .addOption(new Option('-c, --config <file>', 'JSON config file (default: $OKNO_CONFIG)'))
  .showHelpAfterError();

function config(): Config {
  const file = program.opts<{ config?: string }>().config;
  return loadConfig(file ? { file } : {});
}

function fail(e: unknown): never {
  if (e instanceof ConfigError) console.error(e.message);
  else console.error(`okno: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(e instanceof ConfigError ? 78 : 1);
}

function onSignals(close: () => Promise<void>): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
}

program
  .command('serve')
  .description('run the server (API, identity, media) with the configured settings')
  .action(async () => {
    const cfg = config();
    const running = await startServer(cfg);
    onSignals(() => running.close());
    console.error(`okno listening on ${running.url} (public URL ${cfg.publicUrl})`);
  });

program
  .command('demo')
  .description('run the demo on embedded defaults: SQLite, the development identity provider and demo data')
  .option('--reset', 'delete the demo database first and seed it anew (SQLite only)')
  .action(async (opts: { reset?: boolean }) => {
    const cfg = config();
    if (cfg.mode === 'production') fail(new Error('the demo is refused in production mode'));
    if (opts.reset) {
      if (cfg.databaseUrl) fail(new Error('--reset works only on the embedded SQLite database'));
      for (const f of ['okno.db', 'okno.db-wal', 'okno.db-shm'])
        rmSync(path.join(cfg.dataDir, f), { force: true });
    }
    const running = await startServer(cfg, {
      quietRequests: true,
      beforeListen: async (db) => {
        await seedDemo(db.kysely, devIssuer(cfg.publicUrl), new Date());
      },
    });
    onSignals(() => running.close());
    const lines = [
      '',
      `  Okno demo is running: ${cfg.publicUrl}`,
      '',
      "  Log in as any demo person on the development identity provider's page:",
      ...DEMO_PEOPLE.map((p) => `    ${p.displayName.padEnd(28)} ${p.description}`),
      '',
      '  From a phone on the same network: OKNO_HOST=0.0.0.0 OKNO_PUBLIC_URL=http://<this computer’s address>:8080 npm start',
      '  Stop with Ctrl+C. `npm start -- --reset` recreates the demo data.',
      '',
    ];
    console.error(lines.join('\n'));
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const cfg = config();
    const db = openConfiguredDatabase(cfg);
    try {
      const results = (await migrateToLatest(db)) ?? [];
      console.log(
        results.length
          ? results.map((r) => `applied ${r.migrationName}`).join('\n')
          : `${db.description}: up to date`,
      );
    } finally {
      await db.close();
    }
  });

const configCmd = program.command('config').description('inspect the configuration');
configCmd
  .command('check')
  .description('validate the configuration (file and OKNO_* variables) and print it with secrets masked')
  .action(() => {
    const cfg = config();
    console.log(JSON.stringify(redactedConfig(cfg), null, 2));
    console.error('configuration is valid');
  });
configCmd
  .command('reference')
  .description('print every setting as a Markdown table (file key, variable, type, default, meaning)')
  .action(() => console.log(configReference()));

const audit = program.command('audit').description('the tamper-evident audit log');
audit
  .command('verify')
  .description(
    "walk the hash chain and check it against the signed checkpoints (the server's file and any copies " +
      'given); exit 1 and name where if any entry was edited, removed, reordered or the chain rewritten',
  )
  .option(
    '--checkpoints <file>',
    'also check against this checkpoint file (a copy an auditor kept); may be repeated',
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .option('--public-key <pem>', 'the checkpoint key to trust (PEM); default: the configured key file')
  .action(async (opts: { checkpoints: string[]; publicKey?: string }) => {
    const cfg = config();
    const own = checkpointFile(cfg);
    const files = [
      ...(existsSync(own) ? [{ source: own, path: own }] : []),
      ...opts.checkpoints.map((f) => ({ source: f, path: f })),
    ];
    for (const f of opts.checkpoints) if (!existsSync(f)) fail(new Error(`no checkpoint file at ${f}`));
    const keyFile = opts.publicKey ?? checkpointKeyFile(cfg);
    const publicKey = existsSync(keyFile) || opts.publicKey ? loadCheckpointPublicKey(keyFile) : null;
    const db = openConfiguredDatabase(cfg);
    try {
      const r = await verifyAuditAnchored(db.kysely, files, publicKey);
      // The verdict first; the details after it.
      console.log(r.ok ? `audit chain intact: ${r.entries} entries` : 'audit chain NOT intact');
      if (!r.chain.ok)
        console.log(
          `  BROKEN at entry ${r.chain.firstBad!.seq}${r.chain.firstBad!.id ? ` (${r.chain.firstBad!.id})` : ''}: ${r.chain.firstBad!.problem}`,
        );
      if (files.length === 0)
        console.log('  no checkpoint file: the chain is not anchored outside the database');
      for (const c of r.checkpoints) {
        for (const p of c.problems) console.log(`  ${p}`);
        if (c.ok)
          console.log(
            `  ${c.source}: ${c.checked} signed checkpoints match` +
              (c.lastGood ? ` (newest: entry ${c.lastGood.seq} at ${c.lastGood.at})` : '') +
              (c.unanchored ? `; ${c.unanchored} newer entries not yet anchored` : ''),
          );
      }
      if (!r.ok) process.exitCode = 1;
    } finally {
      await db.close();
    }
  });
audit
  .command('public-key')
  .description('print the public key that verifies audit checkpoints (PEM) and its id (made on first use)')
  .action(() => {
    const key = loadOrCreateCheckpointKey(checkpointKeyFile(config()));
    process.stdout.write(key.publicKeyPem);
    console.error(`key id (sha256 of the public key): ${key.keyId}`);
  });

const recordings = program.command('recordings').description('recorded video: segment files and their index');
recordings
  .command('check')
  .description(
    'reconcile segment files and index rows (orphan files, missing files, sizes, sha256, hash chain); ' +
      'exit 1 when something is wrong',
  )
  .option(
    '--repair',
    'index salvageable orphan files and finish interrupted deletes (never deletes video); ' +
      'refused (exit 75) while a server records the directory',
  )
  .action(async (opts: { repair?: boolean }) => {
    const cfg = config();
    const root = recordingDir(cfg);
    // One owner per recording directory: --repair holds the lock for its whole run; a plain check
    // only looks whether a server is recording here, and then reads only.
    const attempt = tryLockRecordingDir(root, 'okno recordings check' + (opts.repair ? ' --repair' : ''));
    if (!attempt.ok && opts.repair) {
      console.log(`recordings check --repair REFUSED: ${describeHolder(root, attempt.holder)}`);
      console.log('run `okno recordings check` (read-only) now, or stop that process first');
      process.exitCode = 75;
      return;
    }
    const lock = attempt.ok ? attempt.lock : undefined;
    if (lock && !opts.repair) lock.release();
    const db = openConfiguredDatabase(cfg);
    try {
      const repo = new RecordingsRepository(db.kysely);
      const cameras = await db.kysely.selectFrom('cameras').select('id').execute();
      if (!attempt.ok) console.log(`read-only: ${describeHolder(root, attempt.holder)}`);
      const report = await checkRecordings(root, repo, systemClock, {
        repair: opts.repair === true,
        verifyHashes: true,
        knownCameras: new Set(cameras.map((c) => c.id)),
        live: !attempt.ok,
      });
      for (const line of describeReport(report)) console.log(line);
      if (report.actions.length > 0)
        await recordAudit(
          db.kysely,
          SYSTEM_CONTEXT,
          {
            action: 'recording.repair',
            targetKind: 'recordings',
            reason: 'okno recordings check --repair',
            details: { actions: report.actions.slice(0, 200) },
          },
          new Date(),
        );
      const unresolved =
        report.orphans.some((o) => o.action !== 'indexed' && !o.action.startsWith('removed')) ||
        report.unfinishedDeletes.some((d) => d.action !== 'delete finished') ||
        report.missingFiles.length + report.sizeMismatches.length + report.hashMismatches.length > 0 ||
        report.chainBreaks.length > 0;
      console.log(
        unresolved ? 'recordings check: PROBLEMS FOUND' : 'recordings check: files and index agree',
      );
      if (unresolved) process.exitCode = 1;
    } finally {
      await db.close();
      lock?.release();
    }
  });

const exportCmd = program.command('export').description('signed export packages of recordings');
exportCmd
  .command('verify')
  .description(
    "check every file of an export package against the site's public key; the verdict first, then which part failed (manifest, signature, clip, key, README); exit 1 when altered",
  )
  .argument('<file>', 'the .tar package')
  .option('--public-key <pem>', "the site's public key (PEM); default: the key in DATA_DIR")
  .action(async (file: string, opts: { publicKey?: string }) => {
    const key = opts.publicKey
      ? publicKeyFromPem(readFileSync(opts.publicKey))
      : loadExportPublicKey(config().dataDir);
    const r = await verifyExportPackage(file, key);
    // The verdict first; what the package says about itself only when its signature holds.
    console.log(r.ok ? 'export intact' : 'export NOT intact');
    for (const line of r.problems) console.log(`ALTERED  ${line}`);
    for (const line of r.passed) console.log(`ok       ${line}`);
    if (r.manifest && r.ok)
      console.log(
        `export ${r.manifest.exportId}: camera ${r.manifest.camera?.name}, ${r.manifest.range?.requested?.from} — ` +
          `${r.manifest.range?.requested?.to}, by ${r.manifest.requestedBy?.displayName} (${r.manifest.reason})`,
      );
    const c = r.ok ? r.manifest?.custody : undefined;
    if (c) {
      const m = r.manifest!.masking;
      console.log(
        `citizen's request ${c.request.reference} of ${c.request.receivedOn}: requested by ${c.requested.displayName} ` +
          `${c.requested.at}, approved by ${c.approved.displayName} ${c.approved.at}, produced by ` +
          `${c.produced.displayName} ${c.produced.at}`,
      );
      if (m)
        console.log(
          `masked: ${m.masks.length} privacy mask(s) filled, ${m.regions.length} region(s) ${m.regionStyle}, audio ${m.audio}`,
        );
    }
    if (r.ok && r.handover)
      console.log(
        `handed over to ${r.handover.handedTo} by ${r.handover.handedOverBy.displayName} ${r.handover.handedOverBy.at}`,
      );
    if (!(r.manifest && r.ok))
      console.log('(what the package says about itself is not shown: it did not verify)');
    if (!r.ok) process.exitCode = 1;
  });
exportCmd
  .command('public-key')
  .description("print the site's export verification key (PEM) and its id (made on first use)")
  .action(() => {
    const key = loadOrCreateExportKey(config().dataDir);
    process.stdout.write(key.publicKeyPem);
    console.error(`key id (sha256 of the public key): ${key.keyId}`);
  });

const inspectionsCmd = program
  .command('inspections')
  .description('home inspections: sealed, signed inspection records and their photos');
inspectionsCmd
  .command('retention')
  .description(
    "delete photos of closed cases past their category's retention period (never under a legal hold); " +
      'the sealed records keep naming them',
  )
  .option('--dry-run', 'only list what would be deleted')
  .action(async (opts: { dryRun?: boolean }) => {
    const cfg = config();
    const db = openConfiguredDatabase(cfg);
    try {
      const r = await sweepInspectionRetention(db.kysely, systemClock, cfg.dataDir, {
        dryRun: opts.dryRun === true,
      });
      console.log(`${opts.dryRun ? 'would delete' : 'deleted'} ${r.purged.length} photo(s)`);
    } finally {
      await db.close();
    }
  });
inspectionsCmd
  .command('verify')
  .description(
    "check every sealed inspection version (or those given) against the site's public key and the " +
      'stored photo originals; exit 1 and name what was altered',
  )
  .argument('[inspectionIds...]', 'only these inspections')
  .option('--public-key <pem>', "the site's public key (PEM); default: the key in DATA_DIR")
  .action(async (ids: string[], opts: { publicKey?: string }) => {
    const cfg = config();
    const key = opts.publicKey
      ? publicKeyFromPem(readFileSync(opts.publicKey))
      : loadExportPublicKey(cfg.dataDir);
    const db = openConfiguredDatabase(cfg);
    try {
      const checks = await verifyInspections(db.kysely, cfg.dataDir, key, ids);
      for (const c of checks) {
        console.log(`inspection ${c.inspectionId} v${c.version}: ${c.ok ? 'intact' : 'NOT intact'}`);
        for (const line of c.passed) console.log(`  ok       ${line}`);
        for (const line of c.problems) console.log(`  ALTERED  ${line}`);
      }
      const bad = checks.filter((c) => !c.ok).length;
      console.log(
        checks.length === 0
          ? 'no sealed inspections to verify'
          : bad === 0
            ? `inspections intact: ${checks.length} sealed version(s) verified`
            : `inspections NOT intact: ${bad} of ${checks.length} version(s) fail`,
      );
      if (bad > 0) process.exitCode = 1;
    } finally {
      await db.close();
    }
  });

program.parseAsync(process.argv).catch(fail);
