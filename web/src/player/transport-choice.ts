/**
 * Which way the live picture reaches this browser, as a pure function of what the browser has
 * (so it is tested without one):
 *
 * - `managed-mse`: WebSocket into **ManagedMediaSource** — Safari 17+, and the only Media Source on
 *   iPhone (iOS 17.1+), where `window.MediaSource` does not exist. Apple's recommended flavour
 *   wherever it is present: the browser may manage the buffer to save power.
 * - `mse`: WebSocket into **MediaSource** (Chromium, Firefox, older desktop Safari).
 * - `native-hls`: the `<video>` element plays the Low-Latency HLS playlist itself (iPhone before
 *   17.1; and wherever Media Source cannot decode the camera's codec, e.g. H.265 in most browsers).
 * - `hlsjs`: hls.js (itself on Media Source) where HLS is wanted but not native: a network that
 *   blocks WebSockets, or HLS forced (`?transport=hls`, for tests and troubleshooting).
 */
export type TransportMode = 'managed-mse' | 'mse' | 'native-hls' | 'hlsjs';

export interface BrowserMedia {
  managedMediaSource: boolean;
  mediaSource: boolean;
  /** `video.canPlayType('application/vnd.apple.mpegurl') !== ''` */
  nativeHls: boolean;
}

export interface TransportWishes {
  /** HLS asked for (the `transport=hls` query parameter) or needed (WebSockets never delivered). */
  hls: boolean;
  /** Media Source refused this camera's codec: only native HLS may play it. */
  mseCodecUnsupported: boolean;
}

/** What the browser has, read from the window and a video element. */
export function browserMedia(win: object, video: { canPlayType(type: string): string }): BrowserMedia {
  const w = win as { ManagedMediaSource?: unknown; MediaSource?: unknown };
  return {
    managedMediaSource: typeof w.ManagedMediaSource === 'function',
    mediaSource: typeof w.MediaSource === 'function',
    nativeHls: video.canPlayType('application/vnd.apple.mpegurl') !== '',
  };
}

/** The transport to use, or null when this browser cannot play the stream at all. */
export function chooseTransport(media: BrowserMedia, wishes: TransportWishes): TransportMode | null {
  const anyMse = media.managedMediaSource || media.mediaSource;
  if (wishes.mseCodecUnsupported) return media.nativeHls ? 'native-hls' : null;
  if (wishes.hls) {
    // hls.js on a desktop's MediaSource; the phone's own player where there is one (iPhone: native
    // HLS is hardware-decoded and keeps playing with the screen locked).
    if (media.mediaSource) return 'hlsjs';
    if (media.nativeHls) return 'native-hls';
    return anyMse ? 'hlsjs' : null;
  }
  if (media.managedMediaSource) return 'managed-mse';
  if (media.mediaSource) return 'mse';
  if (media.nativeHls) return 'native-hls';
  return null;
}

/** `?transport=hls` on the page forces the HLS path. */
export function hlsForced(search: string): boolean {
  return new URLSearchParams(search).get('transport') === 'hls';
}
