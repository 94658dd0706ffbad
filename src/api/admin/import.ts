/** Route: CSV import of a kindergarten's roster (docs/design/csv-import.md). */
import { Type } from '@sinclair/typebox';
import type { App, AppContext } from '../../server/app.js';
import { ImportProblem, ImportResult } from '../../domain/admin/schemas.js';
import { importRoster, MAX_IMPORT_BYTES } from '../../domain/csv-import/import.js';
import { COLUMNS, REQUIRED_COLUMNS } from '../../domain/csv-import/parse.js';
import { AppError } from '../../shared/errors.js';
import { ErrorSchema } from '../../server/error-handler.js';
import { adminCaller, adminDeps } from './caller.js';
import { IdParams, WRITE_ERRORS } from './http.js';

export function registerImportRoutes(app: App, ctx: AppContext): void {
  const deps = adminDeps(ctx);
  app.post(
    '/institutions/:id/import',
    {
      schema: {
        tags: ['admin: children'],
        summary: 'Import children, enrolments and guardians from a CSV file (all or nothing)',
        description:
          `Body: the CSV file as \`text/csv\` (UTF-8, optional BOM, \`,\` or \`;\`, at most ${MAX_IMPORT_BYTES / 1024 / 1024} MiB), ` +
          `with a header row. Columns: ${COLUMNS.join(', ')}; required: ${REQUIRED_COLUMNS.join(', ')}. ` +
          'Any bad row: 400 validation_failed, nothing imported, details lists every problem as {line, column?, reason}. ' +
          'Importing the same file again changes nothing.',
        consumes: ['text/csv'],
        params: IdParams,
        // Documents the body; no `type`, so the validator lets the raw bytes through to the import.
        body: Type.Unsafe<Buffer>({ description: 'the CSV file (text/csv, UTF-8)' }),
        response: {
          200: ImportResult,
          ...WRITE_ERRORS,
          400: Type.Object(
            {
              code: Type.String(),
              message: Type.String(),
              details: Type.Optional(
                Type.Array(Type.Union([ImportProblem, Type.Object({}, { additionalProperties: true })])),
              ),
            },
            { description: 'validation_failed with every problem of the file' },
          ),
          413: { ...ErrorSchema, description: 'payload_too_large' },
          415: { ...ErrorSchema, description: 'unsupported_media_type: send text/csv in UTF-8' },
        },
      },
    },
    async (req) => {
      const caller = adminCaller(req);
      const contentType = req.headers['content-type'] ?? '';
      const [mediaType, ...params] = contentType.split(';').map((s) => s.trim().toLowerCase());
      if (mediaType !== 'text/csv') throw new AppError('unsupported_media_type', 'send the file as text/csv');
      const charset = params
        .find((p) => p.startsWith('charset='))
        ?.slice('charset='.length)
        .replace(/"/g, '');
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
        throw new AppError('unsupported_media_type', `send the file in UTF-8, not ${charset}`);
      const body: unknown = req.body;
      if (!Buffer.isBuffer(body)) throw new AppError('bad_request', 'the request has no CSV body');
      return importRoster(deps, caller, req.params.id, body);
    },
  );
}
