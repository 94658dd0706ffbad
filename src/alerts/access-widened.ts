/**
 * `access.widened`: a change that lets more people see video, or see it for longer (docs/design/alerts.md
 * lists which). Raised in the transaction of the change. Two older kinds are also access widening and
 * keep their names: `access.role_with_video_granted` and `access.room_zone_changed`.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import type { Place } from '../storage/repositories/places.js';
import type { AlertSeverity, Database } from '../storage/schema.js';
import { raiseAlert } from './raise.js';

export type WideningChange =
  | 'consent_given'
  | 'guardian_link_verified'
  | 'viewing_schedule_added'
  | 'viewing_schedule_extended'
  | 'enrolment_added';

const TITLE: Record<WideningChange, string> = {
  consent_given: 'Записано согласие: родители группы видят камеры',
  guardian_link_verified: 'Подтверждена связь родителя с ребёнком',
  viewing_schedule_added: 'Добавлены часы просмотра',
  viewing_schedule_extended: 'Расширены часы просмотра',
  enrolment_added: 'Ребёнок зачислен в группу: его родители видят её камеры',
};

export async function raiseAccessWidened(
  db: Kysely<Database>,
  clock: Clock,
  w: {
    change: WideningChange;
    place: Place;
    roomId?: string | null;
    actorPersonId: string;
    /** what changed, in Russian (names, times) */
    body: string;
    evidence: Record<string, unknown>;
    severity?: AlertSeverity;
  },
): Promise<void> {
  await raiseAlert(db, clock, {
    kind: 'access.widened',
    severity: w.severity ?? 'warning',
    regionId: w.place.regionId,
    institutionId: w.place.institution?.id ?? null,
    roomId: w.roomId ?? null,
    actorPersonId: w.actorPersonId,
    title: TITLE[w.change],
    body: w.body,
    evidence: { change: w.change, ...w.evidence },
  });
}
