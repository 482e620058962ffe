import { quoteIdentifier, quoteLiteral } from './sql-identifier.ts';

/**
 * The SQL the function sends. Utility statements take no bind parameters, so names go
 * through quoteIdentifier and the only literals are a password hash (an md5 hash or a SCRAM
 * verifier, never a plaintext password), a timestamp, a role name or a setting value.
 */

export interface PasswordOptions {
  /** Also set VALID UNTIL (ISO 8601); needs CREATEROLE, which a user changing its own password may lack. */
  readonly validUntil?: string;
}

function validUntilClause(options: PasswordOptions): string {
  return options.validUntil === undefined ? '' : ` VALID UNTIL ${quoteLiteral(options.validUntil)}`;
}

/** Never re-grants LOGIN: a NOLOGIN role is a DBA's decision (see noLoginError). */
export function alterPasswordSql(user: string, verifier: string, options: PasswordOptions = {}): string {
  return `ALTER ROLE ${quoteIdentifier(user)} WITH PASSWORD ${quoteLiteral(verifier)}${validUntilClause(options)}`;
}

export function createLoginSql(user: string, verifier: string, options: PasswordOptions = {}): string {
  return `CREATE ROLE ${quoteIdentifier(user)} WITH LOGIN PASSWORD ${quoteLiteral(verifier)}${validUntilClause(options)}`;
}

export function createNoLoginSql(role: string): string {
  return `CREATE ROLE ${quoteIdentifier(role)} WITH NOLOGIN`;
}

export function grantRoleSql(role: string, member: string): string {
  return `GRANT ${quoteIdentifier(role)} TO ${quoteIdentifier(member)}`;
}

/** Make `user` act as `role` from login on, so what it creates is owned by `role`. */
export function setDefaultRoleSql(user: string, role: string): string {
  return `ALTER ROLE ${quoteIdentifier(user)} SET role = ${quoteLiteral(role)}`;
}

/**
 * Admin sessions run in the user's database, whose owner may be the very user being rotated:
 * it can `ALTER DATABASE … SET search_path = public, pg_catalog` and define `public.=(name,
 * name)` or `public.count(boolean)`, which a superuser running unqualified SQL would call.
 * So every admin session first pins its search_path to the catalog (this call is itself
 * qualified), and every catalog statement below names its operators, functions and types by
 * schema (`OPERATOR(pg_catalog.=)`, `pg_catalog.count`): nothing a user defines is resolved.
 * `test/functions/postgres/role-statements.test.ts` checks each statement for that.
 */
export const PINNED_SEARCH_PATH = 'pg_catalog, pg_temp';
export const PIN_SEARCH_PATH_SQL = `SELECT pg_catalog.set_config('search_path', '${PINNED_SEARCH_PATH}', false)`;

/**
 * The database's owner can also `ALTER DATABASE … SET role = <itself>`: every session there,
 * a superuser admin's included (a superuser is a member of every role), then starts as that
 * role, and RESET ROLE returns to that same default. SET ROLE NONE makes the session act as
 * its login (the admin) again: per session (PG_SERVER_TIMEOUTS=off), else as SET LOCAL in every
 * transaction, like the search_path pin. The admin then checks who it is (ADMIN_IDENTITY_SQL):
 * current_user and session_user must both be the admin, else ERR_TARGET_UNSAFE.
 */
export const ACT_AS_LOGIN_SQL = 'SET ROLE NONE';
export const ADMIN_IDENTITY_SQL =
  'SELECT pg_catalog."current_user"() AS current_user, pg_catalog."session_user"() AS session_user';

export const ROLE_EXISTS_SQL =
  'SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name';

export const IS_DIRECT_MEMBER_SQL =
  'SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles r ON r.oid ' +
  'OPERATOR(pg_catalog.=) m.roleid JOIN pg_catalog.pg_roles u ON u.oid ' +
  'OPERATOR(pg_catalog.=) m.member WHERE r.rolname OPERATOR(pg_catalog.=) ' +
  '$1::pg_catalog.name AND u.rolname OPERATOR(pg_catalog.=) $2::pg_catalog.name';

/** End `user`'s sessions that started before this statement, except our own. */
export const TERMINATE_SESSIONS_SQL =
  'SELECT pg_catalog.count(pg_catalog.pg_terminate_backend(pid))::pg_catalog.int4 AS ' +
  'terminated FROM pg_catalog.pg_stat_activity WHERE usename OPERATOR(pg_catalog.=) ' +
  '$1::pg_catalog.name AND pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid() AND ' +
  'backend_start OPERATOR(pg_catalog.<) pg_catalog.statement_timestamp()';

/** Run in the user's own session (its own privileges): keywords only, no operator or function. */
export const PROBE_SQL = 'SELECT current_user AS current_user, session_user AS session_user';

/** The server setting, read in the session that will set the password (admin-safe). */
export const PASSWORD_ENCRYPTION_SQL =
  "SELECT pg_catalog.current_setting('password_encryption') AS password_encryption";

/** One role's facts; admin-safe (every operator and function named by schema, see role-statements.ts). */
export const ROLE_FACTS_SQL = `SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolinherit,
  r.rolreplication, r.rolbypassrls, r.rolconnlimit,
  CASE WHEN pg_catalog.isfinite(r.rolvaliduntil)
    THEN pg_catalog.to_char(pg_catalog.timezone('UTC', r.rolvaliduntil), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END AS valid_until,
  (r.rolvaliduntil OPERATOR(pg_catalog.<) pg_catalog.now()) IS TRUE AS expired
FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name`;

/** One role's per-role settings, by database (none for "every database"); admin-safe (see role-statements.ts). */
export const ROLE_SETTINGS_SQL = `SELECT r.rolname, d.datname, s.setconfig
FROM pg_catalog.pg_db_role_setting s
JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.setrole
LEFT JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.setdatabase
WHERE r.rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name`;

/** Every catalog statement an admin session runs (for the qualification test). */
export const ADMIN_CATALOG_SQL: readonly string[] = Object.freeze([
  PIN_SEARCH_PATH_SQL,
  ADMIN_IDENTITY_SQL,
  ROLE_EXISTS_SQL,
  IS_DIRECT_MEMBER_SQL,
  TERMINATE_SESSIONS_SQL,
  PASSWORD_ENCRYPTION_SQL,
  ROLE_FACTS_SQL,
  ROLE_SETTINGS_SQL,
]);
