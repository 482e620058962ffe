import { requireAllowed, type AllowList } from '../../shared/allow-list.ts';
import { ErrorCode, RotationError, isRotationError } from '../../shared/errors.ts';
import type { Sensitive } from '../../shared/sensitive.ts';
import { pollUntil } from '../../shared/poll.ts';
import { AuthTokenUpdateStrategy, type ElastiCachePort } from './elasticache-port.ts';
import { assertSameIdentity, proveLogin, type ModeDeps, type ModeHandler } from './mode-handler.ts';
import { primaryEndpoint } from './redis-nodes.ts';
import type { RedisCredentials } from './redis-port.ts';
import { effectiveUsername, hasEndpoint, type RedisSecret } from './redis-secret.ts';
import type { RotationContext } from '../../shared/strategy.ts';

/**
 * ElastiCache auth-token mode (`replicationGroupId`), by the rules the ElastiCache User Guide
 * documents for ModifyReplicationGroup's AuthTokenUpdateStrategy: ROTATE adds a token and keeps
 * the one in use (when two are already set, the oldest goes), SET keeps only the given token and
 * is allowed only after a ROTATE, and AUTH tokens need in-transit encryption.
 * setSecret: wait until the group is `available`; refuse a group without AUTH or without
 * in-transit encryption (ERR_TARGET_UNSAFE: ROTATE there would leave it open, in ElastiCache's
 * "AUTH optional" state); if the pending token already logs in, stop (re-run); else ROTATE to the
 * pending token (the previous one drops out, current stays) and wait for `available`. Two waits
 * at most, each bounded by the Lambda's remaining time. Emergency finishSecret: SET to the new
 * token, so only it works.
 */
export function createAuthTokenMode(deps: ModeDeps): ModeHandler {
  return {
    async set({ current, pending, previous, context }) {
      assertSameIdentity(current, pending, context.secretArn);
      const id = requireField(
        current.replicationGroupId,
        'replicationGroupId',
        context.secretArn,
        deps.config.elastiCacheReplicationGroupIds,
      );
      const ec = deps.elastiCache();
      warnIfWaitsCannotFit(deps, context, ELASTICACHE_WORST_CASE_WAITS.authToken, `Replication group ${id}`);
      const group = await waitForGroup(deps, ec, id, context);
      if (!group.authTokenEnabled || !group.transitEncryptionEnabled) {
        throw new RotationError(
          ErrorCode.ERR_TARGET_UNSAFE,
          !group.authTokenEnabled
            ? `Replication group ${id} allows access without an AUTH token; refusing to ROTATE ` +
                `(ElastiCache would keep it open, AUTH optional, until a SET): enable AUTH with ` +
                `in-transit encryption first`
            : `Replication group ${id} has no in-transit encryption, which AUTH tokens require; refusing to send a token`,
          { details: { replicationGroupId: id } },
        );
      }
      if (await logsIn(deps, pending, tokenCredentials(pending))) {
        context.logger.info('Pending AUTH token already accepted; nothing to do', { replicationGroupId: id });
        return;
      }
      // ROTATE drops the older of two tokens. After a completed rotation they are AWSPREVIOUS and
      // AWSCURRENT, and AWSPREVIOUS goes. A rotation abandoned after its ROTATE leaves its own
      // token beside AWSCURRENT, newer than it: ROTATE would then drop AWSCURRENT. So when the
      // AWSPREVIOUS token is no longer accepted, SET AWSCURRENT alone first. Before the first
      // completed rotation there is no AWSPREVIOUS to tell the two states apart, so SET is tried
      // then too: ElastiCache refuses it when no ROTATE came before (one token: ROTATE is safe).
      if (previous === undefined) {
        await keepOnlyCurrent(deps, ec, id, current, context, 'no AWSPREVIOUS to tell a stray token apart');
      } else if (!(await logsIn(deps, current, tokenCredentials(previous)))) {
        await keepOnlyCurrent(deps, ec, id, current, context, 'AWSPREVIOUS token not accepted');
      }
      await modifyToken(deps, ec, id, pending.password, AuthTokenUpdateStrategy.ROTATE, context);
    },

    async test({ pending, context }) {
      await proveLogin(deps, primaryEndpoint(pending), tokenCredentials(pending), pending.db, context.logger);
    },

    async finish({ current, previous, context }) {
      if (!context.emergency) return;
      const id = requireField(
        current.replicationGroupId,
        'replicationGroupId',
        context.secretArn,
        deps.config.elastiCacheReplicationGroupIds,
      );
      const ec = deps.elastiCache();
      await waitForGroup(deps, ec, id, context);
      // SET is allowed only after ROTATE: skip it when the old token is already refused (re-run).
      if (previous !== undefined && !(await logsIn(deps, current, tokenCredentials(previous)))) {
        context.logger.info('Old AUTH token already refused; nothing to finalise', {
          replicationGroupId: id,
        });
        return { revoked: [] };
      }
      await modifyToken(deps, ec, id, current.password, AuthTokenUpdateStrategy.SET, context);
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
      const id = requireField(current.userId, 'userId', context.secretArn, deps.config.elastiCacheUserIds);
      warnIfWaitsCannotFit(deps, context, ELASTICACHE_WORST_CASE_WAITS.user, `ElastiCache user ${id}`);
      await setUserPasswords(
        deps,
        current,
        id,
        effectiveUsername(current),
        [pending.password, current.password],
        context,
      );
    },

    async test({ pending, context }) {
      if (!hasEndpoint(pending)) {
        // AWS's user secret names no endpoint, and its own function tests nothing: say so.
        context.logger.warn(
          'The secret names no Redis endpoint (AWS ElastiCache user shape); testSecret cannot log ' +
            'in with the pending password. Add "host" (and "port", "tls") to the secret to have it tested',
          { userId: pending.userId },
        );
        return;
      }
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
      const id = requireField(current.userId, 'userId', context.secretArn, deps.config.elastiCacheUserIds);
      await setUserPasswords(deps, current, id, effectiveUsername(current), [current.password], context);
      context.logger.warn('Emergency: the ElastiCache user now accepts only the new password', {
        userId: id,
      });
      return { revoked: [`every other password of ElastiCache user ${id}`] };
    },
  };
}

async function setUserPasswords(
  deps: ModeDeps,
  secret: RedisSecret,
  userId: string,
  userName: string,
  passwords: Sensitive<string>[],
  context: RotationContext,
): Promise<void> {
  const { logger } = context;
  const ec = deps.elastiCache(secret.elastiCacheRegion);
  const user = await waitFor(
    deps,
    () => ec.describeUser(userId),
    (u) => u.status === 'active',
    `ElastiCache user ${userId}`,
    'active',
    context,
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
    context,
  );
}

function tokenCredentials(secret: RedisSecret): RedisCredentials {
  // AUTH tokens belong to the default user: legacy AUTH <token>.
  return { username: undefined, password: secret.password };
}

/**
 * SET AWSCURRENT's token as the only one. ElastiCache allows SET only after a ROTATE; refused
 * with InvalidParameterCombination, no ROTATE happened since the last SET, so AWSCURRENT's token
 * already is the only one.
 */
async function keepOnlyCurrent(
  deps: ModeDeps,
  ec: ElastiCachePort,
  id: string,
  current: RedisSecret,
  context: RotationContext,
  reason: string,
): Promise<void> {
  try {
    await modifyToken(deps, ec, id, current.password, AuthTokenUpdateStrategy.SET, context);
    context.logger.warn(`${reason}: set AWSCURRENT as the only AUTH token before ROTATE`, {
      replicationGroupId: id,
    });
  } catch (error) {
    if (
      !(error instanceof RotationError) ||
      !/InvalidParameterCombination/.test(String(error.details['awsError']))
    )
      throw error;
  }
}

async function modifyToken(
  deps: ModeDeps,
  ec: ElastiCachePort,
  id: string,
  token: Sensitive<string>,
  strategy: AuthTokenUpdateStrategy,
  context: RotationContext,
): Promise<void> {
  await ec.modifyAuthToken(id, token, strategy);
  context.logger.info('ModifyReplicationGroup sent; waiting for the group to be available', {
    replicationGroupId: id,
    authTokenUpdateStrategy: strategy,
  });
  await waitForGroup(deps, ec, id, context);
}

function waitForGroup(deps: ModeDeps, ec: ElastiCachePort, id: string, context: RotationContext) {
  return waitFor(
    deps,
    () => ec.describeReplicationGroup(id),
    (g) => g.status === 'available',
    `Replication group ${id}`,
    'available',
    context,
  );
}

/**
 * Time kept back from a wait for what follows it in the step (a login, the answer to Secrets
 * Manager): the step fails with its own ERR_WAIT_TIMEOUT rather than Lambda's timeout.
 */
export const ELASTICACHE_WAIT_RESERVE_MS = 5_000;

/**
 * The most bounded waits one setSecret makes: an AUTH token's (the group available; after a SET
 * that recovers an abandoned rotation; after ROTATE), a user's (before and after ModifyUser).
 * SAM and CDK size the function's timeout from these: waits x wait + 30 s (infra/README.md).
 */
export const ELASTICACHE_WORST_CASE_WAITS = Object.freeze({ authToken: 3, user: 2 });

/**
 * Lambda exposes no timeout setting, only the time left: when the worst case of this step's waits
 * cannot fit it, say so once per step before waiting (the waits are still bounded by it, so a slow
 * change ends in ERR_WAIT_TIMEOUT, not in Lambda's timeout).
 */
function warnIfWaitsCannotFit(
  deps: ModeDeps,
  context: Pick<RotationContext, 'logger' | 'remainingMs'>,
  waits: number,
  resource: string,
): void {
  if (context.remainingMs === undefined) return;
  const waitMs = deps.config.elastiCacheWaitTimeoutMs;
  const remainingMs = context.remainingMs();
  if (waits * waitMs + ELASTICACHE_WAIT_RESERVE_MS <= remainingMs) return;
  context.logger.warn(
    "The worst case of this step's ElastiCache waits does not fit the Lambda function's " +
      "remaining time; a slow change will fail with ERR_WAIT_TIMEOUT. Raise the function's " +
      'timeout to at least waits x MAX_WAITING_TIME_FOR_ACTIVE_IN_SECONDS + 30 s, or lower the wait',
    { resource, waits, waitMs, remainingMs },
  );
}

/**
 * Poll until `ready`, at most ELASTICACHE_WAIT_TIMEOUT_MS and never past the Lambda's remaining
 * time less ELASTICACHE_WAIT_RESERVE_MS; then ERR_WAIT_TIMEOUT naming the resource, its last
 * status and the time waited.
 */
export async function waitFor<T extends { readonly status: string }>(
  deps: ModeDeps,
  describe: () => Promise<T>,
  ready: (state: T) => boolean,
  resource: string,
  wanted: string,
  context: Pick<RotationContext, 'logger' | 'remainingMs'>,
): Promise<T> {
  const configured = deps.config.elastiCacheWaitTimeoutMs;
  const left =
    context.remainingMs === undefined ? undefined : context.remainingMs() - ELASTICACHE_WAIT_RESERVE_MS;
  const budgetMs = Math.max(0, left === undefined ? configured : Math.min(configured, left));
  const byLambda = left !== undefined && left < configured;
  const waited = await pollUntil(
    deps,
    { timeoutMs: budgetMs, intervalMs: deps.config.elastiCachePollIntervalMs },
    async () => {
      const state = await describe();
      if (ready(state)) return { done: true, value: state };
      context.logger.debug('Waiting for ElastiCache', { resource, status: state.status });
      return { done: false, last: state };
    },
  );
  if (waited.done) return waited.value;
  const { last: state, polls } = waited;
  const bound = byLambda ? "the Lambda function's remaining time" : 'ELASTICACHE_WAIT_TIMEOUT_MS';
  throw new RotationError(
    ErrorCode.ERR_WAIT_TIMEOUT,
    `${resource} is still "${state.status}" after ${budgetMs} ms (${polls} checks, bounded by ${bound}); expected "${wanted}"`,
    {
      details: {
        resource,
        status: state.status,
        waitedMs: budgetMs,
        polls,
        boundedBy: byLambda ? 'lambda' : 'config',
      },
    },
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

/**
 * The secret's group or user id; refused when the function was not deployed for it (or was
 * deployed without the list: ELASTICACHE_*_IDS unset). Before any ElastiCache call.
 */
function requireField(
  value: string | undefined,
  field: 'replicationGroupId' | 'userId',
  secretArn: string,
  allowed: AllowList | undefined,
): string {
  if (value === undefined) {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Secret ${secretArn}: field "${field}" is required in this mode`,
      { details: { secretArn, field } },
    );
  }
  const isUser = field === 'userId';
  requireAllowed(allowed, isUser ? 'ELASTICACHE_USER_IDS' : 'ELASTICACHE_REPLICATION_GROUP_IDS', {
    what: isUser ? 'ElastiCache user' : 'replication group',
    key: value,
    name: value,
    secretArn,
    field,
  });
  return value;
}
