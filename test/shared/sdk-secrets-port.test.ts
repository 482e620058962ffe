import { ListSecretVersionIdsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { ErrorCode, RotationError } from '../../shared/errors.ts';
import { createSdkSecretsPort } from '../../shared/sdk-secrets-port.ts';

// The SDK adapter's ListSecretVersionIds over a scripted client (no network): every page is
// read with IncludeDeprecated, and failures come back as RotationErrors naming the AWS error.

function scriptedClient(pages: Record<string, unknown>[] | Error): {
  client: SecretsManagerClient;
  inputs: Record<string, unknown>[];
} {
  const inputs: Record<string, unknown>[] = [];
  const client = {
    async send(command: unknown) {
      if (!(command instanceof ListSecretVersionIdsCommand)) throw new Error('unexpected command');
      inputs.push({ ...command.input });
      if (pages instanceof Error) throw pages;
      const page = pages[inputs.length - 1];
      if (page === undefined) throw new Error('read past the last page');
      return page;
    },
  };
  return { client: client as unknown as SecretsManagerClient, inputs };
}

describe('createSdkSecretsPort listSecretVersionIds', () => {
  it('follows NextToken with IncludeDeprecated and keeps ids, stages and creation dates', async () => {
    const created = new Date('2026-01-01T00:00:00Z');
    const { client, inputs } = scriptedClient([
      {
        Versions: [
          { VersionId: 'v1', CreatedDate: created },
          { VersionId: 'v2', VersionStages: ['AWSPREVIOUS'] },
        ],
        NextToken: 't1',
      },
      { Versions: [{ VersionId: 'v3', VersionStages: ['AWSCURRENT'], CreatedDate: created }] },
    ]);
    const versions = await createSdkSecretsPort(client).listSecretVersionIds('s');
    expect(versions).toEqual([
      { VersionId: 'v1', VersionStages: [], CreatedDate: created },
      { VersionId: 'v2', VersionStages: ['AWSPREVIOUS'] },
      { VersionId: 'v3', VersionStages: ['AWSCURRENT'], CreatedDate: created },
    ]);
    expect(inputs).toEqual([
      { SecretId: 's', IncludeDeprecated: true },
      { SecretId: 's', IncludeDeprecated: true, NextToken: 't1' },
    ]);
  });

  it('stops when the service hands back a token it already gave', async () => {
    const { client, inputs } = scriptedClient([
      { Versions: [{ VersionId: 'v1' }], NextToken: 'same' },
      { Versions: [{ VersionId: 'v2' }], NextToken: 'same' },
    ]);
    expect((await createSdkSecretsPort(client).listSecretVersionIds('s')).map((v) => v.VersionId)).toEqual([
      'v1',
      'v2',
    ]);
    expect(inputs).toHaveLength(2);
  });

  it('wraps a failure as ERR_SECRETS_MANAGER naming the operation and the AWS error', async () => {
    const denied = Object.assign(
      new Error('User is not authorized to perform secretsmanager:ListSecretVersionIds'),
      { name: 'AccessDeniedException' },
    );
    const { client } = scriptedClient(denied);
    const error = await createSdkSecretsPort(client)
      .listSecretVersionIds('arn:s')
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RotationError);
    expect(error).toMatchObject({
      code: ErrorCode.ERR_SECRETS_MANAGER,
      details: { operation: 'ListSecretVersionIds', awsError: 'AccessDeniedException', secretId: 'arn:s' },
    });
  });
});
