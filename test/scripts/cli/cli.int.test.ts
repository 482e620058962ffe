import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../../scripts/emulator/index.ts';
import { ExitCode } from '../../../scripts/cli/exit-code.ts';
import { scriptedConfirm } from '../../../scripts/cli/confirm.ts';
import { createMemoryOutput, type MemoryOutput } from '../../../scripts/cli/output.ts';
import { runCli } from '../../../scripts/cli/run-cli.ts';
import type { CliDeps } from '../../../scripts/cli/command-context.ts';
import { buildRotationFunction } from '../../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../../scripts/testbed/memory-observability.ts';
import { createSdkSecretsPort } from '../../../shared/sdk-secrets-port.ts';
import { TokenTarget, tokenFunction } from './support/token-function.ts';

/**
 * The CLI against the project's Secrets Manager emulator, through the real AWS SDK, with
 * an in-process rotation function (support/token-function.ts). Every secret value the
 * tests create or the function generates is collected in `known` and must never appear
 * in anything the CLI prints.
 */

const DAY_MS = 86_400_000;
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

let emu: Awaited<ReturnType<typeof startEmulator>>;
let rotationFn: ReturnType<typeof buildRotationFunction>;
let sm: SecretsManagerClient;
let lambdaArn: string;
let delayedArn: string;
const target = new TokenTarget();
const log = createMemoryLog();
const outputs: MemoryOutput[] = [];
const known = new Set<string>();

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  sm = new SecretsManagerClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials });
  const fn = buildRotationFunction(tokenFunction(target), {
    env: { SECRETS_MANAGER_ENDPOINT: emu.endpoint, AWS_REGION: 'us-east-1' },
    logger: log,
    metrics: createMemoryMetrics(),
    secrets: createSdkSecretsPort(
      new SecretsManagerClient({ endpoint: emu.endpoint, region: 'us-east-1', credentials }),
    ),
  });
  rotationFn = fn;
  lambdaArn = emu.registerFunction('cli-test-rotator', (event: unknown) => fn.handler(event));
  // The same function, each step a little slower: a rotation still running when `follow` attaches.
  delayedArn = emu.registerFunction('cli-test-delayed', async (event: unknown) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return fn.handler(event);
  });
});

afterAll(async () => {
  await emu?.close();
});

/** Run the CLI like `rotation <argv> --endpoint-url <emulator>`, keeping its output for the leak check. */
async function cli(
  argv: string[],
  deps: Partial<CliDeps> = {},
  terminal = false,
): Promise<{ code: number; out: MemoryOutput; text: string }> {
  const out = createMemoryOutput({ live: terminal, color: terminal });
  outputs.push(out);
  const code = await runCli([...argv, '--endpoint-url', emu.endpoint], { env: {}, out, ...deps });
  return { code, out, text: out.text() };
}

async function createSecret(name: string, user: string): Promise<void> {
  const token = `initial-${user}-${Math.random().toString(36).slice(2)}`;
  known.add(token);
  target.tokens.set(user, token);
  await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ user, token }) }));
}

async function stages(name: string): Promise<Record<string, string[]>> {
  return (await sm.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
}

function versionWith(map: Record<string, string[]>, stage: string): string | undefined {
  return Object.entries(map).find(([, labels]) => labels.includes(stage))?.[0];
}

/** Remember every value the secret ever held (the CLI must print none of them). */
async function collectValues(name: string): Promise<void> {
  const versions = await sm.send(
    new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }),
  );
  for (const version of versions.Versions ?? []) {
    try {
      const value = await sm.send(
        new GetSecretValueCommand({ SecretId: name, VersionId: version.VersionId }),
      );
      if (value.SecretString) known.add((JSON.parse(value.SecretString) as { token: string }).token);
    } catch {
      // a placeholder with no value
    }
  }
}

describe('rotation rotate', () => {
  it('rotates a secret, shows each step and exits 0', async () => {
    await createSecret('cli/ok', 'ok-user');
    const before = versionWith(await stages('cli/ok'), 'AWSCURRENT');
    const { code, text } = await cli([
      'rotate',
      'cli/ok',
      '--rotation-lambda-arn',
      lambdaArn,
      '--after-days',
      '1',
    ]);
    expect(code).toBe(ExitCode.ok);
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'])
      expect(text).toMatch(new RegExp(`${step}\\s+ok`));
    expect(text).toContain('cli/ok: rotation succeeded');
    const after = await stages('cli/ok');
    expect(versionWith(after, 'AWSCURRENT')).not.toBe(before);
    expect(versionWith(after, 'AWSPREVIOUS')).toBe(before);
    await collectValues('cli/ok');
  });

  it('also follows a rotation from the labels alone (how it works against AWS)', async () => {
    await createSecret('cli/poll', 'poll-user');
    const { code, text } = await cli([
      'rotate',
      'cli/poll',
      '--rotation-lambda-arn',
      lambdaArn,
      '--follow',
      'poll',
      '--interval-ms',
      '20',
    ]);
    expect(code).toBe(ExitCode.ok);
    expect(text).toContain('cli/poll: rotation succeeded');
    await collectValues('cli/poll');
  });

  it('exits 1 and names the failing step and error code when a rotation fails', async () => {
    await createSecret('cli/broken', 'broken-user');
    target.failTestFor.add('broken-user');
    const before = versionWith(await stages('cli/broken'), 'AWSCURRENT');
    const { code, out } = await cli([
      'rotate',
      'cli/broken',
      '--rotation-lambda-arn',
      lambdaArn,
      '--after-days',
      '30',
    ]);
    expect(code).toBe(ExitCode.failed);
    expect(out.stdoutText()).toMatch(/FAILED\s+cli\/broken: rotation failed at testSecret/);
    expect(out.stdoutText()).toContain('ERR_TEST_FAILED');
    expect(out.stdoutText()).toContain('rotation repair cli/broken');
    expect(versionWith(await stages('cli/broken'), 'AWSCURRENT')).toBe(before);
    await collectValues('cli/broken');
  });

  it('refuses to start on a secret with a stale AWSPENDING, exits 3 and points at repair', async () => {
    const { code, text } = await cli(['rotate', 'cli/broken']);
    expect(code).toBe(ExitCode.awsError);
    expect(text).toContain("A previous rotation isn't complete");
    expect(text).toContain('rotation repair cli/broken');
  });

  it('takes its emergency tag off again when RotateSecret refuses to start', async () => {
    const { code } = await cli(['rotate', 'cli/broken', '--emergency', '--yes']);
    expect(code).toBe(ExitCode.awsError);
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'cli/broken' }));
    expect((described.Tags ?? []).some((tag) => tag.Key === 'RotationMode')).toBe(false);
  });

  it('follows by the progress tags alone (how it works against AWS): each step, the failed one with its code, and the log group', async () => {
    await createSecret('cli/slow-fail', 'slow-fail-user');
    target.failTestFor.add('slow-fail-user');
    const { code, out } = await cli([
      'rotate',
      'cli/slow-fail',
      '--rotation-lambda-arn',
      lambdaArn,
      '--follow',
      'poll',
      '--interval-ms',
      '50',
    ]);
    expect(code).toBe(ExitCode.failed);
    expect(out.stderrText()).toMatch(/createSecret\s+ok/);
    expect(out.stderrText()).toMatch(/setSecret\s+ok/);
    expect(out.stderrText()).toMatch(/testSecret\s+FAILED\s+.*ERR_TEST_FAILED/);
    expect(out.stdoutText()).toMatch(
      /FAILED\s+cli\/slow-fail: rotation failed at testSecret .*ERR_TEST_FAILED/,
    );
    expect(out.stdoutText()).toContain('logs: /aws/lambda/cli-test-rotator');
    expect(out.stdoutText()).toMatch(
      /aws logs tail \/aws\/lambda\/cli-test-rotator --since \d+m --follow --region us-east-1/,
    );
    await collectValues('cli/slow-fail');
  });

  it('reports a rotation that never ends as failed at the last step seen, with the log group, when following by tags', async () => {
    await createSecret('cli/never-ends', 'never-ends-user');
    const slowArn = emu.registerFunction('cli-test-very-slow', async (event: unknown) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return rotationFn.handler(event);
    });
    const { code, out } = await cli([
      'rotate',
      'cli/never-ends',
      '--rotation-lambda-arn',
      slowArn,
      '--follow',
      'poll',
      '--interval-ms',
      '50',
      '--timeout',
      '1',
    ]);
    expect(code).toBe(ExitCode.failed);
    expect(out.stdoutText()).toMatch(
      /FAILED\s+cli\/never-ends: rotation failed at \S+ .*FollowTimeout: no outcome after 1 s/,
    );
    expect(out.stdoutText()).toContain('check later with: rotation status cli/never-ends');
    expect(out.stdoutText()).toMatch(/aws logs tail \/aws\/lambda\/cli-test-very-slow --since \d+m --follow/);
    await emu.waitForRotation('cli/never-ends');
    await collectValues('cli/never-ends');
  });

  it('exits 3 for an unknown secret and for one never configured for rotation, saying what to do', async () => {
    const unknown = await cli(['rotate', 'cli/does-not-exist']);
    expect(unknown.code).toBe(ExitCode.awsError);
    expect(unknown.text).toContain('ResourceNotFoundException');
    await createSecret('cli/unconfigured', 'unconfigured-user');
    const unconfigured = await cli(['rotate', 'cli/unconfigured']);
    expect(unconfigured.code).toBe(ExitCode.awsError);
    expect(unconfigured.text).toContain('pass --rotation-lambda-arn');
  });

  it('asks before an emergency rotation and refuses without a terminal (exit 2), changing nothing', async () => {
    const { code, text } = await cli(['rotate', 'cli/ok', '--emergency']);
    expect(code).toBe(ExitCode.usage);
    expect(text).toContain('--yes');
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'cli/ok' }));
    expect(described.Tags ?? []).not.toContainEqual(expect.objectContaining({ Key: 'RotationMode' }));
    const declined = await cli(['rotate', 'cli/ok', '--emergency'], { confirm: scriptedConfirm([false]) });
    expect(declined.code).toBe(ExitCode.declined);
  });

  it('runs an emergency rotation with --yes: the function sees the tag and the core removes it after', async () => {
    const confirm = scriptedConfirm([true]);
    const { code } = await cli(['rotate', 'cli/ok', '--emergency'], { confirm });
    expect(code).toBe(ExitCode.ok);
    expect(confirm.questions[0]).toContain('EMERGENCY');
    expect(target.emergencies.has('ok-user')).toBe(true);
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'cli/ok' }));
    expect((described.Tags ?? []).some((tag) => tag.Key === 'RotationMode')).toBe(false);
    await collectValues('cli/ok');
  });
});

describe('rotation rotate interrupted', () => {
  it('stops following on Ctrl-C with exit 130 and says the started rotations go on', async () => {
    const slowArn = emu.registerFunction(
      'cli-test-slow',
      () => new Promise((resolve) => setTimeout(resolve, 400)),
    );
    for (const name of ['slow/a', 'slow/b']) await createSecret(name, name.replace('/', '-'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('interrupted')), 200);
    const started = performance.now();
    const { code, text } = await cli(
      ['rotate', 'slow/a', 'slow/b', '--rotation-lambda-arn', slowArn, '--yes'],
      {
        signal: controller.signal,
      },
    );
    expect(code).toBe(ExitCode.interrupted);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(text).toContain('interrupted: rotations already started go on in Secrets Manager');
  });
});

describe('rotation rotate on a terminal', () => {
  it('draws a progress bar for many secrets, clears it, and colours the summary', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `live/s${i}`);
    for (const [i, name] of names.entries()) await createSecret(name, `live-${i}`);
    const { code, out } = await cli(
      ['rotate', ...names, '--rotation-lambda-arn', lambdaArn, '--yes'],
      {},
      true,
    );
    expect(code).toBe(ExitCode.ok);
    expect(out.stderrText()).toContain(`[${'#'.repeat(30)}] 5/5`);
    expect(out.stderrText().endsWith('\r\u001b[2K')).toBe(true);
    expect(out.stdoutText()).toContain('\u001b[32msucceeded\u001b[0m');
    const plain = await cli(['rotate', ...names, '--yes']);
    expect(plain.out.text()).not.toContain('\u001b[');
    for (const name of names) await collectValues(name);
  });
});

describe('rotation status', () => {
  it('finds the overdue and the stuck secret and exits 1', async () => {
    // cli/ok rotates every day, cli/broken every 30 days: two days from now only cli/ok is overdue.
    const { code, text } = await cli(['status', '--filter', 'cli/', '--json'], {
      now: () => Date.now() + 2 * DAY_MS,
    });
    expect(code).toBe(ExitCode.failed);
    const report = JSON.parse(text) as {
      secrets: {
        name: string;
        overdue: boolean;
        stuck: boolean;
        pendingAgeMs?: number;
        rotationLambdaArn?: string;
      }[];
    };
    const byName = new Map(report.secrets.map((row) => [row.name, row]));
    expect(byName.get('cli/ok')).toMatchObject({ overdue: true, stuck: false, rotationLambdaArn: lambdaArn });
    expect(byName.get('cli/broken')).toMatchObject({ overdue: false, stuck: true });
    expect(byName.get('cli/broken')?.pendingAgeMs).toBeGreaterThan(2 * DAY_MS - 60_000);

    const plain = await cli(['status', '--filter', 'cli/']);
    expect(plain.code).toBe(ExitCode.failed);
    expect(plain.out.stdoutText()).toMatch(/cli\/broken\s.*STUCK \(pending \d+s\)/);
    expect(plain.out.stdoutText()).toContain('cli-test-rotator');
  });

  it('exits 0 when nothing is overdue or stuck', async () => {
    const { code, text } = await cli(['status', 'cli/poll']);
    expect(code).toBe(ExitCode.ok);
    expect(text).toContain('0 overdue, 0 stuck');
  });
});

describe('rotation repair', () => {
  it('reports an unknown secret as exit 3, with a JSON error under --json', async () => {
    const { code, out } = await cli(['repair', 'cli/nope', '--json']);
    expect(code).toBe(ExitCode.awsError);
    expect(JSON.parse(out.stdoutText())).toMatchObject({
      command: 'repair',
      error: { name: 'ResourceNotFoundException' },
    });
    expect(out.stderrText()).toContain('error: ResourceNotFoundException');
  });

  it('explains the stuck rotation and changes nothing without confirmation', async () => {
    const before = await stages('cli/broken');
    const refused = await cli(['repair', 'cli/broken']);
    expect(refused.code).toBe(ExitCode.usage);
    expect(refused.out.stdoutText()).toMatch(
      /AWSPENDING is on version \S+ \(created \d+s ago\), which is not AWSCURRENT/,
    );
    const declined = await cli(['repair', 'cli/broken'], { confirm: scriptedConfirm([false]) });
    expect(declined.code).toBe(ExitCode.declined);
    expect(await stages('cli/broken')).toEqual(before);
  });

  it('clears the stale AWSPENDING without moving AWSCURRENT, so the next rotation succeeds', async () => {
    const before = await stages('cli/broken');
    const current = versionWith(before, 'AWSCURRENT');
    const { code, text } = await cli(['repair', 'cli/broken', '--yes']);
    expect(code).toBe(ExitCode.ok);
    expect(text).toContain('Cleared');
    const after = await stages('cli/broken');
    expect(versionWith(after, 'AWSCURRENT')).toBe(current);
    expect(versionWith(after, 'AWSPENDING')).toBeUndefined();

    const again = await cli(['repair', 'cli/broken']);
    expect(again.code).toBe(ExitCode.ok);
    expect(again.text).toContain('Nothing to repair');

    target.failTestFor.delete('broken-user');
    const rotated = await cli(['rotate', 'cli/broken']);
    expect(rotated.code).toBe(ExitCode.ok);
    expect(versionWith(await stages('cli/broken'), 'AWSPREVIOUS')).toBe(current);
    await collectValues('cli/broken');
  });
});

describe('rotation rotate --filter (200 secrets)', () => {
  const COUNT = 200;
  const names = Array.from({ length: COUNT }, (_, i) => `bulk/s${String(i).padStart(3, '0')}`);

  it('rotates 200 secrets by prefix, 16 at a time, and sums them up with the one failure named', async () => {
    for (let i = 0; i < COUNT; i += 25)
      await Promise.all(names.slice(i, i + 25).map((name, j) => createSecret(name, `bulk-${i + j}`)));
    // Turn rotation on without rotating (RotateImmediately=false runs testSecret only), as a deployment would.
    for (let i = 0; i < COUNT; i += 25) {
      await Promise.all(
        names.slice(i, i + 25).map(async (name) => {
          await sm.send(
            new RotateSecretCommand({
              SecretId: name,
              RotationLambdaARN: lambdaArn,
              RotationRules: { AutomaticallyAfterDays: 30 },
              RotateImmediately: false,
            }),
          );
          expect((await emu.waitForRotation(name)).outcome).toBe('succeeded');
        }),
      );
    }
    target.failTestFor.add('bulk-7');

    const started = performance.now();
    const { code, out } = await cli(['rotate', '--filter', 'bulk/', '--concurrency', '16', '--yes']);
    const wallMs = performance.now() - started;
    expect(code).toBe(ExitCode.failed);
    const stdout = out.stdoutText();
    expect(stdout).toMatch(/^SECRET\s+OUTCOME\s+FAILED STEP\s+ATTEMPTS\s+TIME\s+ERROR$/m);
    expect(stdout.match(/^bulk\/s\d{3}\s+succeeded/gm)).toHaveLength(COUNT - 1);
    expect(stdout).toMatch(
      /^bulk\/s007\s+failed\s+testSecret\s+3\s+.*ERR_TEST_FAILED: Test login failed for user bulk-7$/m,
    );
    expect(stdout).toContain(`${COUNT} secret(s): ${COUNT - 1} succeeded, 1 failed, 0 AWS errors`);
    expect(stdout).toContain('hint: bulk/s007:');
    console.info(
      `[figure] rotate --filter over ${COUNT} secrets, concurrency 16: ${Math.round(wallMs)} ms wall`,
    );
    for (const name of names.slice(0, 8)) await collectValues(name);
  }, 120_000);
});

describe('rotation rotate of more than one secret', () => {
  it('asks first: "no" changes nothing (exit 4), no terminal and no --yes refuses (exit 2)', async () => {
    for (const name of ['ask/a', 'ask/b']) await createSecret(name, name.replace('/', '-'));
    const before = await stages('ask/a');
    const confirm = scriptedConfirm([false]);
    const declined = await cli(['rotate', 'ask/a', 'ask/b', '--rotation-lambda-arn', lambdaArn], { confirm });
    expect(declined.code).toBe(ExitCode.declined);
    expect(confirm.questions[0]).toMatch(/^Rotate 2 secrets now: ask\/a, ask\/b\./);
    expect(declined.text).toContain('declined: nothing was changed');
    const refused = await cli(['rotate', 'ask/a', 'ask/b', '--rotation-lambda-arn', lambdaArn]);
    expect(refused.code).toBe(ExitCode.usage);
    expect(refused.text).toContain('re-run with --yes');
    expect(await stages('ask/a')).toEqual(before);
    const single = await cli(['rotate', 'ask/a', '--rotation-lambda-arn', lambdaArn]);
    expect(single.code).toBe(ExitCode.ok);
    await collectValues('ask/a');
  });
});

describe('rotation follow', () => {
  it('re-attaches to a rotation in progress and follows it to its end, step by step', async () => {
    await createSecret('follow/a', 'follow-a');
    const started = await sm.send(
      new RotateSecretCommand({ SecretId: 'follow/a', RotationLambdaARN: delayedArn }),
    );
    const { code, out } = await cli(['follow', 'follow/a']);
    expect(code).toBe(ExitCode.ok);
    expect(out.stderrText()).toContain(`following the rotation in progress (version ${started.VersionId})`);
    expect(out.stderrText()).toMatch(/finishSecret\s+ok/);
    expect(out.stdoutText()).toMatch(/^OK\s+follow\/a: rotation succeeded/m);
    expect(versionWith(await stages('follow/a'), 'AWSCURRENT')).toBe(started.VersionId);
    const idle = await cli(['follow', 'follow/a', '--output', 'json']);
    expect(idle.code).toBe(ExitCode.ok);
    expect(JSON.parse(idle.out.stdoutText())).toMatchObject({ command: 'follow', inProgress: false });
    await collectValues('follow/a');
  });
});

describe('--query and --output', () => {
  it('picks from the JSON document with JMESPath and prints it as JSON or as the AWS CLI text form', async () => {
    const query = await cli(['status', '--filter', 'cli/', '--query', 'secrets[].name']);
    expect(JSON.parse(query.out.stdoutText())).toEqual(expect.arrayContaining(['cli/ok', 'cli/broken']));
    const text = await cli([
      'status',
      '--filter',
      'cli/',
      '--query',
      'summary.[total, stuck]',
      '--output',
      'text',
    ]);
    expect(text.out.stdoutText()).toMatch(/^\d+\t\d+\n$/);
    const bad = await cli(['status', '--query', 'secrets[']);
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.text).toContain('--query is not a valid JMESPath expression');
    expect((await cli(['status', '--output', 'yaml'])).code).toBe(ExitCode.usage);
  });
});

describe('the rotation bin', () => {
  it('runs as its own process with dummy credentials against a loopback endpoint and exits with the documented codes', async () => {
    const bin = fileURLToPath(new URL('../../../scripts/cli/bin.mjs', import.meta.url));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    const run = (argv: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [bin, ...argv],
          { env: { ...env, NO_COLOR: '1' } },
          (error, stdout, stderr) => {
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
          },
        );
      });
    const status = await run(['status', 'cli/poll', '--endpoint-url', emu.endpoint]);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(ExitCode.ok);
    expect(status.stdout).toMatch(/^NAME\s+FUNCTION\s+SCHEDULE/m);
    outputs.push({ ...createMemoryOutput(), text: () => status.stdout + status.stderr });
    expect((await run(['rotate'])).code).toBe(ExitCode.usage);
  }, 30_000);
});

describe('secret values in CLI output', () => {
  it('never prints a secret value, from any command, in text or JSON', async () => {
    // The sweep: every command once more, in both output modes, on every secret used above.
    await cli(['status']);
    await cli(['status', '--json']);
    await cli(['repair', 'cli/ok', '--json']);
    await cli(['rotate', 'cli/poll', '--json']);
    await cli(['rotate', 'cli/poll', '--no-wait']);
    await collectValues('cli/poll');
    for (const name of ['cli/ok', 'cli/broken']) await collectValues(name);
    expect(known.size).toBeGreaterThan(220);
    const printed = outputs.map((out) => out.text()).join('\n');
    expect(printed.length).toBeGreaterThan(10_000);
    const leaked = [...known].filter((value) => printed.includes(value));
    expect(leaked).toEqual([]);
    const logged = log.lines.join('\n');
    expect([...known].filter((value) => logged.includes(value))).toEqual([]);
  });
});
