/** Date, time and number formatting (Intl only; no libraries). Pure functions, tested in web/test. */
import { locale, translate, type Lang } from './i18n.js';

/** The browser's own time zone. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** 'YYYY-MM-DD' of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export function formatTime(at: Date, lang: Lang, timeZone?: string, seconds = false): string {
  return new Intl.DateTimeFormat(locale(lang), {
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).format(at);
}

export function formatDateTime(iso: string, lang: Lang, timeZone?: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(lang), {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    ...(timeZone ? { timeZone } : {}),
  }).format(at);
}

export function formatDate(isoDate: string, lang: Lang): string {
  // A local date 'YYYY-MM-DD' is shown as that calendar day, whatever the browser's zone.
  const at = new Date(`${isoDate}T12:00:00Z`);
  if (Number.isNaN(at.getTime())) return isoDate;
  return new Intl.DateTimeFormat(locale(lang), {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(at);
}

/**
 * When viewing opens next, in words and in the institution's time zone: "today at 07:00",
 * "tomorrow at 07:00", "Mon 3 March at 07:00". `zoneNote` is set when that zone differs from the
 * viewer's, so the screen can say "kindergarten time".
 */
export function formatNextOpen(
  iso: string,
  lang: Lang,
  timeZone: string | undefined,
  now: Date = new Date(),
  viewerZone: string = browserTimeZone(),
): { text: string; zoneNote: boolean } {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return { text: iso, zoneNote: false };
  const zone = timeZone ?? viewerZone;
  const time = formatTime(at, lang, zone);
  const day = localDate(at, zone);
  const today = localDate(now, zone);
  const tomorrow = localDate(new Date(now.getTime() + 24 * 3600_000), zone);
  let text: string;
  if (day === today) text = translate(lang, 'time.today', { time });
  else if (day === tomorrow) text = translate(lang, 'time.tomorrow', { time });
  else {
    const dayText = new Intl.DateTimeFormat(locale(lang), {
      weekday: 'short',
      day: 'numeric',
      month: 'long',
      timeZone: zone,
    }).format(at);
    text = translate(lang, 'time.onDay', { day: dayText, time });
  }
  return { text, zoneNote: !sameOffset(at, zone, viewerZone) };
}

function sameOffset(at: Date, a: string, b: string): boolean {
  return formatTime(at, 'en', a) === formatTime(at, 'en', b) && localDate(at, a) === localDate(at, b);
}

export function formatBitrate(bps: number, lang: Lang): string {
  const nf = (n: number, digits: number) =>
    new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits }).format(n);
  if (bps >= 1_000_000) return `${nf(bps / 1_000_000, 1)} ${lang === 'ru' ? 'Мбит/с' : 'Mbit/s'}`;
  if (bps >= 1_000) return `${nf(bps / 1_000, 0)} ${lang === 'ru' ? 'кбит/с' : 'kbit/s'}`;
  return `${nf(bps, 0)} ${lang === 'ru' ? 'бит/с' : 'bit/s'}`;
}

export function formatSeconds(ms: number, lang: Lang): string {
  const s = ms / 1000;
  const n = new Intl.NumberFormat(locale(lang), { maximumFractionDigits: s < 10 ? 1 : 0 }).format(s);
  return `${n} ${lang === 'ru' ? 'с' : 's'}`;
}

/** `datetime-local` input value ('YYYY-MM-DDTHH:MM') ⇄ ISO instant, in the browser's zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
