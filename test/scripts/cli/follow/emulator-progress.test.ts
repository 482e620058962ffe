import { describe, expect, it } from 'vitest';
import { recordToSnapshot } from '../../../../scripts/cli/follow/emulator-progress.ts';
import { followRotation } from '../../../../scripts/cli/follow/follow-rotation.ts';
import type { ProgressSource, RotationSnapshot } from '../../../../scripts/cli/follow/rotation-snapshot.ts';

describe('recordToSnapshot', () => {
  it('names the failing step and its error code from a failed record', () => {
    const snapshot = recordToSnapshot({
      outcome: 'failed',
      attempts: 3,
      steps: [
        { step: 'createSecret', ok: true, durationMs: 5 },
        { step: 'setSecret', ok: true, durationMs: 4 },
        {
          step: 'testSecret',
          ok: false,
          durationMs: 3,
          error: { name: 'RotationError', code: 'ERR_TEST_FAILED', message: 'login failed for user app' },
        },
      ],
    });
    expect(snapshot).toMatchObject({
      phase: 'failed',
      failedStep: 'testSecret',
      attempts: 3,
      error: { code: 'ERR_TEST_FAILED' },
    });
  });

  it('reports the current step of a record still running', () => {
    expect(
      recordToSnapshot({ currentStep: 'setSecret', steps: [{ step: 'createSecret', ok: true }] }),
    ).toMatchObject({ phase: 'running', step: 'setSecret' });
    expect(recordToSnapshot({ outcome: 'succeeded', steps: [] }).phase).toBe('succeeded');
  });
});

describe('followRotation', () => {
  const target = { secretId: 's', arn: 'arn:s', name: 's', versionId: 'v2', startedAtMs: 0 };

  it('reports each change once and stops at the outcome', async () => {
    const script: RotationSnapshot[] = [
      { phase: 'starting', steps: [] },
      { phase: 'running', step: 'createSecret', steps: [] },
      { phase: 'running', step: 'createSecret', steps: [] },
      { phase: 'succeeded', steps: [] },
    ];
    const source: ProgressSource = {
      mode: 'emulator',
      snapshot: () => Promise.resolve(script.shift() ?? { phase: 'failed', steps: [] }),
    };
    const seen: string[] = [];
    let clock = 0;
    const result = await followRotation(source, target, {
      timeoutMs: 10_000,
      intervalMs: 10,
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
      onChange: (s) => seen.push(s.phase + (s.step ?? '')),
    });
    expect(result.snapshot.phase).toBe('succeeded');
    expect(result.timedOut).toBe(false);
    expect(seen).toEqual(['starting', 'runningcreateSecret', 'succeeded']);
  });

  it('turns a rotation that never ends into a failure at the last step seen', async () => {
    const source: ProgressSource = {
      mode: 'poll',
      snapshot: () => Promise.resolve({ phase: 'running', step: 'setSecret/testSecret', steps: [] }),
    };
    let clock = 0;
    const result = await followRotation(source, target, {
      timeoutMs: 1000,
      intervalMs: 100,
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    });
    expect(result.timedOut).toBe(true);
    expect(result.snapshot).toMatchObject({
      phase: 'failed',
      failedStep: 'setSecret/testSecret',
      error: { name: 'FollowTimeout' },
    });
  });
});
