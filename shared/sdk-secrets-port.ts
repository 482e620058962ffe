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
  type DescribeSecretResponse,
  type GetSecretValueResponse,
  type SecretVersionsListEntry,
} from '@aws-sdk/client-secrets-manager';
import { awsCallError, callAws, type AwsCallTarget } from './aws-call.ts';
import { ErrorCode } from './errors.ts';
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

/** Secrets Manager errors carry ERR_SECRETS_MANAGER and name the secret under `secretId`. */
const sm = (operation: string, secretId?: string): AwsCallTarget => ({
  service: 'Secrets Manager',
  operation,
  resource: secretId,
  resourceKey: 'secretId',
  code: ErrorCode.ERR_SECRETS_MANAGER,
});

/** The SecretsPort over the real AWS SDK v3 client. */
export function createSdkSecretsPort(client: SecretsManagerClient): SecretsPort {
  return {
    async describeSecret(secretId) {
      return callAws(sm('DescribeSecret', secretId), async () => {
        const out = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
        return toSecretDescription(out, secretId);
      });
    },

    async getSecretValue(input) {
      try {
        const out = await client.send(new GetSecretValueCommand({ ...input }));
        return toSecretVersion(out, input.SecretId);
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw awsCallError(sm('GetSecretValue', input.SecretId), error);
      }
    },

    async putSecretValue(input) {
      await callAws(sm('PutSecretValue', input.SecretId), async () => {
        await client.send(
          new PutSecretValueCommand({
            SecretId: input.SecretId,
            ClientRequestToken: input.ClientRequestToken,
            SecretString: input.SecretString.reveal(),
            VersionStages: [...input.VersionStages],
            ...(input.RotationToken ? { RotationToken: input.RotationToken } : {}),
          }),
        );
      });
    },

    async updateSecretVersionStage(input) {
      await callAws(sm('UpdateSecretVersionStage', input.SecretId), async () => {
        await client.send(new UpdateSecretVersionStageCommand({ ...input }));
      });
    },

    async listSecretVersionIds(secretId) {
      const entries: SecretVersionEntry[] = [];
      const seenTokens = new Set<string>();
      let nextToken: string | undefined;
      await callAws(sm('ListSecretVersionIds', secretId), async () => {
        do {
          const out = await client.send(
            new ListSecretVersionIdsCommand({
              SecretId: secretId,
              IncludeDeprecated: true,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          );
          for (const version of out.Versions ?? []) {
            const entry = toSecretVersionEntry(version);
            if (entry) entries.push(entry);
          }
          nextToken = out.NextToken;
          // A token seen before would loop forever; the versions read so far are all there is to trust.
          if (nextToken !== undefined && seenTokens.has(nextToken)) break;
          if (nextToken !== undefined) seenTokens.add(nextToken);
        } while (nextToken);
      });
      return entries;
    },

    async getRandomPassword(input) {
      return callAws(sm('GetRandomPassword'), async () => {
        const out = await client.send(new GetRandomPasswordCommand({ ...input }));
        if (!out.RandomPassword) throw new Error('GetRandomPassword returned no password');
        return new Sensitive(out.RandomPassword);
      });
    },

    async tagResource(secretId, tags) {
      await callAws(sm('TagResource', secretId), async () => {
        await client.send(
          new TagResourceCommand({
            SecretId: secretId,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
      });
    },

    async untagResource(secretId, tagKeys) {
      await callAws(sm('UntagResource', secretId), async () => {
        await client.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: [...tagKeys] }));
      });
    },
  };
}

/** DescribeSecret's output as the port's description: tags as a record, replicas without a Region dropped. */
function toSecretDescription(out: DescribeSecretResponse, secretId: string): SecretDescription {
  return {
    ARN: out.ARN ?? secretId,
    Name: out.Name ?? secretId,
    ...(out.RotationEnabled === undefined ? {} : { RotationEnabled: out.RotationEnabled }),
    ...(out.RotationLambdaARN === undefined ? {} : { RotationLambdaARN: out.RotationLambdaARN }),
    VersionIdsToStages: out.VersionIdsToStages ?? {},
    Tags: toTagRecord(out.Tags),
    ...(out.LastRotatedDate === undefined ? {} : { LastRotatedDate: out.LastRotatedDate }),
    ...(out.NextRotationDate === undefined ? {} : { NextRotationDate: out.NextRotationDate }),
    ...(out.PrimaryRegion === undefined ? {} : { PrimaryRegion: out.PrimaryRegion }),
    ...(out.ReplicationStatus === undefined
      ? {}
      : { ReplicationStatus: toReplicationStatus(out.ReplicationStatus) }),
  };
}

/** Tags by key; a tag without a key is dropped, one without a value reads as ''. */
function toTagRecord(tags: DescribeSecretResponse['Tags']): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key !== undefined) record[tag.Key] = tag.Value ?? '';
  return record;
}

function toReplicationStatus(
  replicas: NonNullable<DescribeSecretResponse['ReplicationStatus']>,
): NonNullable<SecretDescription['ReplicationStatus']> {
  return replicas
    .filter((entry) => entry.Region !== undefined)
    .map((entry) => ({
      Region: entry.Region as string,
      ...(entry.Status === undefined ? {} : { Status: entry.Status }),
      ...(entry.StatusMessage === undefined ? {} : { StatusMessage: entry.StatusMessage }),
    }));
}

/** GetSecretValue's output as the port's version, the value wrapped in `Sensitive` the moment it arrives. */
function toSecretVersion(out: GetSecretValueResponse, secretId: string): SecretVersion {
  return {
    ARN: out.ARN ?? secretId,
    VersionId: out.VersionId ?? '',
    VersionStages: out.VersionStages ?? [],
    ...(out.SecretString !== undefined ? { SecretString: new Sensitive(out.SecretString) } : {}),
    ...(out.SecretBinary !== undefined ? { SecretBinary: new Sensitive(out.SecretBinary) } : {}),
  };
}

/** One ListSecretVersionIds entry; undefined for an entry without a VersionId. */
function toSecretVersionEntry(version: SecretVersionsListEntry): SecretVersionEntry | undefined {
  if (version.VersionId === undefined) return undefined;
  return {
    VersionId: version.VersionId,
    VersionStages: version.VersionStages ?? [],
    ...(version.CreatedDate === undefined ? {} : { CreatedDate: version.CreatedDate }),
  };
}
