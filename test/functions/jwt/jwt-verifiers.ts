import { importJWK, jwtVerify, SignJWT, type JWK, type JWTHeaderParameters } from 'jose';

/**
 * Consumers' side, written the way the README tells applications to verify: independent
 * of the function's own code, so the tests prove what an application would see.
 */

interface StoredKey {
  kid: string;
  alg: string;
  status: string;
  k?: string;
  privateJwk?: JWK;
  publicJwk?: JWK;
}

/** Sign like an app using a plain or named key string: HS256 over its UTF-8 bytes. */
export async function signWithKeyString(key: string): Promise<string> {
  return new SignJWT({ sub: 'user-1' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(key));
}

/** Verify like an app holding AWSCURRENT and AWSPREVIOUS: accept either key. */
export async function verifiesWithAnyKeyString(
  token: string,
  keys: readonly (string | undefined)[],
): Promise<boolean> {
  for (const key of keys) {
    if (key === undefined) continue;
    try {
      await jwtVerify(token, new TextEncoder().encode(key), { algorithms: ['HS256'] });
      return true;
    } catch {
      // try the next key
    }
  }
  return false;
}

/** Sign with the keyring's `current` key, kid in the header. */
export async function signWithKeyring(keyringJson: string): Promise<string> {
  const keyring = JSON.parse(keyringJson) as { keys: StoredKey[] };
  const current = keyring.keys.find((key) => key.status === 'current');
  if (!current) throw new Error('keyring has no current key');
  const key = current.k
    ? await importJWK({ kty: 'oct', k: current.k }, current.alg)
    : await importJWK(current.privateJwk as JWK, current.alg);
  return new SignJWT({ sub: 'user-1' })
    .setProtectedHeader({ alg: current.alg, kid: current.kid })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key);
}

/** Verify with the whole keyring: any status, key chosen by kid. */
export async function verifiesWithKeyring(token: string, keyringJson: string): Promise<boolean> {
  const keyring = JSON.parse(keyringJson) as { keys: StoredKey[] };
  const getKey = async (header: JWTHeaderParameters) => {
    const entry = keyring.keys.find((key) => key.kid === header.kid && key.alg === header.alg);
    if (!entry) throw new Error('unknown kid');
    return entry.k
      ? importJWK({ kty: 'oct', k: entry.k }, entry.alg)
      : importJWK(entry.publicJwk as JWK, entry.alg);
  };
  try {
    await jwtVerify(token, getKey, { algorithms: ['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA'] });
    return true;
  } catch {
    return false;
  }
}

/** Verify with the public JWKS only, as a resource server fetching jwks.json would. */
export async function verifiesWithJwks(token: string, keyringJson: string): Promise<boolean> {
  const { jwks } = JSON.parse(keyringJson) as { jwks: { keys: (JWK & { kid: string })[] } };
  const getKey = async (header: JWTHeaderParameters) => {
    const entry = jwks.keys.find((key) => key.kid === header.kid);
    if (!entry) throw new Error('unknown kid');
    return importJWK(entry, header.alg);
  };
  try {
    await jwtVerify(token, getKey, { algorithms: ['RS256', 'ES256', 'EdDSA'] });
    return true;
  } catch {
    return false;
  }
}
