import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../../shared/config.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { createMemoryLog } from '../../../scripts/testbed/memory-observability.ts';
import {
  createAuthTokenMode,
  createElastiCacheUserMode,
  ELASTICACHE_WAIT_RESERVE_MS,
  ELASTICACHE_WORST_CASE_WAITS,
  waitFor,
} from '../../../functions/redis/elasticache-modes.ts';
import { parseRedisSecret } from '../../../functions/redis/redis-secret.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
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

describe('ElastiCache modes refuse a group or user outside what the function was deployed for', () => {
  const secret = (extra: object) =>
    parseRedisSecret(
      new Sensitive(JSON.stringify({ host: 'h', password: 'Pw-0123456789abcdef', ...extra })),
      {
        versionId: 'v',
        stage: 'AWSCURRENT',
      },
    );
  function scoped(env: Record<string, string>): { deps: ModeDeps; calls: string[] } {
    const calls: string[] = [];
    const base = deps(env);
    const elastiCache = new Proxy(
      {},
      {
        get: (_target, name) => async () => {
          calls.push(String(name));
          throw new Error('must not be called');
        },
      },
    );
    return { deps: { ...base, elastiCache: () => elastiCache as never }, calls };
  }
  const context = { secretArn: 'arn:secret', logger: createMemoryLog(), emergency: false } as never;

  it.each([
    ['auth token', createAuthTokenMode, { replicationGroupId: 'someone-elses-rg' }],
    ['RBAC user', createElastiCacheUserMode, { userId: 'someone-elses-user' }],
  ])('%s: ERR_TARGET_NOT_ALLOWED before any ElastiCache call', async (_label, create, ids) => {
    const { deps: d, calls } = scoped({
      ELASTICACHE_REPLICATION_GROUP_IDS: 'prod-rg',
      ELASTICACHE_USER_IDS: 'prod-user',
    });
    const value = secret(ids);
    await expect(
      create(d).set({ current: value, pending: value, previous: undefined, context }),
    ).rejects.toMatchObject({ code: ErrorCode.ERR_TARGET_NOT_ALLOWED });
    expect(calls).toEqual([]);
  });

  it.each([
    [
      'auth token',
      createAuthTokenMode,
      { replicationGroupId: 'prod-rg' },
      'ELASTICACHE_REPLICATION_GROUP_IDS',
    ],
    ['RBAC user', createElastiCacheUserMode, { userId: 'prod-user' }, 'ELASTICACHE_USER_IDS'],
  ])(
    '%s: refuses to run without its allow-list (unset), naming the variable, before any ElastiCache call',
    async (_label, create, ids, variable) => {
      const { deps: d, calls } = scoped({});
      const value = secret(ids);
      const refusal = create(d).set({ current: value, pending: value, previous: undefined, context });
      await expect(refusal).rejects.toMatchObject({
        code: ErrorCode.ERR_CONFIG_INVALID,
        details: { variable },
      });
      await expect(refusal).rejects.toThrow(new RegExp(`${variable} is unset`));
      expect(calls).toEqual([]);
    },
  );

  it.each([
    ['an empty list allows none', '', ErrorCode.ERR_TARGET_NOT_ALLOWED],
    ['* allows any', '*', undefined],
    ['an ARN names its id', 'arn:aws:elasticache:us-east-1:123456789012:replicationgroup:prod-rg', undefined],
  ])('ELASTICACHE_REPLICATION_GROUP_IDS: %s', async (_label, list, code) => {
    const { deps: d, calls } = scoped({ ELASTICACHE_REPLICATION_GROUP_IDS: list });
    const value = secret({ replicationGroupId: 'prod-rg' });
    const outcome = create(d);
    function create(x: ModeDeps) {
      return createAuthTokenMode(x).set({ current: value, pending: value, previous: undefined, context });
    }
    if (code === undefined) {
      // Allowed: it goes on to the ElastiCache API (the proxy refuses every call).
      await expect(outcome).rejects.toThrow('must not be called');
      expect(calls.length).toBeGreaterThan(0);
    } else {
      await expect(outcome).rejects.toMatchObject({ code });
      expect(calls).toEqual([]);
    }
  });

  it.each([
    [
      'auth token',
      createAuthTokenMode,
      { replicationGroupId: 'prod-rg' },
      ELASTICACHE_WORST_CASE_WAITS.authToken,
    ],
    ['RBAC user', createElastiCacheUserMode, { userId: 'prod-user' }, ELASTICACHE_WORST_CASE_WAITS.user],
  ])(
    "%s: warns before waiting when the worst case of its waits cannot fit the invocation's remaining time",
    async (_label, create, ids, waits) => {
      const fits = waits * 100_000 + ELASTICACHE_WAIT_RESERVE_MS;
      for (const remaining of [fits - 1, fits]) {
        const { deps: d } = scoped({
          MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '100',
          ELASTICACHE_REPLICATION_GROUP_IDS: 'prod-rg',
          ELASTICACHE_USER_IDS: 'prod-user',
        });
        const logger = createMemoryLog();
        const value = secret(ids);
        const timed = {
          secretArn: 'arn:secret',
          logger,
          emergency: false,
          remainingMs: () => remaining,
        } as never;
        // The ElastiCache stand-in refuses every call: the warning comes before the first one.
        await expect(
          create(d).set({ current: value, pending: value, previous: undefined, context: timed }),
        ).rejects.toThrow('must not be called');
        const warned = logger.lines.filter((line) => line.includes('does not fit'));
        expect(warned.length, `remaining ${remaining} ms`).toBe(remaining < fits ? 1 : 0);
        if (warned[0]) expect(JSON.parse(warned[0])).toMatchObject({ level: 'WARN', waits, waitMs: 100_000 });
      }
    },
  );
});
