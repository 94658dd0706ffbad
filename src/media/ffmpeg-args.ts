/**
 * Pure builders of ffmpeg/ffprobe argument arrays. Nothing here runs a process; the arrays are passed
 * to spawn() without a shell, so no camera URL or name is ever interpreted by a shell.
 *
 * Camera credentials are put into the URL inside the argv only. Everything that leaves this layer as
 * text (log lines, error messages, ffmpeg's stderr) goes through redactUrl()/redactText() first.
 */
import { MediaError } from './errors.js';

export type RtspTransport = 'tcp' | 'udp';

/** An RTSP camera. `url` may or may not carry credentials; username/password, when given, win. */
export interface RtspInput {
  kind: 'rtsp';
  url: string;
  username?: string;
  password?: string;
  /** Default 'tcp' (interleaved): survives NAT and firewalls, no UDP loss. */
  transport?: RtspTransport;
}

/**
 * Any ffmpeg input, for demo and synthetic sources: the arguments up to and including `-i …`, and
 * the video codec arguments (default `-c:v copy`; a raw source such as lavfi must encode).
 */
export interface FfmpegInput {
  kind: 'ffmpeg';
  inputArgs: readonly string[];
  videoArgs?: readonly string[];
}

export type IngestInput = RtspInput | FfmpegInput;

/** What to do with the camera's audio: drop it, pass AAC through, or transcode anything to AAC. */
export type AudioMode = 'drop' | 'copy' | 'aac';

/**
 * The ingest's audio mode for a camera: no audio when it is not allowed (a privacy setting) or the
 * camera has none; AAC copied as the camera sends it (no decoder, no encoder, no generation loss);
 * anything else (G.711 A-law/µ-law, or a codec not known yet) transcoded to AAC, which every MSE
 * and HLS player decodes. `codec` is ffmpeg's name as the probe or the RTSP check found it
 * (`aac`, `pcm_alaw`, `pcm_mulaw`, `none`), null or undefined when not known yet. LATM-framed AAC
 * (`aac_latm`) is not stored as is in MP4, so it is transcoded too.
 */
export function audioModeFor(allowed: boolean, codec: string | null | undefined): AudioMode {
  if (!allowed || codec === 'none') return 'drop';
  return codec === 'aac' ? 'copy' : 'aac';
}

export interface IngestOptions {
  input: IngestInput;
  /** Default 'drop'. Use 'aac' for cameras whose audio is allowed (G.711 and others become AAC). */
  audio?: AudioMode;
  /**
   * ffmpeg `-frag_duration` in milliseconds. Default 50. ffmpeg cuts a fragment before the first frame
   * that starts this long after the fragment's first frame, so a fragment lasts less than this plus
   * one frame interval: 50 gives 2 frames (80 ms) at 25 fps, 2 (67 ms) at 30 fps, 1 (67 ms) at 15 fps,
   * i.e. at most ~100 ms for cameras of 10 fps and more. 0 means one fragment per frame
   * (`frag_every_frame`), the lowest latency at the price of more, smaller messages.
   * Fragments are also cut at every keyframe, so each keyframe starts a fragment.
   */
  fragmentDurationMs?: number;
  /** RTSP socket I/O timeout (ffmpeg `-timeout`, µs on the command line). Default 5000 ms. */
  rtspTimeoutMs?: number;
  /** How long ffmpeg analyses the input before writing the header. Default 500 ms. */
  analyzeDurationMs?: number;
  /** AAC bitrate when transcoding. Default 64 kbit/s. */
  audioBitrateKbit?: number;
  logLevel?: 'error' | 'warning' | 'info';
}

export const DEFAULT_FRAGMENT_DURATION_MS = 50;
export const DEFAULT_RTSP_TIMEOUT_MS = 5000;
export const DEFAULT_ANALYZE_DURATION_MS = 500;
export const DEJAVU_SANS = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

const FMP4_MOVFLAGS = '+frag_keyframe+empty_moov+default_base_moof';

// ---------------------------------------------------------------------------------------------------
// Credentials and redaction.

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/\s?#]*)@/gi;
const SECRET_QUERY =
  /([?&;](?:user(?:name)?|pass(?:word)?|pwd|passwd|token|auth|key|secret|sig(?:nature)?)=)[^&#\s]*/gi;

/**
 * Masks user and password in every URL inside `text` ("rtsp://***:***@host/…"), and secret-looking
 * query parameters (password=, token=, …). Works on any text, also where it is not a valid URL.
 */
export function redactUrl(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_m, scheme: string, userinfo: string) =>
      userinfo.includes(':') ? `${scheme}***:***@` : `${scheme}***@`,
    )
    .replace(SECRET_QUERY, '$1***');
}

/**
 * redactUrl() plus every given secret (raw and percent-encoded) replaced by "***": for ffmpeg's
 * stderr, which may echo the password in other forms (e.g. in an Authorization error).
 */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = redactUrl(text);
  for (const secret of secrets) {
    if (!secret || secret.length < 3) continue; // too short to redact without mangling the text
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
  }
  return out;
}

/** The secrets of an input, for redactText(). */
export function inputSecrets(input: IngestInput): string[] {
  if (input.kind !== 'rtsp') return [];
  const secrets: string[] = [];
  if (input.password) secrets.push(input.password);
  try {
    const url = new URL(input.url);
    if (url.password) secrets.push(url.password, safeDecode(url.password));
  } catch {
    // not a URL: nothing more to find
  }
  return secrets;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Validates an RTSP URL and puts the credentials into it (percent-encoded). Throws MediaError
 * 'camera_url_invalid' with a redacted message.
 */
export function buildRtspUrl(
  url: string,
  credentials: { username?: string; password?: string } = {},
): string {
  const shown = redactText(url, [credentials.password]);
  if (url.length > 2048)
    throw new MediaError('camera_url_invalid', 'camera URL is longer than 2048 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(url)) {
    throw new MediaError(
      'camera_url_invalid',
      `camera URL contains whitespace or control characters: ${shown}`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MediaError('camera_url_invalid', `camera URL is not a valid URL: ${shown}`);
  }
  if (parsed.protocol !== 'rtsp:' && parsed.protocol !== 'rtsps:') {
    throw new MediaError('camera_url_invalid', `camera URL must start with rtsp:// or rtsps://: ${shown}`);
  }
  if (!parsed.hostname) throw new MediaError('camera_url_invalid', `camera URL has no host: ${shown}`);
  if (credentials.username !== undefined && credentials.username !== '') {
    parsed.username = encodeURIComponent(credentials.username);
    parsed.password = credentials.password ? encodeURIComponent(credentials.password) : '';
  } else if (credentials.password) {
    throw new MediaError('camera_url_invalid', 'a camera password needs a user name');
  }
  return parsed.href;
}

// ---------------------------------------------------------------------------------------------------
// Ingest: camera → fragmented MP4 on stdout.

function inputArgs(input: IngestInput, options: IngestOptions): string[] {
  if (input.kind === 'ffmpeg') return [...input.inputArgs];
  const url = buildRtspUrl(input.url, { username: input.username, password: input.password });
  const timeoutUs = Math.round((options.rtspTimeoutMs ?? DEFAULT_RTSP_TIMEOUT_MS) * 1000);
  return [
    '-rtsp_transport',
    input.transport ?? 'tcp',
    // ffmpeg ≥ 5: socket I/O timeout in µs (ffmpeg 4 called it -stimeout).
    '-timeout',
    String(timeoutUs),
    '-analyzeduration',
    String(Math.round((options.analyzeDurationMs ?? DEFAULT_ANALYZE_DURATION_MS) * 1000)),
    '-i',
    url,
  ];
}

function fragmentArgs(fragmentDurationMs: number): string[] {
  if (!Number.isFinite(fragmentDurationMs) || fragmentDurationMs < 0) {
    throw new RangeError(`fragmentDurationMs must be ≥ 0, got ${fragmentDurationMs}`);
  }
  if (fragmentDurationMs === 0) return ['-movflags', `${FMP4_MOVFLAGS}+frag_every_frame`];
  return ['-movflags', FMP4_MOVFLAGS, '-frag_duration', String(Math.round(fragmentDurationMs * 1000))];
}

/**
 * ffmpeg argv (without the program name) that reads one camera and writes fragmented MP4 to stdout:
 * video remuxed as is (H.264/H.265), audio dropped unless allowed, short fragments (see
 * fragmentDurationMs) and a new one at every keyframe.
 */
export function buildIngestArgs(options: IngestOptions): string[] {
  const audio = options.audio ?? 'drop';
  const videoArgs =
    options.input.kind === 'ffmpeg' ? [...(options.input.videoArgs ?? ['-c:v', 'copy'])] : ['-c:v', 'copy'];
  const audioArgs =
    audio === 'drop'
      ? ['-an']
      : audio === 'copy'
        ? ['-map', '0:a:0?', '-c:a', 'copy']
        : ['-map', '0:a:0?', '-c:a', 'aac', '-b:a', `${options.audioBitrateKbit ?? 64}k`];
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    options.logLevel ?? 'warning',
    ...inputArgs(options.input, options),
    '-map',
    '0:v:0',
    ...videoArgs,
    ...audioArgs,
    '-sn',
    '-dn',
    '-f',
    'mp4',
    ...fragmentArgs(options.fragmentDurationMs ?? DEFAULT_FRAGMENT_DURATION_MS),
    'pipe:1',
  ];
}

// ---------------------------------------------------------------------------------------------------
// Demo cameras: a synthetic picture with a running clock and the camera's name.

export interface DemoSourceOptions {
  name: string;
  width?: number;
  height?: number;
  fps?: number;
  /** Frames between keyframes; default one per second. */
  keyframeIntervalFrames?: number;
  bitrateKbit?: number;
  fontFile?: string;
  /** Also generate a sine tone as audio. */
  withAudio?: boolean;
}

/**
 * Text safe to put into a drawtext filter: letters (any script), digits and a few punctuation marks;
 * everything else becomes a space. This avoids filtergraph and drawtext escaping pitfalls entirely.
 */
export function sanitizeOverlayText(text: string, maxLength = 60): string {
  return text
    .normalize('NFC')
    .replace(/[^\p{L}\p{N} ._()#-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, maxLength);
}

function positiveInt(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value <= 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 1..${max}, got ${value}`);
  }
  return value;
}

/** A synthetic camera (lavfi testsrc2 + drawtext clock and name, encoded with libx264 in real time). */
export function demoInput(options: DemoSourceOptions): FfmpegInput {
  const width = positiveInt(options.width ?? 640, 'width', 7680);
  const height = positiveInt(options.height ?? 360, 'height', 4320);
  const fps = positiveInt(options.fps ?? 25, 'fps', 120);
  const gop = positiveInt(options.keyframeIntervalFrames ?? fps, 'keyframeIntervalFrames', 10_000);
  const bitrateKbit = positiveInt(options.bitrateKbit ?? 800, 'bitrateKbit', 100_000);
  const font = options.fontFile ?? DEJAVU_SANS;
  if (/[':\\,;[\]=]/.test(font))
    throw new RangeError('font path must not contain filtergraph special characters');
  const name = sanitizeOverlayText(options.name) || 'camera';
  const fontSize = Math.max(12, Math.round(height / 18));
  const box = 'box=1:boxcolor=black@0.5:boxborderw=6';
  // One lavfi input whose outputs are the video (and the audio): both are then streams of input 0.
  // %{localtime} prints "YYYY-MM-DD HH:MM:SS" in the server's time zone.
  const video =
    `testsrc2=size=${width}x${height}:rate=${fps},` +
    `drawtext=fontfile=${font}:text='${name}':x=12:y=12:fontsize=${fontSize}:fontcolor=white:${box},` +
    `drawtext=fontfile=${font}:text='%{localtime}':x=12:y=h-th-12:fontsize=${fontSize}:fontcolor=white:${box}`;
  const graph = options.withAudio ? `${video}[out0];sine=frequency=440:sample_rate=48000[out1]` : video;
  return {
    kind: 'ffmpeg',
    inputArgs: ['-re', '-f', 'lavfi', '-i', graph],
    videoArgs: [
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-pix_fmt',
      'yuv420p',
      '-g',
      String(gop),
      '-keyint_min',
      String(gop),
      '-sc_threshold',
      '0',
      '-b:v',
      `${bitrateKbit}k`,
      '-maxrate',
      `${bitrateKbit}k`,
      '-bufsize',
      `${bitrateKbit * 2}k`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------------
// Probe.

export interface ProbeArgsOptions {
  url: string;
  username?: string;
  password?: string;
  transport?: RtspTransport;
  /** RTSP socket I/O timeout. Default 5000 ms. */
  rtspTimeoutMs?: number;
  /** Stream time read to measure fps and keyframe interval. Default 4000 ms. */
  readDurationMs?: number;
}

export const DEFAULT_PROBE_READ_MS = 4000;

/** ffprobe argv: JSON with streams, format and the packets (timestamps and key flags) of a short read. */
export function buildProbeArgs(options: ProbeArgsOptions): string[] {
  const url = buildRtspUrl(options.url, { username: options.username, password: options.password });
  const readS = (options.readDurationMs ?? DEFAULT_PROBE_READ_MS) / 1000;
  if (!(readS > 0 && readS <= 60)) throw new RangeError('readDurationMs must be in (0, 60000]');
  return [
    '-hide_banner',
    '-v',
    'error',
    '-rtsp_transport',
    options.transport ?? 'tcp',
    '-timeout',
    String(Math.round((options.rtspTimeoutMs ?? DEFAULT_RTSP_TIMEOUT_MS) * 1000)),
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    '-show_packets',
    '-show_entries',
    'format=format_name:' +
      'stream=index,codec_type,codec_name,codec_tag_string,profile,width,height,pix_fmt,' +
      'r_frame_rate,avg_frame_rate,sample_rate,channels:' +
      'packet=stream_index,pts_time,dts_time,flags',
    '-read_intervals',
    `%+${readS}`,
    url,
  ];
}

// ---------------------------------------------------------------------------------------------------
// Snapshot.

export interface SnapshotArgsOptions {
  /** Scale to this width (height keeps the aspect ratio). Default: the source size. */
  width?: number;
  /** mjpeg quality scale, 2 (best) … 31. Default 4. */
  quality?: number;
}

/** ffmpeg argv reading init + keyframe fragment (fMP4) on stdin and writing one JPEG to stdout. */
export function buildSnapshotArgs(options: SnapshotArgsOptions = {}): string[] {
  const quality = options.quality ?? 4;
  if (!Number.isInteger(quality) || quality < 2 || quality > 31)
    throw new RangeError('quality must be in 2..31');
  const scale =
    options.width !== undefined ? ['-vf', `scale=${positiveInt(options.width, 'width', 7680)}:-2`] : [];
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-f',
    'mp4',
    '-i',
    'pipe:0',
    '-map',
    '0:v:0',
    '-frames:v',
    '1',
    ...scale,
    '-q:v',
    String(quality),
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    'pipe:1',
  ];
}

/** ffmpeg argv that reads one frame from a camera and writes it as a JPEG to stdout (probe preview). */
export function buildFrameGrabArgs(input: RtspInput, options: SnapshotArgsOptions = {}): string[] {
  const quality = options.quality ?? 5;
  const width = positiveInt(options.width ?? 480, 'width', 7680);
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    ...inputArgs(input, { input }),
    '-map',
    '0:v:0',
    '-frames:v',
    '1',
    '-vf',
    `scale=${width}:-2`,
    '-q:v',
    String(quality),
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    'pipe:1',
  ];
}
