import { describe, expect, it } from 'vitest';
import { parseJwtSecret, serializeJwtSecret, type JwtSecret } from '../../../functions/jwt/jwt-secret.ts';
import { KeyEncoding } from '../../../functions/jwt/key-encoding.ts';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { keyringSecret, namedSecret, plainBase64Key } from './jwt-fixtures.ts';

const where = { versionId: 'v-1', stage: 'AWSCURRENT' };
const parse = (value: string, keyFields?: readonly string[]): JwtSecret =>
  parseJwtSecret(new Sensitive(value), where, { keyFields });

function rejection(value: string, keyFields?: readonly string[]): RotationError {
  try {
    parse(value, keyFields);
  } catch (error) {
    if (error instanceof RotationError) return error;
    throw error;
  }
  throw new Error('expected a RotationError');
}

describe('parseJwtSecret', () => {
  it('reads a plain base64 key and remembers its encoding', () => {
    const key = plainBase64Key();
    const secret = parse(key);
    expect(secret).toMatchObject({ format: 'plain', encoding: KeyEncoding.base64 });
    expect(serializeJwtSecret(secret).reveal()).toBe(key);
  });

  it('drops surrounding whitespace from a plain key, such as the newline of a shell redirect', () => {
    const key = plainBase64Key();
    expect(serializeJwtSecret(parse(`${key}\n`)).reveal()).toBe(key);
  });

  it('finds key fields by the default rule and keeps every other field', () => {
    const { value } = namedSecret();
    const secret = parse(value);
    expect(secret.format).toBe('named');
    if (secret.format !== 'named') return;
    expect(secret.keyFields).toEqual(['JWT_SECRET', 'JWT_REFRESH_SECRET']);
    expect(secret.encodings).toEqual({
      JWT_SECRET: KeyEncoding.base64url,
      JWT_REFRESH_SECRET: KeyEncoding.hex,
    });
    expect(JSON.parse(serializeJwtSecret(secret).reveal())).toEqual(JSON.parse(value));
  });

  it('matches the default rule case-insensitively on SECRET and _KEY suffixes only', () => {
    const secret = parse(
      JSON.stringify({ clientSecret: 'x'.repeat(10), signing_key: 'y'.repeat(10), keyId: 'k', monkey: 'm' }),
    );
    expect(secret.format === 'named' && secret.keyFields).toEqual(['clientSecret', 'signing_key']);
  });

  it('uses JWT_KEY_FIELDS when configured, ignoring listed fields the secret lacks', () => {
    const secret = parse(JSON.stringify({ access: 'a'.repeat(20), JWT_SECRET: 'b'.repeat(20) }), [
      'access',
      'refresh',
    ]);
    expect(secret.format === 'named' && secret.keyFields).toEqual(['access']);
  });

  it('reads a keyring with every alg and carries unknown fields through serialisation', async () => {
    const { value } = await keyringSecret(
      [
        { kid: 'a', status: 'current', alg: 'RS256' },
        { kid: 'b', status: 'next', alg: 'ES256' },
        { kid: 'c', status: 'previous', alg: 'EdDSA' },
        { kid: 'd', status: 'previous', alg: 'HS384' },
      ],
      { owner: 'team-auth', notes: { rotatedBy: 'ops' } },
    );
    const secret = parse(value);
    expect(secret.format).toBe('keyring');
    const round = JSON.parse(serializeJwtSecret(secret).reveal());
    expect(round).toEqual(JSON.parse(value));
    expect(round.jwks.keys.map((key: { kid: string }) => key.kid)).toEqual(['a', 'b', 'c']);
    expect(JSON.stringify(round.jwks)).not.toMatch(/"d"/);
  });
});

describe('keyring serialisation', () => {
  it('carries unknown per-key fields forward and rebuilds jwks from the private keys', async () => {
    const { value } = await keyringSecret([{ kid: 'a', status: 'current', alg: 'ES256' }]);
    const doc = JSON.parse(value);
    doc.keys[0].label = 'primary';
    doc.jwks = { keys: [{ kid: 'stale' }] };
    const round = JSON.parse(serializeJwtSecret(parse(JSON.stringify(doc))).reveal());
    expect(round.keys[0].label).toBe('primary');
    expect(round.jwks.keys).toEqual([{ ...doc.keys[0].publicJwk, kid: 'a', alg: 'ES256', use: 'sig' }]);
  });
});

describe('parseJwtSecret rejects bad input with ERR_SECRET_MALFORMED and no value in the message', () => {
  const cases: [string, string, RegExp, (readonly string[])?][] = [
    ['an empty secret', '', /empty/],
    ['a blank secret', '   \n', /empty/],
    [
      'a value that looks like JSON but is not',
      '{"JWT_SECRET": "s3cr3t-value-that-must-not-leak",',
      /not valid JSON/,
    ],
    ['a JSON array', '["s3cr3t-value-that-must-not-leak"]', /array/],
    ['a key field that is not a string', '{"JWT_SECRET": 1234567890123456}', /JWT_SECRET.*must be a string/],
    [
      'an empty key field',
      '{"JWT_SECRET": "", "issuer": "s3cr3t-value-that-must-not-leak"}',
      /JWT_SECRET.*empty/,
    ],
    ['a JSON object without key fields', '{"token": "s3cr3t-value-that-must-not-leak"}', /JWT_KEY_FIELDS/],
    [
      'a JSON object without the configured fields',
      '{"JWT_SECRET": "s3cr3t-value-that-must-not-leak"}',
      /access/,
      ['access'],
    ],
  ];
  it.each(cases)('refuses %s', (_name, value, message, keyFields) => {
    const error = rejection(value, keyFields);
    expect(error.code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('v-1');
    expect(error.message).not.toContain('s3cr3t');
    expect(error.message).not.toContain('1234567890123456');
    expect(error.cause).toBeUndefined();
  });
});

describe('parseJwtSecret rejects bad keyrings', () => {
  async function keyringWith(
    mutate: (doc: { keys: Record<string, unknown>[] } & Record<string, unknown>) => void,
  ): Promise<{ value: string; materials: string[] }> {
    const { value, materials } = await keyringSecret([
      { kid: 'a', status: 'current', alg: 'HS256' },
      { kid: 'b', status: 'next', alg: 'HS256' },
      { kid: 'c', status: 'previous', alg: 'ES256' },
    ]);
    const doc = JSON.parse(value);
    mutate(doc);
    return { value: JSON.stringify(doc), materials };
  }

  it.each([
    [
      'two current keys',
      (doc: { keys: Record<string, unknown>[] }) => void (doc.keys[1]!.status = 'current'),
      /exactly one key with status "current" \(found 2\)/,
    ],
    [
      'no current key',
      (doc: { keys: Record<string, unknown>[] }) => void (doc.keys[0]!.status = 'previous'),
      /found 0/,
    ],
    [
      'an unknown alg',
      (doc: { keys: Record<string, unknown>[] }) => void (doc.keys[0]!.alg = 'none'),
      /keys\[0\]\.alg must be one of/,
    ],
    [
      'a repeated kid',
      (doc: { keys: Record<string, unknown>[] }) => void (doc.keys[1]!.kid = 'a'),
      /keys\[1\]\.kid repeats/,
    ],
    [
      'an unknown status',
      (doc: { keys: Record<string, unknown>[] }) => void (doc.keys[1]!.status = 'retired'),
      /keys\[1\]\.status/,
    ],
    [
      'a bad createdAt',
      (doc: { keys: Record<string, unknown>[] }) => void (doc.keys[1]!.createdAt = 'yesterday'),
      /keys\[1\]\.createdAt/,
    ],
    [
      'an HMAC key without k',
      (doc: { keys: Record<string, unknown>[] }) => void delete doc.keys[0]!.k,
      /keys\[0\]\.k must be a base64url string/,
    ],
    [
      'an EC key on the wrong curve',
      (doc: { keys: Record<string, unknown>[] }) =>
        void ((doc.keys[2]!.privateJwk as Record<string, unknown>).crv = 'P-384'),
      /keys\[2\]\.privateJwk\.crv/,
    ],
    [
      'private members in publicJwk',
      (doc: { keys: Record<string, unknown>[] }) => void (doc.keys[2]!.publicJwk = doc.keys[2]!.privateJwk),
      /publicJwk must not contain private/,
    ],
    [
      'an unknown format version',
      (doc: Record<string, unknown>) => void (doc.format = 'jwt-keyring/v9'),
      /format must be/,
    ],
    ['no keys', (doc: Record<string, unknown>) => void (doc.keys = []), /keys must be a non-empty array/],
  ] as const)('refuses %s, naming the field', async (_name, mutate, message) => {
    const { value, materials } = await keyringWith(
      mutate as (doc: { keys: Record<string, unknown>[] } & Record<string, unknown>) => void,
    );
    const error = rejection(value);
    expect(error.code).toBe(ErrorCode.ERR_SECRET_MALFORMED);
    expect(error.message).toMatch(message);
    for (const material of materials) expect(error.message).not.toContain(material);
  });
});
