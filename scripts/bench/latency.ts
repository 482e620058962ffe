import {
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import pg from 'pg';
import { jwtFunction } from '../../functions/jwt/definition.ts';
import { definePostgresFunction } from '../../functions/postgres/definition.ts';
import { createIoredisConnector } from '../../functions/redis/ioredis-connector.ts';
import { defineRedisFunction } from '../../functions/redis/definition.ts';
import type { FunctionDefinition } from '../../shared/rotation-function.ts';
import { buildRotationFunction } from '../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../testbed/memory-observability.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';
import {
  createJwtSecrets,
  createPostgresAdminSecret,
  createPostgresSecrets,
  createRedisSecrets,
  type BenchKind,
  type BenchStack,
} from './bench-stack.ts';
import { summarize, time, type Summary } from './stats.ts';

export interface LatencyResult {
  readonly name: string;
  readonly kind: BenchKind;
  readonly rotationMs: Summary;
  /** The function's Secrets Manager calls per rotation (RotateSecret and progress tags not counted). */
  readonly smCalls: number;
  /** Logins to the target (database or Redis connections) per rotation. */
  readonly logins: number;
  /**
   * The call figure: Secrets Manager calls of the first rotation a fresh function
   * instance runs on a secret with HISTORY_ROTATIONS rotations behind it (progress tags apart);
   * test/reliability/secrets-manager-calls.int.test.ts asserts the same per operation.
   */
  readonly smCallsWithHistory: number;
  readonly floorMs: number;
  readonly ratio: number;
}

export interface Counters {
  sm: number;
  logins: number;
}

/** Count calls of every method of a port (a Proxy: the port is unchanged otherwise). */
export function counting<T extends object>(port: T, onCall: (method: string) => void): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        onCall(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export interface LatencyCase {
  readonly name: string;
  readonly kind: BenchKind;
  create(stack: BenchStack, prefix: string, count: number): Promise<string[]>;
  definition(counters: Counters): FunctionDefinition<unknown, object>;
}

/** The rotation cases, one per kind and strategy (also priced by progress-tags.ts). */
export const CASES: readonly LatencyCase[] = [
  {
    name: 'jwt plain (HS, base64)',
    kind: 'jwt',
    create: (s, p, n) => createJwtSecrets(s, p, n, 'plain'),
    definition: () => jwtFunction as FunctionDefinition<unknown, object>,
  },
  {
    name: 'jwt keyring (HS256)',
    kind: 'jwt',
    create: (s, p, n) => createJwtSecrets(s, p, n, 'keyring'),
    definition: () => jwtFunction as FunctionDefinition<unknown, object>,
  },
  {
    name: 'postgres single user (TLS)',
    kind: 'postgres',
    create: (s, p, n) => createPostgresSecrets(s, p, n),
    definition: (c) =>
      definePostgresFunction({
        connector: (base) => counting(base, () => (c.logins += 1)),
      }) as FunctionDefinition<unknown, object>,
  },
  {
    name: 'postgres alternating users (TLS)',
    kind: 'postgres',
    create: async (s, p, n) =>
      createPostgresSecrets(s, p, n, { masterarn: await createPostgresAdminSecret(s, `${p}-admin`) }),
    definition: (c) =>
      definePostgresFunction({
        connector: (base) => counting(base, () => (c.logins += 1)),
      }) as FunctionDefinition<unknown, object>,
  },
  {
    name: 'redis ACL user',
    kind: 'redis',
    create: (s, p, n) => createRedisSecrets(s, p, n),
    definition: (c) =>
      defineRedisFunction({
        connector: (config) => counting(createIoredisConnector(config), () => (c.logins += 1)),
      }) as FunctionDefinition<unknown, object>,
  },
];

/** Rotations behind the secret of the fresh-process call count. */
export const HISTORY_ROTATIONS = 4;

/** Median cost of the floor's unit operations, measured directly with the SDK and drivers. */
async function floorUnits(
  stack: BenchStack,
  samples: number,
): Promise<{ smMs: number; pgLoginMs: number; redisLoginMs: number }> {
  const [probe] = await createJwtSecrets(stack, 'bench-floor/jwt', 1);
  const sm: number[] = [];
  for (let i = 0; i < samples * 3; i += 1)
    sm.push((await time(() => stack.sm.send(new DescribeSecretCommand({ SecretId: probe! })))).ms);
  const { postgres } = stack;
  const pgLogins: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    pgLogins.push(
      (
        await time(async () => {
          const client = new pg.Client({
            host: postgres.host,
            port: postgres.port,
            user: postgres.adminUser,
            password: postgres.adminPassword,
            database: postgres.database,
            ssl: postgres.tls ? { ca: postgres.tls.caPem, servername: postgres.tls.serverName } : false,
          });
          await client.connect();
          await client.query('SELECT 1');
          await client.end();
        })
      ).ms,
    );
  }
  const redisLogins: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    redisLogins.push(
      (
        await time(async () => {
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
          await client.ping();
          client.disconnect();
        })
      ).ms,
    );
  }
  return {
    smMs: summarize(sm).median,
    pgLoginMs: summarize(pgLogins).median,
    redisLoginMs: summarize(redisLogins).median,
  };
}

/**
 * Rotation latency, warm: RotateSecret to completion through the emulator with the
 * function in process (warm, as a reused Lambda would be), against the floor: the same
 * number of Secrets Manager round trips and target logins made directly.
 */
export async function benchLatency(stack: BenchStack, runs: number): Promise<LatencyResult[]> {
  const units = await floorUnits(stack, Math.max(5, runs));
  const client = new SecretsManagerClient({
    endpoint: stack.emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const results: LatencyResult[] = [];
  try {
    for (const [index, benchCase] of CASES.entries()) {
      const counters: Counters = { sm: 0, logins: 0 };
      const secrets = counting(createSdkSecretsPort(client), (method) => {
        if (method !== 'tagResource') counters.sm += 1; // progress tags are counted apart
      });
      // A function instance as a Lambda sandbox holds it: its own version cache.
      const instance = () =>
        buildRotationFunction(benchCase.definition(counters), {
          env: stack.functionEnv(benchCase.kind),
          secrets,
          logger: createMemoryLog(),
          metrics: createMemoryMetrics(),
        });
      const fn = instance();
      const arn = stack.emu.registerFunction(`bench-latency-${index}`, (event) => fn.handler(event));
      const rotateOnce = async (name: string, functionArn: string): Promise<void> => {
        await stack.sm.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: functionArn }));
        const record = await stack.emu.waitForRotation(name);
        if (record.outcome !== 'succeeded')
          throw new Error(`${benchCase.name}: rotation failed at ${record.steps.find((s) => !s.ok)?.step}`);
      };
      const warmup = 2;
      const names = await benchCase.create(stack, `bench-lat${index}/${benchCase.kind}`, runs + warmup);
      const samples: number[] = [];
      let smCalls = 0;
      let logins = 0;
      for (const [i, name] of names.entries()) {
        counters.sm = 0;
        counters.logins = 0;
        const { ms } = await time(() => rotateOnce(name, arn));
        if (i < warmup) continue;
        samples.push(ms);
        smCalls = counters.sm;
        logins = counters.logins;
      }
      const [historied] = await benchCase.create(stack, `bench-lath${index}/${benchCase.kind}`, 1);
      for (let i = 0; i < HISTORY_ROTATIONS; i += 1) await rotateOnce(historied!, arn);
      const fresh = instance();
      const freshArn = stack.emu.registerFunction(`bench-latency-fresh-${index}`, (event) =>
        fresh.handler(event),
      );
      counters.sm = 0;
      await rotateOnce(historied!, freshArn);
      const smCallsWithHistory = counters.sm;
      const loginMs =
        benchCase.kind === 'postgres' ? units.pgLoginMs : benchCase.kind === 'redis' ? units.redisLoginMs : 0;
      const floorMs = (smCalls + 1) * units.smMs + logins * loginMs; // + RotateSecret
      const rotationMs = summarize(samples);
      results.push({
        name: benchCase.name,
        kind: benchCase.kind,
        rotationMs,
        smCalls,
        logins,
        smCallsWithHistory,
        floorMs,
        ratio: rotationMs.median / floorMs,
      });
    }
  } finally {
    client.destroy();
  }
  return results;
}
