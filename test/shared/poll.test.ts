import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../shared/poll.ts';

/** A clock that only moves when the code under test sleeps. */
function fakeClock() {
  let nowMs = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => nowMs,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      nowMs += ms;
    },
  };
}

describe('pollUntil', () => {
  it('returns the value of the first check that is done, sleeping the interval between checks', async () => {
    const clock = fakeClock();
    let checks = 0;
    const outcome = await pollUntil(clock, { timeoutMs: 10_000, intervalMs: 1_000 }, async () =>
      ++checks === 3 ? { done: true, value: 'ready' } : { done: false, last: checks },
    );
    expect(outcome).toEqual({ done: true, value: 'ready' });
    expect(clock.sleeps).toEqual([1_000, 1_000]);
  });

  it('gives up at the deadline with the last answer and the number of checks, never sleeping past it', async () => {
    const clock = fakeClock();
    let checks = 0;
    const outcome = await pollUntil(clock, { timeoutMs: 2_500, intervalMs: 1_000 }, async () => ({
      done: false,
      last: `status-${++checks}`,
    }));
    expect(outcome).toEqual({ done: false, last: 'status-4', polls: 4 });
    expect(clock.sleeps).toEqual([1_000, 1_000, 500]);
  });

  it('checks once even with no time to wait', async () => {
    const clock = fakeClock();
    const outcome = await pollUntil(clock, { timeoutMs: 0, intervalMs: 1_000 }, async () => ({
      done: false,
      last: 'once',
    }));
    expect(outcome).toEqual({ done: false, last: 'once', polls: 1 });
    expect(clock.sleeps).toEqual([]);
  });
});
