/**
 * Locates the server binaries the local backend runs. A missing binary is reported with the
 * exact command that installs it, so a newcomer's first failure tells them what to do.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export const INSTALL_HINTS = {
  postgres: 'apt-get install -y postgresql-15',
  redis: 'apt-get install -y redis-server',
  openssl: 'apt-get install -y openssl',
  pgbouncer: 'apt-get install -y pgbouncer',
} as const;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const SYSTEM_FOLDERS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** Find `name` on PATH (plus the usual system folders, which a minimal PATH may lack). */
export function findOnPath(
  name: string,
  folders: readonly string[] = [...(process.env.PATH ?? '').split(path.delimiter), ...SYSTEM_FOLDERS],
): string | undefined {
  for (const folder of folders) {
    if (folder === '') continue;
    const candidate = path.join(folder, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function missing(what: string, install: string, looked: string): Error {
  return new Error(`${what} not found (looked in ${looked}). Install it with: ${install}`);
}

/** The path of executable `name` in `folders`, or an error naming the command that installs it. */
export function requireBinary(name: string, install: string, folders?: readonly string[]): string {
  const found = findOnPath(name, folders);
  if (found === undefined)
    throw missing(
      name,
      install,
      folders === undefined ? `PATH, ${SYSTEM_FOLDERS.join(', ')}` : folders.join(', '),
    );
  return found;
}

let postgresBinDir: string | undefined;

function postgresCandidates(): string[] {
  const candidates: string[] = [];
  const pgConfig = findOnPath('pg_config');
  if (pgConfig !== undefined) {
    try {
      candidates.push(
        execFileSync(pgConfig, ['--bindir'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim(),
      );
    } catch {
      // Fall through to the fixed location.
    }
  }
  candidates.push('/usr/lib/postgresql/15/bin');
  return candidates;
}

/** The folder holding `initdb` and `postgres`, or undefined when there is none (yet). */
export function postgresBinDirIfAny(): string | undefined {
  postgresBinDir ??= postgresCandidates().find(
    (dir) => isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'postgres')),
  );
  return postgresBinDir;
}

/**
 * The folder holding PostgreSQL's `initdb` and `postgres`: `pg_config --bindir` when it has
 * them, else Debian's /usr/lib/postgresql/15/bin.
 */
export function postgresBinaries(): { initdb: string; postgres: string } {
  const found = postgresBinDirIfAny();
  if (found === undefined) {
    throw missing(
      'PostgreSQL server binaries (initdb, postgres)',
      INSTALL_HINTS.postgres,
      postgresCandidates().join(', '),
    );
  }
  return { initdb: path.join(found, 'initdb'), postgres: path.join(found, 'postgres') };
}

/** The `redis-server` binary. */
export function redisServerBinary(): string {
  return requireBinary('redis-server', INSTALL_HINTS.redis);
}

/** The `openssl` binary (certificates for the TLS variants). */
export function opensslBinary(): string {
  return requireBinary('openssl', INSTALL_HINTS.openssl);
}
