import type { Sensitive } from '../../shared/sensitive.ts';

/**
 * The RDS API port: the few calls the PostgreSQL function needs. The default adapter
 * wraps @aws-sdk/client-rds (sdk-rds-port.ts); tests use a fake that applies changes to a
 * real local server, and the fault-injection harness can wrap it.
 */

export interface RdsEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface RdsInstance {
  readonly identifier: string;
  readonly engine: string;
  readonly endpoint: RdsEndpoint | undefined;
  readonly masterUsername: string | undefined;
  /** Set on a read replica: the source instance's identifier (or ARN, across regions). */
  readonly readReplicaSourceIdentifier: string | undefined;
  /** Set on an Aurora cluster member. */
  readonly clusterIdentifier: string | undefined;
  readonly status: string | undefined;
}

export interface RdsClusterMember {
  readonly instanceIdentifier: string;
  readonly isWriter: boolean;
}

export interface RdsCluster {
  readonly identifier: string;
  readonly engine: string;
  readonly endpoint: RdsEndpoint | undefined;
  readonly readerEndpoint: string | undefined;
  readonly masterUsername: string | undefined;
  readonly members: readonly RdsClusterMember[];
  readonly status: string | undefined;
}

export type RdsTarget =
  | { readonly kind: 'instance'; readonly identifier: string }
  | { readonly kind: 'cluster'; readonly identifier: string };

export interface RdsPort {
  /** undefined when the instance does not exist (DBInstanceNotFound). */
  describeDbInstance(identifier: string): Promise<RdsInstance | undefined>;
  /** undefined when the cluster does not exist (DBClusterNotFoundFault). */
  describeDbCluster(identifier: string): Promise<RdsCluster | undefined>;
  /** ModifyDBInstance / ModifyDBCluster with MasterUserPassword and ApplyImmediately. */
  resetMasterPassword(target: RdsTarget, password: Sensitive<string>): Promise<void>;
}

/** Tags RDS puts on the master secrets it manages. */
export const RDS_INSTANCE_TAG = 'aws:rds:primarydbinstancearn';
export const RDS_CLUSTER_TAG = 'aws:rds:primarydbclusterarn';

/** `arn:aws:rds:<region>:<account>:db:<id>` -> `<id>` (also `:cluster:`); plain ids pass through. */
export function rdsIdentifierFromArn(arnOrId: string): string {
  const match = /^arn:[^:]+:rds:[^:]*:[^:]*:(?:db|cluster):(.+)$/.exec(arnOrId);
  return match?.[1] ?? arnOrId;
}

/** The first DNS label of an RDS host name, which is the instance or cluster identifier. */
export function firstDnsLabel(host: string): string {
  return host.split('.')[0]?.toLowerCase() ?? host.toLowerCase();
}
