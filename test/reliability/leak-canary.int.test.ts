import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtFunction } from '../../functions/jwt/definition.ts';
import { postgresFunction } from '../../functions/postgres/definition.ts';
import { redisFunction } from '../../functions/redis/definition.ts';
import { createMemoryOutput } from '../../scripts/cli/output.ts';
import { runCli } from '../../scripts/cli/run-cli.ts';
import { LeakDetector, type LeakFinding } from '../../scripts/chaos/leak-detector.ts';
import { redisAdmin } from '../../scripts/chaos/targets/redis-probe.ts';
import { startEmulator, type Emulator } from '../../scripts/emulator/index.ts';
import { localPasswordGenerator, type PasswordGenerator } from '../../shared/password.ts';
import { buildRotationFunction, type FunctionDefinition } from '../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../scripts/testbed/memory-observability.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';
import type { SecretsPort } from '../../shared/secrets-port.ts';
import {
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from '../../scripts/testbed/servers.ts';

// The leak canary: every kind rotated with known starting values through its handler
// (normal, emergency and failing rotations, driven by the SDK and by the operator CLI),
// then every value Secrets Manager holds (all versions of all secrets, read through the SDK)
// and every password the functions drew (or GetRandomPassword produced) is looked for in: every log line, every
// error message (thrown and recorded by the emulator), every metric, all CLI output, the
// PostgreSQL server log (log_statement = 'all') and a Redis MONITOR capture of both servers.

const PREFIX = 'canary-';
let emulator: Emulator;
let sm: SecretsManagerClient;
let pgServer: PostgresServer;
let aclRedis: RedisServer;
let passRedis: RedisServer;
const admin = { username: 'canary_admin', password: randomBytes(18).toString('base64url') };
const leaks = new LeakDetector({ fragments: true });
const logs = createMemoryLog();
const metrics = createMemoryMetrics();
const cliOutput: string[] = [];
const monitorLines: string[] = [];
const monitors: Redis[] = [];
const errors: string[] = [];
const functionArns: Record<string, string> = {};

async function pgAdmin(sql: string): Promise<void> {
  const client = new pg.Client({
    host: pgServer.host,
    port: pgServer.port,
    user: pgServer.adminUser,
    password: pgServer.adminPassword,
    database: 'postgres',
  });
  await client.connect();
  try {
    await client.query("SET log_statement = 'none'");
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function recordingPort(): SecretsPort {
  const port = createSdkSecretsPort(sm);
  return {
    ...port,
    getRandomPassword: async (input) => {
      const value = await port.getRandomPassword(input);
      leaks.add(value.reveal(), 'GetRandomPassword result');
      return value;
    },
  };
}

/** The functions' own generator (PASSWORD_GENERATOR=local, the default), every password it draws recorded. */
function recordingPasswords(): PasswordGenerator {
  const local = localPasswordGenerator();
  return {
    generate: async (policy) => {
      const value = await local.generate(policy);
      leaks.add(value.reveal(), 'generated password');
      return value;
    },
  };
}

function register(
  name: string,
  definition: FunctionDefinition<unknown, object>,
  env: Record<string, string>,
): void {
  const fn = buildRotationFunction(definition, {
    env: { SECRETS_MANAGER_ENDPOINT: emulator.endpoint, AWS_REGION: 'us-east-1', ...env },
    secrets: recordingPort(),
    passwords: recordingPasswords(),
    logger: logs,
    metrics,
  });
  functionArns[name] = emulator.registerFunction(`canary-${name}`, async (event: unknown) => {
    try {
      await fn.handler(event);
    } catch (error) {
      errors.push(
        error instanceof Error
          ? `${error.name} ${(error as { code?: string }).code ?? ''} ${error.message} ${JSON.stringify((error as { details?: unknown }).details ?? {})}`
          : String(error),
      );
      throw error;
    }
    return null;
  });
}

async function create(name: string, value: string): Promise<string> {
  leaks.addSecretString(value, `${name} initial value`);
  const out = await sm.send(new CreateSecretCommand({ Name: `${PREFIX}${name}`, SecretString: value }));
  return out.ARN as string;
}

async function rotate(arn: string, fn: string): Promise<string> {
  await sm.send(
    new RotateSecretCommand({
      SecretId: arn,
      RotationLambdaARN: functionArns[fn],
      RotationRules: { AutomaticallyAfterDays: 90 },
    }),
  );
  return (await emulator.waitForRotation(arn)).outcome;
}

async function cli(...argv: string[]): Promise<number> {
  const out = createMemoryOutput();
  const code = await runCli([...argv, '--endpoint-url', emulator.endpoint], { env: {}, out, client: sm });
  cliOutput.push(out.text());
  return code;
}

async function startMonitor(server: RedisServer): Promise<void> {
  const client = new Redis({
    host: server.host,
    port: server.port,
    username: admin.username,
    password: admin.password,
    lazyConnect: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  const monitor = await client.monitor();
  monitor.on('monitor', (_time: string, args: string[]) => monitorLines.push(args.join(' ')));
  monitors.push(client, monitor);
}

const outcomes: Record<string, string[]> = {};
const note = (name: string, outcome: string | number): void => {
  (outcomes[name] ??= []).push(String(outcome));
};

beforeAll(async () => {
  [emulator, pgServer, aclRedis, passRedis] = await Promise.all([
    startEmulator({ port: 0, rotationRetries: 1 }),
    startPostgres({ logStatements: true }),
    startRedis({ aclFile: true }),
    startRedis({ configFile: true }),
  ]);
  sm = new SecretsManagerClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
  for (const server of [aclRedis, passRedis])
    await redisAdmin(server, {}, [
      ['ACL', 'SETUSER', admin.username, 'on', `>${admin.password}`, '~*', '&*', '+@all'],
    ]);
  // Pure random (no readable label): every 6-character run of each value is searched for too.
  const known = (_label: string): string => randomBytes(18).toString('base64url');
  const pgSingle = known('pg-single');
  const pgUrl = known('pg-url');
  const pgAlt = known('pg-alt');
  const redisAcl = known('redis-acl');
  const redisAclUrl = known('redis-acl-url');
  const redisPass = known('redis-pass');
  // Provisioning happens before any capture starts and with statement logging off.
  await pgAdmin(`CREATE ROLE canary_single LOGIN PASSWORD '${pgSingle}'`);
  await pgAdmin(`CREATE ROLE canary_url LOGIN PASSWORD '${pgUrl}'`);
  await pgAdmin(`CREATE ROLE canary_alt LOGIN PASSWORD '${pgAlt}'`);
  await redisAdmin(aclRedis, admin, [
    ['ACL', 'SETUSER', 'canary_acl', 'on', `>${redisAcl}`, '~*', '&*', '+@all'],
    ['ACL', 'SETUSER', 'canary_acl_url', 'on', `>${redisAclUrl}`, '~*', '&*', '+@all'],
  ]);
  await redisAdmin(passRedis, admin, [['CONFIG', 'SET', 'requirepass', redisPass]]);
  await Promise.all([startMonitor(aclRedis), startMonitor(passRedis)]);

  register('jwt', jwtFunction as FunctionDefinition<unknown, object>, {});
  register('pg', postgresFunction as FunctionDefinition<unknown, object>, { PG_SSL_MODE: 'disable' });
  register('redis', redisFunction as FunctionDefinition<unknown, object>, {});

  const pg = { engine: 'postgres', host: pgServer.host, port: pgServer.port, dbname: 'postgres', ssl: false };
  const adminArn = await create(
    'pg-admin',
    JSON.stringify({ ...pg, username: pgServer.adminUser, password: pgServer.adminPassword }),
  );
  const secrets: [string, string, string][] = [
    ['jwt-plain', 'jwt', randomBytes(64).toString('base64')],
    [
      'jwt-named',
      'jwt',
      JSON.stringify({
        JWT_SECRET: randomBytes(64).toString('base64'),
        REFRESH_KEY: randomBytes(64).toString('hex'),
        issuer: 'canary',
      }),
    ],
    [
      'jwt-keyring',
      'jwt',
      JSON.stringify({
        format: 'jwt-keyring/v1',
        keys: [
          {
            kid: 'k0',
            alg: 'HS256',
            createdAt: '2026-01-01T00:00:00Z',
            status: 'current',
            k: randomBytes(64).toString('base64url'),
          },
        ],
      }),
    ],
    ['pg-single-json', 'pg', JSON.stringify({ ...pg, username: 'canary_single', password: pgSingle })],
    [
      'pg-single-url',
      'pg',
      `postgresql://canary_url:${encodeURIComponent(pgUrl)}@${pgServer.host}:${pgServer.port}/postgres?sslmode=disable`,
    ],
    [
      'pg-alternating',
      'pg',
      JSON.stringify({ ...pg, username: 'canary_alt', password: pgAlt, masterarn: adminArn }),
    ],
    [
      'pg-wrong-password',
      'pg',
      JSON.stringify({ ...pg, username: 'canary_single', password: known('pg-wrong') }),
    ],
    [
      'redis-acl-json',
      'redis',
      JSON.stringify({
        host: aclRedis.host,
        port: aclRedis.port,
        username: 'canary_acl',
        password: redisAcl,
        mode: 'acl',
      }),
    ],
    [
      'redis-acl-url',
      'redis',
      `redis://canary_acl_url:${encodeURIComponent(redisAclUrl)}@${aclRedis.host}:${aclRedis.port}`,
    ],
    [
      'redis-requirepass',
      'redis',
      JSON.stringify({
        host: passRedis.host,
        port: passRedis.port,
        password: redisPass,
        mode: 'requirepass',
      }),
    ],
  ];
  // Issue 14, attack 5: URLs whose raw password holds "@" and "/" (and "#", "?"), built so a
  // parser that ends the user info too early reads a piece of the password as the host.
  const piece = (): string => randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');
  const hostile = [
    [
      'pg-url-at-slash',
      'pg',
      (pw: string) =>
        `postgresql://canary_url:${pw}@${pgServer.host}:${pgServer.port}/postgres?sslmode=disable`,
      `${piece()}@${piece()}/${piece()}`,
    ],
    [
      'pg-url-at-slash-2',
      'pg',
      (pw: string) =>
        `postgresql://canary_url:${pw}@${pgServer.host}:${pgServer.port}/postgres?sslmode=disable`,
      `${piece()}/${piece()}@${piece()}`,
    ],
    [
      'redis-url-at-slash',
      'redis',
      (pw: string) => `redis://canary_acl_url:${pw}@${aclRedis.host}:${aclRedis.port}`,
      `${piece()}@${piece()}/${piece()}`,
    ],
    [
      'redis-url-hash',
      'redis',
      (pw: string) => `redis://canary_acl_url:${pw}@${aclRedis.host}:${aclRedis.port}`,
      `${piece()}@${piece()}#${piece()}`,
    ],
    [
      'redis-url-question',
      'redis',
      (pw: string) => `redis://canary_acl_url:${pw}@${aclRedis.host}:${aclRedis.port}`,
      `${piece()}@${piece()}?${piece()}`,
    ],
  ] as const;
  for (const [name, fn, url, password] of hostile) {
    leaks.add(password, `${name} raw URL password`);
    secrets.push([name, fn, url(password)]);
  }
  const arns: Record<string, string> = {};
  for (const [name, , value] of secrets) arns[name] = await create(name, value);
  // First rotation of each through the SDK (this also stores the rotation function).
  for (const [name, fn] of secrets) note(name, await rotate(arns[name] as string, fn));
  // Second: every canary secret at once through the operator CLI; then an emergency one.
  note('cli rotate --filter', await cli('rotate', '--filter', PREFIX, '--yes'));
  note(
    'cli rotate --emergency',
    await cli(
      'rotate',
      `${PREFIX}redis-acl-json`,
      `${PREFIX}pg-alternating`,
      `${PREFIX}jwt-keyring`,
      '--emergency',
      '--yes',
    ),
  );
  note('cli status', await cli('status', '--filter', PREFIX));
  note('cli repair', await cli('repair', `${PREFIX}pg-wrong-password`, '--yes'));
  note('cli status --json', await cli('status', '--filter', PREFIX, '--json'));

  // Everything Secrets Manager holds, every version of every secret.
  const listed = await sm.send(new ListSecretsCommand({ MaxResults: 100 }));
  for (const secret of listed.SecretList ?? []) {
    const versions = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: secret.ARN, IncludeDeprecated: true }),
    );
    for (const version of versions.Versions ?? []) {
      const value = await sm
        .send(new GetSecretValueCommand({ SecretId: secret.ARN, VersionId: version.VersionId }))
        .catch(() => undefined);
      if (value?.SecretString)
        leaks.addSecretString(value.SecretString, `${secret.Name} version ${version.VersionId}`);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 100)); // let MONITOR lines arrive
}, 180_000);

afterAll(async () => {
  for (const client of monitors) client.disconnect();
  sm?.destroy();
  await emulator?.close();
  await Promise.all([pgServer?.destroy(), aclRedis?.destroy(), passRedis?.destroy()]);
});

describe('leak canary', () => {
  it('rotated every kind, including emergency and failing rotations, through the SDK and the CLI', () => {
    for (const name of [
      'jwt-plain',
      'jwt-named',
      'jwt-keyring',
      'pg-single-json',
      'pg-single-url',
      'pg-alternating',
      'redis-acl-json',
      'redis-acl-url',
      'redis-requirepass',
    ]) {
      expect(outcomes[name], name).toEqual(['succeeded']);
    }
    expect(outcomes['pg-wrong-password']).toEqual(['failed']);
    for (const name of [
      'pg-url-at-slash',
      'pg-url-at-slash-2',
      'redis-url-at-slash',
      'redis-url-hash',
      'redis-url-question',
    ])
      expect(outcomes[name], name).toEqual(['failed']);
    // The filtered CLI run meets the failed secrets' stale AWSPENDING ("A previous rotation isn't
    // complete", exit 3), and refuses to start on the wrong-password one, whose function recorded
    // that no stored credential logs in (exit 1, which outranks 3); the emergency run succeeds.
    expect(outcomes['cli rotate --filter']).toEqual(['1']);
    expect(cliOutput.join('\n')).toMatch(/pg-wrong-password\s+refused/);
    expect(outcomes['cli rotate --emergency']).toEqual(['0']);
    expect(errors.some((text) => text.includes('ERR_NO_WORKING_CREDENTIAL'))).toBe(true);
  });

  it('captured real material to scan (so a clean result means something)', async () => {
    expect(leaks.size).toBeGreaterThan(30);
    expect(logs.lines.length).toBeGreaterThan(100);
    expect(metrics.records.length).toBeGreaterThan(50);
    expect(await pgServer.readLog()).toMatch(/ALTER ROLE/);
    // Redis 7 leaves AUTH's arguments, ACL and CONFIG commands out of MONITOR by design; the
    // capture holds the rest of the functions' traffic (HELLO, ROLE, INFO, PING, the test command).
    expect(monitorLines.some((line) => /^DBSIZE/i.test(line))).toBe(true);
    expect(monitorLines.some((line) => /^ROLE/i.test(line))).toBe(true);
    expect(cliOutput.join('\n')).toContain(`${PREFIX}pg-wrong-password`);
    // The scanner itself finds a planted value in each capture's format.
    const value = 'Planted-Canary-Value-12345';
    const probe = new LeakDetector({ fragments: true });
    probe.add(value, 'planted');
    expect(probe.scan('log', JSON.stringify({ message: 'x', value }))).toHaveLength(1);
    expect(probe.scan('pg log', `LOG:  statement: ALTER ROLE x PASSWORD '${value}'`)).toHaveLength(1);
    expect(probe.scan('monitor', `CONFIG SET requirepass ${value}`)).toHaveLength(1);
    // ... and a planted 6-character fragment of a value, as a host in a JSON log line.
    expect(probe.scan('log', JSON.stringify({ message: 'x', host: value.slice(9, 15) }))).toHaveLength(1);
    expect(probe.scan('log', JSON.stringify({ message: 'x', host: value.slice(9, 14) }))).toHaveLength(0);
  });

  it('finds no stored or generated secret value in any log line, error, metric, CLI output, PostgreSQL log or Redis MONITOR capture', async () => {
    const findings: LeakFinding[] = [
      ...leaks.scanAll('log line', logs.lines),
      ...leaks.scanAll('error message', errors),
      ...leaks.scanAll(
        'emulator rotation record',
        emulator.rotations.flatMap((record) => record.steps.map((step) => JSON.stringify(step.error ?? {}))),
      ),
      ...leaks.scan('metrics', JSON.stringify(metrics.records)),
      ...leaks.scanAll('CLI output', cliOutput),
      ...leaks.scan('PostgreSQL server log', await pgServer.readLog()),
      ...leaks.scanAll('Redis MONITOR', monitorLines),
    ];
    expect(findings).toEqual([]);
    const { fragments, scannedChars } = leaks.fragmentStats;
    // The figures of the fragment scan, for the record (issue 14).
    console.info(
      `leak canary: ${leaks.size} whole values and ${fragments} fragments (6+ characters) searched in ${scannedChars} characters; ${findings.length} found`,
    );
    expect(fragments).toBeGreaterThan(1000);
    expect(scannedChars).toBeGreaterThan(100_000);
  });
});
