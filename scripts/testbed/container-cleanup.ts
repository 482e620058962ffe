/**
 * Containers get the same guarantee as local server processes: nothing is left running when
 * the test process ends. ManagedProcess has a parent-death signal; a container has none, and
 * testcontainers' own reaper (Ryuk) is an image of its own that a machine without a registry
 * cannot pull (TESTCONTAINERS_RYUK_DISABLED=true). So:
 *   - every container is labelled with the pid and host name of the process that started it;
 *   - at process exit (and on SIGTERM/SIGINT/SIGHUP, see cleanup.ts) the containers still
 *     tracked are removed by a short synchronous child process (an exiting process can run no
 *     asynchronous work of its own);
 *   - the first container a process starts sweeps containers of this host whose starting
 *     process is gone (one killed outright, where no exit hook ran).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { onProcessExit } from './cleanup.ts';

export const OWNER_PID_LABEL = 'sm-testbed.pid';
export const OWNER_HOST_LABEL = 'sm-testbed.host';
const REMOVER = fileURLToPath(new URL('./remove-containers.mjs', import.meta.url));
const REMOVE_TIMEOUT_MS = 20_000;

const tracked = new Set<string>();
let unregister: (() => void) | undefined;
let swept: Promise<void> | undefined;

/** The labels that tie a container to this process. */
export function ownerLabels(): Record<string, string> {
  return { [OWNER_PID_LABEL]: String(process.pid), [OWNER_HOST_LABEL]: os.hostname() };
}

function removeTrackedNow(): void {
  const ids = [...tracked];
  tracked.clear();
  unregister = undefined;
  if (ids.length === 0) return;
  spawnSync(process.execPath, [REMOVER, ...ids], { stdio: 'ignore', timeout: REMOVE_TIMEOUT_MS });
}

/** Remove `id` at process exit unless untrack() was called first. Returns untrack. */
export function trackContainer(id: string): () => void {
  tracked.add(id);
  unregister ??= onProcessExit(removeTrackedNow);
  return () => {
    tracked.delete(id);
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Containers of this host (by label) whose starting process no longer runs; their ids. */
export async function removeOrphanedContainers(): Promise<string[]> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const found = await client.container.list();
  const host = os.hostname();
  const orphans = found.filter((info) => {
    const labels = info.Labels ?? {};
    const pid = Number(labels[OWNER_PID_LABEL]);
    return labels[OWNER_HOST_LABEL] === host && Number.isInteger(pid) && pid > 0 && !isAlive(pid);
  });
  await Promise.allSettled(
    orphans.map((info) => client.container.getById(info.Id).remove({ force: true, v: true })),
  );
  return orphans.map((info) => info.Id);
}

/** Once per process, before its first container: removeOrphanedContainers(), best effort. */
export function sweepOrphanedContainers(): Promise<void> {
  swept ??= removeOrphanedContainers().then(
    () => undefined,
    // A sweep that cannot run must not keep a test from starting its server.
    () => undefined,
  );
  return swept;
}
