import { createHash } from 'node:crypto';
import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type { RotationContext } from '../../shared/strategy.ts';
import { assertSameIdentity, proveLogin, type ModeDeps, type ModeHandler } from './mode-handler.ts';
import { loadAdmin } from './admin-secret.ts';
import { persistNode, type LabelledCredentials } from './redis-nodes.ts';
import { describeEndpoint, type RedisSession } from './redis-port.ts';
import { syncSentinels } from './redis-sentinel.ts';
import {
  REDIS_DEFAULT_USERNAME,
  SecretFormat,
  effectiveUsername,
  type RedisNodeAddress,
  type RedisSecret,
} from './redis-secret.ts';
import {
  closeTopology,
  mergeKnownNodes,
  openTopology,
  topologyNodeNames,
  type Topology,
} from './redis-topology.ts';

/**
 * ACL-user mode (Redis 6+). setSecret leaves exactly two passwords on the user, current
 * and pending, on every node, set by SHA-256 hash (`ACL SETUSER <user> resetpass #<cur>
 * #<pending>`, one atomic command per node) so no plaintext reaches the command stream,
 * and AWSCURRENT works at every moment. The password before current dies at the next
 * rotation. An emergency rotation's finishSecret leaves only the new password and kills
 * the user's other connections.
 *
 * Who runs ACL SETUSER: an admin credential when the secret has `adminSecretArn` (or
 * REDIS_ADMIN_SECRET_ARN is set), read from that secret's AWSCURRENT; otherwise the user
 * itself, authenticated with its current (then pending) password, which then needs
 * `+acl|getuser +acl|setuser` (plus `+role`, `+config|get`, `+info`, `+acl|save` or
 * `+config|rewrite` for discovery and persistence, `+client|kill` for emergencies).
 */

export function passwordHash(password: Sensitive<string>): Sensitive<string> {
  return new Sensitive(`#${createHash('sha256').update(password.reveal(), 'utf8').digest('hex')}`);
}

export function createAclUserMode(deps: ModeDeps): ModeHandler {
  return {
    recordNodes: ({ current, previous, context }) =>
      recordNodes(
        current,
        (secret) =>
          openManagedNodes(deps, secret, context, {
            self: [own('current', current)],
            stale: previous ? [own('previous', previous)] : [],
            emergency: false,
            checkFirst: (session) => checkUser(session, effectiveUsername(current), context.logger),
          }),
        context.logger,
      ),

    async set({ current, pending, previous, context }) {
      assertSameIdentity(current, pending, context.secretArn);
      const user = effectiveUsername(pending);
      const check = (session: RedisSession) => checkUser(session, user, context.logger);
      const topology = await openManagedNodes(deps, pending, context, {
        self: [own('current', current), own('pending', pending)],
        stale: previous ? [own('previous', previous)] : [],
        emergency: context.emergency,
        checkFirst: check,
      });
      try {
        for (const node of topology.nodes.slice(1)) await check(node.session);
        for (const node of topology.nodes) {
          const { session } = node;
          await setPasswords(session, user, [current.password, pending.password], context.logger);
          context.logger.info('Set the ACL user passwords to current and pending on node', {
            node: describeEndpoint(session.endpoint),
            role: node.role,
            user,
          });
          // Replicas that replicate as this user get the pending password as masterauth (their primaries, done first, accept it).
          const masterauth =
            node.role === 'replica' &&
            (await updateMasterauth(session, user, pending.password, context.logger));
          await persistNode(session, context.logger, masterauth ? 'config' : 'acl');
        }
        // Every data node takes current and pending: the sentinels can move to pending now, and
        // must before the next rotation drops current.
        await syncSentinels(
          deps,
          topology.sentinels,
          pending,
          { username: user, password: pending.password },
          context,
        );
      } finally {
        await closeTopology(topology);
      }
    },

    async test({ pending, context }) {
      const user = effectiveUsername(pending);
      const topology = await openManagedNodes(deps, pending, context, {
        self: [own('pending', pending)],
        stale: [],
        emergency: context.emergency,
      });
      const endpoints = topology.nodes.map((n) => n.session.endpoint);
      await closeTopology(topology);
      for (const endpoint of endpoints) {
        await proveLogin(
          deps,
          endpoint,
          { username: user, password: pending.password },
          pending.db,
          context.logger,
        );
      }
    },

    async finish({ current, previous, context }) {
      if (!context.emergency) return;
      const user = effectiveUsername(current);
      const topology = await openManagedNodes(deps, current, context, {
        self: [own('current', current)],
        // A node still on the revoked password is opened with it, and revoked.
        stale: previous ? [own('previous', previous)] : [],
        emergency: true,
      });
      const revoked: string[] = [];
      try {
        for (const node of topology.nodes) {
          const { session } = node;
          await setPasswords(session, user, [current.password], context.logger);
          const masterauth =
            node.role === 'replica' &&
            (await updateMasterauth(session, user, current.password, context.logger));
          await persistNode(session, context.logger, masterauth ? 'config' : 'acl');
          const killed = await killUserClients(session, user);
          context.logger.warn(
            'Emergency: removed every other password of the ACL user and closed its connections on node',
            {
              node: describeEndpoint(session.endpoint),
              user,
              connectionsClosed: killed,
            },
          );
          revoked.push(
            `every other password of ACL user "${user}" on ${describeEndpoint(session.endpoint)} (${String(killed)} connection(s) closed)`,
          );
        }
        const sentinels = await syncSentinels(deps, topology.sentinels, current, undefined, context);
        for (const node of sentinels)
          revoked.push(
            `the revoked password in sentinel ${node}'s auth-pass (it holds the new one; links verified)`,
          );
      } finally {
        await closeTopology(topology);
      }
      return { revoked };
    },
  };
}

function own(label: string, secret: RedisSecret): LabelledCredentials {
  return { label, credentials: { username: effectiveUsername(secret), password: secret.password } };
}

/**
 * createSecret's part in remembering nodes: the nodes found now (and those already known),
 * for the pending value's `knownNodes`. URL secrets have no room for them: nothing is opened.
 * Best effort: createSecret fails only on Secrets Manager trouble, as before; a node problem
 * is left for setSecret to report (it opens the same nodes, and fails there first).
 */
export async function recordNodes(
  current: RedisSecret,
  open: (secret: RedisSecret) => Promise<Topology>,
  logger: Log,
): Promise<readonly RedisNodeAddress[]> {
  if (current.format !== SecretFormat.json) return current.knownNodes;
  let topology: Topology;
  try {
    topology = await open(current);
  } catch (error) {
    logger.warn('Could not list the Redis nodes to remember; keeping the nodes already on record', {
      errorCode: isRotationError(error) ? error.code : ErrorCode.ERR_INTERNAL,
    });
    return current.knownNodes;
  }
  try {
    return mergeKnownNodes(current.knownNodes, topologyNodeNames(topology));
  } finally {
    await closeTopology(topology);
  }
}

/**
 * Every node, roles checked, primaries first, opened before anything changes (an unreachable
 * replica the primary lists fails here, with nothing changed). The admin credential when
 * configured, and then only on the admin secret's own server and the nodes it reports; else
 * (and on recorded nodes the admin's server does not report) the user's own passwords, then
 * AWSPREVIOUS.
 */
async function openManagedNodes(
  deps: ModeDeps,
  secret: RedisSecret,
  context: RotationContext,
  options: {
    readonly self: readonly LabelledCredentials[];
    readonly stale: readonly LabelledCredentials[];
    readonly emergency: boolean;
    readonly checkFirst?: (session: RedisSession) => Promise<void>;
  },
): Promise<Topology> {
  const adminArn = secret.adminSecretArn ?? deps.config.adminSecretArn;
  const admin = adminArn !== undefined ? await loadAdmin(adminArn, context) : undefined;
  return openTopology(
    deps.connector,
    {
      secret,
      own: options.self,
      stale: options.stale,
      ...(admin ? { admin } : {}),
      discover: deps.config.discoverReplicas,
      emergency: options.emergency,
      allowCluster: true,
      ...(options.checkFirst ? { checkFirst: options.checkFirst } : {}),
    },
    context.logger,
  );
}

async function checkUser(session: RedisSession, user: string, logger: Log): Promise<void> {
  const node = describeEndpoint(session.endpoint);
  let reply: unknown;
  try {
    reply = await session.call('ACL', ['GETUSER', user], { argsAreSecret: false });
  } catch (error) {
    if (isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) {
      throw new RotationError(
        ErrorCode.ERR_TARGET_PERMISSION_DENIED,
        `Redis node ${node}: the managing user may not run ACL GETUSER/SETUSER for user ${user}; ` +
          `grant +acl|getuser +acl|setuser or give the secret an adminSecretArn`,
        { cause: error, details: { node, user } },
      );
    }
    throw error;
  }
  if (reply === null) {
    throw new RotationError(
      ErrorCode.ERR_TARGET_ROLE_MISSING,
      `Redis node ${node}: ACL user ${user} does not exist`,
      { details: { node, user } },
    );
  }
  logger.debug('ACL user found on node', { node, user });
}

async function setPasswords(
  session: RedisSession,
  user: string,
  passwords: readonly Sensitive<string>[],
  logger: Log,
): Promise<void> {
  const hashes = passwords.map((p) => passwordHash(p).reveal());
  const setUser: [string, string[]] = ['ACL', ['SETUSER', user, 'resetpass', ...new Set(hashes)]];
  try {
    if (user === REDIS_DEFAULT_USERNAME && (await hasRequirepass(session, logger))) {
      await clearRequirepassWith(session, setUser);
      logger.info('Cleared the plaintext requirepass setting; the default user keeps only password hashes', {
        node: describeEndpoint(session.endpoint),
      });
    } else await session.call(...setUser);
  } catch (error) {
    if (isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) {
      const node = describeEndpoint(session.endpoint);
      throw new RotationError(
        ErrorCode.ERR_TARGET_PERMISSION_DENIED,
        `Redis node ${node}: the managing user may not run ACL SETUSER for user ${user}`,
        {
          cause: error,
          details: { node, user },
        },
      );
    }
    throw error;
  }
}

/**
 * Does the node still hold a `requirepass` setting? Redis keeps that plaintext apart from the
 * default user's hashes: CONFIG GET shows it and CONFIG REWRITE writes it back into redis.conf,
 * long after ACL SETUSER replaced the password. The value is never kept or logged.
 */
async function hasRequirepass(session: RedisSession, logger: Log): Promise<boolean> {
  try {
    const reply = await session.call('CONFIG', ['GET', 'requirepass']);
    return Array.isArray(reply) && String(reply[1] ?? '') !== '';
  } catch (error) {
    if (!isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) throw error;
    logger.warn(
      'Cannot read requirepass on node; if redis.conf sets it, the old plaintext password stays in that file',
      { node: describeEndpoint(session.endpoint) },
    );
    return false;
  }
}

/**
 * `CONFIG SET requirepass ""` alone would leave the default user without a password (nopass),
 * so it runs in one MULTI/EXEC with the ACL SETUSER that sets the hashes: no client ever sees
 * the gap, and the next CONFIG REWRITE drops the plaintext line.
 */
async function clearRequirepassWith(session: RedisSession, setUser: [string, string[]]): Promise<void> {
  await session.call('MULTI', [], { argsAreSecret: false });
  let results: unknown;
  try {
    await session.call('CONFIG', ['SET', 'requirepass', ''], { argsAreSecret: false });
    await session.call(...setUser);
    results = await session.call('EXEC', [], { argsAreSecret: false });
  } catch (error) {
    await session.call('DISCARD', [], { argsAreSecret: false }).catch(() => undefined);
    throw error;
  }
  if (!Array.isArray(results) || results.length !== 2 || results.some((r) => r instanceof Error)) {
    const node = describeEndpoint(session.endpoint);
    // A queued command refused at EXEC does not undo the others: if requirepass was cleared and
    // SETUSER failed, the default user would be open (nopass). Close it instead: no password at all.
    const cleared = Array.isArray(results) && !(results[0] instanceof Error);
    if (cleared)
      await session.call('ACL', ['SETUSER', REDIS_DEFAULT_USERNAME, 'resetpass'], { argsAreSecret: false });
    // Redis's text for a failed SETUSER can echo a rule (a hash): not copied.
    throw new RotationError(
      ErrorCode.ERR_TARGET_REJECTED,
      cleared
        ? `Redis node ${node} cleared requirepass but rejected ACL SETUSER; the default user was locked (no password) rather than left open`
        : `Redis node ${node} rejected clearing requirepass together with ACL SETUSER (nothing changed)`,
      { details: { node, command: 'MULTI/EXEC' } },
    );
  }
}

/**
 * When a replica authenticates to its primary as `user` (`masteruser`, or the default user
 * when unset), its `masterauth` must follow the user's password or replication breaks at
 * the next reconnect. Returns whether it was changed. NOPERM on CONFIG GET: a warning.
 */
async function updateMasterauth(
  session: RedisSession,
  user: string,
  password: Sensitive<string>,
  logger: Log,
): Promise<boolean> {
  const node = describeEndpoint(session.endpoint);
  let masterUser: string;
  try {
    const reply = await session.call('CONFIG', ['GET', 'masteruser'], { argsAreSecret: false });
    masterUser = Array.isArray(reply) && reply.length >= 2 ? String(reply[1] ?? '') : '';
  } catch (error) {
    if (!isRotationError(error, ErrorCode.ERR_TARGET_PERMISSION_DENIED)) throw error;
    logger.warn('Cannot read masteruser on replica; if it replicates as this user, update its masterauth', {
      node,
      user,
    });
    return false;
  }
  if ((masterUser === '' ? 'default' : masterUser) !== user) return false;
  await session.call('CONFIG', ['SET', 'masterauth', password.reveal()]);
  logger.info('Updated masterauth on replica that replicates as this user', { node, user });
  return true;
}

/** Close the user's normal and pub/sub connections (not replication links, not this one). */
export async function killUserClients(session: RedisSession, user: string): Promise<number> {
  let killed = 0;
  for (const type of ['normal', 'pubsub']) {
    const reply = await session.call('CLIENT', ['KILL', 'USER', user, 'TYPE', type, 'SKIPME', 'yes'], {
      argsAreSecret: false,
    });
    killed += typeof reply === 'number' ? reply : 0;
  }
  return killed;
}
