/**
 * The Low-Latency HLS window: parts and segments cut from fragments, the media and multivariant
 * playlists, blocking requests (_HLS_msn/_HLS_part, preload hint), discontinuities, file names; and
 * the hev1 → hvc1 rewrite of H.265 init segments (checked with ffprobe on ffmpeg's own output).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HlsLiveWindow, parseHlsFile } from '../../../src/media/hls-live.js';
import { withHvc1Tag } from '../../../src/media/hevc-tag.js';
import { Fmp4Parser, type Fragment, type InitSegment } from '../../../src/media/fmp4.js';
import { ffmpegFixtures, type Fixtures } from './helpers.js';

const execFileAsync = promisify(execFile);

const INIT: InitSegment = {
  data: Buffer.from('init'),
  tracks: [],
  codecs: ['avc1.64001f', 'mp4a.40.2'],
  mimeType: 'video/mp4; codecs="avc1.64001f,mp4a.40.2"',
  width: 1280,
  height: 720,
  primaryTrackId: 1,
};

let seq = 0;
/** A fragment of `ms` milliseconds (90 kHz), keyframe or not, whose bytes name it. */
function frag(ms: number, keyframe = false): Fragment {
  seq++;
  return {
    data: Buffer.from(`f${seq};`),
    keyframe,
    sequenceNumber: seq,
    trackId: 1,
    decodeTime: 0,
    durationTicks: ms * 90,
    timescale: 90_000,
    sampleCount: 2,
  };
}

/** Feeds `gops` GOPs of `gopMs` in 80 ms fragments (25 fps, two frames each). */
function feed(w: HlsLiveWindow, gops: number, gopMs = 2000): void {
  for (let g = 0; g < gops; g++) for (let t = 0; t < gopMs; t += 80) w.push(frag(80, t === 0));
}

function tags(playlist: string, tag: string): string[] {
  return playlist.split('\n').filter((l) => l.startsWith(tag));
}

describe('LL-HLS window', () => {
  test('parts of ~target length, segments cut at keyframes, every number parsed back', () => {
    const w = new HlsLiveWindow({ partTargetSec: 0.2, nowMs: () => Date.UTC(2026, 0, 1) });
    assert.equal(w.ready, false);
    w.push(frag(80, true)); // no init yet: ignored
    w.setInit(INIT);
    w.push(frag(80)); // not a keyframe: a segment cannot start with it
    assert.equal(w.hintedPartId, 0);
    feed(w, 3);
    assert.equal(w.ready, true);
    const pl = w.playlist('token=abc');
    // two complete segments (the third GOP is being built), each 2 s, media sequence from 0
    assert.deepEqual(tags(pl, '#EXTINF'), ['#EXTINF:2.000,', '#EXTINF:2.000,']);
    assert.ok(pl.includes('\nseg-0.m4s?token=abc\n') && pl.includes('\nseg-1.m4s?token=abc\n'));
    assert.ok(pl.includes('#EXT-X-MEDIA-SEQUENCE:0\n'));
    assert.ok(pl.includes('#EXT-X-TARGETDURATION:2\n'));
    assert.ok(pl.includes('#EXT-X-INDEPENDENT-SEGMENTS\n'));
    assert.ok(pl.includes('#EXT-X-MAP:URI="init-1.mp4?token=abc"\n'));
    assert.ok(pl.includes('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\n'));
    // 80 ms fragments, 0.2 s target: two fragments (0.16 s) per part; 12.5 per GOP → 13 parts
    const parts = tags(pl, '#EXT-X-PART:');
    assert.equal(parts[0], '#EXT-X-PART:DURATION=0.160,URI="part-0.m4s?token=abc",INDEPENDENT=YES');
    assert.equal(parts[1], '#EXT-X-PART:DURATION=0.160,URI="part-1.m4s?token=abc"');
    assert.equal(parts.length, 13 * 2 + 12);
    assert.ok(pl.includes('#EXT-X-PART-INF:PART-TARGET=0.200\n'));
    assert.ok(pl.includes('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600\n'));
    assert.ok(
      pl.trimEnd().endsWith(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-${w.hintedPartId}.m4s?token=abc"`),
    );
    // a segment is its parts, byte for byte
    const seg0 = w.segment(0)!;
    assert.deepEqual(seg0.data, Buffer.concat(seg0.parts!.map((p) => p.data)));
    assert.equal(seg0.data.toString().split(';')[0], 'f3'); // the first keyframe after init
    assert.equal(w.part(0)?.data.toString(), 'f3;f4;');
    assert.equal(w.segment(5), undefined);
    assert.equal(w.initFor(1), INIT);
  });

  test('the window slides: old segments go, parts only near the live edge, media sequence moves', () => {
    const w = new HlsLiveWindow({ windowSegments: 3, partSegments: 2 });
    w.setInit(INIT);
    feed(w, 7);
    const pl = w.playlist('');
    assert.equal(tags(pl, '#EXTINF').length, 3);
    assert.ok(pl.includes('#EXT-X-MEDIA-SEQUENCE:3\n'), pl);
    assert.equal(w.segment(2), undefined);
    assert.ok(w.segment(3));
    // parts of segments 4, 5 (the two newest) and of the one being built; none of segment 3
    assert.equal(w.segment(3)!.parts, undefined);
    assert.equal(tags(pl, '#EXT-X-PART:').length, 13 * 2 + 12);
    const firstListed = /part-(\d+)\.m4s/.exec(tags(pl, '#EXT-X-PART:')[0]!)![1];
    assert.equal(w.part(Number(firstListed) - 1), undefined, 'parts of older segments are dropped');
    assert.ok(w.part(Number(firstListed)));
  });

  test('a long GOP is cut at maxSegmentSec; such segments are not independent', () => {
    const w = new HlsLiveWindow({ maxSegmentSec: 2 });
    w.setInit(INIT);
    feed(w, 2, 5000);
    const pl = w.playlist('');
    assert.ok(!pl.includes('#EXT-X-INDEPENDENT-SEGMENTS'));
    const durations = tags(pl, '#EXTINF').map((l) => Number(/:(.*),/.exec(l)![1]));
    assert.ok(
      durations.every((d) => d <= 2.2),
      durations.join(),
    );
    assert.equal(w.segment(0)!.independent, true);
    assert.equal(w.segment(1)!.independent, false);
    assert.ok(pl.includes('#EXT-X-TARGETDURATION:2\n'));
  });

  test('a new init is a discontinuity with its own map; the old init lives while its segments do', () => {
    const w = new HlsLiveWindow({ windowSegments: 3 });
    w.setInit(INIT);
    feed(w, 2);
    const other = { ...INIT, data: Buffer.from('init2') };
    w.setInit(other);
    feed(w, 2);
    const pl = w.playlist('');
    assert.ok(pl.includes('#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-2.mp4"'), pl);
    assert.ok(pl.includes('#EXT-X-DISCONTINUITY-SEQUENCE:0\n'));
    assert.equal(w.initFor(1), INIT);
    feed(w, 3);
    const later = w.playlist('');
    assert.ok(later.includes('#EXT-X-DISCONTINUITY-SEQUENCE:1\n'), later);
    assert.ok(!later.includes('#EXT-X-DISCONTINUITY\n'));
    assert.equal(w.initFor(1), undefined);
    assert.equal(w.initFor(2), other);
  });

  test('blocking reload: _HLS_msn/_HLS_part wait for the part; past the end means the next segment', async () => {
    const w = new HlsLiveWindow();
    w.setInit(INIT);
    feed(w, 1);
    w.push(frag(80, true)); // closes segment 0 (13 parts); segment 1 has an open part
    assert.equal(w.segment(0)!.partCount, 13);
    assert.equal(w.has({ msn: 0 }), true);
    assert.equal(w.has({ msn: 0, part: 12 }), true);
    assert.equal(w.has({ msn: 0, part: 13 }), false, 'part 13 of segment 0 is part 0 of segment 1');
    assert.equal(w.has({ msn: 1 }), false);
    assert.equal(w.has({ msn: 1, part: 0 }), false);
    assert.equal(w.tooFarAhead({ msn: 2 }), false);
    assert.equal(w.tooFarAhead({ msn: 3 }), true);
    const waiting = w.waitFor({ msn: 1, part: 0 }, 5000);
    const hint = w.hintedPartId;
    const hinted = w.waitFor({ partId: hint }, 5000);
    assert.equal(w.tooFarAhead({ partId: hint + 1 }), false);
    assert.equal(w.tooFarAhead({ partId: hint + 2 }), true);
    w.push(frag(80)); // 0.16 s: the part closes
    assert.equal(await waiting, true);
    assert.equal(await hinted, true);
    assert.equal(w.part(hint)?.independent, true);
    assert.equal(await w.waitFor({ msn: 1, part: 5 }, 20), false, 'times out');
    const pending = w.waitFor({ msn: 2 }, 5000);
    w.close();
    assert.equal(await pending, false, 'closing the window answers every waiter');
  });

  test('multivariant playlist names the codecs and resolution', () => {
    const w = new HlsLiveWindow();
    w.setInit(INIT);
    feed(w, 2);
    const m = w.multivariantPlaylist('token=x');
    assert.match(m, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720\n/);
    assert.ok(m.endsWith('\nstream.m3u8?token=x\n'));
  });

  test('file names: the number between the dash and the dot', () => {
    assert.deepEqual(parseHlsFile('seg-5.m4s'), { kind: 'segment', n: 5 });
    assert.deepEqual(parseHlsFile('seg-44.m4s'), { kind: 'segment', n: 44 });
    assert.deepEqual(parseHlsFile('part-123.m4s'), { kind: 'part', n: 123 });
    assert.deepEqual(parseHlsFile('init-4.mp4'), { kind: 'init', n: 4 });
    assert.deepEqual(parseHlsFile('index.m3u8'), { kind: 'multivariant' });
    assert.deepEqual(parseHlsFile('stream.m3u8'), { kind: 'media' });
    for (const bad of ['seg-5.mp4', 'init-1.m4s', 'seg-.m4s', 'seg-1.m4s.m4s', '../seg-1.m4s', 'x.m3u8'])
      assert.equal(parseHlsFile(bad), null, bad);
  });
});

describe('H.265 as hvc1', () => {
  let fixtures: Fixtures;
  before(async () => {
    fixtures = await ffmpegFixtures();
  });
  after(async () => {
    await fixtures.cleanup();
  });

  test("ffmpeg's hev1 becomes hvc1, and the stream still decodes", async () => {
    // ffmpeg's default HEVC tag in MP4 is hev1
    const mp4 = await fixtures.load('hev1.mp4', [
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
      'log-level=error:keyint=25',
      '-movflags',
      '+frag_keyframe+empty_moov+default_base_moof',
    ]);
    const parser = new Fmp4Parser();
    const items = parser.push(mp4);
    const init = items.find((i) => i.type === 'init')!.init;
    assert.match(init.codecs[0]!, /^hev1\./);
    const tagged = withHvc1Tag(init);
    assert.match(tagged.codecs[0]!, /^hvc1\.1\.6\.L\d+/);
    assert.equal(tagged.codecs[0]!.slice(4), init.codecs[0]!.slice(4));
    assert.match(tagged.mimeType, /codecs="hvc1\./);
    assert.equal(tagged.tracks[0]?.sampleEntry, 'hvc1');
    assert.notEqual(tagged.data, init.data, 'the original init segment is left as it was');
    assert.equal(init.data.includes('hev1'), true);
    // What a player gets: the rewritten init + the fragments, as ffprobe reads it.
    const rest = items.flatMap((i) => (i.type === 'fragment' ? [i.fragment.data] : []));
    const path = join(fixtures.dir, 'hvc1.mp4');
    await writeFile(path, Buffer.concat([tagged.data, ...rest]));
    const { stdout } = await execFileAsync('ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,codec_tag_string,nb_read_frames',
      '-of',
      'json',
      path,
    ]);
    const s = (JSON.parse(stdout) as { streams: Record<string, unknown>[] }).streams[0]!;
    assert.equal(s.codec_tag_string, 'hvc1');
    assert.equal(s.codec_name, 'hevc');
    assert.equal(s.nb_read_frames, '50');
    // H.264 (and an init that is already hvc1) is left alone
    assert.equal(withHvc1Tag(INIT), INIT);
    assert.equal(withHvc1Tag(tagged), tagged);
  });
});
