import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, raw, startHarness, tok, type Harness } from './emulator-harness.ts';

let h: Harness;
let counter = 0;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const newName = (label: string): string => `versions/${label}-${++counter}`;
const stagesOf = async (secretId: string): Promise<Record<string, string[]>> =>
  (await h.sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
const put = (SecretId: string, label: string, value: string, VersionStages?: string[]) =>
  h.sm.send(
    new PutSecretValueCommand({
      SecretId,
      ClientRequestToken: tok(label),
      SecretString: value,
      ...(VersionStages ? { VersionStages } : {}),
    }),
  );

async function created(label: string, value = 'v1'): Promise<string> {
  const name = newName(label);
  await h.sm.send(
    new CreateSecretCommand({ Name: name, SecretString: value, ClientRequestToken: tok('v1') }),
  );
  return name;
}

describe('CreateSecret', () => {
  it('C1/C2: a value creates the first version with the token as VersionId, labelled AWSCURRENT', async () => {
    const name = newName('c1');
    const out = await h.sm.send(
      new CreateSecretCommand({ Name: name, SecretString: 'v', ClientRequestToken: tok('first') }),
    );
    expect(out.VersionId).toBe(tok('first'));
    expect(
      Object.keys(out)
        .filter((key) => key !== '$metadata')
        .sort(),
    ).toEqual(['ARN', 'Name', 'VersionId']);
    expect(await stagesOf(name)).toEqual({ [tok('first')]: ['AWSCURRENT'] });
  });

  it('C4: same name, token and value is an identical success with no new version; a different value is ResourceExistsException', async () => {
    const name = newName('c4');
    const first = await h.sm.send(
      new CreateSecretCommand({ Name: name, SecretString: 'v', ClientRequestToken: tok('same') }),
    );
    const again = await h.sm.send(
      new CreateSecretCommand({ Name: name, SecretString: 'v', ClientRequestToken: tok('same') }),
    );
    expect([again.ARN, again.VersionId]).toEqual([first.ARN, first.VersionId]);
    const versions = await h.sm.send(
      new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }),
    );
    expect(versions.Versions).toHaveLength(1);
    const error = await failure(
      h.sm.send(
        new CreateSecretCommand({ Name: name, SecretString: 'other', ClientRequestToken: tok('same') }),
      ),
    );
    expect(error).toEqual({
      name: 'ResourceExistsException',
      message: `You can't use ClientRequestToken ${tok('same')} because that value is already in use for a version of secret ${first.ARN}.`,
      status: 400,
    });
  });

  it('C5: an existing name with another token is ResourceExistsException', async () => {
    const name = await created('c5');
    const error = await failure(h.sm.send(new CreateSecretCommand({ Name: name, SecretString: 'v1' })));
    expect(error).toEqual({
      name: 'ResourceExistsException',
      message: `The operation failed because the secret ${name} already exists.`,
      status: 400,
    });
  });

  it('C6: without a value there is no version, no VersionIdsToStages, and reads fail for AWSCURRENT', async () => {
    const name = newName('c6');
    const out = await h.sm.send(new CreateSecretCommand({ Name: name }));
    expect(out.VersionId).toBeUndefined();
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.VersionIdsToStages).toBeUndefined();
    const error = await failure(h.sm.send(new GetSecretValueCommand({ SecretId: name })));
    expect(error).toEqual({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      status: 400,
    });
  });

  it('C7/DL6: a name scheduled for deletion cannot be created again', async () => {
    const name = await created('c7');
    await h.sm.send(new DeleteSecretCommand({ SecretId: name }));
    const error = await failure(h.sm.send(new CreateSecretCommand({ Name: name, SecretString: 'x' })));
    expect(error).toEqual({
      name: 'InvalidRequestException',
      message:
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      status: 400,
    });
  });

  it('C8: description, tag and value limits are enforced; the default KMS key is omitted from DescribeSecret', async () => {
    expect(
      (
        await failure(
          h.sm.send(new CreateSecretCommand({ Name: newName('c8'), Description: 'd'.repeat(2049) })),
        )
      ).name,
    ).toBe('ValidationException');
    const tags = Array.from({ length: 51 }, (_, index) => ({ Key: `k${index}`, Value: 'v' }));
    expect(
      (await failure(h.sm.send(new CreateSecretCommand({ Name: newName('c8'), Tags: tags })))).name,
    ).toBe('ValidationException');
    expect(
      (
        await failure(
          h.sm.send(
            new CreateSecretCommand({ Name: newName('c8'), Tags: [{ Key: 'k'.repeat(129), Value: '' }] }),
          ),
        )
      ).name,
    ).toBe('ValidationException');
    expect(
      (
        await failure(
          h.sm.send(
            new CreateSecretCommand({
              Name: newName('c8'),
              SecretString: 'x',
              SecretBinary: new Uint8Array([1]),
            }),
          ),
        )
      ).name,
    ).toBe('InvalidParameterException');
    const name = newName('c8');
    await h.sm.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: 'x',
        Tags: [
          { Key: 'Env', Value: 'a' },
          { Key: 'env', Value: 'b' },
        ],
      }),
    );
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.KmsKeyId).toBeUndefined();
    expect(described.Tags).toEqual([
      { Key: 'Env', Value: 'a' },
      { Key: 'env', Value: 'b' },
    ]);
  });
});

describe('PutSecretValue', () => {
  it('P1/V3: without VersionStages AWSCURRENT moves to the new version and AWSPREVIOUS follows', async () => {
    const name = await created('p1');
    const out = await put(name, 'v2', 'two');
    expect(out.VersionStages).toEqual(['AWSCURRENT']);
    expect(out.VersionId).toBe(tok('v2'));
    expect(await stagesOf(name)).toEqual({ [tok('v1')]: ['AWSPREVIOUS'], [tok('v2')]: ['AWSCURRENT'] });
    await put(name, 'v3', 'three');
    expect(await stagesOf(name)).toEqual({ [tok('v2')]: ['AWSPREVIOUS'], [tok('v3')]: ['AWSCURRENT'] });
  });

  it('P2: the same token and value is a no-op returning the same response with the current labels', async () => {
    const name = await created('p2');
    await put(name, 'v2', 'two');
    await put(name, 'v3', 'three');
    const replay = await put(name, 'v2', 'two');
    expect(replay.VersionId).toBe(tok('v2'));
    expect(replay.VersionStages).toEqual(['AWSPREVIOUS']);
    expect(await stagesOf(name)).toEqual({ [tok('v2')]: ['AWSPREVIOUS'], [tok('v3')]: ['AWSCURRENT'] });
  });

  it('P3: the same token with a different value, or binary instead of string, is ResourceExistsException', async () => {
    const name = await created('p3');
    const error = await failure(put(name, 'v1', 'different'));
    expect(error.name).toBe('ResourceExistsException');
    expect(error.message).toContain(tok('v1'));
    const binary = await failure(
      h.sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: tok('v1'),
          SecretBinary: Buffer.from('v1'),
        }),
      ),
    );
    expect(binary.name).toBe('ResourceExistsException');
  });

  it('P4: VersionStages=[AWSPENDING] leaves AWSCURRENT where it is and takes AWSPENDING from any other version', async () => {
    const name = await created('p4');
    await put(name, 'v2', 'two', ['AWSPENDING']);
    expect(await stagesOf(name)).toEqual({ [tok('v1')]: ['AWSCURRENT'], [tok('v2')]: ['AWSPENDING'] });
    await put(name, 'v3', 'three', ['AWSPENDING']);
    expect(await stagesOf(name)).toEqual({ [tok('v1')]: ['AWSCURRENT'], [tok('v3')]: ['AWSPENDING'] });
    await put(name, 'v4', 'four', ['AWSCURRENT', 'custom']);
    expect(await stagesOf(name)).toEqual({
      [tok('v1')]: ['AWSPREVIOUS'],
      [tok('v3')]: ['AWSPENDING'],
      [tok('v4')]: ['AWSCURRENT', 'custom'],
    });
  });

  it('P5: labels not named in VersionStages stay where they are', async () => {
    const name = await created('p5');
    await put(name, 'v2', 'two', ['one', 'three', 'two']);
    await put(name, 'v3', 'three', ['four', 'one', 'two']);
    const stages = await stagesOf(name);
    expect(stages[tok('v2')]).toEqual(['three']);
    expect(stages[tok('v3')]).toEqual(['four', 'one', 'two']);
    expect(stages[tok('v1')]).toEqual(['AWSCURRENT']);
  });

  it('P6: the first version of a secret gets AWSCURRENT even when VersionStages omits it', async () => {
    const name = newName('p6');
    await h.sm.send(new CreateSecretCommand({ Name: name }));
    const out = await put(name, 'first', 'x', ['custom']);
    expect(out.VersionStages).toEqual(['custom', 'AWSCURRENT']);
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('x');
  });

  it('P7: when AWSCURRENT leaves a version that also has AWSPENDING, that version keeps only AWSPREVIOUS', async () => {
    const name = await created('p7');
    await put(name, 'v2', 'two', ['AWSPENDING']);
    await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: tok('v2'),
        RemoveFromVersionId: tok('v1'),
      }),
    );
    expect((await stagesOf(name))[tok('v2')]).toEqual(['AWSPENDING', 'AWSCURRENT']);
    await put(name, 'v3', 'three');
    expect(await stagesOf(name)).toEqual({ [tok('v2')]: ['AWSPREVIOUS'], [tok('v3')]: ['AWSCURRENT'] });
  });

  it('P8/DL3: PutSecretValue on a secret scheduled for deletion is InvalidRequestException', async () => {
    const name = await created('p8');
    await h.sm.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    const error = await failure(put(name, 'v2', 'two'));
    expect(error).toEqual({
      name: 'InvalidRequestException',
      message: "You can't perform this operation on the secret because it was marked for deletion.",
      status: 400,
    });
  });

  it('P10: a value is required, only one kind, at most 65536; RotationToken must match its pattern', async () => {
    const name = await created('p10');
    const none = await raw(h.emu.endpoint, 'PutSecretValue', {
      SecretId: name,
      ClientRequestToken: tok('none'),
    });
    expect(none.json['__type']).toBe('InvalidParameterException');
    const both = await raw(h.emu.endpoint, 'PutSecretValue', {
      SecretId: name,
      ClientRequestToken: tok('both'),
      SecretString: 'x',
      SecretBinary: 'eA==',
    });
    expect(both.json['__type']).toBe('InvalidParameterException');
    const big = await failure(put(name, 'big', 'x'.repeat(65537)));
    expect(big.name).toBe('ValidationException');
    expect(big.message).not.toContain('xxxx');
    const badRotationToken = await failure(
      h.sm.send(
        new PutSecretValueCommand({
          SecretId: name,
          ClientRequestToken: tok('rt'),
          SecretString: 'x',
          RotationToken: 'short',
        }),
      ),
    );
    expect(badRotationToken.name).toBe('ValidationException');
    const okRotationToken = await h.sm.send(
      new PutSecretValueCommand({
        SecretId: name,
        ClientRequestToken: tok('rt'),
        SecretString: 'x',
        RotationToken: crypto.randomUUID(),
      }),
    );
    expect(okRotationToken.VersionId).toBe(tok('rt'));
    expect(await stagesOf(name)).toEqual({ [tok('v1')]: ['AWSPREVIOUS'], [tok('rt')]: ['AWSCURRENT'] });
  });
});

describe('UpdateSecret', () => {
  it('US1: a value makes a new AWSCURRENT version; metadata alone makes none and returns no VersionId', async () => {
    const name = await created('us1');
    const out = await h.sm.send(
      new UpdateSecretCommand({ SecretId: name, SecretString: 'two', ClientRequestToken: tok('v2') }),
    );
    expect(out.VersionId).toBe(tok('v2'));
    expect(await stagesOf(name)).toEqual({ [tok('v1')]: ['AWSPREVIOUS'], [tok('v2')]: ['AWSCURRENT'] });
    const meta = await h.sm.send(new UpdateSecretCommand({ SecretId: name, Description: 'described' }));
    expect(meta.VersionId).toBeUndefined();
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.Description).toBe('described');
    expect(Object.keys(described.VersionIdsToStages ?? {})).toHaveLength(2);
  });

  it('US2: the same token and value succeeds with the same VersionId; a different value is ResourceExistsException', async () => {
    const name = await created('us2');
    await h.sm.send(
      new UpdateSecretCommand({ SecretId: name, SecretString: 'two', ClientRequestToken: tok('v2') }),
    );
    const again = await h.sm.send(
      new UpdateSecretCommand({ SecretId: name, SecretString: 'two', ClientRequestToken: tok('v2') }),
    );
    expect(again.VersionId).toBe(tok('v2'));
    expect(Object.keys(await stagesOf(name))).toHaveLength(2);
    expect(
      (
        await failure(
          h.sm.send(
            new UpdateSecretCommand({ SecretId: name, SecretString: 'three', ClientRequestToken: tok('v2') }),
          ),
        )
      ).name,
    ).toBe('ResourceExistsException');
  });

  it('US3: UpdateSecret on a secret scheduled for deletion is InvalidRequestException', async () => {
    const name = await created('us3');
    await h.sm.send(new DeleteSecretCommand({ SecretId: name }));
    expect(
      (await failure(h.sm.send(new UpdateSecretCommand({ SecretId: name, Description: 'x' })))).name,
    ).toBe('InvalidRequestException');
  });
});

describe('UpdateSecretVersionStage', () => {
  it('U1: moving AWSCURRENT adds it to the target (keeping its labels) and moves AWSPREVIOUS to the version it left', async () => {
    const name = await created('u1');
    await put(name, 'v2', 'two');
    await put(name, 'v3', 'three', ['custom']);
    // v1: AWSPREVIOUS, v2: AWSCURRENT, v3: custom
    const out = await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: tok('v3'),
        RemoveFromVersionId: tok('v2'),
      }),
    );
    expect(
      Object.keys(out)
        .filter((key) => key !== '$metadata')
        .sort(),
    ).toEqual(['ARN', 'Name']);
    expect(await stagesOf(name)).toEqual({
      [tok('v2')]: ['AWSPREVIOUS'],
      [tok('v3')]: ['custom', 'AWSCURRENT'],
    });
  });

  it('U2: a label held elsewhere needs RemoveFromVersionId naming that version; otherwise nothing changes', async () => {
    const name = await created('u2');
    await put(name, 'v2', 'two', ['AWSPENDING']);
    const error = await failure(
      h.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: tok('v2'),
        }),
      ),
    );
    expect(error).toEqual({
      name: 'InvalidParameterException',
      message: `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${tok('v1')}, so you must explicitly reference that version in RemoveFromVersionId.`,
      status: 400,
    });
    const wrong = await failure(
      h.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: tok('v2'),
          RemoveFromVersionId: tok('v2'),
        }),
      ),
    );
    expect(wrong.name).toBe('InvalidParameterException');
    expect(await stagesOf(name)).toEqual({ [tok('v1')]: ['AWSCURRENT'], [tok('v2')]: ['AWSPENDING'] });
  });

  it('U3/U5: after AWSCURRENT moves to the AWSPENDING version both labels stay there and reads return it', async () => {
    const name = await created('u3');
    await put(name, 'v2', 'two', ['AWSPENDING']);
    await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: tok('v2'),
        RemoveFromVersionId: tok('v1'),
      }),
    );
    expect(await stagesOf(name)).toEqual({
      [tok('v1')]: ['AWSPREVIOUS'],
      [tok('v2')]: ['AWSPENDING', 'AWSCURRENT'],
    });
    expect((await h.sm.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('two');
  });

  it('U4/V4/L2: removing the last label deprecates the version; it can still be read by VersionId', async () => {
    const name = await created('u4');
    await put(name, 'v2', 'two', ['AWSPENDING']);
    await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: tok('v2'),
      }),
    );
    expect(await stagesOf(name)).toEqual({ [tok('v1')]: ['AWSCURRENT'] });
    const read = await h.sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: tok('v2') }));
    expect(read.SecretString).toBe('two');
    expect(read.VersionStages).toEqual([]);
    const plain = await h.sm.send(new ListSecretVersionIdsCommand({ SecretId: name }));
    expect(plain.Versions?.map((version) => version.VersionId)).toEqual([tok('v1')]);
    const all = await h.sm.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
    const deprecated = all.Versions?.find((version) => version.VersionId === tok('v2'));
    expect(deprecated).toBeDefined();
    expect(deprecated && 'VersionStages' in deprecated).toBe(false);
  });

  it('U6 (decided): an unknown MoveToVersionId is InvalidParameterException and AWSCURRENT cannot simply be removed', async () => {
    const name = await created('u6');
    const unknown = await failure(
      h.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: tok('nope'),
          RemoveFromVersionId: tok('v1'),
        }),
      ),
    );
    expect(unknown).toEqual({
      name: 'InvalidParameterException',
      message: `Not a valid version: ${tok('nope')}`,
      status: 400,
    });
    const removal = await failure(
      h.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'AWSCURRENT',
          RemoveFromVersionId: tok('v1'),
        }),
      ),
    );
    expect(removal.name).toBe('InvalidParameterException');
    expect(await stagesOf(name)).toEqual({ [tok('v1')]: ['AWSCURRENT'] });
  });

  it('V1: a version holds at most 20 labels (LimitExceededException past that, nothing changes)', async () => {
    const name = await created('v1-limit');
    const labels = Array.from({ length: 19 }, (_, index) => `l${index}`);
    await put(name, 'v2', 'two', ['AWSCURRENT', ...labels]);
    const error = await failure(
      h.sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'one-more',
          MoveToVersionId: tok('v2'),
        }),
      ),
    );
    expect(error.name).toBe('LimitExceededException');
    expect((await stagesOf(name))[tok('v2')]).toHaveLength(20);
    const tooMany = await failure(put(name, 'v3', 'three', [...labels, 'a', 'b']));
    expect(tooMany.name).toBe('ValidationException');
  });

  it('V2: a custom label moved with UpdateSecretVersionStage leaves the version that held it', async () => {
    const name = await created('v2');
    await put(name, 'v2', 'two', ['blue']);
    await h.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'blue',
        MoveToVersionId: tok('v1'),
        RemoveFromVersionId: tok('v2'),
      }),
    );
    expect(await stagesOf(name)).toEqual({ [tok('v1')]: ['AWSCURRENT', 'blue'] });
  });
});

describe('GetSecretValue', () => {
  it('G1/G2: returns AWSCURRENT by default with all its labels and the version creation date', async () => {
    const name = await created('g1');
    await put(name, 'v2', 'two', ['AWSCURRENT', 'extra']);
    const read = await h.sm.send(new GetSecretValueCommand({ SecretId: name }));
    expect(read.SecretString).toBe('two');
    expect(read.VersionId).toBe(tok('v2'));
    expect(read.VersionStages).toEqual(['AWSCURRENT', 'extra']);
    expect(read.CreatedDate).toBeInstanceOf(Date);
    expect(
      (await h.sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPREVIOUS' })))
        .SecretString,
    ).toBe('v1');
  });

  it('G3: VersionId and VersionStage naming different versions is InvalidRequestException', async () => {
    const name = await created('g3');
    await put(name, 'v2', 'two');
    const error = await failure(
      h.sm.send(
        new GetSecretValueCommand({ SecretId: name, VersionId: tok('v1'), VersionStage: 'AWSCURRENT' }),
      ),
    );
    expect(error).toEqual({
      name: 'InvalidRequestException',
      message: 'You provided a VersionStage that is not associated to the provided VersionId.',
      status: 400,
    });
  });

  it('G4: an unheld stage, an unknown VersionId and an unknown secret each get their message', async () => {
    const name = await created('g4');
    expect(
      await failure(h.sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSPENDING' }))),
    ).toEqual({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
      status: 400,
    });
    expect(
      await failure(h.sm.send(new GetSecretValueCommand({ SecretId: name, VersionId: tok('nope') }))),
    ).toEqual({
      name: 'ResourceNotFoundException',
      message: `Secrets Manager can't find the specified secret value for VersionId: ${tok('nope')}`,
      status: 400,
    });
    expect((await failure(h.sm.send(new GetSecretValueCommand({ SecretId: 'versions/none' })))).message).toBe(
      "Secrets Manager can't find the specified secret.",
    );
  });

  it('G6: reading a secret scheduled for deletion is InvalidRequestException', async () => {
    const name = await created('g6');
    await h.sm.send(new DeleteSecretCommand({ SecretId: name }));
    expect((await failure(h.sm.send(new GetSecretValueCommand({ SecretId: name })))).name).toBe(
      'InvalidRequestException',
    );
  });

  it('G7: a read sets LastAccessedDate at date resolution on the secret and the version', async () => {
    const name = await created('g7');
    expect((await h.sm.send(new DescribeSecretCommand({ SecretId: name }))).LastAccessedDate).toBeUndefined();
    await h.sm.send(new GetSecretValueCommand({ SecretId: name }));
    const midnight = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    expect((await h.sm.send(new DescribeSecretCommand({ SecretId: name }))).LastAccessedDate?.getTime()).toBe(
      midnight,
    );
    const versions = await h.sm.send(new ListSecretVersionIdsCommand({ SecretId: name }));
    expect(versions.Versions?.[0]?.LastAccessedDate?.getTime()).toBe(midnight);
  });
});
