import type { RotationError } from '../../shared/errors.ts';

/**
 * A libpq-style connection URL, split by hand rather than with WHATWG `URL`, because
 * dialect schemes (`postgresql+asyncpg://`) are "non-special" there and because a
 * hand-written password often holds raw `#`, `?` or `%`. Rules:
 *  - the user info ends at the last `@` before the first `/` after `scheme://`
 *    (so a raw `/` in a password must be percent-encoded, `#` and `?` need not be); an `@`
 *    after the host is refused, since it means a raw `/` cut the password short and a
 *    piece of it would be read, and logged, as the host;
 *  - user and password are percent-decoded; serialising encodes them again with
 *    encodeURIComponent, which leaves only `A-Za-z0-9-_.!~*'()` raw;
 *  - scheme, host, port, path and query are kept byte for byte.
 */
export interface ConnectionUrl {
  readonly scheme: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Host without IPv6 brackets. */
  readonly host: string;
  readonly port: number | undefined;
  /** The database (decoded path without the leading `/`). */
  readonly database: string | undefined;
  readonly params: URLSearchParams;
  /** `host[:port]` exactly as stored. */
  readonly rawAuthorityHost: string;
  /** Path, query and fragment exactly as stored. */
  readonly rawRest: string;
}

export type UrlProblem = (problem: string, field?: string) => RotationError;

export function parseConnectionUrl(text: string, fail: UrlProblem): ConnectionUrl {
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!schemeMatch?.[1]) throw fail('the URL has no scheme:// prefix', 'scheme');
  const scheme = schemeMatch[1];
  const rest = text.slice(schemeMatch[0].length);
  const slash = rest.indexOf('/');
  const authorityLimit = slash === -1 ? rest.length : slash;
  const at = rest.lastIndexOf('@', authorityLimit - 1);
  const userInfo = at === -1 ? undefined : rest.slice(0, at);
  const afterUserInfo = at === -1 ? rest : rest.slice(at + 1);
  const hostEnd = afterUserInfo.search(/[/?#]/);
  const rawAuthorityHost = hostEnd === -1 ? afterUserInfo : afterUserInfo.slice(0, hostEnd);
  const rawRest = hostEnd === -1 ? '' : afterUserInfo.slice(hostEnd);
  // An "@" past the host means a raw "/" in the user info cut it short: what now reads as the
  // host is part of the password. Refuse without naming any part (it would be logged as the host).
  if (rawRest.includes('@'))
    throw fail(
      'the URL has an "@" after its host, so a user name or password holds a raw "/" (percent-encode "/" as %2F and "@" as %40)',
      'password',
    );

  let username: string | undefined;
  let password: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    username = decode(colon === -1 ? userInfo : userInfo.slice(0, colon), fail, 'username');
    password = colon === -1 ? undefined : decode(userInfo.slice(colon + 1), fail, 'password');
  }

  const hostMatch = /^(\[[^\]]*\]|[^:[\]]*)(?::(.*))?$/.exec(rawAuthorityHost);
  if (!hostMatch) throw fail('the URL host cannot be parsed', 'host');
  const bracketed = hostMatch[1] ?? '';
  const host = bracketed.startsWith('[') ? bracketed.slice(1, -1) : bracketed;
  if (host === '') throw fail('the URL has no host', 'host');
  if (host.includes(',')) throw fail('the URL names several hosts; one host per secret is supported', 'host');
  const portText = hostMatch[2];
  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
      throw fail('the URL port must be an integer between 1 and 65535', 'port');
    port = Number(portText);
  }

  const queryStart = rawRest.indexOf('?');
  const fragmentStart = rawRest.indexOf('#');
  const pathEnd = [queryStart, fragmentStart]
    .filter((index) => index !== -1)
    .reduce((a, b) => Math.min(a, b), rawRest.length);
  const path = rawRest.slice(0, pathEnd);
  const query =
    queryStart === -1
      ? ''
      : rawRest.slice(queryStart + 1, fragmentStart > queryStart ? fragmentStart : undefined);
  const database = path.length > 1 ? decode(path.slice(1), fail, 'database') : undefined;

  return {
    scheme,
    username,
    password,
    host,
    port,
    database,
    params: new URLSearchParams(query),
    rawAuthorityHost,
    rawRest,
  };
}

function decode(value: string, fail: UrlProblem, field: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // decodeURIComponent's error carries no input, but the caller must not either.
    throw fail(`the URL ${field} is not correctly percent-encoded (write a literal % as %25)`, field);
  }
}

export function serializeConnectionUrl(url: ConnectionUrl, username: string, password: string): string {
  return `${url.scheme}://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${url.rawAuthorityHost}${url.rawRest}`;
}
