import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shannonEntropy } from '../../../functions/jwt/key-encoding.ts';
import { assessHmacBytes, assessSymmetricKey } from '../../../functions/jwt/key-policy.ts';

describe('assessSymmetricKey', () => {
  it('accepts 64 random bytes in base64', () => {
    expect(assessSymmetricKey(randomBytes(64).toString('base64'), 64).problems).toEqual([]);
  });

  it('flags a key with fewer random bytes than the policy', () => {
    const assessment = assessSymmetricKey(randomBytes(32).toString('base64'), 64);
    expect(assessment.estimatedBytes).toBe(32);
    expect(assessment.problems).toEqual(['holds at most 32 random bytes, policy requires 64']);
  });

  it('flags long but repetitive text by its entropy', () => {
    const assessment = assessSymmetricKey('xy'.repeat(200), 64);
    expect(assessment.problems).toEqual(['measures 1.00 bits per character, policy requires 4.0']);
  });

  it('holds hex keys to 3.5 bits per character, since hex text cannot reach 4.0', () => {
    const hex = randomBytes(64).toString('hex');
    expect(shannonEntropy(hex)).toBeLessThan(4);
    expect(assessSymmetricKey(hex, 64).problems).toEqual([]);
  });
});

describe('assessHmacBytes', () => {
  it('measures the decoded length of a base64url key', () => {
    expect(assessHmacBytes(randomBytes(64).toString('base64url'), 64).problems).toEqual([]);
    expect(assessHmacBytes(randomBytes(48).toString('base64url'), 64).problems).toEqual([
      'is 48 bytes, policy requires 64',
    ]);
  });
});
