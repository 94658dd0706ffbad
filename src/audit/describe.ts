/**
 * The audit log in words: a Russian description of every action code and reason code the code base
 * writes, of target kinds and of the keys of `details`. The audit screen and the CSV export show these
 * next to the codes (the codes stay: they are what the chain hashes and what scripts filter by).
 *
 * One dictionary, here, on the server: the screen and the export read the same words. A unit test
 * (test/unit/audit/describe.test.ts) scans src/ for every action code written and fails when one has
 * no description here; the closed reason sets (policy, grant tokens, login) are typed as records, so
 * the compiler refuses a new code without words.
 */
import type { DenyReason } from '../policy/decision.js';
import type { Role } from '../policy/facts.js';
import type { GrantRejection } from '../grants/tokens.js';
import type { LoginFailureReason } from '../identity/rp.js';

/** Every action code written to the audit log, and what it means as «who did what». */
export const ACTION_TEXT: Readonly<Record<string, string>> = {
  // live video
  'grant.live': 'Открыл живое видео',
  'grant.renew': 'Продление доступа к живому видео',
  'stream.start': 'Начал смотреть трансляцию',
  'stream.end': 'Трансляция закончилась',
  'media.refused': 'Отказ в видеопотоке',
  // recordings
  'recording.playback': 'Просмотр записи',
  'recording.export': 'Выгрузка записи',
  'recording.start': 'Включил запись приёма',
  'recording.stop': 'Остановил запись приёма',
  'recording.hold.place': 'Поставил запись на хранение (правовое удержание)',
  'recording.hold.lift': 'Снял правовое удержание записи',
  'recording.schedule.set': 'Изменил часы записи',
  'recording.ring_buffer.set': 'Изменил режим кольцевой записи',
  'recording.retention.set': 'Изменил срок хранения записей',
  'recording.sweep': 'Удаление записей по сроку хранения',
  'recording.ring_buffer_trim': 'Очистка кольцевой записи',
  'recording.exports.expire': 'Удаление просроченных выгрузок',
  'recording.repair': 'Восстановление записей после сбоя',
  // login
  'auth.login': 'Вошёл в Окно',
  'auth.logout': 'Вышел из Окна',
  'auth.login_failed': 'Неудачная попытка входа',
  // the audit log itself
  'audit.export': 'Выгрузил журнал доступа (CSV)',
  // administration
  'admin.institution.create': 'Создал учреждение',
  'admin.institution.update': 'Изменил учреждение',
  'admin.institution.delete': 'Удалил учреждение',
  'admin.institution.import': 'Импорт из CSV',
  'admin.region.update': 'Изменил регион',
  'admin.room.create': 'Создал помещение',
  'admin.room.update': 'Изменил помещение',
  'admin.room.delete': 'Удалил помещение',
  'admin.camera.create': 'Добавил камеру',
  'admin.camera.update': 'Изменил камеру',
  'admin.camera.delete': 'Удалил камеру',
  'admin.child.create': 'Добавил ребёнка',
  'admin.child.update': 'Изменил данные ребёнка',
  'admin.child.delete': 'Удалил ребёнка',
  'admin.enrolment.create': 'Зачислил ребёнка в группу',
  'admin.enrolment.update': 'Изменил зачисление',
  'admin.enrolment.delete': 'Удалил зачисление',
  'admin.guardian_link.create': 'Добавил законного представителя',
  'admin.guardian_link.update': 'Изменил связь с законным представителем',
  'admin.guardian_link.delete': 'Удалил законного представителя',
  'admin.person.update': 'Изменил данные человека',
  'admin.person.delete': 'Удалил человека',
  'admin.role_binding.create': 'Выдал роль',
  'admin.role_binding.delete': 'Отозвал роль',
  'admin.subscription.create': 'Оформил подписку',
  'admin.subscription.update': 'Изменил подписку',
  'admin.subscription.delete': 'Удалил подписку',
  'admin.viewing_schedule.create': 'Добавил часы просмотра',
  'admin.viewing_schedule.update': 'Изменил часы просмотра',
  'admin.viewing_schedule.delete': 'Удалил часы просмотра',
  'admin.closed_day.create': 'Добавил нерабочий день',
  'admin.closed_day.update': 'Изменил нерабочий день',
  'admin.closed_day.delete': 'Удалил нерабочий день',
  'admin.consent.create': 'Отметил согласие на показ видео',
  // consent campaigns
  'consent.rule.update': 'Изменил правило согласия',
  'consent.template.publish': 'Опубликовал текст согласия',
  'consent.campaign.launch': 'Начал сбор согласий',
  'consent.campaign.remind': 'Напомнил о согласии',
  'consent.campaign.close': 'Закрыл сбор согласий',
  'consent.answer': 'Ответил на вопрос о согласии',
  // connecting a kindergarten
  'connection.profile.update': 'Изменил требования к камерам',
  'connection.camera.check': 'Проверил камеру при подключении',
  'connection.camera.attest': 'Подтвердил соответствие камеры',
  'connection.go_live': 'Включил показ видео родителям',
  // the paid service
  'billing.subscription.subscribe': 'Подключил платный просмотр',
  'billing.subscription.cancel': 'Отказался от платного просмотра',
  'billing.subscription.suspend': 'Подписка приостановлена за неоплату',
  'billing.subscription.restore': 'Подписка возобновлена после оплаты',
  'billing.subscription.pilot_lapse': 'Подписка закрыта: пилот окончен, родители не подтвердили продолжение',
  'billing.region_price.set': 'Изменил цену для региона',
  'billing.institution_price.set': 'Изменил цену для детского сада',
  'billing.pilot.set': 'Изменил пилотный режим',
  'billing.pilot.end': 'Пилотный режим закончился',
  'billing.run.compute': 'Рассчитал начисления',
  'billing.run.review': 'Проверил начисления',
  'billing.run.reopen': 'Вернул начисления на доработку',
  'billing.run.approve': 'Утвердил начисления',
  'billing.run.export': 'Выгрузил начисления',
  'billing.adjustment.create': 'Добавил корректировку начисления',
  'billing.payments.import': 'Загрузил платежи',
  'billing.arrears.check': 'Проверка задолженности',
  // attendance
  'attendance.device.create': 'Добавил считыватель на входе',
  'attendance.device.delete': 'Удалил считыватель на входе',
  'attendance.register.mark': 'Отметил в табеле посещаемости',
  'attendance.notice.create': 'Сообщил об отсутствии ребёнка',
  'attendance.notice.cancel': 'Отменил сообщение об отсутствии',
  'attendance.order.correct': 'Исправил заказ питания',
  'attendance.child.meal_profile': 'Изменил питание ребёнка',
  // home inspections
  'inspection.start': 'Начал посещение',
  'inspection.view': 'Открыл акт посещения',
  'inspection.seal': 'Подписал акт посещения',
  'inspection.correct': 'Исправил акт посещения',
  'inspection.photo.upload': 'Загрузил фотографию',
  'inspection.photo.view': 'Открыл фотографию',
  'inspection.photo.purge': 'Удаление фотографий по сроку хранения',
  // the demo
  'demo.seed': 'Создание демонстрационных данных',
};

/** Why the policy refused access (src/policy/decision.ts): the audit's «решение» column. */
const DENY_TEXT: Record<DenyReason, string> = {
  not_guardian: 'не законный представитель',
  no_role: 'нет роли для этой камеры',
  guardian_unverified: 'представитель не подтверждён детским садом',
  not_enrolled: 'ребёнок не числится в группе',
  role_not_permitted: 'роли не разрешён просмотр',
  zone_restricted: 'закрытая зона (спальня, туалет)',
  consent_missing: 'нет согласия родителей группы',
  subscription_inactive: 'подписка не активна',
  subscription_unpaid: 'подписка не оплачена',
  camera_disabled: 'камера выключена',
  closed_day: 'нерабочий день',
  outside_viewing_hours: 'вне часов просмотра',
  stream_limit: 'слишком много открытых трансляций',
  reason_required: 'не указана причина просмотра',
  person_disabled: 'учётная запись отключена',
  policy_error: 'ошибка сервера при проверке доступа',
};

/** Why a grant token was refused (src/grants/tokens.ts). */
const TOKEN_TEXT: Record<GrantRejection, string> = {
  malformed: 'повреждённый пропуск',
  unknown_key: 'пропуск подписан неизвестным ключом',
  bad_signature: 'подпись пропуска неверна',
  expired: 'срок пропуска истёк',
  not_yet_valid: 'пропуск ещё не действует',
  wrong_purpose: 'пропуск для другого вида просмотра',
  wrong_camera: 'пропуск для другой камеры',
  wrong_session: 'пропуск другого сеанса',
};

/** Why a login failed (src/identity/rp.ts). */
const LOGIN_TEXT: Record<LoginFailureReason, string> = {
  no_login_attempt: 'вход начат в другом браузере',
  login_attempt_unknown: 'неизвестная попытка входа',
  login_attempt_expired: 'вход занял больше 10 минут',
  login_attempt_reused: 'повторное использование попытки входа',
  provider_error: 'портал входа отказал',
  state_mismatch: 'ответ портала не совпадает с попыткой входа',
  missing_code: 'портал не прислал код',
  missing_pkce: 'нет проверочного кода (PKCE)',
  code_rejected: 'код входа отклонён',
  issuer_mismatch: 'ответ не от того портала',
  audience_mismatch: 'ответ предназначен другому сайту',
  nonce_mismatch: 'ответ портала не совпадает с попыткой входа',
  id_token_expired: 'ответ портала устарел',
  id_token_signature_invalid: 'подпись ответа портала неверна',
  id_token_invalid: 'ответ портала неверен',
  provider_unavailable: 'портал входа недоступен',
  person_disabled: 'учётная запись отключена',
};

/** Roles, as the actor's role and as the basis of a staff decision. */
export const ROLE_TEXT: Record<Role | 'parent' | 'system', string> = {
  parent: 'родитель',
  system: 'система',
  kindergarten_admin: 'администратор детского сада',
  city_operator: 'оператор города',
  auditor: 'аудитор',
  employee: 'сотрудник',
  reception: 'приёмная',
  office_head: 'руководитель учреждения',
  inspector: 'инспектор',
  regional_operator: 'оператор региона',
  teacher: 'воспитатель',
  specialist: 'специалист органа опеки',
  education_officer: 'управление образования',
};

/** Everything else written as a reason: bases of an allow, ends of streams, media and job outcomes. */
const OTHER_REASON_TEXT: Record<string, string> = {
  guardian: 'законный представитель ребёнка из группы',
  staff: 'по роли сотрудника',
  // stream.end
  viewer_closed: 'зритель закрыл просмотр',
  viewer_idle: 'зритель перестал запрашивать видео',
  server_shutdown: 'сервер остановлен',
  server_restart: 'сервер перезапущен',
  sink_error: 'ошибка передачи видео зрителю',
  grant_expired: 'время доступа истекло',
  camera_disabled: 'камера выключена',
  camera_removed: 'камера удалена',
  idle: 'никто не смотрит',
  connection_lost: 'соединение потеряно',
  grant_unused: 'пропуск не использован',
  // media.refused
  no_session: 'нет сеанса входа',
  unknown: 'неизвестная причина',
  grant_spent: 'пропуск уже использован',
  grant_in_use: 'пропуск уже открыт в другом окне',
  session_ended: 'сеанс завершён',
  not_found: 'камера не найдена или нет доступа',
  closed: 'закрыто',
  // billing, inspections, others
  unpaid: 'не оплачено',
  retention: 'истёк срок хранения',
  logout: 'выход',
};

/**
 * Russian words for a reason code, or null when the code is not known. Compound codes are read in
 * parts: `access_revoked:<why>` (a stream cut by a re-check) and `renew_<why>` (refused renewals).
 */
export function reasonText(code: string | null | undefined): string | null {
  if (!code) return null;
  const plain =
    (DENY_TEXT as Record<string, string>)[code] ??
    OTHER_REASON_TEXT[code] ??
    (TOKEN_TEXT as Record<string, string>)[code] ??
    (LOGIN_TEXT as Record<string, string>)[code] ??
    (ROLE_TEXT as Record<string, string>)[code];
  if (plain) return plain;
  const revoked = /^access_revoked:(.+)$/.exec(code);
  if (revoked) return `доступ отозван: ${reasonText(revoked[1]) ?? revoked[1]}`;
  const renew = /^renew_(.+)$/.exec(code);
  if (renew) return `продление отклонено: ${reasonText(renew[1]) ?? renew[1]}`;
  return null;
}

/** A reason that is not a code at all (an inspector's stated reason is written as the reason). */
export function isFreeTextReason(reason: string): boolean {
  return !/^[a-z0-9_.:-]+$/.test(reason);
}

export function actionText(code: string): string | null {
  return ACTION_TEXT[code] ?? null;
}

/** What kind of object an entry is about. */
export const TARGET_KIND_TEXT: Readonly<Record<string, string>> = {
  camera: 'камера',
  child: 'ребёнок',
  person: 'человек',
  room: 'помещение',
  institution: 'учреждение',
  region: 'регион',
  enrolment: 'зачисление',
  guardian_link: 'законный представитель',
  subscription: 'подписка',
  viewing_schedule: 'часы просмотра',
  closed_day: 'нерабочий день',
  consent: 'согласие',
  role_binding: 'роль',
  session: 'сеанс',
  recordings: 'записи',
  attendance_device: 'считыватель',
  consent_template: 'текст согласия',
  inspection: 'посещение',
  inspection_photo: 'фотография посещения',
  run: 'начисления',
  payments: 'платежи',
  arrears: 'задолженность',
  region_price: 'цена региона',
  institution_price: 'цена детского сада',
  pilot: 'пилотный режим',
  adjustment: 'корректировка',
};

/** Labels of the keys found in `details` (and in its before/after views). Unknown keys show as written. */
export const DETAIL_KEY_TEXT: Readonly<Record<string, string>> = {
  before: 'было',
  after: 'стало',
  name: 'название',
  fullName: 'имя',
  displayName: 'имя',
  birthDate: 'дата рождения',
  email: 'почта',
  phone: 'телефон',
  kind: 'вид',
  zone: 'зона',
  zoneReason: 'причина смены зоны',
  relation: 'кем приходится',
  verified: 'подтверждён',
  enabled: 'включена',
  disabled: 'отключён',
  audioAllowed: 'звук',
  recordingPolicy: 'запись',
  sourceUrl: 'адрес камеры',
  rtspTransport: 'транспорт RTSP',
  startDate: 'с',
  endDate: 'по',
  startsOn: 'с',
  endsOn: 'по',
  day: 'день',
  days: 'дни',
  weekday: 'день недели',
  weekdays: 'дни недели',
  start: 'начало',
  end: 'конец',
  from: 'с',
  to: 'по',
  fromDay: 'с',
  toDay: 'по',
  role: 'роль',
  scopeKind: 'уровень',
  status: 'состояние',
  reason: 'причина',
  statedReason: 'указанная причина',
  purpose: 'цель',
  rows: 'строк',
  filter: 'фильтр',
  bytes: 'байт',
  transport: 'способ передачи',
  count: 'раз',
  segments: 'фрагментов',
  deletedSegments: 'удалено фрагментов',
  deletedBytes: 'удалено байт',
  heldSegments: 'фрагментов на удержании',
  keepDays: 'хранить дней',
  roomKind: 'вид помещения',
  ringBuffer: 'кольцевая запись',
  windows: 'окна',
  format: 'формат',
  lineCount: 'строк',
  totalKopecks: 'сумма, коп.',
  amountKopecks: 'сумма, коп.',
  version: 'версия',
  title: 'заголовок',
  answer: 'ответ',
  message: 'сообщение',
  error: 'ошибка',
  issuer: 'портал входа',
  personCreated: 'человек создан',
  today: 'день',
  passed: 'пройдено',
  problems: 'замечания',
  mime: 'тип файла',
  variant: 'вариант',
  photos: 'фотографий',
  pendingGuardians: 'не ответили',
  quantity: 'количество',
  ageGroup: 'возрастная группа',
  diet: 'питание',
  position: 'место',
  startedAt: 'начато',
  durationMs: 'длительность, мс',
  skewMs: 'расхождение часов, мс',
  asOf: 'на дату',
  freePilot: 'бесплатный пилот',
  consentRequired: 'нужно согласие родителей',
  timeZone: 'часовой пояс',
  monthlyFeeMinor: 'плата в месяц, коп.',
  paid: 'оплачено',
  charged: 'начислено',
  overdue: 'просрочено',
  live: 'показ включён',
  marks: 'отметки',
  previous: 'было',
  groupConsent: 'согласие группы',
  cameras: 'камеры',
  keyId: 'ключ',
  sha256: 'контрольная сумма',
};

/** Values that read better in words. */
function valueText(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (v === true) return 'да';
  if (v === false) return 'нет';
  if (typeof v === 'string') {
    const words = ROLE_TEXT[v as Role] ?? TARGET_KIND_TEXT[v] ?? ZONE_TEXT[v];
    return words ?? v;
  }
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${keyText(k)}: ${valueText(x)}`)
    .join('; ');
}

const ZONE_TEXT: Readonly<Record<string, string>> = {
  common: 'общая',
  restricted: 'закрытая',
};

function keyText(k: string): string {
  return DETAIL_KEY_TEXT[k] ?? k;
}

export interface DetailLine {
  /** the key in Russian where known, else the key */
  label: string;
  value: string;
  /** the key as written */
  key: string;
}

const MAX_LINES = 40;
const MAX_VALUE = 300;

function clip(s: string): string {
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `details` as readable lines. An admin change (`before`/`after`) becomes one line per changed field
 * («название: Пчёлки → Пчёлки-2»); a creation lists the new values, a deletion the old ones; any other
 * key is one «ключ: значение» line. Ids are left out of before/after (the row names the objects).
 */
export function detailLines(details: unknown): DetailLine[] {
  if (details === null || details === undefined) return [];
  if (!isRecord(details)) return [{ key: 'details', label: 'подробности', value: clip(valueText(details)) }];
  const lines: DetailLine[] = [];
  const { before, after, ...rest } = details;
  const skip = (k: string) => k === 'id' || k === 'createdAt' || k === 'updatedAt';
  if (isRecord(before) && isRecord(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (skip(k)) continue;
      const a = JSON.stringify(before[k] ?? null);
      const b = JSON.stringify(after[k] ?? null);
      if (a !== b)
        lines.push({
          key: k,
          label: keyText(k),
          value: clip(`${valueText(before[k])} → ${valueText(after[k])}`),
        });
    }
  } else {
    for (const [side, view] of [
      ['after', after],
      ['before', before],
    ] as const) {
      if (isRecord(view)) {
        for (const [k, v] of Object.entries(view))
          if (!skip(k)) lines.push({ key: k, label: keyText(k), value: clip(valueText(v)) });
      } else if (view !== null && view !== undefined)
        lines.push({ key: side, label: keyText(side), value: clip(valueText(view)) });
    }
  }
  for (const [k, v] of Object.entries(rest))
    lines.push({ key: k, label: keyText(k), value: clip(valueText(v)) });
  return lines.slice(0, MAX_LINES);
}
