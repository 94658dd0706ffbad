import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Fmp4Parser, fragmentDurationMs, parseInitSegment } from '../../../src/media/fmp4.js';
import type { Fmp4Item, Fragment, InitSegment } from '../../../src/media/fmp4.js';
import { MediaFormatError } from '../../../src/media/errors.js';
import {
  H264_AAC_ARGS,
  H264_TRACK,
  NON_SYNC,
  SYNC,
  avc1,
  box,
  ffmpegFixtures,
  fragment,
  hvc1,
  initSegment,
  mp4a,
  randomBytes,
  randomSplit,
  rng,
  u32,
  u64,
  zeros,
} from './helpers.js';
import type { Fixtures } from './helpers.js';

function parseAll(data: Buffer | Buffer[]): Fmp4Item[] {
  const parser = new Fmp4Parser();
  const chunks = Array.isArray(data) ? data : [data];
  return chunks.flatMap((c) => parser.push(c));
}

function split(items: Fmp4Item[]): { init: InitSegment; fragments: Fragment[] } {
  const inits = items.flatMap((i) => (i.type === 'init' ? [i.init] : []));
  assert.equal(inits.length, 1, 'exactly one init segment');
  return { init: inits[0]!, fragments: items.flatMap((i) => (i.type === 'fragment' ? [i.fragment] : [])) };
}

/** Comparable summary of items (data as hex digests keep assertion output short). */
function summary(items: Fmp4Item[]): unknown[] {
  return items.map((i) =>
    i.type === 'init'
      ? { init: i.init.data.toString('base64'), mime: i.init.mimeType }
      : { ...i.fragment, data: i.fragment.data.toString('base64') },
  );
}

function expectFormatError(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MediaFormatError, `expected MediaFormatError, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe('fmp4 with ffmpeg output', () => {
  let fixtures: Fixtures;
  let h264Aac: Buffer;
  let everyFrame: Buffer;
  let hevc: Buffer;

  before(async () => {
    fixtures = await ffmpegFixtures();
    h264Aac = await fixtures.load('h264-aac.mp4', H264_AAC_ARGS);
    everyFrame = await fixtures.load('every-frame.mp4', [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=25',
      '-t',
      '3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '25',
      '-f',
      'mp4',
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof+frag_every_frame',
    ]);
    hevc = await fixtures.load('hevc.mp4', [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=25',
      '-t',
      '2',
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-x265-params',
      'log-level=error:keyint=25:min-keyint=25',
      '-tag:v',
      'hvc1',
      '-f',
      'mp4',
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      '100000',
    ]);
  });

  after(async () => {
    await fixtures.cleanup();
  });

  test('splits init and fragments; codec string, size, keyframes and timing', () => {
    const { init, fragments } = split(parseAll(h264Aac));
    assert.match(init.mimeType, /^video\/mp4; codecs="avc1\.[0-9a-f]{6},mp4a\.40\.2"$/);
    assert.equal(init.width, 320);
    assert.equal(init.height, 240);
    assert.deepEqual(
      init.tracks.map((t) => t.kind),
      ['video', 'audio'],
    );
    assert.equal(init.tracks[1]?.sampleRateHz, 48000);
    assert.equal(init.data.subarray(4, 8).toString('latin1'), 'ftyp');
    // 3 s at GOP 25 and 25 fps: keyframes at 0 s, 1 s and 2 s.
    assert.equal(fragments.filter((f) => f.keyframe).length, 3);
    assert.equal(fragments[0]?.keyframe, true);
    const totalFrames = fragments.reduce((n, f) => n + f.sampleCount, 0);
    assert.equal(totalFrames, 75);
    for (const f of fragments) {
      assert.equal(f.data.subarray(4, 8).toString('latin1'), 'moof');
      assert.ok((fragmentDurationMs(f) ?? 0) <= 130, `fragment of ${fragmentDurationMs(f)} ms`);
    }
    // Decode times are contiguous.
    for (let i = 1; i < fragments.length; i++) {
      const prev = fragments[i - 1]!;
      assert.equal(fragments[i]!.decodeTime, prev.decodeTime! + prev.durationTicks!);
    }
    // Init + fragments are the whole stream, byte for byte (apart from the trailing mfra).
    const rebuilt = Buffer.concat([init.data, ...fragments.map((f) => f.data)]);
    assert.deepEqual(rebuilt, h264Aac.subarray(0, rebuilt.length));
    assert.equal(h264Aac.subarray(rebuilt.length + 4, rebuilt.length + 8).toString('latin1'), 'mfra');
  });

  test('one fragment per frame with frag_every_frame', () => {
    const { fragments } = split(parseAll(everyFrame));
    assert.equal(fragments.length, 75);
    assert.ok(fragments.every((f) => f.sampleCount === 1));
    assert.deepEqual(
      fragments.flatMap((f, i) => (f.keyframe ? [i] : [])),
      [0, 25, 50],
    );
  });

  test('H.265 codec string per ISO/IEC 14496-15 Annex E', () => {
    const { init, fragments } = split(parseAll(hevc));
    assert.match(init.codecs[0] ?? '', /^hvc1\.1\.6\.L\d+(\.[0-9A-F]{1,2})*$/);
    assert.equal(init.width, 320);
    assert.equal(fragments[0]?.keyframe, true);
  });

  test('property: any chunking gives the same items as one push', () => {
    const expected = summary(parseAll(h264Aac));
    for (let seed = 1; seed <= 40; seed++) {
      const random = rng(seed);
      const got = summary(parseAll(randomSplit(random, h264Aac)));
      assert.deepEqual(got, expected, `seed ${seed}`);
    }
    // The worst case: one byte at a time.
    const bytes: Buffer[] = [];
    for (let i = 0; i < h264Aac.length; i++) bytes.push(h264Aac.subarray(i, i + 1));
    assert.deepEqual(summary(parseAll(bytes)), expected);
  });

  test('property: corrupted ffmpeg output fails only with MediaFormatError', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = rng(seed);
      const data = Buffer.from(h264Aac.subarray(0, 30_000));
      const flips = 1 + Math.floor(random() * 8);
      // Corrupt the headers and tables (the first 1.5 kB: ftyp, moov, first moof) or anywhere.
      for (let i = 0; i < flips; i++) {
        const at = Math.floor(random() * (random() < 0.7 ? 1500 : data.length));
        data[at] = Math.floor(random() * 256);
      }
      const parser = new Fmp4Parser();
      try {
        for (const chunk of randomSplit(random, data)) parser.push(chunk);
      } catch (err) {
        assert.ok(err instanceof MediaFormatError, `seed ${seed}: ${String(err)}`);
      }
      assert.ok(parser.bufferedBytes <= 32 * 1024 * 1024);
    }
  });
});

describe('fmp4 with garbage', () => {
  test('property: random bytes never throw anything but MediaFormatError and never hang', () => {
    let failures = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const random = rng(seed * 7919);
      const data = randomBytes(random, Math.floor(random() * 8192));
      const parser = new Fmp4Parser();
      const startedMs = performance.now();
      try {
        for (const chunk of randomSplit(random, data)) parser.push(chunk);
      } catch (err) {
        assert.ok(err instanceof MediaFormatError, `seed ${seed}: ${String(err)}`);
        failures++;
      }
      assert.ok(performance.now() - startedMs < 1000, `seed ${seed} took too long`);
    }
    // Almost all random streams are rejected at once (the rest are too short to judge).
    assert.ok(failures > 450, `only ${failures} of 500 rejected`);
  });

  test('random bytes after a valid init segment are rejected', () => {
    const init = initSegment([H264_TRACK]);
    for (let seed = 1; seed <= 200; seed++) {
      const random = rng(seed);
      const parser = new Fmp4Parser();
      const items = parser.push(init);
      assert.equal(items[0]?.type, 'init');
      try {
        parser.push(randomBytes(random, 64 + Math.floor(random() * 4096)));
      } catch (err) {
        assert.ok(err instanceof MediaFormatError, `seed ${seed}: ${String(err)}`);
      }
    }
  });

  test('text instead of video is rejected at once with a clear message', () => {
    expectFormatError(
      () => new Fmp4Parser().push(Buffer.from('RTSP/1.0 401 Unauthorized\r\n\r\n')),
      /not an MP4 stream|unexpected top-level box/,
    );
  });

  test('absurd box sizes fail at the header, before their bytes are awaited', () => {
    const init = initSegment([H264_TRACK]);
    const moofOnly = fragment(1, [{ trackId: 1, samples: [{ flags: SYNC }] }]).subarray(0, -24);
    const huge = Buffer.concat([u32(0xfffffff0), Buffer.from('mdat')]);
    const parser = new Fmp4Parser();
    parser.push(init);
    parser.push(moofOnly);
    expectFormatError(() => parser.push(huge), /exceeds the limit/);
    // Over the per-type limit (moov of 100 MB) and the configured cap.
    expectFormatError(
      () => new Fmp4Parser().push(Buffer.concat([u32(100e6), Buffer.from('moov')])),
      /exceeds/,
    );
    const small = new Fmp4Parser({ maxBoxBytes: 1024 });
    small.push(init.subarray(0, 20)); // ftyp is small: fine
    expectFormatError(() => new Fmp4Parser({ maxBoxBytes: 64 }).push(init), /exceeds the limit of 64/);
    // 64-bit size, size 0 ("to end of file") and sizes below the header.
    expectFormatError(
      () => new Fmp4Parser().push(Buffer.concat([u32(1), Buffer.from('ftyp'), u64(2 ** 40)])),
      /exceeds/,
    );
    expectFormatError(() => new Fmp4Parser().push(Buffer.concat([u32(0), Buffer.from('ftyp')])), /size 0/);
    expectFormatError(
      () => new Fmp4Parser().push(Buffer.concat([u32(5), Buffer.from('ftyp')])),
      /invalid size/,
    );
  });

  test('memory stays bounded while a large box arrives', () => {
    const parser = new Fmp4Parser({ maxBoxBytes: 1024 * 1024 });
    parser.push(initSegment([H264_TRACK]));
    const moof = fragment(1, [{ trackId: 1, samples: [{ flags: SYNC }] }]).subarray(0, -24);
    parser.push(moof);
    parser.push(Buffer.concat([u32(900_000), Buffer.from('mdat')]));
    for (let i = 0; i < 100; i++) parser.push(zeros(8000));
    assert.ok(parser.bufferedBytes < 1024 * 1024);
    const items = parser.push(zeros(900_000 - 8 - 800_000));
    assert.equal(items.length, 1);
    assert.equal(parser.bufferedBytes, 0);
  });

  test('boxes out of order are errors', () => {
    const frag = fragment(1, [{ trackId: 1, samples: [{ flags: SYNC }] }]);
    expectFormatError(() => new Fmp4Parser().push(frag), /expected ftyp\/moov but got 'moof'/);
    const init = initSegment([H264_TRACK]);
    expectFormatError(() => new Fmp4Parser().push(Buffer.concat([init, init])), /second init segment/);
    const moof = frag.subarray(0, frag.length - 24);
    expectFormatError(() => new Fmp4Parser().push(Buffer.concat([init, moof, moof])), /expected mdat/);
    expectFormatError(
      () => new Fmp4Parser().push(Buffer.concat([init, box('mdat', zeros(4))])),
      /expected moof/,
    );
  });

  test('a failed parser keeps failing', () => {
    const parser = new Fmp4Parser();
    expectFormatError(() => parser.push(Buffer.from('garbage!')));
    expectFormatError(() => parser.push(initSegment([H264_TRACK])));
  });

  test('broken moov contents are MediaFormatError', () => {
    const init = initSegment([H264_TRACK]);
    for (let cut = 40; cut < init.length - 8; cut += 7) {
      // A moov whose declared size is honest but whose children are truncated at `cut`.
      const ftypLength = init.readUInt32BE(0);
      const moovBody = init.subarray(ftypLength + 8, cut);
      const moov = box('moov', moovBody);
      try {
        parseInitSegment(Buffer.concat([init.subarray(0, ftypLength), moov]));
      } catch (err) {
        assert.ok(err instanceof MediaFormatError, `cut ${cut}: ${String(err)}`);
      }
    }
  });
});

describe('fmp4 sample flags, durations and codec strings', () => {
  const init = initSegment([
    { ...H264_TRACK, trexDuration: 3000, trexFlags: NON_SYNC },
    { trackId: 2, kind: 'audio', timescale: 48000, sampleEntry: mp4a(0x40, Buffer.from([0x11, 0x90])) },
  ]);

  function fragmentsOf(...frags: Buffer[]): Fragment[] {
    return split(parseAll(Buffer.concat([init, ...frags]))).fragments;
  }

  test('trun first_sample_flags wins over defaults', () => {
    const [f] = fragmentsOf(
      fragment(7, [
        { trackId: 1, decodeTime: 9000, tfhdFlags: NON_SYNC, firstSampleFlags: SYNC, samples: [{}, {}] },
      ]),
    );
    assert.equal(f?.keyframe, true);
    assert.equal(f?.sequenceNumber, 7);
    assert.equal(f?.decodeTime, 9000);
    assert.equal(f?.durationTicks, 6000); // trex default duration × 2
    assert.equal(f?.timescale, 90000);
  });

  test('per-sample flags when there is no first_sample_flags', () => {
    const [key, delta] = fragmentsOf(
      fragment(1, [
        {
          trackId: 1,
          samples: [
            { flags: SYNC, duration: 3600 },
            { flags: NON_SYNC, duration: 3600 },
          ],
        },
      ]),
      fragment(2, [{ trackId: 1, samples: [{ flags: NON_SYNC, duration: 3600 }] }]),
    );
    assert.equal(key?.keyframe, true);
    assert.equal(key?.durationTicks, 7200);
    assert.equal(delta?.keyframe, false);
  });

  test('tfhd default_sample_flags, then trex defaults', () => {
    const [fromTfhd, fromTrex] = fragmentsOf(
      fragment(1, [{ trackId: 1, tfhdFlags: SYNC, tfhdDuration: 1800, samples: [{}, {}, {}] }]),
      fragment(2, [{ trackId: 1, samples: [{}] }]),
    );
    assert.equal(fromTfhd?.keyframe, true);
    assert.equal(fromTfhd?.durationTicks, 5400);
    assert.equal(fromTfhd?.sampleCount, 3);
    assert.equal(fromTrex?.keyframe, false); // trex says non-sync
  });

  test('keyframe is decided by the video track; audio-only fragments are never keyframes', () => {
    const [both, audioOnly] = fragmentsOf(
      fragment(1, [
        { trackId: 2, samples: [{ flags: SYNC }] },
        { trackId: 1, samples: [{ flags: NON_SYNC }] },
      ]),
      fragment(2, [{ trackId: 2, samples: [{ flags: SYNC }] }]),
    );
    assert.equal(both?.keyframe, false);
    assert.equal(both?.trackId, 1);
    assert.equal(audioOnly?.keyframe, false);
    assert.equal(audioOnly?.sampleCount, 0);
  });

  test('styp/prft before a moof travel with the fragment; free boxes before the init segment are dropped', () => {
    const styp = box('styp', Buffer.from('msdh'), u32(0), Buffer.from('msdhmsix'));
    const prft = box('prft', zeros(16));
    const free = box('free', zeros(10));
    const frag = fragment(1, [{ trackId: 1, samples: [{ flags: SYNC }] }]);
    const items = parseAll(Buffer.concat([free, init, free, styp, prft, frag]));
    const { fragments } = split(items);
    assert.equal(fragments.length, 1);
    assert.deepEqual(fragments[0]?.data, Buffer.concat([free, styp, prft, frag]));
  });

  test('codec strings: avc1, mp4a AOT (incl. escape), hvc1/hev1, other entries', () => {
    assert.equal(parseInitSegment(initSegment([H264_TRACK])).mimeType, 'video/mp4; codecs="avc1.64001f"');
    const constrainedBaseline = { ...H264_TRACK, sampleEntry: avc1(640, 480, 0x42, 0xc0, 0x1e) };
    assert.equal(parseInitSegment(initSegment([constrainedBaseline])).codecs[0], 'avc1.42c01e');
    assert.equal(split(parseAll(init)).init.codecs[1], 'mp4a.40.2');
    const heAac = {
      trackId: 2,
      kind: 'audio' as const,
      timescale: 48000,
      sampleEntry: mp4a(0x40, Buffer.from([0x2b, 0x92])),
    };
    assert.equal(parseInitSegment(initSegment([heAac])).mimeType, 'audio/mp4; codecs="mp4a.40.5"');
    // audioObjectType 31 escapes to 32 + 6 bits: 42 (USAC) = 11111 001010 …
    const usac = { ...heAac, sampleEntry: mp4a(0x40, Buffer.from([0xf9, 0x40])) };
    assert.equal(parseInitSegment(initSegment([usac])).codecs[0], 'mp4a.40.42');
    const mp3 = { ...heAac, sampleEntry: mp4a(0x6b, Buffer.from([0x00])) };
    assert.equal(parseInitSegment(initSegment([mp3])).codecs[0], 'mp4a.6B');
    // HEVC Main: profile_idc 1, compatibility 0x60000000 (reversed: 6), constraints B0, level 93.
    const main = Buffer.from([
      1, 0x01, 0x60, 0, 0, 0, 0xb0, 0, 0, 0, 0, 0, 93, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 0,
    ]);
    const hevcTrack = { ...H264_TRACK, sampleEntry: hvc1(main) };
    assert.equal(parseInitSegment(initSegment([hevcTrack])).codecs[0], 'hvc1.1.6.L93.B0');
    // Main 10, high tier, level 153, profile space 0, hev1 entry.
    const main10 = Buffer.from([
      1, 0x22, 0x20, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 153, 0xf0, 0, 0xfc, 0xfd, 0xfa, 0xfa, 0, 0, 0x0f, 0,
    ]);
    assert.equal(
      parseInitSegment(initSegment([{ ...H264_TRACK, sampleEntry: hvc1(main10, 'hev1') }])).codecs[0],
      'hev1.2.4.H153.90',
    );
    const av1 = { ...H264_TRACK, sampleEntry: box('av01', zeros(78)) };
    assert.equal(parseInitSegment(initSegment([av1])).codecs[0], 'av01');
  });

  test('width and height from tkhd, else from the sample entry', () => {
    const noTkhdSize = { ...H264_TRACK, width: 0, height: 0, sampleEntry: avc1(640, 360, 0x4d, 0x40, 0x1e) };
    const parsed = parseInitSegment(initSegment([noTkhdSize]));
    assert.equal(parsed.width, 640);
    assert.equal(parsed.height, 360);
  });
});
