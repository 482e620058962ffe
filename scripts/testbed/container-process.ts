/**
 * A server process run in a container (testcontainers) instead of on the machine: the same
 * command and arguments, host networking (so ports, `127.0.0.1` and `replicaof` mean what
 * they mean locally) and the work folder bind-mounted at the same path (so config, ACL and
 * TLS files are shared with the host). Its output is appended to the spec's log file.
 * stop() stops the container and spawn() starts the same container again; dispose(), and
 * process exit when a test forgot to (container-cleanup.ts), remove it.
 *
 * The container runs as the test process's own uid:gid unless the spec names a user. Images
 * like redis's chown their working folder to their own user and set umask 0077 when started
 * as root; for a non-root caller with a rootful engine that made the files the server writes
 * (`ACL SAVE`, `CONFIG REWRITE`) unreadable to the test, and the folder impossible to
 * remove. Started with `--user`, the image skips the chown and files stay the caller's.
 */
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { StartedTestContainer } from 'testcontainers';
import { ownerLabels, sweepOrphanedContainers, trackContainer } from './container-cleanup.ts';
import type { ProcessSpec, ServerProcess } from './managed-process.ts';

const processUser = (): { readonly uid: number; readonly gid: number } | null =>
  process.getuid ? { uid: process.getuid(), gid: process.getgid?.() ?? process.getuid() } : null;

/**
 * The uid:gid a container runs as: the spec's user, else this process's own (root included;
 * `self` is null where the platform has no uids).
 */
export function containerUser(
  spec: Pick<ProcessSpec, 'user'>,
  self: { readonly uid: number; readonly gid: number } | null = processUser(),
): string | undefined {
  const user = spec.user ?? self ?? undefined;
  return user === undefined ? undefined : `${user.uid}:${user.gid}`;
}

export class ContainerProcess implements ServerProcess {
  private container: StartedTestContainer | undefined;
  private untrack: (() => void) | undefined;
  private isRunning = false;

  constructor(
    private readonly image: string,
    private readonly spec: ProcessSpec,
  ) {}

  get running(): boolean {
    return this.isRunning;
  }

  private appendLogs(stream: Readable): void {
    stream.pipe(createWriteStream(this.spec.logPath, { flags: 'a' }));
  }

  async spawn(): Promise<void> {
    if (this.isRunning) return;
    const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
    if (this.container === undefined) {
      await sweepOrphanedContainers();
      let builder = new GenericContainer(this.image)
        .withNetworkMode('host')
        .withLabels(ownerLabels())
        .withBindMounts([{ source: this.spec.cwd, target: this.spec.cwd, mode: 'rw' }])
        .withWorkingDir(this.spec.cwd)
        .withCommand([this.spec.command, ...this.spec.args])
        .withLogConsumer((stream) => this.appendLogs(stream));
      const user = containerUser(this.spec);
      // Root keeps the image's own contract (its entrypoint drops to the image's user).
      if (user !== undefined && user !== '0:0') builder = builder.withUser(user);
      this.container = await builder.start();
      this.untrack = trackContainer(this.container.getId());
    } else {
      const client = await getContainerRuntimeClient();
      const handle = client.container.getById(this.container.getId());
      // Fractional seconds: logs of the earlier run are not appended again.
      const since = Date.now() / 1000;
      await client.container.start(handle);
      this.appendLogs(await client.container.logs(handle, { since }));
    }
    this.isRunning = true;
  }

  /** A container's exit is not watched; readiness polling times out instead. */
  whenExited(): Promise<number | null> {
    return new Promise(() => undefined);
  }

  /** Stop the container, giving the server `timeoutMs` (testcontainers takes milliseconds). */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.container === undefined || !this.isRunning) return;
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    await client.container.stop(client.container.getById(this.container.getId()), { timeout: timeoutMs });
    this.isRunning = false;
  }

  async dispose(): Promise<void> {
    const container = this.container;
    this.container = undefined;
    this.isRunning = false;
    await container?.stop({ remove: true, removeVolumes: true, timeout: 10_000 });
    this.untrack?.();
    this.untrack = undefined;
  }
}
