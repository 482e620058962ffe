import { describe, expect, it } from 'vitest';
import { parseJwtSecret } from '../../functions/jwt/jwt-secret.ts';
import { parsePostgresSecret } from '../../functions/postgres/postgres-secret.ts';
import { parseRedisSecret } from '../../functions/redis/redis-secret.ts';
import { findDuplicateKey } from '../../shared/duplicate-keys.ts';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { Sensitive } from '../../shared/sensitive.ts';

const where = { versionId: 'v-1', stage: 'AWSCURRENT' };

function refusal(parse: () => unknown): RotationError {
  try {
    parse();
  } catch (error) {
    if (error instanceof RotationError) return error;
    throw error;
  }
  throw new Error('expected a RotationError');
}

describe('findDuplicateKey', () => {
  it.each([
    ['a flat object', '{"host":"db","port":5432,"password":"p"}'],
    ['equal keys in different objects', '{"a":{"a":1},"b":[{"kid":"x"},{"kid":"y"}]}'],
    ['a value equal to a key', '{"host":"password","password":"host"}'],
    ['escaped quotes inside a value', '{"a":"x\\",\\"a\\":1","b":2}'],
    ['an empty object and array', '{"a":{},"b":[],"c":[[{}]]}'],
    ['whitespace everywhere', ' { "a" : 1 ,\n "b" : { "a" : 2 } } '],
  ])('finds none in %s', (_name, text) => {
    JSON.parse(text);
    expect(findDuplicateKey(text)).toBeUndefined();
  });

  it.each([
    ['at the top', '{"password":"a","password":"b"}', 'password'],
    ['spelled with an escape', '{"password":"a","pass\\u0077ord":"b"}', 'password'],
    ['after a nested object', '{"host":{"x":1},"port":1,"host":"evil"}', 'host'],
    ['inside an array entry', '{"keys":[{"kid":"a"},{"kid":"b","k":"1","kid":"c"}]}', 'kid'],
    ['in a nested object', '{"a":{"b":1,"b":2}}', 'b'],
    ['empty keys', '{"":1,"":2}', ''],
  ])('finds one %s', (_name, text, key) => {
    JSON.parse(text);
    expect(findDuplicateKey(text)).toBe(key);
  });
});

describe('secret parsers refuse a key given twice, naming the key and never a value', () => {
  const hostile = 'evilhost-9f8e7d.example';
  const secretValue = 'Pw-7c1d2e3f4a5b6c';

  it('PostgreSQL JSON secret', () => {
    const value = JSON.stringify({ engine: 'postgres', host: 'db', username: 'app', password: secretValue });
    const text = value.replace('}', `,"host":"${hostile}"}`);
    const error = refusal(() => parsePostgresSecret(new Sensitive(text), where));
    expect(error.code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(error.details['field']).toBe('host');
    expect(error.message).toContain('key "host" twice');
    expect(error.message).not.toContain(hostile);
    expect(error.message).not.toContain(secretValue);
  });

  it('Redis JSON secret, password given twice', () => {
    const text = `{"host":"cache","port":6379,"password":"${secretValue}","password":"${secretValue}2"}`;
    const error = refusal(() => parseRedisSecret(new Sensitive(text), where));
    expect(error.code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(error.details['field']).toBe('password');
    expect(error.message).not.toContain(secretValue);
  });

  it('JWT keyring entry with kid given twice', () => {
    const entry = `{"kid":"a","alg":"HS256","createdAt":"2026-01-01T00:00:00Z","status":"current","k":"${secretValue}","kid":"b"}`;
    const text = `{"format":"keyring","keys":[${entry}]}`;
    const error = refusal(() => parseJwtSecret(new Sensitive(text), where, { keyFields: undefined }));
    expect(error.code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(error.details['field']).toBe('kid');
    expect(error.message).not.toContain(secretValue);
  });

  it('JWT named keys with the key field given twice', () => {
    const text = `{"JWT_SECRET":"${secretValue}","JWT_SECRET":"${secretValue}x"}`;
    const error = refusal(() => parseJwtSecret(new Sensitive(text), where, { keyFields: undefined }));
    expect(error.code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(error.details['field']).toBe('JWT_SECRET');
  });

  it('does not name a key holding control characters', () => {
    const key = '\u001b[2Jhost';
    const text = `{"host":"db","username":"u","password":"p",${JSON.stringify(key)}:1,${JSON.stringify(key)}:2}`;
    const error = refusal(() => parsePostgresSecret(new Sensitive(text), where));
    expect(error.code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(error.details['field']).toBeUndefined();
    expect(error.message).toContain('a key twice');
    expect(error.message).not.toContain('\u001b');
  });
});
