/**
 * Why a camera is not live, for people: the typed reason the server sends (health API `reason`,
 * WebSocket `{type:'status', reason}`; src/media/failure.ts) as a short label, what a viewer is told
 * and what an operator or administrator should check. Kept apart from i18n.ts, in both languages.
 */
export type CameraFailureCode =
  | 'unreachable'
  | 'auth_failed'
  | 'not_found'
  | 'timeout'
  | 'no_video'
  | 'unsupported_codec'
  | 'stalled'
  | 'internal';

interface Text {
  short: string;
  viewer: string;
  operator: string;
}

const ru: Record<CameraFailureCode, Text> = {
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

const en: Record<CameraFailureCode, Text> = {
  unreachable: {
    short: 'not answering',
    viewer:
      'The camera does not answer. We will reconnect as soon as it is back; tell the teacher if it lasts.',
    operator: 'Check the camera’s power and network: its address refuses connections.',
  },
  auth_failed: {
    short: 'wrong user name or password',
    viewer: 'The camera refused access. The kindergarten’s administrator can fix this; try again later.',
    operator: 'The camera refuses the user name or password: check them in the camera’s settings.',
  },
  not_found: {
    short: 'stream not found',
    viewer: 'The camera has no such stream. Tell the kindergarten’s administrator.',
    operator: 'The camera answers but has no stream at this path: check the path in its URL.',
  },
  timeout: {
    short: 'answers too slowly',
    viewer: 'The camera answers too slowly. We keep trying; try again in a minute.',
    operator:
      'The camera accepts the connection but does not answer in time: restart it or check the network.',
  },
  no_video: {
    short: 'no video',
    viewer: 'The camera is connected but sends no picture. Tell the kindergarten’s administrator.',
    operator: 'The camera answers without a video stream: check its video encoder settings.',
  },
  unsupported_codec: {
    short: 'unsupported video format',
    viewer: 'The camera sends video in a format we cannot show. Tell the kindergarten’s administrator.',
    operator: 'The video format is not supported: set the camera’s codec to H.264 (or H.265).',
  },
  stalled: {
    short: 'video stopped',
    viewer: 'The camera’s video stopped. We are restarting it; wait a few seconds.',
    operator: 'The video stopped or its timestamps stopped advancing; the stream was restarted.',
  },
  internal: {
    short: 'server error',
    viewer: 'A server error. Try again later.',
    operator: 'The server could not start video processing (ffmpeg): check the installation.',
  },
};

/** The texts for a reason code, or undefined for a code this version does not know. */
export function cameraFailureText(lang: 'ru' | 'en', code: string | null | undefined): Text | undefined {
  if (!code) return undefined;
  const table = lang === 'en' ? en : ru;
  return Object.prototype.hasOwnProperty.call(table, code) ? table[code as CameraFailureCode] : undefined;
}

/** "Checked 10:42: fine" / "Проверена в 10:42: не отвечает" for the last idle check. */
export function lastCheckLabel(
  lang: 'ru' | 'en',
  check: { at: string; ok: boolean; reason: string | null },
): string {
  const time = new Date(check.at).toLocaleTimeString(lang === 'en' ? 'en-GB' : 'ru-RU', {
    hour: '2-digit',
    minute: '2-digit',
  });
  const what = check.ok
    ? lang === 'en'
      ? 'fine'
      : 'в порядке'
    : (cameraFailureText(lang, check.reason)?.short ?? (lang === 'en' ? 'failed' : 'ошибка'));
  return lang === 'en' ? `Checked at ${time}: ${what}` : `Проверена в ${time}: ${what}`;
}
