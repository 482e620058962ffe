import { describe, expect, it } from 'vitest';
import { snapshotFromDescription, StepTrail } from '../../../../scripts/cli/follow/tag-progress.ts';
import { progressTags, type StepProgress } from '../../../../shared/rotation-progress.ts';

const target = { secretId: 's', arn: 'arn:s', name: 's', versionId: 'v2', startedAtMs: Date.UTC(2026, 0, 1) };

function described(record: Partial<StepProgress> | undefined, stages: Record<string, string[]>) {
  const tags = record
    ? progressTags({
        token: 'v2',
        step: 'createSecret',
        outcome: 'done',
        attempt: 1,
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, 1)),
        kind: 'postgres',
        emergency: 'none',
        current: 'works',
        ...record,
      } as StepProgress)
    : {};
  return {
    VersionIdsToStages: stages,
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    RotationEnabled: true,
  };
}

const pending = { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] };

describe('following a rotation by its progress tags', () => {
  it('fills in the steps a poll missed and names the step running now', () => {
    const snapshot = snapshotFromDescription(described({ step: 'setSecret' }, pending), target);
    expect(snapshot).toMatchObject({ phase: 'running', step: 'testSecret' });
    expect(snapshot?.steps.map((step) => `${step.step}:${step.ok}`)).toEqual([
      'createSecret:true',
      'setSecret:true',
    ]);
  });

  it('ends with the failed step and its error code, never a message it does not have', () => {
    const trail = new StepTrail();
    snapshotFromDescription(described({ step: 'createSecret' }, pending), target, trail);
    const snapshot = snapshotFromDescription(
      described({ step: 'testSecret', outcome: 'failed', errorCode: 'ERR_TEST_FAILED' }, pending),
      target,
      trail,
    );
    expect(snapshot).toMatchObject({
      phase: 'failed',
      failedStep: 'testSecret',
      error: { code: 'ERR_TEST_FAILED' },
    });
    expect(snapshot?.steps.map((step) => `${step.step}:${step.ok}`)).toEqual([
      'createSecret:true',
      'setSecret:true',
      'testSecret:false',
    ]);
  });

  it('on success shows every step, also those after the last record a poll saw', () => {
    const trail = new StepTrail();
    snapshotFromDescription(described({ step: 'createSecret' }, pending), target, trail);
    const done = snapshotFromDescription(
      described({ step: 'testSecret' }, { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] }),
      target,
      trail,
    );
    expect(done?.phase).toBe('succeeded');
    expect(done?.steps.map((step) => `${step.step}:${step.ok}`)).toEqual([
      'createSecret:true',
      'setSecret:true',
      'testSecret:true',
      'finishSecret:true',
    ]);
  });

  it('counts a retry of the rotation as a new attempt', () => {
    const trail = new StepTrail();
    const failedSet = { step: 'setSecret', outcome: 'failed', errorCode: 'ERR_TARGET_UNREACHABLE' } as const;
    snapshotFromDescription(described(failedSet, pending), target, trail);
    const retried = snapshotFromDescription(
      described({ step: 'createSecret', at: new Date(Date.UTC(2026, 0, 1, 0, 1)) }, pending),
      target,
      trail,
    );
    expect(retried).toMatchObject({ phase: 'running', step: 'setSecret', attempts: 2 });
    expect(retried?.steps.at(-1)).toMatchObject({ step: 'createSecret', ok: true, attempt: 2 });
  });

  it('ignores the record of another rotation and falls back to the labels', () => {
    expect(
      snapshotFromDescription(described({ token: 'v1' } as Partial<StepProgress>, pending), target),
    ).toBe(undefined);
    expect(
      snapshotFromDescription(described(undefined, { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] }), target),
    ).toMatchObject({ phase: 'succeeded' });
    expect(
      snapshotFromDescription(described(undefined, { v1: ['AWSCURRENT'], v2: [] }), target),
    ).toMatchObject({
      phase: 'failed',
      error: { name: 'RotationAbandoned' },
    });
  });
});
