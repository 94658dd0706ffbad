/**
 * Errors of the media plane. Each carries a stable code; the API layer maps codes to HTTP status in its
 * one place (src/shared/errors.ts). Messages never contain camera credentials: every message built from
 * a URL or from ffmpeg's output goes through redact.ts first.
 */
export type MediaErrorCode =
  | 'media_format'
  | 'camera_url_invalid'
  | 'camera_unreachable'
  | 'camera_auth_failed'
  | 'camera_timeout'
  | 'camera_stream_not_found'
  | 'camera_codec_unsupported'
  | 'camera_probe_failed'
  | 'ffmpeg_failed';

export class MediaError extends Error {
  constructor(
    readonly code: MediaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

/** The byte stream is not the fragmented MP4 we expect (garbage, truncated or absurd boxes). */
export class MediaFormatError extends MediaError {
  constructor(message: string) {
    super('media_format', message);
    this.name = 'MediaFormatError';
  }
}

/** Codes a camera probe can fail with, each with its own meaning for the administrator. */
export type ProbeErrorCode = Extract<
  MediaErrorCode,
  | 'camera_url_invalid'
  | 'camera_unreachable'
  | 'camera_auth_failed'
  | 'camera_timeout'
  | 'camera_stream_not_found'
  | 'camera_codec_unsupported'
  | 'camera_probe_failed'
>;

export class ProbeError extends MediaError {
  constructor(
    override readonly code: ProbeErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'ProbeError';
  }
}
