import {
  withStageMoved,
  type GetSecretValueInput,
  type SecretsPort,
  type SecretVersion,
  type VersionIdsToStages,
} from './secrets-port.ts';

/** How many secret versions a warm process remembers. Default of `maxVersions`. */
export const VERSION_CACHE_MAX_VERSIONS = 64;

export interface VersionCacheOptions {
  /** Most versions held; the least recently used one goes first. Default VERSION_CACHE_MAX_VERSIONS (64). */
  readonly maxVersions?: number;
}

/**
 * A SecretsPort that reads each secret version at most once per warm process.
 *
 * A version's value never changes once stored (PutSecretValue refuses a second value under
 * the same ClientRequestToken), so values are kept by secret and VersionId, never by
 * label. Labels move: every read by label only goes to the service, and a read that names
 * both a VersionId and a VersionStage is answered from memory only when the latest
 * DescribeSecret seen through this port shows that stage on that version (the rotator
 * describes the secret at the start of every step, as the protocol requires). A label move
 * made through this port is applied as the service applies it (withStageMoved); a failed
 * one forgets the labels until the next DescribeSecret.
 *
 * The value stored by PutSecretValue is remembered without a re-read. Nothing is kept for a
 * version that had no value (it may be stored later), nor when a call fails. Values stay in
 * their Sensitive wrappers; nothing here logs.
 */
export function createCachingSecretsPort(inner: SecretsPort, options: VersionCacheOptions = {}): SecretsPort {
  const maxVersions = options.maxVersions ?? VERSION_CACHE_MAX_VERSIONS;
  if (!Number.isInteger(maxVersions) || maxVersions < 1)
    throw new RangeError(`maxVersions must be a positive integer, got ${String(maxVersions)}`);
  const versions = new Map<string, SecretVersion>();
  /** The latest VersionIdsToStages per secret, under the id it was asked by and its ARN; bounded alike. */
  const labels = new Map<string, VersionIdsToStages>();

  const keyOf = (secretId: string, versionId: string): string => `${secretId}\u0000${versionId}`;
  const remember = (secretIds: readonly string[], version: SecretVersion): void => {
    for (const secretId of new Set(secretIds)) {
      const key = keyOf(secretId, version.VersionId);
      versions.delete(key);
      versions.set(key, version);
    }
    while (versions.size > maxVersions) {
      const oldest = versions.keys().next().value;
      if (oldest === undefined) break;
      versions.delete(oldest);
    }
  };
  const fromMemory = (input: GetSecretValueInput): SecretVersion | undefined => {
    if (input.VersionId === undefined) return undefined;
    const key = keyOf(input.SecretId, input.VersionId);
    const version = versions.get(key);
    if (version === undefined) return undefined;
    const known = labels.get(input.SecretId)?.[input.VersionId];
    if (input.VersionStage !== undefined && !known?.includes(input.VersionStage)) return undefined;
    versions.delete(key);
    versions.set(key, version);
    return known === undefined ? version : { ...version, VersionStages: known };
  };
  const rememberLabels = (secretIds: readonly string[], stages: VersionIdsToStages): void => {
    for (const secretId of secretIds) {
      labels.delete(secretId);
      labels.set(secretId, stages);
    }
    while (labels.size > maxVersions) {
      const oldest = labels.keys().next().value;
      if (oldest === undefined) break;
      labels.delete(oldest);
    }
  };
  const forgetLabels = (secretId: string): void => {
    const stages = labels.get(secretId);
    for (const [id, known] of labels) if (id === secretId || known === stages) labels.delete(id);
  };

  return {
    async describeSecret(secretId) {
      const description = await inner.describeSecret(secretId);
      rememberLabels([secretId, description.ARN], description.VersionIdsToStages);
      return description;
    },

    async getSecretValue(input) {
      const known = fromMemory(input);
      if (known !== undefined) return known;
      const version = await inner.getSecretValue(input);
      if (version !== undefined && version.VersionId !== '') remember([input.SecretId, version.ARN], version);
      return version;
    },

    async putSecretValue(input) {
      await inner.putSecretValue(input);
      remember([input.SecretId], {
        ARN: input.SecretId,
        VersionId: input.ClientRequestToken,
        VersionStages: [...input.VersionStages],
        SecretString: input.SecretString,
      });
    },

    async updateSecretVersionStage(input) {
      const known = labels.get(input.SecretId);
      forgetLabels(input.SecretId);
      await inner.updateSecretVersionStage(input);
      // Moved as the service moves labels; after a failure nothing is known until the next DescribeSecret.
      if (known !== undefined) rememberLabels([input.SecretId], withStageMoved(known, input));
    },

    listSecretVersionIds: (secretId) => inner.listSecretVersionIds(secretId),
    getRandomPassword: (input) => inner.getRandomPassword(input),
    tagResource: (secretId, tags) => inner.tagResource(secretId, tags),
    untagResource: (secretId, tagKeys) => inner.untagResource(secretId, tagKeys),
  };
}
