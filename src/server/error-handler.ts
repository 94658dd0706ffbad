/** The one place where errors become HTTP answers: `{code, message, details}` with stable codes. */
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, ERROR_STATUS, type ErrorCode } from '../shared/errors.js';

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    let code: ErrorCode;
    let message: string;
    let details: unknown;
    if (err instanceof AppError) {
      ({ code, message, details } = err);
    } else if ('validation' in err && err.validation) {
      code = 'validation_failed';
      message = 'the request does not match its schema';
      details = err.validation.map((v) => ({
        field: `${err.validationContext ?? 'body'}${v.instancePath || ''}`,
        message: v.message,
        ...(v.params && 'additionalProperty' in v.params ? { property: v.params.additionalProperty } : {}),
      }));
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      // Fastify's own client errors: malformed JSON, wrong content type, body too large.
      code =
        err.statusCode === 413
          ? 'payload_too_large'
          : err.statusCode === 415
            ? 'unsupported_media_type'
            : err.statusCode === 404
              ? 'not_found'
              : 'bad_request';
      message = err.message;
    } else {
      req.log.error({ err }, 'unhandled error');
      code = 'internal';
      message = `internal error (request ${req.id})`;
    }
    const status = ERROR_STATUS[code];
    if (status < 500) req.log.info({ code, message }, 'request refused');
    return reply.status(status).send({ code, message, ...(details !== undefined ? { details } : {}) });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }),
  );
}

export const ErrorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
    message: { type: 'string' },
    details: {},
  },
} as const;
