import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../scripts/emulator/index.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { buildRotationFunction } from '../../shared/rotation-function.ts';
import { createMemoryLog, createMemoryMetrics } from '../../scripts/testbed/memory-observability.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';
import type { SecretsPort } from '../../shared/secrets-port.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import { FakeTarget, fakeFunction } from './fake-strategy.ts';

/**
 * The core proven through the emulator's RotateSecret with the fake kind: the service
 * drives the steps, retries whole rotations, and the real SDK talks to the emulator.
 */

let emu: Emulator;
let sm: SecretsManagerClient;
let counter = 0;
const INITIAL_PASSWORD = 'Initial-Passw0rd!';

beforeAll(async () => {
  emu = await startEmulator({ port: 0, rotationRetries: 2 });
  sm = new SecretsManagerClient({
    endpoint: emu.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sm.destroy();
  await emu.close();
});

/** Which version holds which labels, with values as stored (for "nothing changed" checks). */
async function snapshot(secretId: string): Promise<Record<string, { stages: string[]; value?: string }>> {
  const out: Record<string, { stages: string[]; value?: string }> = {};
  const list = await sm.send(
    new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }),
  );
  for (const version of list.Versions ?? []) {
    let value: string | undefined;
    try {
      value = (await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: version.VersionId })))
        .SecretString;
    } catch {
      value = undefined;
    }
    out[version.VersionId!] = {
      stages: [...(version.VersionStages ?? [])].sort(),
      ...(value !== undefined ? { value } : {}),
    };
  }
  return out;
}

async function currentValue(
  secretId: string,
  stage = 'AWSCURRENT',
): Promise<{ username: string; password: string } | undefined> {
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    return JSON.parse(out.SecretString!);
  } catch {
    return undefined;
  }
}

interface Setup {
  readonly name: string;
  readonly target: FakeTarget;
  readonly fn: ReturnType<typeof buildRotationFunction>;
  readonly logger: ReturnType<typeof createMemoryLog>;
  readonly arn: string;
}

async function setup(
  options: { secretString?: string; secrets?: (port: SecretsPort) => SecretsPort; repeat?: number } = {},
): Promise<Setup> {
  counter += 1;
  const name = `core/it-${counter}`;
  const target = new FakeTarget();
  target.passwords.set('app', INITIAL_PASSWORD);
  const logger = createMemoryLog();
  const basePort = createSdkSecretsPort(sm);
  const fn = buildRotationFunction(fakeFunction(target), {
    env: {},
    secrets: options.secrets ? options.secrets(basePort) : basePort,
    logger,
    metrics: createMemoryMetrics(),
  });
  const arn = emu.registerFunction(`core-it-${counter}`, async (event) => {
    for (let i = 0; i < (options.repeat ?? 1); i += 1) await fn.handler(event);
  });
  await sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString:
        options.secretString ??
        JSON.stringify({ username: 'app', password: INITIAL_PASSWORD, engine: 'fake', team: 'core' }),
    }),
  );
  return { name, target, fn, logger, arn };
}

async function rotate(s: Setup) {
  await sm.send(
    new RotateSecretCommand({
      SecretId: s.name,
      RotationLambdaARN: s.arn,
      RotationRules: { AutomaticallyAfterDays: 90 },
    }),
  );
  return emu.waitForRotation(s.name);
}

/** After a completed rotation: one AWSCURRENT, one AWSPREVIOUS, no AWSPENDING, and the target takes AWSCURRENT. */
async function expectRotated(s: Setup, previousPassword: string) {
  const versions = await snapshot(s.name);
  const labelled = Object.values(versions).filter((v) => v.stages.length > 0);
  expect(labelled.filter((v) => v.stages.includes('AWSCURRENT'))).toHaveLength(1);
  expect(labelled.filter((v) => v.stages.includes('AWSPENDING'))).toHaveLength(0);
  const current = await currentValue(s.name);
  const previous = await currentValue(s.name, 'AWSPREVIOUS');
  expect(previous?.password).toBe(previousPassword);
  expect(current?.password).not.toBe(previousPassword);
  expect(s.target.login('app', new Sensitive(current!.password))).toBe(true);
  expect(s.target.login('app', new Sensitive(previousPassword))).toBe(false);
  expect(current).toMatchObject({ username: 'app', engine: 'fake', team: 'core' });
}

describe('core through the emulator', () => {
  it('completes a full rotation driven by RotateSecret', async () => {
    const s = await setup();
    const record = await rotate(s);
    expect(record.outcome).toBe('succeeded');
    expect(record.steps.map((step) => step.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    await expectRotated(s, INITIAL_PASSWORD);
    // A second scheduled rotation works from the new state.
    const first = (await currentValue(s.name))!.password;
    expect((await rotate(s)).outcome).toBe('succeeded');
    await expectRotated(s, first);
  });

  it('gives the same result when every step is invoked three times', async () => {
    const s = await setup({ repeat: 3 });
    const record = await rotate(s);
    expect(record.outcome).toBe('succeeded');
    expect(record.attempts).toBe(1);
    await expectRotated(s, INITIAL_PASSWORD);
    expect(s.target.calls.filter((c) => c.startsWith('set:'))).toHaveLength(1);
  });

  it('recovers by the service retry from a crash after every external call', async () => {
    // Count the external calls (Secrets Manager + target) of one clean rotation.
    let calls = 0;
    const counting = await setup({
      secrets: (port) =>
        wrapPort(port, () => {
          calls += 1;
        }),
    });
    expect((await rotate(counting)).outcome).toBe('succeeded');
    const totalSmCalls = calls;
    expect(totalSmCalls).toBeGreaterThan(8);

    for (let crashAt = 1; crashAt <= totalSmCalls; crashAt += 1) {
      let seen = 0;
      let crashed = false;
      const s = await setup({
        secrets: (port) =>
          wrapPort(port, () => {
            seen += 1;
            if (seen === crashAt && !crashed) {
              crashed = true;
              return 'crash-after';
            }
            return undefined;
          }),
      });
      const record = await rotate(s);
      expect(crashed, `crash point ${crashAt} reached`).toBe(true);
      expect(record.outcome, `crash after call ${crashAt}`).toBe('succeeded');
      await expectRotated(s, INITIAL_PASSWORD);
    }

    // And a crash on the target, after the password changed, before setSecret returns.
    const s = await setup();
    s.target.failSet = 'after';
    const setPassword = s.target.setPassword.bind(s.target);
    s.target.setPassword = (user, pw) => {
      try {
        setPassword(user, pw);
      } finally {
        s.target.failSet = undefined;
      }
    };
    const record = await rotate(s);
    expect(record.outcome).toBe('succeeded');
    expect(record.attempts).toBe(2);
    await expectRotated(s, INITIAL_PASSWORD);
  }, 120_000);

  it('leaves a stale AWSPENDING after repeated failures, blocks the next rotation, and rotates after repair', async () => {
    const s = await setup();
    s.target.failSet = 'before'; // the target refuses the change on every attempt
    const failed = await rotate(s);
    expect(failed.outcome).toBe('failed');
    expect(failed.attempts).toBe(3);
    const failedStep = failed.steps.find((step) => !step.ok);
    expect(failedStep?.step).toBe('setSecret');
    expect((await currentValue(s.name))!.password).toBe(INITIAL_PASSWORD);
    expect(s.target.login('app', new Sensitive(INITIAL_PASSWORD))).toBe(true);

    // The service refuses a new rotation while AWSPENDING sits on another version.
    await expect(sm.send(new RotateSecretCommand({ SecretId: s.name }))).rejects.toThrow(
      /previous rotation isn't complete/,
    );

    // A step for a different token while the stale AWSPENDING exists is a conflict with its own code.
    const versions = await snapshot(s.name);
    const currentId = Object.entries(versions).find(([, v]) => v.stages.includes('AWSCURRENT'))![0];
    const stalePendingId = Object.entries(versions).find(([, v]) => v.stages.includes('AWSPENDING'))![0];
    await sm.send(
      new PutSecretValueCommand({
        SecretId: s.name,
        ClientRequestToken: 'n'.repeat(36),
        SecretString: JSON.stringify({ username: 'app', password: 'x-y-z' }),
        VersionStages: ['NEWLABEL'],
      }),
    );
    await expect(
      s.fn.invoke({ Step: 'createSecret', SecretId: s.name, ClientRequestToken: 'n'.repeat(36) }),
    ).rejects.toMatchObject({ code: ErrorCode.ERR_ROTATION_CONFLICT });

    // Repair: clear the stale AWSPENDING (never touching AWSCURRENT) and rotate again.
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: s.name,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: stalePendingId,
      }),
    );
    s.target.failSet = undefined;
    const record = await rotate(s);
    expect(record.outcome).toBe('succeeded');
    await expectRotated(s, INITIAL_PASSWORD);
    const after = await snapshot(s.name);
    expect(Object.entries(after).find(([, v]) => v.stages.includes('AWSPREVIOUS'))![0]).toBe(currentId);
  });

  it('retries an abandoned rotation that already changed the target by re-running it, not by discarding it', async () => {
    // testSecret fails after setSecret applied the pending password (single-user semantics):
    // AWSCURRENT no longer logs in, AWSPENDING does. Re-running the same token completes it.
    const s = await setup();
    s.target.failTest = true;
    const failed = await rotate(s);
    expect(failed.outcome).toBe('failed');
    expect(failed.steps.find((step) => !step.ok)?.error?.code).toBe(ErrorCode.ERR_TEST_FAILED);
    const pending = (await currentValue(s.name, 'AWSPENDING'))!;
    expect(s.target.login('app', new Sensitive(pending.password))).toBe(true);
    expect(s.target.login('app', new Sensitive(INITIAL_PASSWORD))).toBe(false);

    // The service reattempts the same rotation (same token) at its next window; every step is safe to repeat.
    s.target.failTest = false;
    const token = failed.token;
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      await s.fn.invoke({ Step, SecretId: s.name, ClientRequestToken: token });
    }
    expect((await currentValue(s.name))!.password).toBe(pending.password);
    expect(s.target.login('app', new Sensitive(pending.password))).toBe(true);
  });

  it('rejects bad events with their codes and changes nothing', async () => {
    const s = await setup();
    await sm.send(
      new RotateSecretCommand({ SecretId: s.name, RotationLambdaARN: s.arn, RotateImmediately: false }),
    );
    await emu.waitForRotation(s.name);
    const before = await snapshot(s.name);
    const token = Object.keys(before)[0]!;
    const cases: [unknown, string][] = [
      [{ SecretId: s.name, ClientRequestToken: token }, ErrorCode.ERR_EVENT_INVALID],
      [{ Step: 'createSecret', SecretId: 42, ClientRequestToken: token }, ErrorCode.ERR_EVENT_INVALID],
      [{ Step: 'create_secret', SecretId: s.name, ClientRequestToken: token }, ErrorCode.ERR_STEP_UNKNOWN],
      [
        { Step: 'setSecret', SecretId: s.name, ClientRequestToken: 'u'.repeat(36) },
        ErrorCode.ERR_TOKEN_UNKNOWN,
      ],
      ['not an object', ErrorCode.ERR_EVENT_INVALID],
    ];
    for (const [event, code] of cases) {
      await expect(s.fn.invoke(event)).rejects.toMatchObject({ code });
    }
    expect(await snapshot(s.name)).toEqual(before);
  });

  it.each([
    ['empty JSON object', '{}'],
    ['truncated JSON', '{"username": "app", "password": '],
    ['password not a string', '{"username": "app", "password": 12345}'],
  ])(
    'fails createSecret on a malformed current value (%s), storing nothing and moving no label',
    async (_name, secretString) => {
      const s = await setup({ secretString });
      const before = await snapshot(s.name);
      const record = await rotate(s);
      expect(record.outcome).toBe('failed');
      expect(record.steps.find((step) => !step.ok)?.error?.code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
      const after = await snapshot(s.name);
      // The only difference is the service's own empty AWSPENDING placeholder.
      const added = Object.keys(after).filter((id) => !(id in before));
      expect(added).toHaveLength(1);
      expect(after[added[0]!]).toEqual({ stages: ['AWSPENDING'] });
      for (const [id, version] of Object.entries(before)) expect(after[id]).toEqual(version);
      expect(s.target.calls.filter((c) => c.startsWith('set:'))).toEqual([]);
    },
  );
});

/** Wrap a port so `hook` runs after each call took effect; 'crash-after' makes the caller see an error. */
function wrapPort(port: SecretsPort, hook: () => 'crash-after' | undefined | void): SecretsPort {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (hook() === 'crash-after') throw new Error(`injected crash after ${String(prop)}`);
        return result;
      };
    },
  });
}
