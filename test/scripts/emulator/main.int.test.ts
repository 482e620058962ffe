import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor } from './emulator-harness.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/pid-function.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emu-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Start `tsx scripts/emulator/main.ts` and wait for the URL it prints. */
async function launch(
  args: string[],
): Promise<{ child: ChildProcess; endpoint: string; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/emulator/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${output}`)), 20_000);
    const check = (): void => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    void exited.then(() => reject(new Error(`exited early: ${output}`)));
  });
  return { child, endpoint, output: () => output, exited };
}

describe('npm run emulator (main.ts)', () => {
  it('serves on 127.0.0.1, rotates with a --function child process, keeps --state across restarts, stops on SIGTERM', async () => {
    const state = join(dir, 'state.json');
    const first = await launch([
      '--port',
      '0',
      '--state',
      state,
      '--function',
      `pid=${FIXTURE}`,
      '--retries',
      '0',
    ]);
    const sm = clientFor(first.endpoint);
    try {
      expect(first.output()).toContain('function arn:aws:lambda:us-east-1:123456789012:function:pid');
      await sm.send(new CreateSecretCommand({ Name: 'cli/secret', SecretString: 'start' }));
      const rotated = await sm.send(
        new RotateSecretCommand({
          SecretId: 'cli/secret',
          RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:pid',
          RotationRules: { AutomaticallyAfterDays: 7 },
        }),
      );
      await expect
        .poll(
          async () => {
            const body = (await (
              await fetch(`${first.endpoint}/_emulator/rotations?secretId=cli/secret`)
            ).json()) as { rotations: { outcome: string }[] };
            return body.rotations[0]?.outcome;
          },
          { timeout: 20_000 },
        )
        .toBe('succeeded');
      const stored = JSON.parse(await readFile(state, 'utf8')) as {
        format: number;
        regions: Record<string, { name: string }[]>;
      };
      expect(stored.format).toBe(1);
      expect(stored.regions['us-east-1']?.map((secret) => secret.name)).toEqual(['cli/secret']);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      const second = await launch(['--port', '0', '--state', state]);
      const again = clientFor(second.endpoint);
      try {
        const described = await again.send(new DescribeSecretCommand({ SecretId: 'cli/secret' }));
        expect(described.VersionIdsToStages?.[rotated.VersionId as string]).toEqual(['AWSCURRENT']);
        expect(described.RotationEnabled).toBe(true);
        const value = await again.send(new GetSecretValueCommand({ SecretId: 'cli/secret' }));
        expect(JSON.parse(value.SecretString ?? '{}')).toHaveProperty('pid');
      } finally {
        again.destroy();
        second.child.kill('SIGINT');
        expect(await second.exited).toBe(0);
      }
    } finally {
      sm.destroy();
      first.child.kill('SIGKILL');
    }
  });

  it('exits with status 2 and the usage on a bad flag', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/emulator/main.ts', '--port', 'nope'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(output).toContain('--port must be an integer');
    expect(output).toContain('Usage: npm run emulator');
  });
});
