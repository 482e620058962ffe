/**
 * Behaviour recorded on real AWS that the emulator once departed from. Each test names its
 * recording (scripts/emulator/README.md, "Sources"): AWS-REC is LocalStack's AWS-validated
 * snapshot file, AWS-VER a moto test that moto runs against real AWS (`@aws_verified`).
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  type Filter,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, startHarness, type Harness } from './emulator-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const INVALID_NAME =
  'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!';

describe('SecretId that is not a valid secret name (AWS-REC test_invalid_secret_name[*])', () => {
  for (const secretId of ['Inv Name', ' Inv Name', ' Inv*Name? ', ' Inv *?!]Name\\-']) {
    it(`answers ValidationException on every operation for ${JSON.stringify(secretId)}, not "not found"`, async () => {
      const SecretId = secretId;
      const calls = [
        h.sm.send(new DescribeSecretCommand({ SecretId })),
        h.sm.send(new GetSecretValueCommand({ SecretId })),
        h.sm.send(new ListSecretVersionIdsCommand({ SecretId, IncludeDeprecated: true })),
        h.sm.send(new PutSecretValueCommand({ SecretId, SecretString: 'MySecretString' })),
        h.sm.send(new TagResourceCommand({ SecretId, Tags: [{ Key: 'FirstTag', Value: 'SomeValue' }] })),
        h.sm.send(new UntagResourceCommand({ SecretId, TagKeys: ['FirstTag'] })),
        h.sm.send(new UpdateSecretCommand({ SecretId, Description: 'MyNewDescription' })),
        // Not even the forced delete, which succeeds for a valid name that does not exist (DL7).
        h.sm.send(new DeleteSecretCommand({ SecretId, ForceDeleteWithoutRecovery: true })),
      ];
      for (const call of calls) {
        expect(await failure(call)).toEqual({
          name: 'ValidationException',
          message: INVALID_NAME,
          status: 400,
        });
      }
      expect(
        await failure(h.sm.send(new CreateSecretCommand({ Name: secretId, SecretString: 'x' }))),
      ).toEqual({
        name: 'ValidationException',
        message: INVALID_NAME,
        status: 400,
      });
    });
  }
});

describe('partial ARNs (AWS-REC test_create_and_update_secret[*])', () => {
  it('finds a secret by its ARN without the random suffix', async () => {
    const created = await h.sm.send(
      new CreateSecretCommand({ Name: 'Valid/_+=.@-Name-a1b2', SecretString: 's' }),
    );
    const arn = created.ARN ?? '';
    const out = await h.sm.send(new GetSecretValueCommand({ SecretId: arn.slice(0, -7) }));
    expect(out.ARN).toBe(arn);
  });

  it('reads a partial ARN that ends like a suffix (-xxxxxx) as a full ARN: no such secret', async () => {
    const name = 'Invalid/_+=.@-Name-a1b2c3';
    const created = await h.sm.send(new CreateSecretCommand({ Name: name, SecretString: 's' }));
    const arn = created.ARN ?? '';
    expect(await failure(h.sm.send(new GetSecretValueCommand({ SecretId: arn.slice(0, -7) })))).toEqual({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
      status: 400,
    });
    // By name and by full ARN it is found as usual.
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: name }))).ARN).toBe(arn);
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: arn }))).Name).toBe(name);
  });
});

describe('ListSecrets word matching (AWS-VER test_list_secrets.py)', () => {
  // Two groups, each told apart by a word of its own, so one group's words cannot match the other's.
  const unique = 'q7x2k9';
  const uniqueDesc = 'w3v8m1';
  const listed = async (Filters: Filter[], marker: string): Promise<string[]> => {
    const out = await h.sm.send(new ListSecretsCommand({ Filters }));
    return (out.SecretList ?? []).map((entry) => entry.Name ?? '').filter((name) => name.includes(marker));
  };
  const names = (Filters: Filter[]): Promise<string[]> => listed(Filters, unique);
  const create = (
    Name: string,
    extra: { Description?: string; Tags?: { Key: string; Value: string }[] } = {},
  ) => h.sm.send(new CreateSecretCommand({ Name, SecretString: 's', ...extra }));

  beforeAll(async () => {
    await create(`SecretOne${unique}`);
    await create(`SecretTwo${unique}`, { Description: 'DescTwo' });
    await create(`Thirdsecret${unique}`);
    await create(`SecretFTag${unique}`, { Tags: [{ Key: '1', Value: 'foo' }] });
    await create(`SecretFValue${unique}`, { Tags: [{ Key: 'foo', Value: 'v' }] });
    await create(`none${unique}`);
    for (const separator of ['/', '_', '+', '=', '.', '@', '-'])
      await create(`prod${separator}AppBeta${separator}${unique}`);
    await create(`uat/COMPANY/${unique}`);
    await create(`uat/COMPANYthings/${unique}`);
    await create(`desc-a-${uniqueDesc}`, { Description: 'one two' });
    await create(`desc-b-${uniqueDesc}`, { Description: 'one and two' });
    await create(`desc-c-${uniqueDesc}`, { Description: 'one' });
    await create(`desc-d-${uniqueDesc}`, { Description: 'two' });
  });

  const all = (value: string): Promise<string[]> => names([{ Key: 'all', Values: [value] }]);

  it('"all" matches whole words or word prefixes, without case, never the inside of a word (test_with_all_filter)', async () => {
    expect(await all('SecretOne')).toEqual([`SecretOne${unique}`]);
    const secretWords = [
      `SecretOne${unique}`,
      `SecretTwo${unique}`,
      `SecretFTag${unique}`,
      `SecretFValue${unique}`,
    ];
    expect(await all('Secret')).toEqual(secretWords);
    expect(await all('secret')).toEqual(secretWords);
    expect(await all('sec')).toEqual(secretWords);
    expect(await all('ret')).toEqual([]);
    expect(await all('SomeSecret')).toEqual([]);
    expect(await all('d')).toEqual([`SecretTwo${unique}`]);
    expect(await all('d t')).toEqual([`SecretTwo${unique}`]);
    expect(await all('t')).toEqual([`SecretTwo${unique}`, `Thirdsecret${unique}`, `SecretFTag${unique}`]);
  });

  it('"all" splits names at / _ + = . @ - and where an upper-case letter starts a lower-case word (test_with_all_filter_special_characters)', async () => {
    const appBeta = ['/', '_', '+', '=', '.', '@', '-'].map((s) => `prod${s}AppBeta${s}${unique}`);
    expect(await all('AppBeta')).toEqual(appBeta);
    expect(await all('Beta')).toEqual(appBeta);
    expect(await names([{ Key: 'all', Values: ['AppBeta', 'prod'] }])).toEqual(appBeta);
    expect(await all('+')).toEqual([]);
    expect(await all('company')).toEqual([`uat/COMPANY/${unique}`]);
    expect(await all('things')).toEqual([]);
    expect(await all('Ythings')).toEqual([`uat/COMPANYthings/${unique}`]);
    // Single letters inside COMPANY are not words (`none…` of the other group starts with n).
    expect((await all('N')).filter((name) => name.startsWith('uat/'))).toEqual([]);
    expect(await all('pany')).toEqual([]);
  });

  it('"description" matches every word of the value against the words of the description (test_with_filter_with_value_with_multiple_words)', async () => {
    const description = (value: string): Promise<string[]> =>
      listed([{ Key: 'description', Values: [value] }], uniqueDesc);
    expect(await description('one two')).toEqual([`desc-a-${uniqueDesc}`, `desc-b-${uniqueDesc}`]);
    expect(await description('o t')).toEqual([`desc-a-${uniqueDesc}`, `desc-b-${uniqueDesc}`]);
    expect(await description('t')).toEqual([
      `desc-a-${uniqueDesc}`,
      `desc-b-${uniqueDesc}`,
      `desc-d-${uniqueDesc}`,
    ]);
  });

  it('two filters with the same key AND together (test_with_duplicate_filter_keys)', async () => {
    expect(
      await listed(
        [
          { Key: 'description', Values: ['one'] },
          { Key: 'description', Values: ['two'] },
        ],
        uniqueDesc,
      ),
    ).toEqual([`desc-a-${uniqueDesc}`, `desc-b-${uniqueDesc}`]);
  });
});
