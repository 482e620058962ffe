import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jwtFunction } from '../../functions/jwt/definition.ts';
import { definePostgresFunction } from '../../functions/postgres/definition.ts';
import { defineRedisFunction } from '../../functions/redis/definition.ts';
import type { CallCounts } from '../../scripts/emulator/call-counter.ts';
import { buildRotationFunction, type FunctionDefinition } from '../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../scripts/testbed/memory-observability.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';
import { startEmulatorSecrets, type EmulatorSecrets } from '../support/emulator-harness.ts';

/**
 * The Secrets Manager round trips of a rotation, counted by the emulator per operation:
 * the production wiring (buildRotationFunction over the SDK port, its version cache
 * included) against real PostgreSQL and Redis. Exact numbers, so a regression fails here;
 * AWS's own single-user PostgreSQL function makes 14 calls per rotation.
 *
 * - "fresh process": the first rotation a new process runs for a secret that already has
 *   HISTORY_ROTATIONS rotations behind it (made by another process), all four steps in it.
 * - "warm process": the next rotation of the same secret in that same process.
 * - "each step cold": every step in a process of its own.
 *
 * Where the 11 calls of a fresh single-user rotation go: createSecret DescribeSecret,
 * GetSecretValue of AWSCURRENT and of AWSPREVIOUS, ListSecretVersionIds and the two deprecated
 * versions the last-four-passwords rule needs, PutSecretValue (put first: AWSPENDING is read only
 * when the store refuses the value; passwords are drawn in the function, PASSWORD_GENERATOR=local);
 * setSecret and testSecret one DescribeSecret each (every value is known by VersionId);
 * finishSecret DescribeSecret and UpdateSecretVersionStage. Alternating users (13) reads every
 * past version until it has the pending login's last passwords (the other login's versions sit
 * in between, and a version's owner is known only by reading it) and the admin secret by label
 * at setSecret.
 */
const HISTORY_ROTATIONS = 4;
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
type Step = (typeof STEPS)[number];

interface Case {
  readonly name: string;
  readonly definition: () => FunctionDefinition<unknown, object>;
  readonly env?: Record<string, string>;
  /** Creates the secret (and what it names on the target); resolves with its ARN and those of the secrets it names. */
  readonly create: (h: EmulatorSecrets, name: string) => Promise<readonly string[]>;
  readonly fresh: CallCounts;
  readonly warm: CallCounts;
  readonly cold: Readonly<Record<Step, CallCounts>>;
  /**
   * A cut-over strategy (the old password dies at setSecret) records `Current=changing` before
   * it touches the target, so `status` is truthful if setSecret dies half-way: one more progress
   * write, in setSecret only.
   */
  readonly cutOver?: boolean;
}

let h: EmulatorSecrets;
const servers = inject('servers');
const postgresAdmin = async (statements: string[]): Promise<void> => {
  const client = new pg.Client({
    host: servers.postgres.host,
    port: servers.postgres.port,
    user: servers.postgres.adminUser,
    password: servers.postgres.adminPassword,
    database: servers.postgres.database,
  });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
};
const password = (): string => `Pw-${randomBytes(16).toString('hex')}`;

async function createPostgresUser(name: string): Promise<{ username: string; password: string }> {
  const username =
    `calls_${name.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(3).toString('hex')}`.toLowerCase();
  const secret = password();
  await postgresAdmin([
    `CREATE ROLE ${pg.escapeIdentifier(username)} LOGIN PASSWORD ${pg.escapeLiteral(secret)}`,
  ]);
  return { username, password: secret };
}

const postgresValue = (login: { username: string; password: string }, extra: object = {}) => ({
  engine: 'postgres',
  host: servers.postgres.host,
  port: servers.postgres.port,
  dbname: servers.postgres.database,
  ...login,
  ...extra,
});

/**
 * The same rotation with passwords from Secrets Manager (PASSWORD_GENERATOR=secretsmanager):
 * one GetRandomPassword more, in createSecret.
 */
function viaGetRandomPassword(base: Case): Case {
  const withOneDraw = (calls: CallCounts): CallCounts => ({ ...calls, GetRandomPassword: 1 });
  return {
    ...base,
    name: `${base.name} via GetRandomPassword`,
    env: { ...base.env, PASSWORD_GENERATOR: 'secretsmanager' },
    fresh: withOneDraw(base.fresh),
    warm: withOneDraw(base.warm),
    cold: { ...base.cold, createSecret: withOneDraw(base.cold.createSecret) },
  };
}

const POSTGRES_SINGLE_USER: Case = {
  name: 'postgres single user',
  cutOver: true,
  definition: () => definePostgresFunction() as FunctionDefinition<unknown, object>,
  env: { PG_SSL_MODE: 'disable' },
  create: async (hh, name) => [await hh.createSecret(name, postgresValue(await createPostgresUser(name)))],
  fresh: {
    DescribeSecret: 4,
    GetSecretValue: 4,
    ListSecretVersionIds: 1,
    PutSecretValue: 1,
    UpdateSecretVersionStage: 1,
  },
  warm: {
    DescribeSecret: 4,
    ListSecretVersionIds: 1,
    PutSecretValue: 1,
    UpdateSecretVersionStage: 1,
  },
  cold: {
    createSecret: {
      DescribeSecret: 1,
      GetSecretValue: 4,
      ListSecretVersionIds: 1,
      PutSecretValue: 1,
    },
    setSecret: { DescribeSecret: 1, GetSecretValue: 3 },
    testSecret: { DescribeSecret: 1, GetSecretValue: 3 },
    finishSecret: { DescribeSecret: 1, GetSecretValue: 2, UpdateSecretVersionStage: 1 },
  },
};

const CASES: readonly Case[] = [
  {
    name: 'jwt plain key',
    definition: () => jwtFunction as FunctionDefinition<unknown, object>,
    create: async (hh, name) => [await hh.createSecret(name, randomBytes(64).toString('base64'))],
    fresh: { DescribeSecret: 4, GetSecretValue: 2, PutSecretValue: 1, UpdateSecretVersionStage: 1 },
    warm: { DescribeSecret: 4, PutSecretValue: 1, UpdateSecretVersionStage: 1 },
    cold: {
      createSecret: { DescribeSecret: 1, GetSecretValue: 2, PutSecretValue: 1 },
      setSecret: { DescribeSecret: 1, GetSecretValue: 3 },
      testSecret: { DescribeSecret: 1, GetSecretValue: 3 },
      finishSecret: { DescribeSecret: 1, GetSecretValue: 2, UpdateSecretVersionStage: 1 },
    },
  },
  POSTGRES_SINGLE_USER,
  viaGetRandomPassword(POSTGRES_SINGLE_USER),
  {
    name: 'postgres alternating users',
    definition: () => definePostgresFunction() as FunctionDefinition<unknown, object>,
    env: { PG_SSL_MODE: 'disable' },
    create: async (hh, name) => {
      const masterarn = await hh.createSecret(
        `${name}-admin`,
        postgresValue({ username: servers.postgres.adminUser, password: servers.postgres.adminPassword }),
      );
      return [
        await hh.createSecret(name, postgresValue(await createPostgresUser(name), { masterarn })),
        masterarn,
      ];
    },
    fresh: {
      DescribeSecret: 4,
      GetSecretValue: 6,
      ListSecretVersionIds: 1,
      PutSecretValue: 1,
      UpdateSecretVersionStage: 1,
    },
    warm: {
      DescribeSecret: 4,
      GetSecretValue: 1,
      ListSecretVersionIds: 1,
      PutSecretValue: 1,
      UpdateSecretVersionStage: 1,
    },
    cold: {
      createSecret: {
        DescribeSecret: 1,
        GetSecretValue: 7,
        ListSecretVersionIds: 1,
        PutSecretValue: 1,
      },
      setSecret: { DescribeSecret: 1, GetSecretValue: 4 },
      testSecret: { DescribeSecret: 1, GetSecretValue: 3 },
      finishSecret: { DescribeSecret: 1, GetSecretValue: 2, UpdateSecretVersionStage: 1 },
    },
  },
  {
    name: 'redis ACL user',
    definition: () => defineRedisFunction() as FunctionDefinition<unknown, object>,
    create: async (hh, name) => {
      const username = `calls-${name.replace(/[^a-z0-9]/gi, '-')}-${randomBytes(3).toString('hex')}`;
      const secret = password();
      // ACL users are not replicated: the user exists on the primary and its replica alike.
      for (const node of [servers.redis, servers.redisReplica]) {
        const client = new Redis({ host: node.host, port: node.port, lazyConnect: true });
        client.on('error', () => undefined);
        await client.connect();
        try {
          await client.call('ACL', 'SETUSER', username, 'reset', 'on', `>${secret}`, '~*', '&*', '+@all');
        } finally {
          client.disconnect();
        }
      }
      return [
        await hh.createSecret(name, {
          host: servers.redis.host,
          port: servers.redis.port,
          username,
          password: secret,
        }),
      ];
    },
    fresh: {
      DescribeSecret: 4,
      GetSecretValue: 2,
      PutSecretValue: 1,
      UpdateSecretVersionStage: 1,
    },
    warm: {
      DescribeSecret: 4,
      PutSecretValue: 1,
      UpdateSecretVersionStage: 1,
    },
    cold: {
      createSecret: { DescribeSecret: 1, GetSecretValue: 2, PutSecretValue: 1 },
      setSecret: { DescribeSecret: 1, GetSecretValue: 3 },
      testSecret: { DescribeSecret: 1, GetSecretValue: 3 },
      finishSecret: { DescribeSecret: 1, GetSecretValue: 2, UpdateSecretVersionStage: 1 },
    },
  },
];

/** A rotation function as Lambda would hold it: built once, then invoked for each step. */
function build(testCase: Case) {
  return buildRotationFunction(testCase.definition(), {
    env: { SECRETS_MANAGER_ENDPOINT: h.emu.endpoint, AWS_REGION: 'us-east-1', ...testCase.env },
    secrets: createSdkSecretsPort(h.sm),
    logger: createMemoryLog(),
    metrics: createMemoryMetrics(),
  });
}

/** What `after` adds to `before`, operation by operation (zeros dropped). */
function added(before: CallCounts, after: CallCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [operation, count] of Object.entries(after)) {
    const delta = count - (before[operation] ?? 0);
    if (delta > 0) out[operation] = delta;
  }
  return out;
}

/** The calls made for the secrets `arns` and those that name no secret (GetRandomPassword), summed by operation. */
function snapshot(arns: readonly string[]): CallCounts {
  const sum: Record<string, number> = {};
  for (const calls of [...arns.map((arn) => h.emu.calls(arn)), h.emu.calls()])
    for (const [operation, count] of Object.entries(calls)) sum[operation] = (sum[operation] ?? 0) + count;
  return sum;
}

/**
 * The progress the rotator records on the secret (TagResource) is counted apart from the
 * figures above: at most one write per step. Takes those writes out of `calls`.
 */
function withoutProgressWrites(calls: Record<string, number>, writesAllowed: number): Record<string, number> {
  const { TagResource: progressWrites = 0, ...rest } = calls;
  expect(progressWrites).toBeLessThanOrEqual(writesAllowed);
  return rest;
}

async function rotateCounted(
  arns: readonly string[],
  functionArn: string,
  cutOver = false,
): Promise<Record<string, number>> {
  const before = snapshot(arns);
  const record = await h.rotate(arns[0]!, functionArn);
  expect(record.steps.map((step) => `${step.step}:${step.ok}`)).toEqual(STEPS.map((step) => `${step}:true`));
  const calls = added(before, snapshot(arns));
  expect(calls['RotateSecret']).toBe(1);
  delete calls['RotateSecret']; // the caller's, not the function's
  return withoutProgressWrites(calls, STEPS.length + (cutOver ? 1 : 0));
}

const total = (calls: CallCounts): number => Object.values(calls).reduce((sum, n) => sum + n, 0);

beforeAll(async () => {
  h = await startEmulatorSecrets({ rotationRetries: 0 });
});

afterAll(async () => {
  await h?.close();
});

describe.each(CASES)('Secrets Manager calls of a rotation: $name', (testCase) => {
  let arns: readonly string[];
  let warmArn: string;

  beforeAll(async () => {
    arns = await testCase.create(h, `calls/${testCase.name.replace(/ /g, '-')}`);
    const elsewhere = build(testCase);
    const historyArn = h.emu.registerFunction(`history-${testCase.name.replace(/ /g, '-')}`, (event) =>
      elsewhere.handler(event),
    );
    for (let i = 0; i < HISTORY_ROTATIONS; i += 1) {
      const record = await h.rotate(arns[0]!, historyArn);
      expect(record.steps.filter((step) => !step.ok).map((step) => step.error)).toEqual([]);
    }
  });

  it('makes the expected calls when a fresh process runs all four steps', async () => {
    const fn = build(testCase);
    warmArn = h.emu.registerFunction(`fresh-${testCase.name.replace(/ /g, '-')}`, (event) =>
      fn.handler(event),
    );
    const calls = await rotateCounted(arns, warmArn, testCase.cutOver);
    console.info(`${testCase.name}: fresh process ${total(calls)} calls ${JSON.stringify(calls)}`);
    expect(calls).toEqual(testCase.fresh);
  });

  it('makes the expected calls when the same warm process rotates the secret again', async () => {
    const calls = await rotateCounted(arns, warmArn, testCase.cutOver);
    console.info(`${testCase.name}: warm process ${total(calls)} calls ${JSON.stringify(calls)}`);
    expect(calls).toEqual(testCase.warm);
  });

  it('makes the expected calls when each step runs in a cold process', async () => {
    const perStep: Partial<Record<Step, Record<string, number>>> = {};
    const coldArn = h.emu.registerFunction(`cold-${testCase.name.replace(/ /g, '-')}`, async (event) => {
      const step = (event as { Step: Step }).Step;
      const before = snapshot(arns);
      try {
        await build(testCase).handler(event);
      } finally {
        const writesAllowed = 1 + (testCase.cutOver && step === 'setSecret' ? 1 : 0);
        perStep[step] = withoutProgressWrites(added(before, snapshot(arns)), writesAllowed);
      }
    });
    await rotateCounted(arns, coldArn, testCase.cutOver);
    console.info(`${testCase.name}: each step cold ${JSON.stringify(perStep)}`);
    expect(perStep).toEqual(testCase.cold);
  });
});
