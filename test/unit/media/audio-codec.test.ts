/**
 * Which audio a camera's ingest copies and which it transcodes (issue 10, item 9): the codec named
 * by the camera's SDP (RTSP DESCRIBE) and the ingest mode chosen from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { audioModeFor, buildIngestArgs } from '../../../src/media/ffmpeg-args.js';
import { sdpAudioCodec } from '../../../src/media/rtsp-check.js';

const video = 'm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:stream=0\r\n';

test('the SDP names the audio codec by ffmpeg’s name', () => {
  const aac =
    video +
    'm=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/1\r\n' +
    'a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=1188;sizelength=13\r\n';
  assert.equal(sdpAudioCodec(aac), 'aac');
  assert.equal(sdpAudioCodec(video + 'm=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n'), 'pcm_alaw');
  assert.equal(sdpAudioCodec(video + 'm=audio 0 RTP/AVP 0\r\n'), 'pcm_mulaw', 'static payload type');
  assert.equal(sdpAudioCodec(video + 'm=audio 0 RTP/AVP 8\r\n'), 'pcm_alaw', 'static payload type');
  assert.equal(sdpAudioCodec(video + 'm=audio 0 RTP/AVP 98\r\na=rtpmap:98 MP4A-LATM/44100\r\n'), 'aac_latm');
  assert.equal(sdpAudioCodec(video + 'm=audio 0 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n'), 'opus');
  assert.equal(
    sdpAudioCodec(
      video + 'm=audio 0 RTP/AVP 97\r\na=rtpmap:97 mpeg4-generic/48000\r\na=fmtp:97 mode=CELP-cbr\r\n',
    ),
    'mpeg4-generic',
    'RFC 3640 but not AAC',
  );
  assert.equal(sdpAudioCodec(video), 'none');
  assert.equal(sdpAudioCodec(video + 'm=audio 0 RTP/AVP 120\r\n'), 'unknown', 'no rtpmap');
  // The rtpmap of the video section does not count for audio.
  assert.equal(
    sdpAudioCodec('m=audio 0 RTP/AVP 97\r\nm=video 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000\r\n'),
    'unknown',
  );
});

test('AAC is copied, G.711 and unknown codecs are transcoded, audio off or absent is dropped', () => {
  assert.equal(audioModeFor(true, 'aac'), 'copy');
  assert.equal(audioModeFor(true, 'pcm_alaw'), 'aac');
  assert.equal(audioModeFor(true, 'pcm_mulaw'), 'aac');
  assert.equal(audioModeFor(true, 'aac_latm'), 'aac');
  assert.equal(audioModeFor(true, null), 'aac', 'not known yet: transcoding always works');
  assert.equal(audioModeFor(true, undefined), 'aac');
  assert.equal(audioModeFor(true, 'none'), 'drop');
  assert.equal(audioModeFor(false, 'aac'), 'drop', 'a privacy setting wins');
  const input = { kind: 'rtsp' as const, url: 'rtsp://cam/x' };
  const copy = buildIngestArgs({ input, audio: 'copy' });
  assert.deepEqual(copy.slice(copy.indexOf('-c:a'), copy.indexOf('-c:a') + 2), ['-c:a', 'copy']);
  assert.ok(!copy.includes('-b:a'));
  const aac = buildIngestArgs({ input, audio: 'aac' });
  assert.deepEqual(aac.slice(aac.indexOf('-c:a'), aac.indexOf('-c:a') + 4), ['-c:a', 'aac', '-b:a', '64k']);
  assert.ok(buildIngestArgs({ input, audio: 'drop' }).includes('-an'));
});
