import { randomUUID } from 'node:crypto';

/** Random, unguessable identifiers (UUID v4) for every stored object. */
export function newId(): string {
  return randomUUID();
}

export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
