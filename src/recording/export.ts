/**
 * Export packages (docs/design/export.md): one .tar an inspector can hand over, holding
 *
 *   clip.mp4        the range as recorded (fragmented MP4, no re-encoding)
 *   manifest.json   camera, institution, range, segments with their sha256, gaps, the clip's sha256,
 *                   who exported it, when and why
 *   manifest.sig    Ed25519 signature of manifest.json's exact bytes by the site's export key
 *   public-key.pem  the site's public key (for convenience only: trust the one the site publishes)
 *   README.txt      how to verify, with Okno or with openssl and sha256sum
 *
 * `verifyExportPackage` checks the archive headers, the signature (with a public key the verifier
 * trusts) and the clip's hash, and names the part that does not match.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { GapCause } from '../storage/schema.js';
import type { Gap } from '../storage/repositories/recordings.js';
import { keyIdOf, type ExportSigningKey } from './export-key.js';
import { fsyncDir, mkdirDurable } from './paths.js';
import { readClip, type Clip, type Piece } from './playback.js';
import { IN_PROGRESS_SEQ } from './recorder.js';
import { END_OF_ARCHIVE, listTar, padding, tarHeader, TarFormatError } from './tar.js';

export const EXPORT_FORMAT = 'okno-export/1';
export const CLIP_NAME = 'clip.mp4';
export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.sig';
export const KEY_NAME = 'public-key.pem';
export const README_NAME = 'README.txt';
/** `sha256sum` line of manifest.json: tells an altered manifest from an altered signature */
export const MANIFEST_SUM_NAME = 'manifest.json.sha256';
const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  exportId: string;
  createdAt: string;
  site: string;
  camera: { id: string; name: string };
  room: { id: string; name: string; kind: string };
  institution: { id: string; name: string; timeZone: string };
  range: {
    requested: { from: string; to: string };
    /** What the clip covers: from the keyframe at or before `from` to the keyframe at or after `to`. */
    clip: { from: string; to: string };
  };
  requestedBy: { personId: string; subject: string; displayName: string; role: string };
  reason: string;
  video: { file: typeof CLIP_NAME; bytes: number; sha256: string; container: string };
  segments: {
    id: string;
    seq: number;
    start: string;
    end: string;
    bytes: number;
    /** null for a segment still being written when the export was made (it has no row yet) */
    sha256: string | null;
    prevSha256: string | null;
    inProgress?: boolean;
    usedBytes: [number, number];
  }[];
  gaps: { start: string; end: string | null; cause: GapCause }[];
  signature: { algorithm: 'Ed25519'; keyId: string; file: typeof SIGNATURE_NAME };
  /** sha256 of the package's other files (README.txt, public-key.pem), so the signature covers them */
  files?: Record<string, string>;
}

export interface ExportInput {
  dir: string;
  exportId: string;
  clip: Clip;
  pieces: readonly Piece[];
  gaps: readonly Gap[];
  meta: Pick<ExportManifest, 'site' | 'camera' | 'room' | 'institution' | 'requestedBy' | 'reason'>;
  requested: { fromMs: number; toMs: number };
  createdAtMs: number;
  key: ExportSigningKey;
}

export interface WrittenExport {
  /** File name inside `dir`. */
  file: string;
  bytes: number;
  sha256: string;
  manifest: ExportManifest;
}

const iso = (ms: number) => new Date(ms).toISOString();

function readme(m: ExportManifest): string {
  return `Okno video export ${m.exportId}

Camera:       ${m.camera.name} (${m.room.name}, ${m.institution.name})
Range:        ${m.range.requested.from} — ${m.range.requested.to} (UTC)
Exported by:  ${m.requestedBy.displayName} (${m.requestedBy.role}) at ${m.createdAt}
Reason:       ${m.reason}

Files
  ${CLIP_NAME}        the video as recorded (fragmented MP4, not re-encoded)
  ${MANIFEST_NAME}   what this export contains, with the sha256 of the video and of every segment
  ${SIGNATURE_NAME}    Ed25519 signature of ${MANIFEST_NAME} by the site's export key
  ${MANIFEST_SUM_NAME}  sha256 of ${MANIFEST_NAME} (tells an altered manifest from an altered signature)
  public-key.pem   the site's public key, key id ${m.signature.keyId}
                   (compare it with the key the site publishes: \`okno export public-key\`)

Verify
  okno export verify THIS.tar [--public-key site-key.pem]
or by hand, after extracting:
  openssl pkeyutl -verify -pubin -inkey site-key.pem -rawin -in ${MANIFEST_NAME} -sigfile ${SIGNATURE_NAME}
  sha256sum ${CLIP_NAME}     (must equal video.sha256 in ${MANIFEST_NAME})
`;
}

/** Writes the package in one pass (temporary name, fsync, rename, fsync directory). */
export async function writeExportPackage(input: ExportInput): Promise<WrittenExport> {
  await mkdirDurable(path.dirname(input.dir), input.dir);
  const file = `${input.exportId}.tar`;
  const tmp = path.join(input.dir, `${file}.partial`);
  const fh = await open(tmp, 'wx', 0o640);
  const pkgHash = createHash('sha256');
  let written = 0;
  const put = async (buf: Buffer) => {
    pkgHash.update(buf);
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
    written += buf.length;
  };
  const mtime = input.createdAtMs / 1000;
  try {
    await put(tarHeader(CLIP_NAME, input.clip.bytes, mtime));
    const clipHash = createHash('sha256');
    let clipBytes = 0;
    for await (const chunk of readClip(input.clip)) {
      clipHash.update(chunk);
      clipBytes += chunk.length;
      await put(chunk);
    }
    if (clipBytes !== input.clip.bytes) throw new Error('the clip changed size while it was exported');
    await put(padding(clipBytes));

    const manifest: ExportManifest = {
      format: EXPORT_FORMAT,
      exportId: input.exportId,
      createdAt: iso(input.createdAtMs),
      site: input.meta.site,
      camera: input.meta.camera,
      room: input.meta.room,
      institution: input.meta.institution,
      range: {
        requested: { from: iso(input.requested.fromMs), to: iso(input.requested.toMs) },
        clip: { from: iso(input.clip.startMs), to: iso(input.clip.endMs) },
      },
      requestedBy: input.meta.requestedBy,
      reason: input.meta.reason,
      video: {
        file: CLIP_NAME,
        bytes: clipBytes,
        sha256: clipHash.digest('hex'),
        container: 'fragmented MP4 (ISO BMFF), video as recorded from the camera, not re-encoded',
      },
      segments: input.pieces.map((p) => ({
        id: p.segment.id,
        seq: p.segment.seq,
        start: iso(p.segment.startMs),
        end: iso(p.segment.endMs),
        bytes: p.segment.bytes,
        // A segment still being written has no sha256 yet (its row comes when it closes).
        sha256: p.segment.seq === IN_PROGRESS_SEQ ? null : p.segment.sha256,
        prevSha256: p.segment.prevSha256,
        ...(p.segment.seq === IN_PROGRESS_SEQ ? { inProgress: true } : {}),
        usedBytes: [p.startOffset, p.endOffset],
      })),
      gaps: input.gaps.map((g) => ({
        start: iso(g.startMs),
        end: g.endMs === null ? null : iso(g.endMs),
        cause: g.cause,
      })),
      signature: { algorithm: 'Ed25519', keyId: input.key.keyId, file: SIGNATURE_NAME },
    };
    const readmeBytes = Buffer.from(readme(manifest), 'utf8');
    const keyBytes = Buffer.from(input.key.publicKeyPem, 'utf8');
    manifest.files = { [README_NAME]: sha256Hex(readmeBytes), [KEY_NAME]: sha256Hex(keyBytes) };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
    const signature = sign(null, manifestBytes, input.key.privateKey);
    const members: [string, Buffer][] = [
      [MANIFEST_NAME, manifestBytes],
      [SIGNATURE_NAME, signature],
      [MANIFEST_SUM_NAME, Buffer.from(`${sha256Hex(manifestBytes)}  ${MANIFEST_NAME}\n`, 'utf8')],
      [KEY_NAME, keyBytes],
      [README_NAME, readmeBytes],
    ];
    for (const [name, data] of members) {
      await put(tarHeader(name, data.length, mtime));
      await put(data);
      await put(padding(data.length));
    }
    await put(END_OF_ARCHIVE);
    await fh.sync();
    await fh.close();
    await rename(tmp, path.join(input.dir, file));
    await fsyncDir(input.dir);
    return { file, bytes: written, sha256: pkgHash.digest('hex'), manifest };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

export interface VerifyReport {
  ok: boolean;
  /** What checked out, one line each. */
  passed: string[];
  /** What did not, naming the part. */
  problems: string[];
  manifest: ExportManifest | undefined;
}

/** Verifies a package with a public key the verifier trusts (see the module comment). */
export async function verifyExportPackage(file: string, publicKey: KeyObject): Promise<VerifyReport> {
  const report: VerifyReport = { ok: false, passed: [], problems: [], manifest: undefined };
  const fh = await open(file, 'r');
  try {
    const size = (await stat(file)).size;
    let members;
    try {
      members = await listTar(fh, size);
    } catch (e) {
      if (!(e instanceof TarFormatError)) throw e;
      report.problems.push(`package structure: ${e.message}`);
      return report;
    }
    const find = (name: string) => members.find((m) => m.name === name);
    const readMember = async (name: string): Promise<Buffer | undefined> => {
      const m = find(name);
      if (!m) return undefined;
      const buf = Buffer.alloc(m.size);
      await fh.read(buf, 0, m.size, m.dataOffset);
      return buf;
    };
    const manifestBytes = await readMember(MANIFEST_NAME);
    const signature = await readMember(SIGNATURE_NAME);
    const clip = find(CLIP_NAME);
    for (const [name, present] of [
      [MANIFEST_NAME, manifestBytes],
      [SIGNATURE_NAME, signature],
      [CLIP_NAME, clip],
    ] as const)
      if (!present) report.problems.push(`${name}: missing from the package`);
    if (!manifestBytes || !signature || !clip) return report;

    const keyId = keyIdOf(publicKey);
    const signed = signature.length === 64 && verify(null, manifestBytes, publicKey, signature);
    let manifest: ExportManifest | undefined;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as ExportManifest;
    } catch {
      manifest = undefined;
    }
    const sum = (await readMember(MANIFEST_SUM_NAME))?.toString('utf8').split(/\s+/)[0];
    const manifestSha = sha256Hex(manifestBytes);
    if (signed) report.passed.push(`${MANIFEST_NAME}: signature valid (Ed25519, key ${keyId.slice(0, 16)}…)`);
    else if (signature.length !== 64)
      report.problems.push(`${SIGNATURE_NAME}: not an Ed25519 signature (${signature.length} bytes, not 64)`);
    else if (manifest?.signature?.keyId && manifest.signature.keyId !== keyId)
      report.problems.push(
        `${SIGNATURE_NAME}: made with key ${manifest.signature.keyId.slice(0, 16)}…, not the trusted key ${keyId.slice(0, 16)}… (another site's export, or the wrong key)`,
      );
    else if (sum && sum !== manifestSha)
      report.problems.push(
        `${MANIFEST_NAME}: altered — its sha256 differs from the one written at export, and the signature no longer matches it`,
      );
    else if (sum)
      report.problems.push(
        `${SIGNATURE_NAME}: altered — ${MANIFEST_NAME} is as written at export, but the signature does not match it`,
      );
    else
      report.problems.push(
        `${MANIFEST_NAME} or ${SIGNATURE_NAME}: the signature does not match — one of them was altered, ` +
          `or it was not signed by key ${keyId.slice(0, 16)}…`,
      );
    if (!manifest) {
      report.problems.push(`${MANIFEST_NAME}: not valid JSON`);
      return report;
    }
    if (signed) report.manifest = manifest;
    if (signed && manifest.signature?.keyId !== keyId)
      report.problems.push(`${MANIFEST_NAME}: names signing key ${String(manifest.signature?.keyId)}`);
    const trust = signed ? 'the signed manifest' : 'the (unverified) manifest';

    // Every other file: covered by the manifest, or not expected at all.
    const known = new Set([
      CLIP_NAME,
      MANIFEST_NAME,
      SIGNATURE_NAME,
      MANIFEST_SUM_NAME,
      KEY_NAME,
      README_NAME,
    ]);
    for (const m of members)
      if (!known.has(m.name))
        report.problems.push(`${m.name}: not part of an Okno export (added to the package)`);
    for (const name of [README_NAME, KEY_NAME]) {
      const data = await readMember(name);
      const expected = manifest.files?.[name];
      if (!data) report.problems.push(`${name}: missing from the package`);
      else if (!expected) report.problems.push(`${name}: not covered by ${trust} (an older package format)`);
      else if (sha256Hex(data) !== expected)
        report.problems.push(`${name}: altered — its sha256 differs from ${trust}`);
      else report.passed.push(`${name}: sha256 matches ${trust}`);
    }
    if (sum !== undefined && sum !== manifestSha && signed)
      report.problems.push(`${MANIFEST_SUM_NAME}: altered (the signed manifest's sha256 is ${manifestSha})`);

    const hash = createHash('sha256');
    const buf = Buffer.alloc(1024 * 1024);
    for (let pos = 0; pos < clip.size;) {
      const n = Math.min(buf.length, clip.size - pos);
      const { bytesRead } = await fh.read(buf, 0, n, clip.dataOffset + pos);
      if (bytesRead !== n) throw new Error('short read');
      hash.update(buf.subarray(0, n));
      pos += n;
    }
    const clipSha = hash.digest('hex');
    const expected = manifest.video?.sha256;
    if (clip.size !== manifest.video?.bytes)
      report.problems.push(
        `${CLIP_NAME}: ${clip.size} bytes, ${trust} says ${String(manifest.video?.bytes)}`,
      );
    else if (clipSha !== expected)
      report.problems.push(
        `${CLIP_NAME}: altered — its sha256 ${clipSha} differs from ${trust} (${expected})`,
      );
    else report.passed.push(`${CLIP_NAME}: sha256 matches ${trust}`);
    report.ok = report.problems.length === 0;
    return report;
  } finally {
    await fh.close();
  }
}
