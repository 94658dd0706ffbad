/**
 * The site's grant signing keys on disk (DATA_DIR/grant-keys.json, mode 0600): loaded at start, made
 * on first start. Rotation: `rotateKeyFile` stages a new key and keeps the old one verifying.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportGrantKeyRing, generateGrantKey, GrantKeyRing, importGrantKeyRing } from './keys.js';

export const GRANT_KEY_FILE = 'grant-keys.json';

export async function loadOrCreateKeyRing(dataDir: string | null, atMs: number): Promise<GrantKeyRing> {
  if (dataDir === null) return freshRing(atMs);
  const file = path.join(dataDir, GRANT_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text !== undefined) return (await importGrantKeyRing(JSON.parse(text))).prune(atMs);
  const ring = await freshRing(atMs);
  await saveKeyRing(dataDir, ring);
  return ring;
}

export async function rotateKeyFile(dataDir: string, atMs: number): Promise<GrantKeyRing> {
  const ring = (await loadOrCreateKeyRing(dataDir, atMs)).rotate(await generateGrantKey(atMs), atMs);
  await saveKeyRing(dataDir, ring);
  return ring;
}

async function freshRing(atMs: number): Promise<GrantKeyRing> {
  const key = await generateGrantKey(atMs);
  return GrantKeyRing.empty().stage(key).activate(key.kid, atMs);
}

async function saveKeyRing(dataDir: string, ring: GrantKeyRing): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, GRANT_KEY_FILE);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(await exportGrantKeyRing(ring), null, 2), { mode: 0o600 });
  renameSync(tmp, file);
}
