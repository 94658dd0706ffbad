/**
 * What each staff role may see, and where: the video rights are a column of the one authorization
 * table (src/authz/table.ts); this file keeps the policy's view of them. A role binding covers a
 * camera when its scope contains the camera's room: region ⊇ institution ⊇ room. The reasoning is in
 * docs/design/access-policy.md ("Staff") and docs/design/authorization.md.
 */
import { PERMISSIONS, type VideoRights } from '../authz/table.js';
import { videoRightsOf } from '../authz/authorize.js';
import type { CameraFacts, Role, RoleBinding } from './facts.js';

export type { VideoRights };
export { videoRightsOf };

export const VIDEO_RIGHTS: Readonly<Record<Role, VideoRights>> = Object.fromEntries(
  Object.entries(PERMISSIONS).map(([role, rule]) => [role, rule.video]),
) as Record<Role, VideoRights>;

/** How much video a role may see: bindings are tried narrowest first, so the audit names the least
 * powerful role that sufficed. */
export function videoRightsBreadth(role: Role): number {
  const rights = videoRightsOf(role);
  return rights.liveInstitutionKinds.length + rights.liveZones.length + (rights.recordings ? 1 : 0);
}

/**
 * Whether a binding's scope contains the camera's room (region ⊇ institution ⊇ room). The institution
 * kinds and zones a role sees are the video column of the one table, checked by src/policy/access.ts.
 */
export function bindingCovers(binding: RoleBinding, camera: CameraFacts): boolean {
  switch (binding.scopeKind) {
    case 'region':
      return binding.scopeId === camera.regionId;
    case 'institution':
      return binding.scopeId === camera.institutionId;
    case 'room':
      return binding.scopeId === camera.roomId;
  }
}
