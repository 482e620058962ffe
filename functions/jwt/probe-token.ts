import {
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWTHeaderParameters,
  type KeyObject,
} from 'jose';
import { publicJwkOf, type JwtAlg, type Keyring, type KeyringKey } from './keyring.ts';

/** Issuer and lifetime of the throwaway tokens testSecret signs. */
export const TEST_TOKEN_ISSUER = 'secrets-rotation-jwt-test';
export const TEST_TOKEN_TTL_SECONDS = 60;

type JoseKey = CryptoKey | KeyObject | Uint8Array;

/** A plain or named key string is used as its UTF-8 bytes, as most JWT libraries do. */
export function stringKeyBytes(key: string): Uint8Array {
  return new TextEncoder().encode(key);
}

export async function signingKeyOf(key: KeyringKey): Promise<JoseKey> {
  const material = key.material.reveal();
  return 'k' in material
    ? importJWK({ kty: 'oct', k: material.k }, key.alg)
    : importJWK({ ...material.privateJwk }, key.alg);
}

export async function verificationKeyOf(key: KeyringKey): Promise<JoseKey> {
  const material = key.material.reveal();
  return 'k' in material
    ? importJWK({ kty: 'oct', k: material.k }, key.alg)
    : importJWK({ ...publicJwkOf(material.privateJwk) }, key.alg);
}

/** Sign a short-lived token that names the rotation test as issuer. */
export async function signTestToken(key: JoseKey, alg: JwtAlg, kid?: string): Promise<string> {
  return new SignJWT({ purpose: 'rotation-test' })
    .setProtectedHeader({ alg, ...(kid !== undefined ? { kid } : {}) })
    .setIssuer(TEST_TOKEN_ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${TEST_TOKEN_TTL_SECONDS}s`)
    .sign(key);
}

/** True when the token verifies with the key; false on any verification failure. */
export async function verifies(
  token: string,
  key: JoseKey | ((header: JWTHeaderParameters) => Promise<JoseKey>),
  algorithms: readonly string[],
): Promise<boolean> {
  try {
    // jose's overloads split on the key's type; both forms are accepted at run time.
    await jwtVerify(token, key as Parameters<typeof jwtVerify>[1] & JoseKey, {
      algorithms: [...algorithms],
      issuer: TEST_TOKEN_ISSUER,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * How a verifier uses a keyring: pick the key by the token's `kid` (any status), and
 * require the header's alg to be that key's alg.
 */
export function keyringKeyResolver(keyring: Keyring): (header: JWTHeaderParameters) => Promise<JoseKey> {
  return async (header) => {
    const key = keyring.keys.find(
      (candidate) => candidate.kid === header.kid && candidate.alg === header.alg,
    );
    if (key === undefined) throw new Error('No keyring key matches the token header');
    return verificationKeyOf(key);
  };
}
