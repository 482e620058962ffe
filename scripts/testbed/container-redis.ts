/**
 * Redis in a container: the local recipe (local-redis.ts) with its process run by
 * ContainerProcess in the `redis:7.0` image, as the test process's own user (root: the
 * image's entrypoint hands the work folder to its `redis` user), so every file the server
 * writes stays readable and removable by the test.
 */
import { ContainerProcess } from './container-process.ts';
import { startLocalRedis } from './local-redis.ts';
import type { RedisServer, StartRedisOptions } from './redis-server-types.ts';

export const REDIS_IMAGE = 'redis:7.0';

export async function startContainerRedis(options: StartRedisOptions): Promise<RedisServer> {
  return await startLocalRedis(options, {
    backend: 'container',
    create: (spec) => new ContainerProcess(REDIS_IMAGE, spec),
  });
}
