import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { ErrorCode, RotationError } from '../../../shared/errors.ts';
import { Sensitive } from '../../../shared/sensitive.ts';
import { createSdkRdsPort } from '../../../functions/postgres/sdk-rds-port.ts';
import { firstDnsLabel, rdsIdentifierFromArn } from '../../../functions/postgres/rds-port.ts';

// The SDK adapter's mapping, with a stand-in for the client's `send` (no network).

function client(reply: (command: unknown) => unknown): RDSClient & { sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    sent,
    send: async (command: unknown) => {
      sent.push(command);
      return reply(command);
    },
  } as unknown as RDSClient & { sent: unknown[] };
}

const named = (name: string) => Object.assign(new Error('x'), { name });

describe('createSdkRdsPort', () => {
  it('maps DescribeDBInstances', async () => {
    const port = createSdkRdsPort(
      client(() => ({
        DBInstances: [
          {
            DBInstanceIdentifier: 'prod-replica',
            Engine: 'postgres',
            Endpoint: { Address: 'prod-replica.x.rds.amazonaws.com', Port: 5433 },
            MasterUsername: 'postgres',
            ReadReplicaSourceDBInstanceIdentifier: 'prod',
            DBInstanceStatus: 'available',
          },
        ],
      })),
    );
    expect(await port.describeDbInstance('prod-replica')).toEqual({
      identifier: 'prod-replica',
      engine: 'postgres',
      endpoint: { host: 'prod-replica.x.rds.amazonaws.com', port: 5433 },
      masterUsername: 'postgres',
      readReplicaSourceIdentifier: 'prod',
      clusterIdentifier: undefined,
      status: 'available',
    });
  });

  it('maps DescribeDBClusters with its members', async () => {
    const port = createSdkRdsPort(
      client(() => ({
        DBClusters: [
          {
            DBClusterIdentifier: 'aur',
            Engine: 'aurora-postgresql',
            Endpoint: 'aur.cluster-x.rds.amazonaws.com',
            ReaderEndpoint: 'aur.cluster-ro-x.rds.amazonaws.com',
            Port: 5432,
            MasterUsername: 'postgres',
            Status: 'available',
            DBClusterMembers: [
              { DBInstanceIdentifier: 'aur-1', IsClusterWriter: true },
              { DBInstanceIdentifier: 'aur-2', IsClusterWriter: false },
            ],
          },
        ],
      })),
    );
    expect(await port.describeDbCluster('aur')).toMatchObject({
      readerEndpoint: 'aur.cluster-ro-x.rds.amazonaws.com',
      members: [
        { instanceIdentifier: 'aur-1', isWriter: true },
        { instanceIdentifier: 'aur-2', isWriter: false },
      ],
    });
  });

  it('answers undefined for an instance or cluster that does not exist', async () => {
    expect(
      await createSdkRdsPort(
        client(() => Promise.reject(named('DBInstanceNotFoundFault'))),
      ).describeDbInstance('x'),
    ).toBeUndefined();
    expect(
      await createSdkRdsPort(client(() => Promise.reject(named('DBClusterNotFoundFault')))).describeDbCluster(
        'x',
      ),
    ).toBeUndefined();
  });

  it('sends the password only as MasterUserPassword, applied immediately', async () => {
    const fake = client(() => ({}));
    const port = createSdkRdsPort(fake);
    await port.resetMasterPassword({ kind: 'instance', identifier: 'prod' }, new Sensitive('break-glass-Pw'));
    await port.resetMasterPassword({ kind: 'cluster', identifier: 'aur' }, new Sensitive('break-glass-Pw'));
    expect(fake.sent[0]).toBeInstanceOf(ModifyDBInstanceCommand);
    expect((fake.sent[0] as ModifyDBInstanceCommand).input).toEqual({
      DBInstanceIdentifier: 'prod',
      MasterUserPassword: 'break-glass-Pw',
      ApplyImmediately: true,
    });
    expect(fake.sent[1]).toBeInstanceOf(ModifyDBClusterCommand);
    expect((fake.sent[1] as ModifyDBClusterCommand).input).toEqual({
      DBClusterIdentifier: 'aur',
      MasterUserPassword: 'break-glass-Pw',
      ApplyImmediately: true,
    });
  });

  it('wraps other failures as ERR_AWS_API naming the operation and identifier, never the password', async () => {
    const port = createSdkRdsPort(
      client(() =>
        Promise.reject(
          Object.assign(new Error('MasterUserPassword break-glass-Pw is invalid'), {
            name: 'InvalidParameterValue',
          }),
        ),
      ),
    );
    let error: unknown;
    try {
      await port.resetMasterPassword(
        { kind: 'instance', identifier: 'prod' },
        new Sensitive('break-glass-Pw'),
      );
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(RotationError);
    expect((error as RotationError).code).toBe(ErrorCode.ERR_AWS_API);
    expect((error as RotationError).message).toBe(
      'RDS ModifyDBInstance failed with InvalidParameterValue for prod',
    );
    expect(JSON.stringify((error as RotationError).details)).not.toContain('break-glass-Pw');
    await expect(
      createSdkRdsPort(client(() => Promise.reject(named('AccessDenied')))).describeDbInstance('prod'),
    ).rejects.toMatchObject({ code: ErrorCode.ERR_AWS_API });
  });

  it('sends the commands it claims to', async () => {
    const fake = client(() => ({ DBInstances: [], DBClusters: [] }));
    const port = createSdkRdsPort(fake);
    await port.describeDbInstance('a');
    await port.describeDbCluster('b');
    expect(fake.sent[0]).toBeInstanceOf(DescribeDBInstancesCommand);
    expect(fake.sent[1]).toBeInstanceOf(DescribeDBClustersCommand);
  });
});

describe('RDS names', () => {
  it('takes identifiers from ARNs and host names', () => {
    expect(rdsIdentifierFromArn('arn:aws:rds:us-east-1:123456789012:db:prod')).toBe('prod');
    expect(rdsIdentifierFromArn('arn:aws-cn:rds:cn-north-1:123456789012:cluster:aur')).toBe('aur');
    expect(rdsIdentifierFromArn('plain-id')).toBe('plain-id');
    expect(firstDnsLabel('Prod.abc.us-east-1.rds.amazonaws.com')).toBe('prod');
  });
});
