import { describe, expect, it } from 'vitest';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import {
  parsePostgresSecret,
  serializePostgresSecret,
  withCredentials,
} from '../../../functions/postgres/postgres-secret.ts';

const where = { versionId: 'v-1', stage: 'AWSCURRENT' };
const parse = (value: string | object) =>
  parsePostgresSecret(new Sensitive(typeof value === 'string' ? value : JSON.stringify(value)), where);
const HOSTILE_PASSWORD = 'p@ss:w/rd#?%&+ "\'\\é';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RotationError);
    const rotationError = error as RotationError;
    expect(rotationError.message).not.toContain('s3cr3t-value');
    return rotationError.code;
  }
  return undefined;
}

describe('parsePostgresSecret (AWS JSON)', () => {
  it('reads AWS single-user JSON with defaults for port and dbname', () => {
    const secret = parse({
      engine: 'postgres',
      host: 'db.example.com',
      username: 'app',
      password: 's3cr3t-value',
    });
    expect(secret).toMatchObject({
      format: 'json',
      engine: 'postgres',
      host: 'db.example.com',
      port: 5432,
      username: 'app',
      database: 'postgres',
    });
    expect(secret.password.reveal()).toBe('s3cr3t-value');
    expect(secret.tls).toEqual({ mode: undefined, caPath: undefined });
  });

  it('accepts aurora-postgresql, a missing engine and a port given as a string', () => {
    expect(
      parse({ engine: 'aurora-postgresql', host: 'h', username: 'u', password: 'p', port: '6543' }).port,
    ).toBe(6543);
    expect(parse({ host: 'h', username: 'u', password: 'p' }).engine).toBeUndefined();
  });

  it('reads the platform-team variant: database and ssl_cert_path', () => {
    const secret = parse({
      host: 'h',
      username: 'u',
      password: 'p',
      database: 'orders',
      ssl_cert_path: '/etc/ssl/rds.pem',
    });
    expect(secret.database).toBe('orders');
    expect(secret.tls.caPath).toBe('/etc/ssl/rds.pem');
  });

  it('maps ssl and sslmode to a TLS mode, with sslmode winning', () => {
    expect(parse({ host: 'h', username: 'u', password: 'p', ssl: true }).tls.mode).toBe('verify-full');
    expect(parse({ host: 'h', username: 'u', password: 'p', ssl: false }).tls.mode).toBe('disable');
    expect(parse({ host: 'h', username: 'u', password: 'p', ssl: 'FALSE' }).tls.mode).toBe('disable');
    expect(parse({ host: 'h', username: 'u', password: 'p', ssl: true, sslmode: 'require' }).tls.mode).toBe(
      'require',
    );
  });

  it.each([
    ['"ssl": true with sslmode disable', { ssl: true, sslmode: 'disable' }],
    ['"ssl": false with sslmode verify-full', { ssl: false, sslmode: 'verify-full' }],
    ['"ssl": "false" with sslmode require', { ssl: 'false', sslmode: 'require' }],
    ['two different mode names', { ssl: 'require', sslmode: 'verify-full' }],
  ])('refuses conflicting TLS fields (%s) with ERR_SECRET_CONFLICT naming both', (_label, tls) => {
    let error: unknown;
    try {
      parse({ host: 'h', username: 'u', password: 's3cr3t-value', ...tls });
    } catch (thrown) {
      error = thrown;
    }
    expect((error as RotationError).code).toBe(ErrorCode.ERR_SECRET_CONFLICT);
    expect((error as RotationError).details['fields']).toBe('ssl,sslmode');
  });

  it('accepts ssl and sslmode that agree', () => {
    const mode = (tls: object) => parse({ host: 'h', username: 'u', password: 'p', ...tls }).tls.mode;
    expect(mode({ ssl: false, sslmode: 'disable' })).toBe('disable');
    expect(mode({ ssl: 'verify-ca', sslmode: 'verify-ca' })).toBe('verify-ca');
    expect(mode({ ssl: 'true', sslmode: 'verify-ca' })).toBe('verify-ca');
  });

  it('refuses a URL parameter given twice with different values (libpq takes the last, others the first)', () => {
    const url = 'postgresql://app:s3cr3t-value@h:5432/db';
    expect(codeOf(() => parse(`${url}?sslmode=disable&sslmode=verify-full`))).toBe(
      ErrorCode.ERR_SECRET_CONFLICT,
    );
    expect(codeOf(() => parse(`${url}?sslrootcert=/a.pem&sslrootcert=/b.pem`))).toBe(
      ErrorCode.ERR_SECRET_CONFLICT,
    );
    expect(codeOf(() => parse(`${url}?masterarn=arn:a&masterarn=arn:b`))).toBe(ErrorCode.ERR_SECRET_CONFLICT);
    expect(codeOf(() => parse(`${url}?ssl=true&sslmode=disable`))).toBe(ErrorCode.ERR_SECRET_CONFLICT);
    expect(parse(`${url}?sslmode=verify-ca&sslmode=verify-ca`).tls.mode).toBe('verify-ca');
  });

  it('refuses sslmode prefer because it would allow a plaintext fallback', () => {
    expect(codeOf(() => parse({ host: 'h', username: 'u', password: 'p', sslmode: 'prefer' }))).toBe(
      ErrorCode.ERR_SECRET_MALFORMED,
    );
  });

  it('reads masterarn and the RDS identifiers', () => {
    const secret = parse({
      host: 'h',
      username: 'u',
      password: 'p',
      masterarn: 'arn:admin',
      dbInstanceIdentifier: 'db1',
      dbClusterIdentifier: 'c1',
    });
    expect(secret).toMatchObject({
      masterArn: 'arn:admin',
      dbInstanceIdentifier: 'db1',
      dbClusterIdentifier: 'c1',
    });
  });

  it.each([
    ['missing host', { username: 'u', password: 's3cr3t-value' }, ErrorCode.ERR_SECRET_MALFORMED],
    ['missing username', { host: 'h', password: 's3cr3t-value' }, ErrorCode.ERR_SECRET_MALFORMED],
    ['missing password', { host: 'h', username: 'u' }, ErrorCode.ERR_SECRET_MALFORMED],
    [
      'engine mysql',
      { engine: 'mysql', host: 'h', username: 'u', password: 's3cr3t-value' },
      ErrorCode.ERR_UNSUPPORTED_ENGINE,
    ],
    [
      'port not a number',
      { host: 'h', username: 'u', password: 's3cr3t-value', port: 'five' },
      ErrorCode.ERR_SECRET_MALFORMED,
    ],
    [
      'port out of range',
      { host: 'h', username: 'u', password: 's3cr3t-value', port: 70000 },
      ErrorCode.ERR_SECRET_MALFORMED,
    ],
    [
      'username over 63 bytes',
      { host: 'h', username: 'é'.repeat(32), password: 's3cr3t-value' },
      ErrorCode.ERR_SECRET_MALFORMED,
    ],
    [
      'ssl of the wrong type',
      { host: 'h', username: 'u', password: 's3cr3t-value', ssl: 3 },
      ErrorCode.ERR_SECRET_MALFORMED,
    ],
  ])('rejects %s with a stable code', (_name, value, code) => {
    expect(codeOf(() => parse(value))).toBe(code);
  });

  it('rejects invalid JSON without quoting the input', () => {
    let error: unknown;
    try {
      parse('{"host":"h","password":"s3cr3t-value",');
    } catch (thrown) {
      error = thrown;
    }
    expect((error as RotationError).code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect((error as RotationError).message).not.toContain('s3cr3t');
    expect((error as RotationError).cause).toBeUndefined();
  });

  it('names the missing fields in the message', () => {
    expect(() => parse({ password: 'x' })).toThrow(/"host", "username"/);
  });

  it('keeps every other field, in place, when the credentials change', () => {
    const stored = {
      engine: 'postgres',
      host: 'h',
      port: '5432',
      username: 'app',
      password: 'old',
      dbname: 'db',
      masterarn: 'arn:m',
      custom: { nested: [1, 2] },
      ssl: 'true',
    };
    const secret = parse(stored);
    const out = JSON.parse(
      serializePostgresSecret(withCredentials(secret, 'app_clone', new Sensitive('new'))).reveal(),
    ) as Record<string, unknown>;
    expect(out).toEqual({ ...stored, username: 'app_clone', password: 'new' });
    expect(Object.keys(out)).toEqual(Object.keys(stored));
  });
});

describe('parsePostgresSecret (connection URLs)', () => {
  it('reads postgresql:// with host, port, database and query', () => {
    const secret = parse(
      'postgresql://app:s3cr3t-value@db.example.com:6432/orders?sslmode=verify-ca&application_name=x',
    );
    expect(secret).toMatchObject({
      format: 'url',
      host: 'db.example.com',
      port: 6432,
      username: 'app',
      database: 'orders',
    });
    expect(secret.password.reveal()).toBe('s3cr3t-value');
    expect(secret.tls.mode).toBe('verify-ca');
  });

  it('reads dialect schemes such as postgresql+asyncpg with ssl=require', () => {
    const secret = parse('postgresql+asyncpg://app:pw@h:5432/db?ssl=require');
    expect(secret).toMatchObject({
      host: 'h',
      port: 5432,
      database: 'db',
      tls: { mode: 'require', caPath: undefined },
    });
  });

  it('decodes percent-encoded credentials and bracketed IPv6 hosts', () => {
    const secret = parse(
      `postgres://${encodeURIComponent('Ünïcode user')}:${encodeURIComponent(HOSTILE_PASSWORD)}@[::1]/db`,
    );
    expect(secret.username).toBe('Ünïcode user');
    expect(secret.password.reveal()).toBe(HOSTILE_PASSWORD);
    expect(secret.host).toBe('::1');
    expect(secret.port).toBe(5432);
  });

  it('tolerates raw # and ? in a hand-written password', () => {
    expect(parse('postgresql://app:a#b?c@h/db').password.reveal()).toBe('a#b?c');
  });

  it('round-trips any password, keeping scheme, host, port, database and query byte for byte', () => {
    const stored =
      'postgresql+asyncpg://app:old@DB.Example.com:5432/my%20db?ssl=require&options=-c%20search_path%3Dx';
    const secret = parse(stored);
    const text = serializePostgresSecret(
      withCredentials(secret, 'app_clone', new Sensitive(HOSTILE_PASSWORD)),
    ).reveal();
    expect(text).toBe(
      `postgresql+asyncpg://app_clone:${encodeURIComponent(HOSTILE_PASSWORD)}@DB.Example.com:5432/my%20db?ssl=require&options=-c%20search_path%3Dx`,
    );
    const again = parse(text);
    expect(again.password.reveal()).toBe(HOSTILE_PASSWORD);
    expect(again.username).toBe('app_clone');
    expect(again.database).toBe('my db');
  });

  it.each([
    ['no password', 'postgresql://app@h/db', ErrorCode.ERR_SECRET_MALFORMED],
    ['no user', 'postgresql://h/db', ErrorCode.ERR_SECRET_MALFORMED],
    ['no host', 'postgresql://app:s3cr3t-value@/db', ErrorCode.ERR_SECRET_MALFORMED],
    ['port not a number', 'postgresql://app:s3cr3t-value@h:abc/db', ErrorCode.ERR_SECRET_MALFORMED],
    ['bad percent-encoding', 'postgresql://app:s3cr3t-value%zz@h/db', ErrorCode.ERR_SECRET_MALFORMED],
    ['several hosts', 'postgresql://app:s3cr3t-value@h1,h2/db', ErrorCode.ERR_SECRET_MALFORMED],
    ['mysql scheme', 'mysql://app:s3cr3t-value@h/db', ErrorCode.ERR_UNSUPPORTED_ENGINE],
    ['not a URL or JSON', 's3cr3t-value', ErrorCode.ERR_SECRET_MALFORMED],
  ])('rejects a malformed URL (%s) with a stable code and no secret in the message', (_name, value, code) => {
    expect(codeOf(() => parse(value))).toBe(code);
  });
});
