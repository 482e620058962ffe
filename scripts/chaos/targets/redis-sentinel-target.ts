import { readFileSync } from 'node:fs';
import {
  startRedis,
  startRedisSentinels,
  type RedisSentinels,
  type RedisServer,
} from '../../testbed/servers.ts';
import {
  ACL_NODE_TARGET,
  createAclUser,
  credentialsOf,
  nameOf,
  nodeTargetMembers,
} from './acl-node-target.ts';
import type { ChaosTarget } from './chaos-target.ts';
import { NodeChaos, type ChaosNode } from './node-chaos.ts';
import { redisAdmin, redisAuthenticates } from './redis-probe.ts';
import { newPassword } from './redis-target.ts';

/**
 * ACL-user mode through Redis Sentinel, with node-down faults (NodeChaos) on every server: a
 * primary, two replicas and three sentinels that log in to the data nodes as the rotated user
 * (`sentinelAuthPass`). The secret names only the sentinels (no host). Each schedule rotates an
 * ACL user of its own, created on every data node, and points the sentinels' auth-user and
 * auth-pass at it. `down-after-milliseconds` is 60 s, so a stopped primary is not failed over
 * during a schedule (failover between rotations is test/functions/redis/sentinel.int.test.ts's).
 *
 * What "a credential works on a node" means:
 * - a data node: it logs in there;
 * - a sentinel: its config file holds it as `auth-pass` (a revoked password must not be held by
 *   any sentinel), or it logs in on the primary the sentinel reports (the first running data node
 *   when that one is down) while the sentinel's own auth-pass does too, so the sentinel can still
 *   monitor. A sentinel left on a password the data nodes dropped refuses AWSCURRENT.
 */
export interface RedisSentinelDeployment {
  readonly data: readonly { readonly server: RedisServer; readonly formedAs: string }[];
  readonly sentinels: RedisSentinels;
  /** The default user's password on every data node (the admin; the replicas' masterauth). */
  readonly adminPassword: string;
  /** The sentinels' own requirepass. */
  readonly sentinelPassword: string;
}

export function redisSentinelTarget(deployment: RedisSentinelDeployment): ChaosTarget {
  const { data, sentinels, adminPassword, sentinelPassword } = deployment;
  const { masterName } = sentinels;
  const down = new Set<string>();
  const tracked = (
    name: string,
    formedAs: string,
    server: { stop(): Promise<void>; start(): Promise<void> },
  ) => ({
    name,
    formedAs,
    stop: async () => {
      down.add(name);
      await server.stop();
    },
    start: async () => {
      await server.start();
      down.delete(name);
    },
  });
  const dataNodes: ChaosNode[] = data.map(({ server, formedAs }) =>
    tracked(nameOf(server), formedAs, server),
  );
  const sentinelNodes: ChaosNode[] = sentinels.sentinels.map((s) => tracked(nameOf(s), 'sentinel', s));

  /** Does it log in on the first running data node, the sentinel's reported primary first? */
  const logsInThrough = async (primary: string, username: string | undefined, password: string) => {
    const order = [...data].sort(
      (a, b) => Number(nameOf(b.server) === primary) - Number(nameOf(a.server) === primary),
    );
    for (const { server } of order) {
      if (down.has(nameOf(server))) continue;
      return await redisAuthenticates(server, username, password);
    }
    return false;
  };

  const topology = new NodeChaos({
    nodes: [...dataNodes, ...sentinelNodes],
    probe: async (node, secretString) => {
      const { username, password } = credentialsOf(secretString);
      const server = data.find((n) => nameOf(n.server) === node.name)?.server;
      if (server !== undefined) return redisAuthenticates(server, username, password);
      const sentinel = sentinels.sentinels.find((s) => nameOf(s) === node.name);
      if (sentinel === undefined) throw new Error(`unknown node ${node.name}`);
      const config = readFileSync(sentinel.configPath, 'utf8');
      const field = (name: string) =>
        new RegExp(`^sentinel ${name} ${masterName} "?([^"\\r\\n]*)"?$`, 'm').exec(config)?.[1];
      const held = field('auth-pass');
      if (held === password) return true;
      if (held === undefined) return false;
      const { primary } = await sentinels.state(sentinel);
      return (
        (await logsInThrough(primary, field('auth-user'), held)) &&
        (await logsInThrough(primary, username, password))
      );
    },
  });

  return {
    name: 'redis/acl-sentinel/json',
    ...ACL_NODE_TARGET,
    topology,
    async provision(secretName, rng) {
      await topology.reset(rng.fork('nodes'));
      const { username, password } = await createAclUser(
        data.map((d) => d.server),
        adminPassword,
        secretName,
      );
      for (const sentinel of sentinels.sentinels)
        await redisAdmin(sentinel, { password: sentinelPassword }, [
          ['SENTINEL', 'SET', masterName, 'auth-user', username, 'auth-pass', password],
        ]);
      const secretString = JSON.stringify({
        sentinels: sentinels.sentinels.map(nameOf),
        sentinelMaster: masterName,
        sentinelPassword,
        sentinelAuthPass: true,
        username,
        password,
        mode: 'acl',
      });
      return { secretString };
    },
    ...nodeTargetMembers(topology),
  };
}

/** A primary with two replicas (ACL files) and three sentinels with a password of their own. Local binaries. */
export async function startSentinelDeployment(): Promise<{
  deployment: RedisSentinelDeployment;
  destroy: () => Promise<void>;
}> {
  const adminPassword = newPassword();
  const sentinelPassword = newPassword();
  const started: { destroy(): Promise<void> }[] = [];
  const destroy = async (): Promise<void> => {
    for (const server of started.reverse()) await server.destroy().catch(() => undefined);
  };
  try {
    const options = {
      backend: 'local',
      aclFile: true,
      requirepass: adminPassword,
      masterAuth: adminPassword,
    } as const;
    const primary = await startRedis(options);
    started.push(primary);
    const data = [{ server: primary, formedAs: 'primary' }];
    for (let i = 0; i < 2; i += 1) {
      const replica = await startRedis({ ...options, replicaOf: { host: primary.host, port: primary.port } });
      started.push(replica);
      data.push({ server: replica, formedAs: 'replica' });
    }
    const sentinels = await startRedisSentinels({
      primary,
      authPass: adminPassword,
      requirepass: sentinelPassword,
      replicas: 2,
      downAfterMs: 60_000,
    });
    started.push(sentinels);
    return { deployment: { data, sentinels, adminPassword, sentinelPassword }, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}
