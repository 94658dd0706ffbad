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
 *
 * A citizen's-request export (docs/design/citizen-requests.md) is the same package with the video
 * re-encoded (privacy masks filled, extra regions blurred, audio kept or removed): its manifest adds
 * `masking`, `source` (the recorded bytes the re-encoding read) and `custody`; the hand-over, which
 * happens after the package is signed, is added later as `handover.json` + `handover.sig`, a receipt
 * signed by the same key over the manifest's sha256.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
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
/** The hand-over receipt of a citizen's-request export and its Ed25519 signature (added after export). */
export const HANDOVER_NAME = 'handover.json';
export const HANDOVER_SIG_NAME = 'handover.sig';
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
  /** citizens' requests: how the video was re-encoded to hide everyone else */
  masking?: ExportMasking;
  /** citizens' requests: the recorded bytes (the clip as recorded) the re-encoding read */
  source?: { bytes: number; sha256: string };
  /** citizens' requests: who requested, approved and produced the package, with times */
  custody?: ExportCustody;
}

/** A rectangle in 0..1 coordinates of the picture (x, y: its top-left corner). */
export interface NormRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ExportMasking {
  /** the camera's privacy masks: filled with a solid colour */
  masks: NormRect[];
  /** regions chosen for this request */
  regions: NormRect[];
  regionStyle: 'blur' | 'fill';
  audio: 'kept' | 'removed' | 'none recorded';
  /** the ffmpeg filter graph and encoder used (so the result can be reproduced) */
  filter: string;
  encoder: string;
}

export interface CustodyStep {
  personId: string;
  displayName: string;
  role: string;
  at: string;
  note?: string | null;
}

export interface ExportCustody {
  request: { id: string; reference: string; receivedOn: string; visitId: string | null };
  requested: CustodyStep;
  approved: CustodyStep;
  produced: CustodyStep;
  /** recorded after the package is signed: see handover.json */
  handOver: string;
}

/** The signed hand-over receipt (handover.json), bound to the package by the manifest's sha256. */
export interface HandoverReceipt {
  format: 'okno-export-handover/1';
  exportId: string;
  requestId: string;
  manifestSha256: string;
  handedOverBy: CustodyStep;
  handedTo: string;
  signature: { algorithm: 'Ed25519'; keyId: string; file: typeof HANDOVER_SIG_NAME };
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
  /**
   * A re-encoded video to package instead of the clip as recorded (citizens' requests), with the
   * manifest fields that describe it. The clip is then described by `source`.
   */
  reencoded?: {
    path: string;
    container: string;
    masking: ExportMasking;
    source: { bytes: number; sha256: string };
    custody: ExportCustody;
  };
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
  const masked = m.masking
    ? `
This is a citizen's copy: the video was re-encoded to hide everyone else
(${m.masking.masks.length} privacy mask(s) filled, ${m.masking.regions.length} region(s) ${m.masking.regionStyle === 'blur' ? 'blurred' : 'filled'}, audio ${m.masking.audio}).
The custody record (requested, approved, produced) is in ${MANIFEST_NAME}; the hand-over,
once recorded, is ${HANDOVER_NAME}, signed by the same key in ${HANDOVER_SIG_NAME}.
`
    : '';
  return `Okno video export ${m.exportId}

Camera:       ${m.camera.name} (${m.room.name}, ${m.institution.name})
Range:        ${m.range.requested.from} — ${m.range.requested.to} (UTC)
Exported by:  ${m.requestedBy.displayName} (${m.requestedBy.role}) at ${m.createdAt}
Reason:       ${m.reason}
${masked}
Files
  ${CLIP_NAME}        ${m.masking ? 'the video with everyone else hidden (re-encoded MP4)' : 'the video as recorded (fragmented MP4, not re-encoded)'}
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
    const re = input.reencoded;
    const videoBytes = re ? (await stat(re.path)).size : input.clip.bytes;
    await put(tarHeader(CLIP_NAME, videoBytes, mtime));
    const clipHash = createHash('sha256');
    let clipBytes = 0;
    const source: AsyncIterable<Buffer> = re ? createReadStream(re.path) : readClip(input.clip);
    for await (const chunk of source) {
      clipHash.update(chunk);
      clipBytes += chunk.length;
      await put(chunk);
    }
    if (clipBytes !== videoBytes) throw new Error('the clip changed size while it was exported');
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
        container:
          re?.container ?? 'fragmented MP4 (ISO BMFF), video as recorded from the camera, not re-encoded',
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
      ...(re ? { masking: re.masking, source: re.source, custody: re.custody } : {}),
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

/**
 * Adds the signed hand-over receipt to a written package (the package is rewritten to a temporary
 * name, fsync-ed and renamed; its earlier members are copied byte for byte, so the manifest and its
 * signature are unchanged). Answers the package's new size and sha256. A package that already holds a
 * receipt is refused: a hand-over is recorded once.
 */
export async function appendHandoverReceipt(
  file: string,
  receipt: Omit<HandoverReceipt, 'format' | 'signature' | 'manifestSha256'>,
  key: ExportSigningKey,
  atMs: number,
): Promise<{ bytes: number; sha256: string; receipt: HandoverReceipt }> {
  const src = await open(file, 'r');
  const tmp = `${file}.handover.partial`;
  let out: Awaited<ReturnType<typeof open>> | undefined;
  try {
    const size = (await stat(file)).size;
    const members = await listTar(src, size);
    if (members.some((m) => m.name === HANDOVER_NAME))
      throw new Error('the package already holds a hand-over receipt');
    const manifest = members.find((m) => m.name === MANIFEST_NAME);
    if (!manifest) throw new Error('the package has no manifest');
    const manifestBytes = Buffer.alloc(manifest.size);
    await src.read(manifestBytes, 0, manifest.size, manifest.dataOffset);
    const last = members[members.length - 1]!;
    const end = last.dataOffset + last.size + padding(last.size).length;
    const full: HandoverReceipt = {
      format: 'okno-export-handover/1',
      ...receipt,
      manifestSha256: sha256Hex(manifestBytes),
      signature: { algorithm: 'Ed25519', keyId: key.keyId, file: HANDOVER_SIG_NAME },
    };
    const receiptBytes = Buffer.from(JSON.stringify(full, null, 2) + '\n', 'utf8');
    const sig = sign(null, receiptBytes, key.privateKey);
    out = await open(tmp, 'wx', 0o640);
    const hash = createHash('sha256');
    let written = 0;
    const put = async (buf: Buffer) => {
      hash.update(buf);
      let off = 0;
      while (off < buf.length) off += (await out!.write(buf, off, buf.length - off)).bytesWritten;
      written += buf.length;
    };
    const buf = Buffer.alloc(1024 * 1024);
    for (let pos = 0; pos < end;) {
      const n = Math.min(buf.length, end - pos);
      const { bytesRead } = await src.read(buf, 0, n, pos);
      if (bytesRead !== n) throw new Error('short read');
      await put(buf.subarray(0, n));
      pos += n;
    }
    const mtime = atMs / 1000;
    for (const [name, data] of [
      [HANDOVER_NAME, receiptBytes],
      [HANDOVER_SIG_NAME, sig],
    ] as const) {
      await put(tarHeader(name, data.length, mtime));
      await put(data);
      await put(padding(data.length));
    }
    await put(END_OF_ARCHIVE);
    await out.sync();
    await out.close();
    out = undefined;
    await rename(tmp, file);
    await fsyncDir(path.dirname(file));
    return { bytes: written, sha256: hash.digest('hex'), receipt: full };
  } catch (err) {
    await out?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    await src.close();
  }
}

export interface VerifyReport {
  ok: boolean;
  /** What checked out, one line each. */
  passed: string[];
  /** What did not, naming the part. */
  problems: string[];
  manifest: ExportManifest | undefined;
  /** the signed hand-over receipt, when the package holds one that verified */
  handover?: HandoverReceipt;
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
      HANDOVER_NAME,
      HANDOVER_SIG_NAME,
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
    // The hand-over receipt of a citizen's-request export: signed by the same key, over this manifest.
    const receiptBytes = await readMember(HANDOVER_NAME);
    const receiptSig = await readMember(HANDOVER_SIG_NAME);
    if (receiptBytes || receiptSig) {
      let receipt: Partial<HandoverReceipt> | undefined;
      try {
        receipt = JSON.parse(receiptBytes?.toString('utf8') ?? '') as Partial<HandoverReceipt>;
      } catch {
        receipt = undefined;
      }
      if (!receiptBytes) report.problems.push(`${HANDOVER_NAME}: missing beside ${HANDOVER_SIG_NAME}`);
      else if (!receiptSig) report.problems.push(`${HANDOVER_SIG_NAME}: missing beside ${HANDOVER_NAME}`);
      else if (!(receiptSig.length === 64 && verify(null, receiptBytes, publicKey, receiptSig)))
        report.problems.push(
          `${HANDOVER_NAME} or ${HANDOVER_SIG_NAME}: altered — the receipt's signature does not match (key ${keyId.slice(0, 16)}…)`,
        );
      else if (!receipt) report.problems.push(`${HANDOVER_NAME}: not valid JSON`);
      else if (receipt.manifestSha256 !== manifestSha || receipt.exportId !== manifest.exportId)
        report.problems.push(`${HANDOVER_NAME}: signed for another package (its manifest sha256 differs)`);
      else {
        report.passed.push(`${HANDOVER_NAME}: hand-over receipt signed and bound to this manifest`);
        if (signed) report.handover = receipt as HandoverReceipt;
      }
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
