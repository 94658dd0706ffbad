/** Facts for the policy tests: one Moscow kindergarten, group A, a parent with one verified child. */
import type {
  CameraFacts,
  LiveAccessFacts,
  RecordingAccessFacts,
  RoleBinding,
  ViewerFacts,
  ViewingWindow,
  Weekday,
} from '../../../src/policy/index.js';

export const REGION = 'region-1';
export const KINDERGARTEN = 'kg-1';
export const OFFICE = 'office-1';
export const ROOM_A = 'room-group-a';
export const ROOM_B = 'room-group-b';
export const CHILD_1 = 'child-1';
export const CHILD_2 = 'child-2';
export const PARENT = 'person-parent';

/** Monday–Friday, 07:00–19:00. */
export const WEEKDAYS_7_TO_19: readonly ViewingWindow[] = ([1, 2, 3, 4, 5] as const).map((weekday) => ({
  weekday,
  start: '07:00',
  end: '19:00',
}));

export function everyDay(start: string, end: string): ViewingWindow[] {
  return ([1, 2, 3, 4, 5, 6, 7] as const).map((weekday: Weekday) => ({ weekday, start, end }));
}

export function groupCamera(overrides: Partial<CameraFacts> = {}): CameraFacts {
  return {
    cameraId: 'camera-a',
    enabled: true,
    roomId: ROOM_A,
    roomKind: 'group',
    roomZone: 'common',
    institutionId: KINDERGARTEN,
    institutionKind: 'kindergarten',
    regionId: REGION,
    timeZone: 'Europe/Moscow',
    freePilot: false,
    closedDays: [],
    consentRequired: true,
    ...overrides,
  };
}

export function officeCamera(overrides: Partial<CameraFacts> = {}): CameraFacts {
  return groupCamera({
    cameraId: 'camera-desk-1',
    roomId: 'room-desk-1',
    roomKind: 'workplace',
    institutionId: OFFICE,
    institutionKind: 'office',
    consentRequired: false,
    ...overrides,
  });
}

export function viewer(overrides: Partial<ViewerFacts> = {}): ViewerFacts {
  return { personId: PARENT, disabled: false, roleBindings: [], ...overrides };
}

export function staff(...roleBindings: RoleBinding[]): ViewerFacts {
  return viewer({ personId: 'person-staff', roleBindings });
}

/** The parent of CHILD_1, enrolled in group A since 2026-01-12, subscribed, consent given. */
export function parentFacts(overrides: Partial<LiveAccessFacts> = {}): LiveAccessFacts {
  return {
    viewer: viewer(),
    camera: groupCamera(),
    guardianLinks: [{ childId: CHILD_1, verified: true }],
    enrolments: [{ childId: CHILD_1, roomId: ROOM_A, startDate: '2026-01-12', endDate: null }],
    viewingWindows: WEEKDAYS_7_TO_19,
    subscriptions: [{ childId: CHILD_1, status: 'active' }],
    consent: 'given',
    openStreams: 0,
    streamLimit: 2,
    ...overrides,
  };
}

/** A staff member with no guardian links. */
export function staffFacts(
  viewerFacts: ViewerFacts,
  overrides: Partial<LiveAccessFacts> = {},
): LiveAccessFacts {
  return parentFacts({
    viewer: viewerFacts,
    guardianLinks: [],
    enrolments: [],
    subscriptions: [],
    ...overrides,
  });
}

export function recordingFacts(
  viewerFacts: ViewerFacts,
  statedReason: string,
  camera: CameraFacts = officeCamera(),
): RecordingAccessFacts {
  return { viewer: viewerFacts, camera, statedReason };
}

export function at(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad instant in test: ${iso}`);
  return ms;
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
