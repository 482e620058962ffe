/**
 * Is there a container runtime (Docker, Podman, ...) testcontainers can use? Asked once per
 * process. When none of the places testcontainers looks at exists (DOCKER_HOST,
 * ~/.testcontainers.properties, the usual docker.sock paths) the answer is "no" without
 * loading testcontainers (about 0.3-1 s of imports); otherwise `getContainerRuntimeClient()`
 * decides, and it rejects within milliseconds when nothing answers.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { missingNeeds, provisionLocalServers } from './provision.ts';

export const Backend = { local: 'local', container: 'container' } as const;
export type Backend = (typeof Backend)[keyof typeof Backend];

let answer: Promise<boolean> | undefined;

/**
 * The backend every server uses: an explicit option, else `TEST_BED_BACKEND` (`local` or
 * `container`; an escape hatch for machines where one of them misbehaves). Otherwise, with
 * every local server binary present: a container when a runtime answers, else local. With
 * some missing: provision.ts decides (install them when root with apt, else a container,
 * else fail with the command that installs them).
 */
export async function chooseBackend(
  requested: Backend | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Backend> {
  if (requested !== undefined) return requested;
  const fromEnv = env.TEST_BED_BACKEND;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv === Backend.local || fromEnv === Backend.container) return fromEnv;
    throw new Error(`TEST_BED_BACKEND must be 'local' or 'container' (or unset for automatic)`);
  }
  if (missingNeeds().length > 0)
    return await provisionLocalServers({ containerAnswers: containerRuntimeAvailable, env });
  return (await containerRuntimeAvailable()) ? Backend.container : Backend.local;
}

/** Could a container runtime be configured here at all? (Mirrors testcontainers' strategies.) */
function runtimeMayExist(): boolean {
  if (process.platform === 'win32') return true;
  if (process.env.DOCKER_HOST !== undefined) return true;
  const home = os.homedir();
  const candidates = [
    path.join(home, '.testcontainers.properties'),
    '/var/run/docker.sock',
    path.join(home, '.docker', 'run', 'docker.sock'),
    path.join(home, '.docker', 'desktop', 'docker.sock'),
    path.join('/run', 'user', String(os.userInfo().uid), 'docker.sock'),
    ...(process.env.XDG_RUNTIME_DIR === undefined
      ? []
      : [path.join(process.env.XDG_RUNTIME_DIR, 'docker.sock')]),
  ];
  return candidates.some((candidate) => existsSync(candidate));
}

export function containerRuntimeAvailable(): Promise<boolean> {
  answer ??= (async () => {
    if (!runtimeMayExist()) return false;
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await getContainerRuntimeClient();
      return true;
    } catch {
      return false;
    }
  })();
  return answer;
}
