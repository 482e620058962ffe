import { ErrorCode, RotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import type { CreateInput, FinishInput, FinishReport, StepInput } from '../../shared/strategy.ts';
import { attemptBreakGlass, type BreakGlass } from './break-glass.ts';
import { assertSameTarget } from './identity-check.ts';
import { newPassword, type PasswordSource } from './new-password.ts';
import { recentPasswordsOf } from './password-history.ts';
import { withSession, type PgSession } from './pg-connector.ts';
import type { RolePasswordSettings } from './postgres-config.ts';
import { withCredentials, type PostgresSecret } from './postgres-secret.ts';
import {
  endpointFor,
  noWorkingCredential,
  tryLogin,
  type LoginAttempt,
  type PgAccess,
} from './postgres-target.ts';
import { TERMINATE_SESSIONS_SQL, alterPasswordSql } from './role-statements.ts';
import { hashMethodIn, passwordVerifier, type HashMethod } from './password-encryption.ts';
import { decideValidUntil, readRoleFacts } from './role-facts.ts';

/** What single-user setSecret needs: the database, how the password is stored, a clock, break-glass. */
export interface SingleUserSet {
  readonly access: PgAccess;
  readonly settings: RolePasswordSettings;
  readonly now: () => number;
  readonly breakGlass: BreakGlass;
}

/** Single user: the user logs in as itself and changes its own password (AWS's SingleUser function, fixed). */
export async function createSingleUserPending(
  passwords: PasswordSource,
  logger: Log,
  { current, previous, context }: CreateInput<PostgresSecret>,
): Promise<PostgresSecret> {
  const recent = await recentPasswordsOf({
    secrets: context.secrets,
    secretId: context.secretArn,
    username: current.username,
    labelled: [current.password, previous?.username === current.username ? previous.password : undefined],
    skipVersionIds: [context.versionIds.pending, context.versionIds.current, context.versionIds.previous],
    logger,
  });
  return withCredentials(
    current,
    current.username,
    await newPassword(passwords.generator, passwords.policy, recent),
  );
}

/**
 * Try pending (already applied: done), then current, then previous (with current's TLS
 * settings, as AWS does); on the first login that works, set the pending password as an md5
 * hash or SCRAM verifier (setOwnPassword). When none works, the error names the reason for
 * each credential tried.
 */
export async function setSingleUserSecret(
  single: SingleUserSet,
  { current, pending, previous }: StepInput<PostgresSecret>,
): Promise<void> {
  const { access } = single;
  const { logger } = access;
  assertSameTarget(current, pending, current.username);
  const attempts: LoginAttempt[] = [];
  const pendingLogin = await tryLogin(access, endpointFor(pending, access.tls), 'pending');
  if (pendingLogin.ok) {
    await pendingLogin.session.close();
    logger.info('Pending password is already set; nothing to do', {
      user: pending.username,
      host: pending.host,
    });
    return;
  }
  attempts.push(pendingLogin.attempt);
  const candidates: [string, PostgresSecret | undefined][] = [
    ['current', current],
    ['previous', previous],
  ];
  for (const [credential, secret] of candidates) {
    if (secret === undefined) continue;
    if (
      secret.username !== current.username ||
      secret.host.toLowerCase() !== current.host.toLowerCase() ||
      secret.port !== current.port
    ) {
      logger.warn('Skipping a version that names another login', {
        credential,
        user: secret.username,
        host: secret.host,
      });
      continue;
    }
    const login = await tryLogin(access, endpointFor(secret, access.tls, current.tls), credential);
    if (!login.ok) {
      attempts.push(login.attempt);
      continue;
    }
    let done: { method: HashMethod; extendTo: string | undefined };
    try {
      done = await setOwnPassword(single.settings, single.now, login.session, pending);
    } finally {
      await login.session.close();
    }
    logger.info('Set the pending password', {
      user: pending.username,
      host: pending.host,
      loggedInWith: credential,
      passwordHash: done.method,
      ...(done.extendTo === undefined ? {} : { validUntil: done.extendTo }),
    });
    return;
  }
  if (await attemptBreakGlass(single.breakGlass, pending, attempts)) return;
  throw noWorkingCredential(current, attempts);
}

/**
 * As the user itself: apply PG_VALID_UNTIL (refuse before changing anything, or extend with
 * the new password), then set the password as the hash the session's password_encryption
 * asks for (md5 or SCRAM; PG_PASSWORD_ENCRYPTION=scram-sha-256 forces SCRAM).
 */
async function setOwnPassword(
  settings: RolePasswordSettings,
  now: () => number,
  session: PgSession,
  pending: PostgresSecret,
): Promise<{ method: HashMethod; extendTo: string | undefined }> {
  const where = { host: pending.host, port: pending.port };
  const self = (await readRoleFacts(session, [pending.username])).get(pending.username);
  const { extendTo } = decideValidUntil([self], settings, { ...where, now: now() });
  if (extendTo !== undefined && self !== undefined && !self.superuser && !self.createRole) {
    throw new RotationError(
      ErrorCode.ERR_TARGET_ROLE_VALID_UNTIL,
      `Role "${pending.username}" on ${pending.host}:${pending.port} has VALID UNTIL ` +
        `${self.validUntil}, and PG_VALID_UNTIL=extend needs CREATEROLE to change it, which a ` +
        `single user changing its own password lacks; nothing was changed. Use alternating users ` +
        `(the admin extends it) or clear its VALID UNTIL`,
      { details: { user: pending.username, ...where, validUntil: self.validUntil } },
    );
  }
  const method = await hashMethodIn(session, settings.passwordEncryption);
  const verifier = passwordVerifier(pending.password, {
    method,
    user: pending.username,
    scramIterations: settings.scramIterations,
  });
  await session.query(
    alterPasswordSql(pending.username, verifier, extendTo === undefined ? {} : { validUntil: extendTo }),
    undefined,
    'ALTER ROLE',
  );
  return { method, extendTo };
}

/** Emergency, opt-in: end the user's sessions that started before now (they may hold the leaked password). */
export async function finishSingleUserSecret(
  access: PgAccess,
  terminateSessions: boolean,
  { current, context }: FinishInput<PostgresSecret>,
): Promise<FinishReport | void> {
  const { logger } = access;
  if (!context.emergency) return;
  // The old password stopped working at setSecret (ALTER ROLE ... PASSWORD on the one login).
  const replaced = `old password of login "${current.username}" on ${current.host}:${current.port} (replaced at setSecret)`;
  if (!terminateSessions) {
    logger.info(
      'Emergency rotation: sessions of the user are left running (PG_EMERGENCY_TERMINATE_SESSIONS is off)',
      { user: current.username },
    );
    return { revoked: [replaced] };
  }
  const rows = await withSession(access.connector, endpointFor(current, access.tls), 'current', (session) =>
    session.query(TERMINATE_SESSIONS_SQL, [current.username], 'terminate sessions'),
  );
  logger.warn(
    'Emergency rotation: terminated the sessions of the user that started before the rotation finished',
    {
      user: current.username,
      host: current.host,
      terminated: rows[0]?.['terminated'] ?? 0,
    },
  );
  return {
    revoked: [replaced, `${String(rows[0]?.['terminated'] ?? 0)} older session(s) of "${current.username}"`],
  };
}
