import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { PROBE_SQL } from './role-statements.ts';
import { withSession } from './pg-connector.ts';
import type { PostgresSecret } from './postgres-secret.ts';
import { endpointFor, type PgAccess } from './postgres-target.ts';

/** Alternating users: the login the pending one replaces, whose memberships it must hold too. */
export interface ReplacedLogin {
  readonly username: string;
  /** Clone naming with the clone pending: the pending login must be a member of this one too. */
  readonly memberOfIt: boolean;
}

/**
 * Roles the replaced login is a member of (directly or through others) that the pending
 * login is not, leaving out the two logins themselves unless `memberOfIt`.
 */
const MISSING_MEMBERSHIPS_SQL = `SELECT r.rolname FROM pg_catalog.pg_roles r
WHERE pg_catalog.pg_has_role($1::pg_catalog.name, r.oid, 'MEMBER')
  AND NOT pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER')
  AND r.rolname OPERATOR(pg_catalog.<>) ALL($2::pg_catalog.text[])
ORDER BY r.rolname`;

/**
 * testSecret for every strategy: log in with the pending credentials over the configured
 * TLS mode, run a probe, check who we are (and, in owner-role mode, which role we act as);
 * in alternating users, check that the pending login holds every role membership the login
 * it replaces holds (so it can do what the old one could); then run the optional
 * PG_TEST_QUERY inside a READ ONLY transaction that is rolled back. A failed login keeps
 * its classified code; a failed check is ERR_TEST_FAILED.
 */
export async function probePendingLogin(
  access: PgAccess,
  testQuery: string | undefined,
  pending: PostgresSecret,
  expectedRole?: string,
  replaced?: ReplacedLogin,
): Promise<void> {
  const endpoint = endpointFor(pending, access.tls);
  const subject = { user: pending.username, host: pending.host, port: pending.port };
  await withSession(access.connector, endpoint, 'pending', async (session) => {
    const rows = await session.query(PROBE_SQL, undefined, 'probe query');
    const row = rows[0] ?? {};
    if (row['session_user'] !== pending.username) {
      throw new RotationError(
        ErrorCode.ERR_TEST_FAILED,
        `testSecret: logged in to ${pending.host}:${pending.port} but the session user is not "${pending.username}"`,
        { details: { ...subject } },
      );
    }
    if (expectedRole !== undefined && row['current_user'] !== expectedRole) {
      throw new RotationError(
        ErrorCode.ERR_TEST_FAILED,
        `testSecret: user "${pending.username}" on ${pending.host}:${pending.port} does not act as owner role "${expectedRole}"`,
        {
          details: { ...subject, ownerRole: expectedRole },
        },
      );
    }
    if (replaced !== undefined && replaced.username !== pending.username) {
      const skip = replaced.memberOfIt ? [pending.username] : [pending.username, replaced.username];
      const missing = (
        await session.query(MISSING_MEMBERSHIPS_SQL, [replaced.username, skip], 'membership check')
      ).map((row) => String(row['rolname']));
      if (missing.length > 0) {
        throw new RotationError(
          ErrorCode.ERR_TEST_FAILED,
          `testSecret: user "${pending.username}" on ${pending.host}:${pending.port} is not a ` +
            `member of ${missing.map((role) => `"${role}"`).join(', ')}, which ` +
            `"${replaced.username}" is a member of`,
          { details: { ...subject, replaced: replaced.username, missingMemberships: missing.join(',') } },
        );
      }
    }
    if (testQuery === undefined) return;
    await session.query('BEGIN READ ONLY', undefined, 'BEGIN READ ONLY');
    try {
      await session.query(testQuery, undefined, 'PG_TEST_QUERY');
    } catch (error) {
      throw new RotationError(
        ErrorCode.ERR_TEST_FAILED,
        `testSecret: PG_TEST_QUERY failed for user "${pending.username}" on ` +
          `${pending.host}:${pending.port} (${error instanceof RotationError ? error.code : 'error'})`,
        {
          cause: error,
          details: {
            ...subject,
            ...(error instanceof RotationError
              ? { causeCode: error.code, reason: error.details['reason'] as string | undefined }
              : {}),
          },
        },
      );
    } finally {
      await session.query('ROLLBACK', undefined, 'ROLLBACK').catch(() => undefined);
    }
  });
  access.logger.info('Pending credentials log in and pass the checks', {
    ...subject,
    testQuery: testQuery !== undefined,
  });
}
