import type { JsonWebKey } from 'node:crypto';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type { VersionRef } from '../../shared/strategy.ts';
import { hasControlCharacter } from '../../shared/printable.ts';

/**
 * The keyring format (`jwt-keyring/v1`): a JSON document listing signing keys with a
 * status each. Signers use `current`; verifiers accept every key; a new key is published
 * as `next` one rotation before it signs. Asymmetric public keys are also collected in
 * `jwks`, ready to serve as a `jwks.json` document.
 */
export const KEYRING_FORMAT = 'jwt-keyring/v1';

export const JwtAlg = {
  HS256: 'HS256',
  HS384: 'HS384',
  HS512: 'HS512',
  RS256: 'RS256',
  ES256: 'ES256',
  EdDSA: 'EdDSA',
} as const;
export type JwtAlg = (typeof JwtAlg)[keyof typeof JwtAlg];
export const JWT_ALGS: readonly JwtAlg[] = Object.freeze(Object.values(JwtAlg));

export const KeyStatus = { next: 'next', current: 'current', previous: 'previous' } as const;
export type KeyStatus = (typeof KeyStatus)[keyof typeof KeyStatus];
const KEY_STATUSES: readonly string[] = Object.values(KeyStatus);

export function isHmacAlg(alg: JwtAlg): alg is 'HS256' | 'HS384' | 'HS512' {
  return alg === JwtAlg.HS256 || alg === JwtAlg.HS384 || alg === JwtAlg.HS512;
}

/** The secret part of a key: an HMAC key (base64url) or a private JWK. */
export type KeyMaterial = { readonly k: string } | { readonly privateJwk: JsonWebKey };

export interface KeyringKey {
  readonly kid: string;
  readonly alg: JwtAlg;
  readonly createdAt: string;
  readonly status: KeyStatus;
  readonly material: Sensitive<KeyMaterial>;
  /** Unknown per-key fields, carried forward as they are. */
  readonly extra: Sensitive<Readonly<Record<string, unknown>>>;
}

export interface Keyring {
  readonly keys: readonly KeyringKey[];
  /** Unknown top-level fields, carried forward as they are. */
  readonly extra: Sensitive<Readonly<Record<string, unknown>>>;
}

const KNOWN_KEY_FIELDS = new Set(['kid', 'alg', 'createdAt', 'status', 'k', 'privateJwk', 'publicJwk']);
const KNOWN_TOP_FIELDS = new Set(['format', 'keys', 'jwks']);
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** What each asymmetric alg requires of its JWK. */
const JWK_SHAPE: Readonly<Record<string, { kty: string; crv?: string; members: readonly string[] }>> = {
  RS256: { kty: 'RSA', members: ['n', 'e', 'd'] },
  ES256: { kty: 'EC', crv: 'P-256', members: ['x', 'y', 'd'] },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', members: ['x', 'd'] },
};

export function isKeyringDocument(document: Readonly<Record<string, unknown>>): boolean {
  return (
    'format' in document && typeof document.format === 'string' && document.format.startsWith('jwt-keyring/')
  );
}

/** Validate a parsed keyring document. Errors name the field, never a value. */
export function parseKeyring(document: Readonly<Record<string, unknown>>, where: VersionRef): Keyring {
  const fail = (field: string, problem: string): never => {
    throw new RotationError(
      ErrorCode.ERR_SECRET_MALFORMED,
      `Keyring in version ${where.versionId} (${where.stage}): ${field} ${problem}`,
      {
        details: { versionId: where.versionId, stage: where.stage, field },
      },
    );
  };
  if (document.format !== KEYRING_FORMAT) fail('format', `must be "${KEYRING_FORMAT}"`);
  if (!Array.isArray(document.keys) || document.keys.length === 0) fail('keys', 'must be a non-empty array');
  const keys = (document.keys as unknown[]).map((raw, index) => parseKey(raw, `keys[${index}]`, fail));
  const kids = new Set<string>();
  for (const [index, key] of keys.entries()) {
    if (kids.has(key.kid)) fail(`keys[${index}].kid`, "repeats another key's kid");
    kids.add(key.kid);
  }
  const count = (status: KeyStatus): number => keys.filter((key) => key.status === status).length;
  if (count(KeyStatus.current) !== 1)
    fail('keys', `must hold exactly one key with status "current" (found ${count(KeyStatus.current)})`);
  if (count(KeyStatus.next) > 1)
    fail('keys', `must hold at most one key with status "next" (found ${count(KeyStatus.next)})`);
  if (document.jwks !== undefined && !(isObject(document.jwks) && Array.isArray(document.jwks.keys)))
    fail('jwks', 'must be an object with a "keys" array');
  return { keys, extra: new Sensitive(pickUnknown(document, KNOWN_TOP_FIELDS)) };
}

function parseKey(raw: unknown, path: string, fail: (field: string, problem: string) => never): KeyringKey {
  if (!isObject(raw)) return fail(path, 'must be an object');
  const kid = raw.kid;
  if (typeof kid !== 'string' || kid.trim() === '') fail(`${path}.kid`, 'must be a non-empty string');
  if (hasControlCharacter(kid as string))
    fail(
      `${path}.kid`,
      'holds a control character (escape code, newline, bidi override); kids reach logs and terminals',
    );
  if (typeof raw.alg !== 'string' || !(JWT_ALGS as readonly string[]).includes(raw.alg))
    fail(`${path}.alg`, `must be one of ${JWT_ALGS.join(', ')}`);
  const alg = raw.alg as JwtAlg;
  if (typeof raw.status !== 'string' || !KEY_STATUSES.includes(raw.status))
    fail(`${path}.status`, `must be one of ${KEY_STATUSES.join(', ')}`);
  if (typeof raw.createdAt !== 'string' || Number.isNaN(Date.parse(raw.createdAt)))
    fail(`${path}.createdAt`, 'must be an ISO 8601 date string');
  let material: KeyMaterial;
  if (isHmacAlg(alg)) {
    if (typeof raw.k !== 'string' || !/^[A-Za-z0-9_-]+$/.test(raw.k))
      fail(`${path}.k`, `must be a base64url string for ${alg}`);
    if (raw.privateJwk !== undefined || raw.publicJwk !== undefined)
      fail(path, `must not carry privateJwk or publicJwk for ${alg}`);
    material = { k: raw.k as string };
  } else {
    if (raw.k !== undefined) fail(`${path}.k`, `must be absent for ${alg}`);
    const privateJwk = raw.privateJwk;
    if (!isObject(privateJwk)) return fail(`${path}.privateJwk`, `must be a JWK object for ${alg}`);
    checkJwkShape(privateJwk, alg, `${path}.privateJwk`, fail);
    if (raw.publicJwk !== undefined) {
      const publicJwk = raw.publicJwk;
      if (!isObject(publicJwk)) return fail(`${path}.publicJwk`, 'must be a JWK object');
      if (PRIVATE_JWK_MEMBERS.some((member) => member in publicJwk))
        fail(`${path}.publicJwk`, 'must not contain private key members');
      const expected = publicJwkOf(privateJwk as JsonWebKey);
      const mismatch = Object.entries(expected).some(([member, value]) => publicJwk[member] !== value);
      if (mismatch) fail(`${path}.publicJwk`, 'does not match privateJwk');
    }
    material = { privateJwk: { ...(privateJwk as JsonWebKey) } };
  }
  return {
    kid: kid as string,
    alg,
    createdAt: raw.createdAt as string,
    status: raw.status as KeyStatus,
    material: new Sensitive(material),
    extra: new Sensitive(pickUnknown(raw, KNOWN_KEY_FIELDS)),
  };
}

function checkJwkShape(
  jwk: Record<string, unknown>,
  alg: JwtAlg,
  path: string,
  fail: (field: string, problem: string) => never,
): void {
  const shape = JWK_SHAPE[alg];
  if (shape === undefined) return;
  if (jwk.kty !== shape.kty) fail(`${path}.kty`, `must be "${shape.kty}" for ${alg}`);
  if (shape.crv !== undefined && jwk.crv !== shape.crv)
    fail(`${path}.crv`, `must be "${shape.crv}" for ${alg}`);
  for (const member of shape.members) {
    if (typeof jwk[member] !== 'string' || !/^[A-Za-z0-9_-]+$/.test(jwk[member] as string))
      fail(`${path}.${member}`, 'must be a base64url string');
  }
}

/** The public half of a private JWK: the public members only (kty, crv, n, e, x, y). */
export function publicJwkOf(privateJwk: JsonWebKey): JsonWebKey {
  const out: JsonWebKey = {};
  for (const member of ['kty', 'crv', 'n', 'e', 'x', 'y'] as const) {
    const value = privateJwk[member];
    if (typeof value === 'string') out[member] = value;
  }
  return out;
}

/** The verifier's view of a key: public JWK with kid, alg and use. */
export function jwksEntry(key: KeyringKey): JsonWebKey | undefined {
  const material = key.material.reveal();
  if (!('privateJwk' in material)) return undefined;
  return { ...publicJwkOf(material.privateJwk), kid: key.kid, alg: key.alg, use: 'sig' };
}

/** Serialise in a stable order: format, unknown top-level fields, keys, jwks. */
export function keyringDocument(keyring: Keyring): Record<string, unknown> {
  const keys = keyring.keys.map((key) => {
    const material = key.material.reveal();
    return {
      kid: key.kid,
      alg: key.alg,
      createdAt: key.createdAt,
      status: key.status,
      ...('k' in material
        ? { k: material.k }
        : { privateJwk: material.privateJwk, publicJwk: publicJwkOf(material.privateJwk) }),
      ...key.extra.reveal(),
    };
  });
  const jwks = {
    keys: keyring.keys.map(jwksEntry).filter((entry): entry is JsonWebKey => entry !== undefined),
  };
  return { format: KEYRING_FORMAT, ...keyring.extra.reveal(), keys, jwks };
}

/** Every key's secret material as text, for equality checks (never for logs). */
export function keyringMaterials(keyring: Keyring): string[] {
  return keyring.keys.map((key) => materialText(key.material.reveal()));
}

export function materialText(material: KeyMaterial): string {
  return 'k' in material ? material.k : String(material.privateJwk.d);
}

export function keyWithStatus(keyring: Keyring, status: KeyStatus): KeyringKey | undefined {
  return keyring.keys.find((key) => key.status === status);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pickUnknown(source: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).filter(([name]) => !known.has(name)));
}
