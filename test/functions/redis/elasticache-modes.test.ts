import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../../shared/config.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { createMemoryLog } from '../../../scripts/testbed/memory-observability.ts';
import { ELASTICACHE_WAIT_RESERVE_MS, waitFor } from '../../../functions/redis/elasticache-modes.ts';
import type { ModeDeps } from '../../../functions/redis/mode-handler.ts';
import { readRedisConfig } from '../../../functions/redis/redis-config.ts';

function deps(env: Record<string, string>): ModeDeps & { slept: number[] } {
  let clock = 0;
  const slept: number[] = [];
  return {
    slept,
    connector: { open: async () => Promise.reject(new Error('unused')) },
    config: readRedisConfig(new EnvReader(env)),
    elastiCache: () => {
      throw new Error('unused');
    },
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    now: () => clock,
  };
}

describe('waitFor (ElastiCache bounded wait)', () => {
  it('returns as soon as the resource is ready', async () => {
    const d = deps({});
    const states = ['modifying', 'modifying', 'available'];
    const state = await waitFor(
      d,
      async () => ({ status: states.shift() ?? 'available' }),
      (s) => s.status === 'available',
      'Replication group rg',
      'available',
      { logger: createMemoryLog() },
    );
    expect(state.status).toBe('available');
    expect(d.slept).toEqual([10_000, 10_000]);
  });

  it('stops after the configured time with ERR_WAIT_TIMEOUT naming the resource and its status', async () => {
    const d = deps({ MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '30', WAITING_RETRY_INTERVAL_IN_SECONDS: '10' });
    await expect(
      waitFor(
        d,
        async () => ({ status: 'modifying' }),
        (s) => s.status === 'available',
        'Replication group rg-1',
        'available',
        { logger: createMemoryLog() },
      ),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_WAIT_TIMEOUT,
      message: expect.stringContaining('Replication group rg-1 is still "modifying" after 30000 ms'),
    });
    expect(d.slept.reduce((a, b) => a + b, 0)).toBe(30_000);
  });

  it("never waits past the Lambda's remaining time less the reserve, and says which bound stopped it", async () => {
    const d = deps({
      MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '240',
      WAITING_RETRY_INTERVAL_IN_SECONDS: '10',
    });
    const remainingAtStart = 65_000;
    await expect(
      waitFor(
        d,
        async () => ({ status: 'modifying' }),
        (s) => s.status === 'available',
        'Replication group rg-2',
        'available',
        { logger: createMemoryLog(), remainingMs: () => remainingAtStart - d.now() },
      ),
    ).rejects.toMatchObject({
      code: ErrorCode.ERR_WAIT_TIMEOUT,
      message: expect.stringContaining(
        "after 60000 ms (7 checks, bounded by the Lambda function's remaining time)",
      ),
      details: expect.objectContaining({ boundedBy: 'lambda' }),
    });
    expect(d.slept.reduce((a, b) => a + b, 0)).toBe(remainingAtStart - ELASTICACHE_WAIT_RESERVE_MS);
  });
});
