/**
 * What an uploaded file is, and its copies for screens (docs/design/inspections.md, "Images").
 * sharp (libvips) checks that the bytes are an image it can decode and makes the copies; exifr reads
 * the EXIF the camera wrote (time, position, device). The original is never touched.
 *
 * Work is bounded: at most `IMAGE_CONCURRENCY` images are decoded at once in this process, and
 * libvips' operation cache is off, so a burst of uploads queues instead of holding many decoded
 * pictures in memory.
 */
import exifr from 'exifr';
import sharp, { type Metadata } from 'sharp';
import { availableParallelism } from 'node:os';

export const ACCEPTED_FORMATS: Readonly<Record<string, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  heif: 'image/heic',
};
export const THUMB_PX = 320;
export const SCREEN_PX = 1600;
export const IMAGE_CONCURRENCY = Math.max(1, Math.min(4, availableParallelism()));
/** Larger pictures are refused (decompression bombs): 100 megapixels. */
export const MAX_PIXELS = 100_000_000;

sharp.cache(false);

export class ImageRejected extends Error {}

export interface ProcessedImage {
  mime: string;
  width: number;
  height: number;
  exif: Record<string, unknown>;
  thumb: Buffer;
  screen: Buffer;
}

let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= IMAGE_CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** A few EXIF fields worth keeping (all as JSON-safe values). */
function pickExif(raw: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!raw) return {};
  const out: Record<string, unknown> = {};
  for (const k of [
    'Make',
    'Model',
    'Software',
    'DateTimeOriginal',
    'OffsetTimeOriginal',
    'Orientation',
    'latitude',
    'longitude',
    'GPSHPositioningError',
  ]) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    out[k] = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : v;
  }
  return out;
}

/** Checks the file and makes its thumbnail and screen copies; throws ImageRejected for non-images. */
export async function processImage(file: string): Promise<ProcessedImage> {
  return slot(async () => {
    let meta: Metadata;
    try {
      meta = await sharp(file, { limitInputPixels: MAX_PIXELS }).metadata();
    } catch {
      throw new ImageRejected('the file is not a picture Okno can read (JPEG, PNG, WebP or HEIC)');
    }
    const mime = meta.format ? ACCEPTED_FORMATS[meta.format] : undefined;
    if (!mime || !meta.width || !meta.height)
      throw new ImageRejected(
        `pictures must be JPEG, PNG, WebP or HEIC (this one is ${meta.format ?? 'unknown'})`,
      );
    const copy = async (px: number, quality: number) => {
      try {
        return await sharp(file, { limitInputPixels: MAX_PIXELS, failOn: 'error' })
          .rotate()
          .resize(px, px, { fit: 'inside', withoutEnlargement: true })
          .jpeg({ quality, mozjpeg: false })
          .toBuffer();
      } catch (e) {
        throw new ImageRejected(`the picture is damaged and cannot be decoded (${(e as Error).message})`);
      }
    };
    const screen = await copy(SCREEN_PX, 82);
    const thumb = await sharp(screen)
      .resize(THUMB_PX, THUMB_PX, { fit: 'inside' })
      .jpeg({ quality: 72 })
      .toBuffer();
    let exif: Record<string, unknown> = {};
    try {
      exif = pickExif(
        (await exifr.parse(file, { gps: true, tiff: true, exif: true })) as
          Record<string, unknown> | undefined,
      );
    } catch {
      exif = {}; // no or unreadable EXIF: the picture itself is fine
    }
    return { mime, width: meta.width, height: meta.height, exif, thumb, screen };
  });
}
