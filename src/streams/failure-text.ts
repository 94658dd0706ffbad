/**
 * What a camera failure means to people, in Russian: a short label, what a viewer (a parent) is told
 * with what to do, and what the operator or administrator should check. The web app has its own copy
 * (web/src/camera-failure.ts, both languages: the server does not load the web bundle); this one is
 * for what the server itself says (alerts, the WebSocket status message). A test
 * (web/test/camera-failure.test.ts) keeps the two Russian texts equal.
 */
import type { CameraFailureCode } from '../media/failure.js';

export const FAILURE_TEXT: Record<CameraFailureCode, { short: string; viewer: string; operator: string }> = {
  unreachable: {
    short: 'не отвечает',
    viewer:
      'Камера не отвечает. Мы подключимся сами, как только она появится в сети; сообщите воспитателю, если это надолго.',
    operator: 'Проверьте питание камеры и сеть: адрес не принимает соединения.',
  },
  auth_failed: {
    short: 'неверный логин или пароль',
    viewer:
      'Камера отказала в доступе. Администратор детского сада уже может это исправить; попробуйте позже.',
    operator: 'Камера не принимает логин или пароль: проверьте их в настройках камеры.',
  },
  not_found: {
    short: 'поток не найден',
    viewer: 'У камеры нет такого видеопотока. Сообщите администратору детского сада.',
    operator: 'Камера отвечает, но по этому пути потока нет: проверьте путь в адресе (URL) камеры.',
  },
  timeout: {
    short: 'не отвечает вовремя',
    viewer: 'Камера отвечает слишком медленно. Мы пробуем снова; попробуйте через минуту.',
    operator: 'Камера принимает соединение, но не отвечает вовремя: перезагрузите её или проверьте сеть.',
  },
  no_video: {
    short: 'нет видео',
    viewer: 'Камера на связи, но не передаёт изображение. Сообщите администратору детского сада.',
    operator: 'Камера отвечает без видеопотока: проверьте настройки кодирования видео в камере.',
  },
  unsupported_codec: {
    short: 'неподдерживаемый формат видео',
    viewer:
      'Камера передаёт видео в формате, который мы не показываем. Сообщите администратору детского сада.',
    operator: 'Формат видео не поддерживается: включите в камере кодек H.264 (или H.265).',
  },
  stalled: {
    short: 'видео остановилось',
    viewer: 'Видео с камеры прервалось. Мы перезапускаем его, подождите несколько секунд.',
    operator: 'Видеопоток остановился или его время перестало идти; трансляция перезапущена.',
  },
  internal: {
    short: 'ошибка сервера',
    viewer: 'Ошибка на сервере. Попробуйте позже.',
    operator: 'Сервер не смог запустить обработку видео (ffmpeg): проверьте установку сервера.',
  },
};
