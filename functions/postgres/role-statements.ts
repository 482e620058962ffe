import { quoteIdentifier, quoteLiteral } from './sql-identifier.ts';

/**
 * The SQL the function sends. Utility statements take no bind parameters, so names go
 * through quoteIdentifier and the only literal is a SCRAM verifier (never a plaintext
 * password) or a role name.
 */

/** `login`: also (re)grant LOGIN, which needs CREATEROLE; a user changing its own password must not ask for it. */
export function alterPasswordSql(
  user: string,
  verifier: string,
  options: { readonly login?: boolean } = {},
): string {
  return `ALTER ROLE ${quoteIdentifier(user)} WITH ${options.login ? 'LOGIN ' : ''}PASSWORD ${quoteLiteral(verifier)}`;
}

export function createLoginSql(user: string, verifier: string): string {
  return `CREATE ROLE ${quoteIdentifier(user)} WITH LOGIN PASSWORD ${quoteLiteral(verifier)}`;
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

export const ROLE_EXISTS_SQL = 'SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1';

export const IS_DIRECT_MEMBER_SQL =
  'SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles r ON r.oid = m.roleid JOIN pg_catalog.pg_roles u ON u.oid = m.member WHERE r.rolname = $1 AND u.rolname = $2';

/** End `user`'s sessions that started before this statement, except our own. */
export const TERMINATE_SESSIONS_SQL =
  'SELECT count(pg_catalog.pg_terminate_backend(pid))::int AS terminated FROM pg_catalog.pg_stat_activity WHERE usename = $1 AND pid <> pg_catalog.pg_backend_pid() AND backend_start < pg_catalog.statement_timestamp()';

export const PROBE_SQL = 'SELECT current_user AS current_user, session_user AS session_user';
