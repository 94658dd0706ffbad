import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  configReference,
  envName,
  loadConfig,
  redactedConfig,
  retryDelayMs,
} from '../../src/config/config.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  test('the sample config files load', () => {
    const cfg = loadConfig({ env: {}, file: 'config/okno.sample.json' });
    assert.equal(cfg.port, 8080);
    assert.equal(cfg.session.idleTimeoutMinutes, 30);
    assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.session));
    const prod = loadConfig({ env: {}, file: 'config/okno.production.sample.json' });
    assert.equal(prod.mode, 'production');
    assert.equal(redactedConfig(prod).databaseUrl, '***');
  });

  test('defaults need nothing', () => {
    const cfg = loadConfig({ env: {} });
    assert.equal(cfg.publicUrl, 'http://localhost:8080');
    assert.equal(cfg.databaseUrl, undefined);
    assert.ok(path.isAbsolute(cfg.dataDir));
  });

  test('environment overrides the file, with names derived from the keys', () => {
    assert.equal(envName('session.idleTimeoutMinutes'), 'OKNO_SESSION_IDLE_TIMEOUT_MINUTES');
    const cfg = loadConfig({
      env: { OKNO_PORT: '9090', OKNO_SESSION_IDLE_TIMEOUT_MINUTES: '5' },
      file: 'config/okno.sample.json',
    });
    assert.equal(cfg.port, 9090);
    assert.equal(cfg.session.idleTimeoutMinutes, 5);
  });

  test('every error is reported at once, by key name', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'okno-cfg-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(
      file,
      JSON.stringify({ port: 'eighty', colour: 'red', session: { idleTimeoutMinutes: 0 } }),
    );
    const problems = problemsOf(() => loadConfig({ env: { OKNO_PORTT: '1', OKNO_MODE: 'staging' }, file }));
    const text = problems.join('\n');
    for (const expected of [
      'port (config file)',
      'colour (config file): unknown key',
      'session.idleTimeoutMinutes',
      'OKNO_PORTT (environment): unknown variable',
      'mode (OKNO_MODE)',
    ])
      assert.ok(text.includes(expected), `missing "${expected}" in:\n${text}`);
  });

  test('malformed JSON and a missing file are clear errors', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'okno-cfg-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{ "port": 80,, }');
    assert.match(problemsOf(() => loadConfig({ env: {}, file }))[0]!, /not valid JSON/);
    assert.match(
      problemsOf(() => loadConfig({ env: {}, file: path.join(dir, 'nope.json') }))[0]!,
      /cannot read \(ENOENT\)/,
    );
  });

  test('production refuses the development identity provider and plain http', () => {
    const problems = problemsOf(() => loadConfig({ env: { OKNO_MODE: 'production' } }));
    assert.ok(problems.some((p) => p.startsWith('oidc.devProvider')));
    assert.ok(problems.some((p) => p.startsWith('publicUrl')));
  });

  test('a non-postgres database URL is refused', () => {
    const problems = problemsOf(() => loadConfig({ env: { OKNO_DATABASE_URL: 'mysql://x@y/z' } }));
    assert.match(problems[0]!, /^databaseUrl/);
  });

  test('alert delivery and SMTP settings are validated together, every problem named', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          OKNO_ALERTS_RETRY_SECONDS: '1,5,soon',
          OKNO_SMTP_USER: 'okno',
          OKNO_SMTP_FROM: 'not an address',
          OKNO_SMTP_HOST: 'mail host',
        },
      }),
    );
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('alerts.retrySeconds')));
    assert.ok(problems.some((p) => p.startsWith('smtp.password')));
    assert.ok(problems.some((p) => p.startsWith('smtp.from')));
    assert.ok(problems.some((p) => p.startsWith('smtp.host')));
    const ok = loadConfig({
      env: {
        OKNO_SMTP_HOST: 'smtp.example.ru',
        OKNO_SMTP_FROM: 'Окно <alerts@example.ru>',
        OKNO_ALERTS_RETRY_SECONDS: '2, 10',
      },
    });
    assert.equal(ok.smtp.host, 'smtp.example.ru');
    assert.equal(retryDelayMs(ok, 1), 2000);
    assert.equal(retryDelayMs(ok, 2), 10_000);
    assert.equal(retryDelayMs(ok, 7), 10_000, 'the last wait repeats');
    const shown = redactedConfig(loadConfig({ env: { OKNO_SMTP_USER: 'u', OKNO_SMTP_PASSWORD: 'p' } }));
    assert.equal((shown.smtp as { password: string }).password, '***');
  });

  test('the reference lists every setting', () => {
    const ref = configReference();
    assert.ok(ref.includes('`OKNO_DATABASE_URL`') && ref.includes('`streams.maxPerViewer`'));
  });
});
