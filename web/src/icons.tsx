/** Inline SVG icons (no icon font, nothing fetched). Decorative unless given a `label`. */
import type { JSX } from 'preact';

const PATHS = {
  camera:
    'M3 7.5A2.5 2.5 0 0 1 5.5 5h8A2.5 2.5 0 0 1 16 7.5v9a2.5 2.5 0 0 1-2.5 2.5h-8A2.5 2.5 0 0 1 3 16.5zM16 10l5-3v10l-5-3',
  play: 'M8 5.5v13l11-6.5z',
  fullscreen: 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5',
  exitFullscreen: 'M9 4v5H4M15 4v5h5M9 20v-5H4M15 20v-5h5',
  volumeOn: 'M4 9.5h3.5L12 5v14l-4.5-4.5H4zM15.5 8.5a5 5 0 0 1 0 7M18 6a8.5 8.5 0 0 1 0 12',
  volumeOff: 'M4 9.5h3.5L12 5v14l-4.5-4.5H4zM16 9.5l5 5M21 9.5l-5 5',
  bell: 'M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15zM10 20.5a2 2 0 0 0 4 0',
  clock: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 7v5l3.5 2',
  alert: 'M12 3.5 2.5 20h19zM12 10v4.5M12 17.2v.1',
  check: 'M4.5 12.5 9.5 17.5 19.5 7',
  lock: 'M6.5 10.5h11v9h-11zM8.5 10.5V8a3.5 3.5 0 0 1 7 0v2.5',
  logout: 'M14 4h4.5A1.5 1.5 0 0 1 20 5.5v13a1.5 1.5 0 0 1-1.5 1.5H14M10 8l-4 4 4 4M6 12h10',
  back: 'M15 5l-7 7 7 7',
  plus: 'M12 5v14M5 12h14',
  download: 'M12 4v11M7.5 10.5 12 15l4.5-4.5M5 19.5h14',
  shield: 'M12 3 4.5 6v5.5c0 4.5 3.2 8.2 7.5 9.5 4.3-1.3 7.5-5 7.5-9.5V6z',
  people:
    'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2.5 20c.5-3.5 3.2-6 6.5-6s6 2.5 6.5 6M16 4.3a3.5 3.5 0 0 1 0 6.4M18 14.3c2 .8 3.3 2.9 3.5 5.7',
  offline: 'M3 3l18 18M8.5 8.8A8 8 0 0 0 4.5 11M12 5.5a11 11 0 0 1 8 3.3M9.3 14.5a4 4 0 0 1 5.4 0M12 19h.01',
  moon: 'M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z',
  upload: 'M12 20V9M7.5 13.5 12 9l4.5 4.5M5 4.5h14',
  refresh: 'M20 11a8 8 0 1 0-2.3 5.7M20 5v6h-6',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({
  name,
  size = 20,
  label,
  class: cls,
}: {
  name: IconName;
  size?: number;
  label?: string;
  class?: string;
}): JSX.Element {
  return (
    <svg
      class={`icon${cls ? ` ${cls}` : ''}`}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="1.8"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden={label ? undefined : 'true'}
      role={label ? 'img' : undefined}
      aria-label={label}
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}

/** The product mark: a window of four panes. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 32 32"
      aria-hidden="true"
      focusable="false"
      class="logo-mark"
    >
      <rect x="2" y="2" width="28" height="28" rx="8" class="logo-bg" />
      <rect x="8" y="8" width="7" height="7" rx="1.5" fill="#fff" />
      <rect x="17" y="8" width="7" height="7" rx="1.5" fill="#fff" opacity=".85" />
      <rect x="8" y="17" width="7" height="7" rx="1.5" fill="#fff" opacity=".85" />
      <rect x="17" y="17" width="7" height="7" rx="1.5" class="logo-sun" />
    </svg>
  );
}
