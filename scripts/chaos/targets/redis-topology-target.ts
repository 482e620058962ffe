import type { RedisServer } from '../../testbed/servers.ts';
import {
  ACL_NODE_TARGET,
  createAclUser,
  credentialsOf,
  nameOf,
  nodeTargetMembers,
} from './acl-node-target.ts';
import type { ChaosTarget } from './chaos-target.ts';
import { NodeChaos } from './node-chaos.ts';
import { redisAuthenticates } from './redis-probe.ts';

/**
 * ACL-user mode on a multi-node Redis whose nodes go down and come back (NodeChaos): a Redis
 * Cluster (3 masters, 3 replicas; the secret names any one node, drawn per schedule) or a
 * primary with two replicas (the secret names the primary; replicas are discovered, and the
 * secret starts with `knownNodes` listing them, as after its first rotation, so a replica that
 * is down is still part of the deployment). Every node keeps users in an ACL file, so a
 * stopped node comes back with what it had. The default user (the deployment's admin and
 * replication user) is never rotated; each schedule rotates an ACL user of its own, created on
 * every node. Schedules on one deployment run one at a time: they stop its nodes.
 */
export type RedisTopologyShape = 'acl-cluster' | 'acl-replicas';

export interface RedisDeployment {
  /** Every node, with what it was when the deployment formed. */
  readonly nodes: readonly { readonly server: RedisServer; readonly formedAs: string }[];
  /** The default user's password on every node (the admin; the replicas' masterauth). */
  readonly adminPassword: string;
}

export function redisTopologyTarget(shape: RedisTopologyShape, deployment: RedisDeployment): ChaosTarget {
  const { nodes, adminPassword } = deployment;
  const topology = new NodeChaos({
    nodes: nodes.map(({ server, formedAs }) => ({
      name: nameOf(server),
      formedAs,
      stop: () => server.stop(),
      start: () => server.start(),
    })),
    probe: async (node, secretString) => {
      const { username, password } = credentialsOf(secretString);
      const server = nodes.find((n) => nameOf(n.server) === node.name)?.server;
      if (server === undefined) throw new Error(`unknown node ${node.name}`);
      return redisAuthenticates(server, username, password);
    },
  });
  return {
    name: `redis/${shape}/json`,
    ...ACL_NODE_TARGET,
    topology,
    async provision(secretName, rng) {
      await topology.reset(rng.fork('nodes'));
      const { username, password } = await createAclUser(
        nodes.map((n) => n.server),
        adminPassword,
        secretName,
      );
      const [primary] = nodes;
      if (primary === undefined) throw new Error('a deployment needs a node');
      const named = shape === 'acl-cluster' ? rng.pick(nodes).server : primary.server;
      const knownNodes = shape === 'acl-replicas' ? nodes.slice(1).map((n) => nameOf(n.server)) : undefined;
      const secretString = JSON.stringify({
        host: named.host,
        port: named.port,
        username,
        password,
        mode: 'acl',
        ...(knownNodes ? { knownNodes } : {}),
      });
      return { secretString };
    },
    ...nodeTargetMembers(topology),
  };
}
