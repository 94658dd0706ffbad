/**
 * What each staff role may see, and where. A role binding covers a camera when its scope contains
 * the camera's room: region ⊇ institution ⊇ room. What the role may then see is the table below;
 * the reasoning is in docs/design/access-policy.md ("Staff").
 */
import type { CameraFacts, InstitutionKind, Role, RoleBinding, ZoneKind } from './facts.js';

export interface VideoRights {
  /** Institution kinds whose live video the role may watch (empty: none). */
  readonly liveInstitutionKinds: readonly InstitutionKind[];
  /** Zones whose live video the role may watch. */
  readonly liveZones: readonly ZoneKind[];
  /** Whether the role may play back and export recordings (always with a stated reason). */
  readonly recordings: boolean;
}

const NONE: VideoRights = { liveInstitutionKinds: [], liveZones: [], recordings: false };

export const VIDEO_RIGHTS: Readonly<Record<Role, VideoRights>> = {
  kindergarten_admin: { liveInstitutionKinds: ['kindergarten'], liveZones: ['common'], recordings: false },
  inspector: {
    liveInstitutionKinds: ['kindergarten', 'office'],
    liveZones: ['common', 'restricted'],
    recordings: true,
  },
  city_operator: NONE,
  regional_operator: NONE,
  auditor: NONE,
  office_head: NONE,
  employee: NONE,
  reception: NONE,
  teacher: NONE,
  specialist: NONE,
  education_officer: NONE,
};

/** The rights of a role; none for a role this code does not know (deny by default). */
export function videoRightsOf(role: Role): VideoRights {
  return Object.hasOwn(VIDEO_RIGHTS, role) ? VIDEO_RIGHTS[role] : NONE;
}

/** How much video a role may see: bindings are tried narrowest first, so the audit names the least
 * powerful role that sufficed. */
export function videoRightsBreadth(role: Role): number {
  const rights = videoRightsOf(role);
  return rights.liveInstitutionKinds.length + rights.liveZones.length + (rights.recordings ? 1 : 0);
}

/** Whether a binding's scope contains the camera's room. */
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
