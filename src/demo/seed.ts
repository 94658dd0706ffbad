/**
 * Demo data: a demo city with two kindergartens (one a free pilot), groups with children and parents,
 * and a guardianship office with workplaces; cameras are synthetic sources (`demo:` URLs, a test pattern
 * with a clock and the camera's name). Seeding is idempotent: it does nothing when the demo city exists.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, Role, ScopeKind } from '../storage/schema.js';
import { newId } from '../shared/ids.js';
import { appendAudit, SYSTEM_CONTEXT } from '../audit/audit-log.js';
import { DEMO_PEOPLE, type DemoSubject } from './people.js';
import { DEFAULT_PROFILE } from '../connection/profile.js';
import { seedAttendanceDemo } from './attendance-seed.js';
import { seedInspectionsDemo } from '../inspections/demo.js';
import { seedBillingDemo } from './billing-seed.js';
import { seedVisitsDemo } from '../visits/demo.js';

export const DEMO_REGION_NAME = 'Демо-город';

export interface SeedResult {
  created: boolean;
  regionId: string;
}

export async function seedDemo(db: Kysely<Database>, issuer: string, now: Date): Promise<SeedResult> {
  const existing = await db
    .selectFrom('regions')
    .select('id')
    .where('name', '=', DEMO_REGION_NAME)
    .executeTakeFirst();
  if (existing) return { created: false, regionId: existing.id };
  return db.transaction().execute(async (trx) => {
    const ts = now.toISOString();
    const stamp = { created_at: ts, updated_at: ts };
    const today = ts.slice(0, 10);
    const regionId = newId();
    await trx
      .insertInto('regions')
      .values({ id: regionId, name: DEMO_REGION_NAME, ...stamp })
      .execute();

    const institution = async (
      kind: 'kindergarten' | 'office',
      name: string,
      freePilot: boolean,
      fee: number | null,
    ) => {
      const id = newId();
      await trx
        .insertInto('institutions')
        .values({
          id,
          region_id: regionId,
          kind,
          name,
          time_zone: 'Europe/Moscow',
          free_pilot: freePilot ? 1 : 0,
          monthly_fee_minor: fee,
          consent_required: kind === 'kindergarten' ? 1 : 0,
          ...stamp,
        })
        .execute();
      return id;
    };
    const room = async (
      institutionId: string,
      kind: 'group' | 'workplace' | 'entrance' | 'hall',
      zone: 'common' | 'restricted',
      name: string,
    ) => {
      const id = newId();
      await trx
        .insertInto('rooms')
        .values({ id, institution_id: institutionId, kind, zone, name, ...stamp })
        .execute();
      return id;
    };
    const camera = async (
      roomId: string,
      name: string,
      recording: 'off' | 'continuous' | 'manual' = 'off',
    ) => {
      const id = newId();
      await trx
        .insertInto('cameras')
        .values({
          id,
          room_id: roomId,
          name,
          source_url: `demo:${name}`,
          source_username: null,
          source_password: null,
          rtsp_transport: 'tcp',
          enabled: 1,
          audio_allowed: 0,
          recording_policy: recording,
          ...stamp,
        })
        .execute();
      return id;
    };
    const schedule = async (roomId: string, days: number[], start: string, end: string) => {
      for (const weekday of days)
        await trx
          .insertInto('viewing_schedules')
          .values({ id: newId(), room_id: roomId, weekday, start_time: start, end_time: end, created_at: ts })
          .execute();
    };
    const consent = async (roomId: string) =>
      trx
        .insertInto('consents')
        .values({
          id: newId(),
          room_id: roomId,
          status: 'given',
          recorded_by: null,
          note: 'demo',
          recorded_at: ts,
        })
        .execute();

    const kg1 = await institution('kindergarten', 'Детский сад №1 «Солнышко»', false, 30000);
    const kg2 = await institution('kindergarten', 'Детский сад №2 «Берёзка» (пилот)', true, null);
    const office = await institution('office', 'Отдел опеки и попечительства', false, null);

    const bees = await room(kg1, 'group', 'common', 'Группа «Пчёлки»');
    const stars = await room(kg1, 'group', 'common', 'Группа «Звёздочки»');
    const bedroom = await room(kg1, 'group', 'restricted', 'Спальня «Пчёлок»');
    const entrance1 = await room(kg1, 'entrance', 'common', 'Вход');
    const rays = await room(kg1, 'group', 'common', 'Группа «Лучики»');
    const daisies = await room(kg2, 'group', 'common', 'Группа «Ромашки»');
    const bells = await room(kg2, 'group', 'common', 'Группа «Колокольчики»');
    const desk1 = await room(office, 'workplace', 'common', 'Кабинет 1 — приём граждан');
    const desk2 = await room(office, 'workplace', 'common', 'Кабинет 2 — приём граждан');

    await camera(bees, 'Пчёлки — игровая');
    await camera(stars, 'Звёздочки — игровая');
    await camera(bedroom, 'Пчёлки — спальня');
    const entranceCamera1 = await camera(entrance1, 'Солнышко — вход');
    await camera(rays, 'Лучики — игровая');
    await camera(daisies, 'Ромашки — игровая');
    await camera(bells, 'Колокольчики — игровая');
    const deskCamera1 = await camera(desk1, 'Кабинет 1', 'continuous');
    const deskCamera2 = await camera(desk2, 'Кабинет 2', 'manual');

    // The demo's groups are open to parents all day, every day, so the demo works at any hour;
    // «Звёздочки» is still collecting its parents' consent (a campaign in progress, below).
    await schedule(bees, [1, 2, 3, 4, 5, 6, 7], '00:00', '24:00');
    await schedule(daisies, [1, 2, 3, 4, 5, 6, 7], '00:00', '24:00');
    await schedule(stars, [1, 2, 3, 4, 5, 6, 7], '00:00', '24:00');
    await consent(bees);
    await consent(daisies);
    await schedule(rays, [1, 2, 3, 4, 5, 6, 7], '00:00', '24:00');
    await consent(rays);
    // «Колокольчики» shows «вне часов просмотра»: its one viewing hour is half a day from the moment
    // the demo is seeded, so a first look at the demo always finds the group outside its hours.
    const away = (moscowHour(now) + 12) % 24;
    const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
    await schedule(bells, [1, 2, 3, 4, 5, 6, 7], hh(away), away === 23 ? '24:00' : hh(away + 1));
    await consent(bells);

    const persons = new Map<DemoSubject, string>();
    for (const p of DEMO_PEOPLE) {
      const id = newId();
      persons.set(p.subject, id);
      await trx
        .insertInto('persons')
        .values({
          id,
          issuer,
          subject: p.subject,
          display_name: p.displayName,
          email: p.email,
          phone: null,
          disabled: 0,
          ...stamp,
        })
        .execute();
    }
    const bind = async (subject: DemoSubject, role: Role, scopeKind: ScopeKind, scopeId: string) =>
      trx
        .insertInto('role_bindings')
        .values({
          id: newId(),
          person_id: persons.get(subject)!,
          role,
          scope_kind: scopeKind,
          scope_id: scopeId,
          created_at: ts,
        })
        .execute();
    await bind('demo-kg-admin', 'kindergarten_admin', 'institution', kg1);
    await bind('demo-operator', 'city_operator', 'region', regionId);
    await bind('demo-auditor', 'auditor', 'region', regionId);
    await bind('demo-employee', 'employee', 'room', desk1);
    await bind('demo-inspector', 'inspector', 'region', regionId);
    // Citizens' requests (docs/design/citizen-requests.md): the regional operator approves what the
    // office head requests; «Кабинет 1» has a privacy mask over the neighbouring desk.
    await trx
      .insertInto('privacy_masks')
      .values({
        id: newId(),
        camera_id: deskCamera1,
        position: 0,
        x: 0.7,
        y: 0.05,
        w: 0.28,
        h: 0.4,
        label: 'соседний стол',
        created_by: persons.get('demo-office-head')!,
        created_at: ts,
      })
      .execute();
    await bind('demo-teacher-stars', 'teacher', 'room', stars);

    const child = async (
      institutionId: string,
      name: string,
      ref: string,
      groupId: string,
      parent: DemoSubject,
      subscribed = true,
    ) => {
      const id = newId();
      await trx
        .insertInto('children')
        .values({
          id,
          institution_id: institutionId,
          full_name: name,
          birth_date: '2021-05-14',
          external_ref: ref,
          ...stamp,
        })
        .execute();
      await trx
        .insertInto('enrolments')
        .values({
          id: newId(),
          child_id: id,
          room_id: groupId,
          start_date: '2025-09-01',
          end_date: null,
          ...stamp,
        })
        .execute();
      {
        await trx
          .insertInto('guardian_links')
          .values({
            id: newId(),
            person_id: persons.get(parent)!,
            child_id: id,
            relation: 'parent',
            verified: 1,
            ...stamp,
          })
          .execute();
        if (subscribed)
          await trx
            .insertInto('subscriptions')
            .values({
              id: newId(),
              person_id: persons.get(parent)!,
              child_id: id,
              status: 'active',
              monthly_fee_minor: null,
              ...stamp,
            })
            .execute();
      }
      return id;
    };
    const masha = await child(kg1, 'Маша Иванова', 'KG1-001', bees, 'demo-parent-anna');
    const vanya = await child(kg2, 'Ваня Смирнов', 'KG2-001', daisies, 'demo-parent-petr');
    const katya = await child(kg2, 'Катя Смирнова', 'KG2-002', bells, 'demo-parent-petr');
    const dima = await child(kg1, 'Дима Орлов', 'KG1-11', stars, 'demo-parent-irina');
    const sonya = await child(kg1, 'Соня Белова', 'KG1-12', stars, 'demo-parent-oleg');
    // The paid service's families: Лиза's mother has not subscribed yet; Артём's subscription is
    // suspended for an unpaid month; Маша's father sees that her mother pays.
    const lisa = await child(kg1, 'Лиза Новикова', 'KG1-21', bees, 'demo-parent-elena', false);
    const artem = await child(kg1, 'Артём Козлов', 'KG1-22', rays, 'demo-parent-nina');
    await trx
      .insertInto('guardian_links')
      .values({
        id: newId(),
        person_id: persons.get('demo-parent-sergey')!,
        child_id: masha,
        relation: 'parent',
        verified: 1,
        ...stamp,
      })
      .execute();
    await seedConsentCampaign(trx, { now, regionId, institutionId: kg1, roomId: stars }, [
      { personId: persons.get('demo-parent-irina')!, childId: dima },
    ]);
    await seedConnection(trx, now, regionId, [kg1, kg2]);
    // Children without a demo parent fill the groups.
    await insertChildren(trx, kg1, rays, ['Миша Фёдоров'], 'KG1-3', stamp);
    await seedBillingDemo(trx, {
      now,
      regionId,
      kg1,
      kg2,
      operatorId: persons.get('demo-operator')!,
      paid: { masha, dima, sonya, artem },
      pilot: { vanya, katya },
      lisa,
    });

    await seedAttendanceDemo(trx, {
      now,
      kg1,
      kg2,
      entranceCameraId: entranceCamera1,
      teacherRoomId: bees,
      stamp,
      bindTeacher: (room) => bind('demo-teacher', 'teacher', 'room', room),
      bindEducationOfficer: () => bind('demo-education', 'education_officer', 'region', regionId),
    });
    await seedInspectionsDemo(trx, {
      officeId: office,
      personId: (s) => persons.get(s as DemoSubject)!,
      today,
      ts,
    });
    await bind('demo-reception', 'reception', 'institution', office);
    await bind('demo-employee-2', 'employee', 'room', desk2);
    await bind('demo-regional', 'regional_operator', 'region', regionId);
    await seedVisitsDemo(trx, {
      now,
      regionId,
      officeId: office,
      desk1,
      desk2,
      camera1: deskCamera1,
      camera2: deskCamera2,
      employee1: persons.get('demo-employee')!,
      employee2: persons.get('demo-employee-2')!,
      reception: persons.get('demo-reception')!,
      head: persons.get('demo-office-head')!,
      regional: persons.get('demo-regional')!,
    });

    await appendAudit(
      trx,
      SYSTEM_CONTEXT,
      { action: 'demo.seed', targetKind: 'region', targetId: regionId, details: { today } },
      now,
    );
    return { created: true, regionId };
  });
}

/** The city's consent text, version 1. */
export const DEMO_CONSENT_TEXT = {
  title: 'Согласие на показ видео из группы родителям',
  body:
    'Я согласен(на), чтобы родители детей группы смотрели видео с камеры общей игровой зоны группы ' +
    'в часы просмотра через сервис «Окно». Камеры в спальнях, туалетах и раздевалках родителям не ' +
    'показываются. Видео не записывается для родителей; каждый просмотр фиксируется. Согласие можно ' +
    'отозвать в любой момент в приложении — тогда трансляция группы для всех родителей прекращается, ' +
    'если правило детского сада перестаёт выполняться.',
};

/**
 * The demo's consent: the city's text, and a campaign in «Звёздочки» launched three days ago in which
 * one family has agreed and one has not answered yet («Ждём ответа 1 семьи»).
 */
async function seedConsentCampaign(
  trx: Transaction<Database>,
  at: { now: Date; regionId: string; institutionId: string; roomId: string },
  agreed: { personId: string; childId: string }[],
): Promise<void> {
  const launched = new Date(at.now.getTime() - 3 * 86_400_000);
  const templateId = newId();
  await trx
    .insertInto('consent_templates')
    .values({
      id: templateId,
      region_id: at.regionId,
      version: 1,
      ...DEMO_CONSENT_TEXT,
      published_at: new Date(at.now.getTime() - 30 * 86_400_000).toISOString(),
      published_by: null,
    })
    .execute();
  const campaignId = newId();
  await trx
    .insertInto('consent_campaigns')
    .values({
      id: campaignId,
      room_id: at.roomId,
      institution_id: at.institutionId,
      template_id: templateId,
      template_version: 1,
      ...DEMO_CONSENT_TEXT,
      rule_kind: 'all',
      share_percent: 100,
      grace_days: 14,
      status: 'active',
      launched_at: launched.toISOString(),
      launched_on: launched.toISOString().slice(0, 10),
      launched_by: null,
      closed_at: null,
      last_reminder_at: null,
    })
    .execute();
  for (const a of agreed)
    await trx
      .insertInto('consent_answers')
      .values({
        id: newId(),
        campaign_id: campaignId,
        child_id: a.childId,
        person_id: a.personId,
        respondent: 'guardian',
        answer: 'agree',
        template_version: 1,
        answered_at: new Date(launched.getTime() + 3_600_000).toISOString(),
      })
      .execute();
}

/**
 * The demo city's connection profile (the demo cameras are synthetic 640×360 pictures, so the demo
 * city accepts that size) and both demo kindergartens connected a month ago.
 */
async function seedConnection(trx: Transaction<Database>, now: Date, regionId: string, live: string[]) {
  const at = new Date(now.getTime() - 30 * 86_400_000).toISOString();
  await trx
    .insertInto('connection_profiles')
    .values({
      region_id: regionId,
      profile: JSON.stringify({ ...DEFAULT_PROFILE, minWidth: 640, minHeight: 360 }),
      updated_at: at,
      updated_by: null,
    })
    .execute();
  for (const id of live)
    await trx
      .insertInto('kindergarten_connections')
      .values({ institution_id: id, went_live_at: at, went_live_by: null })
      .execute();
}

/** The hour of the day in Moscow (the demo institutions' time zone) at `now`. */
function moscowHour(now: Date): number {
  return Number(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Moscow', hour: '2-digit', hourCycle: 'h23' }).format(
      now,
    ),
  );
}

async function insertChildren(
  trx: Transaction<Database>,
  institutionId: string,
  roomId: string,
  names: string[],
  refPrefix: string,
  stamp: { created_at: string; updated_at: string },
): Promise<void> {
  let n = 0;
  for (const full_name of names) {
    const id = newId();
    await trx
      .insertInto('children')
      .values({
        id,
        institution_id: institutionId,
        full_name,
        birth_date: null,
        external_ref: `${refPrefix}${++n}`,
        ...stamp,
      })
      .execute();
    await trx
      .insertInto('enrolments')
      .values({
        id: newId(),
        child_id: id,
        room_id: roomId,
        start_date: '2025-09-01',
        end_date: null,
        ...stamp,
      })
      .execute();
  }
}
