/**
 * The site's export signing key: an Ed25519 key pair made on first use and kept in DATA_DIR
 * (`export-signing-key.pem`, PKCS#8, mode 0600). Its public half (`okno export public-key`) is all a
 * verifier needs; its id is the sha256 of the public key (SPKI DER), shown as hex.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  keyIdOf,
  keyPairFromPrivate,
  loadOrCreateEd25519Key,
  type Ed25519KeyPair,
} from '../shared/ed25519-key-file.js';

export const EXPORT_KEY_FILE = 'export-signing-key.pem';

export type ExportSigningKey = Ed25519KeyPair;
export { keyIdOf };

/** Loads the key from DATA_DIR, or makes one (written 0600, never overwritten). */
export function loadOrCreateExportKey(dataDir: string): ExportSigningKey {
  return loadOrCreateEd25519Key(path.join(dataDir, EXPORT_KEY_FILE), 'the export signing key');
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
  return keyPairFromPrivate(createPrivateKey(pem), 'the export signing key').publicKey;
}

export function publicKeyFromPem(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return key;
}
