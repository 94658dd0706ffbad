/**
 * `okno inspections verify [ID…]`: every sealed version (or those of the given inspections) checked
 * against the site's public key and the stored originals; exit 1 when anything does not match.
 */
import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { InspectionsRepository } from '../storage/repositories/inspections.js';
import type { Database } from '../storage/schema.js';
import { verifyVersion, type VersionCheck } from './manifest.js';
import { PhotoStore } from './photo-store.js';

export async function verifyInspections(
  db: Kysely<Database>,
  dataDir: string,
  publicKey: KeyObject,
  ids: readonly string[] = [],
): Promise<VersionCheck[]> {
  const repo = new InspectionsRepository(db);
  const store = new PhotoStore(dataDir);
  const versions = await repo.allVersions(ids);
  const out: VersionCheck[] = [];
  const purgedByInspection = new Map<string, Set<string>>();
  for (const v of versions) {
    let purged = purgedByInspection.get(v.inspection_id);
    if (!purged) {
      const photos = await repo.photos(v.inspection_id);
      purged = new Set(photos.filter((p) => p.purged_at).map((p) => p.sha256));
      purgedByInspection.set(v.inspection_id, purged);
    }
    out.push(
      await verifyVersion(
        v,
        publicKey,
        async (h) => {
          try {
            return await store.hashFile(store.originalPath(h));
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
            throw e;
          }
        },
        purged,
      ),
    );
  }
  return out;
}
