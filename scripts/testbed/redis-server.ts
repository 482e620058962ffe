/**
 * The Redis half of the test bed: `startRedis()` gives a real Redis 7 on a random loopback
 * port (a primary, a replica, with an ACL file, from a config file, or serving TLS). It runs
 * in a container when a container runtime answers (testcontainers), otherwise from the
 * machine's `redis-server`.
 */
import { chooseBackend } from './container-runtime.ts';
import type { RedisServer, StartRedisOptions } from './redis-server-types.ts';

export type { RedisServer, StartRedisOptions } from './redis-server-types.ts';

/** Start a fresh Redis server. Stop it (destroy()) in afterAll. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const backend = await chooseBackend(options.backend);
  if (backend === 'container' && options.cluster !== true) {
    const { startContainerRedis } = await import('./container-redis.ts');
    return await startContainerRedis(options);
  }
  const { startLocalRedis } = await import('./local-redis.ts');
  return await startLocalRedis(options);
}
