/**
 * vitest globalSetup for the integration project: one PostgreSQL, one TLS PostgreSQL, one
 * Redis primary and a replica of it, started in parallel once per run, described to test
 * files through `inject('servers')` (see shared-servers.ts), torn down at the end.
 */
import type { TestProject } from 'vitest/node';
import type { PostgresServer } from '../../scripts/testbed/postgres-server.ts';
import type { RedisServer } from '../../scripts/testbed/redis-server.ts';
import { startPostgres, startRedis } from '../../scripts/testbed/servers.ts';
import type { SharedPostgres, SharedServers } from './shared-servers.ts';

function describePostgres(server: PostgresServer): SharedPostgres {
  return {
    host: server.host,
    port: server.port,
    adminUser: server.adminUser,
    adminPassword: server.adminPassword,
    database: server.database,
    ...(server.tls === undefined ? {} : { tls: server.tls }),
    logPath: server.logPath,
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stoppers: (() => Promise<void>)[] = [];
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(stoppers.map((stop) => stop()));
  };
  try {
    const track = <T extends { destroy(): Promise<void> }>(server: T): T => {
      stoppers.push(() => server.destroy());
      return server;
    };
    // allSettled, not all: on a failure, the servers still starting are tracked before teardown.
    const results = await Promise.allSettled([
      startPostgres().then(track),
      startPostgres({ tls: true }).then(track),
      startRedis()
        .then(track)
        .then(
          async (primary) =>
            [
              primary,
              track(await startRedis({ replicaOf: { host: primary.host, port: primary.port } })),
            ] as const,
        ),
    ]);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const [postgres, postgresTls, [redis, replica]] = results.map(
      (result) => (result as PromiseFulfilledResult<unknown>).value,
    ) as [PostgresServer, PostgresServer, readonly [RedisServer, RedisServer]];
    const tls = postgresTls.tls;
    if (tls === undefined) throw new Error('the TLS PostgreSQL server came up without TLS material');
    const servers: SharedServers = {
      postgres: describePostgres(postgres),
      postgresTls: { ...describePostgres(postgresTls), tls },
      redis: { host: redis.host, port: redis.port },
      redisReplica: {
        host: replica.host,
        port: replica.port,
        replicaOf: { host: redis.host, port: redis.port },
      },
    };
    project.provide('servers', servers);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
