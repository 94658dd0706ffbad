/**
 * A short health check of a camera nobody watches: one RTSP DESCRIBE over one TCP connection (with
 * Basic or Digest credentials when the camera asks), no ffmpeg. It answers the questions that matter
 * for an idle camera — does it answer, does it take our credentials, does the path exist, does it
 * offer H.264/H.265 video — in a few milliseconds and a few kilobytes, so a thousand cameras can be
 * checked every few minutes. `tcpReachable` is the cheaper question the supervisor asks during
 * back-off: does anything accept a connection at the camera's address again?
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { CameraFailure } from './failure.js';

export interface RtspCheckOptions {
  url: string;
  username?: string | null;
  password?: string | null;
  /** Whole check. Default 5000 ms. */
  timeoutMs?: number;
}

export type RtspCheckResult =
  | {
      ok: true;
      durationMs: number;
      videoCodec: string;
      /** ffmpeg's name of the camera's audio codec (`aac`, `pcm_alaw`, …) or `none` (sdpAudioCodec) */
      audioCodec?: string;
    }
  | { ok: false; durationMs: number; failure: CameraFailure };

interface Target {
  host: string;
  port: number;
  /** URL without credentials, as sent in the request line */
  requestUrl: string;
}

function target(url: string): Target {
  const u = new URL(url);
  if (u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:') throw new Error('not an rtsp:// URL');
  const port = u.port ? Number(u.port) : 554;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  u.username = '';
  u.password = '';
  return { host, port, requestUrl: u.toString() };
}

/** Whether something accepts a TCP connection at the camera's address (false on any error). */
export function tcpReachable(url: string, timeoutMs = 1000): Promise<boolean> {
  let t: Target;
  try {
    t = target(url);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host: t.host, port: t.port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

interface RtspResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

/** The Authorization header for a 401's challenge, or undefined if we cannot answer it. */
export function authorizationFor(
  challenge: string,
  method: string,
  uri: string,
  username: string,
  password: string,
): string | undefined {
  if (/^Basic/i.test(challenge)) return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  if (!/^Digest/i.test(challenge)) return undefined;
  const param = (name: string) => new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge)?.[1];
  const realm = param('realm') ?? '';
  const nonce = param('nonce') ?? '';
  const response = md5(`${md5(`${username}:${realm}:${password}`)}:${nonce}:${md5(`${method}:${uri}`)}`);
  return `Digest username="${username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}"`;
}

/** One RTSP exchange per call over an open socket. */
class RtspConnection {
  private buffer = '';
  private waiter: (() => void) | undefined;
  private failed: Error | undefined;
  private cseq = 0;

  constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      if (this.buffer.length > 256 * 1024) socket.destroy(new Error('RTSP answer too large'));
      this.waiter?.();
    });
    const fail = (err: Error) => {
      this.failed ??= err;
      this.waiter?.();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  async request(method: string, uri: string, headers: Record<string, string>): Promise<RtspResponse> {
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${++this.cseq}`, 'User-Agent: okno-health'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    this.socket.write(lines.join('\r\n') + '\r\n\r\n');
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buffer.slice(0, end).split('\r\n');
        const status = Number(/^RTSP\/1\.\d (\d{3})/.exec(head[0] ?? '')?.[1]);
        if (!Number.isFinite(status)) throw new Error('the address does not answer like an RTSP camera');
        const map = new Map<string, string>();
        for (const h of head.slice(1)) {
          const i = h.indexOf(':');
          if (i > 0) map.set(h.slice(0, i).trim().toLowerCase(), h.slice(i + 1).trim());
        }
        const length = Number(map.get('content-length') ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.slice(end + 4, end + 4 + length);
          this.buffer = this.buffer.slice(end + 4 + length);
          return { status, headers: map, body };
        }
      }
      if (this.failed) throw this.failed;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }
}

/** SDP encoding names (RFC 3551, RFC 3640, RFC 6416) → ffmpeg's codec names. */
const SDP_AUDIO: Record<string, string> = {
  'MPEG4-GENERIC': 'aac',
  'MP4A-LATM': 'aac_latm',
  PCMA: 'pcm_alaw',
  PCMU: 'pcm_mulaw',
  OPUS: 'opus',
  L16: 'pcm_s16be',
  G722: 'adpcm_g722',
  MPA: 'mp3',
};
/** Static RTP payload types that need no rtpmap line (RFC 3551). */
const STATIC_AUDIO: Record<string, string> = { '0': 'pcm_mulaw', '8': 'pcm_alaw', '9': 'adpcm_g722' };

/**
 * The first audio stream's codec in a camera's SDP, by ffmpeg's name: `aac` (mpeg4-generic in an
 * AAC mode), `pcm_alaw`, `pcm_mulaw`, …, the lowercased encoding name for others, `none` when the
 * SDP has no audio. Decides whether the ingest copies the audio or transcodes it (audioModeFor).
 */
export function sdpAudioCodec(sdp: string): string {
  const lines = sdp.replace(/\r\n/g, '\n').split('\n');
  const start = lines.findIndex((l) => l.startsWith('m=audio'));
  if (start < 0) return 'none';
  let end = lines.findIndex((l, i) => i > start && l.startsWith('m='));
  if (end < 0) end = lines.length;
  const section = lines.slice(start, end);
  const payload = section[0]!.split(/\s+/)[3] ?? '';
  const rtpmap = section.map((l) => /^a=rtpmap:(\d+)\s+([^/\s]+)/.exec(l)).find((m) => m && m[1] === payload);
  if (!rtpmap) return STATIC_AUDIO[payload] ?? 'unknown';
  const name = rtpmap[2]!.toUpperCase();
  if (name === 'MPEG4-GENERIC') {
    // RFC 3640 carries other MPEG-4 streams too; AAC is mode AAC-hbr or AAC-lbr.
    const fmtp = section.find((l) => l.startsWith(`a=fmtp:${payload} `)) ?? '';
    return /mode=AAC-(hbr|lbr)/i.test(fmtp) || !/mode=/i.test(fmtp) ? 'aac' : 'mpeg4-generic';
  }
  return SDP_AUDIO[name] ?? name.toLowerCase();
}

const NETWORK_ERRORS: Record<string, true> = {
  ECONNREFUSED: true,
  EHOSTUNREACH: true,
  ENETUNREACH: true,
  ENOTFOUND: true,
  EAI_AGAIN: true,
  EADDRNOTAVAIL: true,
  ECONNRESET: true,
};

/** Checks one camera; never throws. */
export async function checkRtsp(options: RtspCheckOptions): Promise<RtspCheckResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 5000;
  const fail = (failure: CameraFailure): RtspCheckResult => ({
    ok: false,
    durationMs: performance.now() - started,
    failure,
  });
  let t: Target;
  try {
    t = target(options.url);
  } catch {
    return fail({ code: 'unreachable', message: 'the camera address is not a valid rtsp:// URL' });
  }
  const socket = net.connect({ host: t.host, port: t.port });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const exchange = async (): Promise<RtspCheckResult> => {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const conn = new RtspConnection(socket);
    const accept = { Accept: 'application/sdp' };
    let res = await conn.request('DESCRIBE', t.requestUrl, accept);
    if (res.status === 401 && options.username) {
      const auth = authorizationFor(
        res.headers.get('www-authenticate') ?? '',
        'DESCRIBE',
        t.requestUrl,
        options.username,
        options.password ?? '',
      );
      if (auth) res = await conn.request('DESCRIBE', t.requestUrl, { ...accept, Authorization: auth });
    }
    if (res.status === 401 || res.status === 403)
      return fail({ code: 'auth_failed', message: `the camera refused the credentials (${res.status})` });
    if (res.status === 404 || res.status === 454)
      return fail({ code: 'not_found', message: `the camera has no stream at this path (${res.status})` });
    if (res.status !== 200)
      return fail({ code: 'unreachable', message: `the camera answered DESCRIBE with ${res.status}` });
    const video = /^m=video[^\n]*\n(?:(?!m=)[^\n]*\n)*?a=rtpmap:\d+ ([A-Za-z0-9-]+)/m.exec(
      res.body.replace(/\r\n/g, '\n') + '\n',
    );
    if (!/^m=video/m.test(res.body)) return fail({ code: 'no_video', message: 'the camera offers no video' });
    const codec = (video?.[1] ?? '').toUpperCase();
    if (codec !== 'H264' && codec !== 'H265')
      return fail({
        code: 'unsupported_codec',
        message: `the camera's video is ${codec || 'unknown'}; H.264 or H.265 is needed`,
      });
    return {
      ok: true,
      durationMs: performance.now() - started,
      videoCodec: codec,
      audioCodec: sdpAudioCodec(res.body),
    };
  };
  try {
    const r = await Promise.race([exchange(), timedOut]);
    if (r === 'timeout')
      return fail({ code: 'timeout', message: `the camera did not answer within ${timeoutMs} ms` });
    return r;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code && NETWORK_ERRORS[code])
      return fail({ code: 'unreachable', message: `the camera cannot be reached (${code})` });
    return fail({ code: 'unreachable', message: (err as Error).message });
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
