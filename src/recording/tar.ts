/**
 * The few parts of POSIX ustar that an export package needs: regular files with short names, written
 * in one pass (a file's size is known before its bytes) and read back with every header checksum
 * checked. Any `tar` program lists and extracts these packages.
 */
import type { FileHandle } from 'node:fs/promises';

export const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar header block for a regular file. */
export function tarHeader(name: string, size: number, mtimeSec: number, mode = 0o644): Buffer {
  if (Buffer.byteLength(name) > 100 || !/^[A-Za-z0-9._-]+$/.test(name))
    throw new Error(`unsupported tar member name: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii'); // uid
  h.write(octal(0, 8), 116, 8, 'ascii'); // gid
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(Math.floor(mtimeSec), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder: spaces
  h.write('0', 156, 1, 'ascii'); // regular file
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('okno', 265, 32, 'ascii');
  h.write('okno', 297, 32, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2, 0);

export interface TarMember {
  name: string;
  size: number;
  /** Offset of the member's data in the archive. */
  dataOffset: number;
}

export class TarFormatError extends Error {}

/** Reads the member list of an archive; throws TarFormatError on a damaged header. */
export async function listTar(fh: FileHandle, fileBytes: number): Promise<TarMember[]> {
  const members: TarMember[] = [];
  let pos = 0;
  const header = Buffer.alloc(BLOCK);
  for (;;) {
    if (pos + BLOCK > fileBytes) throw new TarFormatError(`archive ends inside a header at byte ${pos}`);
    const { bytesRead } = await fh.read(header, 0, BLOCK, pos);
    if (bytesRead !== BLOCK) throw new TarFormatError(`cannot read the header at byte ${pos}`);
    if (header.every((b) => b === 0)) return members;
    const stored = parseInt(header.toString('ascii', 148, 156).replace(/\0/g, ' ').trim(), 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    if (!Number.isFinite(stored) || stored !== sum)
      throw new TarFormatError(`the header at byte ${pos} is damaged (checksum mismatch)`);
    const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(header.toString('ascii', 124, 136).replace(/\0/g, ' ').trim(), 8);
    if (!Number.isFinite(size) || size < 0) throw new TarFormatError(`bad size in the header of ${name}`);
    const dataOffset = pos + BLOCK;
    if (dataOffset + size > fileBytes) throw new TarFormatError(`${name} is cut short`);
    members.push({ name, size, dataOffset });
    pos = dataOffset + size + padding(size).length;
  }
}
