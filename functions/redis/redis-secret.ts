import { secretFieldParsers } from '../../shared/secret-fields.ts';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type { VersionRef } from '../../shared/strategy.ts';
import { RedisMode, isRedisMode } from './redis-mode.ts';

/**
 * A Redis secret, read from either of the two shapes people store:
 *  - a URL: `redis://[user]:password@host:port[/db]` or `rediss://...` (TLS);
 *  - JSON: `host`, `port` (6379), `username` (`default`), `password`, `tls`, `db`, plus the
 *    mode-specific fields (`mode`, `nodes`, `replicationGroupId`, `userId` or AWS's
 *    `user_arn`, `adminSecretArn`). Unknown fields are carried forward untouched.
 * The shape it was read in is kept: serialising only replaces the password.
 */

const {
  malformed,
  conflict,
  parseJsonObject,
  optionalString,
  integerField,
  booleanField,
  singleParam,
  printable,
} = secretFieldParsers('Redis secret');

export const SecretFormat = {
  url: 'url',
  json: 'json',
} as const;
export type SecretFormat = (typeof SecretFormat)[keyof typeof SecretFormat];

export const REDIS_DEFAULT_PORT = 6379;
export const REDIS_DEFAULT_USERNAME = 'default';
export const SENTINEL_DEFAULT_PORT = 26379;

export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * JSON `sentinels` + `sentinelMaster` (ioredis's `sentinels` and `name`): the primary and its
 * replicas are found through these Sentinel processes instead of `host`.
 */
export interface SentinelSettings {
  readonly sentinels: readonly RedisNodeAddress[];
  /** The name the sentinels monitor the primary under (`sentinel monitor <name> ...`). */
  readonly masterName: string;
  /**
   * `sentinelUsername` / `sentinelPassword`: the sentinels' own credential (their `requirepass`
   * or ACL user), sent only to the sentinels this same secret lists; never rotated here.
   * undefined: the sentinels take no AUTH.
   */
  readonly credentials:
    { readonly username: string | undefined; readonly password: Sensitive<string> } | undefined;
  /**
   * `sentinelAuthPass`: the sentinels authenticate to the data nodes as this secret's user
   * (`sentinel auth-user` / `auth-pass`), so setSecret moves them to the new password too.
   * Default false.
   */
  readonly authPass: boolean;
}

export interface RedisSecret {
  readonly format: SecretFormat;
  readonly port: number;
  /** The username as stored; undefined when the secret names none (then `default`). */
  readonly username: string | undefined;
  readonly password: Sensitive<string>;
  readonly tls: boolean;
  readonly db: number;
  /** The mode the secret asks for; undefined means "the env default, or inferred from the fields". */
  readonly mode: RedisMode | undefined;
  /** Extra nodes (replicas) listed in the secret; empty means "discover from the server". */
  readonly nodes: readonly RedisNodeAddress[];
  /**
   * JSON `knownNodes`: every node an earlier rotation found (written by createSecret). A known
   * node that is missing fails an emergency rotation and makes a normal one warn. URL secrets
   * have nowhere to keep it: always empty there.
   */
  readonly knownNodes: readonly RedisNodeAddress[];
  readonly replicationGroupId: string | undefined;
  readonly userId: string | undefined;
  /** The region of AWS's `user_arn`: the ElastiCache API is called there, not in the Lambda's region. */
  readonly elastiCacheRegion: string | undefined;
  /**
   * The secret's host; '' only for AWS's ElastiCache user secret shape ({username, password,
   * user_arn}), which names no endpoint (see `hasEndpoint`).
   */
  readonly host: string;
  readonly adminSecretArn: string | undefined;
  /** JSON `sentinels` and friends; undefined when the secret names no sentinel. */
  readonly sentinel: SentinelSettings | undefined;
  /** How to rebuild the stored text; it holds the password, so it is wrapped too. */
  readonly raw: Sensitive<RawShape>;
}

type RawShape =
  | { readonly format: 'url'; readonly url: URL }
  | { readonly format: 'json'; readonly fields: Readonly<Record<string, unknown>> };

/** Does the secret name an endpoint to log in to? (AWS's ElastiCache user secret does not.) */
export function hasEndpoint(secret: RedisSecret): boolean {
  return secret.host !== '';
}

/** The effective username: the stored one, or `default`. */
export function effectiveUsername(secret: RedisSecret): string {
  return secret.username ?? REDIS_DEFAULT_USERNAME;
}

export function parseRedisSecret(secretString: Sensitive<string>, where: VersionRef): RedisSecret {
  const text = secretString.reveal().trim();
  if (text.startsWith('{')) return parseJson(text, where);
  if (/^rediss?:\/\//i.test(text)) return parseUrl(text, where);
  throw malformed(where, 'expected a redis:// or rediss:// URL or a JSON object');
}

function parseUrl(text: string, where: VersionRef): RedisSecret {
  // The URL parser ends the user info at the first "/", "?" or "#": a raw one in a password
  // would make the rest of it the host (and the host is logged). Refuse, naming no part.
  const authority = text.slice(text.indexOf('//') + 2);
  const end = authority.search(/[/?#]/);
  if (end !== -1 && authority.slice(end).includes('@'))
    throw malformed(
      where,
      'the URL has an "@" after a "/", "?" or "#", so a user name or password holds one of them raw (percent-encode them: %2F %3F %23 %40)',
      'password',
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The URL parser's error carries the input (with its password): never attach it.
    throw malformed(where, 'the URL cannot be parsed');
  }
  if (url.hostname === '') throw malformed(where, 'the URL has no host', 'host');
  if (url.password === '')
    throw malformed(
      where,
      'the URL has no password (expected redis://[user]:password@host:port)',
      'password',
    );
  const password = decodeComponent(url.password, where, 'password');
  const username =
    url.username === ''
      ? undefined
      : printable(decodeComponent(url.username, where, 'username'), where, 'username');
  const port = url.port === '' ? REDIS_DEFAULT_PORT : Number(url.port);
  const param = (name: string): string | undefined => singleParam(url.searchParams, name, where);
  const db = urlDatabase(url.pathname, param('db'), where);
  const modeParam = param('mode');
  const tls = url.protocol.toLowerCase() === 'rediss:';
  for (const name of ['tls', 'ssl']) {
    const value = param(name);
    if (value !== undefined && value.toLowerCase() !== String(tls))
      throw conflict(
        where,
        `the URL scheme ${tls ? 'rediss://' : 'redis://'} and parameter "${name}" disagree`,
        `scheme,${name}`,
      );
  }
  return {
    format: SecretFormat.url,
    host: stripBrackets(url.hostname),
    port,
    username,
    password: new Sensitive(password),
    tls,
    db,
    mode: modeParam === undefined ? undefined : checkMode(modeParam, where),
    nodes: [],
    knownNodes: [],
    replicationGroupId: param('replicationGroupId'),
    userId: param('userId'),
    elastiCacheRegion: undefined,
    adminSecretArn: param('adminSecretArn'),
    sentinel: undefined,
    raw: new Sensitive<RawShape>({ format: 'url', url }),
  };
}

/**
 * The database: the URL path (`/3`) or the `db` query parameter (`?db=3`, as redis-py and
 * others accept); both present must agree.
 */
function urlDatabase(pathname: string, query: string | undefined, where: VersionRef): number {
  const fromPath = pathname.replace(/^\//, '');
  const fromQuery = query ?? '';
  for (const text of [fromPath, fromQuery]) {
    if (text !== '' && (!/^\d+$/.test(text) || Number(text) > 65535))
      throw malformed(where, 'the URL database (path or ?db=) must be a number from 0 to 65535', 'db');
  }
  if (fromPath !== '' && fromQuery !== '' && Number(fromPath) !== Number(fromQuery))
    throw malformed(where, 'the URL path and ?db= name different databases', 'db');
  const text = fromPath !== '' ? fromPath : fromQuery;
  return text === '' ? 0 : Number(text);
}

function decodeComponent(value: string, where: VersionRef, field: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw malformed(where, `the URL ${field} is not correctly percent-encoded`, field);
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function parseJson(text: string, where: VersionRef): RedisSecret {
  const fields = parseJsonObject(text, where);
  const host = optionalString(fields, 'host', where);
  const replicationGroupId = optionalString(fields, 'replicationGroupId', where);
  const userArn = optionalString(fields, 'user_arn', where);
  const userId = optionalString(fields, 'userId', where) ?? userIdFromArn(userArn);
  const modeText = optionalString(fields, 'mode', where);
  // AWS's ElastiCache user rotation secret is {username, password, user_arn}: no endpoint.
  const userSecret =
    userId !== undefined && (modeText === undefined || modeText === RedisMode.elasticacheUser);
  const sentinel = parseSentinel(fields, where);
  if (host === undefined && !userSecret && sentinel === undefined)
    throw malformed(where, 'field "host" is required (or "sentinels" with "sentinelMaster")', 'host');
  const password = fields['password'];
  if (typeof password !== 'string' || password === '')
    throw malformed(where, 'field "password" must be a non-empty string', 'password');
  const username = optionalString(fields, 'username', where);
  return {
    format: SecretFormat.json,
    host: host ?? '',
    port: integerField(fields, 'port', REDIS_DEFAULT_PORT, 1, 65535, where),
    username,
    password: new Sensitive(password),
    tls: tlsField(fields, where),
    db: integerField(fields, 'db', 0, 0, 65535, where),
    mode: modeText === undefined ? undefined : checkMode(modeText, where),
    nodes: parseNodes(fields['nodes'], where, 'nodes', REDIS_DEFAULT_PORT),
    knownNodes: parseNodes(fields['knownNodes'], where, 'knownNodes', REDIS_DEFAULT_PORT),
    replicationGroupId,
    userId,
    elastiCacheRegion: regionFromArn(userArn),
    adminSecretArn: optionalString(fields, 'adminSecretArn', where),
    sentinel,
    raw: new Sensitive<RawShape>({ format: 'json', fields }),
  };
}

const SENTINEL_FIELDS = ['sentinelMaster', 'sentinelUsername', 'sentinelPassword', 'sentinelAuthPass'];

/** `sentinels`, `sentinelMaster`, `sentinelUsername`, `sentinelPassword`, `sentinelAuthPass`. */
function parseSentinel(fields: Record<string, unknown>, where: VersionRef): SentinelSettings | undefined {
  const sentinels = parseNodes(fields['sentinels'], where, 'sentinels', SENTINEL_DEFAULT_PORT);
  if (sentinels.length === 0) {
    const stray = SENTINEL_FIELDS.find((name) => fields[name] !== undefined && fields[name] !== null);
    if (stray !== undefined)
      throw malformed(where, `field "${stray}" needs a non-empty "sentinels" list`, stray);
    return undefined;
  }
  const masterName = optionalString(fields, 'sentinelMaster', where);
  if (masterName === undefined)
    throw malformed(
      where,
      'field "sentinelMaster" (the name the sentinels monitor the primary under) is required with "sentinels"',
      'sentinelMaster',
    );
  const username = optionalString(fields, 'sentinelUsername', where);
  const password = fields['sentinelPassword'];
  if (password !== undefined && password !== null && (typeof password !== 'string' || password === ''))
    throw malformed(where, 'field "sentinelPassword" must be a non-empty string', 'sentinelPassword');
  if (username !== undefined && typeof password !== 'string')
    throw malformed(where, 'field "sentinelUsername" needs "sentinelPassword"', 'sentinelUsername');
  return {
    sentinels,
    masterName,
    credentials: typeof password === 'string' ? { username, password: new Sensitive(password) } : undefined,
    authPass: booleanField(fields, 'sentinelAuthPass', where) ?? false,
  };
}

/** `tls`, or `ssl` as some clients and AWS's templates name it; both given must agree. Default false. */
function tlsField(fields: Record<string, unknown>, where: VersionRef): boolean {
  const tls = booleanField(fields, 'tls', where);
  const ssl = booleanField(fields, 'ssl', where);
  if (tls !== undefined && ssl !== undefined && tls !== ssl)
    throw conflict(where, 'fields "tls" and "ssl" disagree; keep one of them', 'ssl,tls');
  return tls ?? ssl ?? false;
}

function checkMode(value: string, where: VersionRef): RedisMode {
  if (isRedisMode(value)) return value;
  throw new RotationError(
    ErrorCode.ERR_UNSUPPORTED_MODE,
    `Redis secret version ${where.versionId} (${where.stage}): mode "${value.slice(0, 40)}" ` +
      `is not one of ${Object.values(RedisMode).join(', ')}`,
    {
      details: { versionId: where.versionId, stage: where.stage, field: 'mode' },
    },
  );
}

/** AWS's ElastiCache user template stores `user_arn`; the user id is its 7th `:` part. */
/** `arn:aws:elasticache:<region>:<account>:user:<id>`: the region is the 4th `:` part. */
function regionFromArn(arn: string | undefined): string | undefined {
  const region = arn?.split(':')[3];
  return region === undefined || region === '' ? undefined : region;
}

function userIdFromArn(arn: string | undefined): string | undefined {
  if (arn === undefined) return undefined;
  const parts = arn.split(':');
  return parts.length >= 7 && parts[6] !== '' ? parts[6] : undefined;
}

function parseNodes(
  value: unknown,
  where: VersionRef,
  field: string,
  defaultPort: number,
): readonly RedisNodeAddress[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw malformed(
      where,
      `field "${field}" must be an array of "host:port" strings or {host, port} objects`,
      field,
    );
  return value.map((entry: unknown) => {
    if (typeof entry === 'string') {
      const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(entry);
      if (!match?.[1])
        throw malformed(where, `field "${field}" holds an entry that is not "host:port"`, field);
      return {
        host: printable(match[1], where, field),
        port: match[2] ? Number(match[2]) : defaultPort,
      };
    }
    if (
      entry !== null &&
      typeof entry === 'object' &&
      typeof (entry as { host?: unknown }).host === 'string'
    ) {
      const record = entry as Record<string, unknown>;
      return {
        host: printable(record['host'] as string, where, field),
        port: integerField(record, 'port', defaultPort, 1, 65535, where),
      };
    }
    throw malformed(
      where,
      `field "${field}" holds an entry that is neither "host:port" nor {host, port}`,
      field,
    );
  });
}

/** A copy of `secret` holding a new password, same shape and same other fields. */
export function withPassword(secret: RedisSecret, password: Sensitive<string>): RedisSecret {
  return { ...secret, password };
}

/** A copy of `secret` remembering these nodes (JSON secrets only; a URL has no room for them). */
export function withKnownNodes(secret: RedisSecret, knownNodes: readonly RedisNodeAddress[]): RedisSecret {
  return secret.format === SecretFormat.json ? { ...secret, knownNodes } : secret;
}

export function describeNode(node: RedisNodeAddress): string {
  return node.host.includes(':') ? `[${node.host}]:${node.port}` : `${node.host}:${node.port}`;
}

/** Serialise in the shape the secret was read in; only the password changes. */
export function serializeRedisSecret(secret: RedisSecret): Sensitive<string> {
  const raw = secret.raw.reveal();
  if (raw.format === 'json') {
    const known = secret.knownNodes.length > 0 ? { knownNodes: secret.knownNodes.map(describeNode) } : {};
    return new Sensitive(JSON.stringify({ ...raw.fields, password: secret.password.reveal(), ...known }));
  }
  const url = new URL(raw.url.href);
  // encodeURIComponent leaves only unreserved characters and !*'() raw, all legal in userinfo.
  url.password = encodeURIComponent(secret.password.reveal());
  return new Sensitive(url.href);
}
