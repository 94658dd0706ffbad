/**
 * Anchoring the audit chain outside the database (docs/PRODUCT.md, Audit log, docs/design/audit-anchoring.md).
 *
 * The chain alone is unkeyed: whoever can write the database can rewrite entries and recompute every
 * hash after them, and the chain still verifies. A checkpoint is a signed statement "the chain had
 * `seq` entries and its head hash was `head`", signed with an Ed25519 key that lives in a file (never
 * in the database) and appended to a file outside the database. A rewrite changes the hash of every
 * entry from the edited one on, so it disagrees with every checkpoint taken after that entry.
 *
 * The signed text follows the transparency logs' checkpoint (C2SP tlog-checkpoint, the signed tree
 * head of Certificate Transparency): origin, size and head on their own lines, plus the time:
 *
 *     okno-audit/<origin>\n<seq>\n<base64 head hash>\n<ISO time>\n
 *
 * One checkpoint is one JSON line in the file (`checkpointLine`), so the file is append-only text an
 * auditor can copy, diff and keep.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../shared/clock.js';
import { verifyAuditChain } from './audit-log.js';
import { keyIdOf, loadOrCreateEd25519Key, type Ed25519KeyPair } from '../shared/ed25519-key-file.js';

export interface Checkpoint {
  /** names the log: `okno-audit/<host of the public URL>` */
  origin: string;
  /** number of entries in the chain (the seq of its last entry) */
  seq: number;
  /** hash of entry `seq` (hex) */
  head: string;
  /** when it was signed (ISO-8601 UTC) */
  at: string;
}

export interface SignedCheckpoint extends Checkpoint {
  /** sha256 of the signing key's public half (SPKI DER), hex */
  keyId: string;
  /** Ed25519 signature over `checkpointBody`, base64 */
  signature: string;
}

export type CheckpointKey = Ed25519KeyPair;

export function checkpointFile(config: Pick<Config, 'dataDir' | 'audit'>): string {
  return config.audit.checkpointFile
    ? path.resolve(config.audit.checkpointFile)
    : path.join(config.dataDir, 'audit-checkpoints.jsonl');
}

export function checkpointKeyFile(config: Pick<Config, 'dataDir' | 'audit'>): string {
  return config.audit.checkpointKeyFile
    ? path.resolve(config.audit.checkpointKeyFile)
    : path.join(config.dataDir, 'audit-checkpoint-key.pem');
}

export function originOf(publicUrl: string): string {
  return `okno-audit/${new URL(publicUrl).host}`;
}

export { keyIdOf };

/** Loads the signing key, or makes one (written 0600 with O_EXCL, never overwritten). */
export function loadOrCreateCheckpointKey(file: string): CheckpointKey {
  return loadOrCreateEd25519Key(file, 'the audit checkpoint key');
}

/** The verification key: a public key PEM, or the public half of the private key file. */
export function loadCheckpointPublicKey(file: string): KeyObject {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`no audit checkpoint key at ${file}: pass the public key with --public-key FILE`);
    throw e;
  }
  const text = pem.toString('utf8');
  const key = text.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: not an Ed25519 key`);
  return key;
}

/** The exact text that is signed (a transparency-log checkpoint body plus the time line). */
export function checkpointBody(c: Checkpoint): string {
  if (/[\n\r]/.test(c.origin) || c.origin === '')
    throw new Error('a checkpoint origin is one non-empty line');
  if (!Number.isSafeInteger(c.seq) || c.seq < 0)
    throw new Error('a checkpoint seq is a non-negative integer');
  if (!/^[0-9a-f]{64}$/.test(c.head)) throw new Error('a checkpoint head is a sha256 in hex');
  return `${c.origin}\n${c.seq}\n${Buffer.from(c.head, 'hex').toString('base64')}\n${c.at}\n`;
}

export function signCheckpoint(key: CheckpointKey, c: Checkpoint): SignedCheckpoint {
  const signature = sign(null, Buffer.from(checkpointBody(c)), key.privateKey).toString('base64');
  return { origin: c.origin, seq: c.seq, head: c.head, at: c.at, keyId: key.keyId, signature };
}

export function checkpointSignatureValid(c: SignedCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(checkpointBody(c)), publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

export function checkpointLine(c: SignedCheckpoint): string {
  return (
    JSON.stringify({
      origin: c.origin,
      seq: c.seq,
      head: c.head,
      at: c.at,
      keyId: c.keyId,
      signature: c.signature,
    }) + '\n'
  );
}

/**
 * Appends one checkpoint and makes it durable: O_APPEND (one write per line, so lines of two
 * processes never interleave), fsync of the file, and of the directory when the file is new.
 */
export function appendCheckpoint(file: string, c: SignedCheckpoint): void {
  mkdirSync(path.dirname(file), { recursive: true });
  let created = false;
  let fd: number;
  try {
    fd = openSync(file, 'ax', 0o644);
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    fd = openSync(file, 'a');
  }
  try {
    writeSync(fd, checkpointLine(c));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (created) {
    const dfd = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }
}

export interface CheckpointFile {
  checkpoints: { line: number; checkpoint: SignedCheckpoint }[];
  /** lines that are not checkpoints (a torn last line after a crash, or garbage) */
  unreadable: { line: number; problem: string }[];
}

function parseCheckpoint(text: string): SignedCheckpoint | string {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const r = o as Record<string, unknown>;
  if (
    typeof r.origin !== 'string' ||
    typeof r.seq !== 'number' ||
    typeof r.head !== 'string' ||
    typeof r.at !== 'string' ||
    typeof r.keyId !== 'string' ||
    typeof r.signature !== 'string'
  )
    return 'missing or mistyped fields';
  return { origin: r.origin, seq: r.seq, head: r.head, at: r.at, keyId: r.keyId, signature: r.signature };
}

/** Reads a checkpoint file; a missing file reads as none. */
export function readCheckpointFile(file: string): CheckpointFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [], unreadable: [] };
    throw e;
  }
  const out: CheckpointFile = { checkpoints: [], unreadable: [] };
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const parsed = parseCheckpoint(raw);
    if (typeof parsed === 'string') out.unreadable.push({ line: i + 1, problem: parsed });
    else out.checkpoints.push({ line: i + 1, checkpoint: parsed });
  });
  return out;
}

export interface CheckpointVerdict {
  ok: boolean;
  /** checkpoints that were read, signature-checked and matched against the chain */
  checked: number;
  /** the newest checkpoint that matches the chain */
  lastGood: SignedCheckpoint | null;
  /** entries after the newest checkpoint: not (yet) anchored */
  unanchored: number;
  problems: string[];
}

/**
 * Checks the chain in the database against signed checkpoints: each one's signature under `publicKey`,
 * and that entry `seq` of the chain has exactly the signed head hash. A chain rewritten with
 * recomputed hashes fails every checkpoint taken after the first rewritten entry; the verdict names
 * the range: after the newest checkpoint that still matches, up to the first that does not.
 */
export async function verifyAgainstCheckpoints(
  db: Kysely<Database>,
  file: CheckpointFile,
  publicKey: KeyObject,
  source: string,
): Promise<CheckpointVerdict> {
  const problems: string[] = [];
  const keyId = keyIdOf(publicKey);
  for (const u of file.unreadable)
    problems.push(`${source} line ${u.line}: unreadable checkpoint (${u.problem})`);
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  const chainLength = head ? Number(head.seq) : 0;
  const valid: { line: number; checkpoint: SignedCheckpoint }[] = [];
  for (const { line, checkpoint } of file.checkpoints) {
    if (checkpoint.keyId !== keyId)
      problems.push(`${source} line ${line}: signed by another key (${checkpoint.keyId.slice(0, 16)}…)`);
    else if (!checkpointSignatureValid(checkpoint, publicKey))
      problems.push(`${source} line ${line}: signature does not verify (checkpoint forged or altered)`);
    else valid.push({ line, checkpoint });
  }
  valid.sort((a, b) => a.checkpoint.seq - b.checkpoint.seq);
  const seqs = [...new Set(valid.map((v) => v.checkpoint.seq).filter((s) => s > 0 && s <= chainLength))];
  const hashes = new Map<number, string>();
  for (let i = 0; i < seqs.length; i += 500) {
    const rows = await db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .where('seq', 'in', seqs.slice(i, i + 500))
      .execute();
    for (const r of rows) hashes.set(Number(r.seq), r.hash);
  }
  let lastGood: SignedCheckpoint | null = null;
  let firstBad: { line: number; checkpoint: SignedCheckpoint } | null = null;
  for (const v of valid) {
    const c = v.checkpoint;
    if (c.seq === 0) continue;
    if (c.seq > chainLength) {
      problems.push(
        `${source} line ${v.line}: checkpoint of ${c.at} records ${c.seq} entries but the chain has ${chainLength} (entries removed from the end)`,
      );
      firstBad ??= v;
      continue;
    }
    const h = hashes.get(c.seq);
    if (h === c.head) {
      if (!firstBad) lastGood = c;
      continue;
    }
    firstBad ??= v;
  }
  if (firstBad) {
    const c = firstBad.checkpoint;
    const from = lastGood ? lastGood.seq + 1 : 1;
    if (c.seq <= chainLength)
      problems.push(
        `chain REWRITTEN: entry ${c.seq} does not have the head hash signed at ${c.at} (${source} line ${firstBad.line}); ` +
          `the rewrite lies in entries ${from}–${c.seq}` +
          (lastGood ? ` (entry ${lastGood.seq} still matches its checkpoint of ${lastGood.at})` : ''),
      );
  }
  const newest = valid.length ? valid[valid.length - 1]!.checkpoint.seq : 0;
  return {
    ok: problems.length === 0,
    checked: valid.length,
    lastGood,
    unanchored: Math.max(0, chainLength - newest),
    problems,
  };
}

/**
 * The server's checkpointer: every `intervalMs` it reads the chain's head and, when the chain grew
 * since the last checkpoint, signs and appends a new one. Also on start and on close, so a clean
 * shutdown anchors the tail.
 */
export class AuditCheckpointer {
  private timer: NodeJS.Timeout | null = null;
  private lastSeq = -1;
  private latestCp: SignedCheckpoint | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly opts: {
      db: Kysely<Database>;
      key: CheckpointKey;
      file: string;
      origin: string;
      clock: Clock;
      intervalMs: number;
      log?: { error(o: unknown, msg: string): void };
    },
  ) {
    const existing = readCheckpointFile(opts.file).checkpoints.filter(
      (c) => c.checkpoint.keyId === opts.key.keyId,
    );
    const newest = existing.reduce<SignedCheckpoint | null>(
      (a, c) => (!a || c.checkpoint.seq >= a.seq ? c.checkpoint : a),
      null,
    );
    if (newest) {
      this.latestCp = newest;
      this.lastSeq = newest.seq;
    }
  }

  get key(): CheckpointKey {
    return this.opts.key;
  }

  latest(): SignedCheckpoint | null {
    return this.latestCp;
  }

  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.checkpointNow().catch((e: unknown) => this.opts.log?.error({ err: e }, 'audit checkpoint failed'));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** Signs and appends a checkpoint of the current head if the chain grew; returns the newest one. */
  async checkpointNow(): Promise<SignedCheckpoint | null> {
    while (this.running) await this.running;
    const run = (async () => {
      const head = await this.opts.db
        .selectFrom('audit_head')
        .select(['seq', 'hash'])
        .where('id', '=', 1)
        .executeTakeFirst();
      if (!head) return;
      const seq = Number(head.seq);
      if (seq === 0 || seq <= this.lastSeq) return;
      const cp = signCheckpoint(this.opts.key, {
        origin: this.opts.origin,
        seq,
        head: head.hash,
        at: this.opts.clock.now().toISOString(),
      });
      appendCheckpoint(this.opts.file, cp);
      this.lastSeq = seq;
      this.latestCp = cp;
    })();
    this.running = run;
    try {
      await run;
    } finally {
      this.running = null;
    }
    return this.latestCp;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checkpointNow();
  }
}

export interface FullVerdict {
  ok: boolean;
  entries: number;
  chain: Awaited<ReturnType<typeof verifyAuditChain>>;
  /** one verdict per checkpoint file checked */
  checkpoints: (CheckpointVerdict & { source: string })[];
}

/**
 * The whole check behind `okno audit verify`: the chain itself, then every checkpoint file given
 * (the server's own and any copies an auditor kept) against it.
 */
export async function verifyAuditAnchored(
  db: Kysely<Database>,
  files: { source: string; path: string }[],
  publicKey: KeyObject | null,
): Promise<FullVerdict> {
  const chain = await verifyAuditChain(db);
  const checkpoints: FullVerdict['checkpoints'] = [];
  for (const f of files) {
    const read = readCheckpointFile(f.path);
    if (!publicKey) {
      checkpoints.push({
        source: f.source,
        ok: read.checkpoints.length === 0,
        checked: 0,
        lastGood: null,
        unanchored: chain.entries,
        problems: read.checkpoints.length ? ['no public key to check the signatures with'] : [],
      });
      continue;
    }
    checkpoints.push({
      source: f.source,
      ...(await verifyAgainstCheckpoints(db, read, publicKey, f.source)),
    });
  }
  return { ok: chain.ok && checkpoints.every((c) => c.ok), entries: chain.entries, chain, checkpoints };
}
