import { isIP } from 'node:net';
import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import { adminEndpointFor, assertDiscovered, type RedisAdmin } from './admin-secret.ts';
import { isClusterNode, readClusterNodes } from './redis-cluster.ts';
import {
  closeAll,
  openWithFirstWorking,
  primaryEndpoint,
  readAttachedReplicas,
  readRole,
  type LabelledCredentials,
} from './redis-nodes.ts';
import {
  describeEndpoint,
  type RedisConnector,
  type RedisEndpoint,
  type RedisSession,
} from './redis-port.ts';
import { describeNode, type RedisNodeAddress, type RedisSecret } from './redis-secret.ts';
import { resolveThroughSentinels, type SentinelResolution } from './redis-sentinel.ts';

/**
 * Which nodes a self-hosted rotation acts on, each with its role as the node itself reports it
 * (ROLE on every node, never assumed from where the address came from), primaries first.
 *
 *  - Cluster (`cluster_enabled:1`): every master and replica `CLUSTER NODES` lists.
 *  - Otherwise: the secret's host, which must be the primary (ERR_TARGET_UNSAFE when ROLE says
 *    replica), plus the secret's `nodes`, or, without them and with discovery on, the replicas
 *    the primary lists (ROLE and INFO replication, any sync state). Any other node that says it
 *    is a primary is refused too: two primaries is a split or a failover in progress.
 *  - Plus the nodes earlier rotations recorded (`knownNodes`) that are not among those.
 *
 * Nodes the primary or the secret names must open (an unreachable one fails the step before
 * anything changes). A node only the record or the cluster's own table knows of, that cannot be
 * reached, fails an emergency rotation (the leaked password must not survive anywhere that was
 * part of the deployment) and is skipped with a warning in a normal one; it keeps its old
 * passwords until a later rotation heals it (`staleCandidates`: AWSPREVIOUS is tried there).
 */

export interface TopologyRequest {
  readonly secret: RedisSecret;
  /** The user's own credentials (current, pending), in order. */
  readonly own: readonly LabelledCredentials[];
  /** Tried after `own`: a node that missed the last rotation still takes AWSPREVIOUS. */
  readonly stale?: readonly LabelledCredentials[];
  /**
   * The admin credential. It goes only to the admin secret's own server and the nodes that
   * server reports (its replicas; in a cluster, CLUSTER NODES): the secret's host must be that
   * server and every listed node one it reports (ERR_TARGET_NOT_ALLOWED before any connection
   * there). A recorded node it does not report is opened with the user's own credentials.
   */
  readonly admin?: RedisAdmin;
  readonly discover: boolean;
  readonly emergency: boolean;
  /** requirepass mode cannot cut a cluster over node by node: refuse. */
  readonly allowCluster: boolean;
  /** Runs on the secret's host right after it opens (ACL GETUSER: the user exists, the rights). */
  readonly checkFirst?: (session: RedisSession) => Promise<void>;
}

export interface ManagedNode {
  readonly session: RedisSession;
  readonly role: 'primary' | 'replica';
  /** Which credential opened it ("current", "pending", "previous", "admin"). */
  readonly openedWith: string;
}

export interface Topology {
  readonly cluster: boolean;
  /** Primaries first (the secret's host first of all), then replicas. */
  readonly nodes: readonly ManagedNode[];
  /** Known nodes that could not be reached (a normal rotation only; an emergency fails instead). */
  readonly missing: readonly string[];
  /** The secret names sentinels: what they reported (the primary above is theirs). */
  readonly sentinels: SentinelResolution | undefined;
}

interface Expected {
  readonly endpoint: RedisEndpoint;
  /** required: unreachable fails the step; optional: missing (warn, or fail an emergency). */
  readonly required: boolean;
  /** The first server reports it (replica, cluster node): the admin credential may go there. */
  readonly reported: boolean;
}

export async function openTopology(
  connector: RedisConnector,
  request: TopologyRequest,
  logger: Log,
): Promise<Topology> {
  // Sentinels first: the primary is the one they agree on, and its replicas they list are nodes too.
  const sentinels = await resolveThroughSentinels(
    connector,
    request.secret,
    request.admin,
    request.emergency,
    logger,
  );
  const admin = sentinels ? sentinels.admin : request.admin;
  const target = sentinels ? sentinels.secret : request.secret;
  const firstEndpoint = admin ? adminEndpointFor(admin, target) : primaryEndpoint(target);
  // With an admin, every node is reached the way the admin connection is (TLS when either asks).
  const secret = { ...target, tls: firstEndpoint.tls };
  const own = [...request.own, ...(request.stale ?? [])];
  const reportedCandidates = admin ? [admin.credentials] : own;
  const first = await openWithFirstWorking(connector, firstEndpoint, reportedCandidates);
  const opened: ManagedNode[] = [];
  try {
    await request.checkFirst?.(first.session);
    const cluster = await isClusterNode(first.session);
    if (cluster && !request.allowCluster) {
      throw new RotationError(
        ErrorCode.ERR_UNSUPPORTED_MODE,
        `Redis node ${describeEndpoint(first.session.endpoint)} runs in cluster mode; ` +
          `requirepass mode would cut the shards over one by one and break clients that follow ` +
          `MOVED between them: use acl mode (it rotates the default user too, with zero downtime)`,
        { details: { node: describeEndpoint(first.session.endpoint), field: 'mode' } },
      );
    }
    const firstRole = await roleOf(first.session);
    if (!cluster && firstRole.role !== 'primary') {
      throw new RotationError(
        ErrorCode.ERR_TARGET_UNSAFE,
        `Redis node ${describeEndpoint(first.session.endpoint)} is a replica of ` +
          `${firstRole.primary}; point the secret's host at the primary`,
        { details: { node: describeEndpoint(first.session.endpoint), primary: firstRole.primary } },
      );
    }
    opened.push({ session: first.session, role: firstRole.role, openedWith: first.label });
    const expected = cluster
      ? await clusterExpected(first.session, secret)
      : await replicationExpected(first.session, secret, request.discover, admin, logger);
    // Replicas the sentinels list, up or down: part of the deployment (a down one is missing:
    // a warning, or the end of an emergency rotation). An admin's sentinels are the admin's.
    for (const replica of sentinels?.view.replicas ?? []) {
      const endpoint = { host: replica.host, port: replica.port, tls: secret.tls };
      expected.push({ endpoint, required: false, reported: true });
    }
    for (const known of secret.knownNodes) {
      const endpoint = { host: known.host, port: known.port, tls: secret.tls };
      expected.push({ endpoint, required: false, reported: false });
    }
    const missing: string[] = [];
    for (const { endpoint, required, reported } of dedupe(expected, first.session.endpoint)) {
      let node: { session: RedisSession; label: string };
      try {
        node = await openWithFirstWorking(connector, endpoint, reported ? reportedCandidates : own);
      } catch (error) {
        if (isRotationError(error, ErrorCode.ERR_TARGET_TLS) && reported && isIP(endpoint.host) !== 0) {
          const name = describeEndpoint(endpoint);
          throw new RotationError(
            ErrorCode.ERR_TARGET_TLS,
            `Redis node ${name} was found by its IP (as its primary reports it) and its TLS ` +
              `certificate does not cover that IP; set replica-announce-ip (or ` +
              `cluster-announce-hostname) to a name the certificate covers, or list the nodes by name ` +
              `in the secret's "nodes"`,
            { cause: error, details: { node: name } },
          );
        }
        if (required || !isRotationError(error) || !UNREACHABLE.has(error.code)) throw error;
        const name = describeEndpoint(endpoint);
        if (request.emergency) {
          throw new RotationError(
            ErrorCode.ERR_TARGET_UNREACHABLE,
            `Redis node ${name} was part of this deployment and cannot be reached; an emergency ` +
              `rotation stops here so the revoked password cannot survive on it. Bring the node back, ` +
              `or remove it from the secret's "knownNodes" if it is gone for good`,
            { cause: error, details: { node: name, causeCode: error.code } },
          );
        }
        missing.push(name);
        continue;
      }
      const role = await roleOf(node.session).catch(async (error: unknown) => {
        await node.session.close();
        throw error;
      });
      opened.push({ session: node.session, role: role.role, openedWith: node.label });
      if (!cluster && role.role === 'primary') {
        const name = describeEndpoint(endpoint);
        throw new RotationError(
          ErrorCode.ERR_TARGET_UNSAFE,
          `Redis node ${name} says it is a primary too, besides ` +
            `${describeEndpoint(first.session.endpoint)}; refusing to rotate two primaries (a ` +
            `failover in progress or a split). Point the secret's host at the one primary, and list ` +
            `or record only its replicas`,
          { details: { node: name, primary: describeEndpoint(first.session.endpoint) } },
        );
      }
    }
    if (missing.length > 0) {
      logger.warn(
        'Known Redis nodes cannot be reached; they keep their old passwords until a later rotation heals them',
        { nodes: missing.join(', ') },
      );
    }
    const stale = opened
      .filter((n) => n.openedWith === 'previous')
      .map((n) => describeEndpoint(n.session.endpoint));
    if (stale.length > 0)
      logger.warn(
        'Redis nodes still on the previous password (missed a rotation); bringing them to the current pair',
        {
          nodes: stale.join(', '),
        },
      );
    return {
      cluster,
      nodes: [...opened.filter((n) => n.role === 'primary'), ...opened.filter((n) => n.role === 'replica')],
      missing,
      sentinels,
    };
  } catch (error) {
    await closeAll([first.session, ...opened.map((n) => n.session).filter((s) => s !== first.session)]);
    throw error;
  }
}

export async function closeTopology(topology: Topology): Promise<void> {
  await closeAll(topology.nodes.map((n) => n.session));
}

/** Every node's name (`host:port`), reached or not: what `knownNodes` records. */
export function topologyNodeNames(topology: Topology): string[] {
  return [...topology.nodes.map((n) => describeEndpoint(n.session.endpoint)), ...topology.missing];
}

/** The union of what was known and what was found now, as addresses, in a stable order. */
export function mergeKnownNodes(
  known: readonly RedisNodeAddress[],
  found: readonly string[],
): RedisNodeAddress[] {
  const byName = new Map<string, RedisNodeAddress>();
  for (const node of known) byName.set(describeNode(node), node);
  for (const name of found) {
    const match = /^\[?(.+?)\]?:(\d+)$/.exec(name);
    if (match?.[1] && !byName.has(name)) byName.set(name, { host: match[1], port: Number(match[2]) });
  }
  return [...byName.values()];
}

const UNREACHABLE = new Set<string>([ErrorCode.ERR_TARGET_UNREACHABLE, ErrorCode.ERR_TARGET_TIMEOUT]);

async function roleOf(session: RedisSession): Promise<{ role: 'primary' | 'replica'; primary: string }> {
  const role = await readRole(session);
  if (role.kind === 'master') return { role: 'primary', primary: '' };
  return { role: 'replica', primary: describeEndpoint({ ...role.primary, tls: false }) };
}

async function clusterExpected(session: RedisSession, secret: RedisSecret): Promise<Expected[]> {
  const nodes = await readClusterNodes(session);
  // Every node is part of the deployment, but one may be down (failing over, restarting): treated
  // like a known node, so a normal rotation warns and an emergency stops.
  return nodes
    .filter((n) => !n.myself)
    .map((n) => ({
      endpoint: { host: n.host, port: n.port, tls: secret.tls },
      required: false,
      reported: true,
    }));
}

async function replicationExpected(
  session: RedisSession,
  secret: RedisSecret,
  discover: boolean,
  admin: RedisAdmin | undefined,
  logger: Log,
): Promise<Expected[]> {
  const listed = secret.nodes.map((node) => ({ host: node.host, port: node.port, tls: secret.tls }));
  // Without an admin and with nodes listed (or discovery off), the secret's list is the truth.
  if (admin === undefined && (listed.length > 0 || !discover))
    return listed.map((endpoint) => ({ endpoint, required: true, reported: false }));
  const role = await readRole(session);
  const replicas = role.kind === 'master' ? role.replicas : [];
  const syncing = await readAttachedReplicas(session, logger);
  const reported = [...replicas, ...syncing].map((r) => ({ host: r.host, port: r.port, tls: secret.tls }));
  if (admin !== undefined && listed.length > 0) {
    assertDiscovered(admin, listed, reported);
    return listed.map((endpoint) => ({ endpoint, required: true, reported: true }));
  }
  if (!discover) return [];
  return reported.map((endpoint) => ({ endpoint, required: true, reported: true }));
}

/** First occurrence wins (a required entry before an optional one for the same node). */
function dedupe(expected: readonly Expected[], first: RedisEndpoint): Expected[] {
  const seen = new Set<string>([describeEndpoint(first)]);
  const out: Expected[] = [];
  for (const entry of expected) {
    const key = describeEndpoint(entry.endpoint);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(entry);
  }
  return out;
}
