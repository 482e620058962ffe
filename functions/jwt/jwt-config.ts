import type { EnvReader } from '../../shared/config.ts';

export const RSA_MODULUS_BITS = ['2048', '3072', '4096'] as const;
export type RsaModulusBits = 2048 | 3072 | 4096;

/** The smallest HMAC key the policy allows, in random bytes (512 bits). */
export const MIN_HMAC_KEY_BYTES = 64;

/** The JWT function's settings. Every one documents its default. */
export interface JwtConfig {
  /**
   * JWT_KEY_FIELDS: comma-separated JSON field names that hold keys in a named-key secret.
   * Default: unset, meaning every top-level string field whose name ends in `SECRET` or
   * `_KEY` (case-insensitive).
   */
  readonly keyFields: readonly string[] | undefined;
  /** JWT_HMAC_KEY_BYTES: random bytes in every new HMAC key. Default 64, minimum 64, maximum 1024. */
  readonly hmacKeyBytes: number;
  /** JWT_RSA_MODULUS_BITS: modulus of new RS256 keys, 2048, 3072 or 4096. Default 2048. */
  readonly rsaModulusBits: RsaModulusBits;
}

export function readJwtConfig(reader: EnvReader): JwtConfig {
  const keyFields =
    reader.raw('JWT_KEY_FIELDS') === undefined ? undefined : reader.list('JWT_KEY_FIELDS', []);
  if (keyFields !== undefined && keyFields.length === 0)
    reader.problem('JWT_KEY_FIELDS must list at least one field name');
  return {
    keyFields,
    hmacKeyBytes: reader.int('JWT_HMAC_KEY_BYTES', MIN_HMAC_KEY_BYTES, {
      min: MIN_HMAC_KEY_BYTES,
      max: 1024,
    }),
    rsaModulusBits: Number(reader.oneOf('JWT_RSA_MODULUS_BITS', RSA_MODULUS_BITS, '2048')) as RsaModulusBits,
  };
}

/** Default rule for named-key secrets: the field name ends in SECRET or _KEY, any case. */
export function isDefaultKeyField(name: string): boolean {
  return /(secret|_key)$/i.test(name);
}
