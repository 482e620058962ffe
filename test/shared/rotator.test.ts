import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { createMemoryLog, createMemoryMetrics } from '../../scripts/testbed/memory-observability.ts';
import { secretsManagerPasswordGenerator } from '../../shared/password.ts';
import { Rotator, StepOutcome } from '../../shared/rotator.ts';
import type { FinishInput } from '../../shared/strategy.ts';
import { FakeTarget, fakeStrategy, type FakeValue } from './fake-strategy.ts';
import { MemorySecretsPort } from './memory-secrets-port.ts';
import { codeOfAsync } from '../support/error-code.ts';

const CURRENT = 'c'.repeat(32);
const TOKEN = 't'.repeat(32);
const OTHER = 'o'.repeat(32);
const currentValue = JSON.stringify({ username: 'app', password: 'Current-Passw0rd!', note: 'kept' });

/** Making a new value fails, as a createSecret whose target (or GetRandomPassword) is down would. */
const targetDown = async (): Promise<never> => {
  throw new RotationError(ErrorCode.ERR_TARGET_UNREACHABLE, 'injected: target down');
};

function setup() {
  const port = new MemorySecretsPort()
    .addVersion(CURRENT, currentValue, ['AWSCURRENT'])
    .addVersion(TOKEN, undefined, ['AWSPENDING']);
  const target = new FakeTarget();
  target.passwords.set('app', 'Current-Passw0rd!');
  const logger = createMemoryLog();
  const metrics = createMemoryMetrics();
  const strategy = fakeStrategy(target, secretsManagerPasswordGenerator(port));
  const rotator = new Rotator({ secrets: port, strategy, logger, metrics });
  const event = (Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret') => ({
    Step,
    SecretId: port.arn,
    ClientRequestToken: TOKEN,
  });
  return { port, target, logger, metrics, rotator, event, strategy };
}

describe('Rotator guard', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => {
    s = setup();
  });

  it('rejects a secret whose rotation is disabled, changing nothing', async () => {
    s.port.rotationEnabled = false;
    const before = s.port.labels();
    expect(await codeOfAsync(s.rotator.handle(s.event('createSecret')))).toBe(
      ErrorCode.ERR_ROTATION_NOT_ENABLED,
    );
    expect(s.port.labels()).toEqual(before);
    expect(s.port.calls).toEqual(['DescribeSecret']);
  });

  it('tolerates RotationEnabled being absent, like AWS database functions', async () => {
    s.port.rotationEnabled = undefined;
    expect(await s.rotator.handle(s.event('createSecret'))).toBe(StepOutcome.done);
  });

  it('rejects a token that is not a version of the secret', async () => {
    const event = { ...s.event('setSecret'), ClientRequestToken: 'x'.repeat(32) };
    expect(await codeOfAsync(s.rotator.handle(event))).toBe(ErrorCode.ERR_TOKEN_UNKNOWN);
  });

  it('returns success without work when the token already holds AWSCURRENT', async () => {
    const event = { ...s.event('setSecret'), ClientRequestToken: CURRENT };
    expect(await s.rotator.handle(event)).toBe(StepOutcome.alreadyCurrent);
    expect(s.port.calls).toEqual(['DescribeSecret']);
    expect(s.target.calls).toEqual([]);
  });

  it('reports a different version holding AWSPENDING as a conflict', async () => {
    s.port.addVersion(OTHER, undefined, ['AWSPENDING']);
    s.port.versions.get(TOKEN)!.stages.add('custom');
    expect(await codeOfAsync(s.rotator.handle(s.event('createSecret')))).toBe(
      ErrorCode.ERR_ROTATION_CONFLICT,
    );
  });

  it('rejects a token that is neither AWSCURRENT nor AWSPENDING when nothing is pending', async () => {
    s.port.versions.get(TOKEN)!.stages.clear();
    s.port.versions.get(TOKEN)!.stages.add('AWSPREVIOUS');
    expect(await codeOfAsync(s.rotator.handle(s.event('finishSecret')))).toBe(
      ErrorCode.ERR_TOKEN_NOT_PENDING,
    );
  });
});

describe('Rotator steps', () => {
  it('runs the four steps, keeping unknown fields and moving the labels', async () => {
    const s = setup();
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      expect(await s.rotator.handle(s.event(step))).toBe(StepOutcome.done);
    }
    expect(s.port.labels()).toEqual({ [CURRENT]: ['AWSPREVIOUS'], [TOKEN]: ['AWSCURRENT', 'AWSPENDING'] });
    const stored = JSON.parse(s.port.versions.get(TOKEN)!.value!);
    expect(stored.note).toBe('kept');
    expect(s.target.passwords.get('app')).toBe(stored.password);
    expect(s.metrics.records.filter((r) => r.name === 'StepSucceeded')).toHaveLength(4);
    expect(s.metrics.records.some((r) => r.name === 'RotationCompleted')).toBe(true);
  });

  it('createSecret does nothing when the pending value already exists', async () => {
    const s = setup();
    await s.rotator.handle(s.event('createSecret'));
    const stored = s.port.versions.get(TOKEN)!.value;
    const before = s.port.calls.length;
    expect(await s.rotator.handle(s.event('createSecret'))).toBe(StepOutcome.pendingExists);
    expect(s.port.versions.get(TOKEN)!.value).toBe(stored);
    // Put first: the store refuses a second value under the token; only then is the stored one read.
    const again = s.port.calls.slice(before);
    expect(again.slice(again.indexOf('PutSecretValue'))).toEqual([
      'PutSecretValue',
      'GetSecretValue:AWSPENDING',
      'TagResource',
    ]);
  });

  it('createSecret keeps a pending value an earlier attempt stored when making a new one fails', async () => {
    const s = setup();
    await s.rotator.handle(s.event('createSecret'));
    const stored = s.port.versions.get(TOKEN)!.value;
    s.port.getRandomPassword = targetDown;
    expect(await s.rotator.handle(s.event('createSecret'))).toBe(StepOutcome.pendingExists);
    expect(s.port.versions.get(TOKEN)!.value).toBe(stored);
  });

  it('createSecret fails with the error of making the value when no pending value is stored', async () => {
    const s = setup();
    s.port.getRandomPassword = targetDown;
    expect(await codeOfAsync(s.rotator.handle(s.event('createSecret')))).toBe(
      ErrorCode.ERR_TARGET_UNREACHABLE,
    );
    expect(s.port.calls).not.toContain('PutSecretValue');
  });

  it('createSecret reads the token only when the store refuses the value (put first)', async () => {
    const s = setup();
    await s.rotator.handle(s.event('createSecret'));
    expect(s.port.calls).not.toContain('GetSecretValue:AWSPENDING');
    expect(s.port.versions.get(TOKEN)!.value).toBeDefined();
  });

  it('createSecret fails with ERR_CURRENT_MISSING when no AWSCURRENT exists', async () => {
    const s = setup();
    s.port.versions.get(CURRENT)!.stages.clear();
    expect(await codeOfAsync(s.rotator.handle(s.event('createSecret')))).toBe(ErrorCode.ERR_CURRENT_MISSING);
  });

  it('createSecret rejects a malformed current value and stores nothing', async () => {
    const s = setup();
    s.port.versions.get(CURRENT)!.value = '{"username": "app", "password": ';
    expect(await codeOfAsync(s.rotator.handle(s.event('createSecret')))).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(s.port.versions.get(TOKEN)!.value).toBeUndefined();
    expect(s.port.calls).not.toContain('PutSecretValue');
  });

  it('rejects a binary current value with its own code', async () => {
    const s = setup();
    const current = s.port.versions.get(CURRENT)!;
    delete current.value;
    current.binary = new Uint8Array([1, 2, 3]);
    expect(await codeOfAsync(s.rotator.handle(s.event('createSecret')))).toBe(
      ErrorCode.ERR_SECRET_BINARY_UNSUPPORTED,
    );
  });

  it('passes RotationToken through to PutSecretValue', async () => {
    const s = setup();
    let seen: string | undefined;
    const put = s.port.putSecretValue.bind(s.port);
    s.port.putSecretValue = async (input) => {
      seen = (input as { RotationToken?: string }).RotationToken;
      return put(input);
    };
    await s.rotator.handle({ ...s.event('createSecret'), RotationToken: 'rotation-token-123' });
    expect(seen).toBe('rotation-token-123');
  });

  it('setSecret without a stored pending value fails with ERR_PENDING_MISSING and touches no target', async () => {
    const s = setup();
    expect(await codeOfAsync(s.rotator.handle(s.event('setSecret')))).toBe(ErrorCode.ERR_PENDING_MISSING);
    expect(s.target.calls).toEqual([]);
  });

  it('ignores an unreadable AWSPREVIOUS with a warning instead of failing', async () => {
    const s = setup();
    s.port.addVersion(OTHER, 'not json', ['AWSPREVIOUS']);
    await s.rotator.handle(s.event('createSecret'));
    expect(await s.rotator.handle(s.event('setSecret'))).toBe(StepOutcome.done);
    expect(s.logger.lines.some((l) => l.includes('Ignoring unreadable version'))).toBe(true);
  });

  it('logs a failure once with its code and records the RotationFailed metric', async () => {
    const s = setup();
    await s.rotator.handle(s.event('createSecret'));
    s.target.failTest = true;
    await s.rotator.handle(s.event('setSecret'));
    expect(await codeOfAsync(s.rotator.handle(s.event('testSecret')))).toBe(ErrorCode.ERR_TEST_FAILED);
    const errors = s.logger.lines.filter((l) => JSON.parse(l).level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]!).errorCode).toBe(ErrorCode.ERR_TEST_FAILED);
    expect(
      s.metrics.records.some((r) => r.name === 'RotationFailed' && r.metric?.step === 'testSecret'),
    ).toBe(true);
  });

  it('never writes a password into a log line', async () => {
    const s = setup();
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)
      await s.rotator.handle(s.event(step));
    const newPassword = JSON.parse(s.port.versions.get(TOKEN)!.value!).password as string;
    const text = s.logger.lines.join('\n');
    expect(text).not.toContain(newPassword);
    expect(text).not.toContain('Current-Passw0rd!');
  });
});

describe('Rotator emergency finishing', () => {
  function withHook() {
    const s = setup();
    const finished: FinishInput<FakeValue>[] = [];
    let failHook = false;
    const rotator = new Rotator({
      secrets: s.port,
      logger: s.logger,
      strategy: {
        ...s.strategy,
        async finishSecret(input) {
          if (failHook) throw new Error('hook crashed');
          finished.push(input);
        },
      },
    });
    return { ...s, rotator, finished, setFailHook: (v: boolean) => (failHook = v) };
  }

  it('runs the finishing hook with the new and old values, then removes the emergency tag', async () => {
    const s = withHook();
    s.port.tags = { RotationMode: 'emergency', team: 'a' };
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)
      await s.rotator.handle(s.event(step));
    expect(s.finished).toHaveLength(1);
    expect(s.finished[0]!.context.emergency).toBe(true);
    expect(s.finished[0]!.previous?.password.reveal()).toBe('Current-Passw0rd!');
    expect(s.port.userTags()).toEqual({ team: 'a' });
  });

  it('completes unfinished emergency work when finishSecret is re-run after a crash past the label move', async () => {
    const s = withHook();
    s.port.tags = { RotationMode: 'emergency' };
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const)
      await s.rotator.handle(s.event(step));
    s.setFailHook(true);
    expect(await codeOfAsync(s.rotator.handle(s.event('finishSecret')))).toBe(ErrorCode.ERR_INTERNAL);
    expect(s.port.labels()[TOKEN]).toContain('AWSCURRENT');
    expect(s.port.userTags()).toEqual({ RotationMode: 'emergency' });
    s.setFailHook(false);
    expect(await s.rotator.handle(s.event('finishSecret'))).toBe(StepOutcome.done);
    expect(s.finished).toHaveLength(1);
    expect(s.port.userTags()).toEqual({});
    // And once the tag is gone, a late duplicate is a no-op.
    expect(await s.rotator.handle(s.event('finishSecret'))).toBe(StepOutcome.alreadyCurrent);
    expect(s.finished).toHaveLength(1);
  });

  it('does not run the hook on a scheduled (non-emergency) re-run of finishSecret', async () => {
    const s = withHook();
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)
      await s.rotator.handle(s.event(step));
    expect(await s.rotator.handle(s.event('finishSecret'))).toBe(StepOutcome.alreadyCurrent);
    expect(s.finished).toHaveLength(1);
  });
});
