import { ErrorCode, RotationError } from '../../shared/errors.ts';
import type { VersionRef } from '../../shared/strategy.ts';
import type { JwtConfig } from './jwt-config.ts';
import { allKeyMaterial, JwtSecretFormat, namedKeys, type JwtSecret } from './jwt-secret.ts';
import { assessHmacBytes, assessSymmetricKey } from './key-policy.ts';
import {
  isHmacAlg,
  JwtAlg,
  KeyStatus,
  keyWithStatus,
  materialText,
  type Keyring,
  type KeyringKey,
} from './keyring.ts';
import { keyringKeyResolver, signingKeyOf, signTestToken, stringKeyBytes, verifies } from './probe-token.ts';

/** Alg used to prove a plain or named key signs: HS256 over the key's UTF-8 bytes. */
const SYMMETRIC_TEST_ALG = JwtAlg.HS256;

function policyError(where: VersionRef, subject: string, problem: string): RotationError {
  return new RotationError(
    ErrorCode.ERR_POLICY_VIOLATION,
    `Pending JWT secret version ${where.versionId}: ${subject} ${problem}`,
    {
      details: { versionId: where.versionId, stage: where.stage, key: subject },
    },
  );
}

function testError(where: VersionRef, subject: string, problem: string): RotationError {
  return new RotationError(
    ErrorCode.ERR_TEST_FAILED,
    `Pending JWT secret version ${where.versionId}: ${subject} ${problem}`,
    {
      details: { versionId: where.versionId, stage: where.stage, key: subject },
    },
  );
}

export interface SymmetricCheckInput {
  readonly current: JwtSecret;
  readonly pending: JwtSecret;
  readonly previous: JwtSecret | undefined;
  readonly config: JwtConfig;
  readonly where: VersionRef;
}

/**
 * Plain and named secrets: the shape is kept, every key meets the strength policy, no key
 * repeats one of the current or previous version or another key of the pending version,
 * and every key signs a short-lived HS256 token that verifies with it and not with the
 * current version's keys.
 */
export async function verifyPendingSymmetricKeys({
  current,
  pending,
  previous,
  config,
  where,
}: SymmetricCheckInput): Promise<void> {
  if (pending.format !== current.format)
    throw testError(where, 'format', `is ${pending.format}, expected ${current.format} as in AWSCURRENT`);
  if (pending.format === JwtSecretFormat.named && current.format === JwtSecretFormat.named) {
    const missing = current.keyFields.filter((field) => !pending.keyFields.includes(field));
    if (missing.length > 0)
      throw testError(where, 'key fields', `lack ${missing.join(', ')}, present in AWSCURRENT`);
    const others = (doc: Readonly<Record<string, unknown>>, keys: readonly string[]) =>
      JSON.stringify(Object.entries(doc).filter(([name]) => !keys.includes(name)));
    if (
      others(pending.document.reveal(), pending.keyFields) !==
      others(current.document.reveal(), current.keyFields)
    ) {
      throw testError(
        where,
        'non-key fields',
        'differ from AWSCURRENT; they must be carried forward unchanged',
      );
    }
  }
  const old = new Set([...allKeyMaterial(current), ...allKeyMaterial(previous)]);
  const oldKeys = [...allKeyMaterial(current)];
  const seen = new Map<string, string>();
  for (const [name, key] of namedKeys(pending)) {
    const encoding =
      pending.format === JwtSecretFormat.named
        ? pending.encodings[name]
        : pending.format === JwtSecretFormat.plain
          ? pending.encoding
          : undefined;
    const assessment = assessSymmetricKey(key, config.hmacKeyBytes, encoding);
    if (assessment.problems.length > 0) throw policyError(where, name, assessment.problems.join('; '));
    if (old.has(key)) throw policyError(where, name, 'equals a key of the current or previous version');
    const twin = seen.get(key);
    if (twin !== undefined)
      throw policyError(where, name, `equals key field ${twin}; every key must be distinct`);
    seen.set(key, name);
    const token = await signTestToken(stringKeyBytes(key), SYMMETRIC_TEST_ALG);
    if (!(await verifies(token, stringKeyBytes(key), [SYMMETRIC_TEST_ALG])))
      throw testError(where, name, 'signed a token that does not verify');
    for (const oldKey of oldKeys) {
      if (await verifies(token, stringKeyBytes(oldKey), [SYMMETRIC_TEST_ALG]))
        throw testError(where, name, 'signed a token that verifies with an AWSCURRENT key');
    }
  }
}

export interface KeyringCheckInput {
  readonly current: Keyring;
  readonly pending: Keyring;
  readonly previous: JwtSecret | undefined;
  readonly emergency: boolean;
  readonly config: JwtConfig;
  readonly where: VersionRef;
}

/**
 * Keyrings: every key new in the pending keyring meets the policy and differs from every
 * old key; every pending key signs a token that the pending keyring verifies; a token
 * signed by AWSCURRENT's signing key still verifies with the pending keyring (scheduled)
 * or no longer does (emergency); and, on a scheduled rotation, the pending signing key
 * was already published in AWSCURRENT (publish-before-use).
 */
export async function verifyPendingKeyring({
  current,
  pending,
  previous,
  emergency,
  config,
  where,
}: KeyringCheckInput): Promise<void> {
  const pendingCurrent = keyWithStatus(pending, KeyStatus.current);
  const currentSigner = keyWithStatus(current, KeyStatus.current);
  if (pendingCurrent === undefined || currentSigner === undefined)
    throw testError(where, 'keys', 'lack a current key');
  if (keyWithStatus(pending, KeyStatus.next) === undefined)
    throw policyError(
      where,
      'keys',
      'lack a next key; the next signing key must be published a rotation ahead',
    );
  const oldKids = new Set(current.keys.map((key) => key.kid));
  if (!emergency && !oldKids.has(pendingCurrent.kid)) {
    throw policyError(
      where,
      pendingCurrent.kid,
      'signs (status current) but was not published in AWSCURRENT; verifiers would reject its tokens',
    );
  }
  const old = new Set([
    ...current.keys.map((key) => materialText(key.material.reveal())),
    ...allKeyMaterial(previous),
  ]);
  const resolve = keyringKeyResolver(pending);
  const algs = [...new Set(pending.keys.map((key) => key.alg))];
  const seen = new Set<string>();
  for (const key of pending.keys) {
    const material = materialText(key.material.reveal());
    if (seen.has(material)) throw policyError(where, key.kid, 'repeats the material of another pending key');
    seen.add(material);
    if (!oldKids.has(key.kid)) {
      checkNewKeyPolicy(key, config, where);
      if (old.has(material))
        throw policyError(where, key.kid, 'equals a key of the current or previous version');
    }
    const token = await signWith(key, where);
    if (!(await verifies(token, resolve, algs)))
      throw testError(where, key.kid, 'signed a token that the pending keyring does not verify');
  }
  const inFlight = await signWith(currentSigner, where);
  const stillValid = await verifies(inFlight, resolve, [...new Set([...algs, currentSigner.alg])]);
  if (!emergency && !stillValid)
    throw testError(
      where,
      currentSigner.kid,
      'is the AWSCURRENT signing key, and its tokens no longer verify with the pending keyring',
    );
  if (emergency && stillValid)
    throw testError(
      where,
      currentSigner.kid,
      'is the revoked AWSCURRENT signing key, and its tokens still verify with the pending keyring',
    );
}

async function signWith(key: KeyringKey, where: VersionRef): Promise<string> {
  try {
    return await signTestToken(await signingKeyOf(key), key.alg, key.kid);
  } catch (error) {
    throw new RotationError(
      ErrorCode.ERR_TEST_FAILED,
      `JWT secret version ${where.versionId}: key ${key.kid} (${key.alg}) cannot sign a token`,
      {
        cause: error,
        details: { versionId: where.versionId, stage: where.stage, key: key.kid },
      },
    );
  }
}

function checkNewKeyPolicy(key: KeyringKey, config: JwtConfig, where: VersionRef): void {
  const material = key.material.reveal();
  if (isHmacAlg(key.alg)) {
    if (!('k' in material)) throw policyError(where, key.kid, 'has no HMAC key');
    const assessment = assessHmacBytes(material.k, config.hmacKeyBytes);
    if (assessment.problems.length > 0) throw policyError(where, key.kid, assessment.problems.join('; '));
    return;
  }
  if (key.alg === JwtAlg.RS256 && 'privateJwk' in material) {
    const bits = Buffer.from(String(material.privateJwk.n), 'base64url').length * 8;
    if (bits < config.rsaModulusBits)
      throw policyError(
        where,
        key.kid,
        `has a ${bits}-bit RSA modulus, policy requires ${config.rsaModulusBits}`,
      );
  }
  // ES256 (P-256) and EdDSA (Ed25519) have fixed strength; parseKeyring checked the curve.
}
