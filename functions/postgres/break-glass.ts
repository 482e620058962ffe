import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { pollUntil } from '../../shared/poll.ts';
import { FailureReason } from './login-failure.ts';
import type { PostgresSecret } from './postgres-secret.ts';
import {
  attemptReasons,
  endpointFor,
  noWorkingCredential,
  tryLogin,
  type LoginAttempt,
  type TargetDeps,
} from './postgres-target.ts';
import type { RdsPort, RdsTarget } from './rds-port.ts';

export interface BreakGlassDeps extends TargetDeps {
  readonly rds: () => RdsPort;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
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
  deps: BreakGlassDeps,
  pending: PostgresSecret,
  attempts: readonly LoginAttempt[],
): Promise<boolean> {
  if (!deps.config.breakGlass) return false;
  const target: RdsTarget | undefined = pending.dbClusterIdentifier
    ? { kind: 'cluster', identifier: pending.dbClusterIdentifier }
    : pending.dbInstanceIdentifier
      ? { kind: 'instance', identifier: pending.dbInstanceIdentifier }
      : undefined;
  if (target === undefined) {
    deps.logger.info(
      'Break-glass is on but the secret names no dbInstanceIdentifier or dbClusterIdentifier',
      { user: pending.username },
    );
    return false;
  }
  if (!attemptReasons(attempts).every((reason) => PASSWORD_REASONS.includes(reason))) {
    deps.logger.info('Break-glass skipped: a login failed for a reason a password reset cannot fix', {
      user: pending.username,
    });
    return false;
  }
  const masterUsername =
    target.kind === 'cluster'
      ? (await deps.rds().describeDbCluster(target.identifier))?.masterUsername
      : (await deps.rds().describeDbInstance(target.identifier))?.masterUsername;
  if (masterUsername !== pending.username) {
    throw noWorkingCredential(
      pending,
      attempts,
      `; break-glass refused: "${pending.username}" is not the master user of RDS ${target.kind} ${target.identifier}`,
    );
  }
  deps.logger.warn(
    'Break-glass: no stored credential logs in; resetting the master password through the RDS API',
    { user: pending.username, rdsTarget: target.kind, identifier: target.identifier },
  );
  await deps.rds().resetMasterPassword(target, pending.password);
  const waited = await pollUntil(
    deps,
    { timeoutMs: deps.config.breakGlassWaitMs, intervalMs: deps.config.breakGlassPollMs },
    async () => {
      const login = await tryLogin(deps, endpointFor(pending, deps.config), 'pending');
      if (!login.ok) return { done: false, last: login.attempt };
      await login.session.close();
      return { done: true, value: undefined };
    },
  );
  if (waited.done) {
    deps.logger.warn('Break-glass: the reset password logs in', {
      user: pending.username,
      identifier: target.identifier,
    });
    return true;
  }
  const last = waited.last;
  throw new RotationError(
    ErrorCode.ERR_WAIT_TIMEOUT,
    `Break-glass: the master password of RDS ${target.kind} ${target.identifier} was reset but user "${pending.username}" could not log in with it within ${deps.config.breakGlassWaitMs} ms (last: ${last.error.code})`,
    {
      cause: last.error,
      details: {
        identifier: target.identifier,
        user: pending.username,
        waitMs: deps.config.breakGlassWaitMs,
      },
    },
  );
}
