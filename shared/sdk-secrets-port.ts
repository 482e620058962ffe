import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ErrorCode, RotationError } from './errors.ts';
import { Sensitive } from './sensitive.ts';
import type { SecretDescription, SecretsPort, SecretVersion, SecretVersionEntry } from './secrets-port.ts';

/** Build the SDK client. `endpoint` comes from SECRETS_MANAGER_ENDPOINT, as in AWS's functions;
 *  when it is unset the SDK's own resolution (AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL) applies. */
export function createSecretsManagerClient(
  options: { readonly endpoint?: string | undefined; readonly region?: string | undefined } = {},
): SecretsManagerClient {
  return new SecretsManagerClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: 3,
  });
}

function wrap(operation: string, secretId: string | undefined, error: unknown): RotationError {
  const awsName = error instanceof Error ? error.name : 'Error';
  return new RotationError(
    ErrorCode.ERR_SECRETS_MANAGER,
    `Secrets Manager ${operation} failed with ${awsName}${secretId ? ` for ${secretId}` : ''}`,
    { cause: error, details: { operation, awsError: awsName, ...(secretId ? { secretId } : {}) } },
  );
}

/** The SecretsPort over the real AWS SDK v3 client. */
export function createSdkSecretsPort(client: SecretsManagerClient): SecretsPort {
  return {
    async describeSecret(secretId) {
      try {
        const out = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
        const tags: Record<string, string> = {};
        for (const tag of out.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
        const description: SecretDescription = {
          ARN: out.ARN ?? secretId,
          Name: out.Name ?? secretId,
          ...(out.RotationEnabled === undefined ? {} : { RotationEnabled: out.RotationEnabled }),
          ...(out.RotationLambdaARN === undefined ? {} : { RotationLambdaARN: out.RotationLambdaARN }),
          VersionIdsToStages: out.VersionIdsToStages ?? {},
          Tags: tags,
          ...(out.LastRotatedDate === undefined ? {} : { LastRotatedDate: out.LastRotatedDate }),
          ...(out.NextRotationDate === undefined ? {} : { NextRotationDate: out.NextRotationDate }),
        };
        return description;
      } catch (error) {
        throw wrap('DescribeSecret', secretId, error);
      }
    },

    async getSecretValue(input) {
      try {
        const out = await client.send(new GetSecretValueCommand({ ...input }));
        const version: SecretVersion = {
          ARN: out.ARN ?? input.SecretId,
          VersionId: out.VersionId ?? '',
          VersionStages: out.VersionStages ?? [],
          ...(out.SecretString !== undefined ? { SecretString: new Sensitive(out.SecretString) } : {}),
          ...(out.SecretBinary !== undefined ? { SecretBinary: new Sensitive(out.SecretBinary) } : {}),
        };
        return version;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw wrap('GetSecretValue', input.SecretId, error);
      }
    },

    async putSecretValue(input) {
      try {
        await client.send(
          new PutSecretValueCommand({
            SecretId: input.SecretId,
            ClientRequestToken: input.ClientRequestToken,
            SecretString: input.SecretString.reveal(),
            VersionStages: [...input.VersionStages],
            ...(input.RotationToken ? { RotationToken: input.RotationToken } : {}),
          }),
        );
      } catch (error) {
        throw wrap('PutSecretValue', input.SecretId, error);
      }
    },

    async updateSecretVersionStage(input) {
      try {
        await client.send(new UpdateSecretVersionStageCommand({ ...input }));
      } catch (error) {
        throw wrap('UpdateSecretVersionStage', input.SecretId, error);
      }
    },

    async listSecretVersionIds(secretId) {
      const entries: SecretVersionEntry[] = [];
      const seenTokens = new Set<string>();
      let nextToken: string | undefined;
      try {
        do {
          const out = await client.send(
            new ListSecretVersionIdsCommand({
              SecretId: secretId,
              IncludeDeprecated: true,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          );
          for (const version of out.Versions ?? []) {
            if (version.VersionId === undefined) continue;
            entries.push({
              VersionId: version.VersionId,
              VersionStages: version.VersionStages ?? [],
              ...(version.CreatedDate === undefined ? {} : { CreatedDate: version.CreatedDate }),
            });
          }
          nextToken = out.NextToken;
          // A token seen before would loop forever; the versions read so far are all there is to trust.
          if (nextToken !== undefined && seenTokens.has(nextToken)) break;
          if (nextToken !== undefined) seenTokens.add(nextToken);
        } while (nextToken);
      } catch (error) {
        throw wrap('ListSecretVersionIds', secretId, error);
      }
      return entries;
    },

    async getRandomPassword(input) {
      try {
        const out = await client.send(new GetRandomPasswordCommand({ ...input }));
        if (!out.RandomPassword) throw new Error('GetRandomPassword returned no password');
        return new Sensitive(out.RandomPassword);
      } catch (error) {
        throw wrap('GetRandomPassword', undefined, error);
      }
    },

    async tagResource(secretId, tags) {
      try {
        await client.send(
          new TagResourceCommand({
            SecretId: secretId,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
      } catch (error) {
        throw wrap('TagResource', secretId, error);
      }
    },

    async untagResource(secretId, tagKeys) {
      try {
        await client.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: [...tagKeys] }));
      } catch (error) {
        throw wrap('UntagResource', secretId, error);
      }
    },
  };
}
