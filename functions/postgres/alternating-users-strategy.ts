import { randomBytes } from 'node:crypto';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import type { Log } from '../../shared/observability.ts';
import type { SecretsPort } from '../../shared/secrets-port.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type { CreateInput, FinishInput, FinishReport, StepInput } from '../../shared/strategy.ts';
import { resolveAdminLogin, type AdminLogin } from './admin-secret.ts';
import { assertSameTarget } from './identity-check.ts';
import { newPassword, type PasswordSource } from './new-password.ts';
import { recentPasswordsOf } from './password-history.ts';
import { ServerTimeouts, type PgEndpoint, type PgSession } from './pg-connector.ts';
import {
  AlternatingNaming,
  type AlternatingNamingSettings,
  type RolePasswordSettings,
} from './postgres-config.ts';
import { withCredentials, type PostgresSecret } from './postgres-secret.ts';
import { endpointFor, noWorkingCredential, tryLogin, type PgAccess } from './postgres-target.ts';
import type { RdsPort } from './rds-port.ts';
import {
  IS_DIRECT_MEMBER_SQL,
  PINNED_SEARCH_PATH,
  ACT_AS_LOGIN_SQL,
  ADMIN_IDENTITY_SQL,
  PIN_SEARCH_PATH_SQL,
  PROBE_SQL,
  ROLE_EXISTS_SQL,
  TERMINATE_SESSIONS_SQL,
  alterPasswordSql,
  createLoginSql,
  createNoLoginSql,
  grantRoleSql,
  setDefaultRoleSql,
} from './role-statements.ts';
import { copyOriginalToClone, type CopiedChanges } from './clone-fidelity.ts';
import { FailureReason, failureReason } from './login-failure.ts';
import { hashMethodIn, passwordVerifier } from './password-encryption.ts';
import { decideValidUntil, noLoginError, readRoleFacts } from './role-facts.ts';
import { alternateUsername, baseUsername, checkIdentifier } from './sql-identifier.ts';
import { resolveTls } from './tls-settings.ts';

/** What the admin's steps need: the database, RDS (made on first use), how logins are named and stored, a clock. */
export interface AlternatingUsersAdmin {
  readonly access: PgAccess;
  readonly rds: () => RdsPort;
  /** PG_SERVER_TIMEOUTS: whether the admin session pins its search_path itself. */
  readonly serverTimeouts: ServerTimeouts;
  readonly naming: AlternatingNamingSettings;
  readonly settings: RolePasswordSettings;
  readonly now: () => number;
}

/** The NOLOGIN role both logins act as, in owner-role naming; undefined in clone naming. */
export function ownerRoleFor(naming: AlternatingNamingSettings, secret: PostgresSecret): string | undefined {
  if (naming.alternatingNaming !== AlternatingNaming.ownerRole) return undefined;
  const owner = naming.ownerRole ?? `${baseUsername(secret.username)}_owner`;
  const problem = checkIdentifier(owner);
  if (problem !== undefined) {
    throw new RotationError(
      ErrorCode.ERR_CONFIG_INVALID,
      `Owner role name for user "${secret.username}" ${problem}; set PG_OWNER_ROLE`,
      { details: { variable: 'PG_OWNER_ROLE' } },
    );
  }
  return owner;
}

/** The alternate login: `<user>` <-> `<user>_clone` (AWS's naming), within 63 bytes. */
export function alternateOf(username: string): string {
  const alternate = alternateUsername(username);
  const problem = checkIdentifier(alternate);
  if (problem !== undefined) {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `The alternate user name for "${username}" ${problem}; shorten the user name`,
      { details: { field: 'username', user: username } },
    );
  }
  return alternate;
}

export async function createAlternatingPending(
  passwords: PasswordSource,
  logger: Log,
  { current, previous, context }: CreateInput<PostgresSecret>,
): Promise<PostgresSecret> {
  // Refuse before storing anything: setSecret could not act without an admin secret.
  if (current.masterArn === undefined) {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      'Alternating-users rotation needs the secret field "masterarn" (the admin secret ARN)',
      { details: { field: 'masterarn' } },
    );
  }
  const username = alternateOf(current.username);
  const history = await recentPasswordsOf({
    secrets: context.secrets,
    secretId: context.secretArn,
    username,
    labelled: [previous?.username === username ? previous.password : undefined],
    skipVersionIds: [context.versionIds.pending, context.versionIds.current, context.versionIds.previous],
    logger,
  });
  // Never the other login's current password either.
  const recent = [...history, current.password];
  return withCredentials(current, username, await newPassword(passwords.generator, passwords.policy, recent));
}

function adminEndpoint(access: PgAccess, admin: AdminLogin): PgEndpoint {
  return {
    host: admin.host,
    port: admin.port,
    database: admin.database,
    user: admin.username,
    password: admin.password,
    tls: resolveTls(admin.tls, access.tls),
    pinnedSearchPath: PINNED_SEARCH_PATH,
    actAsLogin: true,
  };
}

/** The admin session must act as the admin: not as a role the user's database makes it start as. */
async function assertActsAsAdmin(session: PgSession, admin: AdminLogin): Promise<void> {
  const [row] = await session.query(ADMIN_IDENTITY_SQL, undefined, 'admin identity check');
  const current = row?.['current_user'];
  const sessionUser = row?.['session_user'];
  if (current === admin.username && sessionUser === admin.username) return;
  throw new RotationError(
    ErrorCode.ERR_TARGET_UNSAFE,
    `Admin secret ${admin.arn}: the admin session in database ${admin.database} acts as ` +
      `another role than its login ${admin.username} (the database or role sets one, and SET ` +
      `ROLE NONE did not undo it); refusing to run admin statements`,
    {
      details: {
        adminSecretArn: admin.arn,
        database: admin.database,
        currentUser: typeof current === 'string' ? current.slice(0, 63) : undefined,
        sessionUser: typeof sessionUser === 'string' ? sessionUser.slice(0, 63) : undefined,
      },
    },
  );
}

async function adminSession<R>(
  { access, serverTimeouts }: Pick<AlternatingUsersAdmin, 'access' | 'serverTimeouts'>,
  admin: AdminLogin,
  work: (session: PgSession) => Promise<R>,
): Promise<R> {
  const login = await tryLogin(access, adminEndpoint(access, admin), 'admin');
  if (!login.ok) {
    const error = login.attempt.error;
    throw new RotationError(
      ErrorCode.ERR_ADMIN_SECRET_INVALID,
      `Admin secret ${admin.arn}: ${error.message}`,
      {
        cause: error,
        details: { ...error.details, adminSecretArn: admin.arn, causeCode: error.code },
      },
    );
  }
  try {
    // Before anything else: the user's database may set a search_path that shadows the catalog.
    // With per-transaction server settings the connector pins it in every transaction instead
    // (endpoint.pinnedSearchPath): a session-level pin would stay on a transaction pooler's
    // server connection for its next client.
    // Likewise the role: the database may make the session start as its owner (see ACT_AS_LOGIN_SQL).
    if (serverTimeouts === ServerTimeouts.off) {
      await login.session.query(ACT_AS_LOGIN_SQL, undefined, 'SET ROLE NONE');
      await login.session.query(PIN_SEARCH_PATH_SQL, undefined, 'pin search_path');
    }
    await assertActsAsAdmin(login.session, admin);
    return await work(login.session);
  } finally {
    await login.session.close();
  }
}

async function exists(session: PgSession, sql: string, values: readonly string[]): Promise<boolean> {
  return (await session.query(sql, values, 'catalog lookup')).length > 0;
}

/**
 * Pending logs in: done. Otherwise prove the current credentials still work (AWS's
 * confused-deputy check; a current login whose VALID UNTIL has passed is reported as
 * expired), then as admin, in one transaction: refuse a NOLOGIN pending login and apply
 * PG_VALID_UNTIL before anything changes; create or update the alternate login with the
 * hash the server's password_encryption asks for (md5 or SCRAM, see password-encryption.ts);
 * when the clone is handed out, copy the original's membership, attributes and per-role
 * settings to it (clone-fidelity.ts); owner-role naming makes both logins members of the
 * NOLOGIN owner role and sets it as their role at login, so what either creates is owned by
 * the owner.
 */
export async function setAlternatingSecret(
  alternating: AlternatingUsersAdmin,
  { current, pending, context }: StepInput<PostgresSecret>,
): Promise<void> {
  const { access, rds, settings, now } = alternating;
  const { logger } = access;
  const { secrets } = context;
  assertSameTarget(current, pending, alternateOf(current.username));
  const owner = ownerRoleFor(alternating.naming, current);
  const pendingLogin = await tryLogin(access, endpointFor(pending, access.tls), 'pending');
  if (pendingLogin.ok) {
    // In owner-role naming the login must also act as the owner role (it may predate the switch to that naming).
    let done = owner === undefined;
    try {
      if (!done)
        done =
          (await pendingLogin.session.query(PROBE_SQL, undefined, 'probe query'))[0]?.['current_user'] ===
          owner;
    } finally {
      await pendingLogin.session.close();
    }
    if (done) {
      logger.info('Pending user already logs in with the pending password; nothing to do', {
        user: pending.username,
        host: pending.host,
      });
      return;
    }
    logger.info('Pending user logs in but does not act as the owner role yet; setting it up', {
      user: pending.username,
      ownerRole: owner,
    });
  }
  const attempts = pendingLogin.ok ? [] : [pendingLogin.attempt];
  const currentLogin = await tryLogin(access, endpointFor(current, access.tls), 'current');
  if (!currentLogin.ok) {
    if (failureReason(currentLogin.attempt.error) === FailureReason.wrongPassword) {
      const expired = await expiredLogin(alternating, secrets, current);
      if (expired !== undefined) throw expired;
    }
    throw noWorkingCredential(
      current,
      [...attempts, currentLogin.attempt],
      '; alternating users needs the current credentials to log in before the admin acts',
    );
  }
  await currentLogin.session.close();

  const admin = await resolveAdminLogin(current, { secrets, rds });
  const where = { host: pending.host, port: pending.port };
  await adminSession(alternating, admin, async (session) => {
    await session.query('BEGIN', undefined, 'BEGIN');
    try {
      const facts = await readRoleFacts(session, [current.username, pending.username]);
      const existing = facts.get(pending.username);
      // A NOLOGIN login is a DBA's lockout: refuse before changing anything.
      if (existing !== undefined && !existing.canLogin) throw noLoginError(pending.username, where);
      const { extendTo } = decideValidUntil([facts.get(current.username), existing], settings, {
        ...where,
        now: now(),
      });
      const method = await hashMethodIn(session, settings.passwordEncryption);
      const verifier = passwordVerifier(pending.password, {
        method,
        user: pending.username,
        scramIterations: settings.scramIterations,
      });
      const passwordOptions = extendTo === undefined ? {} : { validUntil: extendTo };
      const created = existing === undefined;
      await session.query(
        created
          ? createLoginSql(pending.username, verifier, passwordOptions)
          : alterPasswordSql(pending.username, verifier, passwordOptions),
        undefined,
        created ? 'CREATE ROLE' : 'ALTER ROLE',
      );
      let copied: CopiedChanges | undefined;
      const original = facts.get(baseUsername(current.username));
      if (pending.username !== baseUsername(pending.username) && original !== undefined) {
        // The clone is handed out: make it a faithful copy of the original (clone-fidelity.ts).
        const [clone] = (await readRoleFacts(session, [pending.username])).values();
        if (clone !== undefined)
          copied = await copyOriginalToClone(session, original, clone, owner === undefined);
      } else if (owner === undefined && created) {
        // AWS's grant, for a secret that started with the clone's name.
        await session.query(grantRoleSql(current.username, pending.username), undefined, 'GRANT');
      }
      if (owner !== undefined) {
        if (!(await exists(session, ROLE_EXISTS_SQL, [owner])))
          await session.query(createNoLoginSql(owner), undefined, 'CREATE ROLE');
        for (const login of [current.username, pending.username]) {
          if (!(await exists(session, IS_DIRECT_MEMBER_SQL, [owner, login])))
            await session.query(grantRoleSql(owner, login), undefined, 'GRANT');
          await session.query(setDefaultRoleSql(login, owner), undefined, 'ALTER ROLE SET role');
        }
      }
      await session.query('COMMIT', undefined, 'COMMIT');
      logger.info('Set the alternate login', {
        user: pending.username,
        created,
        passwordHash: method,
        ...(extendTo === undefined ? {} : { validUntil: extendTo }),
        ...(copied === undefined
          ? {}
          : {
              membershipRepaired: copied.membershipRepaired,
              attributesCopied: copied.attributes.join(' '),
              settingsCopied: copied.settingsCopied,
            }),
        ownerRole: owner,
        admin: admin.username,
        host: admin.host,
      });
    } catch (error) {
      await session.query('ROLLBACK', undefined, 'ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/**
 * The current login failed with what PostgreSQL reports as a wrong password: ask the admin
 * whether the role's VALID UNTIL has passed (PostgreSQL tells only its own log), so an
 * expired role is reported as expired. Undefined when it has not, or the admin cannot say.
 */
async function expiredLogin(
  alternating: AlternatingUsersAdmin,
  secrets: SecretsPort,
  current: PostgresSecret,
): Promise<RotationError | undefined> {
  try {
    const admin = await resolveAdminLogin(current, { secrets, rds: alternating.rds });
    const facts = await adminSession(alternating, admin, (session) =>
      readRoleFacts(session, [current.username]),
    );
    const role = facts.get(current.username);
    if (role?.expired !== true) return undefined;
    return new RotationError(
      ErrorCode.ERR_TARGET_ROLE_EXPIRED,
      `Role "${current.username}" on ${current.host}:${current.port} expired at ` +
        `${role.validUntil} (VALID UNTIL), so its current password no longer logs in (PostgreSQL ` +
        `reports this as a wrong password); nothing was changed. Clear or extend its VALID ` +
        `UNTIL, then rotate again`,
      {
        details: {
          user: current.username,
          host: current.host,
          port: current.port,
          validUntil: role.validUntil,
        },
      },
    );
  } catch {
    return undefined;
  }
}

/**
 * Emergency: the previous login (now AWSPREVIOUS) gets a random password nobody stores,
 * and its sessions are terminated. The next rotation gives it a stored password again.
 */
export async function finishAlternatingSecret(
  alternating: AlternatingUsersAdmin,
  { current, previous, context }: FinishInput<PostgresSecret>,
): Promise<FinishReport | void> {
  const { access, settings } = alternating;
  const { logger } = access;
  if (!context.emergency) return;
  if (previous === undefined || previous.username === current.username) {
    logger.warn('Emergency rotation: no previous login to revoke', { user: current.username });
    return { revoked: [] };
  }
  const admin = await resolveAdminLogin(current, { secrets: context.secrets, rds: alternating.rds });
  const rows = await adminSession(alternating, admin, async (session) => {
    const scrambled = passwordVerifier(new Sensitive(randomBytes(32).toString('base64')), {
      method: await hashMethodIn(session, settings.passwordEncryption),
      user: previous.username,
      scramIterations: settings.scramIterations,
    });
    await session.query(alterPasswordSql(previous.username, scrambled), undefined, 'ALTER ROLE');
    return session.query(TERMINATE_SESSIONS_SQL, [previous.username], 'terminate sessions');
  });
  logger.warn(
    'Emergency rotation: the previous login got an unstored random password and its sessions were terminated',
    {
      user: previous.username,
      host: admin.host,
      terminated: rows[0]?.['terminated'] ?? 0,
    },
  );
  return {
    revoked: [
      `password of login "${previous.username}" on ${admin.host} (replaced by an unstored ` +
        `random one; ${String(rows[0]?.['terminated'] ?? 0)} session(s) terminated)`,
    ],
  };
}
