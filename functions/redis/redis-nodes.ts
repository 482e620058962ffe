import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import {
  describeEndpoint,
  type RedisConnector,
  type RedisCredentials,
  type RedisEndpoint,
  type RedisSession,
} from './redis-port.ts';
import type { RedisSecret } from './redis-secret.ts';

/**
 * Node topology and the per-node chores every self-hosted mode shares: find the nodes
 * that serve the user (ACL changes and CONFIG SET are not replicated), open an
 * authenticated session on each before changing anything, and persist changes.
 */

export function primaryEndpoint(secret: RedisSecret): RedisEndpoint {
  return { host: secret.host, port: secret.port, tls: secret.tls };
}

/** One credential to try, with a label for logs ("current", "pending", "admin"). */
export interface LabelledCredentials {
  readonly label: string;
  readonly credentials: RedisCredentials;
}

/**
 * Open a session with the first credential that authenticates. Only an authentication
 * failure moves on to the next credential; an unreachable node fails at once.
 */
export async function openWithFirstWorking(
  connector: RedisConnector,
  endpoint: RedisEndpoint,
  candidates: readonly LabelledCredentials[],
): Promise<{ session: RedisSession; label: string }> {
  let lastAuthError: RotationError | undefined;
  for (const candidate of candidates) {
    try {
      return { session: await connector.open(endpoint, candidate.credentials), label: candidate.label };
    } catch (error) {
      if (isRotationError(error, ErrorCode.ERR_TARGET_AUTH_FAILED)) {
        lastAuthError = error;
        continue;
      }
      throw error;
    }
  }
  throw new RotationError(
    ErrorCode.ERR_NO_WORKING_CREDENTIAL,
    `Redis node ${describeEndpoint(endpoint)}: none of the ${candidates.map((c) => c.label).join(', ')} credentials authenticates`,
    {
      cause: lastAuthError,
      details: { node: describeEndpoint(endpoint), tried: candidates.map((c) => c.label).join(',') },
    },
  );
}

/**
 * The nodes to change, primary first: the secret's host plus its `nodes`, or (when it lists
 * none and discovery is on) every replica attached to the primary. A secret whose host is
 * a replica is refused (ERR_TARGET_UNSAFE), naming its primary.
 *
 * ROLE lists only replicas whose sync has completed *as the primary sees it*: one still in a
 * full sync (state wait_bgsave/send_bulk: for a large dataset, minutes; even for an empty one,
 * until the primary's cron reaps the RDB child, after the replica already reports its link
 * up) is left out, and a rotation that skipped it leaves it on the old password (and, in
 * requirepass mode, an old masterauth it cannot reconnect with). So the replicas `INFO
 * replication` lists, in any state, are added; without `+info`, ROLE's list is used with a
 * warning.
 */
export async function discoverNodes(
  session: RedisSession,
  secret: RedisSecret,
  discover: boolean,
  logger: Log,
): Promise<RedisEndpoint[]> {
  const first = session.endpoint;
  const listed = secret.nodes.map((node) => ({ host: node.host, port: node.port, tls: secret.tls }));
  if (listed.length > 0 || !discover) return unique([first, ...listed]);
  const role = await readRole(session);
  if (role.kind === 'master') {
    const syncing = await readAttachedReplicas(session, logger);
    return unique([first, ...[...role.replicas, ...syncing].map((r) => ({ ...r, tls: secret.tls }))]);
  }
  throw new RotationError(
    ErrorCode.ERR_TARGET_UNSAFE,
    `Redis node ${describeEndpoint(first)} is a replica of ${describeEndpoint({ ...role.primary, tls: false })}; point the secret's host at the primary (or list every node in "nodes")`,
    {
      details: { node: describeEndpoint(first), primary: describeEndpoint({ ...role.primary, tls: false }) },
    },
  );
}

type Role =
  | { kind: 'master'; replicas: { host: string; port: number }[] }
  | { kind: 'replica'; primary: { host: string; port: number } };

async function readRole(session: RedisSession): Promise<Role> {
  let reply: unknown;
  try {
    reply = await session.call('ROLE', [], { argsAreSecret: false });
  } catch (error) {
    if (isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) {
      throw new RotationError(
        ErrorCode.ERR_TARGET_PERMISSION_DENIED,
        `Redis node ${describeEndpoint(session.endpoint)}: the managing user may not run ROLE to discover replicas; grant +role, list the nodes in the secret's "nodes", or set REDIS_DISCOVER_REPLICAS=false`,
        { cause: error, details: { node: describeEndpoint(session.endpoint), command: 'ROLE' } },
      );
    }
    throw error;
  }
  if (!Array.isArray(reply)) throw unexpected(session, 'ROLE');
  const kind = String(reply[0]);
  if (kind === 'master') {
    const replicas = Array.isArray(reply[2]) ? reply[2] : [];
    return {
      kind: 'master',
      replicas: replicas.map((entry: unknown) => ({
        host: String((entry as unknown[])[0]),
        port: Number((entry as unknown[])[1]),
      })),
    };
  }
  if (kind === 'slave' || kind === 'replica')
    return { kind: 'replica', primary: { host: String(reply[1]), port: Number(reply[2]) } };
  throw unexpected(session, 'ROLE');
}

/**
 * Every replica the primary's `INFO replication` lists (`slave<n>:ip=..,port=..,state=..`),
 * whatever its sync state. NOPERM: a warning and none (ROLE's list stands).
 */
async function readAttachedReplicas(
  session: RedisSession,
  logger: Log,
): Promise<{ host: string; port: number }[]> {
  let reply: unknown;
  try {
    reply = await session.call('INFO', ['replication'], { argsAreSecret: false });
  } catch (error) {
    if (!isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) throw error;
    logger.warn(
      'The managing user may not run INFO; replicas still in a full sync are not found by ROLE and keep the old password. Grant +info or list the nodes',
      {
        node: describeEndpoint(session.endpoint),
        command: 'INFO',
      },
    );
    return [];
  }
  if (typeof reply !== 'string') throw unexpected(session, 'INFO replication');
  const replicas: { host: string; port: number }[] = [];
  for (const match of reply.matchAll(/^slave\d+:([^\r\n]*)/gm)) {
    const fields = new Map(
      (match[1] ?? '').split(',').map((pair) => pair.split('=', 2) as [string, string | undefined]),
    );
    const host = fields.get('ip');
    const port = Number(fields.get('port'));
    if (host === undefined || host === '' || !Number.isInteger(port) || port <= 0)
      throw unexpected(session, 'INFO replication');
    replicas.push({ host, port });
  }
  return replicas;
}

function unexpected(session: RedisSession, command: string): RotationError {
  return new RotationError(
    ErrorCode.ERR_TARGET_REJECTED,
    `Redis node ${describeEndpoint(session.endpoint)} sent an unexpected reply to ${command}`,
    {
      details: { node: describeEndpoint(session.endpoint), command },
    },
  );
}

function unique(endpoints: RedisEndpoint[]): RedisEndpoint[] {
  const seen = new Set<string>();
  return endpoints.filter((endpoint) => {
    const key = describeEndpoint(endpoint);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Open every node before changing any; on any failure close what was opened and rethrow. */
export async function openAll(
  connector: RedisConnector,
  endpoints: readonly RedisEndpoint[],
  candidates: readonly LabelledCredentials[],
  opened: RedisSession[] = [],
): Promise<RedisSession[]> {
  const sessions: RedisSession[] = [...opened];
  try {
    for (const endpoint of endpoints) {
      if (sessions.some((s) => describeEndpoint(s.endpoint) === describeEndpoint(endpoint))) continue;
      sessions.push((await openWithFirstWorking(connector, endpoint, candidates)).session);
    }
  } catch (error) {
    await closeAll(sessions);
    throw error;
  }
  // Keep the given order (primary first).
  return endpoints.map(
    (endpoint) =>
      sessions.find((s) => describeEndpoint(s.endpoint) === describeEndpoint(endpoint)) as RedisSession,
  );
}

export async function closeAll(sessions: readonly RedisSession[]): Promise<void> {
  await Promise.allSettled(sessions.map((session) => session.close()));
}

/**
 * Make the node's change survive a restart, and say how (for logs and tests).
 * ACL changes: `ACL SAVE` when the node has an ACL file (users live there), else
 * `CONFIG REWRITE` when it has a config file. Config changes (requirepass, masterauth):
 * `CONFIG REWRITE`, plus `ACL SAVE` when an ACL file holds the default user's password.
 * With neither file, warn naming the node: a restart would bring the old password back.
 */
export async function persistNode(
  session: RedisSession,
  logger: Log,
  what: 'acl' | 'config',
): Promise<string[]> {
  const node = describeEndpoint(session.endpoint);
  const done: string[] = [];
  try {
    const aclFile = configValue(await session.call('CONFIG', ['GET', 'aclfile'], { argsAreSecret: false }));
    const info = String(await session.call('INFO', ['server'], { argsAreSecret: false }));
    const configFile = /(?:^|\n)config_file:([^\r\n]*)/.exec(info)?.[1]?.trim() ?? '';
    if (what === 'config' && configFile !== '') {
      await session.call('CONFIG', ['REWRITE'], { argsAreSecret: false });
      done.push('CONFIG REWRITE');
    }
    if (aclFile !== '') {
      await session.call('ACL', ['SAVE'], { argsAreSecret: false });
      done.push('ACL SAVE');
    } else if (what === 'acl' && configFile !== '') {
      await session.call('CONFIG', ['REWRITE'], { argsAreSecret: false });
      done.push('CONFIG REWRITE');
    }
  } catch (error) {
    const code = isRotationError(error) ? error.code : ErrorCode.ERR_INTERNAL;
    logger.warn(
      'Could not persist the Redis change; a restart of this node would bring the old password back',
      { node, errorCode: code },
    );
    return done;
  }
  if (done.length === 0)
    logger.warn('Redis node has no ACL file and no config file; the change is lost if the node restarts', {
      node,
    });
  else logger.info('Persisted the Redis change', { node, persistedWith: done.join(', ') });
  return done;
}

function configValue(reply: unknown): string {
  return Array.isArray(reply) && reply.length >= 2 ? String(reply[1] ?? '') : '';
}
