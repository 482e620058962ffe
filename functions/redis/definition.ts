import { SecretKind } from '../../shared/constants.ts';
import { lazyPort } from '../../shared/lazy-port.ts';
import type { FunctionDefinition } from '../../shared/rotation-function.ts';
import type { ElastiCachePort } from './elasticache-port.ts';
import { readRedisConfig, type RedisConfig } from './redis-config.ts';
import type { RedisConnector } from './redis-port.ts';
import type { RedisSecret } from './redis-secret.ts';
import { createRedisStrategy } from './redis-strategy.ts';

/** Ports a test or the chaos harness may replace; each defaults to the real adapter. */
export interface RedisPorts {
  readonly connector?: (config: RedisConfig) => RedisConnector;
  readonly elastiCache?: (config: RedisConfig, region: string | undefined) => ElastiCachePort;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export function defineRedisFunction(ports: RedisPorts = {}): FunctionDefinition<RedisSecret, RedisConfig> {
  return {
    kind: SecretKind.redis,
    readConfig: readRedisConfig,
    createStrategy: ({ config, core, passwords }) => {
      const connector = (ports.connector ?? lazyIoredisConnector)(config);
      // One client per region: the Lambda's by default, the user ARN's region for AWS's user secrets.
      const elastiCache = new Map<string, ElastiCachePort>();
      return createRedisStrategy({
        config,
        core,
        passwords,
        connector,
        elastiCache: (secretRegion?: string) => {
          const region = secretRegion ?? core.region;
          const key = region ?? '';
          let port = elastiCache.get(key);
          port ??= ports.elastiCache
            ? ports.elastiCache(config, region)
            : // The ElastiCache client loads on first use (its own chunk in the zip): only ElastiCache modes call it.
              lazyPort<ElastiCachePort>(async () => {
                const { createElastiCacheClient, createSdkElastiCachePort } =
                  await import('./sdk-elasticache-port.ts');
                return createSdkElastiCachePort(
                  createElastiCacheClient({ endpoint: config.elastiCacheEndpoint, region }),
                );
              }, ['describeReplicationGroup', 'modifyAuthToken', 'describeUser', 'modifyUserPasswords']);
          elastiCache.set(key, port);
          return port;
        },
        sleep: ports.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        now: ports.now ?? (() => Date.now()),
      });
    },
  };
}

/**
 * The ioredis adapter, loaded on the first connection (a chunk of its own in the zip): a step
 * that never connects (createSecret in most modes, a late or duplicate step) never parses
 * ioredis, and a cold start does not pay for it before the handler runs.
 */
function lazyIoredisConnector(config: RedisConfig): RedisConnector {
  return lazyPort<RedisConnector>(async () => {
    const { createIoredisConnector } = await import('./ioredis-connector.ts');
    return createIoredisConnector(config);
  }, ['open']);
}

export const redisFunction = defineRedisFunction();
