import { randomBytes } from 'node:crypto';
import {
  startPostgres,
  startRedis,
  startRedisCluster,
  type PostgresServer,
  type RedisServer,
} from '../../testbed/servers.ts';
import type { ChaosTarget } from './chaos-target.ts';
import { elastiCacheTarget, type ElastiCacheChaosMode } from './elasticache-target.ts';
import { jwtTarget } from './jwt-target.ts';
import { memoryTarget } from './memory-target.ts';
import { postgresTarget, type PgShape, type PostgresChaosMode } from './postgres-target.ts';
import { redisAdmin } from './redis-probe.ts';
import { redisTarget, type RedisTargetServer } from './redis-target.ts';
import { redisSentinelTarget, startSentinelDeployment } from './redis-sentinel-target.ts';
import { redisTopologyTarget, type RedisDeployment } from './redis-topology-target.ts';

/** Every kind, format and mode the harness can drive, by name. */
export const TARGET_NAMES = [
  'generic/memory',
  'jwt/plain',
  'jwt/named',
  'jwt/keyring',
  'redis/acl/json',
  'redis/acl/url',
  'redis/requirepass/json',
  'redis/requirepass/url',
  'redis/elasticache-user/json',
  'redis/elasticache-auth-token/json',
  'redis/acl-cluster/json',
  'redis/acl-replicas/json',
  'redis/acl-sentinel/json',
  'postgres/single/json',
  'postgres/single/url',
  'postgres/alternating/json',
  'postgres/alternating-owner/json',
  'postgres/alternating-rds/json',
] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** A Redis server with an admin ACL user the rotations never touch. */
async function redisWithAdmin(options: {
  readonly aclFile?: boolean;
  readonly configFile?: boolean;
}): Promise<{ server: RedisServer; target: RedisTargetServer }> {
  const server = await startRedis(options);
  const admin = { username: 'chaos_admin', password: randomBytes(18).toString('base64url') };
  await redisAdmin(server, {}, [
    ['ACL', 'SETUSER', admin.username, 'on', `>${admin.password}`, '~*', '&*', '+@all'],
  ]);
  return { server, target: { address: { host: server.host, port: server.port }, admin } };
}

/** Multi-node deployments for the node-down targets; the default user is their admin. */
async function redisDeployment(kind: 'acl-cluster' | 'acl-replicas'): Promise<{
  deployment: RedisDeployment;
  destroy: () => Promise<void>;
}> {
  const adminPassword = randomBytes(18).toString('base64url');
  if (kind === 'acl-cluster') {
    const cluster = await startRedisCluster({
      masters: 3,
      replicasPerMaster: 1,
      password: adminPassword,
      aclFile: true,
    });
    const nodes = [
      ...cluster.masters.map((server) => ({ server, formedAs: 'master' })),
      ...cluster.replicas.map((server) => ({ server, formedAs: 'replica' })),
    ];
    return { deployment: { nodes, adminPassword }, destroy: () => cluster.destroy() };
  }
  const primary = await startRedis({ aclFile: true, requirepass: adminPassword });
  const servers = [primary];
  try {
    for (let i = 0; i < 2; i += 1)
      servers.push(
        await startRedis({
          aclFile: true,
          requirepass: adminPassword,
          masterAuth: adminPassword,
          replicaOf: { host: primary.host, port: primary.port },
        }),
      );
  } catch (error) {
    await Promise.allSettled(servers.map((server) => server.destroy()));
    throw error;
  }
  const nodes = servers.map((server, i) => ({ server, formedAs: i === 0 ? 'primary' : 'replica' }));
  return {
    deployment: { nodes, adminPassword },
    destroy: async () => void (await Promise.allSettled(servers.map((server) => server.destroy()))),
  };
}

/** Open the named targets, starting the real servers they need (one per server-wide mode). */
export async function openTargets(names: readonly string[]): Promise<ChaosTarget[]> {
  const targets: ChaosTarget[] = [];
  const closers: (() => Promise<void>)[] = [];
  let aclServer: Promise<{ server: RedisServer; target: RedisTargetServer }> | undefined;
  const requirepassServers = new Map<string, RedisTargetServer>();
  let pgServer: Promise<PostgresServer> | undefined;
  for (const name of names) {
    const [kind, mode, shape] = name.split('/');
    if (name === 'generic/memory') targets.push(memoryTarget());
    else if (kind === 'jwt') targets.push(jwtTarget(mode as 'plain' | 'named' | 'keyring'));
    else if (kind === 'redis' && mode === 'acl') {
      aclServer ??= redisWithAdmin({ aclFile: true }).then((started) => {
        closers.push(() => started.server.destroy());
        return started;
      });
      targets.push(redisTarget('acl', shape as 'json' | 'url', (await aclServer).target));
    } else if (kind === 'redis' && mode === 'elasticache-user') {
      aclServer ??= redisWithAdmin({ aclFile: true }).then((started) => {
        closers.push(() => started.server.destroy());
        return started;
      });
      targets.push(elastiCacheTarget(mode as ElastiCacheChaosMode, (await aclServer).target));
    } else if (kind === 'redis' && mode === 'elasticache-auth-token') {
      // The AUTH token lives on the default user: a server of its own.
      const started = await redisWithAdmin({});
      closers.push(() => started.server.destroy());
      targets.push(elastiCacheTarget(mode as ElastiCacheChaosMode, started.target));
    } else if (kind === 'redis' && mode === 'requirepass') {
      // requirepass is server-wide: each shape gets its own server so they can run side by side.
      const started = await redisWithAdmin({ configFile: true });
      closers.push(() => started.server.destroy());
      requirepassServers.set(name, started.target);
      targets.push(redisTarget('requirepass', shape as 'json' | 'url', started.target));
    } else if (kind === 'redis' && (mode === 'acl-cluster' || mode === 'acl-replicas')) {
      const started = await redisDeployment(mode);
      closers.push(started.destroy);
      targets.push(redisTopologyTarget(mode, started.deployment));
    } else if (kind === 'redis' && mode === 'acl-sentinel') {
      const started = await startSentinelDeployment();
      closers.push(started.destroy);
      targets.push(redisSentinelTarget(started.deployment));
    } else if (kind === 'postgres') {
      pgServer ??= startPostgres({ logStatements: true }).then((started) => {
        closers.push(() => started.destroy());
        return started;
      });
      targets.push(postgresTarget(mode as PostgresChaosMode, shape as PgShape, await pgServer));
    }
  }
  // Servers go when the last target closes.
  let open = targets.length;
  return targets.map((target) => ({
    ...target,
    close: async () => {
      await target.close();
      open -= 1;
      if (open === 0) for (const close of closers) await close();
    },
  }));
}
