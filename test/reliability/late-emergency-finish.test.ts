import { describe, expect, it } from 'vitest';
import { createMemoryLog } from '../../scripts/testbed/memory-observability.ts';
import { Rotator, StepOutcome } from '../../shared/rotator.ts';
import type { FinishInput, RotationStrategy } from '../../shared/strategy.ts';
import { FakeTarget, fakeStrategy, type FakeValue } from '../shared/fake-strategy.ts';
import { MemorySecretsPort } from '../shared/memory-secrets-port.ts';

// Regression for a bug the chaos harness found (seeds 3197965506 on redis/acl/url and
// 4023850120 on postgres/alternating/json): a late finishSecret of the previous rotation's
// token, arriving while an operator-requested emergency rotation was in progress, ran the
// emergency finishing work for the wrong version and removed the RotationMode tag, so the
// emergency rotation then completed as a normal one and the compromised credential kept working.

const OLD = 'a'.repeat(32);
const CURRENT = 'b'.repeat(32);
const NEW = 'c'.repeat(32);

function setUp() {
  const port = new MemorySecretsPort()
    .addVersion(OLD, '{"username":"app","password":"old-password-1"}', ['AWSPREVIOUS'])
    .addVersion(CURRENT, '{"username":"app","password":"current-password-2"}', ['AWSCURRENT']);
  const finished: FinishInput<FakeValue>[] = [];
  const base = fakeStrategy(new FakeTarget(), { generate: (policy) => port.getRandomPassword(policy) });
  const strategy: RotationStrategy<FakeValue> = {
    ...base,
    async finishSecret(input) {
      finished.push(input);
    },
  };
  const rotator = new Rotator({ secrets: port, strategy, logger: createMemoryLog() });
  return { port, rotator, finished };
}

describe('a late finishSecret while an emergency rotation is in progress', () => {
  it('leaves the emergency tag and the finishing hook to the rotation that holds AWSPENDING', async () => {
    const { port, rotator, finished } = setUp();
    port.tags = { RotationMode: 'emergency' };
    port.addVersion(NEW, undefined, ['AWSPENDING']);
    const outcome = await rotator.handle({
      Step: 'finishSecret',
      SecretId: port.arn,
      ClientRequestToken: CURRENT,
    });
    expect(outcome).toBe(StepOutcome.alreadyCurrent);
    expect(finished).toEqual([]);
    expect(port.tags).toEqual({ RotationMode: 'emergency' });
    expect(port.calls).not.toContain('UntagResource');
  });

  it('still completes its own unfinished emergency work when no other rotation is pending', async () => {
    const { port, rotator, finished } = setUp();
    port.tags = { RotationMode: 'emergency' };
    const outcome = await rotator.handle({
      Step: 'finishSecret',
      SecretId: port.arn,
      ClientRequestToken: CURRENT,
    });
    expect(outcome).toBe(StepOutcome.done);
    expect(finished).toHaveLength(1);
    expect(port.tags).toEqual({});
  });
});
