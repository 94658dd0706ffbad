/**
 * The signed manifest of a sealed inspection version (docs/design/inspections.md, "Sealing"): the
 * inspection's fields, times, place, checklist, and every photo with its sha256, signed with the
 * site's Ed25519 export key (the one `okno export public-key` prints), so it verifies like a video
 * export. A correction is a new version whose manifest names the previous one's hash.
 *
 * `verifyVersion` checks the signature over the stored manifest bytes and re-hashes every stored
 * original the manifest names; it reports each problem by name.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { keyIdOf } from '../recording/export-key.js';

export const MANIFEST_FORMAT = 'okno-inspection/1';

export interface ManifestPhoto {
  id: string;
  sha256: string;
  bytes: number;
  mime: string;
  category: string;
  /** taken with the camera in the app (false: chosen from the phone's gallery) */
  live: boolean;
  deviceTakenAt: string;
  serverReceivedAt: string;
  clockSkewMs: number;
  clockSkewFlagged: boolean;
  position: { latitude: number; longitude: number; accuracyM: number | null } | null;
}

export interface InspectionManifest {
  format: typeof MANIFEST_FORMAT;
  inspectionId: string;
  version: number;
  previous: { version: number; manifestSha256: string } | null;
  reason: string | null;
  office: { id: string; name: string };
  case: { id: string; number: string; ward: string };
  plannedOn: string;
  startedAt: string | null;
  doneAt: string | null;
  address: string | null;
  position: unknown;
  specialist: { personId: string | null; displayName: string | null };
  outcome: string | null;
  checklist: { id: string | null; version: number | null; items: unknown; answers: unknown };
  notes: string;
  photos: ManifestPhoto[];
  sealedAt: string;
  sealedBy: { personId: string; displayName: string; role: string };
  signature: { algorithm: 'Ed25519'; keyId: string };
}

export interface SignedManifest {
  text: string;
  signature: string;
  keyId: string;
  sha256: string;
}

export function signManifest(m: InspectionManifest, privateKey: KeyObject): SignedManifest {
  const text = JSON.stringify(m, null, 2) + '\n';
  const bytes = Buffer.from(text, 'utf8');
  return {
    text,
    signature: sign(null, bytes, privateKey).toString('base64'),
    keyId: m.signature.keyId,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

export function manifestSha256(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
}

export interface VersionCheck {
  inspectionId: string;
  version: number;
  ok: boolean;
  passed: string[];
  problems: string[];
}

/**
 * Checks one stored version: the signature with `publicKey`, then each photo's original through
 * `hashOf` (its sha256 and size, or null when the file is gone; purged photos are named as such).
 */
export async function verifyVersion(
  row: { inspection_id: string; version: number; manifest: string; signature: string },
  publicKey: KeyObject,
  hashOf: (sha256: string) => Promise<{ sha256: string; bytes: number } | null>,
  purged: ReadonlySet<string> = new Set(),
): Promise<VersionCheck> {
  const r: VersionCheck = {
    inspectionId: row.inspection_id,
    version: row.version,
    ok: false,
    passed: [],
    problems: [],
  };
  const keyId = keyIdOf(publicKey);
  const signed = verify(
    null,
    Buffer.from(row.manifest, 'utf8'),
    publicKey,
    Buffer.from(row.signature, 'base64'),
  );
  if (signed)
    r.passed.push(`manifest v${row.version}: signature valid (Ed25519, key ${keyId.slice(0, 16)}…)`);
  else
    r.problems.push(
      `manifest v${row.version}: the signature does not match — the manifest was altered or signed by another key`,
    );
  let m: InspectionManifest;
  try {
    m = JSON.parse(row.manifest) as InspectionManifest;
  } catch {
    r.problems.push(`manifest v${row.version}: not valid JSON`);
    return r;
  }
  if (m.inspectionId !== row.inspection_id || m.version !== row.version)
    r.problems.push(`manifest v${row.version}: names inspection ${m.inspectionId} v${m.version}`);
  for (const p of m.photos ?? []) {
    if (purged.has(p.sha256)) {
      r.passed.push(`photo ${p.sha256.slice(0, 12)}…: deleted by retention (recorded)`);
      continue;
    }
    const got = await hashOf(p.sha256);
    if (!got) r.problems.push(`photo ${p.sha256.slice(0, 12)}…: the stored original is missing`);
    else if (got.sha256 !== p.sha256 || got.bytes !== p.bytes)
      r.problems.push(
        `photo ${p.sha256.slice(0, 12)}…: ALTERED — the stored original now hashes to ${got.sha256.slice(0, 12)}… (${got.bytes} bytes)`,
      );
    else r.passed.push(`photo ${p.sha256.slice(0, 12)}…: sha256 matches`);
  }
  r.ok = r.problems.length === 0;
  return r;
}
