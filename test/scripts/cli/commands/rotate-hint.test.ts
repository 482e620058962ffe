import { describe, expect, it } from 'vitest';
import { brokenCurrentReason, failureHint } from '../../../../scripts/cli/commands/rotate-hint.ts';
import type { RecordedProgress } from '../../../../shared/rotation-progress.ts';

const record = (fields: Partial<RecordedProgress>): RecordedProgress => ({
  token: 'v2',
  step: 'testSecret',
  outcome: 'failed',
  errorCode: 'ERR_TEST_FAILED',
  attempt: 1,
  at: undefined,
  kind: 'postgres',
  emergency: 'none',
  current: 'works',
  ...fields,
});

describe('the failure hint', () => {
  it('names finish and roll back, never plain repair, when setSecret replaced AWSCURRENT', () => {
    const hint = failureHint({
      name: 'db',
      failedStep: 'testSecret',
      errorCode: 'ERR_TEST_FAILED',
      timedOut: false,
      recorded: record({ current: 'replaced' }),
    });
    expect(hint).toContain('AWSCURRENT no longer logs in');
    expect(hint).toContain('rotation repair db --finish');
    expect(hint).toContain('rotation repair db --rollback');
    expect(hint).toContain('Do not clear AWSPENDING');
  });

  it('offers the plain repair when AWSCURRENT still logs in', () => {
    const hint = failureHint({
      name: 'db',
      failedStep: 'createSecret',
      timedOut: false,
      recorded: record({ step: 'createSecret', current: 'works' }),
    });
    expect(hint).toContain('nothing was changed on the target');
    expect(hint).toContain('rotation repair db');
    expect(hint).not.toContain('--finish');
  });

  it('sends an unfinished emergency to --finish, and an unknown state to the checking repair', () => {
    expect(
      failureHint({ name: 'k', timedOut: false, recorded: record({ emergency: 'unfinished' }) }),
    ).toContain('rotation repair k --finish');
    expect(failureHint({ name: 'k', timedOut: false })).toContain('unknown');
  });
});

describe('rotate on a secret whose AWSCURRENT no longer logs in', () => {
  it('refuses, naming the working version and the two safe fixes', () => {
    const reason = brokenCurrentReason('db', record({ current: 'replaced' }), {
      current: 'v1',
      pending: 'v2',
    });
    expect(reason?.message).toContain('AWSCURRENT no longer logs in');
    expect(reason?.message).toContain('AWSPENDING (version v2)');
    expect(reason?.hint).toContain('--finish');
    expect(reason?.hint).toContain('--rollback');
  });

  it('says follow while that rotation is still running, and nothing when it finished or AWSCURRENT works', () => {
    expect(
      brokenCurrentReason('db', record({ step: 'setSecret', outcome: 'done', current: 'replaced' }), {
        current: 'v1',
        pending: 'v2',
      })?.hint,
    ).toBe('follow it: rotation follow db');
    expect(
      brokenCurrentReason('db', record({ current: 'replaced' }), { current: 'v2', pending: undefined }),
    ).toBeUndefined();
    expect(brokenCurrentReason('db', record({}), { current: 'v1', pending: 'v2' })).toBeUndefined();
  });
});
