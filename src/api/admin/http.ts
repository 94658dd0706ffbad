/** Schemas of the admin API's URLs (params, query strings) and replies shared by its route modules. */
import { Type, type TProperties } from '@sinclair/typebox';
import { Id } from '../../domain/admin/schemas.js';
import { MAX_PAGE_SIZE } from '../../storage/repositories/pagination.js';
import { ErrorSchema } from '../../server/error-handler.js';

export const closed = { additionalProperties: false } as const;

/** `/:id` — a lowercase UUID; anything else is answered 400 validation_failed. */
export const IdParams = Type.Object({ id: Id }, closed);

/** A list's query string: its filters plus `limit` (1–200, default 50) and `cursor`. */
export function pageQuery<T extends TProperties>(filters: T) {
  return Type.Object(
    {
      ...filters,
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: 'default 50' })),
      cursor: Type.Optional(
        Type.String({ minLength: 1, maxLength: 512, description: 'nextCursor of the previous page' }),
      ),
    },
    closed,
  );
}

const error = (description: string) => ({ ...ErrorSchema, description });

/** Error replies every admin route can give (documented in OpenAPI). */
export const ERRORS = {
  400: error('validation_failed / bad_request'),
  401: error('unauthenticated'),
  403: error('forbidden (no administrative role, or not allowed for your role) / csrf_failed'),
  404: error('not_found: absent, or outside your scope (the two are not distinguished)'),
} as const;
export const WRITE_ERRORS = {
  ...ERRORS,
  409: error('conflict: a uniqueness, reference or overlap rule'),
} as const;

export const NoContent = Type.Null({ description: 'done' });
