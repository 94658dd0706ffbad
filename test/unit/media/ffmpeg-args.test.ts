import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildIngestArgs,
  buildProbeArgs,
  buildRtspUrl,
  buildSnapshotArgs,
  demoInput,
  inputSecrets,
  redactText,
  redactUrl,
  sanitizeOverlayText,
} from '../../../src/media/ffmpeg-args.js';
import { MediaError } from '../../../src/media/errors.js';

/** The value following a flag in an argv. */
function valueOf(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

describe('redaction', () => {
  test('redactUrl masks user and password in any URL inside text', () => {
    assert.equal(redactUrl('rtsp://admin:secret@10.0.0.5:554/live'), 'rtsp://***:***@10.0.0.5:554/live');
    assert.equal(redactUrl('rtsp://admin@cam/live'), 'rtsp://***@cam/live');
    assert.equal(redactUrl('rtsp://cam/live'), 'rtsp://cam/live');
    assert.equal(
      redactUrl('[rtsp @ 0x1] rtsp://u:p%40ss@h:554/x: Server returned 401 Unauthorized; also http://a:b@c/'),
      '[rtsp @ 0x1] rtsp://***:***@h:554/x: Server returned 401 Unauthorized; also http://***:***@c/',
    );
    // An unencoded @ in the password must not leave its tail visible.
    assert.equal(redactUrl('rtsp://admin:p@ss@cam/live'), 'rtsp://***:***@cam/live');
    assert.equal(
      redactUrl('rtsp://cam/live?user=admin&password=hunter2&channel=1'),
      'rtsp://cam/live?user=***&password=***&channel=1',
    );
  });

  test('redactText also removes the secret in raw and percent-encoded form', () => {
    const password = 'p@ss:w/rd';
    const text = `auth failed for p@ss:w/rd and ${encodeURIComponent(password)}`;
    const out = redactText(text, [password]);
    assert.ok(!out.includes(password));
    assert.ok(!out.includes(encodeURIComponent(password)));
  });

  test('inputSecrets finds passwords in options and URL', () => {
    assert.deepEqual(inputSecrets({ kind: 'rtsp', url: 'rtsp://a:b%40c@h/x', password: 'pw1' }), [
      'pw1',
      'b%40c',
      'b@c',
    ]);
    assert.deepEqual(inputSecrets({ kind: 'ffmpeg', inputArgs: [] }), []);
  });
});

describe('buildRtspUrl', () => {
  test('puts percent-encoded credentials into the URL', () => {
    const url = buildRtspUrl('rtsp://10.0.0.5:554/Streaming/Channels/101', {
      username: 'ad min',
      password: 'p@ss:w/rd%#',
    });
    assert.equal(url, 'rtsp://ad%20min:p%40ss%3Aw%2Frd%25%23@10.0.0.5:554/Streaming/Channels/101');
    const parsed = new URL(url);
    assert.equal(decodeURIComponent(parsed.password), 'p@ss:w/rd%#');
  });

  test('credentials given separately replace those in the URL; none keeps the URL', () => {
    assert.equal(
      buildRtspUrl('rtsp://old:old@cam/x', { username: 'new', password: 'pw' }),
      'rtsp://new:pw@cam/x',
    );
    assert.equal(buildRtspUrl('rtsps://cam:322/x'), 'rtsps://cam:322/x');
  });

  test('rejects bad URLs with camera_url_invalid and never shows the password', () => {
    const bad = [
      'http://cam/x',
      'rtsp://',
      'not a url',
      'rtsp://cam/x\n-y',
      '-i /etc/passwd',
      'file:///etc/passwd',
      `rtsp://cam/${'a'.repeat(3000)}`,
    ];
    for (const url of bad) {
      assert.throws(
        () => buildRtspUrl(url, { username: 'u', password: 'TopSecret9' }),
        (err: unknown) =>
          err instanceof MediaError &&
          err.code === 'camera_url_invalid' &&
          !err.message.includes('TopSecret9'),
        url,
      );
    }
    assert.throws(
      () => buildRtspUrl('ftp://admin:TopSecret9@cam/x'),
      (err: unknown) => err instanceof MediaError && !err.message.includes('TopSecret9'),
    );
    assert.throws(() => buildRtspUrl('rtsp://cam/x', { password: 'only' }), /needs a user name/);
  });
});

describe('buildIngestArgs', () => {
  const input = { kind: 'rtsp' as const, url: 'rtsp://10.0.0.5/live', username: 'admin', password: 's3cret' };

  test('RTSP over TCP, video copied, audio dropped, fMP4 to stdout with short fragments', () => {
    const args = buildIngestArgs({ input });
    assert.equal(valueOf(args, '-rtsp_transport'), 'tcp');
    assert.equal(valueOf(args, '-timeout'), '5000000');
    assert.equal(valueOf(args, '-i'), 'rtsp://admin:s3cret@10.0.0.5/live');
    assert.equal(valueOf(args, '-c:v'), 'copy');
    assert.ok(args.includes('-an'));
    assert.ok(!args.includes('-c:a'));
    assert.equal(valueOf(args, '-map'), '0:v:0');
    assert.equal(valueOf(args, '-f'), 'mp4');
    assert.equal(valueOf(args, '-movflags'), '+frag_keyframe+empty_moov+default_base_moof');
    assert.equal(valueOf(args, '-frag_duration'), '50000');
    assert.equal(args[args.length - 1], 'pipe:1');
    assert.ok(args.includes('-nostdin'));
    // Input options come before -i.
    assert.ok(args.indexOf('-rtsp_transport') < args.indexOf('-i'));
  });

  test('UDP, timeouts, audio transcoding or copy, per-frame fragments', () => {
    const args = buildIngestArgs({
      input: { ...input, transport: 'udp' },
      audio: 'aac',
      rtspTimeoutMs: 2500,
      analyzeDurationMs: 1000,
      fragmentDurationMs: 0,
    });
    assert.equal(valueOf(args, '-rtsp_transport'), 'udp');
    assert.equal(valueOf(args, '-timeout'), '2500000');
    assert.equal(valueOf(args, '-analyzeduration'), '1000000');
    assert.equal(valueOf(args, '-c:a'), 'aac');
    assert.ok(args.includes('0:a:0?'), 'audio optional: a camera without audio still works');
    assert.ok(!args.includes('-an'));
    assert.equal(valueOf(args, '-movflags'), '+frag_keyframe+empty_moov+default_base_moof+frag_every_frame');
    assert.ok(!args.includes('-frag_duration'));
    assert.equal(valueOf(buildIngestArgs({ input, audio: 'copy' }), '-c:a'), 'copy');
    assert.throws(() => buildIngestArgs({ input, fragmentDurationMs: -1 }), RangeError);
  });

  test('every argument is its own array element (no shell string)', () => {
    const args = buildIngestArgs({ input: { ...input, url: 'rtsp://cam/a;b$(reboot)' } });
    assert.ok(args.includes('rtsp://admin:s3cret@cam/a;b$(reboot)'));
    for (const a of args) assert.equal(typeof a, 'string');
  });

  test('invalid camera URL fails before anything runs', () => {
    assert.throws(() => buildIngestArgs({ input: { kind: 'rtsp', url: 'http://cam' } }), MediaError);
  });
});

describe('demo sources', () => {
  test('testsrc2 with name and clock, encoded in real time with a fixed GOP', () => {
    const demo = demoInput({ name: "Группа «Солнышко»: 2'; rm -rf /", fps: 20, keyframeIntervalFrames: 10 });
    const args = buildIngestArgs({ input: demo });
    const graph = valueOf(args, '-i') ?? '';
    assert.match(graph, /^testsrc2=size=640x360:rate=20,drawtext=/);
    assert.ok(graph.includes("text='Группа Солнышко 2 rm -rf'"), graph);
    assert.ok(graph.includes("text='%{localtime}'"));
    assert.ok(graph.includes('DejaVuSans.ttf'));
    assert.ok(args.includes('-re'));
    assert.equal(valueOf(args, '-c:v'), 'libx264');
    assert.equal(valueOf(args, '-g'), '10');
    assert.ok(args.includes('-an'));
  });

  test('demo with audio puts video and audio into one lavfi input', () => {
    const args = buildIngestArgs({ input: demoInput({ name: 'Hall', withAudio: true }), audio: 'aac' });
    assert.match(valueOf(args, '-i') ?? '', /\[out0\];sine=.*\[out1\]$/);
    assert.equal(valueOf(args, '-c:a'), 'aac');
  });

  test('overlay text sanitising and argument checks', () => {
    assert.equal(sanitizeOverlayText("a:b'c\\d%e,f;g[h]i=j"), 'a b c d e f g h i j');
    assert.equal(sanitizeOverlayText('Камера 1 (вход) #2'), 'Камера 1 (вход) #2');
    assert.throws(() => demoInput({ name: 'x', fps: 0 }), RangeError);
    assert.throws(() => demoInput({ name: 'x', width: 1.5 }), RangeError);
    assert.throws(() => demoInput({ name: 'x', fontFile: "/tmp/a:b'" }), RangeError);
  });
});

describe('probe and snapshot builders', () => {
  test('ffprobe JSON with streams, format and a short packet read', () => {
    const args = buildProbeArgs({ url: 'rtsp://cam/x', username: 'u', password: 'p', readDurationMs: 3000 });
    assert.equal(valueOf(args, '-print_format'), 'json');
    assert.ok(args.includes('-show_streams'));
    assert.ok(args.includes('-show_format'));
    assert.ok(args.includes('-show_packets'));
    assert.equal(valueOf(args, '-read_intervals'), '%+3');
    assert.match(valueOf(args, '-show_entries') ?? '', /packet=stream_index,pts_time,dts_time,flags/);
    assert.equal(args[args.length - 1], 'rtsp://u:p@cam/x');
    assert.equal(valueOf(args, '-rtsp_transport'), 'tcp');
    assert.throws(() => buildProbeArgs({ url: 'rtsp://cam/x', readDurationMs: 0 }), RangeError);
  });

  test('snapshot reads fMP4 on stdin and writes one JPEG on stdout', () => {
    const args = buildSnapshotArgs({ width: 320 });
    assert.equal(valueOf(args, '-i'), 'pipe:0');
    assert.equal(valueOf(args, '-f'), 'mp4');
    assert.equal(valueOf(args, '-frames:v'), '1');
    assert.equal(valueOf(args, '-vf'), 'scale=320:-2');
    assert.equal(valueOf(args, '-c:v'), 'mjpeg');
    assert.equal(args[args.length - 1], 'pipe:1');
    assert.throws(() => buildSnapshotArgs({ quality: 1 }), RangeError);
  });
});
