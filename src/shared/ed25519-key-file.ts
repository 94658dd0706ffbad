/**
 * Ed25519 signing keys kept in files (never in the database): the export signing key, the audit
 * checkpoint key. Made on first use, written 0600 with O_EXCL so two processes starting at once end
 * up with the same key and none is ever overwritten. A key's id is the sha256 of its public half
 * (SPKI DER), in hex.
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

export interface Ed25519KeyPair {
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

/** `what` names the key in errors, e.g. "the export signing key". */
export function keyPairFromPrivate(privateKey: KeyObject, what: string): Ed25519KeyPair {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${what} is not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Loads the key in `file`, or makes one there (0600, O_EXCL: another process's key wins a race). */
export function loadOrCreateEd25519Key(file: string, what: string): Ed25519KeyPair {
  try {
    return keyPairFromPrivate(createPrivateKey(readFileSync(file)), what);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      return keyPairFromPrivate(createPrivateKey(readFileSync(file)), what);
    throw e;
  }
  chmodSync(file, 0o600);
  return keyPairFromPrivate(privateKey, what);
}
