import { PROGRESS_TAG_PREFIX } from '../../shared/rotation-progress.ts';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtFunction } from '../../functions/jwt/definition.ts';
import { postgresFunction } from '../../functions/postgres/definition.ts';
import { redisFunction } from '../../functions/redis/definition.ts';
import { LeakDetector, errorText } from '../../scripts/chaos/leak-detector.ts';
import { startRecordingListener, type RecordingListener } from '../../scripts/testbed/recording-listener.ts';
import { redisAdmin } from '../../scripts/chaos/targets/redis-probe.ts';
import { startEmulator, type Emulator } from '../../scripts/emulator/index.ts';
import { isRotationError } from '../../shared/errors.ts';
import { buildRotationFunction, type FunctionDefinition } from '../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../scripts/testbed/memory-observability.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';
import {
  freePort,
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from '../../scripts/testbed/servers.ts';
import {
  BAD_INPUTS,
  SecretState,
  validCurrent,
  type BadInputCase,
  type CaseContext,
  type FunctionName,
} from './bad-inputs.ts';

// Every malformed input of the catalogue (bad-inputs.ts) ends in its stable error code,
// and leaves the secret's versions, labels and values, and the target's credentials
// (PostgreSQL roles and password verifiers, Redis ACL users), exactly as they were.

const DEFINITIONS: Record<FunctionName, FunctionDefinition<unknown, object>> = {
  jwt: jwtFunction as FunctionDefinition<unknown, object>,
  postgres: postgresFunction as FunctionDefinition<unknown, object>,
  redis: redisFunction as FunctionDefinition<unknown, object>,
};
const BASE_ENV: Record<FunctionName, Record<string, string>> = {
  jwt: {},
  postgres: { PG_SSL_MODE: 'disable', PG_CONNECT_TIMEOUT_MS: '2000', PG_STATEMENT_TIMEOUT_MS: '3000' },
  redis: { REDIS_CONNECT_TIMEOUT_MS: '1000', REDIS_COMMAND_TIMEOUT_MS: '1000' },
};

let emulator: Emulator;
let sm: SecretsManagerClient;
let pgServer: PostgresServer;
let redisServer: RedisServer;
let erroringRedis: net.Server;
let refuseArn: string;
const redisAdminUser = { username: 'bad_admin', password: randomBytes(18).toString('base64url') };
let closedPort: number;
let erroringRedisPort: number;
let listener: RecordingListener;

async function pgAdmin(sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({
    host: pgServer.host,
    port: pgServer.port,
    user: pgServer.adminUser,
    password: pgServer.adminPassword,
    database: 'postgres',
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query("SET log_statement = 'none'");
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  [emulator, pgServer, redisServer] = await Promise.all([
    startEmulator({ port: 0, rotationRetries: 0 }),
    startPostgres(),
    startRedis({ aclFile: true }),
  ]);
  sm = new SecretsManagerClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  // The service side only: a rotation function that refuses, so RotateSecret leaves its empty AWSPENDING placeholder.
  refuseArn = emulator.registerFunction('refuse', async () => {
    throw new Error('placeholder only');
  });
  await redisAdmin(redisServer, {}, [
    ['ACL', 'SETUSER', redisAdminUser.username, 'on', `>${redisAdminUser.password}`, '~*', '&*', '+@all'],
  ]);
  closedPort = await freePort();
  listener = await startRecordingListener();
  // A "Redis" that answers every command with an error reply.
  erroringRedis = net.createServer((socket) => {
    socket.on('data', (chunk) => {
      const commands = chunk.toString('latin1').match(/\*\d+\r\n\$/g)?.length ?? 1;
      socket.write('-ERR internal error, try again later\r\n'.repeat(commands));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => erroringRedis.listen(0, '127.0.0.1', resolve));
  erroringRedisPort = (erroringRedis.address() as net.AddressInfo).port;
});

afterAll(async () => {
  sm?.destroy();
  await emulator?.close();
  await Promise.all([pgServer?.destroy(), redisServer?.destroy()]);
  await new Promise((resolve) => erroringRedis?.close(resolve));
  await listener?.close();
});

async function smSnapshot(arn: string): Promise<string> {
  const described = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
  const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }));
  const versions = [];
  for (const version of listed.Versions ?? []) {
    const value = await sm
      .send(new GetSecretValueCommand({ SecretId: arn, VersionId: version.VersionId }))
      .catch(() => undefined);
    versions.push({
      id: version.VersionId,
      stages: [...(version.VersionStages ?? [])].sort(),
      value:
        value?.SecretString ??
        (value?.SecretBinary ? Buffer.from(value.SecretBinary).toString('base64') : null),
    });
  }
  versions.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  return JSON.stringify({
    stages: described.VersionIdsToStages,
    enabled: described.RotationEnabled,
    // The function's own progress record is expected to change on a failed step; checked apart below.
    tags: (described.Tags ?? []).filter((tag) => !String(tag.Key).startsWith(PROGRESS_TAG_PREFIX)),
    versions,
  });
}

async function targetSnapshot(): Promise<string> {
  const roles = await pgAdmin(
    "SELECT rolname, rolpassword, rolcanlogin FROM pg_authid WHERE rolname LIKE 'bad\\_%' OR rolname LIKE 'weak\\_%' ORDER BY rolname",
  );
  const acl = await redisAdmin(redisServer, redisAdminUser, [['ACL', 'LIST']]);
  return JSON.stringify({ roles: roles.rows, acl });
}

async function runCase(index: number, testCase: BadInputCase): Promise<void> {
  const user = `bad_${index}`;
  // Random through and through: every 6-character run of it is searched for in what the function emits.
  const password = `B${randomBytes(15).toString('base64url')}`;
  await pgAdmin(`DROP ROLE IF EXISTS ${user}_clone`);
  await pgAdmin(`DROP ROLE IF EXISTS ${user}`);
  await pgAdmin(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
  await redisAdmin(redisServer, redisAdminUser, [
    ['ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, '~*', '&*', '+@all'],
  ]);
  const leaks = new LeakDetector({ fragments: true });
  const createdArns: Record<string, string> = {};
  leaks.add(password, 'case password');
  const ctx: CaseContext = {
    pg: {
      host: pgServer.host,
      port: pgServer.port,
      adminUser: pgServer.adminUser,
      adminPassword: pgServer.adminPassword,
    },
    redis: {
      host: redisServer.host,
      port: redisServer.port,
      adminUser: redisAdminUser.username,
      adminPassword: redisAdminUser.password,
    },
    listener: { host: listener.host, port: listener.port },
    secret(value) {
      leaks.add(value, 'case-made secret');
      return value;
    },
    createdArns,
    user,
    password,
    closedPort,
    erroringRedisPort,
    async createSecret(name, value) {
      if (typeof value === 'string') leaks.addSecretString(value, `${name} value`);
      if (name === 'redis-admin') leaks.add(redisAdminUser.password, 'Redis admin password');
      if (name === 'pg-admin') leaks.add(pgServer.adminPassword, 'PostgreSQL admin password');
      const out = await sm.send(
        new CreateSecretCommand({
          Name: `bad-${index}-${name}`,
          ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }),
        }),
      );
      createdArns[name] = out.ARN as string;
      return out.ARN as string;
    },
    pgAdmin: async (sql) => void (await pgAdmin(sql)),
    redisAdmin: async (...args) => void (await redisAdmin(redisServer, redisAdminUser, [args])),
  };

  // The secret: AWSPREVIOUS and AWSCURRENT (same value), then the state the case asks for.
  const current = (await testCase.current?.(ctx)) ?? validCurrent(testCase.fn, ctx);
  const valueInput = typeof current === 'string' ? { SecretString: current } : { SecretBinary: current };
  if (typeof current === 'string') leaks.addSecretString(current, 'current value');
  const created = await sm.send(new CreateSecretCommand({ Name: `bad-${index}`, ...valueInput }));
  const arn = created.ARN as string;
  const previousToken = created.VersionId as string;
  await sm.send(new PutSecretValueCommand({ SecretId: arn, ...valueInput }));
  let pendingToken = 'e'.repeat(36);
  const state = testCase.state ?? SecretState.placeholder;
  if (state !== SecretState.idle) {
    const rotation = await sm.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: refuseArn,
        RotationRules: { AutomaticallyAfterDays: 90 },
      }),
    );
    pendingToken = rotation.VersionId as string;
    await emulator.waitForRotation(arn);
    if (state === SecretState.disabled) await sm.send(new CancelRotateSecretCommand({ SecretId: arn }));
  }
  if (testCase.pending) {
    const pending = testCase.pending(ctx);
    leaks.addSecretString(pending, 'pending value');
    await sm.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: pendingToken,
        SecretString: pending,
        VersionStages: ['AWSPENDING'],
      }),
    );
  }

  const logger = createMemoryLog();
  const metrics = createMemoryMetrics();
  const fn = buildRotationFunction(DEFINITIONS[testCase.fn], {
    env: {
      SECRETS_MANAGER_ENDPOINT: emulator.endpoint,
      AWS_REGION: 'us-east-1',
      ...BASE_ENV[testCase.fn],
      ...(typeof testCase.env === 'function' ? testCase.env(ctx) : (testCase.env ?? {})),
    },
    secrets: createSdkSecretsPort(sm),
    logger,
    metrics,
  });
  for (const step of testCase.before ?? [])
    await fn.invoke({ Step: step, SecretId: arn, ClientRequestToken: pendingToken });
  await testCase.arrange?.(ctx);

  const connectionsBefore = listener.connections();
  const bytesBefore = listener.received().length;
  const secretBefore = await smSnapshot(arn);
  const targetBefore = await targetSnapshot();
  const eventContext = { arn, pendingToken, previousToken };
  const rawEvent = testCase.event
    ? testCase.event(eventContext)
    : { Step: testCase.step ?? 'createSecret', SecretId: arn, ClientRequestToken: pendingToken };
  let thrown: unknown;
  try {
    await fn.invoke(rawEvent);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'the step must fail').toBeDefined();
  expect(isRotationError(thrown), `not a RotationError: ${errorText(thrown).slice(0, 300)}`).toBe(true);
  expect((thrown as { code: string }).code, (thrown as Error).message).toBe(testCase.expected);
  expect(await smSnapshot(arn), 'versions, labels and values unchanged').toBe(secretBefore);
  // Where the function recorded its progress, it recorded this failure, never a success.
  const progress = Object.fromEntries(
    ((await sm.send(new DescribeSecretCommand({ SecretId: arn }))).Tags ?? [])
      .filter((tag) => String(tag.Key).startsWith(PROGRESS_TAG_PREFIX))
      .map((tag) => [String(tag.Key).slice(PROGRESS_TAG_PREFIX.length), tag.Value]),
  );
  if (Object.keys(progress).length > 0) {
    expect(progress['Outcome'], 'recorded outcome').toBe('failed');
    expect(progress['ErrorCode'], 'recorded error code').toBe(testCase.expected);
  }
  expect(await targetSnapshot(), 'target credentials unchanged').toBe(targetBefore);
  // No value in the error or the logs.
  const findings = [
    ...leaks.scan('error', errorText(thrown)),
    ...leaks.scanAll('log', logger.lines),
    ...leaks.scan('metrics', JSON.stringify(metrics.records)),
  ];
  // Nothing sent anywhere new: no secret (whole or a fragment) reached the recording listener, and
  // the attack cases did not even connect to it.
  const sentToListener = listener.received().subarray(bytesBefore).toString('latin1');
  findings.push(...leaks.scan('recording listener', sentToListener));
  if (testCase.listenerUntouched)
    expect(listener.connections(), 'connected to the listener').toBe(connectionsBefore);
  expect(findings).toEqual([]);
}

describe('bad inputs', () => {
  it('has at least 60 cases, covering every category and function', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(BAD_INPUTS.map((c) => c.category)).size).toBe(7);
    expect(new Set(BAD_INPUTS.map((c) => c.fn))).toEqual(new Set(['jwt', 'postgres', 'redis']));
    expect(new Set(BAD_INPUTS.map((c) => c.name)).size).toBe(BAD_INPUTS.length);
  });

  it.each(
    BAD_INPUTS.map(
      (testCase, index) =>
        [`${testCase.category}: ${testCase.name} -> ${testCase.expected}`, index, testCase] as const,
    ),
  )(
    '%s, changing nothing',
    async (_label, index, testCase) => {
      await runCase(index, testCase);
    },
    30_000,
  );
});
