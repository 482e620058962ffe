/**
 * One `initdb` per run: the first local PostgreSQL server of a process initialises a
 * template cluster (about 0.6 s on an idle machine, several seconds on a loaded one) and
 * every server copies it (`cp -a`, about 0.15 s) and then gets its own admin password.
 * A process publishes its template at `<workRoot>/sm-testbed-<pid>-pg-template.json` (0600,
 * removed at exit); its child processes (vitest's fork workers, whose parent ran
 * global-setup) reuse it instead of running initdb again.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { scramSha256Verifier } from '../../functions/postgres/scram-verifier.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import { INSTALL_HINTS, postgresBinaries } from './binaries.ts';
import { onProcessExit, removeQuietly } from './cleanup.ts';
import { makeWorkDir, workRoot } from './work-dir.ts';

const run = promisify(execFile);

export interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

/** The `postgres` OS user when we are root (initdb refuses root); undefined when not root. */
export function postgresOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(
      `No 'postgres' OS user to run initdb as (initdb refuses root). Install the server package, which creates it: ${INSTALL_HINTS.postgres}`,
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * PostgreSQL runs as `user`, so every folder above its data must let that user through.
 * Say which one does not (a private TMPDIR is the usual cause) instead of initdb's bare EACCES.
 */
export function assertReachable(dir: string, user: OsUser | undefined): void {
  if (user === undefined) return;
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const stat = statSync(current);
    const passable =
      stat.uid === user.uid
        ? (stat.mode & 0o100) !== 0
        : stat.gid === user.gid
          ? (stat.mode & 0o010) !== 0
          : (stat.mode & 0o001) !== 0;
    if (!passable) {
      throw new Error(
        `The postgres OS user cannot reach ${dir}: ${current} is not traversable (mode ${(stat.mode & 0o777).toString(8)}). Point TMPDIR at a folder like /tmp.`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

/** chown to `user` (when given) and chmod. */
export function give(file: string, user: OsUser | undefined, mode: number): void {
  if (user !== undefined) chownSync(file, user.uid, user.gid);
  chmodSync(file, mode);
}

export interface ClusterTemplate {
  readonly dataDir: string;
  /** The template's admin password: each copy replaces it at first start. */
  readonly password: string;
}

let template: Promise<ClusterTemplate> | undefined;

async function initTemplate(): Promise<ClusterTemplate> {
  const { initdb } = postgresBinaries();
  const user = postgresOsUser();
  const work = makeWorkDir('pg-template');
  try {
    assertReachable(work.path, user);
  } catch (error) {
    work.remove();
    throw error;
  }
  give(work.path, user, 0o755);
  const password = randomBytes(18).toString('base64url');
  const passwordFile = path.join(work.path, 'pw');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  give(passwordFile, user, 0o600);
  const dataDir = path.join(work.path, 'data');
  // 1 MB WAL segments: each copy is 28 MB instead of 39 MB (auth and roles are unaffected).
  const args = [
    '-D',
    dataDir,
    '-U',
    'postgres',
    `--pwfile=${passwordFile}`,
    '--auth=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
    '--no-instructions',
    '--wal-segsize=1',
  ];
  try {
    await run(initdb, args, {
      cwd: work.path,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
      ...(user ?? {}),
    });
  } catch (error) {
    work.remove();
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`initdb failed for ${dataDir}: ${stderr.trim()}`, { cause: error });
  } finally {
    await rm(passwordFile, { force: true });
  }
  const made: ClusterTemplate = { dataDir, password };
  publish(made);
  return made;
}

function pointerPath(pid: number): string {
  return path.join(workRoot(), `sm-testbed-${pid}-pg-template.json`);
}

/** Let child processes find this process's template (the pointer goes when we exit). */
function publish(made: ClusterTemplate): void {
  const pointer = pointerPath(process.pid);
  writeFileSync(pointer, JSON.stringify(made), { mode: 0o600 });
  onProcessExit(() => removeQuietly(pointer));
}

/** The parent process's published template, if it has a complete one. */
function parentTemplate(): ClusterTemplate | undefined {
  try {
    const parsed = JSON.parse(readFileSync(pointerPath(process.ppid), 'utf8')) as Partial<ClusterTemplate>;
    if (typeof parsed.dataDir !== 'string' || typeof parsed.password !== 'string') return undefined;
    if (
      !existsSync(path.join(parsed.dataDir, 'PG_VERSION')) ||
      !existsSync(path.join(parsed.dataDir, 'global', 'pg_control'))
    )
      return undefined;
    return { dataDir: parsed.dataDir, password: parsed.password };
  } catch {
    return undefined;
  }
}

/** The template cluster: the parent's when it published one, else ours, made on first use. */
export function clusterTemplate(): Promise<ClusterTemplate> {
  const inherited = parentTemplate();
  if (inherited !== undefined) return Promise.resolve(inherited);
  template ??= initTemplate().catch((error: unknown) => {
    template = undefined;
    throw error;
  });
  return template;
}

/** Copy the template's data folder to `dataDir` (keeping owner and modes). */
export async function copyTemplate(source: ClusterTemplate, dataDir: string): Promise<void> {
  await run('cp', ['-a', source.dataDir, dataDir]);
}

/**
 * A SCRAM-SHA-256 verifier for `password`, so setting the admin password sends no plaintext a
 * statement log could catch. The function's own verifier (byte-identical to the server's), not
 * a second implementation.
 */
export function scramVerifier(password: string): string {
  return scramSha256Verifier(new Sensitive(password));
}
