import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, LiveAccessFacts } from '../../../src/policy/index.js';
import { decideLiveAccess, DENY_REASONS, nextLiveOpening } from '../../../src/policy/index.js';
import {
  at,
  CHILD_1,
  CHILD_2,
  everyDay,
  groupCamera,
  iso,
  KINDERGARTEN,
  officeCamera,
  OFFICE,
  parentFacts,
  REGION,
  ROOM_A,
  ROOM_B,
  staff,
  staffFacts,
  viewer,
} from './fixtures.js';

interface Row {
  readonly name: string;
  readonly facts: LiveAccessFacts;
  /** UTC instant of the request. */
  readonly at: string;
  readonly expect: Decision;
}

const child1: Decision = { allow: true, basis: 'guardian', childId: CHILD_1 };
const child2: Decision = { allow: true, basis: 'guardian', childId: CHILD_2 };
const denied = (reason: (typeof DENY_REASONS)[number]): Decision => ({ allow: false, reason });

/** Monday 2026-03-02 10:00 in Moscow (UTC+3, no daylight saving). */
const MON_10_MSK = '2026-03-02T07:00:00Z';

function runTable(rows: readonly Row[]): void {
  for (const row of rows) {
    test(row.name, () => {
      assert.deepEqual(decideLiveAccess(row.facts, at(row.at)), row.expect);
    });
  }
}

describe('live access, guardian basis: each rule of docs/PRODUCT.md, Access policy', () => {
  runTable([
    { name: 'all conditions met', facts: parentFacts(), at: MON_10_MSK, expect: child1 },
    {
      name: 'camera disabled',
      facts: parentFacts({ camera: groupCamera({ enabled: false }) }),
      at: MON_10_MSK,
      expect: denied('camera_disabled'),
    },
    {
      name: 'restricted zone (e.g. a bedroom camera) is never for parents',
      facts: parentFacts({ camera: groupCamera({ roomZone: 'restricted' }) }),
      at: MON_10_MSK,
      expect: denied('zone_restricted'),
    },
    {
      name: 'unverified guardian link',
      facts: parentFacts({ guardianLinks: [{ childId: CHILD_1, verified: false }] }),
      at: MON_10_MSK,
      expect: denied('guardian_unverified'),
    },
    {
      name: 'no guardian link at all',
      facts: parentFacts({ guardianLinks: [] }),
      at: MON_10_MSK,
      expect: denied('not_guardian'),
    },
    {
      name: 'child enrolled in another group',
      facts: parentFacts({
        enrolments: [{ childId: CHILD_1, roomId: ROOM_B, startDate: '2026-01-12', endDate: null }],
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: 'enrolment of a different child (not linked to the viewer) does not count',
      facts: parentFacts({
        enrolments: [{ childId: CHILD_2, roomId: ROOM_A, startDate: '2026-01-12', endDate: null }],
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: 'child moved from group A to group B last Friday',
      facts: parentFacts({
        enrolments: [
          { childId: CHILD_1, roomId: ROOM_A, startDate: '2026-01-12', endDate: '2026-02-27' },
          { childId: CHILD_1, roomId: ROOM_B, startDate: '2026-03-02', endDate: null },
        ],
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: 'subscription suspended',
      facts: parentFacts({ subscriptions: [{ childId: CHILD_1, status: 'suspended' }] }),
      at: MON_10_MSK,
      expect: denied('subscription_inactive'),
    },
    {
      name: 'subscription cancelled',
      facts: parentFacts({ subscriptions: [{ childId: CHILD_1, status: 'cancelled' }] }),
      at: MON_10_MSK,
      expect: denied('subscription_inactive'),
    },
    {
      name: 'no subscription',
      facts: parentFacts({ subscriptions: [] }),
      at: MON_10_MSK,
      expect: denied('subscription_inactive'),
    },
    {
      name: 'an active subscription for another child does not count',
      facts: parentFacts({ subscriptions: [{ childId: CHILD_2, status: 'active' }] }),
      at: MON_10_MSK,
      expect: denied('subscription_inactive'),
    },
    {
      name: 'one active subscription among several for the child suffices (another guardian pays)',
      facts: parentFacts({
        subscriptions: [
          { childId: CHILD_1, status: 'cancelled' },
          { childId: CHILD_1, status: 'active' },
        ],
      }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'free pilot institution: no subscription needed',
      facts: parentFacts({ camera: groupCamera({ freePilot: true }), subscriptions: [] }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'free pilot institution: a suspended subscription does not matter',
      facts: parentFacts({
        camera: groupCamera({ freePilot: true }),
        subscriptions: [{ childId: CHILD_1, status: 'suspended' }],
      }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'consent required and not recorded',
      facts: parentFacts({ consent: 'none' }),
      at: MON_10_MSK,
      expect: denied('consent_missing'),
    },
    {
      name: 'consent required and withdrawn',
      facts: parentFacts({ consent: 'withdrawn' }),
      at: MON_10_MSK,
      expect: denied('consent_missing'),
    },
    {
      name: 'consent not required by the institution',
      facts: parentFacts({ camera: groupCamera({ consentRequired: false }), consent: 'none' }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'stream limit reached',
      facts: parentFacts({ openStreams: 2, streamLimit: 2 }),
      at: MON_10_MSK,
      expect: denied('stream_limit'),
    },
    {
      name: 'one below the stream limit',
      facts: parentFacts({ openStreams: 1, streamLimit: 2 }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'stream limit configured to 1, none open',
      facts: parentFacts({ openStreams: 0, streamLimit: 1 }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'person disabled',
      facts: parentFacts({ viewer: viewer({ disabled: true }) }),
      at: MON_10_MSK,
      expect: denied('person_disabled'),
    },
    {
      name: 'workplace camera is never a parent camera',
      facts: parentFacts({ camera: officeCamera({ roomId: ROOM_A }) }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: 'entrance camera with the room id of the group is still not a parent camera',
      facts: parentFacts({ camera: groupCamera({ roomKind: 'entrance' }) }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: "hall camera the child's group asked for",
      facts: parentFacts({
        camera: groupCamera({
          cameraId: 'camera-hall',
          roomId: 'room-hall',
          roomKind: 'hall',
          hallGroupRoomIds: [ROOM_A],
        }),
      }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'hall camera another group asked for',
      facts: parentFacts({
        camera: groupCamera({
          cameraId: 'camera-hall',
          roomId: 'room-hall',
          roomKind: 'hall',
          hallGroupRoomIds: [ROOM_B],
        }),
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: 'hall camera without any group',
      facts: parentFacts({
        camera: groupCamera({ cameraId: 'camera-hall', roomId: 'room-hall', roomKind: 'hall' }),
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
  ]);
});

describe('live access: viewing hours in the institution time zone', () => {
  runTable([
    // Moscow, UTC+3 all year: 07:00–19:00 local is 04:00–16:00 UTC.
    {
      name: 'Moscow 06:59 local',
      facts: parentFacts(),
      at: '2026-03-02T03:59:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Moscow 06:59:59 local',
      facts: parentFacts(),
      at: '2026-03-02T03:59:59.999Z',
      expect: denied('outside_viewing_hours'),
    },
    { name: 'Moscow 07:00 local opens', facts: parentFacts(), at: '2026-03-02T04:00:00Z', expect: child1 },
    { name: 'Moscow 18:59:59 local', facts: parentFacts(), at: '2026-03-02T15:59:59Z', expect: child1 },
    {
      name: 'Moscow 19:00 local closes (end exclusive)',
      facts: parentFacts(),
      at: '2026-03-02T16:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Moscow Saturday (no window)',
      facts: parentFacts(),
      at: '2026-03-07T07:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Moscow Friday 23:30 UTC is already Saturday 02:30 local',
      facts: parentFacts({ viewingWindows: [{ weekday: 5, start: '00:00', end: '24:00' }] }),
      at: '2026-03-06T23:30:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Moscow Thursday 21:00 UTC is Friday 00:00 local',
      facts: parentFacts({ viewingWindows: [{ weekday: 5, start: '00:00', end: '24:00' }] }),
      at: '2026-03-05T21:00:00Z',
      expect: child1,
    },
    // Yekaterinburg, UTC+5: 07:00–19:00 local is 02:00–14:00 UTC.
    {
      name: 'Yekaterinburg 06:59 local',
      facts: parentFacts({ camera: groupCamera({ timeZone: 'Asia/Yekaterinburg' }) }),
      at: '2026-03-02T01:59:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Yekaterinburg 07:00 local',
      facts: parentFacts({ camera: groupCamera({ timeZone: 'Asia/Yekaterinburg' }) }),
      at: '2026-03-02T02:00:00Z',
      expect: child1,
    },
    {
      name: 'Yekaterinburg 19:00 local (still 17:00 in Moscow)',
      facts: parentFacts({ camera: groupCamera({ timeZone: 'Asia/Yekaterinburg' }) }),
      at: '2026-03-02T14:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Yekaterinburg Sunday 21:00 UTC is Monday 02:00 local (night window)',
      facts: parentFacts({
        camera: groupCamera({ timeZone: 'Asia/Yekaterinburg' }),
        viewingWindows: [{ weekday: 1, start: '00:00', end: '07:00' }],
      }),
      at: '2026-03-01T21:00:00Z',
      expect: child1,
    },
    // Midnight windows: a day-long window ends at 24:00 (exclusive), the next day starts at 00:00.
    {
      name: 'midnight: Sunday 23:59 local, window only on Monday',
      facts: parentFacts({ viewingWindows: [{ weekday: 1, start: '00:00', end: '24:00' }] }),
      at: '2026-03-01T20:59:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'midnight: Monday 00:00 local',
      facts: parentFacts({ viewingWindows: [{ weekday: 1, start: '00:00', end: '24:00' }] }),
      at: '2026-03-01T21:00:00Z',
      expect: child1,
    },
    {
      name: 'midnight: Monday 23:59:59 local',
      facts: parentFacts({ viewingWindows: [{ weekday: 1, start: '00:00', end: '24:00' }] }),
      at: '2026-03-02T20:59:59Z',
      expect: child1,
    },
    {
      name: 'midnight: Tuesday 00:00 local',
      facts: parentFacts({ viewingWindows: [{ weekday: 1, start: '00:00', end: '24:00' }] }),
      at: '2026-03-02T21:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'two windows on one day: in the lunch gap',
      facts: parentFacts({
        viewingWindows: [
          { weekday: 1, start: '07:00', end: '12:00' },
          { weekday: 1, start: '15:00', end: '19:00' },
        ],
      }),
      at: '2026-03-02T10:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'two windows on one day: in the second window',
      facts: parentFacts({
        viewingWindows: [
          { weekday: 1, start: '07:00', end: '12:00' },
          { weekday: 1, start: '15:00', end: '19:00' },
        ],
      }),
      at: '2026-03-02T12:00:00Z',
      expect: child1,
    },
    {
      name: 'no viewing windows at all',
      facts: parentFacts({ viewingWindows: [] }),
      at: MON_10_MSK,
      expect: denied('outside_viewing_hours'),
    },
  ]);
});

describe('live access: daylight-saving changes in other zones', () => {
  const berlin = (windows = everyDay('07:00', '19:00')): LiveAccessFacts =>
    parentFacts({ camera: groupCamera({ timeZone: 'Europe/Berlin' }), viewingWindows: windows });
  const newYork = (windows = everyDay('07:00', '19:00')): LiveAccessFacts =>
    parentFacts({ camera: groupCamera({ timeZone: 'America/New_York' }), viewingWindows: windows });
  const sundayNight = [{ weekday: 7, start: '02:00', end: '03:00' }] as const;

  runTable([
    // Berlin: CET (UTC+1) until Sunday 2026-03-29 02:00, then CEST (UTC+2) until Sunday 2026-10-25 03:00.
    {
      name: 'Berlin Sat 03-28 07:00 CET = 06:00Z',
      facts: berlin(),
      at: '2026-03-28T06:00:00Z',
      expect: child1,
    },
    {
      name: 'Berlin Sat 03-28 06:59 CET',
      facts: berlin(),
      at: '2026-03-28T05:59:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Berlin Sun 03-29 07:00 CEST = 05:00Z',
      facts: berlin(),
      at: '2026-03-29T05:00:00Z',
      expect: child1,
    },
    {
      name: 'Berlin Sun 03-29 06:59 CEST',
      facts: berlin(),
      at: '2026-03-29T04:59:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Berlin Sun 03-29 19:00 CEST = 17:00Z',
      facts: berlin(),
      at: '2026-03-29T17:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    { name: 'Berlin Sun 03-29 18:59 CEST', facts: berlin(), at: '2026-03-29T16:59:00Z', expect: child1 },
    {
      name: 'Berlin Sat 10-24 07:00 CEST = 05:00Z',
      facts: berlin(),
      at: '2026-10-24T05:00:00Z',
      expect: child1,
    },
    {
      name: 'Berlin Sun 10-25 06:00Z is 07:00 CET',
      facts: berlin(),
      at: '2026-10-25T06:00:00Z',
      expect: child1,
    },
    {
      name: 'Berlin Sun 10-25 05:59Z is 06:59 CET',
      facts: berlin(),
      at: '2026-10-25T05:59:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Berlin Sun 10-25 18:00Z is 19:00 CET',
      facts: berlin(),
      at: '2026-10-25T18:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    // A window inside the spring gap never opens; inside the autumn overlap it opens twice.
    {
      name: 'Berlin 03-29 01:59 CET, window 02:00–03:00',
      facts: berlin([...sundayNight]),
      at: '2026-03-29T00:59:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Berlin 03-29 03:00 CEST, window 02:00–03:00 skipped',
      facts: berlin([...sundayNight]),
      at: '2026-03-29T01:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'Berlin 10-25 02:00 CEST (first pass)',
      facts: berlin([...sundayNight]),
      at: '2026-10-25T00:00:00Z',
      expect: child1,
    },
    {
      name: 'Berlin 10-25 02:59 CEST (first pass)',
      facts: berlin([...sundayNight]),
      at: '2026-10-25T00:59:00Z',
      expect: child1,
    },
    {
      name: 'Berlin 10-25 02:00 CET (second pass)',
      facts: berlin([...sundayNight]),
      at: '2026-10-25T01:00:00Z',
      expect: child1,
    },
    {
      name: 'Berlin 10-25 03:00 CET',
      facts: berlin([...sundayNight]),
      at: '2026-10-25T02:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    // New York: EST (UTC−5) until Sunday 2026-03-08 02:00, EDT (UTC−4) until Sunday 2026-11-01 02:00.
    {
      name: 'New York Sat 03-07 07:00 EST = 12:00Z',
      facts: newYork(),
      at: '2026-03-07T12:00:00Z',
      expect: child1,
    },
    {
      name: 'New York Sat 03-07 11:00Z is 06:00 EST',
      facts: newYork(),
      at: '2026-03-07T11:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'New York Sun 03-08 11:00Z is 07:00 EDT',
      facts: newYork(),
      at: '2026-03-08T11:00:00Z',
      expect: child1,
    },
    {
      name: 'New York Sun 03-08 10:59Z is 06:59 EDT',
      facts: newYork(),
      at: '2026-03-08T10:59:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'New York Sun 11-01 11:00Z is 06:00 EST',
      facts: newYork(),
      at: '2026-11-01T11:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'New York Sun 11-01 12:00Z is 07:00 EST',
      facts: newYork(),
      at: '2026-11-01T12:00:00Z',
      expect: child1,
    },
    {
      name: 'New York: Monday 03:30Z is still Sunday 23:30 EDT',
      facts: newYork([{ weekday: 7, start: '23:00', end: '24:00' }]),
      at: '2026-03-09T03:30:00Z',
      expect: child1,
    },
  ]);
});

describe('live access: closed days and enrolment dates are local dates', () => {
  runTable([
    {
      name: 'closed day',
      facts: parentFacts({ camera: groupCamera({ closedDays: ['2026-03-02'] }) }),
      at: MON_10_MSK,
      expect: denied('closed_day'),
    },
    {
      name: 'the day after a closed day',
      facts: parentFacts({ camera: groupCamera({ closedDays: ['2026-03-01'] }) }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'closed day begins at local midnight (21:00 UTC the day before)',
      facts: parentFacts({
        camera: groupCamera({ closedDays: ['2026-03-03'] }),
        viewingWindows: everyDay('00:00', '24:00'),
      }),
      at: '2026-03-02T21:00:00Z',
      expect: denied('closed_day'),
    },
    {
      name: 'last minute before a closed day',
      facts: parentFacts({
        camera: groupCamera({ closedDays: ['2026-03-03'] }),
        viewingWindows: everyDay('00:00', '24:00'),
      }),
      at: '2026-03-02T20:59:00Z',
      expect: child1,
    },
    {
      name: 'closed day in Yekaterinburg starts at 19:00 UTC',
      facts: parentFacts({
        camera: groupCamera({ timeZone: 'Asia/Yekaterinburg', closedDays: ['2026-03-03'] }),
        viewingWindows: everyDay('00:00', '24:00'),
      }),
      at: '2026-03-02T19:00:00Z',
      expect: denied('closed_day'),
    },
    {
      name: 'first day of the enrolment',
      facts: parentFacts({
        enrolments: [{ childId: CHILD_1, roomId: ROOM_A, startDate: '2026-03-02', endDate: null }],
      }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'the day before the enrolment starts',
      facts: parentFacts({
        enrolments: [{ childId: CHILD_1, roomId: ROOM_A, startDate: '2026-03-03', endDate: null }],
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: 'last day of the enrolment (end inclusive)',
      facts: parentFacts({
        enrolments: [{ childId: CHILD_1, roomId: ROOM_A, startDate: '2026-01-12', endDate: '2026-03-02' }],
      }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'the day after the enrolment ended',
      facts: parentFacts({
        enrolments: [{ childId: CHILD_1, roomId: ROOM_A, startDate: '2026-01-12', endDate: '2026-03-01' }],
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: 'enrolment ended "today" by the UTC date, but it is already tomorrow in Moscow',
      facts: parentFacts({
        enrolments: [{ childId: CHILD_1, roomId: ROOM_A, startDate: '2026-01-12', endDate: '2026-03-02' }],
        viewingWindows: everyDay('00:00', '24:00'),
      }),
      at: '2026-03-02T22:00:00Z',
      expect: denied('not_enrolled'),
    },
    {
      name: 'enrolment starts "tomorrow" by the UTC date, but it is already that day in Yekaterinburg',
      facts: parentFacts({
        camera: groupCamera({ timeZone: 'Asia/Yekaterinburg' }),
        enrolments: [{ childId: CHILD_1, roomId: ROOM_A, startDate: '2026-03-03', endDate: null }],
        viewingWindows: everyDay('00:00', '24:00'),
      }),
      at: '2026-03-02T19:00:00Z',
      expect: child1,
    },
    {
      name: 'enrolment of a single day',
      facts: parentFacts({
        enrolments: [{ childId: CHILD_1, roomId: ROOM_A, startDate: '2026-03-02', endDate: '2026-03-02' }],
      }),
      at: MON_10_MSK,
      expect: child1,
    },
  ]);
});

describe('live access: several children (allowed if any child qualifies)', () => {
  const twoChildren = (overrides: Partial<LiveAccessFacts>): LiveAccessFacts =>
    parentFacts({
      guardianLinks: [
        { childId: CHILD_1, verified: true },
        { childId: CHILD_2, verified: true },
      ],
      subscriptions: [
        { childId: CHILD_1, status: 'active' },
        { childId: CHILD_2, status: 'active' },
      ],
      ...overrides,
    });
  runTable([
    {
      name: 'first child in another group, second child in this group',
      facts: twoChildren({
        enrolments: [
          { childId: CHILD_1, roomId: ROOM_B, startDate: '2026-01-12', endDate: null },
          { childId: CHILD_2, roomId: ROOM_A, startDate: '2026-01-12', endDate: null },
        ],
      }),
      at: MON_10_MSK,
      expect: child2,
    },
    {
      name: 'twins in this group: the first linked child is the basis',
      facts: twoChildren({
        enrolments: [
          { childId: CHILD_1, roomId: ROOM_A, startDate: '2026-01-12', endDate: null },
          { childId: CHILD_2, roomId: ROOM_A, startDate: '2026-01-12', endDate: null },
        ],
      }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: "twins: the first child's subscription suspended, the second's active",
      facts: twoChildren({
        enrolments: [
          { childId: CHILD_1, roomId: ROOM_A, startDate: '2026-01-12', endDate: null },
          { childId: CHILD_2, roomId: ROOM_A, startDate: '2026-01-12', endDate: null },
        ],
        subscriptions: [
          { childId: CHILD_1, status: 'suspended' },
          { childId: CHILD_2, status: 'active' },
        ],
      }),
      at: MON_10_MSK,
      expect: child2,
    },
    {
      name: 'the child here is unverified, the verified one is elsewhere: not_enrolled (unverified links reveal nothing)',
      facts: twoChildren({
        guardianLinks: [
          { childId: CHILD_1, verified: false },
          { childId: CHILD_2, verified: true },
        ],
        enrolments: [
          { childId: CHILD_1, roomId: ROOM_A, startDate: '2026-01-12', endDate: null },
          { childId: CHILD_2, roomId: ROOM_B, startDate: '2026-01-12', endDate: null },
        ],
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: 'both links unverified',
      facts: twoChildren({
        guardianLinks: [
          { childId: CHILD_1, verified: false },
          { childId: CHILD_2, verified: false },
        ],
      }),
      at: MON_10_MSK,
      expect: denied('guardian_unverified'),
    },
    {
      name: 'child here without subscription, other child elsewhere: the most specific reason wins',
      facts: twoChildren({
        enrolments: [
          { childId: CHILD_1, roomId: ROOM_B, startDate: '2026-01-12', endDate: null },
          { childId: CHILD_2, roomId: ROOM_A, startDate: '2026-01-12', endDate: null },
        ],
        subscriptions: [{ childId: CHILD_1, status: 'active' }],
      }),
      at: MON_10_MSK,
      expect: denied('subscription_inactive'),
    },
    {
      name: 'the qualifying child moved out yesterday, the sibling was never here',
      facts: twoChildren({
        enrolments: [
          { childId: CHILD_1, roomId: ROOM_A, startDate: '2026-01-12', endDate: '2026-03-01' },
          { childId: CHILD_2, roomId: ROOM_B, startDate: '2026-01-12', endDate: null },
        ],
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
  ]);
});

describe('live access: precedence when several rules refuse', () => {
  runTable([
    {
      name: 'a disabled person is refused before anything else, staff or not',
      facts: parentFacts({
        viewer: viewer({
          disabled: true,
          roleBindings: [{ role: 'inspector', scopeKind: 'region', scopeId: REGION }],
        }),
      }),
      at: MON_10_MSK,
      expect: denied('person_disabled'),
    },
    {
      name: 'not enrolled and camera disabled: a stranger learns nothing about the camera',
      facts: parentFacts({
        camera: groupCamera({ enabled: false }),
        enrolments: [{ childId: CHILD_1, roomId: ROOM_B, startDate: '2026-01-12', endDate: null }],
      }),
      at: '2026-03-02T20:00:00Z',
      expect: denied('not_enrolled'),
    },
    {
      name: 'unverified and outside hours',
      facts: parentFacts({ guardianLinks: [{ childId: CHILD_1, verified: false }] }),
      at: '2026-03-02T20:00:00Z',
      expect: denied('guardian_unverified'),
    },
    {
      name: 'restricted zone and consent missing: zone first (permanent)',
      facts: parentFacts({ camera: groupCamera({ roomZone: 'restricted' }), consent: 'none' }),
      at: MON_10_MSK,
      expect: denied('zone_restricted'),
    },
    {
      name: 'consent missing and subscription suspended',
      facts: parentFacts({
        consent: 'withdrawn',
        subscriptions: [{ childId: CHILD_1, status: 'suspended' }],
      }),
      at: MON_10_MSK,
      expect: denied('consent_missing'),
    },
    {
      name: 'subscription suspended and camera disabled',
      facts: parentFacts({
        camera: groupCamera({ enabled: false }),
        subscriptions: [{ childId: CHILD_1, status: 'suspended' }],
      }),
      at: MON_10_MSK,
      expect: denied('subscription_inactive'),
    },
    {
      name: 'subscription suspended and outside hours: not "opens at 07:00", which would not let them in',
      facts: parentFacts({ subscriptions: [{ childId: CHILD_1, status: 'suspended' }] }),
      at: '2026-03-02T20:00:00Z',
      expect: denied('subscription_inactive'),
    },
    {
      name: 'camera disabled and closed day',
      facts: parentFacts({ camera: groupCamera({ enabled: false, closedDays: ['2026-03-02'] }) }),
      at: MON_10_MSK,
      expect: denied('camera_disabled'),
    },
    {
      name: 'closed day and outside hours',
      facts: parentFacts({ camera: groupCamera({ closedDays: ['2026-03-02'] }) }),
      at: '2026-03-02T20:00:00Z',
      expect: denied('closed_day'),
    },
    {
      name: 'outside hours and stream limit',
      facts: parentFacts({ openStreams: 2 }),
      at: '2026-03-02T20:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
  ]);

  test('the reason codes are a closed, duplicate-free list', () => {
    assert.equal(new Set(DENY_REASONS).size, DENY_REASONS.length);
    // person_disabled is the last reason the rules produce; policy_error (a failure) comes after it
    assert.equal(DENY_REASONS.at(-2), 'person_disabled');
    assert.equal(DENY_REASONS.at(-1), 'policy_error');
  });
});

describe('live access, staff basis: role bindings and scope', () => {
  const admin = (scopeKind: 'region' | 'institution' | 'room', scopeId: string) =>
    staff({ role: 'kindergarten_admin', scopeKind, scopeId });
  const asAdmin = { allow: true, basis: 'staff', role: 'kindergarten_admin' } as const;
  const asInspector = { allow: true, basis: 'staff', role: 'inspector' } as const;

  runTable([
    {
      name: 'kindergarten admin, institution scope',
      facts: staffFacts(admin('institution', KINDERGARTEN)),
      at: MON_10_MSK,
      expect: asAdmin,
    },
    {
      name: 'kindergarten admin, region scope',
      facts: staffFacts(admin('region', REGION)),
      at: MON_10_MSK,
      expect: asAdmin,
    },
    {
      name: 'kindergarten admin, room scope of this room',
      facts: staffFacts(admin('room', ROOM_A)),
      at: MON_10_MSK,
      expect: asAdmin,
    },
    {
      name: 'kindergarten admin, room scope of another room',
      facts: staffFacts(admin('room', ROOM_B)),
      at: MON_10_MSK,
      expect: denied('no_role'),
    },
    {
      name: 'kindergarten admin of another kindergarten',
      facts: staffFacts(admin('institution', 'kg-2')),
      at: MON_10_MSK,
      expect: denied('no_role'),
    },
    {
      name: 'kindergarten admin of another region',
      facts: staffFacts(admin('region', 'region-2')),
      at: MON_10_MSK,
      expect: denied('no_role'),
    },
    {
      name: 'scope ids are compared by kind: an institution binding with the region id does not cover',
      facts: staffFacts(admin('institution', REGION)),
      at: MON_10_MSK,
      expect: denied('no_role'),
    },
    {
      name: 'staff ignore viewing hours, closed days, consent and subscriptions',
      facts: staffFacts(admin('institution', KINDERGARTEN), {
        camera: groupCamera({ closedDays: ['2026-03-02'] }),
        consent: 'withdrawn',
      }),
      at: '2026-03-02T20:00:00Z',
      expect: asAdmin,
    },
    {
      name: "staff are not held to the parents' stream cap",
      facts: staffFacts(admin('institution', KINDERGARTEN), { openStreams: 9, streamLimit: 2 }),
      at: MON_10_MSK,
      expect: asAdmin,
    },
    {
      name: 'kindergarten admin, restricted zone of their own kindergarten',
      facts: staffFacts(admin('institution', KINDERGARTEN), {
        camera: groupCamera({ roomZone: 'restricted' }),
      }),
      at: MON_10_MSK,
      expect: denied('zone_restricted'),
    },
    {
      name: 'kindergarten admin, disabled camera',
      facts: staffFacts(admin('institution', KINDERGARTEN), { camera: groupCamera({ enabled: false }) }),
      at: MON_10_MSK,
      expect: denied('camera_disabled'),
    },
    {
      name: 'kindergarten admin with a region binding, office camera in that region',
      facts: staffFacts(admin('region', REGION), { camera: officeCamera() }),
      at: MON_10_MSK,
      expect: denied('role_not_permitted'),
    },
    ...(
      ['city_operator', 'regional_operator', 'auditor', 'office_head', 'employee', 'reception'] as const
    ).map((role): Row => ({
      name: `${role} in scope sees no live video`,
      facts: staffFacts(staff({ role, scopeKind: 'region', scopeId: REGION })),
      at: MON_10_MSK,
      expect: denied('role_not_permitted'),
    })),
    {
      name: 'employee at their own workplace sees no live video',
      facts: staffFacts(staff({ role: 'employee', scopeKind: 'room', scopeId: 'room-desk-1' }), {
        camera: officeCamera(),
      }),
      at: MON_10_MSK,
      expect: denied('role_not_permitted'),
    },
    {
      name: 'inspector, office workplace',
      facts: staffFacts(staff({ role: 'inspector', scopeKind: 'institution', scopeId: OFFICE }), {
        camera: officeCamera(),
      }),
      at: MON_10_MSK,
      expect: asInspector,
    },
    {
      name: 'inspector, restricted zone in scope',
      facts: staffFacts(staff({ role: 'inspector', scopeKind: 'region', scopeId: REGION }), {
        camera: officeCamera({ roomZone: 'restricted' }),
      }),
      at: MON_10_MSK,
      expect: asInspector,
    },
    {
      name: 'inspector out of scope',
      facts: staffFacts(staff({ role: 'inspector', scopeKind: 'institution', scopeId: 'office-2' }), {
        camera: officeCamera(),
      }),
      at: MON_10_MSK,
      expect: denied('no_role'),
    },
    {
      name: 'admin and inspector both cover a common camera: the less powerful role is the basis',
      facts: staffFacts(
        staff(
          { role: 'inspector', scopeKind: 'region', scopeId: REGION },
          { role: 'kindergarten_admin', scopeKind: 'institution', scopeId: KINDERGARTEN },
        ),
      ),
      at: MON_10_MSK,
      expect: asAdmin,
    },
    {
      name: 'admin and inspector, restricted zone: the inspector binding allows',
      facts: staffFacts(
        staff(
          { role: 'kindergarten_admin', scopeKind: 'institution', scopeId: KINDERGARTEN },
          { role: 'inspector', scopeKind: 'region', scopeId: REGION },
        ),
        { camera: groupCamera({ roomZone: 'restricted' }) },
      ),
      at: MON_10_MSK,
      expect: asInspector,
    },
    {
      name: 'auditor binding covering and another out of scope: role_not_permitted beats no_role',
      facts: staffFacts(
        staff(
          { role: 'kindergarten_admin', scopeKind: 'institution', scopeId: 'kg-2' },
          { role: 'auditor', scopeKind: 'institution', scopeId: KINDERGARTEN },
        ),
      ),
      at: MON_10_MSK,
      expect: denied('role_not_permitted'),
    },
  ]);
});

describe('live access: a person who is both parent and staff', () => {
  const adminHere = { role: 'kindergarten_admin', scopeKind: 'institution', scopeId: KINDERGARTEN } as const;
  runTable([
    {
      name: 'both bases allow: the guardian basis (with the child) is reported',
      facts: parentFacts({ viewer: viewer({ roleBindings: [adminHere] }) }),
      at: MON_10_MSK,
      expect: child1,
    },
    {
      name: 'outside viewing hours the admin role still allows',
      facts: parentFacts({ viewer: viewer({ roleBindings: [adminHere] }) }),
      at: '2026-03-02T20:00:00Z',
      expect: { allow: true, basis: 'staff', role: 'kindergarten_admin' },
    },
    {
      name: 'admin of another kindergarten, child not here: not_enrolled beats no_role',
      facts: parentFacts({
        viewer: viewer({
          roleBindings: [{ role: 'kindergarten_admin', scopeKind: 'institution', scopeId: 'kg-2' }],
        }),
        enrolments: [{ childId: CHILD_1, roomId: ROOM_B, startDate: '2026-01-12', endDate: null }],
      }),
      at: MON_10_MSK,
      expect: denied('not_enrolled'),
    },
    {
      name: 'parent here and admin here, restricted zone: refused on both bases',
      facts: parentFacts({
        viewer: viewer({ roleBindings: [adminHere] }),
        camera: groupCamera({ roomZone: 'restricted' }),
      }),
      at: MON_10_MSK,
      expect: denied('zone_restricted'),
    },
    {
      name: 'auditor who is a parent of a child here, outside hours: the guardian reason is more specific',
      facts: parentFacts({
        viewer: viewer({ roleBindings: [{ role: 'auditor', scopeKind: 'region', scopeId: REGION }] }),
      }),
      at: '2026-03-02T20:00:00Z',
      expect: denied('outside_viewing_hours'),
    },
    {
      name: 'staff person without guardian links and no covering binding',
      facts: staffFacts(staff({ role: 'auditor', scopeKind: 'region', scopeId: 'region-2' })),
      at: MON_10_MSK,
      expect: denied('no_role'),
    },
  ]);
});

describe('live access: bad facts fail loudly rather than open', () => {
  test('a role this code does not know (e.g. from a newer database) sees nothing', () => {
    const facts = staffFacts(staff({ role: 'superuser' as 'auditor', scopeKind: 'region', scopeId: REGION }));
    assert.deepEqual(decideLiveAccess(facts, at(MON_10_MSK)), denied('role_not_permitted'));
  });
  test('a malformed enrolment date throws', () => {
    const facts = parentFacts({
      enrolments: [{ childId: CHILD_1, roomId: ROOM_A, startDate: '2026-3-1', endDate: null }],
    });
    assert.throws(() => decideLiveAccess(facts, at(MON_10_MSK)), RangeError);
  });
  test('a malformed closed day throws', () => {
    const facts = parentFacts({ camera: groupCamera({ closedDays: ['02.03.2026'] }) });
    assert.throws(() => decideLiveAccess(facts, at(MON_10_MSK)), RangeError);
  });
  test('an unknown time zone throws', () => {
    const facts = parentFacts({ camera: groupCamera({ timeZone: 'Mars/Olympus' }) });
    assert.throws(() => decideLiveAccess(facts, at(MON_10_MSK)), RangeError);
  });
  test('a window ending before it starts throws', () => {
    const facts = parentFacts({ viewingWindows: [{ weekday: 1, start: '19:00', end: '07:00' }] });
    assert.throws(() => decideLiveAccess(facts, at(MON_10_MSK)), RangeError);
  });
});

describe('next opening for the player message', () => {
  test('Monday 06:00 in Moscow opens at 07:00 local', () => {
    assert.equal(iso(nextLiveOpening(parentFacts(), at('2026-03-02T03:00:00Z'))), '2026-03-02T04:00:00.000Z');
  });
  test('Friday evening opens on Monday morning, skipping a closed Monday', () => {
    const facts = parentFacts({ camera: groupCamera({ closedDays: ['2026-03-09'] }) });
    assert.equal(iso(nextLiveOpening(facts, at('2026-03-06T17:00:00Z'))), '2026-03-10T04:00:00.000Z');
  });
  test('agrees with the decision: at the returned instant the same facts allow', () => {
    const facts = parentFacts({ camera: groupCamera({ timeZone: 'Asia/Yekaterinburg' }) });
    const denial = decideLiveAccess(facts, at('2026-03-02T15:00:00Z'));
    assert.deepEqual(denial, denied('outside_viewing_hours'));
    const opensAtMs = nextLiveOpening(facts, at('2026-03-02T15:00:00Z'));
    assert.equal(iso(opensAtMs), '2026-03-03T02:00:00.000Z');
    assert.deepEqual(decideLiveAccess(facts, (opensAtMs ?? 0) - 1), denied('outside_viewing_hours'));
    assert.deepEqual(decideLiveAccess(facts, opensAtMs ?? 0), child1);
  });
});
