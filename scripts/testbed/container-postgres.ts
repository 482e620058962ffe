/**
 * PostgreSQL in a container (image `postgres:15`, through testcontainers): the same contract
 * as the local backend. scram-sha-256 for host and local connections (the image's
 * POSTGRES_INITDB_ARGS / POSTGRES_HOST_AUTH_METHOD), the container's output appended to
 * `logPath` for readLog(), TLS with the run's throwaway CA.
 *
 * Host networking, like the Redis container: the server listens on 127.0.0.1:<port> of the
 * machine itself, so stop()/start() keep the port, and no bridge, port proxy or iptables
 * rule is needed (a private CI engine has none). Readiness is read from the log ("database
 * system is ready to accept connections": twice on the first start, once for the image's
 * init server and once for the real one), then one admin login; no health check polls the
 * server while it starts, so the log never shows "the database system is starting up".
 * stop() gives the server STOP_TIMEOUT_MS to shut down (the image stops with SIGINT, a fast
 * shutdown that keeps committed data); destroy() and process exit remove the container.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ownerLabels, sweepOrphanedContainers, trackContainer } from './container-cleanup.ts';
import { postgresReady } from './local-postgres.ts';
import type { PostgresServer, StartPostgresOptions } from './postgres-server-types.ts';
import { freePort, waitUntil } from './ports.ts';
import { createTlsMaterial } from './tls.ts';
import { makeWorkDir } from './work-dir.ts';

export const POSTGRES_IMAGE = 'postgres:15';
/** testcontainers takes milliseconds (it sends `docker stop -t <seconds>`). */
const STOP_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 120_000;
const TLS_DIR = '/etc/sm-testbed/tls';
const READY_LINE = 'database system is ready to accept connections';

export async function startContainerPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  await sweepOrphanedContainers();
  const work = makeWorkDir('pg');
  let started: { stop(options: { remove: boolean; timeout: number }): Promise<unknown> } | undefined;
  let untrack: (() => void) | undefined;
  try {
    const adminPassword = randomBytes(18).toString('base64url');
    const port = await freePort();
    const logPath = path.join(work.path, 'postgres.log');
    writeFileSync(logPath, '');
    const appendLogs = (stream: Readable): void =>
      void stream.pipe(createWriteStream(logPath, { flags: 'a' }));
    const tls =
      options.tls === true
        ? (mkdirSync(path.join(work.path, 'tls')),
          await createTlsMaterial(path.join(work.path, 'tls'), { ca: 'shared' }))
        : undefined;

    const method = options.passwordEncryption ?? 'scram-sha-256';
    const settings = [
      `port=${port}`,
      `password_encryption=${method}`,
      'listen_addresses=127.0.0.1',
      'fsync=off',
      'synchronous_commit=off',
      'full_page_writes=off',
      ...(options.logStatements === true ? ['log_statement=all'] : []),
      ...(tls === undefined
        ? []
        : ['ssl=on', `ssl_cert_file=${TLS_DIR}/server.crt`, `ssl_key_file=${TLS_DIR}/server.key`]),
    ];
    const command = ['postgres', ...settings.flatMap((setting) => ['-c', setting])];
    let builder = new GenericContainer(POSTGRES_IMAGE)
      .withNetworkMode('host')
      .withLabels(ownerLabels())
      .withEnvironment({
        POSTGRES_USER: 'postgres',
        POSTGRES_PASSWORD: adminPassword,
        POSTGRES_DB: 'postgres',
        POSTGRES_INITDB_ARGS: `--auth-host=${method} --auth-local=${method}`,
        POSTGRES_HOST_AUTH_METHOD: method,
      })
      .withWaitStrategy(Wait.forLogMessage(READY_LINE, 2))
      .withStartupTimeout(READY_TIMEOUT_MS)
      .withLogConsumer(appendLogs);
    if (tls === undefined) {
      builder = builder.withCommand(command);
    } else {
      // The key must belong to the server's user (uid 999 in the image): hand it over, then
      // run the image's own entrypoint with the same command.
      builder = builder
        .withCopyFilesToContainer([
          { source: tls.certPath, target: `${TLS_DIR}/server.crt`, mode: 0o644 },
          { source: tls.keyPath, target: `${TLS_DIR}/server.key`, mode: 0o600 },
        ])
        .withEntrypoint([
          'sh',
          '-c',
          `chown postgres:postgres ${TLS_DIR}/server.key && exec docker-entrypoint.sh "$@"`,
          'sh',
        ])
        .withCommand(command);
    }
    const container = await builder.start();
    started = container;
    untrack = trackContainer(container.getId());

    const client = await getContainerRuntimeClient();
    const handle = client.container.getById(container.getId());
    let running = true;
    const start = async (): Promise<void> => {
      if (running) return;
      const logOffset = (await stat(logPath)).size;
      // Fractional seconds: logs of the earlier run (even from this same second) are not read again.
      const since = Date.now() / 1000;
      await client.container.start(handle);
      appendLogs(await client.container.logs(handle, { since }));
      running = true;
      await waitUntil(async () => await postgresReady(port, adminPassword, logPath, logOffset), {
        what: `PostgreSQL container on 127.0.0.1:${port} (log: ${logPath})`,
        timeoutMs: READY_TIMEOUT_MS,
        intervalMs: 50,
      });
    };
    const stop = async (): Promise<void> => {
      if (!running) return;
      await client.container.stop(handle, { timeout: STOP_TIMEOUT_MS });
      running = false;
    };
    // The wait strategy saw the second ready line; one admin login proves the password.
    await waitUntil(async () => await postgresReady(port, adminPassword, logPath, 0), {
      what: `PostgreSQL container on 127.0.0.1:${port} to accept the admin login (log: ${logPath})`,
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 50,
    });
    return {
      host: '127.0.0.1',
      port,
      adminUser: 'postgres',
      adminPassword,
      database: 'postgres',
      ...(tls === undefined
        ? {}
        : { tls: { caPath: tls.caPath, caPem: tls.caPem, serverName: tls.serverName } }),
      logPath,
      backend: 'container',
      readLog: async () => await readFile(logPath, 'utf8'),
      stop,
      start,
      destroy: async () => {
        running = false;
        await container.stop({ remove: true, removeVolumes: true, timeout: STOP_TIMEOUT_MS });
        untrack?.();
        work.remove();
      },
    };
  } catch (error) {
    await started?.stop({ remove: true, timeout: 0 }).catch(() => undefined);
    untrack?.();
    work.remove();
    throw error;
  }
}
