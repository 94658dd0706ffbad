/**
 * The second half of the create invariant: once a segment file is durable, its row is appended to the
 * camera's chain — seq n+1, prev_sha256 = sha256 of seq n — so that `okno recordings check` can tell a
 * removed or replaced segment from one that expired.
 */
import type { RecordingsRepository, Segment } from '../storage/repositories/recordings.js';
import { newId } from '../shared/ids.js';

export type NewSegment = Omit<Segment, 'id' | 'seq' | 'prevSha256' | 'state'> & {
  /** the id it had while it was written (playlists made then keep working); default a new one */
  id?: string;
};

export async function appendSegmentRow(
  repo: RecordingsRepository,
  s: NewSegment,
  atMs: number,
): Promise<Segment> {
  // A unique (camera, seq) violation means a second writer appended at the same time: retry once.
  for (let attempt = 0; ; attempt++) {
    const last = await repo.lastSegment(s.cameraId);
    const row: Segment = {
      ...s,
      id: s.id ?? newId(),
      seq: (last?.seq ?? 0) + 1,
      prevSha256: last?.sha256 ?? null,
      state: 'ok',
    };
    try {
      await repo.insertSegment(row, atMs);
      return row;
    } catch (err) {
      if (attempt >= 1 || !isUniqueViolation(err)) throw err;
    }
  }
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e.code === '23505' || /UNIQUE constraint failed: recording_segments\.camera_id/.test(e.message ?? '')
  );
}
