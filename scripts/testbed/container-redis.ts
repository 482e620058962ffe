/**
 * Redis in a container: the local recipe (local-redis.ts) with its process run by
 * ContainerProcess in the official `redis:7.0` image. The work folder is opened to the
 * image's `redis` user, which reads the config, ACL and TLS files and rewrites the first two.
 */
import { chmodSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ContainerProcess } from './container-process.ts';
import { startLocalRedis } from './local-redis.ts';
import type { RedisServer, StartRedisOptions } from './redis-server.ts';

export const REDIS_IMAGE = 'redis:7.0';

function openUp(dir: string): void {
  chmodSync(dir, 0o777);
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) openUp(file);
    else chmodSync(file, 0o666);
  }
}

export async function startContainerRedis(options: StartRedisOptions): Promise<RedisServer> {
  return await startLocalRedis(options, {
    backend: 'container',
    prepare: openUp,
    create: (spec) => new ContainerProcess(REDIS_IMAGE, spec),
  });
}
