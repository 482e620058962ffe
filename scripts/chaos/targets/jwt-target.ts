import { randomBytes } from 'node:crypto';
import { jwtFunction } from '../../../functions/jwt/definition.ts';
import {
  JwtSecretFormat,
  namedKeys,
  parseJwtSecret,
  type JwtSecret,
} from '../../../functions/jwt/jwt-secret.ts';
import { KeyStatus, keyringMaterials, materialText } from '../../../functions/jwt/keyring.ts';
import type { FunctionDefinition } from '../../../shared/rotation-function.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { CredentialModel, type ChaosTarget, type VerifierView } from './chaos-target.ts';

/**
 * JWT signing secrets. The "target" is the verifier: a token signed with a version's
 * signing key works when the verifier accepts that key. Verifiers of a keyring trust every
 * key in AWSCURRENT's keyring; verifiers of plain and named keys trust AWSCURRENT and
 * AWSPREVIOUS (the documented way to keep old tokens valid for one rotation; an
 * emergency rotation takes AWSPREVIOUS away). HMAC signatures are equal exactly when the
 * keys are, so "verifies" is decided by key equality, not by a signature round trip.
 * The function has no target ports: its injection points are the Secrets Manager calls.
 */
export type JwtChaosFormat = 'plain' | 'named' | 'keyring';

function parse(text: string): JwtSecret {
  return parseJwtSecret(
    new Sensitive(text),
    { versionId: 'observer', stage: 'observer' },
    { keyFields: undefined },
  );
}

function signingKey(secret: JwtSecret): string {
  if (secret.format === JwtSecretFormat.keyring) {
    const key = secret.keyring.keys.find((candidate) => candidate.status === KeyStatus.current);
    return key === undefined ? '' : materialText(key.material.reveal());
  }
  return [...namedKeys(secret).values()][0] ?? '';
}

function verifierKeys(view: VerifierView): Set<string> {
  if (view.current === undefined) return new Set();
  const current = parse(view.current);
  if (current.format === JwtSecretFormat.keyring) return new Set(keyringMaterials(current.keyring));
  const keys = new Set(namedKeys(current).values());
  if (view.previous !== undefined) for (const key of namedKeys(parse(view.previous)).values()) keys.add(key);
  return keys;
}

function initialValue(format: JwtChaosFormat): string {
  const key = randomBytes(64);
  switch (format) {
    case 'plain':
      return key.toString('base64');
    case 'named':
      return JSON.stringify({ JWT_SECRET: key.toString('base64'), issuer: 'chaos' });
    case 'keyring':
      return JSON.stringify({
        format: 'jwt-keyring/v1',
        keys: [
          {
            kid: 'chaos-initial',
            alg: 'HS256',
            createdAt: new Date(0).toISOString(),
            status: 'current',
            k: key.toString('base64url'),
          },
        ],
      });
  }
}

export function jwtTarget(format: JwtChaosFormat): ChaosTarget {
  return {
    name: `jwt/${format}`,
    model: CredentialModel.zeroDowntime,
    emergency: true,
    repairSafe: true,
    env: {},
    async provision() {
      return { secretString: initialValue(format) };
    },
    definition: () => jwtFunction as FunctionDefinition<unknown, object>,
    async authenticates(secretString, view) {
      return verifierKeys(view).has(signingKey(parse(secretString)));
    },
    async close() {},
  };
}
