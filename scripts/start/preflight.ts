import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A server binary `npm start` needs, and exactly how to get it when it is missing. */
export interface MissingBinary {
  readonly what: string;
  readonly install: readonly string[];
}

/** Where to look. Defaults: PATH plus the usual system folders, and Debian's PostgreSQL folders. */
export interface SearchOptions {
  readonly path: string | undefined;
  readonly systemDirs?: readonly string[];
  readonly postgresRoots?: readonly string[];
  /** Ask `pg_config --bindir` (default true). */
  readonly usePgConfig?: boolean;
}

const SYSTEM_DIRS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(binary: string, options: SearchOptions): string | undefined {
  const dirs = [...(options.path ?? '').split(delimiter), ...(options.systemDirs ?? SYSTEM_DIRS)];
  return dirs
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, binary))
    .find(executable);
}

/** PostgreSQL's bin folder: `pg_config --bindir`, else the newest <root>/<version>/bin. */
export function findPostgresBinDir(options: SearchOptions): string | undefined {
  const candidates: string[] = [];
  const pgConfig = options.usePgConfig === false ? undefined : findOnPath('pg_config', options);
  if (pgConfig) {
    try {
      candidates.push(
        execFileSync(pgConfig, ['--bindir'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim(),
      );
    } catch {
      // a broken pg_config: fall back to the folders below
    }
  }
  for (const root of options.postgresRoots ?? ['/usr/lib/postgresql']) {
    if (!existsSync(root)) continue;
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(root, version, 'bin')));
  }
  return candidates.find((dir) => executable(join(dir, 'initdb')) && executable(join(dir, 'pg_ctl')));
}

/** What is missing to run real PostgreSQL and Redis locally (empty when all is there). */
export function missingServerBinaries(options: SearchOptions): MissingBinary[] {
  const missing: MissingBinary[] = [];
  if (findPostgresBinDir(options) === undefined) {
    missing.push({
      what: 'PostgreSQL server binaries (initdb, pg_ctl)',
      install: [
        'Debian/Ubuntu: sudo apt-get install -y postgresql-15   (or the distribution\'s "postgresql" package)',
        'macOS:         brew install postgresql@15',
      ],
    });
  }
  if (findOnPath('redis-server', options) === undefined) {
    missing.push({
      what: 'Redis server (redis-server, 7.x)',
      install: ['Debian/Ubuntu: sudo apt-get install -y redis-server', 'macOS:         brew install redis'],
    });
  }
  return missing;
}

export function describeMissing(missing: readonly MissingBinary[]): string {
  return [
    'npm start needs real PostgreSQL and Redis servers on this machine and could not find:',
    ...missing.flatMap((item) => [`  - ${item.what}`, ...item.install.map((line) => `      ${line}`)]),
    'Install them and run `npm start` again (or start a container engine: with Docker, the servers run in containers).',
    'Nothing was started or changed.',
  ].join('\n');
}
