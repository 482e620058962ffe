import { describe, expect, it } from 'vitest';
import { EnvReader } from '../../../shared/config.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { readRedisConfig } from '../../../functions/redis/redis-config.ts';

const read = (env: Record<string, string>) => {
  const reader = new EnvReader(env);
  const config = readRedisConfig(reader);
  return { config, done: () => reader.done(config) };
};

describe('readRedisConfig', () => {
  it('documents its defaults', () => {
    expect(read({}).done()).toEqual({
      defaultMode: 'acl',
      connectTimeoutMs: 5000,
      commandTimeoutMs: 5000,
      discoverReplicas: true,
      tlsCaFile: undefined,
      tlsServerName: undefined,
      tlsCertFile: undefined,
      tlsKeyFile: undefined,
      testCommand: 'DBSIZE',
      adminSecretArn: undefined,
      elastiCacheReplicationGroupIds: undefined,
      elastiCacheUserIds: undefined,
      elastiCacheEndpoint: undefined,
      elastiCacheWaitTimeoutMs: 600_000,
      elastiCachePollIntervalMs: 10_000,
    });
  });

  it('reads the ElastiCache allow-lists: unset, empty, *, ids and ARNs', () => {
    expect(read({ ELASTICACHE_USER_IDS: '' }).done().elastiCacheUserIds).toEqual({
      variable: 'ELASTICACHE_USER_IDS',
      any: false,
      keys: [],
    });
    expect(read({ ELASTICACHE_USER_IDS: ' * ' }).done().elastiCacheUserIds).toMatchObject({ any: true });
    expect(
      read({
        ELASTICACHE_REPLICATION_GROUP_IDS:
          'rg-1, arn:aws:elasticache:us-east-1:123456789012:replicationgroup:rg-2',
      }).done().elastiCacheReplicationGroupIds,
    ).toMatchObject({ any: false, keys: ['rg-1', 'rg-2'] });
    expect(() => read({ ELASTICACHE_USER_IDS: '*,app' }).done()).toThrow(
      /ELASTICACHE_USER_IDS must be either \* alone/,
    );
    expect(() => read({ ELASTICACHE_USER_IDS: 'a b' }).done()).toThrow(
      /ELASTICACHE_USER_IDS must be a comma-separated/,
    );
  });

  it('takes a mutual-TLS client certificate only with its key', () => {
    expect(read({ REDIS_TLS_CERT_FILE: '/c.pem', REDIS_TLS_KEY_FILE: '/k.pem' }).done()).toMatchObject({
      tlsCertFile: '/c.pem',
      tlsKeyFile: '/k.pem',
    });
    expect(() => read({ REDIS_TLS_CERT_FILE: '/c.pem' }).done()).toThrow(/REDIS_TLS_KEY_FILE/);
  });

  it("honours AWS's ElastiCache wait variables in seconds, with millisecond overrides", () => {
    expect(
      read({ MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '120', WAITING_RETRY_INTERVAL_IN_SECONDS: '5' }).done(),
    ).toMatchObject({ elastiCacheWaitTimeoutMs: 120_000, elastiCachePollIntervalMs: 5000 });
    expect(
      read({ MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS: '120', ELASTICACHE_WAIT_TIMEOUT_MS: '250' }).done(),
    ).toMatchObject({ elastiCacheWaitTimeoutMs: 250 });
  });

  it('reports every bad variable at once by name, never by value', () => {
    try {
      read({
        REDIS_MODE: 'cluster',
        REDIS_CONNECT_TIMEOUT_MS: 'soon',
        REDIS_TEST_COMMAND: 'GET secretkey',
        ELASTICACHE_ENDPOINT: 'ftp://x',
      }).done();
      expect.unreachable();
    } catch (error) {
      const e = error as { code: string; message: string };
      expect(e.code).toBe(ErrorCode.ERR_CONFIG_INVALID);
      for (const name of [
        'REDIS_MODE',
        'REDIS_CONNECT_TIMEOUT_MS',
        'REDIS_TEST_COMMAND',
        'ELASTICACHE_ENDPOINT',
      ])
        expect(e.message).toContain(name);
      expect(e.message).not.toContain('secretkey');
    }
  });
});
