/**
 * The live player on screen: the video, its state in words (an aria-live region), a faint overlay
 * with the viewer's pseudonymous tag and the time, sound and full-screen buttons, and no way to
 * download (no native controls, `controlsList="nodownload"`, no context menu, no picture-in-picture).
 */
import type { TargetedKeyboardEvent } from 'preact';
import { cameraFailureText } from '../camera-failure.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type StreamGrant } from '../api.js';
import { formatNextOpen, formatTime } from '../format.js';
import { Icon } from '../icons.js';
import { reasonWords, useI18n, type Translate } from '../i18n.js';
import { useNow } from '../hooks.js';
import { Spinner } from '../ui.js';
import { LivePlayer, type PlayerState } from './live-player.js';
import { retryHelps } from './live-policy.js';
import { hlsForced } from './transport-choice.js';

export function reasonText(reason: string, t: Translate): string {
  return reasonWords(reason, t) ?? t('reason.unknown', { reason });
}

export function LiveView({
  cameraId,
  cameraName,
  timeZone,
  grant: heldGrant,
}: {
  cameraId: string;
  cameraName: string;
  /** the institution's time zone, for "opens at" */
  timeZone?: string;
  /** a fresh grant the caller already holds for this camera */
  grant?: { grant: StreamGrant; ageMs: number };
}) {
  const { t, lang } = useI18n();
  const videoRef = useRef<HTMLVideoElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const playerRef = useRef<LivePlayer | null>(null);
  const [state, setState] = useState<PlayerState>({ kind: 'connecting' });
  const [viewerTag, setViewerTag] = useState('');
  const [needsTap, setNeedsTap] = useState(false);
  const [hasAudio, setHasAudio] = useState(false);
  const [cameraReason, setCameraReason] = useState<string | null>(null);
  const [muted, setMuted] = useState(true);
  const [fullscreen, setFullscreen] = useState(false);
  const [transport, setTransport] = useState<string>('');
  const now = useNow(1000);

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const player: LivePlayer = new LivePlayer(
      video,
      cameraId,
      api,
      {
        state: (s) => {
          setState(s);
          setTransport(player.mode ?? '');
        },
        grant: (g) => setViewerTag(g.viewerTag),
        needsTap: setNeedsTap,
        audio: setHasAudio,
        cameraReason: setCameraReason,
      },
      { forceHls: hlsForced(window.location.search) },
    );
    playerRef.current = player;
    player.start(heldGrant);
    return () => {
      player.dispose();
      playerRef.current = null;
    };
    // The grant is only for the first start; a new camera id makes a new player.
  }, [cameraId]);

  useEffect(() => {
    const onChange = () => setFullscreen(document.fullscreenElement === boxRef.current);
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  const toggleFullscreen = () => {
    const box = boxRef.current;
    const video = videoRef.current;
    if (!box || !video) return;
    if (document.fullscreenElement) {
      void document.exitFullscreen();
    } else if (document.fullscreenEnabled) {
      box.requestFullscreen().then(
        () => lockLandscape(),
        () => undefined,
      );
    } else {
      // iPhone: only the video itself can go full screen (a WebKit-only method).
      const webkit = (video as { webkitEnterFullscreen?: () => void }).webkitEnterFullscreen;
      webkit?.call(video);
    }
  };

  const toggleMute = () => {
    const video = videoRef.current;
    if (!video) return;
    video.muted = !video.muted;
    setMuted(video.muted);
  };

  const onKeyDown = (e: TargetedKeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'f' || e.key === 'F') {
      e.preventDefault();
      toggleFullscreen();
    } else if ((e.key === 'm' || e.key === 'M') && hasAudio) {
      e.preventDefault();
      toggleMute();
    }
  };

  const blockMenu = (e: Event) => e.preventDefault();
  // The overlay moves between corners every minute, so it cannot simply be cropped away.
  const corner = Math.floor(now.getTime() / 60_000) % 4;
  const isLive = state.kind === 'live';

  return (
    <div
      class={`player player-${state.kind}${fullscreen ? ' player-fullscreen' : ''}`}
      ref={boxRef}
      onContextMenu={blockMenu}
      onKeyDown={onKeyDown}
      role="region"
      aria-label={`${t('player.region')}: ${cameraName}`}
      data-transport={transport || undefined}
    >
      <video
        ref={videoRef}
        class="player-video"
        muted
        autoplay
        playsInline
        disablePictureInPicture
        disableRemotePlayback
        controlsList="nodownload noremoteplayback noplaybackrate"
        onContextMenu={blockMenu}
        aria-hidden="true"
        tabIndex={-1}
      />
      {viewerTag ? (
        <div class={`player-watermark corner-${corner}`} aria-hidden="true">
          <span>{t('player.overlay', { tag: viewerTag })}</span>
          <span>{formatTime(now, lang, undefined, true)}</span>
        </div>
      ) : null}

      <div class={`player-status${isLive ? ' is-live' : ''}`} role="status" aria-live="polite">
        <StatusText state={state} t={t} lang={lang} timeZone={timeZone} />
        {!isLive && state.kind !== 'ended' && cameraFailureText(lang, cameraReason) ? (
          <span class="player-reason">{cameraFailureText(lang, cameraReason)?.viewer}</span>
        ) : null}
      </div>

      {state.kind === 'ended' || state.kind === 'unsupported' ? (
        <div class="player-actions">
          {state.kind === 'ended' && retryHelps(state.reason) ? (
            <button type="button" class="btn btn-primary" onClick={() => playerRef.current?.retry()}>
              <Icon name="refresh" size={18} />
              <span>{t('player.tryAgain')}</span>
            </button>
          ) : null}
        </div>
      ) : null}

      {needsTap && isLive ? (
        <button type="button" class="player-tap" onClick={() => playerRef.current?.play()}>
          <Icon name="play" size={36} />
          <span>{t('player.tapToPlay')}</span>
        </button>
      ) : null}

      <div class="player-controls">
        {hasAudio ? (
          <button
            type="button"
            class="player-button"
            onClick={toggleMute}
            aria-pressed={!muted}
            aria-label={muted ? t('player.unmute') : t('player.mute')}
            title={muted ? t('player.unmute') : t('player.mute')}
          >
            <Icon name={muted ? 'volumeOff' : 'volumeOn'} size={22} />
          </button>
        ) : null}
        <button
          type="button"
          class="player-button"
          onClick={toggleFullscreen}
          aria-label={fullscreen ? t('player.exitFullscreen') : t('player.fullscreen')}
          title={fullscreen ? t('player.exitFullscreen') : t('player.fullscreen')}
        >
          <Icon name={fullscreen ? 'exitFullscreen' : 'fullscreen'} size={22} />
        </button>
      </div>
    </div>
  );
}

function StatusText({
  state,
  t,
  lang,
  timeZone,
}: {
  state: PlayerState;
  t: Translate;
  lang: 'ru' | 'en';
  timeZone?: string;
}) {
  switch (state.kind) {
    case 'connecting':
      return (
        <span class="status-line">
          <Spinner small />
          {t('player.connecting')}
        </span>
      );
    case 'live':
      return (
        <span class="status-line">
          <span class="live-dot" aria-hidden="true" />
          {t('player.live')}
        </span>
      );
    case 'no_signal':
      return (
        <span class="status-block">
          <Icon name="offline" size={28} />
          <strong>{t('player.noSignal')}</strong>
          <span>{t('player.noSignalHint')}</span>
        </span>
      );
    case 'reconnecting':
      // A dropped connection reads «Нет связи» whichever noticed it first: the frozen picture
      // (no_signal) or the transport giving up (here), so the viewer sees the same words either way.
      return (
        <span class="status-block">
          <Spinner />
          {state.cause === 'camera_offline' ? (
            <strong>{t('player.cameraOffline')}</strong>
          ) : (
            <>
              <strong>{t('player.noSignal')}</strong>
              <span>{t('player.reconnecting')}</span>
            </>
          )}
          {/* the countdown is for the eyes only: announced every second it would drown the message */}
          <Countdown until={state.retryAt} />
        </span>
      );
    case 'outside_hours':
    case 'closed_day': {
      const next = state.nextOpenAt ? formatNextOpen(state.nextOpenAt, lang, timeZone) : null;
      return (
        <span class="status-block">
          <Icon name="moon" size={28} />
          <strong>{state.kind === 'closed_day' ? t('player.closedDay') : t('player.outsideHours')}</strong>
          {next ? (
            <span>
              {t('player.opensAt', { when: next.text })}
              {next.zoneNote ? ` (${t('time.localNote')})` : ''}
            </span>
          ) : null}
        </span>
      );
    }
    case 'ended':
      return (
        <span class="status-block">
          <Icon name={state.reason === 'camera_disabled' ? 'camera' : 'lock'} size={28} />
          <strong>{state.reason === 'camera_disabled' ? t('player.cameraOff') : t('player.ended')}</strong>
          <span>{reasonText(state.reason, t)}</span>
        </span>
      );
    case 'unsupported':
      return (
        <span class="status-block">
          <Icon name="alert" size={28} />
          <span>{t('player.unsupported')}</span>
        </span>
      );
  }
}

function Countdown({ until }: { until: number }) {
  const { t } = useI18n();
  const now = useNow(250);
  const seconds = Math.max(0, Math.ceil((until - now.getTime()) / 1000));
  return (
    <span class="player-countdown" aria-hidden="true">
      {seconds > 0 ? t('player.retryIn', { seconds }) : '\u00a0'}
    </span>
  );
}

function lockLandscape(): void {
  const o = screen.orientation as ScreenOrientation & { lock?: (o: string) => Promise<void> };
  o.lock?.('landscape').catch(() => undefined);
}
