import { describe, expect, it } from 'vitest';
import { createMemoryLog } from '../../scripts/testbed/memory-observability.ts';
import { Rotator, StepOutcome } from '../../shared/rotator.ts';
import { EMERGENCY_STAGE } from '../../shared/rotation-progress.ts';
import type { FinishInput, RotationStrategy } from '../../shared/strategy.ts';
import { FakeTarget, fakeStrategy, type FakeValue } from '../shared/fake-strategy.ts';
import { MemorySecretsPort } from '../shared/memory-secrets-port.ts';

// Late and duplicate finishSecret invocations around an emergency rotation. Two bugs lived
// here: a late finishSecret of the previous token, arriving while an emergency rotation was
// in progress (chaos seeds 3197965506 on redis/acl/url, 4023850120 on postgres/alternating/json),
// and a late finishSecret of the last completed token after the operator had tagged the
// secret for a new emergency (issue 13, scenario 1). Both ran the finishing hook for the
// wrong version and removed the tag, so the operator's rotation then ran as a normal one and
// the leaked credential kept working. Emergency intent now lives on the version
// (EMERGENCY_STAGE, set by createSecret), so only the version that carries it has work left.

const OLD = 'a'.repeat(32);
const CURRENT = 'b'.repeat(32);
const NEW = 'c'.repeat(32);

function setUp(currentStages: string[] = ['AWSCURRENT']) {
  const port = new MemorySecretsPort()
    .addVersion(OLD, '{"username":"app","password":"old-password-1"}', ['AWSPREVIOUS'])
    .addVersion(CURRENT, '{"username":"app","password":"current-password-2"}', currentStages);
  const finished: FinishInput<FakeValue>[] = [];
  const base = fakeStrategy(new FakeTarget(), { generate: (policy) => port.getRandomPassword(policy) });
  const strategy: RotationStrategy<FakeValue> = {
    ...base,
    async finishSecret(input) {
      finished.push(input);
      return { revoked: input.context.emergency ? ['the old fake password'] : [] };
    },
  };
  const rotator = new Rotator({ secrets: port, strategy, logger: createMemoryLog() });
  return { port, rotator, finished };
}

const lateFinish = (port: MemorySecretsPort) => ({
  Step: 'finishSecret' as const,
  SecretId: port.arn,
  ClientRequestToken: CURRENT,
});

describe('a late finishSecret of a completed token', () => {
  it('leaves the emergency tag and the finishing hook to the rotation that holds AWSPENDING', async () => {
    const { port, rotator, finished } = setUp();
    port.tags = { RotationMode: 'emergency' };
    port.addVersion(NEW, undefined, ['AWSPENDING', EMERGENCY_STAGE]);
    expect(await rotator.handle(lateFinish(port))).toBe(StepOutcome.alreadyCurrent);
    expect(finished).toEqual([]);
    expect(port.tags).toEqual({ RotationMode: 'emergency' });
    expect(port.calls).not.toContain('UntagResource');
    expect(port.calls).not.toContain('TagResource');
  });

  it('does not consume an emergency the operator asked for after that rotation completed', async () => {
    const { port, rotator, finished } = setUp();
    port.tags = { RotationMode: 'emergency' };
    expect(await rotator.handle(lateFinish(port))).toBe(StepOutcome.alreadyCurrent);
    expect(finished).toEqual([]);
    expect(port.tags).toEqual({ RotationMode: 'emergency' });
    expect(port.labels()[CURRENT]).toEqual(['AWSCURRENT']);
  });

  it('completes its own unfinished emergency work, recorded on its version, then clears the record', async () => {
    const { port, rotator, finished } = setUp(['AWSCURRENT', EMERGENCY_STAGE]);
    port.tags = { RotationMode: 'emergency' };
    expect(await rotator.handle(lateFinish(port))).toBe(StepOutcome.done);
    expect(finished).toHaveLength(1);
    expect(finished[0]?.context.emergency).toBe(true);
    expect(port.userTags()).toEqual({});
    expect(port.labels()[CURRENT]).toEqual(['AWSCURRENT']);
    // A further duplicate has nothing left to do.
    expect(await rotator.handle(lateFinish(port))).toBe(StepOutcome.alreadyCurrent);
    expect(finished).toHaveLength(1);
  });
});
