import { secretFieldParsers } from '../../shared/secret-fields.ts';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type { VersionRef } from '../../shared/strategy.ts';
import { parseConnectionUrl, serializeConnectionUrl, type ConnectionUrl } from './connection-url.ts';
import { checkIdentifier } from './sql-identifier.ts';
import { parseSslMode, type SslMode } from './tls-settings.ts';

/**
 * A PostgreSQL secret, read from any of the shapes people store:
 *  - AWS's JSON (`engine`, `host`, `port`, `username`, `password`, `dbname`, `masterarn`,
 *    `ssl`, `dbInstanceIdentifier`, `dbClusterIdentifier`);
 *  - the same with `database` instead of `dbname`, and `sslmode` / `ssl_cert_path`;
 *  - a connection URL (`postgresql://`, `postgres://`, `postgresql+asyncpg://`, ...).
 * The shape is kept: serialising replaces only `username` and `password`, every other
 * field (known or not) is carried forward as stored.
 */

const {
  malformed,
  conflict,
  parseJsonObject,
  optionalString,
  requiredString,
  integerField,
  singleParam,
  printable,
} = secretFieldParsers('PostgreSQL secret');

export const PostgresSecretFormat = {
  json: 'json',
  url: 'url',
} as const;
export type PostgresSecretFormat = (typeof PostgresSecretFormat)[keyof typeof PostgresSecretFormat];

export const POSTGRES_ENGINES = ['postgres', 'aurora-postgresql'] as const;
export const POSTGRES_DEFAULT_PORT = 5432;
export const POSTGRES_DEFAULT_DATABASE = 'postgres';

/** What the secret itself says about TLS; undefined fields fall back to the env settings. */
export interface SecretTls {
  readonly mode: SslMode | undefined;
  /** A CA bundle file path (`ssl_cert_path`, or `sslrootcert` in a URL). */
  readonly caPath: string | undefined;
}

export interface PostgresSecret {
  readonly format: PostgresSecretFormat;
  readonly engine: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: Sensitive<string>;
  readonly database: string;
  readonly masterArn: string | undefined;
  readonly dbInstanceIdentifier: string | undefined;
  readonly dbClusterIdentifier: string | undefined;
  readonly tls: SecretTls;
  /** How to rebuild the stored text; holds the password, so it stays wrapped. */
  readonly raw: Sensitive<RawShape>;
}

type RawShape =
  | { readonly format: 'json'; readonly fields: Readonly<Record<string, unknown>> }
  | { readonly format: 'url'; readonly url: ConnectionUrl };

export function parsePostgresSecret(secretString: Sensitive<string>, where: VersionRef): PostgresSecret {
  const text = secretString.reveal().trim();
  if (text.startsWith('{')) return parseJson(text, where);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return parseUrl(text, where);
  throw malformed(where, 'expected a JSON object or a postgresql:// connection URL');
}

function parseUrl(text: string, where: VersionRef): PostgresSecret {
  const url = parseConnectionUrl(text, (problem, field) => malformed(where, problem, field));
  const base = url.scheme.toLowerCase().split('+')[0];
  if (base !== 'postgresql' && base !== 'postgres') {
    throw new RotationError(
      ErrorCode.ERR_UNSUPPORTED_ENGINE,
      `PostgreSQL secret version ${where.versionId} (${where.stage}): URL scheme ` +
        `"${url.scheme.slice(0, 40)}" is not postgresql:// or postgres://`,
      {
        details: { versionId: where.versionId, stage: where.stage, field: 'scheme' },
      },
    );
  }
  if (url.username === undefined || url.username === '')
    throw malformed(
      where,
      'the URL has no user name (expected postgresql://user:password@host:port/db)',
      'username',
    );
  if (url.password === undefined)
    throw malformed(
      where,
      'the URL has no password (expected postgresql://user:password@host:port/db)',
      'password',
    );
  const params = url.params;
  printable(url.host, where, 'host');
  if (url.database !== undefined) printable(url.database, where, 'database');
  const param = (name: string): string | undefined => singleParam(params, name, where);
  const sslmodeText = param('sslmode');
  const sslText = param('ssl');
  const mode = agreeingSslModes(
    sslText === undefined ? undefined : sslModeOrThrow(sslText, where, 'ssl'),
    sslText !== undefined && isBooleanText(sslText),
    sslmodeText === undefined ? undefined : sslModeOrThrow(sslmodeText, where, 'sslmode'),
    where,
  );
  return {
    format: PostgresSecretFormat.url,
    engine: undefined,
    host: url.host,
    port: url.port ?? POSTGRES_DEFAULT_PORT,
    username: checkUsername(url.username, where),
    password: new Sensitive(url.password),
    database: url.database === undefined || url.database === '' ? POSTGRES_DEFAULT_DATABASE : url.database,
    masterArn: param('masterarn'),
    dbInstanceIdentifier: param('dbInstanceIdentifier'),
    dbClusterIdentifier: param('dbClusterIdentifier'),
    tls: { mode, caPath: param('sslrootcert') },
    raw: new Sensitive<RawShape>({ format: 'url', url }),
  };
}

function parseJson(text: string, where: VersionRef): PostgresSecret {
  const fields = parseJsonObject(text, where);
  const engine = optionalString(fields, 'engine', where);
  if (engine !== undefined && !(POSTGRES_ENGINES as readonly string[]).includes(engine)) {
    throw new RotationError(
      ErrorCode.ERR_UNSUPPORTED_ENGINE,
      `PostgreSQL secret version ${where.versionId} (${where.stage}): engine ` +
        `"${engine.slice(0, 40)}" is not one of ${POSTGRES_ENGINES.join(', ')}`,
      {
        details: { versionId: where.versionId, stage: where.stage, field: 'engine' },
      },
    );
  }
  const missing = ['host', 'username', 'password'].filter(
    (name) => fields[name] === undefined || fields[name] === null || fields[name] === '',
  );
  if (missing.length > 0)
    throw malformed(
      where,
      `missing required field(s) ${missing.map((name) => `"${name}"`).join(', ')}`,
      missing.join(','),
    );
  const host = requiredString(fields, 'host', where);
  const username = checkUsername(requiredString(fields, 'username', where), where);
  const password = requiredString(fields, 'password', where);
  const database =
    optionalString(fields, 'dbname', where) ??
    optionalString(fields, 'database', where) ??
    POSTGRES_DEFAULT_DATABASE;
  return {
    format: PostgresSecretFormat.json,
    engine,
    host,
    port: integerField(fields, 'port', POSTGRES_DEFAULT_PORT, 1, 65535, where),
    username,
    password: new Sensitive(password),
    database,
    masterArn: optionalString(fields, 'masterarn', where),
    dbInstanceIdentifier: optionalString(fields, 'dbInstanceIdentifier', where),
    dbClusterIdentifier: optionalString(fields, 'dbClusterIdentifier', where),
    tls: { mode: jsonSslMode(fields, where), caPath: optionalString(fields, 'ssl_cert_path', where) },
    raw: new Sensitive<RawShape>({ format: 'json', fields }),
  };
}

/** AWS's `ssl` (a boolean, "true"/"false", or an sslmode name) and `sslmode`; they must agree. */
function jsonSslMode(fields: Record<string, unknown>, where: VersionRef): SslMode | undefined {
  const sslmodeText = optionalString(fields, 'sslmode', where);
  const sslmode = sslmodeText === undefined ? undefined : sslModeOrThrow(sslmodeText, where, 'sslmode');
  const ssl = fields['ssl'];
  if (ssl === undefined || ssl === null || ssl === '') return sslmode;
  if (typeof ssl === 'boolean')
    return agreeingSslModes(ssl ? 'verify-full' : 'disable', true, sslmode, where);
  if (typeof ssl !== 'string')
    throw malformed(where, 'field "ssl" must be true, false or an sslmode name', 'ssl');
  return agreeingSslModes(sslModeOrThrow(ssl, where, 'ssl'), isBooleanText(ssl), sslmode, where);
}

function isBooleanText(value: string): boolean {
  return /^(true|false)$/i.test(value);
}

/**
 * `ssl` and `sslmode` together must say the same thing. `sslmode` may refine `"ssl": true`
 * (any mode that encrypts); anything else that differs (`"ssl": true` with `sslmode=disable`,
 * `"ssl": false` with `verify-full`, two different mode names) is refused rather than
 * resolved one way or the other: whichever way we picked, some reader of the same secret
 * would pick the other.
 */
function agreeingSslModes(
  ssl: SslMode | undefined,
  sslIsBoolean: boolean,
  sslmode: SslMode | undefined,
  where: VersionRef,
): SslMode | undefined {
  if (ssl === undefined) return sslmode;
  if (sslmode === undefined || sslmode === ssl) return ssl;
  if (sslIsBoolean && ssl !== 'disable' && sslmode !== 'disable') return sslmode;
  throw conflict(
    where,
    `"ssl" and "sslmode" disagree (${ssl === 'disable' ? 'no TLS' : 'TLS'} against sslmode ${sslmode}); keep one of them`,
    'ssl,sslmode',
  );
}

function sslModeOrThrow(value: string, where: VersionRef, field: string): SslMode {
  const lower = value.toLowerCase();
  if (lower === 'true') return 'verify-full';
  if (lower === 'false') return 'disable';
  const mode = parseSslMode(lower);
  if (mode !== undefined) return mode;
  if (lower === 'prefer' || lower === 'allow') {
    throw malformed(
      where,
      `${field} "${lower}" would allow a silent fall back to plaintext; use require, verify-ca, verify-full or disable`,
      field,
    );
  }
  throw malformed(
    where,
    `${field} must be one of disable, require, verify-ca, verify-full (or true/false)`,
    field,
  );
}

function checkUsername(username: string, where: VersionRef): string {
  printable(username, where, 'username');
  const problem = checkIdentifier(username);
  if (problem !== undefined) throw malformed(where, `username ${problem}`, 'username');
  return username;
}

/** A copy of `secret` with new credentials; everything else unchanged. */
export function withCredentials(
  secret: PostgresSecret,
  username: string,
  password: Sensitive<string>,
): PostgresSecret {
  return { ...secret, username, password };
}

/** Serialise in the shape the secret was read in; only `username` and `password` change. */
export function serializePostgresSecret(secret: PostgresSecret): Sensitive<string> {
  const raw = secret.raw.reveal();
  if (raw.format === 'json') {
    return new Sensitive(
      JSON.stringify({ ...raw.fields, username: secret.username, password: secret.password.reveal() }),
    );
  }
  return new Sensitive(serializeConnectionUrl(raw.url, secret.username, secret.password.reveal()));
}
