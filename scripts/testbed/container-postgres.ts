/**
 * PostgreSQL in a container (`@testcontainers/postgresql`, image `postgres:15`): the same
 * contract as the local backend. scram-sha-256 for host and local connections, the host port
 * fixed (so stop()/start() keep it), TLS through the module's withSSL (throwaway CA), and the
 * container's output appended to `logPath` for readLog().
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import pg from 'pg';
import type { PostgresServer, StartPostgresOptions } from './postgres-server.ts';
import { freePort, waitUntil } from './ports.ts';
import { createTlsMaterial } from './tls.ts';
import { makeWorkDir } from './work-dir.ts';

export const POSTGRES_IMAGE = 'postgres:15';

async function answers(port: number, password: string): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
    connectionTimeoutMillis: 1_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') return true;
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startContainerPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { getContainerRuntimeClient } = await import('testcontainers');
  const work = makeWorkDir('pg');
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

    let builder = new PostgreSqlContainer(POSTGRES_IMAGE)
      .withUsername('postgres')
      .withPassword(adminPassword)
      .withDatabase('postgres')
      .withEnvironment({
        POSTGRES_INITDB_ARGS: '--auth-host=scram-sha-256 --auth-local=scram-sha-256',
        POSTGRES_HOST_AUTH_METHOD: 'scram-sha-256',
      })
      .withExposedPorts({ container: 5432, host: port })
      .withCommand([
        'postgres',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        ...(options.logStatements === true ? ['-c', 'log_statement=all'] : []),
      ])
      .withLogConsumer(appendLogs);
    if (tls !== undefined) builder = builder.withSSL(tls.certPath, tls.keyPath);
    const container = await builder.start();

    const client = await getContainerRuntimeClient();
    const handle = client.container.getById(container.getId());
    let running = true;
    const start = async (): Promise<void> => {
      if (running) return;
      await client.container.start(handle);
      appendLogs(await client.container.logs(handle, { since: Math.floor(Date.now() / 1000) }));
      running = true;
      await waitUntil(async () => await answers(port, adminPassword), {
        what: `PostgreSQL container on 127.0.0.1:${port}`,
        timeoutMs: 30_000,
        intervalMs: 50,
      });
    };
    const stop = async (): Promise<void> => {
      if (!running) return;
      await client.container.stop(handle, { timeout: 10 });
      running = false;
    };
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
        await container.stop({ remove: true, removeVolumes: true });
        work.remove();
      },
    };
  } catch (error) {
    work.remove();
    throw error;
  }
}
