/**
 * Identifier and literal quoting for the few statements that cannot take bind
 * parameters (ALTER ROLE, CREATE ROLE, GRANT). Quoting is done here, in one place, and
 * every role name passes through `quoteIdentifier`.
 */

/** PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated by the server. */
export const MAX_IDENTIFIER_BYTES = 63;

export const CLONE_SUFFIX = '_clone';

/** Why `name` cannot be a role name, or undefined when it can. Never echoes the name. */
export function checkIdentifier(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.includes('\0')) return 'contains a NUL character';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES)
    return `is ${bytes} bytes long; PostgreSQL role names are at most ${MAX_IDENTIFIER_BYTES} bytes`;
  return undefined;
}

/** A double-quoted identifier: case, spaces, quotes and unicode survive as written. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new TypeError('identifier contains a NUL character');
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A single-quoted string literal with standard_conforming_strings (on by default since
 * PostgreSQL 9.1). Backslashes force the E'' form so the literal means the same either way.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('literal contains a NUL character');
  const escaped = value.replaceAll("'", "''");
  return value.includes('\\') ? `E'${escaped.replaceAll('\\', '\\\\')}'` : `'${escaped}'`;
}

/** AWS's alternating-users naming: strip a trailing `_clone`, or append one. */
export function alternateUsername(username: string): string {
  return username.endsWith(CLONE_SUFFIX)
    ? username.slice(0, -CLONE_SUFFIX.length)
    : `${username}${CLONE_SUFFIX}`;
}

/** The name both logins share, the one without `_clone`. */
export function baseUsername(username: string): string {
  return username.endsWith(CLONE_SUFFIX) ? username.slice(0, -CLONE_SUFFIX.length) : username;
}
