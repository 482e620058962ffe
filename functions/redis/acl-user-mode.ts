import { createHash } from 'node:crypto';
import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type { RotationContext } from '../../shared/strategy.ts';
import { assertSameIdentity, proveLogin, type ModeDeps, type ModeHandler } from './mode-handler.ts';
import {
  closeAll,
  discoverNodes,
  openAll,
  openWithFirstWorking,
  persistNode,
  primaryEndpoint,
  type LabelledCredentials,
} from './redis-nodes.ts';
import { adminEndpointFor, assertDiscovered, loadAdmin, type RedisAdmin } from './admin-secret.ts';
import { describeEndpoint, type RedisEndpoint, type RedisSession } from './redis-port.ts';
import { effectiveUsername, type RedisSecret } from './redis-secret.ts';

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
    async set({ current, pending, context }) {
      assertSameIdentity(current, pending, context.secretArn);
      const user = effectiveUsername(pending);
      const check = (session: RedisSession) => checkUser(session, user, context.logger);
      const sessions = await openManagedNodes(
        deps,
        current,
        [own('current', current), own('pending', pending)],
        context,
        check,
      );
      try {
        for (const session of sessions.slice(1)) await check(session);
        for (const [index, session] of sessions.entries()) {
          await setPasswords(session, user, [current.password, pending.password]);
          context.logger.info('Set the ACL user passwords to current and pending on node', {
            node: describeEndpoint(session.endpoint),
            user,
          });
          // Replicas that replicate as this user get the pending password as masterauth (the primary, done first, accepts it).
          const masterauth =
            index > 0 && (await updateMasterauth(session, user, pending.password, context.logger));
          await persistNode(session, context.logger, masterauth ? 'config' : 'acl');
        }
      } finally {
        await closeAll(sessions);
      }
    },

    async test({ pending, context }) {
      const user = effectiveUsername(pending);
      const sessions = await openManagedNodes(deps, pending, [own('pending', pending)], context);
      const endpoints = sessions.map((s) => s.endpoint);
      await closeAll(sessions);
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

    async finish({ current, context }) {
      if (!context.emergency) return;
      const user = effectiveUsername(current);
      const sessions = await openManagedNodes(deps, current, [own('current', current)], context);
      const revoked: string[] = [];
      try {
        for (const [index, session] of sessions.entries()) {
          await setPasswords(session, user, [current.password]);
          const masterauth =
            index > 0 && (await updateMasterauth(session, user, current.password, context.logger));
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
      } finally {
        await closeAll(sessions);
      }
      return { revoked };
    },
  };
}

function own(label: string, secret: RedisSecret): LabelledCredentials {
  return { label, credentials: { username: effectiveUsername(secret), password: secret.password } };
}

/**
 * Sessions on every node, primary first, opened before anything changes (an unreachable
 * replica fails here, with nothing changed). Uses the admin credential when configured,
 * and then only on the admin secret's own server and the replicas it reports.
 */
async function openManagedNodes(
  deps: ModeDeps,
  secret: RedisSecret,
  self: readonly LabelledCredentials[],
  context: RotationContext,
  checkPrimary?: (session: RedisSession) => Promise<void>,
): Promise<RedisSession[]> {
  const adminArn = secret.adminSecretArn ?? deps.config.adminSecretArn;
  const admin = adminArn === undefined ? undefined : await loadAdmin(adminArn, context);
  const candidates = admin === undefined ? self : [admin.credentials];
  const first = admin === undefined ? primaryEndpoint(secret) : adminEndpointFor(admin, secret);
  const { session: primary } = await openWithFirstWorking(deps.connector, first, candidates);
  let endpoints;
  try {
    await checkPrimary?.(primary);
    endpoints =
      admin === undefined
        ? await discoverNodes(primary, secret, deps.config.discoverReplicas, context.logger)
        : await adminNodes(admin, primary, secret, deps, context);
  } catch (error) {
    await primary.close();
    throw error;
  }
  return openAll(deps.connector, endpoints, candidates, [primary]);
}

/**
 * The nodes the admin changes: those its own server reports (ROLE, INFO replication). A
 * secret that lists `nodes` gets those, each checked against what the server reports.
 */
async function adminNodes(
  admin: RedisAdmin,
  primary: RedisSession,
  secret: RedisSecret,
  deps: ModeDeps,
  context: RotationContext,
): Promise<RedisEndpoint[]> {
  const tls = primary.endpoint.tls;
  if (secret.nodes.length === 0)
    return discoverNodes(primary, { ...secret, tls }, deps.config.discoverReplicas, context.logger);
  const discovered = await discoverNodes(primary, { ...secret, tls, nodes: [] }, true, context.logger);
  const listed = secret.nodes.map((node) => ({ host: node.host, port: node.port, tls }));
  assertDiscovered(admin, listed, discovered);
  return discoverNodes(primary, { ...secret, tls }, false, context.logger);
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
        `Redis node ${node}: the managing user may not run ACL GETUSER/SETUSER for user ${user}; grant +acl|getuser +acl|setuser or give the secret an adminSecretArn`,
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
): Promise<void> {
  const hashes = passwords.map((p) => passwordHash(p).reveal());
  try {
    await session.call('ACL', ['SETUSER', user, 'resetpass', ...new Set(hashes)]);
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
