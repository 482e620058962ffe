/**
 * What to do when the local backend's server binaries are missing, so the README's two
 * commands (`npm ci && npm start`, `npm test`) work as written on a fresh machine:
 *   1. the machine can install them without asking anyone (root, Debian or Ubuntu with apt,
 *      every package available): install them, saying what and why, on stderr;
 *   2. otherwise a container engine answers: run the servers in containers;
 *   3. otherwise stop with the one command that installs them on this OS, changing nothing.
 * `TEST_BED_AUTO_INSTALL=0` turns step 1 off. decideProvision() is pure (facts in, decision
 * out); provisionLocalServers() gathers the facts and carries the decision out, once per
 * process however many servers start at the same time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { findOnPath, postgresBinDirIfAny } from './binaries.ts';

/** A server program the local backend runs, and its Debian/Ubuntu package. */
export const NEEDS = {
  postgres: 'postgresql-15',
  redis: 'redis-server',
  pgbouncer: 'pgbouncer',
  openssl: 'openssl',
} as const;
export type Need = keyof typeof NEEDS;

export interface HostFacts {
  readonly platform: NodeJS.Platform;
  readonly isRoot: boolean;
  /** apt-get exists. */
  readonly apt: boolean;
  /** /etc/os-release ID and ID_LIKE words (`debian`, `ubuntu`, `fedora`, `alpine`, ...). */
  readonly osIds: readonly string[];
  /** TEST_BED_AUTO_INSTALL is not `0`. */
  readonly autoInstall: boolean;
}

export type Provision =
  | { readonly action: 'ready' }
  | { readonly action: 'install'; readonly packages: readonly string[] }
  | { readonly action: 'container' }
  | { readonly action: 'instruct'; readonly command: string };

const debianLike = (facts: HostFacts): boolean =>
  facts.osIds.includes('debian') || facts.osIds.includes('ubuntu');

/** The one command that installs `missing` on this OS (for a person to run). */
export function installCommand(missing: readonly Need[], facts: HostFacts): string {
  const pick = (names: Record<Need, string>): string => missing.map((need) => names[need]).join(' ');
  if (facts.platform === 'darwin')
    return `brew install ${pick({ postgres: 'postgresql@15', redis: 'redis', pgbouncer: 'pgbouncer', openssl: 'openssl' })}`;
  if (facts.platform === 'win32')
    return 'start Docker Desktop (the servers then run in containers), or run the project in WSL (Ubuntu)';
  const sudo = facts.isRoot ? '' : 'sudo ';
  if (debianLike(facts)) return `${sudo}apt-get install -y ${pick(NEEDS)}`;
  if (facts.osIds.some((id) => ['fedora', 'rhel', 'centos'].includes(id)))
    return `${sudo}dnf install -y ${pick({ postgres: 'postgresql-server', redis: 'redis', pgbouncer: 'pgbouncer', openssl: 'openssl' })}`;
  if (facts.osIds.includes('alpine'))
    return `${sudo}apk add ${pick({ postgres: 'postgresql15', redis: 'redis', pgbouncer: 'pgbouncer', openssl: 'openssl' })}`;
  if (facts.osIds.includes('arch'))
    return `${sudo}pacman -S --needed ${pick({ postgres: 'postgresql', redis: 'redis', pgbouncer: 'pgbouncer', openssl: 'openssl' })}`;
  const names: Record<Need, string> = {
    postgres: 'the PostgreSQL 15 server',
    redis: 'Redis 7',
    pgbouncer: 'PgBouncer',
    openssl: 'OpenSSL',
  };
  return `install ${missing.map((need) => names[need]).join(', ')} with the system's package manager, or start a container engine`;
}

/** The decision for `missing` (empty: nothing to do). */
export function decideProvision(
  missing: readonly Need[],
  facts: HostFacts,
  containerAnswers: boolean,
): Provision {
  if (missing.length === 0) return { action: 'ready' };
  if (facts.autoInstall && facts.isRoot && facts.apt && debianLike(facts) && facts.platform === 'linux')
    return { action: 'install', packages: missing.map((need) => NEEDS[need]) };
  if (containerAnswers) return { action: 'container' };
  return { action: 'instruct', command: installCommand(missing, facts) };
}

/** Which of the local backend's programs this machine lacks. */
export function missingNeeds(): Need[] {
  const missing: Need[] = [];
  if (postgresBinDirIfAny() === undefined) missing.push('postgres');
  if (findOnPath('redis-server') === undefined) missing.push('redis');
  if (findOnPath('pgbouncer') === undefined) missing.push('pgbouncer');
  if (findOnPath('openssl') === undefined) missing.push('openssl');
  return missing;
}

function osIds(): string[] {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const value = (key: string): string =>
      new RegExp(`^${key}=("?)([^"\\n]*)\\1$`, 'm').exec(text)?.[2]?.toLowerCase() ?? '';
    return [value('ID'), ...value('ID_LIKE').split(/\s+/)].filter((id) => id !== '');
  } catch {
    return [];
  }
}

export function readHostFacts(env: Readonly<Record<string, string | undefined>> = process.env): HostFacts {
  return {
    platform: process.platform,
    isRoot: process.getuid?.() === 0,
    apt: findOnPath('apt-get') !== undefined,
    osIds: osIds(),
    autoInstall: env.TEST_BED_AUTO_INSTALL !== '0',
  };
}

export class MissingServersError extends Error {
  constructor(
    readonly missing: readonly Need[],
    readonly command: string,
  ) {
    super(
      `The test bed needs ${missing.map((need) => NEEDS[need]).join(', ')} on this machine (no container engine answers either). ` +
        `Install with: ${command}   Nothing was installed or changed.`,
    );
    this.name = 'MissingServersError';
  }
}

/** Do apt's lists know every package? (False on an Ubuntu without PostgreSQL 15, for example.) */
function aptHasCandidates(packages: readonly string[]): boolean {
  return packages.every((name) => {
    try {
      const policy = execFileSync('apt-cache', ['policy', name], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return /Candidate: (?!\(none\))\S+/.test(policy);
    } catch {
      return false;
    }
  });
}

function aptInstall(packages: readonly string[], notice: (line: string) => void): void {
  // Package scripts must not start system services: the test bed starts its own servers.
  const policy = '/usr/sbin/policy-rc.d';
  const addedPolicy = !existsSync(policy);
  if (addedPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const run = (args: string[]): void => {
      const result = spawnSync('apt-get', args, {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      });
      if (result.status !== 0)
        throw new Error(
          `apt-get ${args.join(' ')} failed (exit ${String(result.status)}): ${result.stderr.slice(-800)}`,
        );
    };
    notice('[test bed] apt-get update');
    run(['update', '-qq']);
    if (!aptHasCandidates(packages))
      throw new Error(`apt has no candidate for one of: ${packages.join(' ')}`);
    notice(`[test bed] apt-get install -y --no-install-recommends ${packages.join(' ')}`);
    run(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  } finally {
    if (addedPolicy) rmSync(policy, { force: true });
  }
}

let provisioned: Promise<'local' | 'container'> | undefined;

/**
 * Make the local backend runnable, or say to use containers: installs what is missing when
 * the machine allows it (a visible notice first), else 'container' when one answers, else
 * MissingServersError with the install command. Runs once per process.
 */
export function provisionLocalServers(options: {
  readonly containerAnswers: () => Promise<boolean>;
  readonly notice?: (line: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
}): Promise<'local' | 'container'> {
  provisioned ??= (async () => {
    const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
    const missing = missingNeeds();
    const facts = readHostFacts(options.env);
    let decision = decideProvision(missing, facts, false);
    if (decision.action === 'install') {
      notice(
        `[test bed] ${missing.join(', ')} not found: installing the Debian packages ${decision.packages.join(' ')} ` +
          '(the tests and npm start run real PostgreSQL, PgBouncer and Redis servers; TEST_BED_AUTO_INSTALL=0 turns this off)',
      );
      try {
        aptInstall(decision.packages, notice);
        if (missingNeeds().length === 0) return 'local';
        notice('[test bed] the install finished but the servers are still not found');
      } catch (error) {
        notice(`[test bed] could not install: ${(error as Error).message}`);
      }
      decision = decideProvision(missing, { ...facts, autoInstall: false }, await options.containerAnswers());
    } else if (decision.action !== 'ready') {
      decision = decideProvision(missing, facts, await options.containerAnswers());
    }
    if (decision.action === 'ready') return 'local';
    if (decision.action === 'container') {
      notice(`[test bed] ${missing.join(', ')} not found here: running the servers in containers`);
      return 'container';
    }
    throw new MissingServersError(
      missing,
      decision.action === 'instruct' ? decision.command : installCommand(missing, facts),
    );
  })();
  return provisioned;
}
