import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '../testbed/servers.ts';
import { startEmulator, type Emulator } from '../emulator/index.ts';

/**
 * The local stack the benchmarks run on: the emulator, a TLS PostgreSQL 15 (scram-sha-256,
 * verify-full against a throwaway CA, as in production) and a Redis 7 with ACL users.
 * Fixtures create secrets of each kind and the target-side users they name.
 */
export interface BenchStack {
  readonly emu: Emulator;
  readonly sm: SecretsManagerClient;
  readonly postgres: PostgresServer;
  readonly redis: RedisServer;
  readonly redisAdminPassword: string;
  /** The environment a function process gets (its Lambda configuration). */
  functionEnv(kind: BenchKind): Record<string, string>;
  close(): Promise<void>;
}

export const BENCH_KINDS = ['jwt', 'postgres', 'redis'] as const;
export type BenchKind = (typeof BENCH_KINDS)[number];

export async function startBenchStack(): Promise<BenchStack> {
  const redisAdminPassword = randomBytes(18).toString('base64url');
  const [emu, postgres, redis] = await Promise.all([
    startEmulator({ port: 0, rotationRetries: 0 }),
    startPostgres({ tls: true }),
    startRedis({ requirepass: redisAdminPassword }),
  ]);
  const sm = new SecretsManagerClient({
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 1,
  });
  return {
    emu,
    sm,
    postgres,
    redis,
    redisAdminPassword,
    functionEnv: (kind) => ({
      SECRETS_MANAGER_ENDPOINT: emu.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...(kind === 'postgres' && postgres.tls ? { PG_SSL_CA_PATH: postgres.tls.caPath } : {}),
    }),
    close: async () => {
      sm.destroy();
      await emu.close();
      await Promise.all([postgres.destroy(), redis.destroy()]);
    },
  };
}

const newPassword = (): string => randomBytes(24).toString('base64url');

/** Create `count` PostgreSQL login roles and their single-user secrets. Returns secret names. */
export async function createPostgresSecrets(
  stack: BenchStack,
  prefix: string,
  count: number,
  options: { masterarn?: string } = {},
): Promise<string[]> {
  const { postgres } = stack;
  const admin = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.adminUser,
    password: postgres.adminPassword,
    database: postgres.database,
    ssl: postgres.tls ? { ca: postgres.tls.caPem, servername: postgres.tls.serverName } : false,
  });
  await admin.connect();
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const username = `${prefix.replace(/[^a-z0-9]/gi, '_')}_${i}`.toLowerCase();
      const password = newPassword();
      await admin.query(
        `CREATE ROLE ${pg.escapeIdentifier(username)} LOGIN PASSWORD ${pg.escapeLiteral(password)}`,
      );
      const name = `${prefix}/${i}`;
      await stack.sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify({
            engine: 'postgres',
            host: postgres.host,
            port: postgres.port,
            username,
            password,
            dbname: postgres.database,
            ...(options.masterarn ? { masterarn: options.masterarn } : {}),
          }),
        }),
      );
      names.push(name);
    }
  } finally {
    await admin.end();
  }
  return names;
}

/** The admin secret for alternating users (the cluster's superuser). */
export async function createPostgresAdminSecret(stack: BenchStack, name: string): Promise<string> {
  const { postgres } = stack;
  const out = await stack.sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: JSON.stringify({
        engine: 'postgres',
        host: postgres.host,
        port: postgres.port,
        username: postgres.adminUser,
        password: postgres.adminPassword,
        dbname: postgres.database,
      }),
    }),
  );
  return out.ARN!;
}

/** Create `count` Redis ACL users allowed to change their own password, and their secrets. */
export async function createRedisSecrets(
  stack: BenchStack,
  prefix: string,
  count: number,
): Promise<string[]> {
  const client = new Redis({
    host: stack.redis.host,
    port: stack.redis.port,
    password: stack.redisAdminPassword,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  await client.connect();
  const names: string[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const username = `${prefix.replace(/[^a-z0-9]/gi, '_')}_${i}`;
      const password = newPassword();
      await client.call(
        'ACL',
        'SETUSER',
        username,
        'on',
        `>${password}`,
        '~bench:*',
        '+@read',
        '+@write',
        '+@connection',
        '+acl|setuser',
        '+acl|getuser',
        '+acl|save',
        '+role',
        '+info',
        '+config|get',
        '+client|kill',
        '+dbsize',
      );
      const name = `${prefix}/${i}`;
      await stack.sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify({
            host: stack.redis.host,
            port: stack.redis.port,
            username,
            password,
          }),
        }),
      );
      names.push(name);
    }
  } finally {
    client.disconnect();
  }
  return names;
}

/** JWT signing secrets: plain base64 keys as `openssl rand -base64 64` makes them, or HS256 keyrings. */
export async function createJwtSecrets(
  stack: BenchStack,
  prefix: string,
  count: number,
  format: 'plain' | 'keyring' = 'plain',
): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const name = `${prefix}/${i}`;
    const value =
      format === 'plain'
        ? randomBytes(64).toString('base64')
        : JSON.stringify({
            format: 'jwt-keyring/v1',
            keys: [
              {
                kid: `k${i}`,
                alg: 'HS256',
                createdAt: new Date().toISOString(),
                status: 'current',
                k: randomBytes(64).toString('base64url'),
              },
            ],
          });
    await stack.sm.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    names.push(name);
  }
  return names;
}

/**
 * Leave the empty AWSPENDING placeholder RotateSecret creates, without running any step:
 * a registered function that refuses createSecret makes the (retry-free) rotation fail at once.
 * Returns the token, for a process that then runs the four steps itself.
 */
const placeholderArns = new WeakMap<Emulator, string>();

export async function placeholderRotation(stack: BenchStack, secretName: string): Promise<string> {
  let arn = placeholderArns.get(stack.emu);
  if (arn === undefined) {
    arn = stack.emu.registerFunction('bench-placeholder', async () => {
      throw new Error('placeholder only');
    });
    placeholderArns.set(stack.emu, arn);
  }
  const out = await stack.sm.send(new RotateSecretCommand({ SecretId: secretName, RotationLambdaARN: arn }));
  await stack.emu.waitForRotation(secretName);
  return out.VersionId!;
}

export async function currentVersionId(stack: BenchStack, secretName: string): Promise<string> {
  const out = await stack.sm.send(new DescribeSecretCommand({ SecretId: secretName }));
  const entry = Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  );
  if (!entry) throw new Error(`${secretName} has no AWSCURRENT`);
  return entry[0];
}
