import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractZip } from '../build/unzip.ts';

/** Unzip a Lambda bundle once into a fresh temp folder; returns the folder. */
export async function unzipToTemp(zipPath: string): Promise<string> {
  const target = await mkdtemp(join(tmpdir(), 'sm-emulator-fn-'));
  await extractZip(zipPath, target);
  return target;
}
