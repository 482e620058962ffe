import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import type { Sensitive } from '../../shared/sensitive.ts';
import { pollUntil } from '../../shared/poll.ts';
import { AuthTokenUpdateStrategy, type ElastiCachePort } from './elasticache-port.ts';
import { assertSameIdentity, proveLogin, type ModeDeps, type ModeHandler } from './mode-handler.ts';
import { primaryEndpoint } from './redis-nodes.ts';
import type { RedisCredentials } from './redis-port.ts';
import { effectiveUsername, type RedisSecret } from './redis-secret.ts';

/**
 * ElastiCache auth-token mode (`replicationGroupId`). setSecret: wait until the group is
 * `available`; refuse a group without AUTH (ROTATE would not make it safe); if the pending
 * token already logs in, stop (re-run); if the previous cycle left two tokens (AWSPREVIOUS
 * still logs in), finalise it with SET to the current token; then ROTATE to the pending
 * token and wait for `available`. Both current and pending then work until the next
 * rotation's SET. Emergency finishSecret: SET to the new token at once.
 */
export function createAuthTokenMode(deps: ModeDeps): ModeHandler {
  return {
    async set({ current, pending, previous, context }) {
      assertSameIdentity(current, pending, context.secretArn);
      const id = requireField(current.replicationGroupId, 'replicationGroupId', context.secretArn);
      const ec = deps.elastiCache();
      const group = await waitForGroup(deps, ec, id, context.logger);
      if (!group.authTokenEnabled) {
        throw new RotationError(
          ErrorCode.ERR_TARGET_UNSAFE,
          `Replication group ${id} allows access without an AUTH token; refusing to ROTATE (enable AUTH with transit encryption first)`,
          { details: { replicationGroupId: id } },
        );
      }
      if (await logsIn(deps, pending, tokenCredentials(pending))) {
        context.logger.info('Pending AUTH token already accepted; nothing to do', { replicationGroupId: id });
        return;
      }
      if (
        previous !== undefined &&
        !previous.password.equals(current.password) &&
        (await logsIn(deps, current, tokenCredentials(previous)))
      ) {
        await modifyToken(deps, ec, id, current.password, AuthTokenUpdateStrategy.SET, context.logger);
      }
      try {
        await modifyToken(deps, ec, id, pending.password, AuthTokenUpdateStrategy.ROTATE, context.logger);
      } catch (error) {
        // Two tokens already active that the secret does not know of: finalise to current, then ROTATE.
        if (
          !isRotationError(error, ErrorCode.ERR_AWS_API) ||
          !/InvalidParameter/.test(String(error.details['awsError']))
        )
          throw error;
        context.logger.warn('ROTATE refused; finalising the group to the current token with SET first', {
          replicationGroupId: id,
        });
        await modifyToken(deps, ec, id, current.password, AuthTokenUpdateStrategy.SET, context.logger);
        await modifyToken(deps, ec, id, pending.password, AuthTokenUpdateStrategy.ROTATE, context.logger);
      }
    },

    async test({ pending, context }) {
      await proveLogin(deps, primaryEndpoint(pending), tokenCredentials(pending), pending.db, context.logger);
    },

    async finish({ current, previous, context }) {
      if (!context.emergency) return;
      const id = requireField(current.replicationGroupId, 'replicationGroupId', context.secretArn);
      const ec = deps.elastiCache();
      await waitForGroup(deps, ec, id, context.logger);
      // SET is allowed only after ROTATE: skip it when the old token is already refused (re-run).
      if (previous !== undefined && !(await logsIn(deps, current, tokenCredentials(previous)))) {
        context.logger.info('Old AUTH token already refused; nothing to finalise', {
          replicationGroupId: id,
        });
        return { revoked: [] };
      }
      await modifyToken(deps, ec, id, current.password, AuthTokenUpdateStrategy.SET, context.logger);
      context.logger.warn('Emergency: the replication group now accepts only the new AUTH token', {
        replicationGroupId: id,
      });
      return { revoked: [`old AUTH token of replication group ${id}`] };
    },
  };
}

/**
 * ElastiCache RBAC user mode (`userId` or AWS's `user_arn`). setSecret: wait for the user
 * to be `active`, check its name matches the secret, ModifyUser with passwords
 * [pending, current], wait for `active` again. Emergency finishSecret: [new] only.
 */
export function createElastiCacheUserMode(deps: ModeDeps): ModeHandler {
  return {
    async set({ current, pending, context }) {
      assertSameIdentity(current, pending, context.secretArn);
      const id = requireField(current.userId, 'userId', context.secretArn);
      await setUserPasswords(
        deps,
        id,
        effectiveUsername(current),
        [pending.password, current.password],
        context.logger,
      );
    },

    async test({ pending, context }) {
      await proveLogin(
        deps,
        primaryEndpoint(pending),
        { username: effectiveUsername(pending), password: pending.password },
        pending.db,
        context.logger,
      );
    },

    async finish({ current, context }) {
      if (!context.emergency) return;
      const id = requireField(current.userId, 'userId', context.secretArn);
      await setUserPasswords(deps, id, effectiveUsername(current), [current.password], context.logger);
      context.logger.warn('Emergency: the ElastiCache user now accepts only the new password', {
        userId: id,
      });
      return { revoked: [`every other password of ElastiCache user ${id}`] };
    },
  };
}

async function setUserPasswords(
  deps: ModeDeps,
  userId: string,
  userName: string,
  passwords: Sensitive<string>[],
  logger: Log,
): Promise<void> {
  const ec = deps.elastiCache();
  const user = await waitFor(
    deps,
    () => ec.describeUser(userId),
    (u) => u.status === 'active',
    `ElastiCache user ${userId}`,
    'active',
    logger,
  );
  if (user.userName !== userName) {
    throw new RotationError(
      ErrorCode.ERR_SECRET_IDENTITY_CHANGED,
      `ElastiCache user ${userId} is named ${user.userName}, but the secret's username is ${userName}`,
      {
        details: { userId, field: 'username' },
      },
    );
  }
  const distinct = passwords.filter((p, i) => passwords.findIndex((q) => q.equals(p)) === i);
  await ec.modifyUserPasswords(userId, distinct);
  logger.info('ModifyUser sent; waiting for the user to be active', {
    userId,
    passwordCount: distinct.length,
  });
  await waitFor(
    deps,
    () => ec.describeUser(userId),
    (u) => u.status === 'active',
    `ElastiCache user ${userId}`,
    'active',
    logger,
  );
}

function tokenCredentials(secret: RedisSecret): RedisCredentials {
  // AUTH tokens belong to the default user: legacy AUTH <token>.
  return { username: undefined, password: secret.password };
}

async function modifyToken(
  deps: ModeDeps,
  ec: ElastiCachePort,
  id: string,
  token: Sensitive<string>,
  strategy: AuthTokenUpdateStrategy,
  logger: Log,
): Promise<void> {
  await ec.modifyAuthToken(id, token, strategy);
  logger.info('ModifyReplicationGroup sent; waiting for the group to be available', {
    replicationGroupId: id,
    authTokenUpdateStrategy: strategy,
  });
  await waitForGroup(deps, ec, id, logger);
}

function waitForGroup(deps: ModeDeps, ec: ElastiCachePort, id: string, logger: Log) {
  return waitFor(
    deps,
    () => ec.describeReplicationGroup(id),
    (g) => g.status === 'available',
    `Replication group ${id}`,
    'available',
    logger,
  );
}

/** Poll until `ready`, at most ELASTICACHE_WAIT_TIMEOUT_MS; then ERR_WAIT_TIMEOUT naming the resource and its last status. */
export async function waitFor<T extends { readonly status: string }>(
  deps: ModeDeps,
  describe: () => Promise<T>,
  ready: (state: T) => boolean,
  resource: string,
  wanted: string,
  logger: Log,
): Promise<T> {
  const waited = await pollUntil(
    deps,
    { timeoutMs: deps.config.elastiCacheWaitTimeoutMs, intervalMs: deps.config.elastiCachePollIntervalMs },
    async () => {
      const state = await describe();
      if (ready(state)) return { done: true, value: state };
      logger.debug('Waiting for ElastiCache', { resource, status: state.status });
      return { done: false, last: state };
    },
  );
  if (waited.done) return waited.value;
  const { last: state, polls } = waited;
  throw new RotationError(
    ErrorCode.ERR_WAIT_TIMEOUT,
    `${resource} is still "${state.status}" after ${deps.config.elastiCacheWaitTimeoutMs} ms (${polls} checks); expected "${wanted}"`,
    { details: { resource, status: state.status, waitedMs: deps.config.elastiCacheWaitTimeoutMs, polls } },
  );
}

/** Does this credential log in to the secret's endpoint? Auth failure is "no"; anything else throws. */
async function logsIn(deps: ModeDeps, secret: RedisSecret, credentials: RedisCredentials): Promise<boolean> {
  try {
    const session = await deps.connector.open(primaryEndpoint(secret), credentials);
    await session.close();
    return true;
  } catch (error) {
    if (isRotationError(error, ErrorCode.ERR_TARGET_AUTH_FAILED)) return false;
    throw error;
  }
}

function requireField(value: string | undefined, field: string, secretArn: string): string {
  if (value === undefined) {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Secret ${secretArn}: field "${field}" is required in this mode`,
      { details: { secretArn, field } },
    );
  }
  return value;
}
