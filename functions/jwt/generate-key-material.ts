import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { isHmacAlg, JwtAlg, type KeyMaterial } from './keyring.ts';

const generateKeyPairAsync = promisify(generateKeyPair) as (
  type: string,
  options: object,
) => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;

export interface KeyMaterialOptions {
  /** Random bytes in a new HMAC key (JWT_HMAC_KEY_BYTES). */
  readonly hmacKeyBytes: number;
  /** RSA modulus for RS256 (JWT_RSA_MODULUS_BITS). */
  readonly rsaModulusBits: number;
}

/** Fresh key material for an alg, from node:crypto: HMAC bytes, RSA, P-256 or Ed25519. */
export async function generateKeyMaterial(alg: JwtAlg, options: KeyMaterialOptions): Promise<KeyMaterial> {
  if (isHmacAlg(alg)) return { k: randomBytes(options.hmacKeyBytes).toString('base64url') };
  const { privateKey } =
    alg === JwtAlg.RS256
      ? await generateKeyPairAsync('rsa', { modulusLength: options.rsaModulusBits, publicExponent: 0x10001 })
      : alg === JwtAlg.ES256
        ? await generateKeyPairAsync('ec', { namedCurve: 'P-256' })
        : await generateKeyPairAsync('ed25519', {});
  return { privateJwk: privateKey.export({ format: 'jwk' }) };
}

/** A new key id: creation date plus 8 random bytes, unique among `taken`. Not secret. */
export function newKid(now: Date, taken: ReadonlySet<string>): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  for (;;) {
    const kid = `${day}-${randomBytes(8).toString('base64url')}`;
    if (!taken.has(kid)) return kid;
  }
}
