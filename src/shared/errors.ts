/**
 * The closed set of error kinds the API answers with. Each has a stable code and exactly one HTTP
 * status (mapped here and nowhere else). Anything that is not an AppError is a generic 500, logged
 * with the request id.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  unauthenticated: 401,
  csrf_failed: 403,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  // Camera probe outcomes: the camera answered (or did not) in a way that lets us not save it.
  camera_url_invalid: 422,
  camera_unreachable: 422,
  camera_auth_failed: 422,
  camera_timeout: 422,
  camera_stream_not_found: 422,
  camera_codec_unsupported: 422,
  camera_probe_failed: 422,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** "Not found or no access": the one answer for objects outside the caller's scope. */
export function notFound(what = 'object'): AppError {
  return new AppError('not_found', `${what} not found`);
}
