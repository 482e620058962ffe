import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { readProgress, type RecordedProgress } from '../../../shared/rotation-progress.ts';
import type { CommandContext } from '../command-context.ts';
import type { FollowResult } from '../follow/follow-rotation.ts';
import { functionLogs, tailCommand } from '../follow/function-logs.ts';
import { Phase } from '../follow/rotation-snapshot.ts';
import { replicaRows } from '../replica-status.ts';
import { failureHint } from './rotate-hint.ts';
import { RotateOutcome, type RotateResult } from './rotate-result.ts';

/**
 * The parts of `rotate` and `follow` after a rotation ended (or the follow gave up): one
 * DescribeSecret for what the function recorded, its log group and the replicas, then the
 * result with a hint built from those facts. The same for every progress source.
 */

export interface AfterRotation {
  /** The function's progress record, when it is about this rotation's version. */
  readonly recorded?: RecordedProgress;
  readonly rotationLambdaArn?: string;
  readonly replicas?: RotateResult['replicas'];
}

export async function describeAfter(
  ctx: CommandContext,
  arn: string,
  versionId: string,
): Promise<AfterRotation> {
  try {
    const described = await ctx.client.send(new DescribeSecretCommand({ SecretId: arn }));
    const tags = Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    const recorded = readProgress(tags);
    const replication = described.ReplicationStatus ?? [];
    const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, labels]) =>
      labels.includes('AWSCURRENT'),
    )?.[0];
    return {
      ...(recorded?.token === versionId ? { recorded } : {}),
      ...(described.RotationLambdaARN ? { rotationLambdaArn: described.RotationLambdaARN } : {}),
      ...(replication.length > 0 ? { replicas: await replicaRows(ctx, arn, current, replication) } : {}),
    };
  } catch {
    return {}; // DescribeSecret not granted: the rotation's own outcome still stands
  }
}

/** The result of a followed rotation: outcome, steps, and on failure the hint and where the function's log is. */
export function endedResult(
  ctx: CommandContext,
  identity: Pick<RotateResult, 'secretId' | 'name' | 'arn' | 'versionId' | 'emergency'>,
  followed: FollowResult,
  after: AfterRotation,
  startedAtMs: number,
): RotateResult {
  const snapshot = followed.snapshot;
  const common = {
    ...identity,
    steps: snapshot.steps,
    durationMs: ctx.now() - startedAtMs,
    ...(snapshot.attempts !== undefined ? { attempts: snapshot.attempts } : {}),
    ...(followed.timedOut ? { timedOut: true } : {}),
    ...(after.replicas ? { replicas: after.replicas } : {}),
    ...(after.recorded?.emergency ? { emergencyState: after.recorded.emergency } : {}),
  };
  if (snapshot.phase === Phase.succeeded) return { ...common, outcome: RotateOutcome.succeeded };
  const logs = functionLogs(after.rotationLambdaArn);
  const errorCode = snapshot.error?.code ?? after.recorded?.errorCode;
  return {
    ...common,
    outcome: RotateOutcome.failed,
    ...(snapshot.failedStep ? { failedStep: snapshot.failedStep } : {}),
    ...(snapshot.error ? { error: snapshot.error } : {}),
    hint: failureHint({
      name: identity.name,
      timedOut: followed.timedOut,
      ...(snapshot.failedStep ? { failedStep: snapshot.failedStep } : {}),
      ...(errorCode ? { errorCode } : {}),
      ...(after.recorded ? { recorded: after.recorded } : {}),
    }),
    ...(logs
      ? {
          logs: {
            logGroup: logs.logGroup,
            tailCommand: tailCommand(logs, ctx.now() - startedAtMs, ctx.settings),
          },
        }
      : {}),
  };
}
