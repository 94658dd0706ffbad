/**
 * Pure parts of recording: the recording decision (policy, working hours in the institution's zone,
 * closed days, visits), playback planning (seek to the keyframe before `from`, GOP-aligned HLS parts,
 * discontinuities), the VOD playlist, the timeline, and decode-time shifting.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRecording, inWorkingHours } from '../../../src/recording/policy.js';
import { planPieces, vodPlaylist } from '../../../src/recording/playback.js';
import { timelineOf } from '../../../src/recording/timeline.js';
import { shiftDecodeTimesInPlace, scanSegmentFile } from '../../../src/recording/fmp4-file.js';
import { parseSegmentRelPath, segmentRelPath } from '../../../src/recording/paths.js';
import type { Segment } from '../../../src/storage/repositories/recordings.js';
import type { ViewingCalendar } from '../../../src/policy/facts.js';
import { fragment, initSegment, H264_TRACK, SYNC } from '../media/helpers.js';

const hours: ViewingCalendar = {
  timeZone: 'Asia/Yekaterinburg', // UTC+5
  closedDays: ['2026-03-09'],
  windows: [1, 2, 3, 4, 5].map((weekday) => ({ weekday: weekday as 1, start: '09:00', end: '18:00' })),
};
const at = (iso: string) => Date.parse(iso);

describe('recording decision', () => {
  const base = { enabled: true, workingHours: hours, manualActive: false };

  test('continuous records always; off never; a disabled camera never', () => {
    assert.deepEqual(decideRecording({ ...base, policy: 'continuous' }, at('2026-03-08T23:00:00Z')), {
      record: true,
      pin: true,
      preRoll: false,
      why: 'recording',
    });
    assert.equal(decideRecording({ ...base, policy: 'off' }, at('2026-03-02T06:00:00Z')).record, false);
    assert.equal(
      decideRecording({ ...base, policy: 'continuous', enabled: false }, at('2026-03-02T06:00:00Z')).why,
      'camera_disabled',
    );
  });

  test('schedule: working hours in the institution zone, closed days off', () => {
    const d = (iso: string) => decideRecording({ ...base, policy: 'schedule' }, at(iso));
    assert.equal(d('2026-03-02T03:59:59Z').why, 'outside_working_hours'); // Monday 08:59:59 local
    assert.equal(d('2026-03-02T04:00:00Z').record, true); // 09:00 local
    assert.equal(d('2026-03-02T12:59:59Z').record, true);
    assert.equal(d('2026-03-02T13:00:00Z').record, false); // 18:00 local
    assert.equal(d('2026-03-07T06:00:00Z').why, 'outside_working_hours'); // Saturday
    assert.equal(d('2026-03-09T06:00:00Z').why, 'closed_day'); // a Monday, closed
    assert.equal(
      decideRecording({ ...base, policy: 'schedule', workingHours: { ...hours, windows: [] } }, 0).why,
      'no_working_hours',
    );
  });

  test('manual: ingest runs for the pre-roll; records only during a visit (and its post-roll)', () => {
    assert.deepEqual(decideRecording({ ...base, policy: 'manual' }, 0), {
      record: false,
      pin: true,
      preRoll: true,
      why: 'no_visit',
    });
    assert.equal(decideRecording({ ...base, policy: 'manual', manualActive: true }, 0).record, true);
  });

  test('working hours for gap alerts: a room without a schedule works every open day', () => {
    assert.equal(inWorkingHours(hours, at('2026-03-02T05:00:00Z')), true);
    assert.equal(inWorkingHours(hours, at('2026-03-02T14:00:00Z')), false);
    assert.equal(inWorkingHours({ ...hours, windows: [] }, at('2026-03-07T23:00:00Z')), true);
    assert.equal(inWorkingHours({ ...hours, windows: [] }, at('2026-03-09T10:00:00Z')), false);
  });
});

function segment(id: string, startMs: number, seconds: number, runId = 'run-1'): Segment {
  // One keyframe per second; 1000 bytes per GOP after a 100-byte init.
  return {
    id,
    cameraId: 'cam',
    seq: 1,
    runId,
    startMs,
    endMs: startMs + seconds * 1000,
    path: `${id}.mp4`,
    bytes: 100 + seconds * 1000,
    initBytes: 100,
    sha256: 'x'.repeat(64),
    prevSha256: null,
    keyframes: Array.from({ length: seconds }, (_, i) => [100 + i * 1000, i * 1000] as [number, number]),
    fragments: seconds * 25,
    recovered: false,
    state: 'ok',
  };
}

describe('playback planning', () => {
  const T = at('2026-03-02T10:00:00Z');
  const a = segment('a', T, 60);
  const b = segment('b', T + 60_000, 60);
  const c = segment('c', T + 150_000, 60, 'run-2'); // after a 30 s gap, a new ingest run

  test('a seek starts on the keyframe at or before `from` and ends on the keyframe at or after `to`', () => {
    const pieces = planPieces([a], T + 12_500, T + 20_200);
    assert.equal(pieces.length, 1);
    assert.equal(pieces[0]!.startMs, T + 12_000);
    assert.equal(pieces[0]!.startOffset, 100 + 12 * 1000);
    assert.equal(pieces[0]!.endMs, T + 21_000);
    assert.equal(pieces[0]!.endOffset, 100 + 21 * 1000);
    assert.deepEqual(
      pieces[0]!.chunks.map((ch) => (ch.endMs - ch.startMs) / 1000),
      [4, 4, 1],
    );
  });

  test('across segments and a gap: continuous within a run, a discontinuity after the gap', () => {
    const pieces = planPieces([a, b, c], T + 30_000, T + 170_000);
    assert.deepEqual(
      pieces.map((p) => [p.segment.id, p.discontinuity]),
      [
        ['a', false],
        ['b', false],
        ['c', true],
      ],
    );
    assert.equal(pieces[1]!.startOffset, 100, 'a following segment starts after its init');
    assert.equal(pieces[1]!.endOffset, b.bytes, 'and runs to its end');
    const playlist = vodPlaylist(pieces, {
      init: (id) => `init/${id}.mp4?t`,
      part: (id, s, e) => `part/${id}/${s}-${e}.m4s?t`,
    });
    const lines = playlist.trim().split('\n');
    assert.equal(lines[0], '#EXTM3U');
    assert.ok(lines.includes('#EXT-X-PLAYLIST-TYPE:VOD'));
    assert.equal(lines.at(-1), '#EXT-X-ENDLIST');
    assert.equal(lines.filter((l) => l === '#EXT-X-DISCONTINUITY').length, 1);
    const disc = lines.indexOf('#EXT-X-DISCONTINUITY');
    assert.equal(lines[disc + 1], '#EXT-X-MAP:URI="init/c.mp4?t"');
    assert.equal(lines[disc + 2], `#EXT-X-PROGRAM-DATE-TIME:${new Date(T + 150_000).toISOString()}`);
    assert.ok(lines.includes('part/a/30100-34100.m4s?t'));
    assert.equal(
      lines.find((l) => l.startsWith('#EXT-X-TARGETDURATION')),
      '#EXT-X-TARGETDURATION:4',
    );
  });

  test('timeline: segments that touch are one span; gaps clipped; an open gap runs until now', () => {
    const t = timelineOf(
      [a, b, c],
      [
        { startMs: T + 120_000, endMs: T + 150_000, cause: 'camera_offline' },
        { startMs: T + 210_000, endMs: null, cause: 'policy_off' },
      ],
      T + 10_000,
      T + 400_000,
      T + 300_000,
    );
    assert.deepEqual(t.spans, [
      { start: new Date(T + 10_000).toISOString(), end: new Date(T + 120_000).toISOString() },
      { start: new Date(T + 150_000).toISOString(), end: new Date(T + 210_000).toISOString() },
    ]);
    assert.deepEqual(
      t.gaps.map((g) => [g.cause, g.end, g.open]),
      [
        ['camera_offline', new Date(T + 150_000).toISOString(), false],
        ['policy_off', new Date(T + 300_000).toISOString(), true],
      ],
    );
  });
});

describe('segment files', () => {
  test('paths encode camera, UTC day and start instant, and parse back', () => {
    const cam = '6f1c2b8e-3d4a-4b5c-8d9e-0a1b2c3d4e5f';
    const ms = at('2026-11-22T04:46:55.123Z');
    const rel = segmentRelPath(cam, ms);
    assert.equal(rel, `${cam}/2026-11-22/2026-11-22T04-46-55.123Z.mp4`);
    assert.deepEqual(parseSegmentRelPath(rel), { cameraId: cam, startMs: ms });
    assert.deepEqual(parseSegmentRelPath(segmentRelPath(cam, ms, 2)), { cameraId: cam, startMs: ms });
    assert.equal(parseSegmentRelPath(`${cam}/2026-11-21/2026-11-22T04-46-55.123Z.mp4`), undefined);
    assert.equal(parseSegmentRelPath(`../x/2026-11-22/2026-11-22T04-46-55.123Z.mp4`), undefined);
  });

  test('decode times are shifted per track, in place', () => {
    const init = initSegment([H264_TRACK]);
    const frag = fragment(1, [
      { trackId: 1, decodeTime: 90_000, samples: [{ duration: 3600, flags: SYNC }] },
    ]);
    const buf = Buffer.concat([init, frag]);
    const fragOnly = Buffer.from(buf.subarray(init.length));
    shiftDecodeTimesInPlace(fragOnly, new Map([[1, 45_000]]));
    const scan = scanSegmentFile(Buffer.concat([init, fragOnly]));
    assert.equal(scan.fragments[0]!.fragment.decodeTime, 135_000);
    assert.throws(() => shiftDecodeTimesInPlace(fragOnly, new Map([[1, -200_000]])), /negative/);
  });

  test('a scan stops at the first cut or malformed box', () => {
    const init = initSegment([H264_TRACK]);
    const f1 = fragment(1, [{ trackId: 1, decodeTime: 0, samples: [{ duration: 3600, flags: SYNC }] }], 500);
    const f2 = fragment(
      2,
      [{ trackId: 1, decodeTime: 3600, samples: [{ duration: 3600, flags: SYNC }] }],
      500,
    );
    const whole = Buffer.concat([init, f1, f2]);
    assert.equal(scanSegmentFile(whole).fragments.length, 2);
    const cut = scanSegmentFile(whole.subarray(0, whole.length - 10));
    assert.equal(cut.fragments.length, 1);
    assert.equal(cut.validBytes, init.length + f1.length);
    assert.match(cut.stoppedBecause ?? '', /cut/);
    const zeros = scanSegmentFile(Buffer.concat([init, f1, Buffer.alloc(64)]));
    assert.equal(zeros.validBytes, init.length + f1.length);
  });
});
