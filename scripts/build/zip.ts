import { createHash } from 'node:crypto';
import yazl from 'yazl';

/**
 * A reproducible zip: entries in the order given (callers sort them), a fixed DOS
 * timestamp, fixed permissions, no extended-timestamp field, maximum deflate level.
 * The same inputs give the same bytes on any machine with the same zlib.
 */

/** 1980-01-01 00:00:00, the DOS epoch. Built from local-time parts because DOS
 *  timestamps are local time: this encodes the same bytes in every time zone. */
export const FIXED_MTIME = (): Date => new Date(1980, 0, 1, 0, 0, 0, 0);

/** Regular file, rw-r--r--: Lambda only needs to read the files. */
export const FILE_MODE = 0o100644;

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

export async function createDeterministicZip(entries: readonly ZipEntry[]): Promise<Buffer> {
  const names = new Set<string>();
  for (const entry of entries) {
    if (names.has(entry.name)) throw new Error(`Duplicate zip entry ${entry.name}`);
    names.add(entry.name);
  }
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    zip.addBuffer(Buffer.from(entry.data), entry.name, {
      mtime: FIXED_MTIME(),
      mode: FILE_MODE,
      compress: true,
      compressionLevel: 9,
      forceDosTimestamp: true,
    });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
