import { randomBytes } from 'node:crypto';
import { generateKeyMaterial } from '../../../functions/jwt/generate-key-material.ts';
import {
  keyringDocument,
  KEYRING_FORMAT,
  type JwtAlg,
  type KeyMaterial,
} from '../../../functions/jwt/keyring.ts';
import { Sensitive } from '../../../shared/sensitive.ts';

/** Test data for JWT secrets: real random keys, so leak scans have something to look for. */

export const ALGS: readonly JwtAlg[] = ['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA'];

export function plainBase64Key(bytes = 64): string {
  return randomBytes(bytes).toString('base64');
}

export function namedSecret(): { value: string; access: string; refresh: string } {
  // base64url is recognised by its '-' or '_'; about 1 draw in 15 of 64 bytes has neither
  // and reads as alphanumeric, so draw again until the key shows its encoding.
  let access = randomBytes(64).toString('base64url');
  while (!/[-_]/.test(access)) access = randomBytes(64).toString('base64url');
  const refresh = randomBytes(64).toString('hex');
  return {
    value: JSON.stringify({
      JWT_SECRET: access,
      JWT_REFRESH_SECRET: refresh,
      issuer: 'https://issuer.example',
      ttl: 900,
    }),
    access,
    refresh,
  };
}

export interface KeyringSeed {
  readonly kid: string;
  readonly status: 'next' | 'current' | 'previous';
  readonly alg: JwtAlg;
}

/** A keyring document with fresh keys; also returns each key's material text for leak scans. */
export async function keyringSecret(
  seeds: readonly KeyringSeed[],
  extra: Record<string, unknown> = { owner: 'team-auth' },
): Promise<{ value: string; materials: string[] }> {
  const keys = await Promise.all(
    seeds.map(async (seed) => {
      const material: KeyMaterial = await generateKeyMaterial(seed.alg, {
        hmacKeyBytes: 64,
        rsaModulusBits: 2048,
      });
      return {
        kid: seed.kid,
        alg: seed.alg,
        createdAt: '2026-01-01T00:00:00.000Z',
        status: seed.status,
        material: new Sensitive(material),
        extra: new Sensitive({}),
      };
    }),
  );
  const document = keyringDocument({ keys, extra: new Sensitive(extra) });
  const materials = keys.map((key) => {
    const material = key.material.reveal();
    return 'k' in material ? material.k : String(material.privateJwk.d);
  });
  return { value: JSON.stringify({ ...document, format: KEYRING_FORMAT }), materials };
}

/**
 * The secret material in a stored value, for leak scans: the key itself (plain), the
 * values of fields named like keys (named), or the private members of a keyring.
 */
export function secretFragments(value: string): string[] {
  const trimmed = value.trim();
  if (!trimmed.startsWith('{')) return [trimmed];
  const document = JSON.parse(trimmed) as Record<string, unknown>;
  if (document.format === KEYRING_FORMAT) return keyringPrivateFragments(trimmed);
  return Object.entries(document)
    .filter(([name, v]) => /(secret|_key)$/i.test(name) && typeof v === 'string')
    .map(([, v]) => v as string);
}

/** Fragments of a keyring's private material only (public JWK members are not secret). */
export function keyringPrivateFragments(value: string): string[] {
  const document = JSON.parse(value) as { keys: { k?: string; privateJwk?: Record<string, string> }[] };
  const out: string[] = [];
  for (const key of document.keys) {
    if (key.k) out.push(key.k);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
      const v = key.privateJwk?.[member];
      if (v) out.push(v);
    }
  }
  return out;
}
