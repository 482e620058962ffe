import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { awsCallError, callAws, isAwsNotFound, type AwsCallTarget } from '../../shared/aws-call.ts';
import type { RdsCluster, RdsInstance, RdsPort } from './rds-port.ts';

/** The RdsPort over the real AWS SDK v3 client. `endpoint` comes from RDS_ENDPOINT (tests, VPC endpoints). */
export function createRdsClient(
  options: { readonly endpoint?: string | undefined; readonly region?: string | undefined } = {},
): RDSClient {
  return new RDSClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: 3,
  });
}

const rds = (operation: string, identifier: string): AwsCallTarget => ({
  service: 'RDS',
  operation,
  resource: identifier,
  resourceKey: 'identifier',
});

export function createSdkRdsPort(client: RDSClient): RdsPort {
  return {
    async describeDbInstance(identifier) {
      try {
        const out = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
        const db = out.DBInstances?.[0];
        if (db === undefined) return undefined;
        const instance: RdsInstance = {
          identifier: db.DBInstanceIdentifier ?? identifier,
          engine: db.Engine ?? '',
          endpoint: db.Endpoint?.Address
            ? { host: db.Endpoint.Address, port: db.Endpoint.Port ?? 5432 }
            : undefined,
          masterUsername: db.MasterUsername,
          readReplicaSourceIdentifier: db.ReadReplicaSourceDBInstanceIdentifier,
          clusterIdentifier: db.DBClusterIdentifier,
          status: db.DBInstanceStatus,
        };
        return instance;
      } catch (error) {
        if (isAwsNotFound(error)) return undefined;
        throw awsCallError(rds('DescribeDBInstances', identifier), error);
      }
    },

    async describeDbCluster(identifier) {
      try {
        const out = await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }));
        const db = out.DBClusters?.[0];
        if (db === undefined) return undefined;
        const cluster: RdsCluster = {
          identifier: db.DBClusterIdentifier ?? identifier,
          engine: db.Engine ?? '',
          endpoint: db.Endpoint ? { host: db.Endpoint, port: db.Port ?? 5432 } : undefined,
          readerEndpoint: db.ReaderEndpoint,
          masterUsername: db.MasterUsername,
          members: (db.DBClusterMembers ?? []).map((member) => ({
            instanceIdentifier: member.DBInstanceIdentifier ?? '',
            isWriter: member.IsClusterWriter === true,
          })),
          status: db.Status,
        };
        return cluster;
      } catch (error) {
        if (isAwsNotFound(error)) return undefined;
        throw awsCallError(rds('DescribeDBClusters', identifier), error);
      }
    },

    async resetMasterPassword(target, password) {
      if (target.kind === 'instance') {
        await callAws(rds('ModifyDBInstance', target.identifier), () =>
          client.send(
            new ModifyDBInstanceCommand({
              DBInstanceIdentifier: target.identifier,
              MasterUserPassword: password.reveal(),
              ApplyImmediately: true,
            }),
          ),
        );
      } else {
        await callAws(rds('ModifyDBCluster', target.identifier), () =>
          client.send(
            new ModifyDBClusterCommand({
              DBClusterIdentifier: target.identifier,
              MasterUserPassword: password.reveal(),
              ApplyImmediately: true,
            }),
          ),
        );
      }
    },
  };
}
