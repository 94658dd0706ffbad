/**
 * Clips and export packages from real H.264 segment files (ffmpeg-made, never committed): a clip across
 * two ingest runs and a gap is one MP4 that ffprobe reads to the end with time running forward; an
 * export verifies with the site's public key, and fails — naming the part — on one flipped bit in the
 * video or in the manifest, on a damaged archive header, and with another site's key.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SegmentWriter } from '../../../src/recording/segment-writer.js';
import { buildClip, planPieces, readClip } from '../../../src/recording/playback.js';
import { verifyExportPackage, writeExportPackage } from '../../../src/recording/export.js';
import { loadOrCreateExportKey, EXPORT_KEY_FILE } from '../../../src/recording/export-key.js';
import { fragmentMs } from '../../../src/recording/fmp4-file.js';
import type { Segment } from '../../../src/storage/repositories/recordings.js';
import { probe, realCamera, type FragmentSource } from './helpers.js';

const execFileAsync = promisify(execFile);
const CAMERA = '0b7a4a55-5e8e-4c55-9a3e-6f1f8f1c0a11';
const T0 = Date.parse('2026-03-02T10:00:00.000Z');

async function record(
  root: string,
  src: FragmentSource,
  startMs: number,
  ms: number,
  runId: string,
): Promise<Segment> {
  const w = new SegmentWriter({ root, cameraId: CAMERA, startMs, init: src.init.data, syncIntervalMs: 500 });
  let offset = 0;
  while (offset < ms) {
    const f = src.next();
    if (offset === 0 && !f.keyframe) continue;
    w.append(f.data, f.keyframe, offset);
    offset += fragmentMs(f);
  }
  const done = await w.finish();
  return {
    id: `seg-${startMs}`,
    cameraId: CAMERA,
    seq: 1,
    runId,
    startMs,
    endMs: startMs + offset,
    path: done.relPath,
    bytes: done.bytes,
    initBytes: done.initBytes,
    sha256: done.sha256,
    prevSha256: null,
    keyframes: done.keyframes,
    fragments: done.fragments,
    recovered: false,
    state: 'ok',
  };
}

describe('clips and export packages', () => {
  let root: string;
  let dataDir: string;
  let segments: Segment[];

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'okno-clip-'));
    dataDir = await mkdtemp(path.join(tmpdir(), 'okno-keys-'));
    // Run 1: two contiguous segments of 3 s; then a 5 s gap; run 2 (decode times from 0 again).
    const run1 = await realCamera(2);
    const s1 = await record(root, run1, T0, 3000, 'run-1');
    const s2 = await record(root, run1, s1.endMs, 3000, 'run-1');
    const run2 = await realCamera(2);
    const s3 = await record(root, run2, s2.endMs + 5000, 3000, 'run-2');
    segments = [s1, s2, s3];
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a clip across two segments and a gap is one MP4 that plays to the end, time running forward', async () => {
    const pieces = planPieces(segments, T0 + 1500, T0 + 13_500);
    assert.deepEqual(
      pieces.map((p) => p.discontinuity),
      [false, false, true],
    );
    const clip = await buildClip(root, pieces);
    assert.equal(clip.startMs, T0 + 1000, 'starts on the keyframe before `from`');
    const chunks: Buffer[] = [];
    for await (const c of readClip(clip)) chunks.push(c);
    const mp4 = Buffer.concat(chunks);
    assert.equal(mp4.length, clip.bytes);
    const file = path.join(root, 'clip.mp4');
    await writeFile(file, mp4);
    const p = await probe(file);
    assert.equal(p.ok, true, p.stderr);
    assert.equal(p.packets, 25 * (2 + 3 + 3), 'every frame of the range is there');
    // Decode times: the second run continues after the gap instead of starting over at 0.
    const { stdout } = await execFileAsync('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=dts_time',
      '-of',
      'csv=p=0',
      file,
    ]);
    const dts = stdout.trim().split('\n').map(Number);
    for (let i = 1; i < dts.length; i++) assert.ok(dts[i]! > dts[i - 1]!, `dts ${dts[i - 1]} → ${dts[i]}`);
    const jump = Math.max(...dts.slice(1).map((v, i) => v - dts[i]!));
    assert.ok(jump > 4.9 && jump < 5.2, `the gap stays a gap (${jump} s)`);

    // A byte range of the clip is exactly that slice.
    const parts: Buffer[] = [];
    for await (const c of readClip(clip, 1000, 90_000)) parts.push(c);
    assert.deepEqual(Buffer.concat(parts), mp4.subarray(1000, 90_000));
  });

  test('export: verifies intact; one flipped bit in the video or the manifest is found and named', async () => {
    const key = loadOrCreateExportKey(dataDir);
    assert.equal((await stat(path.join(dataDir, EXPORT_KEY_FILE))).mode & 0o777, 0o600);
    assert.equal(loadOrCreateExportKey(dataDir).keyId, key.keyId, 'the key is made once and kept');
    const pieces = planPieces(segments, T0, T0 + 6000);
    const clip = await buildClip(root, pieces);
    const out = await writeExportPackage({
      dir: path.join(dataDir, 'exports'),
      exportId: '11111111-2222-4333-8444-555555555555',
      clip,
      pieces,
      gaps: [],
      meta: {
        site: 'https://okno.example',
        camera: { id: CAMERA, name: 'Desk 1' },
        room: { id: 'room', name: 'Desk 1', kind: 'workplace' },
        institution: { id: 'inst', name: 'Guardianship office', timeZone: 'Europe/Moscow' },
        requestedBy: { personId: 'p', subject: 's', displayName: 'Inspector', role: 'inspector' },
        reason: 'complaint 17/2026: citizen reports a bribe request',
      },
      requested: { fromMs: T0, toMs: T0 + 6000 },
      createdAtMs: T0 + 3_600_000,
      key,
    });
    const file = path.join(dataDir, 'exports', out.file);
    const intact = await verifyExportPackage(file, key.publicKey);
    assert.equal(intact.ok, true, intact.problems.join('; '));
    assert.equal(intact.manifest?.segments.length, 2);
    assert.equal(intact.manifest?.reason, 'complaint 17/2026: citizen reports a bribe request');

    // Any tar reads it.
    const { stdout } = await execFileAsync('tar', ['-tf', file]);
    assert.deepEqual(stdout.trim().split('\n'), [
      'clip.mp4',
      'manifest.json',
      'manifest.sig',
      'manifest.json.sha256',
      'public-key.pem',
      'README.txt',
    ]);

    const original = await readFile(file);
    const flipped = async (offset: number) => {
      const copy = Buffer.from(original);
      copy[offset]! ^= 0x01;
      const f = path.join(dataDir, `flipped-${offset}.tar`);
      await writeFile(f, copy);
      return verifyExportPackage(f, key.publicKey);
    };
    const videoAt = 512 + 40_000; // inside clip.mp4
    const v = await flipped(videoAt);
    assert.equal(v.ok, false);
    assert.match(v.problems.join('\n'), /^clip\.mp4: altered/m);
    assert.doesNotMatch(v.problems.join('\n'), /manifest\.json/);

    const manifestAt = original.indexOf('"reason": "complaint', 0, 'utf8') + 14;
    const m = await flipped(manifestAt);
    assert.equal(m.ok, false);
    assert.match(m.problems.join('\n'), /^manifest\.json: altered/m);
    assert.equal(m.manifest, undefined, 'nothing unverified is handed out');

    const sigAt = original.indexOf('manifest.sig\0', 0, 'latin1') + 512 + 10; // inside the signature
    const sig = await flipped(sigAt);
    assert.equal(sig.ok, false);
    assert.match(sig.problems.join('\n'), /^manifest\.sig: altered/m);
    assert.doesNotMatch(sig.problems.join('\n'), /^manifest\.json/m);

    for (const [name, at] of [
      ['README.txt', original.indexOf('Okno video export', 0, 'utf8') + 2],
      ['public-key.pem', original.indexOf('-----BEGIN PUBLIC KEY-----', 0, 'utf8') + 30],
    ] as const) {
      const r = await flipped(at);
      assert.equal(r.ok, false, name);
      assert.match(r.problems.join('\n'), new RegExp(`^${name.replace('.', '\\.')}: altered`, 'm'));
    }

    const header = await flipped(0);
    assert.equal(header.ok, false);
    assert.match(header.problems.join('\n'), /package structure: the header at byte 0 is damaged/);

    const other = generateKeyPairSync('ed25519').publicKey;
    const wrongKey = await verifyExportPackage(file, other);
    assert.equal(wrongKey.ok, false);
    assert.match(wrongKey.problems.join('\n'), /^manifest\.sig: made with key .* not the trusted key/m);
  });
});
