import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_FILE, OPTIONAL_NATIVE_MODULES, SOURCE_MAP_FILE } from '../../scripts/build/bundle.ts';
import { buildFunctions, sizeViolations, type BuildResult, type BuiltZip } from '../../scripts/build/build-functions.ts';
import { LICENSES_FILE } from '../../scripts/build/licenses.ts';
import { extractZip, readZip } from '../../scripts/build/unzip.ts';
import { startEmulator, type Emulator } from '../../scripts/emulator/index.ts';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '../../scripts/testbed/servers.ts';

/**
 * The shipped artefacts: dist/<kind>.zip exactly as `npm run build` makes them, each run
 * by the emulator in a warm child process (unzipped, index.mjs imported, handler(event,
 * context) called) and driven by RotateSecret through the real SDK against a real
 * PostgreSQL and Redis.
 */
const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
const KINDS = ['jwt', 'postgres', 'redis'] as const;
type Kind = (typeof KINDS)[number];

const PG_PASSWORD = `Pg-${randomBytes(12).toString('hex')}`;
const REDIS_ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const REDIS_PASSWORD = `Rd-${randomBytes(12).toString('hex')}`;
const JWT_KEY = randomBytes(64).toString('base64');

let workDir: string;
let first: BuildResult;
let second: BuildResult;
let emu: Emulator;
let client: SecretsManagerClient;
let postgres: PostgresServer;
let redis: RedisServer;
const arns: Partial<Record<Kind, string>> = {};

const zipOf = (result: BuildResult, kind: Kind): BuiltZip => {
  const zip = result.built.find((built) => built.name === kind);
  if (!zip) throw new Error(`${kind}.zip was not built: ${result.skipped.map((skip) => skip.reason).join('; ')}`);
  return zip;
};

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'dist-zips-'));
  [first, second, postgres, redis] = await Promise.all([
    buildFunctions({ rootDir, outDir: path.join(workDir, 'one') }),
    buildFunctions({ rootDir, outDir: path.join(workDir, 'two') }),
    startPostgres(),
    startRedis({ requirepass: REDIS_ADMIN }),
  ]);
  emu = await startEmulator({ port: 0, rotationRetries: 0 });
  client = new SecretsManagerClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const env = { POWERTOOLS_LOG_LEVEL: 'DEBUG' };
  for (const kind of KINDS) arns[kind] = emu.registerFunction(`${kind}-zip`, { path: zipOf(first, kind).zipPath }, { env, poolSize: 1 });
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await emu?.close();
  await Promise.all([postgres?.stop(), redis?.stop()]);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function rotate(kind: Kind, name: string, value: string) {
  const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  const secretId = created.ARN ?? name;
  const before = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  await client.send(new RotateSecretCommand({ SecretId: secretId, RotationLambdaARN: arns[kind], RotationRules: { AutomaticallyAfterDays: 90 } }));
  const record = await emu.waitForRotation(secretId);
  const current = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const previous = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS' }));
  return { record, current: current.SecretString ?? '', previous: previous.SecretString ?? '', versionsBefore: Object.keys(before.VersionIdsToStages ?? {}) };
}

function expectSucceeded(record: Awaited<ReturnType<typeof rotate>>['record']): void {
  expect({ outcome: record.outcome, steps: record.steps.map((step) => `${step.step}:${step.ok}`), errors: record.steps.flatMap((step) => (step.error ? [step.error] : [])) }).toEqual({
    outcome: 'succeeded',
    steps: ['createSecret:true', 'setSecret:true', 'testSecret:true', 'finishSecret:true'],
    errors: [],
  });
}

function expectNoSecretInLogs(kind: Kind, secrets: readonly string[]): void {
  const lines = emu.functionLogs(`${kind}-zip`);
  expect(lines.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
}

describe('dist zips', () => {
  it('are byte-identical across two builds, with their sizes and SHA-256 in the manifest', () => {
    const summary = (result: BuildResult) => result.built.map((zip) => ({ name: zip.name, bytes: zip.bytes, sha256: zip.sha256 }));
    expect(summary(first).map((zip) => zip.name)).toEqual([...KINDS]);
    expect(summary(second)).toEqual(summary(first));
    console.info(summary(first).map((zip) => `${zip.name}.zip ${zip.bytes} bytes sha256 ${zip.sha256}`).join('\n'));
  });

  it('meet their size budgets, except the PostgreSQL zip (the RDS client registers every RDS error class)', () => {
    // JWT and Redis are within budget; PostgreSQL's code alone is, its source map and notices are not.
    const violations = sizeViolations(first);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/^postgres\.zip is \d+ bytes, over its 150000 byte budget$/);
    expect(zipOf(first, 'postgres').bytes).toBeLessThan(205_000);
  });

  it.each(KINDS)('%s.zip holds only index.mjs, its lazily loaded chunks, their source maps and the licence notices', async (kind) => {
    const entries = await readZip(zipOf(first, kind).zipPath);
    const names = entries.map((entry) => entry.name);
    const chunks = names.slice(2, -1);
    expect([names[0], names[1], names.at(-1)]).toEqual([ENTRY_FILE, SOURCE_MAP_FILE, LICENSES_FILE]);
    // Each chunk is <module>-<content hash>.mjs followed by its map, in name order.
    expect(chunks.length % 2).toBe(0);
    for (let i = 0; i < chunks.length; i += 2) {
      expect(chunks[i]).toMatch(/^[a-z-]+-[A-Z0-9]{8}\.mjs$/);
      expect(chunks[i + 1]).toBe(`${chunks[i]}.map`);
    }
    expect(chunks.filter((_, i) => i % 2 === 0)).toEqual([...chunks.filter((_, i) => i % 2 === 0)].sort());
    for (const entry of entries.filter((e) => e.name.endsWith('.map'))) {
      const map = JSON.parse(entry.data.toString('utf8')) as { sources: string[] };
      expect(map.sources.every((source) => source.startsWith('shared/') || source.startsWith(`functions/${kind}/`) || source === 'scripts/build/lambda-credentials.ts' || source === 'scripts/build/bowser-stub.ts' || source === 'scripts/build/event-streams-stub.ts')).toBe(true);
    }
    expect(zipOf(first, kind).packages.some((name) => OPTIONAL_NATIVE_MODULES.some((native) => name.startsWith(`${native}@`)))).toBe(false);
  });

  it('keeps the RDS and ElastiCache clients, node-postgres and ioredis out of index.mjs: each loads as a chunk of its own on first use', async () => {
    const text = async (kind: Kind, match: (name: string) => boolean): Promise<string> => {
      const entry = (await readZip(zipOf(first, kind).zipPath)).find((e) => match(e.name));
      if (!entry) throw new Error(`${kind}.zip has no such entry`);
      return entry.data.toString('utf8');
    };
    for (const [kind, chunk, command] of [
      ['postgres', 'sdk-rds-port-', 'ModifyDBInstanceCommand'],
      ['redis', 'sdk-elasticache-port-', 'ModifyReplicationGroupCommand'],
      ['redis', 'ioredis-connector-', 'ClusterAllFailedError'],
      // node-postgres's chunk is named after its ESM entry, pg/esm/index.mjs.
      ['postgres', 'esm-', 'SCRAM-SERVER-FINAL-MESSAGE'],
    ] as const) {
      const index = await text(kind, (name) => name === ENTRY_FILE);
      const lazy = await text(kind, (name) => name.startsWith(chunk) && name.endsWith('.mjs'));
      expect(lazy).toContain(command);
      expect(index).not.toContain(command);
      expect(index).toMatch(new RegExp(`import\\("\\./${chunk}[A-Z0-9]{8}\\.mjs"\\)`));
      // The chunk loads from the unzipped function alone (no node_modules), as Lambda would load it.
      const dir = path.join(workDir, 'lazy', kind);
      const names = await extractZip(zipOf(first, kind).zipPath, dir);
      const file = names.find((name) => name.startsWith(chunk) && name.endsWith('.mjs'));
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', 'const m = await import(process.argv[1]); console.log(Object.keys(m).length > 0)', path.join(dir, file ?? '')], { cwd: dir, env: { PATH: process.env.PATH } });
      expect(stdout.trim()).toBe('true');
    }
  }, 30_000);

  it.each(KINDS)('%s index.mjs loads in a fresh node process without node_modules and rejects a bad event with ERR_EVENT_INVALID', async (kind) => {
    const dir = path.join(workDir, 'fresh', kind);
    await extractZip(zipOf(first, kind).zipPath, dir);
    const script = `
      const { handler } = await import(process.argv[1]);
      try { await handler({ Step: 'createSecret', SecretId: 'x' }, { awsRequestId: 'req-1', functionName: '${kind}' }); console.log(JSON.stringify({ ok: true })); }
      catch (error) { console.log(JSON.stringify({ ok: false, name: error.name, code: error.code })); }`;
    const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script, path.join(dir, ENTRY_FILE)], {
      cwd: dir,
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ ok: false, name: 'RotationError', code: 'ERR_EVENT_INVALID' });
  }, 20_000);

  it('jwt.zip rotates a plain signing key: a new key of the same encoding, the old one kept as AWSPREVIOUS', async () => {
    const result = await rotate('jwt', 'zips/jwt-plain', JWT_KEY);
    expectSucceeded(result.record);
    expect(result.current).not.toBe(JWT_KEY);
    expect(Buffer.from(result.current, 'base64').length).toBeGreaterThanOrEqual(64);
    expect(result.previous).toBe(JWT_KEY);
    expectNoSecretInLogs('jwt', [JWT_KEY, result.current]);
  }, 60_000);

  it('postgres.zip rotates a real PostgreSQL user: the new password logs in, the old one is refused', async () => {
    const admin = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.adminUser, password: postgres.adminPassword, database: postgres.database });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE zip_app LOGIN PASSWORD ${admin.escapeLiteral(PG_PASSWORD)}`);
    } finally {
      await admin.end();
    }
    const secret = { engine: 'postgres', host: postgres.host, port: postgres.port, username: 'zip_app', password: PG_PASSWORD, dbname: 'postgres', ssl: false, team: 'payments' };
    const result = await rotate('postgres', 'zips/postgres', JSON.stringify(secret));
    expectSucceeded(result.record);
    const current = JSON.parse(result.current) as typeof secret;
    expect({ ...current, password: 'x' }).toEqual({ ...secret, password: 'x' });
    expect(current.password).not.toBe(PG_PASSWORD);
    const login = async (password: string): Promise<string> => {
      const user = new pg.Client({ host: postgres.host, port: postgres.port, user: 'zip_app', password, database: 'postgres' });
      try {
        await user.connect();
        return 'ok';
      } catch (error) {
        return (error as { code?: string }).code ?? 'error';
      } finally {
        await user.end().catch(() => undefined);
      }
    };
    expect(await login(current.password)).toBe('ok');
    expect(await login(PG_PASSWORD)).toBe('28P01');
    expectNoSecretInLogs('postgres', [PG_PASSWORD, current.password]);
  }, 60_000);

  it('redis.zip rotates a real Redis ACL user: the new password authenticates', async () => {
    const admin = new Redis({ host: redis.host, port: redis.port, password: REDIS_ADMIN, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await admin.connect();
    await admin.call('ACL', 'SETUSER', 'zip_app', 'on', `>${REDIS_PASSWORD}`, '~*', '&*', '+@all');
    admin.disconnect();
    const secret = { host: redis.host, port: redis.port, username: 'zip_app', password: REDIS_PASSWORD };
    const result = await rotate('redis', 'zips/redis', JSON.stringify(secret));
    expectSucceeded(result.record);
    const current = JSON.parse(result.current) as typeof secret;
    expect(current.password).not.toBe(REDIS_PASSWORD);
    const user = new Redis({ host: redis.host, port: redis.port, username: 'zip_app', password: current.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await user.connect();
    expect(await user.ping()).toBe('PONG');
    user.disconnect();
    expectNoSecretInLogs('redis', [REDIS_PASSWORD, current.password, REDIS_ADMIN]);
  }, 60_000);
});
