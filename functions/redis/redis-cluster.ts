import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import { describeEndpoint, type RedisSession } from './redis-port.ts';

/**
 * Redis Cluster (sharded) topology: whether a node runs with `cluster-enabled yes`, and the
 * nodes of every shard as `CLUSTER NODES` lists them. ACL users and CONFIG SET live on each
 * node; a cluster replicates neither, so every master and every replica is changed.
 */

export interface ClusterNode {
  readonly host: string;
  readonly port: number;
  readonly role: 'primary' | 'replica';
  /** Flagged `fail`/`fail?`/`noaddr`/`handshake`: the cluster itself cannot reach it. */
  readonly down: boolean;
  readonly myself: boolean;
}

/**
 * `INFO cluster` says `cluster_enabled:1`. Without +info, `CONFIG GET cluster-enabled`. Without
 * either the function cannot tell a cluster from a single node, and a cluster rotated as one
 * node refuses the new password on most keys: refuse (ERR_TARGET_PERMISSION_DENIED).
 */
export async function isClusterNode(session: RedisSession): Promise<boolean> {
  const node = describeEndpoint(session.endpoint);
  try {
    const info = await session.call('INFO', ['cluster'], { argsAreSecret: false });
    return /(?:^|\n)cluster_enabled:1\b/.test(String(info));
  } catch (error) {
    if (!isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) throw error;
  }
  try {
    const reply = await session.call('CONFIG', ['GET', 'cluster-enabled'], { argsAreSecret: false });
    return Array.isArray(reply) && String(reply[1] ?? '') === 'yes';
  } catch (error) {
    if (!isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) throw error;
    throw new RotationError(
      ErrorCode.ERR_TARGET_PERMISSION_DENIED,
      `Redis node ${node}: the managing user may run neither INFO nor CONFIG GET, so the ` +
        `function cannot tell whether this is a cluster; grant +info (or +config|get)`,
      { cause: error, details: { node, command: 'INFO cluster' } },
    );
  }
}

/** Every node of every shard, from `CLUSTER NODES`, masters first. */
export async function readClusterNodes(session: RedisSession): Promise<ClusterNode[]> {
  const node = describeEndpoint(session.endpoint);
  let reply: unknown;
  try {
    reply = await session.call('CLUSTER', ['NODES'], { argsAreSecret: false });
  } catch (error) {
    if (isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) {
      throw new RotationError(
        ErrorCode.ERR_TARGET_PERMISSION_DENIED,
        `Redis node ${node}: the managing user may not run CLUSTER NODES to find the cluster's nodes; grant +cluster|nodes`,
        { cause: error, details: { node, command: 'CLUSTER NODES' } },
      );
    }
    throw error;
  }
  if (typeof reply !== 'string') throw unexpectedClusterReply(node);
  const nodes = parseClusterNodes(reply);
  if (nodes === undefined || nodes.length === 0) throw unexpectedClusterReply(node);
  return [...nodes.filter((n) => n.role === 'primary'), ...nodes.filter((n) => n.role === 'replica')];
}

/**
 * One line per node: `<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch>
 * <link> <slots...>`. The announced host name (cluster-announce-hostname) is used when there is
 * one, so TLS certificates issued for names verify; otherwise the IP. undefined: not parseable.
 */
export function parseClusterNodes(text: string): ClusterNode[] | undefined {
  const nodes: ClusterNode[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const [, address, flagText] = line.split(' ');
    if (address === undefined || flagText === undefined) return undefined;
    const [hostPort, hostname] = address.split(',', 2);
    const match = /^(.*):(\d+)@\d+$/.exec(hostPort ?? '');
    if (!match) return undefined;
    const flags = flagText.split(',');
    const ip = match[1] ?? '';
    const host = hostname !== undefined && hostname !== '' ? hostname : ip;
    if (flags.includes('noaddr') || host === '') {
      continue; // no address to reach it by; the cluster does not know it either
    }
    nodes.push({
      host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
      port: Number(match[2]),
      role: flags.includes('master') ? 'primary' : 'replica',
      down: flags.some((flag) => flag === 'fail' || flag === 'fail?' || flag === 'handshake'),
      myself: flags.includes('myself'),
    });
  }
  return nodes;
}

function unexpectedClusterReply(node: string): RotationError {
  return new RotationError(
    ErrorCode.ERR_TARGET_REJECTED,
    `Redis node ${node} sent an unexpected reply to CLUSTER NODES`,
    {
      details: { node, command: 'CLUSTER NODES' },
    },
  );
}
