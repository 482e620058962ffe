import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A server binary `npm start` needs, and exactly how to get it when it is missing. */
export interface MissingBinary {
  readonly what: string;
  readonly install: readonly string[];
}

/** PostgreSQL's bin folder: `pg_config --bindir`, else the newest /usr/lib/postgresql/<v>/bin. */
export function findPostgresBinDir(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config absent: look where Debian puts the server
  }
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join('/usr/lib/postgresql', version, 'bin')));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

export function findOnPath(binary: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(':')) {
    if (dir && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

/** What is missing to run real PostgreSQL and Redis locally (empty when all is there). */
export function missingServerBinaries(path: string | undefined): MissingBinary[] {
  const missing: MissingBinary[] = [];
  if (findPostgresBinDir() === undefined) {
    missing.push({
      what: 'PostgreSQL server binaries (initdb, pg_ctl)',
      install: ['Debian/Ubuntu: sudo apt-get install -y postgresql-15   (or the distribution\'s "postgresql" package)', 'macOS:         brew install postgresql@15'],
    });
  }
  if (findOnPath('redis-server', path) === undefined) {
    missing.push({ what: 'Redis server (redis-server, 7.x)', install: ['Debian/Ubuntu: sudo apt-get install -y redis-server', 'macOS:         brew install redis'] });
  }
  return missing;
}

export function describeMissing(missing: readonly MissingBinary[]): string {
  return [
    'npm start needs real PostgreSQL and Redis servers on this machine and could not find:',
    ...missing.flatMap((item) => [`  - ${item.what}`, ...item.install.map((line) => `      ${line}`)]),
    'Install them and run `npm start` again. (Nothing is started or changed until they are there.)',
  ].join('\n');
}
