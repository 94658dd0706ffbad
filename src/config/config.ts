/**
 * Configuration: parsed once at start from a JSON config file and OKNO_* environment variables,
 * validated against one table of settings, typed and frozen. Every problem is reported at once,
 * named by its key; unknown keys (in the file or as OKNO_* variables) are errors.
 *
 * The table below is the single source of the README's configuration reference
 * (`okno config reference` prints it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

type Kind = 'string' | 'int' | 'bool' | 'enum' | 'url';

interface Setting {
  /** dotted path in the config file, e.g. "session.idleTimeoutMinutes" */
  key: string;
  kind: Kind;
  values?: readonly string[];
  min?: number;
  max?: number;
  default: string | number | boolean | undefined;
  secret?: boolean;
  help: string;
}

export const SETTINGS = [
  {
    key: 'mode',
    kind: 'enum',
    values: ['development', 'production'],
    default: 'development',
    help: 'production refuses the embedded development identity provider and demo data',
  },
  { key: 'host', kind: 'string', default: '127.0.0.1', help: 'address the HTTP server listens on' },
  { key: 'port', kind: 'int', min: 0, max: 65535, default: 8080, help: 'HTTP port (0 picks a free one)' },
  {
    key: 'publicUrl',
    kind: 'url',
    default: undefined,
    help: 'external base URL (https in production); default http://localhost:PORT',
  },
  {
    key: 'dataDir',
    kind: 'string',
    default: './data',
    help: 'directory for the SQLite file, keys and media',
  },
  {
    key: 'databaseUrl',
    kind: 'string',
    default: undefined,
    secret: true,
    help: 'postgres://… for PostgreSQL; empty uses SQLite at DATA_DIR/okno.db',
  },
  {
    key: 'migrateOnStart',
    kind: 'bool',
    default: true,
    help: 'apply pending migrations when the server starts',
  },
  {
    key: 'logLevel',
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    help: 'log level (JSON logs on stdout)',
  },
  {
    key: 'oidc.devProvider',
    kind: 'bool',
    default: true,
    help: 'run the embedded development OpenID provider at /dev-idp (refused in production)',
  },
  {
    key: 'oidc.issuer',
    kind: 'url',
    default: undefined,
    help: 'issuer URL of the real OpenID provider (required when devProvider is off)',
  },
  { key: 'oidc.clientId', kind: 'string', default: 'okno', help: 'OpenID client id registered for Okno' },
  {
    key: 'oidc.clientSecret',
    kind: 'string',
    default: undefined,
    secret: true,
    help: 'OpenID client secret (the dev provider generates its own)',
  },
  {
    key: 'session.idleTimeoutMinutes',
    kind: 'int',
    min: 1,
    max: 24 * 60,
    default: 30,
    help: 'a session unused this long ends',
  },
  {
    key: 'session.absoluteTimeoutHours',
    kind: 'int',
    min: 1,
    max: 24 * 30,
    default: 12,
    help: 'a session ends this long after login whatever its use',
  },
  { key: 'ffmpegPath', kind: 'string', default: 'ffmpeg', help: 'ffmpeg binary (Debian package ffmpeg)' },
  { key: 'ffprobePath', kind: 'string', default: 'ffprobe', help: 'ffprobe binary (Debian package ffmpeg)' },
  {
    key: 'streams.maxPerViewer',
    kind: 'int',
    min: 1,
    max: 50,
    default: 2,
    help: 'concurrent live streams one parent may hold',
  },
  {
    key: 'streams.grantTtlSeconds',
    kind: 'int',
    min: 5,
    max: 60,
    default: 60,
    help: 'lifetime of a stream grant token; players renew before it ends',
  },
  {
    key: 'recording.enabled',
    kind: 'bool',
    default: true,
    help: 'run the recorder in this process (off for processes that only serve the API and playback)',
  },
  {
    key: 'recording.dir',
    kind: 'string',
    default: undefined,
    help: 'where segment files are written; default DATA_DIR/recordings',
  },
  {
    key: 'recording.segmentSeconds',
    kind: 'int',
    min: 2,
    max: 600,
    default: 60,
    help: 'length of a segment file (each starts on a keyframe, so segments run a little longer)',
  },
  {
    key: 'recording.syncIntervalMs',
    kind: 'int',
    min: 100,
    max: 5000,
    default: 500,
    help: 'how often written video is fdatasync-ed: the most a machine crash can lose',
  },
  {
    key: 'recording.preRollSeconds',
    kind: 'int',
    min: 5,
    max: 60,
    default: 6,
    help: 'video kept in memory for manual cameras and written before the start of a visit',
  },
  {
    key: 'recording.postRollSeconds',
    kind: 'int',
    min: 0,
    max: 3600,
    default: 10,
    help: 'how long manual recording goes on after it is stopped',
  },
  {
    key: 'recording.minFreeBytes',
    kind: 'int',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    default: 2 * 1024 * 1024 * 1024,
    help: 'recording stops (gap disk_full, alert) when the recording disk has less free space than this',
  },
  {
    key: 'recording.retentionDaysDefault',
    kind: 'int',
    min: 1,
    max: 3650,
    default: 30,
    help: 'days recordings are kept where no retention is set for the institution and room kind',
  },
  {
    key: 'recording.exportKeepDays',
    kind: 'int',
    min: 1,
    max: 3650,
    default: 7,
    help: 'days an export package stays on the server to be downloaded; then the file is deleted (unless a legal hold covers it) and the record of the export is kept',
  },
  {
    key: 'recording.playbackMinutes',
    kind: 'int',
    min: 5,
    max: 24 * 60,
    default: 120,
    help: 'how long a playback grant lets its viewer fetch the range it was given for',
  },
  {
    key: 'attendance.orderCutoffHour',
    kind: 'int',
    min: 0,
    max: 23,
    default: 12,
    help: "local hour on the day before at which tomorrow's meal order is final (parents' notices and corrections change it until then)",
  },
  {
    key: 'attendance.signatureWindowSeconds',
    kind: 'int',
    min: 30,
    max: 3600,
    default: 300,
    help: 'how far the signed timestamp of an analytics event batch may be from the server clock (replay window)',
  },
  {
    key: 'attendance.eventMaxAgeDays',
    kind: 'int',
    min: 1,
    max: 90,
    default: 14,
    help: 'how old a door event may be when it arrives (a device sending its backlog after an outage)',
  },
  {
    key: 'attendance.mqttUrl',
    kind: 'string',
    default: undefined,
    help: 'mqtt://host:port of the broker analytics devices publish to (topic okno/attendance/DEVICE/events); empty: no MQTT intake',
  },
  {
    key: 'attendance.jobs',
    kind: 'bool',
    default: true,
    help: "run the attendance jobs in this process (daily aggregation, tomorrow's meal order at the cut-off), under a lease",
  },
  {
    key: 'inspections.maxPhotoBytes',
    kind: 'int',
    min: 1024 * 1024,
    max: 200 * 1024 * 1024,
    default: 25 * 1024 * 1024,
    help: 'largest inspection photo accepted, in bytes (larger ones are refused before any byte is stored)',
  },
  {
    key: 'inspections.skewFlagSeconds',
    kind: 'int',
    min: 10,
    max: 86400,
    default: 300,
    help: "a photo whose phone clock differs from the server's by more than this is stored and flagged",
  },
  {
    key: 'inspections.skewRefuseHours',
    kind: 'int',
    min: 1,
    max: 8760,
    default: 72,
    help: 'photos from a phone whose clock is off by more than this are refused until the clock is set',
  },
  {
    key: 'inspections.linkSeconds',
    kind: 'int',
    min: 10,
    max: 3600,
    default: 120,
    help: 'how long a signed link to an inspection photo works',
  },
  {
    key: 'audit.checkpointSeconds',
    kind: 'int',
    min: 0,
    max: 24 * 3600,
    default: 60,
    help: "how often the server signs a checkpoint of the audit chain's head (0: never; see docs/design/audit-anchoring.md)",
  },
  {
    key: 'audit.checkpointFile',
    kind: 'string',
    default: undefined,
    help: 'append-only file of signed audit checkpoints, outside the database; default DATA_DIR/audit-checkpoints.jsonl',
  },
  {
    key: 'audit.checkpointKeyFile',
    kind: 'string',
    default: undefined,
    help: 'Ed25519 key that signs audit checkpoints (PKCS#8 PEM, made on first use, 0600); default DATA_DIR/audit-checkpoint-key.pem',
  },
  {
    key: 'cameras.alertAfterSeconds',
    kind: 'int',
    min: 5,
    max: 24 * 3600,
    default: 30,
    help: 'a camera dark this long (from its last video) raises an alert, delivered within seconds: with the default, well within 60 s (every outage longer than the watchdog window is recorded)',
  },
  {
    key: 'cameras.mergeWritesFromViewers',
    kind: 'int',
    min: 0,
    max: 1_000_000,
    default: 256,
    help: 'a camera watched live by this many viewers or more sends two fragments per socket write: ~40% less CPU per viewer for at most 0.1 s more latency (0: never)',
  },
  {
    key: 'cameras.idleCheckMinutes',
    kind: 'int',
    min: 0,
    max: 24 * 60,
    default: 5,
    help: 'how often a camera nobody watches is checked with a short RTSP request (0: never); spread over the period',
  },
  {
    key: 'billing.graceDay',
    kind: 'int',
    min: 1,
    max: 28,
    default: 25,
    help: 'a monthly charge unpaid after this day of the next month suspends the subscription',
  },
  {
    key: 'billing.pilotNoticeDays',
    kind: 'int',
    min: 1,
    max: 90,
    default: 14,
    help: 'parents of a free-pilot kindergarten are told this many days before the pilot ends',
  },
  {
    key: 'visits.maxOpenMinutes',
    kind: 'int',
    min: 5,
    max: 24 * 60,
    default: 180,
    help: 'a visit at an office workplace still open after this long is closed by the server and flagged',
  },
  {
    key: 'visits.checkSeconds',
    kind: 'int',
    min: 0,
    max: 3600,
    default: 20,
    help: 'how often visit flags (gaps, dark cameras, overlong visits) and coverage are computed (0: never)',
  },
  {
    key: 'visits.missingMinVisits',
    kind: 'int',
    min: 1,
    max: 1000,
    default: 3,
    help: 'an employee with no visit on a working day on which the office had at least this many visits at other workplaces is flagged (per-visit workplaces)',
  },
  {
    key: 'alerts.delivery',
    kind: 'bool',
    default: true,
    help: 'run the alert delivery worker in this process (in-app notifications, e-mail, webhooks), under a lease: of several processes one delivers',
  },
  {
    key: 'alerts.pollMs',
    kind: 'int',
    min: 100,
    max: 60_000,
    default: 1000,
    help: 'how often the delivery worker looks for new alerts and due retries (an alert raised in this process wakes it at once)',
  },
  {
    key: 'alerts.maxAttempts',
    kind: 'int',
    min: 1,
    max: 50,
    default: 8,
    help: 'attempts per e-mail or webhook delivery before it is marked failed',
  },
  {
    key: 'alerts.retrySeconds',
    kind: 'string',
    default: '1,5,30,120,600',
    help: 'waits between attempts, comma-separated seconds; the last one repeats (exponential back-off)',
  },
  {
    key: 'alerts.webhookTimeoutSeconds',
    kind: 'int',
    min: 1,
    max: 120,
    default: 10,
    help: 'a webhook receiver that has not answered in this time counts as a failed attempt',
  },
  {
    key: 'alerts.maxAgeMinutes',
    kind: 'int',
    min: 1,
    max: 7 * 24 * 60,
    default: 60,
    help: 'alerts older than this when first seen by the worker (the server was down) go to the app only, not by e-mail or webhook',
  },
  {
    key: 'smtp.host',
    kind: 'string',
    default: undefined,
    help: 'SMTP server for alert e-mails; empty: no e-mail is sent',
  },
  { key: 'smtp.port', kind: 'int', min: 1, max: 65535, default: 587, help: 'SMTP port' },
  {
    key: 'smtp.secure',
    kind: 'bool',
    default: false,
    help: 'TLS from the first byte (port 465); false uses STARTTLS when the server offers it',
  },
  { key: 'smtp.user', kind: 'string', default: undefined, help: 'SMTP login (empty: no authentication)' },
  {
    key: 'smtp.password',
    kind: 'string',
    default: undefined,
    secret: true,
    help: 'SMTP password (required with smtp.user)',
  },
  {
    key: 'smtp.from',
    kind: 'string',
    default: 'Окно <okno@localhost>',
    help: 'sender of alert e-mails: an address, optionally "Name <address>"',
  },
] as const satisfies readonly Setting[];

/** Variables named OKNO_* that are not settings but are read elsewhere (and so are not "unknown"). */
const OTHER_ENV = new Set(['OKNO_CONFIG', 'OKNO_TEST_DATABASE_URL', 'OKNO_BENCH_DATABASE_URL']);

export function envName(key: string): string {
  return (
    'OKNO_' +
    key
      .replace(/\./g, '_')
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .toUpperCase()
  );
}

export interface Config {
  readonly mode: 'development' | 'production';
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly migrateOnStart: boolean;
  readonly logLevel: string;
  readonly oidc: {
    readonly devProvider: boolean;
    readonly issuer: string | undefined;
    readonly clientId: string;
    readonly clientSecret: string | undefined;
  };
  readonly session: { readonly idleTimeoutMinutes: number; readonly absoluteTimeoutHours: number };
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  readonly streams: { readonly maxPerViewer: number; readonly grantTtlSeconds: number };
  readonly cameras: {
    readonly alertAfterSeconds: number;
    readonly idleCheckMinutes: number;
    readonly mergeWritesFromViewers: number;
  };
  readonly recording: {
    readonly enabled: boolean;
    readonly dir: string | undefined;
    readonly segmentSeconds: number;
    readonly syncIntervalMs: number;
    readonly preRollSeconds: number;
    readonly postRollSeconds: number;
    readonly minFreeBytes: number;
    readonly retentionDaysDefault: number;
    readonly exportKeepDays: number;
    readonly playbackMinutes: number;
  };
  readonly attendance: {
    readonly orderCutoffHour: number;
    readonly signatureWindowSeconds: number;
    readonly eventMaxAgeDays: number;
    readonly mqttUrl: string | undefined;
    readonly jobs: boolean;
  };
  readonly inspections: {
    readonly maxPhotoBytes: number;
    readonly skewFlagSeconds: number;
    readonly skewRefuseHours: number;
    readonly linkSeconds: number;
  };
  readonly billing: { readonly graceDay: number; readonly pilotNoticeDays: number };
  readonly visits: {
    readonly maxOpenMinutes: number;
    readonly checkSeconds: number;
    readonly missingMinVisits: number;
  };
  readonly alerts: {
    readonly delivery: boolean;
    readonly pollMs: number;
    readonly maxAttempts: number;
    /** comma-separated seconds, validated: use retryDelaysMs() */
    readonly retrySeconds: string;
    readonly webhookTimeoutSeconds: number;
    readonly maxAgeMinutes: number;
  };
  readonly smtp: {
    readonly host: string | undefined;
    readonly port: number;
    readonly secure: boolean;
    readonly user: string | undefined;
    readonly password: string | undefined;
    readonly from: string;
  };
  readonly audit: {
    readonly checkpointSeconds: number;
    readonly checkpointFile: string | undefined;
    readonly checkpointKeyFile: string | undefined;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super('invalid configuration:\n' + problems.map((p) => '  - ' + p).join('\n'));
    this.name = 'ConfigError';
  }
}

function flatten(obj: unknown, prefix: string, out: Map<string, unknown>, problems: string[]): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    problems.push(`${prefix || 'config file'}: expected an object`);
    return;
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out, problems);
    else out.set(key, v);
  }
}

function coerce(s: Setting, raw: unknown, where: string, problems: string[]): unknown {
  const bad = (why: string) => {
    problems.push(`${s.key} (${where}): ${why}`);
    return undefined;
  };
  switch (s.kind) {
    case 'string':
      if (typeof raw !== 'string') return bad('expected a string');
      return raw;
    case 'url': {
      if (typeof raw !== 'string') return bad('expected a URL string');
      try {
        const u = new URL(raw);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return bad('expected an http(s) URL');
        return raw.replace(/\/+$/, '');
      } catch {
        return bad(`not a valid URL: ${JSON.stringify(raw)}`);
      }
    }
    case 'int': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) return bad(`expected an integer, got ${JSON.stringify(raw)}`);
      if (s.min !== undefined && n < s.min) return bad(`must be ≥ ${s.min}`);
      if (s.max !== undefined && n > s.max) return bad(`must be ≤ ${s.max}`);
      return n;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return bad(`expected true or false, got ${JSON.stringify(raw)}`);
    case 'enum':
      if (typeof raw !== 'string' || !s.values?.includes(raw))
        return bad(`expected one of ${s.values?.join(', ')}, got ${JSON.stringify(raw)}`);
      return raw;
  }
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const p of parts.slice(0, -1)) {
    node[p] ??= {};
    node = node[p] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** path of a JSON config file; defaults to $OKNO_CONFIG */
  file?: string;
  /** values that win over everything (used by tests and the CLI) */
  overrides?: Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const known = new Map<string, Setting>(SETTINGS.map((s) => [s.key, s]));
  const fromFile = new Map<string, unknown>();
  const file = opts.file ?? env.OKNO_CONFIG;
  if (file) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      problems.push(`config file ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (text !== undefined) {
      try {
        flatten(JSON.parse(text), '', fromFile, problems);
      } catch (e) {
        problems.push(`config file ${file}: not valid JSON (${(e as Error).message})`);
      }
    }
    for (const k of fromFile.keys()) if (!known.has(k)) problems.push(`${k} (config file): unknown key`);
  }
  const envNames = new Map(SETTINGS.map((s) => [envName(s.key), s.key]));
  for (const name of Object.keys(env)) {
    if (name.startsWith('OKNO_') && !envNames.has(name) && !OTHER_ENV.has(name))
      problems.push(`${name} (environment): unknown variable`);
  }
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS as readonly Setting[]) {
    let value: unknown = s.default;
    if (fromFile.has(s.key)) value = coerce(s, fromFile.get(s.key), 'config file', problems);
    const ev = env[envName(s.key)];
    if (ev !== undefined && ev !== '') value = coerce(s, ev, envName(s.key), problems);
    if (opts.overrides && s.key in opts.overrides)
      value = coerce(s, opts.overrides[s.key], 'override', problems);
    setPath(out, s.key, value);
  }
  const cfg = out as unknown as Config & { publicUrl: string | undefined };
  if (problems.length === 0) {
    if (cfg.mode === 'production') {
      if (cfg.oidc.devProvider)
        problems.push('oidc.devProvider: the development identity provider is refused in production mode');
      if (!cfg.oidc.issuer) problems.push('oidc.issuer: required in production mode');
      if (!cfg.publicUrl?.startsWith('https://'))
        problems.push('publicUrl: an https URL is required in production mode');
    } else if (!cfg.oidc.devProvider && !cfg.oidc.issuer) {
      problems.push('oidc.issuer: required when oidc.devProvider is false');
    }
    if (parseRetrySeconds(cfg.alerts.retrySeconds) === undefined)
      problems.push(
        `alerts.retrySeconds: expected comma-separated whole seconds (1–86400), e.g. 1,5,30,120,600; got ${JSON.stringify(cfg.alerts.retrySeconds)}`,
      );
    if (!EMAIL_FROM.test(cfg.smtp.from.trim()))
      problems.push(
        `smtp.from: expected an e-mail address or "Name <address>", got ${JSON.stringify(cfg.smtp.from)}`,
      );
    if (cfg.smtp.user && !cfg.smtp.password) problems.push('smtp.password: required when smtp.user is set');
    if (cfg.smtp.host !== undefined && !/^[A-Za-z0-9.:[\]-]+$/.test(cfg.smtp.host))
      problems.push(`smtp.host: expected a host name or address, got ${JSON.stringify(cfg.smtp.host)}`);
    if (cfg.databaseUrl && !/^(postgres|postgresql):\/\//.test(cfg.databaseUrl))
      problems.push('databaseUrl: must be a postgres:// URL (leave it empty for SQLite)');
  }
  if (problems.length) throw new ConfigError(problems);
  out.publicUrl = cfg.publicUrl ?? `http://localhost:${cfg.port}`;
  out.dataDir = path.resolve(cfg.dataDir);
  return deepFreeze(out as unknown as Config);
}

const EMAIL_ADDRESS = '[^\\s<>@]+@[^\\s<>@]+';
const EMAIL_FROM = new RegExp(`^(${EMAIL_ADDRESS}|[^<>]*<${EMAIL_ADDRESS}>)$`);

/** The waits of `alerts.retrySeconds` in seconds, or undefined when malformed. */
export function parseRetrySeconds(text: string): number[] | undefined {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > 50) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,6}$/.test(p)) return undefined;
    const n = Number(p);
    if (n < 1 || n > 86400) return undefined;
    out.push(n);
  }
  return out;
}

/** The wait before attempt `attempt + 1` (after `attempt` failed attempts, ≥ 1), in milliseconds. */
export function retryDelayMs(cfg: Pick<Config, 'alerts'>, attempt: number): number {
  const waits = parseRetrySeconds(cfg.alerts.retrySeconds) ?? [60];
  return waits[Math.min(Math.max(attempt, 1), waits.length) - 1]! * 1000;
}

/** Markdown table of every setting, for the README and `okno config reference`. */
export function configReference(): string {
  const rows = (SETTINGS as readonly Setting[]).map((s) => {
    const def = s.default === undefined ? '—' : `\`${String(s.default)}\``;
    const type = s.kind === 'enum' ? s.values!.join(' \\| ') : s.kind;
    return `| \`${s.key}\` | \`${envName(s.key)}\` | ${type} | ${def} | ${s.help} |`;
  });
  return ['| file key | environment | type | default | meaning |', '|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** The config with secrets masked, for `okno config check` output and logs. */
export function redactedConfig(cfg: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS as readonly Setting[]) {
    const value = s.key
      .split('.')
      .reduce<unknown>((o, p) => (o as Record<string, unknown> | undefined)?.[p], cfg);
    setPath(out, s.key, s.secret && value ? '***' : value);
  }
  return out;
}
