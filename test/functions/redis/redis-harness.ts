/**
 * Test helpers for the Redis function: the Secrets Manager emulator driven through the
 * real SDK, an in-process handler built with injected logs, and raw admin connections
 * to the real Redis servers of the test bed.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { buildRotationFunction, type BuiltFunction } from '../../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../../scripts/testbed/memory-observability.ts';
import { createSdkSecretsPort } from '../../../shared/sdk-secrets-port.ts';
import { defineRedisFunction, type RedisPorts } from '../../../functions/redis/definition.ts';
import { startEmulatorSecrets, type EmulatorSecrets } from '../../support/emulator-harness.ts';
import { startRedis, waitUntil, type RedisServer } from '../../../scripts/testbed/servers.ts';

export { everything } from '../../support/emulator-harness.ts';

export interface RedisHarness extends EmulatorSecrets {
  readonly log: ReturnType<typeof createMemoryLog>;
  /** Register an in-process Redis function; `after` runs after every step (probes). */
  register(
    name: string,
    env?: Record<string, string>,
    ports?: RedisPorts,
    after?: (event: { Step: string }) => Promise<void>,
  ): { arn: string; fn: BuiltFunction };
}

export async function startRedisHarness(options: { rotationRetries?: number } = {}): Promise<RedisHarness> {
  const base = await startEmulatorSecrets(options);
  const { emu, sm } = base;
  const log = createMemoryLog();
  return {
    ...base,
    log,
    register(name, env = {}, ports = {}, after) {
      const fn = buildRotationFunction(defineRedisFunction(ports), {
        env: {
          SECRETS_MANAGER_ENDPOINT: emu.endpoint,
          AWS_REGION: 'us-east-1',
          REDIS_CONNECT_TIMEOUT_MS: '2000',
          REDIS_COMMAND_TIMEOUT_MS: '2000',
          ...env,
        },
        logger: log,
        metrics: createMemoryMetrics(),
        secrets: createSdkSecretsPort(sm),
      });
      const target = async (event: unknown): Promise<unknown> => {
        await fn.handler(event);
        if (after) await after(event as { Step: string });
        return null;
      };
      return { arn: emu.registerFunction(name, target), fn };
    },
  };
}

/** A raw ioredis connection for arranging and checking (not the code under test). */
export async function connect(
  server: Pick<RedisServer, 'port' | 'tls'>,
  username: string | undefined,
  password: string | undefined,
): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port: server.port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(server.tls
      ? {
          tls: {
            ca: server.tls.caPem,
            servername: server.tls.serverName,
            // The test bed's certificate is valid for client auth too (mutual-TLS servers).
            cert: readFileSync(server.tls.clientCertPath),
            key: readFileSync(server.tls.clientKeyPath),
          },
        }
      : {}),
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    disableClientInfo: true,
    connectTimeout: 2000,
  });
  let emitted: unknown;
  client.on('error', (error: unknown) => {
    emitted = error;
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    // ioredis rejects with "Connection is closed" after emitting the real cause (WRONGPASS).
    throw emitted ?? error;
  }
  return client;
}

/** Does this password log in (and PING) as this user on this server? */
export async function canLogin(
  server: Pick<RedisServer, 'port' | 'tls'>,
  username: string | undefined,
  password: string,
): Promise<boolean> {
  try {
    const client = await connect(server, username, password);
    try {
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  } catch (error) {
    if (/WRONGPASS|NOAUTH|invalid password/i.test(String((error as Error).message))) return false;
    throw error;
  }
}

/** Run commands as the given user and disconnect. */
export async function run(
  server: Pick<RedisServer, 'port' | 'tls'>,
  username: string | undefined,
  password: string | undefined,
  commands: string[][],
): Promise<unknown[]> {
  const client = await connect(server, username, password);
  try {
    const out: unknown[] = [];
    for (const [command, ...args] of commands) out.push(await client.call(command as string, ...args));
    return out;
  } finally {
    client.disconnect();
  }
}

export function passwordOf(secretText: string): string {
  if (secretText.startsWith('{')) return (JSON.parse(secretText) as { password: string }).password;
  return decodeURIComponent(new URL(secretText).password);
}

/** The primary's replicas as ROLE lists them (those it counts as online) and as INFO replication lists them (any state). */
export async function replicasSeenBy(
  primary: RedisServer,
  password: string,
): Promise<{ role: number; info: string[] }> {
  const [role, info] = await run(primary, undefined, password, [['ROLE'], ['INFO', 'replication']]);
  const states = [...String(info).matchAll(/^slave\d+:.*state=([a-z_]+)/gm)].map((m) => m[1] as string);
  return { role: ((role as unknown[])[2] as unknown[]).length, info: states };
}

/**
 * A replica of `primary` held in its full sync: the primary (diskless sync, a 60 s delay
 * waiting for more replicas) keeps it in wait_bgsave, so ROLE does not list it while
 * INFO replication does. The state a replica is in during a long full sync, or, briefly,
 * right after its link came up. `releaseSync` lets the sync run and waits for the link.
 */
export async function startSyncingReplica(
  primary: RedisServer,
  password: string,
  options: { configFile?: boolean } = {},
): Promise<{
  replica: RedisServer;
  releaseSync(primaryPassword: string, replicaPassword: string): Promise<void>;
}> {
  await run(primary, undefined, password, [
    ['CONFIG', 'SET', 'repl-diskless-sync', 'yes'],
    ['CONFIG', 'SET', 'repl-diskless-sync-delay', '60'],
  ]);
  const replica = await startRedis({ requirepass: password, masterAuth: password, ...options });
  await run(replica, undefined, password, [['REPLICAOF', primary.host, String(primary.port)]]);
  await waitUntil(async () => (await replicasSeenBy(primary, password)).info.includes('wait_bgsave'), {
    what: 'the primary to list the replica as waiting for its sync',
    timeoutMs: 10_000,
  });
  return {
    replica,
    async releaseSync(primaryPassword, replicaPassword) {
      await run(primary, undefined, primaryPassword, [['CONFIG', 'SET', 'repl-diskless-sync-delay', '0']]);
      await waitUntil(
        async () =>
          String((await run(replica, undefined, replicaPassword, [['INFO', 'replication']]))[0]).includes(
            'master_link_status:up',
          ),
        {
          what: 'the replica to finish its sync',
          timeoutMs: 10_000,
        },
      );
    },
  };
}

/** What Secrets Manager's own retry of a rotation does: the same token, step by step from setSecret. */
export async function replayRotation(
  fn: { invoke(event: unknown): Promise<unknown> },
  secretId: string,
  token: string,
): Promise<void> {
  for (const Step of ['setSecret', 'testSecret', 'finishSecret'])
    await fn.invoke({ Step, SecretId: secretId, ClientRequestToken: token });
}
