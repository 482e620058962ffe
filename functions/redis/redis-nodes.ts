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
 * The per-node chores every self-hosted mode shares: open a session with the first working
 * credential, read a node's role and attached replicas, persist changes. Which nodes there
 * are is redis-topology.ts's job.
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

export type Role =
  | { kind: 'master'; replicas: { host: string; port: number }[] }
  | { kind: 'replica'; primary: { host: string; port: number } };

/** ROLE: a primary and its online replicas, or a replica and its primary. */
export async function readRole(session: RedisSession): Promise<Role> {
  let reply: unknown;
  try {
    reply = await session.call('ROLE', [], { argsAreSecret: false });
  } catch (error) {
    if (isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) {
      throw new RotationError(
        ErrorCode.ERR_TARGET_PERMISSION_DENIED,
        `Redis node ${describeEndpoint(session.endpoint)}: the managing user may not run ROLE, ` +
          `which the function needs to tell the primary from the replicas on every node; grant +role`,
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
export async function readAttachedReplicas(
  session: RedisSession,
  logger: Log,
): Promise<{ host: string; port: number }[]> {
  let reply: unknown;
  try {
    reply = await session.call('INFO', ['replication'], { argsAreSecret: false });
  } catch (error) {
    if (!isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) throw error;
    logger.warn(
      'The managing user may not run INFO; replicas still in a full sync are not found by ROLE ' +
        'and keep the old password. Grant +info or list the nodes',
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
