import { DescribeSecretCommand, type ReplicationStatusType } from '@aws-sdk/client-secrets-manager';
import { describeAwsError } from './aws-client.ts';
import type { CommandContext } from './command-context.ts';

/**
 * Where each replica Region of a multi-Region secret stands, read from the replica itself
 * (DescribeSecret in its Region): ReplicationStatus only says whether the replica exists or
 * broke, not whether it holds the primary's AWSCURRENT. The function's own record of the
 * last rotation (tag RotationReplicas, shared/replicas.ts) is shown next to it.
 */

export const ReplicaHealth = {
  inSync: 'in-sync',
  behind: 'behind',
  creating: 'creating',
  failed: 'failed',
  unreadable: 'unreadable',
} as const;
export type ReplicaHealth = (typeof ReplicaHealth)[keyof typeof ReplicaHealth];

export interface ReplicaRow {
  readonly region: string;
  readonly health: ReplicaHealth;
  /** StatusMessage of a Failed replica, or the AWS error of an unreadable one. */
  readonly reason?: string;
  /** The replica's AWSCURRENT when it is behind. */
  readonly replicaVersionId?: string;
}

/** The tag the rotation function records replica progress in. */
export const REPLICA_STATUS_TAG = 'RotationReplicas';

const currentOf = (stages: Record<string, string[]> | undefined): string | undefined =>
  Object.entries(stages ?? {}).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];

export function replicaArn(primaryArn: string, region: string): string {
  const parts = primaryArn.split(':');
  parts[3] = region;
  return parts.join(':');
}

export async function replicaRows(
  ctx: CommandContext,
  primaryArn: string,
  primaryCurrent: string | undefined,
  replication: readonly ReplicationStatusType[],
): Promise<ReplicaRow[]> {
  const send = ctx.signal ? { abortSignal: ctx.signal } : {};
  return Promise.all(
    replication.map(async (entry): Promise<ReplicaRow> => {
      const region = entry.Region ?? '?';
      if (entry.Status === 'Failed')
        return {
          region,
          health: ReplicaHealth.failed,
          ...(entry.StatusMessage ? { reason: entry.StatusMessage } : {}),
        };
      if (entry.Status === 'InProgress') return { region, health: ReplicaHealth.creating };
      try {
        const described = await ctx
          .regionClient(region)
          .send(new DescribeSecretCommand({ SecretId: replicaArn(primaryArn, region) }), send);
        const replicaVersionId = currentOf(described.VersionIdsToStages);
        if (replicaVersionId === primaryCurrent) return { region, health: ReplicaHealth.inSync };
        return { region, health: ReplicaHealth.behind, ...(replicaVersionId ? { replicaVersionId } : {}) };
      } catch (error) {
        return { region, health: ReplicaHealth.unreadable, reason: describeAwsError(error).name };
      }
    }),
  );
}

export function isReplicaProblem(row: ReplicaRow): boolean {
  return row.health !== ReplicaHealth.inSync;
}

export function formatReplica(row: ReplicaRow): string {
  switch (row.health) {
    case ReplicaHealth.inSync:
      return `${row.region} in sync`;
    case ReplicaHealth.behind:
      return `${row.region} BEHIND (serves ${row.replicaVersionId ?? 'no version'})`;
    case ReplicaHealth.creating:
      return `${row.region} being created`;
    case ReplicaHealth.failed:
      return `${row.region} FAILED${row.reason ? ` (${row.reason})` : ''}`;
    case ReplicaHealth.unreadable:
      return `${row.region} UNREADABLE (${row.reason ?? 'error'})`;
  }
}
