import { describe, expect, it } from 'vitest';
import { isDefaultKeyField, readJwtConfig } from '../../../functions/jwt/jwt-config.ts';
import { EnvReader } from '../../../shared/config.ts';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  return reader.done(readJwtConfig(reader));
}

describe('readJwtConfig', () => {
  it('uses the documented defaults', () => {
    expect(read({})).toEqual({ keyFields: undefined, hmacKeyBytes: 64, rsaModulusBits: 2048 });
  });

  it('reads a trimmed JWT_KEY_FIELDS list and the key sizes', () => {
    expect(
      read({
        JWT_KEY_FIELDS: ' access , refresh ,',
        JWT_HMAC_KEY_BYTES: '128',
        JWT_RSA_MODULUS_BITS: '4096',
      }),
    ).toEqual({
      keyFields: ['access', 'refresh'],
      hmacKeyBytes: 128,
      rsaModulusBits: 4096,
    });
  });

  it('reports every bad variable by name and never its value', () => {
    try {
      read({ JWT_KEY_FIELDS: ' , ', JWT_HMAC_KEY_BYTES: '63', JWT_RSA_MODULUS_BITS: '1024' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RotationError);
      expect((error as RotationError).code).toBe(ErrorCode.ERR_CONFIG_INVALID);
      const message = (error as Error).message;
      expect(message).toContain('JWT_KEY_FIELDS');
      expect(message).toContain('JWT_HMAC_KEY_BYTES must be between 64 and 1024');
      expect(message).toContain('JWT_RSA_MODULUS_BITS must be one of 2048, 3072, 4096');
      expect(message).not.toContain('1024,');
    }
  });
});

describe('isDefaultKeyField', () => {
  it.each([
    ['JWT_SECRET', true],
    ['jwt_refresh_secret', true],
    ['clientSecret', true],
    ['SIGNING_KEY', true],
    ['api_key', true],
    ['keyId', false],
    ['monkey', false],
    ['secretName', false],
  ])('%s -> %s', (name, expected) => {
    expect(isDefaultKeyField(name)).toBe(expected);
  });
});
