/**
 * Temp folders for servers: `<tmpdir>/sm-testbed-<pid>-<random>`, removed by destroy() or at
 * process exit. Folders left by a test process that was killed outright (its pid no longer
 * alive) are swept the first time a new one is made.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onProcessExit, removeQuietly } from './cleanup.ts';

const PREFIX = 'sm-testbed-';
let swept = false;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sweepStale(): void {
  if (swept) return;
  swept = true;
  let names: string[] = [];
  try {
    names = readdirSync(os.tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^sm-testbed-(\d+)-/.exec(name);
    if (match?.[1] !== undefined && !isAlive(Number(match[1]))) removeQuietly(path.join(os.tmpdir(), name));
  }
}

export interface WorkDir {
  readonly path: string;
  /** Remove the folder now (and forget the exit hook). */
  remove(): void;
}

/** Make a fresh temp folder that is removed at process exit unless removed before. */
export function makeWorkDir(kind: string): WorkDir {
  sweepStale();
  const dir = mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-${kind}-`));
  const unregister = onProcessExit(() => removeQuietly(dir));
  return {
    path: dir,
    remove: () => {
      unregister();
      removeQuietly(dir);
    },
  };
}
