import { describe, expect, it } from 'vitest';
import { withCurrentMoved, withStageMoved, type SecretDescription } from '../../shared/secrets-port.ts';

describe('withStageMoved', () => {
  it('moves AWSCURRENT and lets AWSPREVIOUS follow to the version it left, as Secrets Manager does', () => {
    const stages = { old: ['AWSPREVIOUS'], current: ['AWSCURRENT'], pending: ['AWSPENDING'] };
    expect(
      withStageMoved(stages, {
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: 'pending',
        RemoveFromVersionId: 'current',
      }),
    ).toEqual({ current: ['AWSPREVIOUS'], pending: ['AWSPENDING', 'AWSCURRENT'] });
  });

  it('changes nothing when AWSCURRENT is already on the target', () => {
    const stages = { current: ['AWSCURRENT', 'AWSPENDING'], old: ['AWSPREVIOUS'] };
    expect(withStageMoved(stages, { VersionStage: 'AWSCURRENT', MoveToVersionId: 'current' })).toBe(stages);
  });

  it('removes a label from RemoveFromVersionId only when there is no target', () => {
    const stages = { current: ['AWSCURRENT'], old: ['AWSPREVIOUS', 'Custom'] };
    expect(withStageMoved(stages, { VersionStage: 'AWSPREVIOUS', RemoveFromVersionId: 'old' })).toEqual({
      current: ['AWSCURRENT'],
      old: ['Custom'],
    });
  });

  it('moves any other label off every version it was on, to a version not listed before', () => {
    const stages = { a: ['AWSCURRENT', 'Custom'] };
    expect(withStageMoved(stages, { VersionStage: 'Custom', MoveToVersionId: 'b' })).toEqual({
      a: ['AWSCURRENT'],
      b: ['Custom'],
    });
  });
});

describe('withCurrentMoved', () => {
  const description: SecretDescription = {
    ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf',
    Name: 's',
    VersionIdsToStages: { current: ['AWSCURRENT'], pending: ['AWSPENDING'] },
    Tags: { team: 'a' },
  };

  it('is the description after finishSecret moved AWSCURRENT to the token', () => {
    expect(withCurrentMoved(description, 'pending')).toEqual({
      ...description,
      VersionIdsToStages: { current: ['AWSPREVIOUS'], pending: ['AWSPENDING', 'AWSCURRENT'] },
    });
  });

  it('is the same description when the token already holds AWSCURRENT', () => {
    expect(withCurrentMoved(description, 'current')).toBe(description);
  });
});
