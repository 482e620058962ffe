/**
 * A server process run in a container (testcontainers) instead of on the machine: the same
 * command and arguments, host networking (so ports, `127.0.0.1` and `replicaof` mean what
 * they mean locally) and the work folder bind-mounted at the same path (so config, ACL and
 * TLS files are shared with the host). Its output is appended to the spec's log file.
 * stop() stops the container and spawn() starts the same container again.
 */
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { StartedTestContainer } from 'testcontainers';
import type { ProcessSpec, ServerProcess } from './managed-process.ts';

export class ContainerProcess implements ServerProcess {
  private container: StartedTestContainer | undefined;
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
      let builder = new GenericContainer(this.image)
        .withNetworkMode('host')
        .withBindMounts([{ source: this.spec.cwd, target: this.spec.cwd, mode: 'rw' }])
        .withWorkingDir(this.spec.cwd)
        .withCommand([this.spec.command, ...this.spec.args])
        .withLogConsumer((stream) => this.appendLogs(stream));
      if (this.spec.user !== undefined)
        builder = builder.withUser(`${this.spec.user.uid}:${this.spec.user.gid}`);
      this.container = await builder.start();
    } else {
      const client = await getContainerRuntimeClient();
      const handle = client.container.getById(this.container.getId());
      await client.container.start(handle);
      this.appendLogs(await client.container.logs(handle, { since: Math.floor(Date.now() / 1000) }));
    }
    this.isRunning = true;
  }

  /** A container's exit is not watched; readiness polling times out instead. */
  whenExited(): Promise<number | null> {
    return new Promise(() => undefined);
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.container === undefined || !this.isRunning) return;
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    await client.container.stop(client.container.getById(this.container.getId()), {
      timeout: Math.ceil(timeoutMs / 1000),
    });
    this.isRunning = false;
  }

  async dispose(): Promise<void> {
    const container = this.container;
    this.container = undefined;
    this.isRunning = false;
    await container?.stop({ remove: true, removeVolumes: true });
  }
}
