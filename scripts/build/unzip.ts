import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import yauzl from 'yauzl';

/** Reading zips back (tests, checks, the emulator's function loader): entries in stored order with their metadata. */

export interface UnzippedEntry {
  readonly name: string;
  readonly data: Buffer;
  /** Unix mode from the external attributes (e.g. 0o100644). */
  readonly mode: number;
  readonly dosDate: number;
  readonly dosTime: number;
  /** Extra fields present (an extended timestamp would show up here). */
  readonly extraFieldIds: readonly number[];
}

export async function readZip(zipPath: string): Promise<UnzippedEntry[]> {
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, strictFileNames: true });
  const entries: UnzippedEntry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const stream = await zip.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
      entries.push({
        name: entry.fileName,
        data: Buffer.concat(chunks),
        mode: (entry.externalFileAttributes >>> 16) & 0xffff,
        dosDate: entry.lastModFileDate,
        dosTime: entry.lastModFileTime,
        extraFieldIds: entry.extraFields.map((field) => field.id),
      });
    }
  } finally {
    zip.close();
  }
  return entries;
}

/** Unzip into `dir` (created if needed), refusing entries that would escape it. */
export async function extractZip(zipPath: string, dir: string): Promise<string[]> {
  const entries = await readZip(zipPath);
  const root = path.resolve(dir);
  for (const entry of entries) {
    const target = path.resolve(root, entry.name);
    if (!target.startsWith(root + path.sep)) throw new Error(`Zip entry ${entry.name} escapes ${dir}`);
    if (entry.name.endsWith('/')) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, entry.data, { mode: entry.mode & 0o777 });
  }
  return entries.map((entry) => entry.name);
}
