import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  RotateSecretCommand,
  StopReplicationToReplicaCommand,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, failure, startHarness, tok, type Harness } from './emulator-harness.ts';

// Each test names the statement of scripts/emulator/README.md ("Multi-Region secrets") it checks.

const PRIMARY = 'us-east-1';
const REPLICA = 'us-west-2';
const OTHER = 'eu-west-1';
let h: Harness;
let west: SecretsManagerClient;
let eu: SecretsManagerClient;
let counter = 0;

beforeAll(async () => {
  h = await startHarness({}, PRIMARY);
  west = clientFor(h.emu.endpoint, REPLICA);
  eu = clientFor(h.emu.endpoint, OTHER);
});
afterAll(async () => {
  west.destroy();
  eu.destroy();
  await h.close();
});

const newName = (label: string): string => `replication/${label}-${++counter}`;

async function replicated(label: string, regions = [REPLICA]): Promise<{ name: string; arn: string }> {
  const name = newName(label);
  const out = await h.sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: 'v1',
      ClientRequestToken: tok('v1'),
      AddReplicaRegions: regions.map((Region) => ({ Region })),
    }),
  );
  await h.emu.replication.idle();
  return { name, arn: out.ARN! };
}

const currentOf = (stages: Record<string, string[]> | undefined): string | undefined =>
  Object.entries(stages ?? {}).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];

describe('Multi-Region secrets', () => {
  it('MR1: CreateSecret with AddReplicaRegions answers ReplicationStatus InProgress, then the replica is created and InSync', async () => {
    const name = newName('rp1');
    h.emu.replication.configure(REPLICA, { hold: true });
    const out = await h.sm.send(
      new CreateSecretCommand({
        Name: name,
        SecretString: 'v1',
        ClientRequestToken: tok('v1'),
        AddReplicaRegions: [{ Region: REPLICA }],
      }),
    );
    expect(out.ReplicationStatus).toEqual([
      { Region: REPLICA, KmsKeyId: 'alias/aws/secretsmanager', Status: 'InProgress' },
    ]);
    expect((await failure(west.send(new DescribeSecretCommand({ SecretId: name })))).name).toBe(
      'ResourceNotFoundException',
    );
    h.emu.replication.release(REPLICA);
    await h.emu.replication.idle();
    const primary = await h.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(primary.ReplicationStatus?.map((r) => [r.Region, r.Status])).toEqual([[REPLICA, 'InSync']]);
    const replica = await west.send(new GetSecretValueCommand({ SecretId: name }));
    expect(replica.SecretString).toBe('v1');
  });

  it('MR2: the replica ARN is the primary ARN with the Region changed; values, labels and tags arrive later, in order', async () => {
    const { name, arn } = await replicated('rp2');
    h.emu.replication.configure(REPLICA, { hold: true });
    await h.sm.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: tok('v2') }),
    );
    await h.sm.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'team', Value: 'db' }] }));
    const behind = await west.send(new DescribeSecretCommand({ SecretId: name }));
    expect(behind.ARN).toBe(arn.replace(`:${PRIMARY}:`, `:${REPLICA}:`));
    expect(currentOf(behind.VersionIdsToStages)).toBe(tok('v1'));
    expect(h.emu.replication.backlog(REPLICA)).toBeGreaterThan(0);
    h.emu.replication.release(REPLICA);
    await h.emu.replication.idle();
    const caughtUp = await west.send(new DescribeSecretCommand({ SecretId: name }));
    expect(caughtUp.VersionIdsToStages).toEqual({
      [tok('v2')]: ['AWSCURRENT'],
      [tok('v1')]: ['AWSPREVIOUS'],
    });
    expect(caughtUp.Tags).toEqual([{ Key: 'team', Value: 'db' }]);
    expect((await west.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v2');
  });

  it('MR3: a destination that already has a secret of that name fails with the documented StatusMessage; ForceOverwriteReplicaSecret replaces it', async () => {
    const name = newName('rp3');
    await eu.send(
      new CreateSecretCommand({ Name: name, SecretString: 'local', ClientRequestToken: tok('l') }),
    );
    await h.sm.send(
      new CreateSecretCommand({ Name: name, SecretString: 'v1', ClientRequestToken: tok('v1') }),
    );
    const refused = await h.sm.send(
      new ReplicateSecretToRegionsCommand({ SecretId: name, AddReplicaRegions: [{ Region: OTHER }] }),
    );
    expect(refused.ReplicationStatus).toEqual([
      {
        Region: OTHER,
        KmsKeyId: 'alias/aws/secretsmanager',
        Status: 'Failed',
        StatusMessage: 'Secret with this name already exists in this region',
      },
    ]);
    expect((await eu.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('local');
    await h.sm.send(
      new RemoveRegionsFromReplicationCommand({ SecretId: name, RemoveReplicaRegions: [OTHER] }),
    );
    // The failed entry never made a replica, so the local secret survives its removal.
    expect((await eu.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('local');
    const forced = await h.sm.send(
      new ReplicateSecretToRegionsCommand({
        SecretId: name,
        AddReplicaRegions: [{ Region: OTHER }],
        ForceOverwriteReplicaSecret: true,
      }),
    );
    expect(forced.ReplicationStatus?.[0]?.Status).toBe('InProgress');
    await h.emu.replication.idle();
    expect((await eu.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v1');
  });

  it('MR4: DescribeSecret shows PrimaryRegion on both sides and ReplicationStatus on the primary; a plain secret shows neither', async () => {
    const { name } = await replicated('rp4');
    const primary = await h.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(primary.PrimaryRegion).toBe(PRIMARY);
    expect(primary.ReplicationStatus).toEqual([
      { Region: REPLICA, KmsKeyId: 'alias/aws/secretsmanager', Status: 'InSync' },
    ]);
    await west.send(new GetSecretValueCommand({ SecretId: name }));
    const replica = await west.send(new DescribeSecretCommand({ SecretId: name }));
    expect(replica.PrimaryRegion).toBe(PRIMARY);
    expect(replica.ReplicationStatus).toBeUndefined();
    const after = await h.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(after.ReplicationStatus?.[0]?.LastAccessedDate).toBeInstanceOf(Date);
    const plain = newName('plain');
    await h.sm.send(
      new CreateSecretCommand({ Name: plain, SecretString: 'x', ClientRequestToken: tok('p') }),
    );
    const described = await h.sm.send(new DescribeSecretCommand({ SecretId: plain }));
    expect(described.PrimaryRegion).toBeUndefined();
    expect(described.ReplicationStatus).toBeUndefined();
  });

  it("MR5: writes to a replica in its Region are refused with AWS's InvalidParameterException; reads work", async () => {
    const { name } = await replicated('rp5');
    const message =
      "Operation not permitted on a replica secret. Call must be made in primary secret's region.";
    const attempts = [
      west.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: 'x', ClientRequestToken: tok('w') }),
      ),
      west.send(
        new UpdateSecretVersionStageCommand({
          SecretId: name,
          VersionStage: 'X',
          MoveToVersionId: tok('v1'),
        }),
      ),
      west.send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: 'k', Value: 'v' }] })),
      west.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })),
      west.send(
        new RotateSecretCommand({
          SecretId: name,
          RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:none',
        }),
      ),
    ];
    for (const attempt of attempts)
      expect(await failure(attempt)).toEqual({ name: 'InvalidParameterException', message, status: 400 });
    expect((await west.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v1');
  });

  it('MR6: a primary that still has replicas cannot be deleted', async () => {
    const { name, arn } = await replicated('rp6', [REPLICA, OTHER]);
    expect(await failure(h.sm.send(new DeleteSecretCommand({ SecretId: name })))).toEqual({
      name: 'InvalidParameterException',
      message: `You can't delete secret ${arn} that still has replica regions [${REPLICA}, ${OTHER}].`,
      status: 400,
    });
  });

  it('MR7: RemoveRegionsFromReplication deletes the replica in that Region and answers the rest', async () => {
    const { name, arn } = await replicated('rp7', [REPLICA, OTHER]);
    const out = await h.sm.send(
      new RemoveRegionsFromReplicationCommand({ SecretId: name, RemoveReplicaRegions: [REPLICA] }),
    );
    expect(out.ARN).toBe(arn);
    expect(out.ReplicationStatus?.map((r) => r.Region)).toEqual([OTHER]);
    expect((await failure(west.send(new DescribeSecretCommand({ SecretId: name })))).name).toBe(
      'ResourceNotFoundException',
    );
    expect((await eu.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v1');
  });

  it("MR8: StopReplicationToReplica in the replica's Region promotes it to a standalone, writable secret", async () => {
    const { name } = await replicated('rp8');
    const out = await west.send(new StopReplicationToReplicaCommand({ SecretId: name }));
    expect(out.ARN).toContain(`:${REPLICA}:`);
    const promoted = await west.send(new DescribeSecretCommand({ SecretId: name }));
    expect(promoted.PrimaryRegion).toBeUndefined();
    await west.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'local', ClientRequestToken: tok('l') }),
    );
    const primary = await h.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(primary.ReplicationStatus).toBeUndefined();
    expect(primary.PrimaryRegion).toBeUndefined();
    await h.sm.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: tok('v2') }),
    );
    await h.emu.replication.idle();
    expect((await west.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('local');
  });

  it('MR9: a failed Region turns Failed with the configured StatusMessage and keeps its last copy', async () => {
    const { name } = await replicated('rp9');
    h.emu.replication.configure(REPLICA, { failWith: 'Access to KMS is not allowed' });
    await h.sm.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: tok('v2') }),
    );
    await h.emu.replication.idle();
    const primary = await h.sm.send(new DescribeSecretCommand({ SecretId: name }));
    expect(primary.ReplicationStatus).toEqual([
      {
        Region: REPLICA,
        KmsKeyId: 'alias/aws/secretsmanager',
        Status: 'Failed',
        StatusMessage: 'Access to KMS is not allowed',
      },
    ]);
    expect((await west.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v1');
    await h.sm.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: 'v3', ClientRequestToken: tok('v3') }),
    );
    await h.emu.replication.idle();
    expect((await west.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v1');
  });

  it('MR9: a delayed Region serves the old AWSCURRENT until the delay has passed', async () => {
    const { name } = await replicated('rp9-delay');
    h.emu.replication.configure(REPLICA, { delayMs: 3000 });
    try {
      await h.sm.send(
        new PutSecretValueCommand({ SecretId: name, SecretString: 'v2', ClientRequestToken: tok('v2') }),
      );
      expect((await west.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v1');
      await h.emu.replication.idle();
      expect((await west.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe('v2');
    } finally {
      h.emu.replication.configure(REPLICA, { delayMs: 0 });
    }
  });
});
