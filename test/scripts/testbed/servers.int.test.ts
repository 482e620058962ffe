import { spawn } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis, type RedisOptions } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { OWNER_PID_LABEL, removeOrphanedContainers } from '../../../scripts/testbed/container-cleanup.ts';
import { sendCommands } from '../../../scripts/testbed/resp.ts';
import { workRoot } from '../../../scripts/testbed/work-dir.ts';
import {
  chooseBackend,
  createTlsMaterial,
  startPostgres,
  startRedis,
  withFreshPortOnConflict,
  type PostgresServer,
  type RedisServer,
} from '../../../scripts/testbed/servers.ts';

type PgConfig = pg.ClientConfig;

async function query(config: PgConfig, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionTimeoutMillis: 3_000, ...config });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function adminConfig(server: PostgresServer): PgConfig {
  return {
    host: server.host,
    port: server.port,
    user: server.adminUser,
    password: server.adminPassword,
    database: server.database,
  };
}

/**
 * A client that fails fast instead of retrying; a failed connect rejects with the error that
 * caused it (ioredis itself only says "Connection is closed").
 */
async function redisClient(options: RedisOptions): Promise<Redis> {
  const client = new Redis({
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    ...options,
  });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError = error));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw lastError ?? error;
  }
  return client;
}

/** A CA that did not sign any server here: a client trusting only it must refuse the server. */
async function unrelatedCaPem(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sm-testbed-ca-'));
  try {
    return (await createTlsMaterial(dir)).caPem;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('startPostgres', () => {
  let plain: PostgresServer;
  let secure: PostgresServer;
  let otherCa: string;

  beforeAll(async () => {
    [plain, secure, otherCa] = await Promise.all([
      startPostgres({ logStatements: true }),
      startPostgres({ tls: true }),
      unrelatedCaPem(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain?.destroy(), secure?.destroy()]);
  });

  it('leaves no failed login in the server log from its own readiness checks', async () => {
    expect(await plain.readLog()).not.toMatch(/password authentication failed|FATAL/);
  });

  it('accepts the admin password over scram-sha-256 and runs PostgreSQL 15', async () => {
    const { rows } = await query(
      adminConfig(plain),
      "SELECT current_setting('server_version_num')::int AS version, current_setting('password_encryption') AS encryption",
    );
    expect(rows[0]).toMatchObject({ encryption: 'scram-sha-256' });
    expect(Math.floor((rows[0] as { version: number }).version / 10_000)).toBe(15);
  });

  it('rejects a wrong password with SQLSTATE 28P01', async () => {
    await expect(
      query({ ...adminConfig(plain), password: 'not-the-password' }, 'SELECT 1'),
    ).rejects.toMatchObject({ code: '28P01' });
  });

  it('writes every statement to the server log when logStatements is set, but not its own admin password', async () => {
    await query(adminConfig(plain), 'SELECT 4242 AS marker_for_the_log');
    const log = await plain.readLog();
    expect(log).toContain('statement: SELECT 4242 AS marker_for_the_log');
    expect(log).not.toContain(plain.adminPassword);
  });

  it('copies the template cluster global-setup made instead of running initdb in each test process', (context) => {
    if (plain.backend !== 'local') context.skip();
    expect(existsSync(path.join(workRoot(), `sm-testbed-${process.ppid}-pg-template.json`))).toBe(true);
    expect(existsSync(path.join(workRoot(), `sm-testbed-${process.pid}-pg-template.json`))).toBe(false);
  });

  it('gives each server its own admin password', async () => {
    expect(plain.adminPassword).not.toBe(secure.adminPassword);
    await expect(
      query({ ...adminConfig(plain), password: secure.adminPassword }, 'SELECT 1'),
    ).rejects.toMatchObject({ code: '28P01' });
  });

  it('serves TLS that verifies against its CA and server name', async () => {
    const tls = secure.tls;
    if (tls === undefined) throw new Error('TLS server without TLS material');
    const { rows } = await query(
      {
        ...adminConfig(secure),
        host: '127.0.0.1',
        ssl: { ca: tls.caPem, servername: tls.serverName, rejectUnauthorized: true },
      },
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(rows).toEqual([{ ssl: true }]);
  });

  it('fails TLS verification against a CA that did not sign the server', async () => {
    await expect(
      query(
        { ...adminConfig(secure), ssl: { ca: otherCa, servername: 'localhost', rejectUnauthorized: true } },
        'SELECT 1',
      ),
    ).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it('still accepts plaintext on the TLS server, so client policy is what tests prove', async () => {
    const { rows } = await query(
      { ...adminConfig(secure), ssl: false },
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(rows).toEqual([{ ssl: false }]);
  });

  it('refuses connections after stop() and comes back with its data on the same port after start()', async () => {
    await query(
      adminConfig(plain),
      'CREATE TABLE survives_restart (id int); INSERT INTO survives_restart VALUES (7)',
    );
    const port = plain.port;
    await plain.stop();
    await expect(query(adminConfig(plain), 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await plain.start();
    expect(plain.port).toBe(port);
    const { rows } = await query(adminConfig(plain), 'SELECT id FROM survives_restart');
    expect(rows).toEqual([{ id: 7 }]);
  });
});

describe('startRedis', () => {
  const started: RedisServer[] = [];
  const clients: Redis[] = [];
  const track = (server: RedisServer): RedisServer => (started.push(server), server);
  const connect = async (options: RedisOptions): Promise<Redis> => {
    const client = await redisClient(options);
    clients.push(client);
    return client;
  };

  afterAll(async () => {
    clients.forEach((client) => client.disconnect());
    await Promise.all(started.map((server) => server.destroy()));
  });

  it('starts a replica whose link is up, which its primary lists as online, and which receives its writes', async () => {
    const primary = track(await startRedis({ requirepass: 'primary-pass' }));
    const replica = track(
      await startRedis({ replicaOf: { host: primary.host, port: primary.port }, masterAuth: 'primary-pass' }),
    );
    const writer = await connect({ port: primary.port, password: 'primary-pass' });
    // Code that discovers replicas through the primary must see this one from the start.
    expect(await writer.info('replication')).toMatch(
      new RegExp(`slave\\d+:ip=127\\.0\\.0\\.1,port=${replica.port},state=online`),
    );
    const reader = await connect({ port: replica.port });
    await writer.set('replicated-key', 'v1');
    await writer.wait(1, 2_000);
    expect(await reader.get('replicated-key')).toBe('v1');
    expect(await reader.info('replication')).toContain('master_link_status:up');
  });

  it('requires the password when requirepass is set', async () => {
    const server = track(await startRedis({ requirepass: 'sesame' }));
    await expect(redisClient({ port: server.port })).rejects.toThrow(/NOAUTH/);
    const authed = await connect({ port: server.port, password: 'sesame' });
    expect(await authed.ping()).toBe('PONG');
  });

  it('keeps ACL users saved with ACL SAVE across restart(), and loses unsaved ones', async () => {
    const server = track(await startRedis({ aclFile: true }));
    expect(server.aclFilePath).toBeDefined();
    const admin = await connect({ port: server.port });
    await admin.call('ACL', 'SETUSER', 'saved-app', 'on', '>first-pass', '>second-pass', '~*', '+@all');
    await admin.call('ACL', 'SAVE');
    await admin.call('ACL', 'SETUSER', 'unsaved-app', 'on', '>x', '~*', '+@all');
    admin.disconnect();
    await server.restart();
    const users = await (await connect({ port: server.port })).call('ACL', 'USERS');
    expect(users).toContain('saved-app');
    expect(users).not.toContain('unsaved-app');
    const app = await connect({ port: server.port, username: 'saved-app', password: 'second-pass' });
    expect(await app.ping()).toBe('PONG');
  });

  it('puts the requirepass password into the ACL file when both are asked for, so it survives restart()', async () => {
    const server = track(await startRedis({ aclFile: true, requirepass: 'acl-default-pass' }));
    await expect(redisClient({ port: server.port })).rejects.toThrow(/NOAUTH/);
    const admin = await connect({ port: server.port, password: 'acl-default-pass' });
    await admin.call('ACL', 'SAVE');
    admin.disconnect();
    await server.restart();
    await expect(redisClient({ port: server.port })).rejects.toThrow(/NOAUTH/);
    expect(await (await connect({ port: server.port, password: 'acl-default-pass' })).ping()).toBe('PONG');
  });

  it('keeps settings written with CONFIG REWRITE across restart() when started from a config file', async () => {
    const server = track(await startRedis({ configFile: true }));
    expect(server.configFilePath).toBeDefined();
    const admin = await connect({ port: server.port });
    await admin.config('SET', 'requirepass', 'rewritten-pass');
    await admin.config('REWRITE');
    admin.disconnect();
    await server.restart();
    await expect(redisClient({ port: server.port })).rejects.toThrow(/NOAUTH/);
    expect(await (await connect({ port: server.port, password: 'rewritten-pass' })).ping()).toBe('PONG');
  });

  it('serves TLS that verifies against its CA, and refuses a client trusting another CA', async () => {
    const server = track(await startRedis({ tls: true }));
    const tls = server.tls;
    if (tls === undefined) throw new Error('TLS server without TLS material');
    const client = await connect({ port: server.port, tls: { ca: tls.caPem, servername: 'localhost' } });
    expect(await client.ping()).toBe('PONG');
    await expect(
      redisClient({ port: server.port, tls: { ca: await unrelatedCaPem(), servername: 'localhost' } }),
    ).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it('starts a TLS replica of a TLS primary: the replica trusts the primary and receives its writes', async () => {
    const primary = track(await startRedis({ tls: true }));
    const replica = track(
      await startRedis({ tls: true, replicaOf: { host: primary.host, port: primary.port } }),
    );
    const tlsOf = (server: RedisServer): { ca: string; servername: string } => ({
      ca: server.tls?.caPem ?? '',
      servername: 'localhost',
    });
    const writer = await connect({ port: primary.port, tls: tlsOf(primary) });
    const reader = await connect({ port: replica.port, tls: tlsOf(replica) });
    await writer.set('tls-replicated-key', 'v2');
    await writer.wait(1, 2_000);
    expect(await reader.get('tls-replicated-key')).toBe('v2');
  });

  it('refuses connections after stop() and answers again after start()', async () => {
    const server = track(await startRedis());
    await server.stop();
    await expect(redisClient({ host: server.host, port: server.port })).rejects.toThrow(
      /ECONNREFUSED|Connection is closed/,
    );
    await server.start();
    expect(await (await connect({ port: server.port })).ping()).toBe('PONG');
  });

  it('removes its temp folder on destroy()', async () => {
    const server = await startRedis({ aclFile: true });
    const folder = path.dirname(server.aclFilePath ?? '');
    expect(existsSync(folder)).toBe(true);
    await server.destroy();
    expect(existsSync(folder)).toBe(false);
  });
});

const containerBackendInUse = async (): Promise<boolean> => (await chooseBackend(undefined)) === 'container';

describe('cleanup when the test process ends', () => {
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'signal-child.ts');

  /** Run the fixture, send `signal` once it is ready, and report what it printed and how it ended. */
  function runChild(
    mode: string,
    signal: NodeJS.Signals,
  ): Promise<{
    pid: number;
    port: number;
    folder: string;
    output: string;
    code: number | null;
    signal: NodeJS.Signals | null;
  }> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, mode], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      let ready: { port: number; folder: string } | undefined;
      proc.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /READY (\d+) (\S+)/.exec(output);
        if (ready === undefined && match?.[1] !== undefined && match[2] !== undefined) {
          ready = { port: Number(match[1]), folder: path.dirname(match[2]) };
          proc.kill(signal);
          // A child that ignores the signal is killed outright (and then ends by SIGKILL, which fails the test).
          setTimeout(() => proc.kill('SIGKILL'), 30_000).unref();
        }
      });
      proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      proc.once('error', reject);
      proc.once('close', (code, endSignal) =>
        ready === undefined
          ? reject(new Error(`child ended before it was ready:\n${output}`))
          : resolve({ ...ready, pid: proc.pid ?? 0, output, code, signal: endSignal }),
      );
    });
  }

  async function answers(port: number): Promise<boolean> {
    return await sendCommands({ host: '127.0.0.1', port }, [['PING']]).then(
      () => true,
      () => false,
    );
  }

  it('stops servers and removes folders of a process ended by a bare SIGTERM, which still dies of it', async () => {
    const run = await runChild('bare', 'SIGTERM');
    expect(run.signal).toBe('SIGTERM');
    expect(await answers(run.port)).toBe(false);
    expect(existsSync(run.folder)).toBe(false);
  });

  it('also stops them on a bare SIGTERM when testcontainers is loaded (its signal-exit listener waits for us)', async () => {
    const run = await runChild('bare-testcontainers', 'SIGTERM');
    expect(run.signal).toBe('SIGTERM');
    expect(await answers(run.port)).toBe(false);
    expect(existsSync(run.folder)).toBe(false);
  });

  it('removes the containers of a test process killed outright once another process sweeps', async (context) => {
    if (!(await containerBackendInUse())) context.skip();
    const run = await runChild('bare', 'SIGKILL');
    expect(run.signal).toBe('SIGKILL');
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    const ownedBy = async (pid: number): Promise<string[]> =>
      (await client.container.list())
        .filter((info) => info.Labels?.[OWNER_PID_LABEL] === String(pid))
        .map((info) => info.Id);
    const left = await ownedBy(run.pid);
    expect(left).toHaveLength(1);
    expect(await removeOrphanedContainers()).toEqual(left);
    expect(await ownedBy(run.pid)).toEqual([]);
  });

  it("leaves the shutdown to a process's own SIGINT handler, and cleans up at its exit", async () => {
    const run = await runChild('own-handler', 'SIGINT');
    expect(run.output).toContain('HANDLER server-alive=true');
    expect(run.code).toBe(130);
    expect(await answers(run.port)).toBe(false);
    expect(existsSync(run.folder)).toBe(false);
  });
});

describe('container backend for a non-root caller', () => {
  const child = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    'fixtures',
    'non-root-redis-child.ts',
  );
  const NOBODY = 65_534;

  /** Can a user that is neither owner nor group member reach `file` through every parent folder? */
  function reachableByOthers(file: string): boolean {
    let current = realpathSync(file);
    for (;;) {
      const mode = statSync(current).mode;
      if ((mode & (statSync(current).isDirectory() ? 0o005 : 0o004)) === 0) return false;
      const parent = path.dirname(current);
      if (parent === current) return true;
      current = parent;
    }
  }

  it('leaves the files the Redis container wrote readable, and its folder removable, by the caller', async (context) => {
    const socket = /^unix:\/\/(.+)$/.exec(process.env.DOCKER_HOST ?? '')?.[1];
    const runnable =
      (await containerBackendInUse()) &&
      process.getuid?.() === 0 &&
      socket !== undefined &&
      existsSync(socket) &&
      reachableByOthers(child) &&
      reachableByOthers(path.join(process.cwd(), 'node_modules', 'tsx', 'package.json'));
    // Needs: the container backend, root (to start the child as nobody), and an engine socket
    // the child can reach through its group (the private CI engine's docker group).
    if (!runnable) context.skip();
    const gid = statSync(socket ?? '').gid;
    const output = await new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', child], {
        uid: NOBODY,
        gid,
        cwd: process.cwd(),
        env: { ...process.env, HOME: os.tmpdir() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      proc.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      proc.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      proc.once('error', reject);
      proc.once('close', () => resolve(text));
    });
    expect(output).toContain('RESULT acl-readable=true removed=true');
  });
});

describe('withFreshPortOnConflict', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sm-testbed-ports-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('retries on a fresh port when the server logged that its port was taken', async () => {
    const logPath = path.join(dir, 'conflict.log');
    const tried: number[] = [];
    const { port, server } = await withFreshPortOnConflict(logPath, async (candidate) => {
      tried.push(candidate);
      if (tried.length === 1) {
        await writeFile(logPath, 'could not bind IPv4 address "127.0.0.1": Address already in use\n');
        throw new Error('server exited');
      }
      return 'started';
    });
    expect(server).toBe('started');
    expect(tried).toHaveLength(2);
    expect(port).toBe(tried[1]);
  });

  it('does not retry a failure that is not a port conflict', async () => {
    const logPath = path.join(dir, 'other.log');
    let attempts = 0;
    await expect(
      withFreshPortOnConflict(logPath, async () => {
        attempts += 1;
        await writeFile(logPath, 'FATAL: data directory has wrong ownership\n');
        throw new Error('server exited');
      }),
    ).rejects.toThrow('server exited');
    expect(attempts).toBe(1);
  });
});

describe('servers shared by global-setup', () => {
  const servers = inject('servers');

  it('provides a PostgreSQL and a TLS PostgreSQL that accept their admin passwords', async () => {
    const plainRows = await query(
      {
        host: servers.postgres.host,
        port: servers.postgres.port,
        user: servers.postgres.adminUser,
        password: servers.postgres.adminPassword,
        database: 'postgres',
      },
      'SELECT 1 AS one',
    );
    expect(plainRows.rows).toEqual([{ one: 1 }]);
    const { postgresTls } = servers;
    const tlsRows = await query(
      {
        host: postgresTls.host,
        port: postgresTls.port,
        user: postgresTls.adminUser,
        password: postgresTls.adminPassword,
        database: 'postgres',
        ssl: { ca: postgresTls.tls.caPem, servername: postgresTls.tls.serverName },
      },
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(tlsRows.rows).toEqual([{ ssl: true }]);
  });

  it('provides a Redis primary whose replica receives its writes', async () => {
    const primary = await redisClient({ port: servers.redis.port });
    const replica = await redisClient({ port: servers.redisReplica.port });
    try {
      const key = `shared-${process.pid}-${Date.now()}`;
      await primary.set(key, 'seen');
      await primary.wait(1, 2_000);
      expect(await replica.get(key)).toBe('seen');
      await primary.del(key);
    } finally {
      primary.disconnect();
      replica.disconnect();
    }
  });
});
