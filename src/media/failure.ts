/**
 * Why a camera is not live, as one of a small closed set of codes the whole product shares: the
 * supervisor decides it from ffmpeg's stderr and what the run did, the health API carries it, and the
 * operator's, administrator's and viewer's screens translate it into what to do.
 *
 *   unreachable        connection refused, no route, unknown host, connection lost
 *   auth_failed        401/403: the camera refused the user name or password
 *   not_found          404/454: no stream at this path
 *   timeout            the camera accepted the connection but did not answer in time
 *   no_video           the camera answered but sent no video (no video track, no keyframe)
 *   unsupported_codec  video we cannot carry (not H.264/H.265, or undecodable output)
 *   stalled            the camera was live and stopped: no video, or timestamps that stopped advancing
 *   internal           ffmpeg itself could not run (a server problem, not the camera's)
 */
import { redactText } from './ffmpeg-args.js';

export type CameraFailureCode =
  | 'unreachable'
  | 'auth_failed'
  | 'not_found'
  | 'timeout'
  | 'no_video'
  | 'unsupported_codec'
  | 'stalled'
  | 'internal';

export const CAMERA_FAILURE_CODES: readonly CameraFailureCode[] = [
  'unreachable',
  'auth_failed',
  'not_found',
  'timeout',
  'no_video',
  'unsupported_codec',
  'stalled',
  'internal',
];

export interface CameraFailure {
  code: CameraFailureCode;
  /** English, redacted, for logs and the operator's details: what happened and ffmpeg's own words. */
  message: string;
}

const RULES: readonly [RegExp, CameraFailureCode, string][] = [
  [/\b401 Unauthorized|authorization failed/i, 'auth_failed', 'the camera refused the user name or password'],
  [/\b403 Forbidden/i, 'auth_failed', 'the camera refused access for this user'],
  [/\b404 Not Found|\b454 Session Not Found/i, 'not_found', 'the camera has no stream at this path'],
  [
    /Connection refused|No route to host|Network is unreachable|Host is unreachable|Failed to resolve hostname|Name or service not known|Temporary failure in name resolution|Cannot assign requested address/i,
    'unreachable',
    'the camera cannot be reached at this address',
  ],
  [/timed out|ETIMEDOUT|Operation timed out/i, 'timeout', 'the camera did not answer in time'],
  [
    /codec not currently supported in container|Could not find tag for codec|Unsupported codec|no decoder found|not supported by the muxer/i,
    'unsupported_codec',
    "the camera's video format is not supported (set its encoder to H.264)",
  ],
  [
    /Stream map '0:v:0' matches no streams|matches no streams|does not contain any stream|Could not find codec parameters/i,
    'no_video',
    'the camera sends no video stream',
  ],
  [/Connection reset by peer|Broken pipe|End of file/i, 'unreachable', 'the camera closed the connection'],
];

/** ffmpeg noise that explains nothing (and misleads when quoted as the cause). */
const NOISE =
  /Non-monotonous DTS|Past duration|deprecated pixel format|max_analyze_duration|Estimating duration|Timestamps are unset|changing to \d+\. This may result in incorrect timestamps/i;

/** The most telling stderr line, noise skipped. */
export function tellingLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim();
    if (line && !NOISE.test(line)) return line.slice(0, 300);
  }
  return undefined;
}

/** A rule's code and message for this stderr, or undefined when nothing in it explains the failure. */
export function classifyStderr(
  stderrLines: readonly string[],
  secrets: readonly (string | undefined)[] = [],
): CameraFailure | undefined {
  const text = redactText(stderrLines.join('\n'), secrets);
  for (const [pattern, code, message] of RULES) {
    if (!pattern.test(text)) continue;
    const line = text
      .split('\n')
      .reverse()
      .find((l) => pattern.test(l));
    return { code, message: line ? `${message} (${line.trim().slice(0, 300)})` : message };
  }
  return undefined;
}

/**
 * Why a run ended, from what it did: `wasLive` (it delivered a keyframe), `gotInit` (it produced an
 * init segment), its exit and its stderr (this run's lines only).
 */
export function classifyExit(run: {
  wasLive: boolean;
  gotInit: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrLines: readonly string[];
  secrets?: readonly (string | undefined)[];
}): CameraFailure {
  const known = classifyStderr(run.stderrLines, run.secrets);
  if (known) return known;
  const detail = tellingLine(run.stderrLines);
  const suffix = detail ? ` (${detail})` : '';
  if (run.wasLive)
    return { code: 'stalled', message: `the camera stopped sending video: ffmpeg ended${suffix}` };
  if (run.gotInit) return { code: 'no_video', message: `the camera sent no picture${suffix}` };
  const how = run.signal ? `was killed by ${run.signal}` : `exited with code ${run.code}`;
  return { code: 'unreachable', message: `ffmpeg ${how} before any video${suffix}` };
}
