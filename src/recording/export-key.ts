/**
 * The site's export signing key: an Ed25519 key pair made on first use and kept in DATA_DIR
 * (`export-signing-key.pem`, PKCS#8, mode 0600). Its public half (`okno export public-key`) is all a
 * verifier needs; its id is the sha256 of the public key (SPKI DER), shown as hex.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const EXPORT_KEY_FILE = 'export-signing-key.pem';

export interface ExportSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function fromPrivate(privateKey: KeyObject): ExportSigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the export signing key is not Ed25519');
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Loads the key from DATA_DIR, or makes one (written 0600, never overwritten). */
export function loadOrCreateExportKey(dataDir: string): ExportSigningKey {
  const file = path.join(dataDir, EXPORT_KEY_FILE);
  try {
    return fromPrivate(createPrivateKey(readFileSync(file)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process made it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      return fromPrivate(createPrivateKey(readFileSync(file)));
    throw e;
  }
  chmodSync(file, 0o600);
  return fromPrivate(privateKey);
}

/** Only the public half (for verification): from the key file in DATA_DIR. */
export function loadExportPublicKey(dataDir: string): KeyObject {
  const file = path.join(dataDir, EXPORT_KEY_FILE);
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`no export signing key at ${file}: pass the site's public key with --public-key FILE`);
    throw e;
  }
  return fromPrivate(createPrivateKey(pem)).publicKey;
}

export function publicKeyFromPem(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return key;
}
