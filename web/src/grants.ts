/**
 * Grants the parent's camera list obtained for snapshots, handed to the player when the parent opens
 * the same camera moments later, so one visit makes one stream grant rather than two. Requests for
 * snapshots run one at a time, so a list of cameras never holds more than one fresh grant.
 */
import { api, type StreamGrant } from './api.js';

const held = new Map<string, { grant: StreamGrant; at: number }>();
let chain: Promise<unknown> = Promise.resolve();

/** A grant for a snapshot (queued behind other snapshot grants). */
export function grantForSnapshot(cameraId: string): Promise<StreamGrant> {
  const next = chain.then(() => api.createStream(cameraId));
  chain = next.catch(() => undefined);
  return next.then((grant) => {
    held.set(cameraId, { grant, at: Date.now() });
    return grant;
  });
}

/** A still fresh grant for the camera and its age, taken out of the cache (used once). */
export function takeFreshGrant(cameraId: string): { grant: StreamGrant; ageMs: number } | undefined {
  const h = held.get(cameraId);
  held.delete(cameraId);
  if (!h) return undefined;
  const ageMs = Date.now() - h.at;
  return ageMs < h.grant.renewAfterMs / 2 ? { grant: h.grant, ageMs } : undefined;
}
