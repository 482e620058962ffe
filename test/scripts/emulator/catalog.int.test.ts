import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
  type Filter,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, raw, startHarness, tok, type Harness } from './emulator-harness.ts';

const DAY_MS = 86_400_000;
let h: Harness;
let now = Date.UTC(2026, 0, 10, 12, 0, 0);
beforeAll(async () => {
  h = await startHarness({ clock: () => now });
});
afterAll(async () => {
  await h.close();
});

describe('DescribeSecret', () => {
  it('D1: a plain new secret returns only ARN, Name, CreatedDate, LastChangedDate and VersionIdsToStages', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'd/plain', SecretString: 'x' }));
    const response = await raw(h.emu.endpoint, 'DescribeSecret', { SecretId: 'd/plain' });
    expect(Object.keys(response.json).sort()).toEqual([
      'ARN',
      'CreatedDate',
      'LastChangedDate',
      'Name',
      'VersionIdsToStages',
    ]);
    expect(response.json['CreatedDate']).toBe(now / 1000);
  });

  it('D1/T1: Tags appear when set, and as [] after every tag is removed', async () => {
    await h.sm.send(
      new CreateSecretCommand({
        Name: 'd/tags',
        SecretString: 'x',
        Description: 'has tags',
        Tags: [{ Key: 'a', Value: '1' }],
      }),
    );
    await h.sm.send(new UntagResourceCommand({ SecretId: 'd/tags', TagKeys: ['a'] }));
    const response = await raw(h.emu.endpoint, 'DescribeSecret', { SecretId: 'd/tags' });
    expect(response.json['Tags']).toEqual([]);
    expect(response.json['Description']).toBe('has tags');
  });

  it('D2: rotation fields are absent until rotation is configured', async () => {
    const response = await raw(h.emu.endpoint, 'DescribeSecret', { SecretId: 'd/plain' });
    for (const key of [
      'RotationEnabled',
      'RotationLambdaARN',
      'RotationRules',
      'LastRotatedDate',
      'NextRotationDate',
    ])
      expect(response.json).not.toHaveProperty(key);
  });

  it('D5/V4: VersionIdsToStages lists only versions with labels', async () => {
    await h.sm.send(
      new CreateSecretCommand({ Name: 'd/deprecated', SecretString: 'x', ClientRequestToken: tok('v1') }),
    );
    await h.sm.send(
      new PutSecretValueCommand({
        SecretId: 'd/deprecated',
        ClientRequestToken: tok('v2'),
        SecretString: 'y',
        VersionStages: ['tmp'],
      }),
    );
    await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'd/deprecated',
        VersionStage: 'tmp',
        RemoveFromVersionId: tok('v2'),
      }),
    );
    expect(
      (await h.sm.send(new DescribeSecretCommand({ SecretId: 'd/deprecated' }))).VersionIdsToStages,
    ).toEqual({ [tok('v1')]: ['AWSCURRENT'] });
    const listed = await h.sm.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['d/deprecated'] }] }),
    );
    expect(listed.SecretList?.[0]?.SecretVersionsToStages).toEqual({ [tok('v1')]: ['AWSCURRENT'] });
  });

  it('D6/DL4: a secret scheduled for deletion can still be described and shows DeletedDate', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'd/scheduled', SecretString: 'x' }));
    const deleted = await h.sm.send(
      new DeleteSecretCommand({ SecretId: 'd/scheduled', RecoveryWindowInDays: 10 }),
    );
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: 'd/scheduled' }));
    expect(described.DeletedDate?.getTime()).toBe(deleted.DeletionDate?.getTime());
    expect(described.DeletedDate?.getTime()).toBe(now + 10 * DAY_MS);
  });

  it('D7/D8: a single-region secret has neither PrimaryRegion nor ReplicationStatus nor OwningService', async () => {
    const response = await raw(h.emu.endpoint, 'DescribeSecret', { SecretId: 'd/plain' });
    for (const key of ['PrimaryRegion', 'ReplicationStatus', 'OwningService'])
      expect(response.json).not.toHaveProperty(key);
  });
});

describe('ListSecretVersionIds', () => {
  it('L1: entries carry VersionId, VersionStages, CreatedDate and KmsKeyIds; pagination with NextToken', async () => {
    await h.sm.send(
      new CreateSecretCommand({ Name: 'l/paged', SecretString: 'x', ClientRequestToken: tok('v1') }),
    );
    await h.sm.send(
      new PutSecretValueCommand({ SecretId: 'l/paged', ClientRequestToken: tok('v2'), SecretString: 'y' }),
    );
    await h.sm.send(
      new PutSecretValueCommand({
        SecretId: 'l/paged',
        ClientRequestToken: tok('v3'),
        SecretString: 'z',
        VersionStages: ['AWSPENDING'],
      }),
    );
    const first = await h.sm.send(new ListSecretVersionIdsCommand({ SecretId: 'l/paged', MaxResults: 2 }));
    expect(first.Versions).toHaveLength(2);
    expect(first.NextToken).toBeDefined();
    expect(first.Versions?.[0]).toEqual({
      VersionId: tok('v1'),
      VersionStages: ['AWSPREVIOUS'],
      CreatedDate: new Date(now),
      KmsKeyIds: ['DefaultEncryptionKey'],
    });
    const second = await h.sm.send(
      new ListSecretVersionIdsCommand({ SecretId: 'l/paged', MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second.Versions?.map((version) => version.VersionId)).toEqual([tok('v3')]);
    expect(second.NextToken).toBeUndefined();
    expect(second.ARN).toMatch(/:secret:l\/paged-/);
  });

  it('L1: a missing secret is ResourceNotFoundException (400) and a foreign NextToken InvalidNextTokenException', async () => {
    expect(await failure(h.sm.send(new ListSecretVersionIdsCommand({ SecretId: 'l/none' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 400,
    });
    expect(
      (
        await failure(
          h.sm.send(new ListSecretVersionIdsCommand({ SecretId: 'l/paged', NextToken: 'garbage' })),
        )
      ).name,
    ).toBe('InvalidNextTokenException');
  });
});

describe('ListSecrets', () => {
  beforeAll(async () => {
    now += DAY_MS;
    await h.sm.send(
      new CreateSecretCommand({
        Name: 'ls/app/db',
        Description: 'Database Password',
        SecretString: 'x',
        Tags: [{ Key: 'Team', Value: 'payments' }],
      }),
    );
    now += 1000;
    await h.sm.send(
      new CreateSecretCommand({
        Name: 'ls/app/cache',
        Description: 'redis token',
        SecretString: 'x',
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    now += 1000;
    await h.sm.send(
      new CreateSecretCommand({
        Name: 'ls/jwt',
        SecretString: 'x',
        Tags: [{ Key: 'Team', Value: 'identity' }],
      }),
    );
    now += 1000;
    await h.sm.send(new CreateSecretCommand({ Name: 'ls/gone', SecretString: 'x' }));
    await h.sm.send(new DeleteSecretCommand({ SecretId: 'ls/gone' }));
  });
  const names = async (
    Filters: Filter[],
    extra: { SortOrder?: 'asc' | 'desc'; IncludePlannedDeletion?: boolean } = {},
  ): Promise<string[]> => {
    const out = await h.sm.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['ls/'] }, ...Filters], ...extra }),
    );
    return out.SecretList?.map((entry) => entry.Name ?? '') ?? [];
  };

  it('LS1: secrets scheduled for deletion are hidden unless IncludePlannedDeletion=true', async () => {
    expect(await names([])).toEqual(['ls/app/db', 'ls/app/cache', 'ls/jwt']);
    const all = await h.sm.send(
      new ListSecretsCommand({
        Filters: [{ Key: 'name', Values: ['ls/gone'] }],
        IncludePlannedDeletion: true,
      }),
    );
    expect(all.SecretList?.[0]?.DeletedDate).toBeInstanceOf(Date);
  });

  it('LS2: name and tag filters are case-sensitive prefixes; description is case-insensitive', async () => {
    expect(await names([{ Key: 'name', Values: ['ls/app/'] }])).toEqual(['ls/app/db', 'ls/app/cache']);
    expect(await names([{ Key: 'tag-key', Values: ['Team'] }])).toEqual(['ls/app/db', 'ls/jwt']);
    expect(await names([{ Key: 'tag-value', Values: ['pay', 'iden'] }])).toEqual(['ls/app/db', 'ls/jwt']);
    expect(await names([{ Key: 'description', Values: ['database'] }])).toEqual(['ls/app/db']);
    expect(await names([{ Key: 'name', Values: ['LS/'] }])).toEqual([]);
  });

  it('LS2: a leading ! negates, "all" searches every attribute by words, filters AND together', async () => {
    expect(await names([{ Key: 'tag-key', Values: ['!Team'] }])).toEqual(['ls/app/cache']);
    expect(await names([{ Key: 'all', Values: ['REDIS'] }])).toEqual(['ls/app/cache']);
    expect(await names([{ Key: 'all', Values: ['password database'] }])).toEqual(['ls/app/db']);
    expect(await names([{ Key: 'all', Values: ['jwt'] }])).toEqual(['ls/jwt']);
    expect(
      await names([
        { Key: 'tag-key', Values: ['Team'] },
        { Key: 'description', Values: ['data'] },
      ]),
    ).toEqual(['ls/app/db']);
  });

  it('LS2: SortOrder sorts by CreatedDate; pagination returns every entry once', async () => {
    expect(await names([], { SortOrder: 'desc' })).toEqual(['ls/jwt', 'ls/app/cache', 'ls/app/db']);
    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await h.sm.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['ls/'] }], MaxResults: 2, NextToken }),
      );
      seen.push(...(page.SecretList ?? []).map((entry) => entry.Name ?? ''));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(seen).toEqual(['ls/app/db', 'ls/app/cache', 'ls/jwt']);
  });

  it('LS2: an unknown filter key or a value outside the pattern is ValidationException', async () => {
    const badKey = await raw(h.emu.endpoint, 'ListSecrets', { Filters: [{ Key: 'colour', Values: ['x'] }] });
    expect(badKey.json['__type']).toBe('ValidationException');
    const badValue = await raw(h.emu.endpoint, 'ListSecrets', {
      Filters: [{ Key: 'name', Values: ['a*b'] }],
    });
    expect(badValue.json['__type']).toBe('ValidationException');
  });
});

describe('TagResource / UntagResource', () => {
  it('T1: tags append, an existing key takes the new value, untagging a missing key is fine', async () => {
    await h.sm.send(
      new CreateSecretCommand({ Name: 't/tags', SecretString: 'x', Tags: [{ Key: 'a', Value: '1' }] }),
    );
    await h.sm.send(
      new TagResourceCommand({
        SecretId: 't/tags',
        Tags: [
          { Key: 'b', Value: '2' },
          { Key: 'a', Value: 'one' },
        ],
      }),
    );
    await h.sm.send(new UntagResourceCommand({ SecretId: 't/tags', TagKeys: ['missing'] }));
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: 't/tags' }));
    expect(described.Tags).toEqual([
      { Key: 'a', Value: 'one' },
      { Key: 'b', Value: '2' },
    ]);
  });

  it('T2/DL3: tagging a secret scheduled for deletion is InvalidRequestException with the recorded message', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 't/deleted', SecretString: 'x' }));
    await h.sm.send(new DeleteSecretCommand({ SecretId: 't/deleted' }));
    const message = "You can't perform this operation on the secret because it was marked for deletion.";
    expect(
      await failure(
        h.sm.send(new TagResourceCommand({ SecretId: 't/deleted', Tags: [{ Key: 'a', Value: '1' }] })),
      ),
    ).toEqual({ name: 'InvalidRequestException', message, status: 400 });
    expect(
      (await failure(h.sm.send(new UntagResourceCommand({ SecretId: 't/deleted', TagKeys: ['a'] })))).name,
    ).toBe('InvalidRequestException');
    expect(
      (
        await failure(
          h.sm.send(
            new UpdateSecretVersionStageCommand({
              SecretId: 't/deleted',
              VersionStage: 'x',
              RemoveFromVersionId: tok('v'),
            }),
          ),
        )
      ).name,
    ).toBe('InvalidRequestException');
  });
});

describe('DeleteSecret / RestoreSecret', () => {
  it('DL1: the default recovery window is 30 days from the request', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'dl/default', SecretString: 'x' }));
    const out = await h.sm.send(new DeleteSecretCommand({ SecretId: 'dl/default' }));
    expect(out.DeletionDate?.getTime()).toBe(now + 30 * DAY_MS);
    expect(out.Name).toBe('dl/default');
  });

  it('DL2: a window outside 7-30 days, or one combined with force, is InvalidParameterException', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'dl/window', SecretString: 'x' }));
    for (const input of [
      { RecoveryWindowInDays: 6 },
      { RecoveryWindowInDays: 31 },
      { RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true },
    ]) {
      expect(
        (await failure(h.sm.send(new DeleteSecretCommand({ SecretId: 'dl/window', ...input })))).name,
      ).toBe('InvalidParameterException');
    }
    expect(
      (await h.sm.send(new DescribeSecretCommand({ SecretId: 'dl/window' }))).DeletedDate,
    ).toBeUndefined();
  });

  it('DL3: while deletion is scheduled, GetSecretValue is InvalidRequestException; DL5: RestoreSecret makes it usable', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'dl/restore', SecretString: 'x' }));
    await h.sm.send(new DeleteSecretCommand({ SecretId: 'dl/restore' }));
    expect((await failure(h.sm.send(new GetSecretValueCommand({ SecretId: 'dl/restore' })))).name).toBe(
      'InvalidRequestException',
    );
    const restored = await h.sm.send(new RestoreSecretCommand({ SecretId: 'dl/restore' }));
    expect(
      Object.keys(restored)
        .filter((key) => key !== '$metadata')
        .sort(),
    ).toEqual(['ARN', 'Name']);
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: 'dl/restore' }))).SecretString).toBe('x');
    expect(
      (await h.sm.send(new DescribeSecretCommand({ SecretId: 'dl/restore' }))).DeletedDate,
    ).toBeUndefined();
  });

  it('DL1: once the recovery window has passed the secret is gone and the name is free', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'dl/expire', SecretString: 'x' }));
    await h.sm.send(new DeleteSecretCommand({ SecretId: 'dl/expire', RecoveryWindowInDays: 7 }));
    now += 7 * DAY_MS - 1000;
    expect((await h.sm.send(new DescribeSecretCommand({ SecretId: 'dl/expire' }))).DeletedDate).toBeDefined();
    now += 1000;
    expect((await failure(h.sm.send(new DescribeSecretCommand({ SecretId: 'dl/expire' })))).name).toBe(
      'ResourceNotFoundException',
    );
    expect((await h.sm.send(new CreateSecretCommand({ Name: 'dl/expire', SecretString: 'y' }))).Name).toBe(
      'dl/expire',
    );
  });

  it('DL7: force deletes at once, also for an already scheduled or missing secret; a repeated plain delete fails', async () => {
    await h.sm.send(new CreateSecretCommand({ Name: 'dl/force', SecretString: 'x' }));
    await h.sm.send(new DeleteSecretCommand({ SecretId: 'dl/force' }));
    expect((await failure(h.sm.send(new DeleteSecretCommand({ SecretId: 'dl/force' })))).name).toBe(
      'InvalidRequestException',
    );
    const forced = await h.sm.send(
      new DeleteSecretCommand({ SecretId: 'dl/force', ForceDeleteWithoutRecovery: true }),
    );
    expect(forced.DeletionDate?.getTime()).toBe(now);
    expect((await failure(h.sm.send(new DescribeSecretCommand({ SecretId: 'dl/force' })))).name).toBe(
      'ResourceNotFoundException',
    );
    const again = await h.sm.send(
      new DeleteSecretCommand({ SecretId: 'dl/force', ForceDeleteWithoutRecovery: true }),
    );
    expect(again.Name).toBe('dl/force');
    expect((await failure(h.sm.send(new DeleteSecretCommand({ SecretId: 'dl/never' })))).name).toBe(
      'ResourceNotFoundException',
    );
  });
});

describe('version quota', () => {
  it('V5: past the quota, unlabelled versions older than 24 hours are removed; younger ones make it LimitExceededException', async () => {
    const small = await startHarness({ clock: () => now, versionQuota: 5 });
    try {
      await small.sm.send(
        new CreateSecretCommand({ Name: 'v5', SecretString: 'v0', ClientRequestToken: tok('v0') }),
      );
      for (let index = 1; index <= 4; index += 1) {
        await small.sm.send(
          new PutSecretValueCommand({
            SecretId: 'v5',
            ClientRequestToken: tok(`v${index}`),
            SecretString: `v${index}`,
          }),
        );
      }
      // five versions: v0..v2 unlabelled, v3 AWSPREVIOUS, v4 AWSCURRENT, all younger than a day
      const limited = await failure(
        small.sm.send(
          new PutSecretValueCommand({ SecretId: 'v5', ClientRequestToken: tok('v5'), SecretString: 'v5' }),
        ),
      );
      expect(limited.name).toBe('LimitExceededException');
      expect(
        Object.keys(
          (await small.sm.send(new DescribeSecretCommand({ SecretId: 'v5' }))).VersionIdsToStages ?? {},
        ),
      ).toEqual([tok('v3'), tok('v4')]);
      now += DAY_MS + 1000;
      await small.sm.send(
        new PutSecretValueCommand({ SecretId: 'v5', ClientRequestToken: tok('v5'), SecretString: 'v5' }),
      );
      const versions = await small.sm.send(
        new ListSecretVersionIdsCommand({ SecretId: 'v5', IncludeDeprecated: true }),
      );
      expect(versions.Versions?.map((version) => version.VersionId)).toEqual([
        tok('v1'),
        tok('v2'),
        tok('v3'),
        tok('v4'),
        tok('v5'),
      ]);
    } finally {
      await small.close();
    }
  });
});
