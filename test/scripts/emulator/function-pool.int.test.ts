import { mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './emulator-harness.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/pid-function.ts', import.meta.url));
const NO_HANDLER = fileURLToPath(new URL('./fixtures/no-handler.ts', import.meta.url));
const SLOW_INIT = fileURLToPath(new URL('./fixtures/slow-init.ts', import.meta.url));

let h: Harness;
let fn: string;
let workDir: string;
let counter = 0;

beforeAll(async () => {
  h = await startHarness({ rotationRetries: 1, invocationTimeoutMs: 3000 });
  fn = h.emu.registerFunction('pid', { path: FIXTURE }, { poolSize: 2 });
  workDir = await mkdtemp(join(tmpdir(), 'emu-pool-test-'));
});
afterAll(async () => {
  const pids = h.emu.functionProcesses('pid').pids;
  await h.close();
  // close() kills the pool: no process of the function is left.
  for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  await rm(workDir, { recursive: true, force: true });
});

async function rotate(
  tags: { Key: string; Value: string }[] = [],
): Promise<{ name: string; pid: number; outcome: string; errors: string[] }> {
  const name = `pool/secret-${++counter}`;
  await h.sm.send(new CreateSecretCommand({ Name: name, SecretString: '{}', Tags: tags }));
  await h.sm.send(
    new RotateSecretCommand({
      SecretId: name,
      RotationLambdaARN: fn,
      RotationRules: { AutomaticallyAfterDays: 30 },
    }),
  );
  const record = await h.emu.waitForRotation(name);
  const value = await h.sm.send(new GetSecretValueCommand({ SecretId: name }));
  const parsed = JSON.parse(value.SecretString ?? '{}') as { pid?: number };
  return {
    name,
    pid: parsed.pid ?? -1,
    outcome: record.outcome,
    errors: record.steps.filter((step) => !step.ok).map((step) => `${step.step}:${step.error?.name}`),
  };
}

describe('child-process functions', () => {
  it('runs a .ts module in a warm process and reuses it: same pid across rotations, one cold start', async () => {
    const first = await rotate();
    const second = await rotate();
    expect(first.outcome).toBe('succeeded');
    expect(second.outcome).toBe('succeeded');
    expect(first.pid).toBeGreaterThan(0);
    expect(first.pid).not.toBe(process.pid);
    expect(second.pid).toBe(first.pid);
    expect(h.emu.functionProcesses('pid').started).toBe(1);
  });

  it('keeps function output in the per-function log buffer', () => {
    expect(h.emu.functionLogs('pid').some((line) => /^step finishSecret pid \d+$/.test(line))).toBe(true);
  });

  it('replaces a process that dies mid-rotation and the retry succeeds in the new one', async () => {
    const before = h.emu.functionProcesses('pid');
    const result = await rotate([{ Key: 'fault', Value: 'setSecret' }]);
    expect(result.errors).toEqual(['setSecret:Runtime.ExitError']);
    expect(result.outcome).toBe('succeeded');
    // The value was stored by the process that crashed later in the same attempt.
    expect(before.pids).toEqual([result.pid]);
    const after = h.emu.functionProcesses('pid');
    expect(after.pids).not.toContain(result.pid);
    expect(after.pids).toHaveLength(1);
    expect(after.started).toBe(before.started + 1);
  });

  it('kills a process that hangs past the invocation timeout and carries on with a fresh one', async () => {
    const result = await rotate([{ Key: 'fault', Value: 'hang:testSecret' }]);
    expect(result.errors).toEqual(['testSecret:Sandbox.Timedout']);
    expect(result.outcome).toBe('succeeded');
  });

  it('bounds concurrency by the pool size and starts a process only when the pool grows', async () => {
    const before = h.emu.functionProcesses('pid').started;
    const results = await Promise.all([rotate(), rotate(), rotate(), rotate()]);
    expect(results.map((result) => result.outcome)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(new Set(results.map((result) => result.pid)).size).toBeLessThanOrEqual(2);
    expect(h.emu.functionProcesses('pid').pids.length).toBeLessThanOrEqual(2);
    expect(h.emu.functionProcesses('pid').started - before).toBeLessThanOrEqual(1);
  });

  it('reports a module without a handler as Runtime.ImportModuleError on every attempt', async () => {
    const broken = h.emu.registerFunction('broken', { path: NO_HANDLER });
    await h.sm.send(new CreateSecretCommand({ Name: 'pool/broken', SecretString: 'x' }));
    await h.sm.send(new RotateSecretCommand({ SecretId: 'pool/broken', RotationLambdaARN: broken }));
    const record = await h.emu.waitForRotation('pool/broken');
    expect(record.outcome).toBe('failed');
    expect(record.steps.map((step) => step.error?.name)).toEqual([
      'Runtime.ImportModuleError',
      'Runtime.ImportModuleError',
    ]);
  });

  it('times out a module whose init never finishes and kills its process', async () => {
    const slow = h.emu.registerFunction('slow-init', { path: SLOW_INIT }, { initTimeoutMs: 700 });
    await h.sm.send(new CreateSecretCommand({ Name: 'pool/slow-init', SecretString: 'x' }));
    await h.sm.send(new RotateSecretCommand({ SecretId: 'pool/slow-init', RotationLambdaARN: slow }));
    const record = await h.emu.waitForRotation('pool/slow-init');
    expect(record.steps.map((step) => step.error?.name)).toEqual(['Sandbox.Timedout', 'Sandbox.Timedout']);
    await expect.poll(() => h.emu.functionProcesses('slow-init').pids).toEqual([]);
    expect(h.emu.functionProcesses('slow-init').started).toBe(2);
  });

  it('loads a built zip holding index.mjs under plain node (no TypeScript loader), with the env option and the emulator endpoint', async () => {
    const zipPath = join(workDir, 'fn.zip');
    const source = `export const handler = async (event) => {
  if (process.execArgv.some((arg) => arg.includes('tsx'))) throw new Error('zip ran under a TypeScript loader');
  const response = await fetch(process.env.SECRETS_MANAGER_ENDPOINT, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'secretsmanager.GetSecretValue' },
    body: JSON.stringify({ SecretId: event.SecretId, VersionId: event.ClientRequestToken, VersionStage: 'AWSPENDING' }),
  });
  const body = await response.json();
  if (body.SecretString !== process.env.EXPECTED) throw new Error('unexpected pending value');
  return 'tested';
};
`;
    await new Promise<void>((resolve, reject) => {
      const zip = new yazl.ZipFile();
      zip.addBuffer(Buffer.from(source), 'index.mjs');
      zip.end();
      zip.outputStream
        .pipe(createWriteStream(zipPath))
        .on('close', () => resolve())
        .on('error', reject);
    });
    const zipped = h.emu.registerFunction('zipped', { path: zipPath }, { env: { EXPECTED: 'copy-me' } });
    await h.sm.send(new CreateSecretCommand({ Name: 'pool/zip', SecretString: 'copy-me' }));
    await h.sm.send(new TagResourceCommand({ SecretId: 'pool/zip', Tags: [{ Key: 'kind', Value: 'zip' }] }));
    await h.sm.send(
      new RotateSecretCommand({ SecretId: 'pool/zip', RotationLambdaARN: zipped, RotateImmediately: false }),
    );
    const record = await h.emu.waitForRotation('pool/zip');
    expect(record.steps.map((step) => `${step.step}:${step.ok}`)).toEqual(['testSecret:true']);
    expect(record.outcome).toBe('succeeded');
  });
});
