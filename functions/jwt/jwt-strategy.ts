import { SecretKind, Stage } from '../../shared/constants.ts';
import type { Log } from '../../shared/observability.ts';
import { versionWithStage } from '../../shared/secrets-port.ts';
import { Sensitive } from '../../shared/sensitive.ts';
import type {
  CreateInput,
  FinishInput,
  FinishReport,
  RotationStrategy,
  StepInput,
  VersionRef,
} from '../../shared/strategy.ts';
import type { JwtConfig } from './jwt-config.ts';
import {
  allKeyMaterial,
  JwtSecretFormat,
  namedKeys,
  parseJwtSecret,
  serializeJwtSecret,
  type JwtSecret,
  type NamedJwtSecret,
} from './jwt-secret.ts';
import { estimateKeyBytes, generateKey, type KeyEncoding } from './key-encoding.ts';
import { assessHmacBytes, assessSymmetricKey } from './key-policy.ts';
import { isHmacAlg, KeyStatus, type Keyring } from './keyring.ts';
import { rotateKeyring } from './rotate-keyring.ts';
import { verifyPendingKeyring, verifyPendingSymmetricKeys } from './verify-pending-keys.ts';

export interface JwtStrategyDeps {
  readonly config: JwtConfig;
  readonly logger: Log;
  /** Clock for keyring `createdAt`. Default: the system clock. */
  readonly now?: () => Date;
}

/**
 * JWT signing secrets: the keys live only in the secret, so setSecret has nothing to do
 * outside it; testSecret signs and verifies with every pending key; an emergency
 * rotation revokes the old keys (keyring: dropped; plain and named: AWSPREVIOUS removed).
 */
export function createJwtStrategy(deps: JwtStrategyDeps): RotationStrategy<JwtSecret> {
  const { config, logger } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    kind: SecretKind.jwt,

    parse: (secretString: Sensitive<string>, where: VersionRef) =>
      parseJwtSecret(secretString, where, { keyFields: config.keyFields }),

    serialize: serializeJwtSecret,

    async createPending({ current, previous, context }: CreateInput<JwtSecret>): Promise<JwtSecret> {
      warnWeakCurrent(current, config, logger);
      const avoid = new Set([...allKeyMaterial(current), ...allKeyMaterial(previous)]);
      const fresh = (encoding: KeyEncoding, existing: string): string => {
        const bytes = Math.max(config.hmacKeyBytes, estimateKeyBytes(existing, encoding));
        for (;;) {
          const key = generateKey(encoding, bytes);
          if (!avoid.has(key)) {
            avoid.add(key);
            return key;
          }
        }
      };
      switch (current.format) {
        case JwtSecretFormat.plain: {
          logger.info('Generated a new plain JWT key', {
            format: current.format,
            encoding: current.encoding,
            emergency: context.emergency,
          });
          return { ...current, key: new Sensitive(fresh(current.encoding, current.key.reveal())) };
        }
        case JwtSecretFormat.named: {
          const document: Record<string, unknown> = { ...current.document.reveal() };
          for (const field of current.keyFields)
            document[field] = fresh(current.encodings[field] ?? 'base64', String(document[field]).trim());
          logger.info('Generated new named JWT keys', {
            format: current.format,
            keyFields: current.keyFields,
            emergency: context.emergency,
          });
          return { ...current, document: new Sensitive(document) } satisfies NamedJwtSecret;
        }
        case JwtSecretFormat.keyring: {
          const { keyring, change } = await rotateKeyring({
            keyring: current.keyring,
            emergency: context.emergency,
            now: now(),
            avoid,
            options: config,
          });
          logger.info('Built the pending JWT keyring', {
            format: current.format,
            emergency: context.emergency,
            ...change,
          });
          return { format: JwtSecretFormat.keyring, keyring };
        }
      }
    },

    async setSecret({ pending }: StepInput<JwtSecret>): Promise<void> {
      logger.info('JWT signing keys live only in the secret: nothing to change outside it', {
        format: pending.format,
      });
    },

    async testSecret({ current, pending, previous, context }: StepInput<JwtSecret>): Promise<void> {
      const where: VersionRef = { versionId: context.versionIds.pending, stage: Stage.AWSPENDING };
      if (pending.format === JwtSecretFormat.keyring && current.format === JwtSecretFormat.keyring) {
        await verifyPendingKeyring({
          current: current.keyring,
          pending: pending.keyring,
          previous,
          emergency: context.emergency,
          config,
          where,
        });
      } else {
        await verifyPendingSymmetricKeys({ current, pending, previous, config, where });
      }
      logger.info('Pending JWT keys sign and verify and meet the policy', {
        format: pending.format,
        keys: [...namedKeys(pending).keys()],
      });
    },

    async finishSecret({ current, previous, context }: FinishInput<JwtSecret>): Promise<FinishReport | void> {
      if (!context.emergency) return;
      const revoked: string[] = [];
      const description = await context.secrets.describeSecret(context.secretArn);
      const previousId = versionWithStage(description.VersionIdsToStages, Stage.AWSPREVIOUS);
      if (previousId !== undefined && previousId !== context.clientRequestToken) {
        await context.secrets.updateSecretVersionStage({
          SecretId: context.secretArn,
          VersionStage: Stage.AWSPREVIOUS,
          RemoveFromVersionId: previousId,
        });
        logger.info('Removed AWSPREVIOUS from the old version so verifiers stop accepting its keys', {
          revokedVersionId: previousId,
        });
        revoked.push(`AWSPREVIOUS label of version ${previousId}`);
      } else {
        logger.info('No version holds AWSPREVIOUS; nothing left to remove', {});
      }
      const kids = previous?.format === JwtSecretFormat.keyring ? revokedKids(previous.keyring, current) : [];
      if (kids.length > 0)
        revoked.push(`signing keys ${kids.join(', ')} (no longer in any labelled version)`);
      return { revoked };
    },
  };
}

function revokedKids(old: Keyring, current: JwtSecret): string[] {
  const kept =
    current.format === JwtSecretFormat.keyring
      ? new Set(current.keyring.keys.map((key) => key.kid))
      : new Set<string>();
  return old.keys.map((key) => key.kid).filter((kid) => !kept.has(kid));
}

/** A current key below the policy: the rotation proceeds and replaces it; say so without the key. */
function warnWeakCurrent(current: JwtSecret, config: JwtConfig, logger: Log): void {
  if (current.format === JwtSecretFormat.keyring) {
    const key = current.keyring.keys.find((candidate) => candidate.status === KeyStatus.current);
    const material = key?.material.reveal();
    if (key === undefined || material === undefined || !isHmacAlg(key.alg) || !('k' in material)) return;
    const assessment = assessHmacBytes(material.k, config.hmacKeyBytes);
    if (assessment.problems.length > 0) {
      logger.warn(
        'Current JWT key is below the key-strength policy; it stops signing once the next key is promoted',
        {
          kid: key.kid,
          alg: key.alg,
          problems: assessment.problems,
        },
      );
    }
    return;
  }
  const encodings: Readonly<Record<string, KeyEncoding>> =
    current.format === JwtSecretFormat.plain ? { key: current.encoding } : current.encodings;
  for (const [field, key] of namedKeys(current)) {
    const assessment = assessSymmetricKey(key, config.hmacKeyBytes, encodings[field]);
    if (assessment.problems.length > 0) {
      logger.warn('Current JWT key is below the key-strength policy; this rotation replaces it', {
        field,
        encoding: assessment.encoding,
        estimatedBytes: assessment.estimatedBytes,
        requiredBytes: config.hmacKeyBytes,
        problems: assessment.problems,
      });
    }
  }
}
