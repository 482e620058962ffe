import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions } from '../../../scripts/build/build-functions.ts';
import { ExitCode } from '../../../scripts/cli/exit-code.ts';
import { createMemoryOutput } from '../../../scripts/cli/output.ts';
import { runCli } from '../../../scripts/cli/run-cli.ts';
import { startEmulator, type Emulator, type RotationRecord } from '../../../scripts/emulator/index.ts';
import { startPostgres, type PostgresServer } from '../../../scripts/testbed/servers.ts';
import { REPLICA_STATUS_TAG } from '../../../shared/replicas.ts';
import { clientFor } from '../../support/emulator-harness.ts';
import { canLogin, createLogin, credentialsOf } from './postgres-harness.ts';

/**
 * Multi-Region secrets through the shipped dist/postgres.zip: the emulator runs it in a warm
 * child process, replicates the secret to other Regions (with a delay, held, or failing),
 * and the function reads the replicas in their own Regions with its own SDK clients.
 */
const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PRIMARY = 'us-east-1';

let workDir: string;
let server: PostgresServer;
let emu: Emulator;
let sm: SecretsManagerClient;
let fn: string;
let shortFn: string;
const clients: SecretsManagerClient[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'replicated-'));
  const [build, started] = await Promise.all([
    buildFunctions({
      rootDir,
      outDir: workDir,
      sources: [{ name: 'postgres', entry: 'functions/postgres/handler.ts' }],
    }),
    startPostgres(),
  ]);
  server = started;
  const zip = build.built[0];
  if (!zip) throw new Error('postgres.zip was not built');
  emu = await startEmulator({ port: 0, rotationRetries: 0, invocationTimeoutMs: 60_000 });
  sm = clientFor(emu.endpoint, PRIMARY);
  const env = { REPLICA_POLL_INTERVAL_MS: '100', PG_CONNECT_TIMEOUT_MS: '3000' };
  fn = emu.registerFunction('pg-replicated', { path: zip.zipPath }, { env, poolSize: 1 });
  shortFn = emu.registerFunction(
    'pg-replicated-short',
    { path: zip.zipPath },
    { env: { ...env, REPLICA_SYNC_WAIT_MS: '500', REPLICA_CATCH_UP_WAIT_MS: '1500' }, poolSize: 1 },
  );
}, 180_000);

afterAll(async () => {
  sm?.destroy();
  for (const client of clients) client.destroy();
  await emu?.close();
  await server?.destroy();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function regionClient(region: string): SecretsManagerClient {
  const client = clientFor(emu.endpoint, region);
  clients.push(client);
  return client;
}

/** A single-user secret replicated to `region`, with the replica created (InSync). */
async function replicatedSecret(name: string, user: string, region: string): Promise<string> {
  const password = `Init-${user}-Pw1`;
  await createLogin(server, user, password);
  const out = await sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: JSON.stringify({
        engine: 'postgres',
        host: '127.0.0.1',
        port: server.port,
        username: user,
        password,
        dbname: 'postgres',
        ssl: false,
      }),
      AddReplicaRegions: [{ Region: region }],
    }),
  );
  await emu.replication.idle();
  return out.ARN as string;
}

async function rotate(secretId: string, functionArn: string): Promise<RotationRecord> {
  await sm.send(
    new RotateSecretCommand({
      SecretId: secretId,
      RotationLambdaARN: functionArn,
      RotationRules: { AutomaticallyAfterDays: 90 },
    }),
  );
  return emu.waitForRotation(secretId);
}

const steps = (record: RotationRecord): string[] =>
  record.steps.map((step) => `${step.step}:${step.ok ? 'ok' : (step.error?.code ?? step.error?.name)}`);

async function valueIn(client: SecretsManagerClient, secretId: string, stage = 'AWSCURRENT') {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
  return { versionId: out.VersionId, ...credentialsOf(out.SecretString ?? '') };
}

/** `rotation status <secret>` against the emulator, as an operator runs it. */
async function status(secretId: string): Promise<{ code: number; text: string }> {
  const out = createMemoryOutput();
  const code = await runCli(['status', secretId, '--endpoint-url', emu.endpoint, '--region', PRIMARY], {
    env: {},
    out,
  });
  return { code, text: out.text() };
}

async function tagsOf(secretId: string): Promise<Record<string, string>> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  return Object.fromEntries((out.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

describe('replicated PostgreSQL single-user secrets through dist/postgres.zip', () => {
  it('waits for a delayed replica: when the rotation reports success the replica AWSCURRENT logs in, and the lag is recorded', async () => {
    const region = 'us-west-2';
    const west = regionClient(region);
    const arn = await replicatedSecret('pg/replicated-delay', 'app_delay', region);
    const before = await valueIn(sm, arn);
    emu.replication.configure(region, { delayMs: 1500 });
    const record = await rotate(arn, fn);
    // No wait for replication here: success must already mean the replica holds the new version.
    const replica = await valueIn(west, arn.replace(`:${PRIMARY}:`, `:${region}:`));
    const primary = await valueIn(sm, arn);
    expect(steps(record)).toEqual(['createSecret:ok', 'setSecret:ok', 'testSecret:ok', 'finishSecret:ok']);
    expect(replica.versionId).toBe(primary.versionId);
    expect(replica.versionId).not.toBe(before.versionId);
    expect(await canLogin(server, replica.username, replica.password)).toBe(true);
    expect(await canLogin(server, before.username, before.password)).toBe(false);
    expect((await tagsOf(arn))[REPLICA_STATUS_TAG]).toMatch(
      new RegExp(`^${primary.versionId} ${region}=\\d+ms$`),
    );
    const lagLine = emu
      .functionLogs('pg-replicated')
      .find((line) => line.includes('Replica Region status') && line.includes(region));
    expect(lagLine).toMatch(/"replicaLagMs":\d+/);
    const shown = await status(arn);
    expect(shown.text).toContain(`replicas pg/replicated-delay: ${region} in sync`);
    expect(shown.code).toBe(ExitCode.ok);
    // `rotation rotate` follows until the replicas hold the new version and says so.
    const out = createMemoryOutput();
    const code = await runCli(['rotate', arn, '--endpoint-url', emu.endpoint, '--region', PRIMARY], {
      env: {},
      out,
    });
    expect(code).toBe(ExitCode.ok);
    expect(out.text()).toContain(`replicas: ${region} in sync`);
  });

  it('stops before setSecret while a replica is Failed, naming the Region; nothing changes on the database or AWSCURRENT', async () => {
    const region = 'eu-west-1';
    const arn = await replicatedSecret('pg/replicated-failed', 'app_failed', region);
    const before = await valueIn(sm, arn);
    emu.replication.configure(region, { failWith: 'The KMS key in eu-west-1 is disabled' });
    await sm.send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'team', Value: 'db' }] }));
    await emu.replication.idle();
    const record = await rotate(arn, fn);
    expect(record.outcome).toBe('failed');
    expect(steps(record)).toEqual(['createSecret:ok', 'setSecret:ERR_REPLICA_FAILED']);
    expect(record.steps[1]?.error?.message).toContain('eu-west-1 (The KMS key in eu-west-1 is disabled)');
    expect((await valueIn(sm, arn)).versionId).toBe(before.versionId);
    expect(await canLogin(server, before.username, before.password)).toBe(true);
  });

  it('shows the rotation unfinished, naming the Region, when a replica fails after finishSecret; the primary is not undone', async () => {
    const region = 'ap-south-1';
    const south = regionClient(region);
    const arn = await replicatedSecret('pg/replicated-late', 'app_late', region);
    const before = await valueIn(sm, arn);
    emu.replication.configure(region, { hold: true });
    const done = rotate(arn, fn);
    // Once AWSCURRENT moved in the primary (the function is waiting), replication to the Region fails.
    for (;;) {
      const current = await valueIn(sm, arn);
      if (current.versionId !== before.versionId) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    emu.replication.configure(region, { failWith: 'Replication to ap-south-1 failed' });
    emu.replication.release(region);
    const record = await done;
    expect(steps(record)).toEqual([
      'createSecret:ok',
      'setSecret:ok',
      'testSecret:ok',
      'finishSecret:ERR_REPLICA_LAGGING',
    ]);
    expect(record.steps[3]?.error?.message).toContain(
      'ap-south-1 (failed: Replication to ap-south-1 failed)',
    );
    const primary = await valueIn(sm, arn);
    expect(primary.versionId).not.toBe(before.versionId);
    expect(await canLogin(server, primary.username, primary.password)).toBe(true);
    expect((await tagsOf(arn))[REPLICA_STATUS_TAG]).toBe(`${primary.versionId} ${region}=failed`);
    const replica = await valueIn(south, arn.replace(`:${PRIMARY}:`, `:${region}:`));
    expect(replica.versionId).toBe(before.versionId);
    const shown = await status(arn);
    expect(shown.text).toContain(`${region} FAILED (Replication to ap-south-1 failed)`);
    expect(shown.text).toContain(
      `last rotation recorded by the function: ${primary.versionId} ${region}=failed`,
    );
    expect(shown.code).toBe(ExitCode.failed);
  });

  it('leaves the rotation unfinished when a held replica does not catch up within the wait; once it does, the next rotation succeeds', async () => {
    const region = 'ca-central-1';
    const arn = await replicatedSecret('pg/replicated-held', 'app_held', region);
    emu.replication.configure(region, { hold: true });
    const record = await rotate(arn, shortFn);
    expect(steps(record).at(-1)).toBe('finishSecret:ERR_REPLICA_LAGGING');
    const primary = await valueIn(sm, arn);
    expect((await tagsOf(arn))[REPLICA_STATUS_TAG]).toBe(`${primary.versionId} ${region}=behind`);
    const shown = await status(arn);
    expect(shown.text).toContain(`${region} BEHIND (serves `);
    expect(shown.code).toBe(ExitCode.failed);
    emu.replication.release(region);
    await emu.replication.idle();
    const next = await rotate(arn, shortFn);
    expect(steps(next)).toEqual(['createSecret:ok', 'setSecret:ok', 'testSecret:ok', 'finishSecret:ok']);
  });

  it('an emergency rotation with a delayed replica revokes only once the replica serves the new password', async () => {
    const region = 'sa-east-1';
    const east = regionClient(region);
    const arn = await replicatedSecret('pg/replicated-emergency', 'app_emergency', region);
    const before = await valueIn(sm, arn);
    await sm.send(
      new TagResourceCommand({ SecretId: arn, Tags: [{ Key: 'RotationMode', Value: 'emergency' }] }),
    );
    await emu.replication.idle();
    emu.replication.configure(region, { delayMs: 1000 });
    const record = await rotate(arn, fn);
    const replica = await valueIn(east, arn.replace(`:${PRIMARY}:`, `:${region}:`));
    expect(steps(record)).toEqual(['createSecret:ok', 'setSecret:ok', 'testSecret:ok', 'finishSecret:ok']);
    expect(replica.versionId).toBe((await valueIn(sm, arn)).versionId);
    expect(await canLogin(server, replica.username, replica.password)).toBe(true);
    expect(await canLogin(server, before.username, before.password)).toBe(false);
    expect((await tagsOf(arn))['RotationMode']).toBeUndefined();
  });
});
