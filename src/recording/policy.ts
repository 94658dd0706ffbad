/**
 * Whether a camera records at an instant (pure): its recording policy, its room's working hours in
 * the institution's time zone (closed days off), and its manual sessions. Also whether its ingest must
 * run (a manual camera keeps a rolling pre-roll buffer in memory, so it runs while not recording).
 */
import type { ViewingCalendar } from '../policy/facts.js';
import { viewingStateAt } from '../policy/schedule.js';
import type { RecordingPolicy } from '../storage/repositories/recordings-policy.js';

export interface RecordingFacts {
  policy: RecordingPolicy;
  enabled: boolean;
  /** Working hours: the room's recording_schedules, the institution's zone and closed days. */
  workingHours: ViewingCalendar;
  /** A manual session is open, or stopped and still in its post-roll. */
  manualActive: boolean;
  /**
   * A workplace recorded in working hours and per visit (mode `both`): outside working hours its
   * ingest keeps a pre-roll buffer and a visit records. Under `schedule` without it a visit outside
   * working hours still records, from the moment it opens (no pre-roll: the ingest was not running).
   */
  visitsAlso?: boolean;
}

export type NotRecordingReason =
  'policy_off' | 'camera_disabled' | 'outside_working_hours' | 'closed_day' | 'no_working_hours' | 'no_visit';

export interface RecordingDecision {
  record: boolean;
  /** Keep the camera's ingest running (recording, or buffering the pre-roll). */
  pin: boolean;
  /** Keep a rolling pre-roll buffer of the latest seconds. */
  preRoll: boolean;
  why: 'recording' | NotRecordingReason;
}

export function decideRecording(f: RecordingFacts, atMs: number): RecordingDecision {
  const no = (why: NotRecordingReason, pin = false): RecordingDecision => ({
    record: false,
    pin,
    preRoll: pin,
    why,
  });
  if (!f.enabled) return no('camera_disabled');
  switch (f.policy) {
    case 'off':
      return no('policy_off');
    case 'continuous':
      return { record: true, pin: true, preRoll: false, why: 'recording' };
    case 'schedule': {
      if (f.workingHours.windows.length === 0)
        return f.manualActive
          ? { record: true, pin: true, preRoll: f.visitsAlso === true, why: 'recording' }
          : no('no_working_hours', f.visitsAlso === true);
      const state = safeViewingState(f.workingHours, atMs);
      if (state === 'open') return { record: true, pin: true, preRoll: false, why: 'recording' };
      if (f.manualActive)
        return { record: true, pin: true, preRoll: f.visitsAlso === true, why: 'recording' };
      return no(state === 'closed_day' ? 'closed_day' : 'outside_working_hours', f.visitsAlso === true);
    }
    case 'manual':
      return f.manualActive
        ? { record: true, pin: true, preRoll: true, why: 'recording' }
        : no('no_visit', true);
  }
}

/**
 * Whether an instant is inside working hours, for "a gap during working hours raises a health
 * event". A room without recording_schedules counts as always working (a continuous camera).
 */
export function inWorkingHours(calendar: ViewingCalendar, atMs: number): boolean {
  if (calendar.windows.length === 0) return !isClosedDay(calendar, atMs);
  return safeViewingState(calendar, atMs) === 'open';
}

function isClosedDay(calendar: ViewingCalendar, atMs: number): boolean {
  return safeViewingState({ ...calendar, windows: [] }, atMs) === 'closed_day';
}

/** A malformed schedule or zone fails closed: not working hours (and the recorder logs it). */
function safeViewingState(calendar: ViewingCalendar, atMs: number): ReturnType<typeof viewingStateAt> {
  try {
    return viewingStateAt(calendar, atMs);
  } catch {
    return 'outside_viewing_hours';
  }
}
