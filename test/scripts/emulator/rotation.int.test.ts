import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  failure,
  startHarness,
  templateFunction,
  type Harness,
  type RotationEvent,
} from './emulator-harness.ts';

const RULES = { AutomaticallyAfterDays: 90 };
let h: Harness;
let counter = 0;
const uniqueName = (label: string): string => `rotation/${label}-${++counter}`;

beforeAll(async () => {
  h = await startHarness({ invocationTimeoutMs: 1000 });
});
afterAll(async () => {
  await h.close();
});

async function secretWith(
  label: string,
  value = 'initial',
): Promise<{ arn: string; name: string; firstVersion: string }> {
  const name = uniqueName(label);
  const out = await h.sm.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return { arn: out.ARN as string, name, firstVersion: out.VersionId as string };
}

describe('RotateSecret with an in-process function', () => {
  it('R6/R9/R10/R11/D3/G5/P9: runs the four steps in order with the ARN and token, then removes AWSPENDING and dates the rotation', async () => {
    const events: RotationEvent[] = [];
    const seen: Record<string, string[] | undefined> = {};
    const fn = h.emu.registerFunction(
      'template-ok',
      templateFunction(h.sm, {
        onStep: async (event) => {
          events.push(event);
          if (event.Step === 'createSecret') {
            const described = await h.sm.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
            seen['createSecret'] = described.VersionIdsToStages?.[event.ClientRequestToken];
            // G5: the placeholder has no value yet.
            const read = await failure(
              h.sm.send(
                new GetSecretValueCommand({
                  SecretId: event.SecretId,
                  VersionId: event.ClientRequestToken,
                  VersionStage: 'AWSPENDING',
                }),
              ),
            );
            seen['placeholderRead'] = [read.name];
          }
        },
      }),
    );
    const secret = await secretWith('ok');
    const before = Date.now();
    const out = await h.sm.send(
      new RotateSecretCommand({ SecretId: secret.name, RotationLambdaARN: fn, RotationRules: RULES }),
    );
    expect(out.ARN).toBe(secret.arn);
    const record = await h.emu.waitForRotation(secret.name);
    expect(record.outcome).toBe('succeeded');
    expect(record.attempts).toBe(1);
    expect(events.map((event) => event.Step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    for (const event of events) {
      expect(event.SecretId).toBe(secret.arn);
      expect(event.ClientRequestToken).toBe(out.VersionId);
      expect(event.RotationToken).toMatch(/^[a-zA-Z0-9-]{36,256}$/);
    }
    expect(seen['createSecret']).toEqual(['AWSPENDING']);
    expect(seen['placeholderRead']).toEqual(['ResourceNotFoundException']);
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: secret.arn }));
    expect(described.VersionIdsToStages).toEqual({
      [secret.firstVersion]: ['AWSPREVIOUS'],
      [out.VersionId as string]: ['AWSCURRENT'],
    });
    expect(described.RotationEnabled).toBe(true);
    expect(described.RotationLambdaARN).toBe(fn);
    expect(described.RotationRules).toEqual(RULES);
    expect(described.LastRotatedDate?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(described.NextRotationDate?.getTime()).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    const current = await h.sm.send(new GetSecretValueCommand({ SecretId: secret.arn }));
    expect(current.SecretString).toBe(`value-${out.VersionId}`);
  });

  it('R5: a second RotateSecret with only SecretId reuses the stored function and rules', async () => {
    const fn = h.emu.registerFunction('template-again', templateFunction(h.sm));
    const secret = await secretWith('again');
    await h.sm.send(
      new RotateSecretCommand({ SecretId: secret.name, RotationLambdaARN: fn, RotationRules: RULES }),
    );
    await h.emu.waitForRotation(secret.name);
    const second = await h.sm.send(new RotateSecretCommand({ SecretId: secret.name }));
    const record = await h.emu.waitForRotation(secret.arn);
    expect(record.token).toBe(second.VersionId);
    expect(record.outcome).toBe('succeeded');
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: secret.arn }));
    expect(described.VersionIdsToStages?.[second.VersionId as string]).toEqual(['AWSCURRENT']);
    expect(described.RotationRules).toEqual(RULES);
  });

  it('R8: a failing step retries the whole rotation with the same token, then leaves AWSPENDING on the placeholder', async () => {
    const tokens: string[] = [];
    const fn = h.emu.registerFunction(
      'fails-set',
      templateFunction(h.sm, {
        onStep: (event) => {
          tokens.push(event.ClientRequestToken);
          if (event.Step === 'setSecret')
            throw Object.assign(new Error('target refused'), {
              name: 'RotationError',
              code: 'ERR_TARGET_REJECTED',
            });
        },
      }),
    );
    const secret = await secretWith('fail');
    const out = await h.sm.send(
      new RotateSecretCommand({ SecretId: secret.name, RotationLambdaARN: fn, RotationRules: RULES }),
    );
    const record = await h.emu.waitForRotation(secret.name);
    expect(record.outcome).toBe('failed');
    expect(record.attempts).toBe(3);
    expect(new Set(tokens)).toEqual(new Set([out.VersionId]));
    const failed = record.steps.filter((step) => !step.ok);
    expect(failed).toHaveLength(3);
    expect(failed[0]?.error).toEqual({
      name: 'RotationError',
      code: 'ERR_TARGET_REJECTED',
      message: 'target refused',
    });
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: secret.arn }));
    expect(described.VersionIdsToStages).toEqual({
      [secret.firstVersion]: ['AWSCURRENT'],
      [out.VersionId as string]: ['AWSPENDING'],
    });
    expect(described.LastRotatedDate).toBeUndefined();
    // R3: the leftover AWSPENDING blocks the next rotation.
    const blocked = await failure(h.sm.send(new RotateSecretCommand({ SecretId: secret.name })));
    expect(blocked).toEqual({
      name: 'InvalidRequestException',
      message: "A previous rotation isn't complete. That rotation will be reattempted.",
      status: 400,
    });
  });

  it('R3: AWSPENDING on the AWSCURRENT version does not block a rotation', async () => {
    const fn = h.emu.registerFunction('template-r3', templateFunction(h.sm));
    const secret = await secretWith('r3');
    await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secret.name,
        VersionStage: 'AWSPENDING',
        MoveToVersionId: secret.firstVersion,
      }),
    );
    const out = await h.sm.send(new RotateSecretCommand({ SecretId: secret.name, RotationLambdaARN: fn }));
    expect((await h.emu.waitForRotation(secret.name)).outcome).toBe('succeeded');
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: secret.arn }));
    expect(described.VersionIdsToStages).toEqual({
      [secret.firstVersion]: ['AWSPREVIOUS'],
      [out.VersionId as string]: ['AWSCURRENT'],
    });
  });

  it('R3 (state first): a stale AWSPENDING is reported before an unknown function', async () => {
    const secret = await secretWith('r3-first');
    await h.sm.send(
      new PutSecretValueCommand({
        SecretId: secret.name,
        SecretString: 'stale',
        VersionStages: ['AWSPENDING'],
      }),
    );
    const error = await failure(
      h.sm.send(
        new RotateSecretCommand({
          SecretId: secret.name,
          RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:missing',
        }),
      ),
    );
    expect(error.name).toBe('InvalidRequestException');
  });

  it('R12: an unknown function ARN fails synchronously with AccessDeniedException and saves no configuration', async () => {
    const secret = await secretWith('r12');
    const error = await failure(
      h.sm.send(
        new RotateSecretCommand({
          SecretId: secret.name,
          RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:missing',
          RotationRules: RULES,
        }),
      ),
    );
    expect(error).toEqual({
      name: 'AccessDeniedException',
      message:
        'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
      status: 400,
    });
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: secret.name }));
    expect(described.RotationEnabled).toBeUndefined();
    expect(described.RotationLambdaARN).toBeUndefined();
    expect(described.RotationRules).toBeUndefined();
    expect(described.VersionIdsToStages).toEqual({ [secret.firstVersion]: ['AWSCURRENT'] });
  });

  it('R2: without a function ARN, stored or given, RotateSecret fails and changes no version', async () => {
    const secret = await secretWith('r2');
    const error = await failure(h.sm.send(new RotateSecretCommand({ SecretId: secret.name })));
    expect(error).toEqual({
      name: 'InvalidRequestException',
      message: 'No Lambda rotation function ARN is associated with this secret.',
      status: 400,
    });
    const versions = await h.sm.send(
      new ListSecretVersionIdsCommand({ SecretId: secret.name, IncludeDeprecated: true }),
    );
    expect(versions.Versions?.map((version) => version.VersionId)).toEqual([secret.firstVersion]);
  });

  it('R4: a manual PutSecretValue counts as a rotation for the AutomaticallyAfterDays schedule', async () => {
    let now = Date.UTC(2026, 2, 1, 12);
    const timed = await startHarness({ clock: () => now });
    try {
      const fn = timed.emu.registerFunction('template-r4', templateFunction(timed.sm));
      await timed.sm.send(new CreateSecretCommand({ Name: 'r4', SecretString: 'v' }));
      await timed.sm.send(
        new RotateSecretCommand({
          SecretId: 'r4',
          RotationLambdaARN: fn,
          RotationRules: { AutomaticallyAfterDays: 10 },
        }),
      );
      await timed.emu.waitForRotation('r4');
      expect(
        (await timed.sm.send(new DescribeSecretCommand({ SecretId: 'r4' }))).NextRotationDate?.toISOString(),
      ).toBe('2026-03-11T23:59:59.000Z');
      now = Date.UTC(2026, 2, 5, 12);
      await timed.sm.send(new PutSecretValueCommand({ SecretId: 'r4', SecretString: 'manual' }));
      const described = await timed.sm.send(new DescribeSecretCommand({ SecretId: 'r4' }));
      expect(described.NextRotationDate?.toISOString()).toBe('2026-03-15T23:59:59.000Z');
      expect(described.LastRotatedDate?.toISOString()).toBe('2026-03-01T12:00:00.000Z');
    } finally {
      await timed.close();
    }
  });

  it('R1: an unknown secret is ResourceNotFoundException and one scheduled for deletion InvalidRequestException', async () => {
    const error = await failure(
      h.sm.send(
        new RotateSecretCommand({
          SecretId: 'rotation/none',
          RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:x',
        }),
      ),
    );
    expect(error.name).toBe('ResourceNotFoundException');
    const fn = h.emu.registerFunction('template-r1', templateFunction(h.sm));
    const secret = await secretWith('r1-deleted');
    await h.sm.send(new DeleteSecretCommand({ SecretId: secret.name }));
    const deleted = await failure(
      h.sm.send(new RotateSecretCommand({ SecretId: secret.name, RotationLambdaARN: fn })),
    );
    expect(deleted).toEqual({
      name: 'InvalidRequestException',
      message: "You can't perform this operation on the secret because it was marked for deletion.",
      status: 400,
    });
    expect(h.emu.rotations.some((record) => record.secretArn === secret.arn)).toBe(false);
  });

  it('R7: RotateImmediately=false runs testSecret only on a copy of the current value, then removes that version', async () => {
    const seen: { step: string; stages?: string[]; value?: string; token: string }[] = [];
    const fn = h.emu.registerFunction('test-only', async (raw: unknown) => {
      const event = raw as RotationEvent;
      const pending = await h.sm.send(
        new GetSecretValueCommand({ SecretId: event.SecretId, VersionStage: 'AWSPENDING' }),
      );
      seen.push({
        step: event.Step,
        ...(pending.VersionStages ? { stages: pending.VersionStages } : {}),
        ...(pending.SecretString ? { value: pending.SecretString } : {}),
        token: event.ClientRequestToken,
      });
    });
    const secret = await secretWith('r7', 'keep-me');
    const out = await h.sm.send(
      new RotateSecretCommand({
        SecretId: secret.name,
        RotationLambdaARN: fn,
        RotationRules: RULES,
        RotateImmediately: false,
      }),
    );
    const record = await h.emu.waitForRotation(secret.name);
    expect(record.outcome).toBe('succeeded');
    expect(seen).toEqual([
      { step: 'testSecret', stages: ['AWSPENDING'], value: 'keep-me', token: out.VersionId },
    ]);
    expect(out.VersionId).not.toBe(secret.firstVersion);
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: secret.name }));
    expect(described.VersionIdsToStages).toEqual({ [secret.firstVersion]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBe(true);
    expect(described.LastRotatedDate).toBeUndefined();
    expect(described.NextRotationDate).toBeDefined();
  });

  it('X1/D4: CancelRotateSecret turns rotation off, keeps the labels and returns the cancelled version', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fn = h.emu.registerFunction(
      'slow',
      templateFunction(h.sm, { onStep: (event) => (event.Step === 'setSecret' ? gate : undefined) }),
    );
    const secret = await secretWith('x1');
    const out = await h.sm.send(
      new RotateSecretCommand({ SecretId: secret.name, RotationLambdaARN: fn, RotationRules: RULES }),
    );
    await expect
      .poll(() => h.emu.rotations.find((record) => record.token === out.VersionId)?.currentStep)
      .toBe('setSecret');
    const cancelled = await h.sm.send(new CancelRotateSecretCommand({ SecretId: secret.name }));
    expect(cancelled.VersionId).toBe(out.VersionId);
    release();
    const record = await h.emu.waitForRotation(secret.name);
    expect(record.outcome).toBe('failed');
    expect(record.steps.map((step) => step.step)).toEqual(['createSecret', 'setSecret', 'testSecret']);
    expect(record.steps.at(-1)?.error?.name).toBe('RotationCancelled');
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: secret.name }));
    expect(described.RotationEnabled).toBe(false);
    expect(described.RotationLambdaARN).toBe(fn);
    expect(described.RotationRules).toEqual(RULES);
    expect(described.NextRotationDate).toBeUndefined();
    expect(described.VersionIdsToStages?.[out.VersionId as string]).toEqual(['AWSPENDING']);
    const missing = await failure(h.sm.send(new CancelRotateSecretCommand({ SecretId: 'rotation/none' })));
    expect(missing.name).toBe('ResourceNotFoundException');
  });

  it('X1 (decided): CancelRotateSecret on a secret never configured for rotation succeeds and reports rotation off', async () => {
    const secret = await secretWith('x1-never');
    const out = await h.sm.send(new CancelRotateSecretCommand({ SecretId: secret.name }));
    expect(out.VersionId).toBeUndefined();
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: secret.name }));
    expect(described.RotationEnabled).toBe(false);
    expect(described.VersionIdsToStages).toEqual({ [secret.firstVersion]: ['AWSCURRENT'] });
  });

  it('keeps serving when a function hangs past the invocation timeout', async () => {
    const fn = h.emu.registerFunction('hangs', async (raw: unknown) => {
      if ((raw as RotationEvent).Step === 'createSecret') await new Promise(() => undefined);
    });
    const secret = await secretWith('hang');
    await h.sm.send(new RotateSecretCommand({ SecretId: secret.name, RotationLambdaARN: fn }));
    const record = await h.emu.waitForRotation(secret.name);
    expect(record.outcome).toBe('failed');
    expect(record.steps[0]?.error?.name).toBe('Sandbox.Timedout');
    expect(record.steps[0]?.durationMs).toBeGreaterThanOrEqual(900);
    const health = (await (await fetch(`${h.emu.endpoint}/_emulator/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });

  it('exposes rotation records over GET /_emulator/rotations, including one in progress with its step', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fn = h.emu.registerFunction(
      'gated',
      templateFunction(h.sm, { onStep: (event) => (event.Step === 'testSecret' ? gate : undefined) }),
    );
    const secret = await secretWith('http');
    await h.sm.send(new RotateSecretCommand({ SecretId: secret.name, RotationLambdaARN: fn }));
    await expect
      .poll(async () => {
        const body = (await (
          await fetch(`${h.emu.endpoint}/_emulator/rotations?secretId=${encodeURIComponent(secret.name)}`)
        ).json()) as { rotations: { outcome: string; currentStep?: string }[] };
        return body.rotations.map((record) => `${record.outcome}:${record.currentStep ?? ''}`);
      })
      .toEqual(['in-progress:testSecret']);
    release();
    await h.emu.waitForRotation(secret.name);
    const body = (await (
      await fetch(`${h.emu.endpoint}/_emulator/rotations?secretId=${encodeURIComponent(secret.arn)}`)
    ).json()) as { rotations: { outcome: string; steps: unknown[] }[] };
    expect(body.rotations.map((record) => record.outcome)).toEqual(['succeeded']);
    expect(body.rotations[0]?.steps).toHaveLength(4);
  });
});
