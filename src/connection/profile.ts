/**
 * The city's standard connection scheme as data (docs/design/connection.md): what a kindergarten's
 * camera must deliver, checked against what the camera probe measured. Pure: no I/O.
 *
 * Each requirement answers met / not met (or `manual` where only a person at the camera can tell),
 * in Russian, with what to change on the camera.
 */
export interface ConnectionProfile {
  /** H.265 allowed in addition to H.264 */
  allowH265: boolean;
  minWidth: number;
  minHeight: number;
  maxWidth: number;
  maxHeight: number;
  minFps: number;
  maxFps: number;
  /** the longest key-frame interval, seconds (a new viewer waits at most this long for a picture) */
  maxKeyframeIntervalS: number;
  minBitrateKbps: number;
  maxBitrateKbps: number;
  /** sound from group rooms is never sent to parents */
  audioOffInGroups: boolean;
  /** the camera's clock synchronised (NTP) */
  timeSyncRequired: boolean;
}

/** The city's recommendation when an operator has not set another. */
export const DEFAULT_PROFILE: ConnectionProfile = {
  allowH265: false,
  minWidth: 1280,
  minHeight: 720,
  maxWidth: 1920,
  maxHeight: 1080,
  minFps: 12,
  maxFps: 25,
  maxKeyframeIntervalS: 2,
  minBitrateKbps: 1000,
  maxBitrateKbps: 4000,
  audioOffInGroups: true,
  timeSyncRequired: true,
};

export interface ProbedVideo {
  codec: string;
  width: number;
  height: number;
  fps?: number | undefined;
  keyframeIntervalMs?: number | undefined;
}

export interface ProbedCamera {
  video: ProbedVideo;
  audio?: { codec: string } | undefined;
}

export type RequirementKey = 'codec' | 'resolution' | 'fps' | 'keyframe' | 'bitrate' | 'audio' | 'time_sync';

export interface Requirement {
  key: RequirementKey;
  /** `manual`: set on the camera and confirmed by the administrator; Okno cannot measure it */
  state: 'met' | 'not_met' | 'manual';
  /** what the city requires, in Russian */
  required: string;
  /** what the camera delivers, in Russian */
  actual: string;
  /** how to fix it on the camera (empty when met) */
  fix: string;
}

const codecName = (c: string) => (c === 'hevc' || c === 'h265' ? 'H.265' : c === 'h264' ? 'H.264' : c);

export function checkCamera(
  probe: ProbedCamera,
  profile: ConnectionProfile,
  ctx: { roomKind: string; audioAllowed: boolean },
): Requirement[] {
  const v = probe.video;
  const out: Requirement[] = [];
  const codecOk = v.codec === 'h264' || (profile.allowH265 && v.codec === 'hevc');
  out.push({
    key: 'codec',
    state: codecOk ? 'met' : 'not_met',
    required: profile.allowH265 ? 'H.264 или H.265' : 'H.264',
    actual: codecName(v.codec),
    fix: codecOk ? '' : 'В настройках видео камеры выберите кодек H.264 (основной поток).',
  });
  const resOk =
    v.width >= profile.minWidth &&
    v.height >= profile.minHeight &&
    v.width <= profile.maxWidth &&
    v.height <= profile.maxHeight;
  out.push({
    key: 'resolution',
    state: resOk ? 'met' : 'not_met',
    required: `от ${profile.minWidth}×${profile.minHeight} до ${profile.maxWidth}×${profile.maxHeight}`,
    actual: `${v.width}×${v.height}`,
    fix: resOk
      ? ''
      : v.width < profile.minWidth || v.height < profile.minHeight
        ? `Увеличьте разрешение основного потока до ${profile.minWidth}×${profile.minHeight} или выше.`
        : `Уменьшите разрешение основного потока до ${profile.maxWidth}×${profile.maxHeight}.`,
  });
  if (v.fps === undefined)
    out.push({
      key: 'fps',
      state: 'manual',
      required: `${profile.minFps}–${profile.maxFps} кадров/с`,
      actual: 'не измерено',
      fix: `Проверьте в настройках камеры частоту кадров: ${profile.minFps}–${profile.maxFps} кадров/с.`,
    });
  else {
    const ok = v.fps >= profile.minFps - 0.5 && v.fps <= profile.maxFps + 0.5;
    out.push({
      key: 'fps',
      state: ok ? 'met' : 'not_met',
      required: `${profile.minFps}–${profile.maxFps} кадров/с`,
      actual: `${Math.round(v.fps * 10) / 10} кадров/с`,
      fix: ok ? '' : `Установите частоту кадров ${profile.maxFps} кадров/с.`,
    });
  }
  if (v.keyframeIntervalMs === undefined)
    out.push({
      key: 'keyframe',
      state: 'not_met',
      required: `не реже раза в ${profile.maxKeyframeIntervalS} с`,
      actual: 'за время проверки опорных кадров было меньше двух',
      fix: `Установите интервал опорных кадров (GOP, I-frame interval) не больше ${profile.maxKeyframeIntervalS} с — например, равным частоте кадров.`,
    });
  else {
    const s = v.keyframeIntervalMs / 1000;
    const ok = s <= profile.maxKeyframeIntervalS + 0.05;
    out.push({
      key: 'keyframe',
      state: ok ? 'met' : 'not_met',
      required: `не реже раза в ${profile.maxKeyframeIntervalS} с`,
      actual: `раз в ${Math.round(s * 10) / 10} с`,
      fix: ok
        ? ''
        : `Уменьшите интервал опорных кадров (GOP, I-frame interval) до ${profile.maxKeyframeIntervalS} с или меньше: ` +
          'иначе родитель ждёт картинку дольше.',
    });
  }
  out.push({
    key: 'bitrate',
    state: 'manual',
    required: `${profile.minBitrateKbps / 1000}–${profile.maxBitrateKbps / 1000} Мбит/с (постоянный или ограниченный)`,
    actual: 'задаётся в настройках камеры',
    fix: `Установите битрейт основного потока не больше ${profile.maxBitrateKbps / 1000} Мбит/с.`,
  });
  const group = ctx.roomKind === 'group' || ctx.roomKind === 'hall';
  if (profile.audioOffInGroups && group) {
    const ok = !ctx.audioAllowed;
    out.push({
      key: 'audio',
      state: ok ? 'met' : 'not_met',
      required: 'звук из группы не передаётся',
      actual: ctx.audioAllowed
        ? 'звук включён в настройках камеры в Окне'
        : probe.audio
          ? 'камера передаёт звук, Окно его отбрасывает'
          : 'звука нет',
      fix: ok ? '' : 'Выключите «Звук» в настройках камеры в Окне (и, лучше, микрофон на самой камере).',
    });
  }
  if (profile.timeSyncRequired)
    out.push({
      key: 'time_sync',
      state: 'manual',
      required: 'часы камеры синхронизированы (NTP)',
      actual: 'подтверждает администратор',
      fix: 'Включите на камере синхронизацию времени (NTP) с сервером, который указал город.',
    });
  return out;
}

/** Whether the camera passes: every measurable requirement met (manual ones are confirmed by a person). */
export function passes(reqs: readonly Requirement[]): boolean {
  return reqs.every((r) => r.state !== 'not_met');
}

/**
 * The uplink a site needs: each camera sends one stream to Okno (viewers are served by Okno, never by
 * the site), at most the profile's bit rate, plus a quarter for bursts and the network's overhead.
 */
export function uplinkMbps(cameras: number, profile: ConnectionProfile): number {
  return Math.ceil(((cameras * profile.maxBitrateKbps) / 1000) * 1.25 * 10) / 10;
}

export type StepKey = 'rooms' | 'cameras_checked' | 'attested' | 'network' | 'consent' | 'live';
export interface Step {
  key: StepKey;
  done: boolean;
  detail: string;
}

export interface ConnectionFacts {
  groups: number;
  commonGroups: number;
  cameras: number;
  camerasPassed: number;
  camerasAttested: number;
  uplinkMbps: number;
  groupsWithConsent: number;
  wentLiveAt: string | null;
}

/** The go-live checklist, in the order the wizard walks it. */
export function checklist(f: ConnectionFacts): Step[] {
  return [
    {
      key: 'rooms',
      done: f.commonGroups > 0,
      detail: `групп: ${f.groups}, из них с общей зоной для показа: ${f.commonGroups}`,
    },
    {
      key: 'cameras_checked',
      done: f.cameras > 0 && f.camerasPassed === f.cameras,
      detail: `камер проверено и соответствует требованиям: ${f.camerasPassed} из ${f.cameras}`,
    },
    {
      key: 'attested',
      done: f.cameras > 0 && f.camerasAttested === f.cameras,
      detail: `изображение подтверждено: ${f.camerasAttested} из ${f.cameras}`,
    },
    { key: 'network', done: f.cameras > 0, detail: `нужен исходящий канал не менее ${f.uplinkMbps} Мбит/с` },
    {
      key: 'consent',
      done: f.groupsWithConsent > 0,
      detail: `групп с согласием родителей: ${f.groupsWithConsent} из ${f.commonGroups}`,
    },
    {
      key: 'live',
      done: f.wentLiveAt !== null,
      detail: f.wentLiveAt ? `подключён ${f.wentLiveAt.slice(0, 10)}` : 'ещё не подключён',
    },
  ];
}
