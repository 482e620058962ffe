import { requireAllowed } from '../../shared/allow-list.ts';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { pollUntil, type PollClock } from '../../shared/poll.ts';
import { FailureReason } from './login-failure.ts';
import type { BreakGlassSettings } from './postgres-config.ts';
import type { PostgresSecret } from './postgres-secret.ts';
import {
  attemptReasons,
  endpointFor,
  noWorkingCredential,
  tryLogin,
  type LoginAttempt,
  type PgAccess,
} from './postgres-target.ts';
import type { RdsPort, RdsTarget } from './rds-port.ts';

/** What break-glass needs: its settings, the database to wait on, RDS (made on first use), a clock. */
export interface BreakGlass {
  readonly settings: BreakGlassSettings;
  readonly access: PgAccess;
  readonly rds: () => RdsPort;
  readonly clock: PollClock;
}

const PASSWORD_REASONS: readonly (FailureReason | undefined)[] = [
  FailureReason.wrongPassword,
  FailureReason.roleMissing,
];

/**
 * Break-glass (PG_BREAK_GLASS=true): when no stored credential logs in only because of
 * the password, and the secret names an RDS instance or cluster whose master user it is,
 * set the pending password through ModifyDBInstance / ModifyDBCluster and wait, bounded by
 * PG_BREAK_GLASS_WAIT_MS, until it logs in. Returns false when break-glass does not apply.
 * The RDS API receives the password itself (over TLS to AWS): that is the API's contract.
 */
export async function attemptBreakGlass(
  breakGlass: BreakGlass,
  pending: PostgresSecret,
  attempts: readonly LoginAttempt[],
): Promise<boolean> {
  const { settings, access, rds, clock } = breakGlass;
  const { logger } = access;
  if (!settings.breakGlass) return false;
  const target: RdsTarget | undefined = pending.dbClusterIdentifier
    ? { kind: 'cluster', identifier: pending.dbClusterIdentifier }
    : pending.dbInstanceIdentifier
      ? { kind: 'instance', identifier: pending.dbInstanceIdentifier }
      : undefined;
  if (target === undefined) {
    logger.info('Break-glass is on but the secret names no dbInstanceIdentifier or dbClusterIdentifier', {
      user: pending.username,
    });
    return false;
  }
  if (!attemptReasons(attempts).every((reason) => PASSWORD_REASONS.includes(reason))) {
    logger.info('Break-glass skipped: a login failed for a reason a password reset cannot fix', {
      user: pending.username,
    });
    return false;
  }
  // Only the databases it was deployed for (the RDS port checks every call too), before any RDS call.
  requireAllowed(settings.breakGlassResources, 'PG_BREAK_GLASS_RESOURCE_ARNS', {
    what: target.kind === 'cluster' ? 'RDS cluster' : 'RDS instance',
    key: `${target.kind === 'cluster' ? 'cluster' : 'db'}:${target.identifier.toLowerCase()}`,
    name: target.identifier,
    field: target.kind === 'cluster' ? 'dbClusterIdentifier' : 'dbInstanceIdentifier',
  });
  const masterUsername =
    target.kind === 'cluster'
      ? (await rds().describeDbCluster(target.identifier))?.masterUsername
      : (await rds().describeDbInstance(target.identifier))?.masterUsername;
  if (masterUsername !== pending.username) {
    throw noWorkingCredential(
      pending,
      attempts,
      `; break-glass refused: "${pending.username}" is not the master user of RDS ${target.kind} ${target.identifier}`,
    );
  }
  logger.warn(
    'Break-glass: no stored credential logs in; resetting the master password through the RDS API',
    { user: pending.username, rdsTarget: target.kind, identifier: target.identifier },
  );
  await rds().resetMasterPassword(target, pending.password);
  const waited = await pollUntil(
    clock,
    { timeoutMs: settings.breakGlassWaitMs, intervalMs: settings.breakGlassPollMs },
    async () => {
      const login = await tryLogin(access, endpointFor(pending, access.tls), 'pending');
      if (!login.ok) return { done: false, last: login.attempt };
      await login.session.close();
      return { done: true, value: undefined };
    },
  );
  if (waited.done) {
    logger.warn('Break-glass: the reset password logs in', {
      user: pending.username,
      identifier: target.identifier,
    });
    return true;
  }
  const last = waited.last;
  throw new RotationError(
    ErrorCode.ERR_WAIT_TIMEOUT,
    `Break-glass: the master password of RDS ${target.kind} ${target.identifier} was reset ` +
      `but user "${pending.username}" could not log in with it within ` +
      `${settings.breakGlassWaitMs} ms (last: ${last.error.code})`,
    {
      cause: last.error,
      details: {
        identifier: target.identifier,
        user: pending.username,
        waitMs: settings.breakGlassWaitMs,
      },
    },
  );
}
