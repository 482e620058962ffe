import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import type { SecretRecord } from './secret-record.ts';

/** The state file: secrets by region. It holds secret values in clear text: keep it local. */
export interface StateFile {
  readonly format: 1;
  readonly regions: Readonly<Record<string, readonly SecretRecord[]>>;
}

export function loadState(path: string): StateFile | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StateFile>;
  if (parsed.format !== 1 || typeof parsed.regions !== 'object' || parsed.regions === null) {
    throw new Error(`${path} is not an emulator state file (format 1)`);
  }
  return parsed as StateFile;
}

/** Write atomically (temp file + rename) so a crash never leaves half a file. */
export function saveState(path: string, state: StateFile): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state), { mode: 0o600 });
  renameSync(temp, path);
}
