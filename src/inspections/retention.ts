/**
 * Retention of inspection photos by category (docs/design/inspections.md, "Retention and legal
 * holds"): a photo is kept while its case is open and for its category's period after the case was
 * closed; a legal hold on the case keeps everything. Deleting = mark the row purged (with its audit
 * entry, in one transaction) → remove the files unless another live row names the same content. The
 * sealed manifests still name the photo; verification reports it as deleted by retention.
 */
import type { Kysely } from 'kysely';
import { appendAudit, SYSTEM_CONTEXT } from '../audit/audit-log.js';
import type { Clock } from '../shared/clock.js';
import { InspectionsRepository } from '../storage/repositories/inspections.js';
import type { Database, PhotoCategory } from '../storage/schema.js';
import { addMonths } from './plan.js';
import { PhotoStore } from './photo-store.js';

/** Years after the case closed. */
export const RETENTION_YEARS: Readonly<Record<PhotoCategory, number>> = {
  living_conditions: 5,
  ward: 5,
  document: 10,
  other: 3,
};

export async function sweepInspectionRetention(
  db: Kysely<Database>,
  clock: Clock,
  dataDir: string,
  opts: { dryRun?: boolean } = {},
): Promise<{ purged: string[] }> {
  const today = clock.now().toISOString().slice(0, 10);
  const shortest = Math.min(...Object.values(RETENTION_YEARS));
  const repo = new InspectionsRepository(db);
  const store = new PhotoStore(dataDir);
  const due = (await repo.retentionCandidates(addMonths(today, -12 * shortest))).filter(
    (c) => c.closed_on !== null && c.closed_on < addMonths(today, -12 * RETENTION_YEARS[c.category]),
  );
  if (opts.dryRun) return { purged: due.map((c) => c.id) };
  for (const c of due) {
    await db.transaction().execute(async (trx) => {
      await new InspectionsRepository(trx).markPurged(c.id, clock.now().toISOString());
      await appendAudit(
        trx,
        SYSTEM_CONTEXT,
        {
          action: 'inspection.photo.purge',
          targetKind: 'inspection_photo',
          targetId: c.id,
          reason: `retention: ${c.category}, ${RETENTION_YEARS[c.category]} years after the case closed on ${c.closed_on}`,
          details: { caseId: c.case_id, sha256: c.sha256 },
        },
        clock.now(),
      );
    });
    if (!(await repo.hashInUse(c.sha256))) await store.purge(c.sha256);
  }
  return { purged: due.map((c) => c.id) };
}
