/**
 * The alert kinds Okno raises today (docs/design/alerts.md, "Kinds"), with a Russian name for
 * e-mails and the settings screen. Kinds are open: a part of Okno may raise a new kind without
 * listing it here (it is then shown by its code); flags of office visits are `flag.*`.
 */
import type { AlertSeverity } from '../storage/schema.js';

export const ALERT_KINDS: Readonly<Record<string, string>> = {
  camera_offline: 'Камера не работает',
  'video.privileged_view': 'Сотрудник смотрит камеру детской группы',
  'access.widened': 'Расширен доступ к видео',
  'access.role_with_video_granted': 'Выдана роль с доступом к видео',
  'access.room_zone_changed': 'Изменена зона помещения с камерами',
  'inspection.clock_skew': 'Время телефона расходится с сервером',
  'flag.*': 'Отметки о приёмах граждан',
};

export const SEVERITY_TEXT: Readonly<Record<AlertSeverity, string>> = {
  info: 'Информация',
  warning: 'Предупреждение',
  critical: 'Критично',
};

export function kindName(kind: string): string {
  if (ALERT_KINDS[kind]) return ALERT_KINDS[kind];
  const prefix = Object.keys(ALERT_KINDS).find((k) => k.endsWith('*') && kind.startsWith(k.slice(0, -1)));
  return prefix ? ALERT_KINDS[prefix]! : kind;
}
