import {
  DescribeSecretCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { ROTATION_MODE_EMERGENCY, ROTATION_MODE_TAG } from '../../../shared/constants.ts';
import { describeAwsError, isPreviousRotationIncomplete } from '../aws-client.ts';
import type { CommandContext } from '../command-context.ts';
import { followRotation } from '../follow/follow-rotation.ts';
import {
  Phase,
  type ProgressSource,
  type RotationSnapshot,
  type StepError,
  type StepReport,
} from '../follow/rotation-snapshot.ts';
import { replicaRows, type ReplicaRow } from '../replica-status.ts';

export const RotateOutcome = {
  succeeded: 'succeeded',
  /** The rotation ran and failed, or gave no outcome before the timeout. */
  failed: 'failed',
  /** --no-wait: RotateSecret accepted, not followed. */
  started: 'started',
  /** An AWS call failed (RotateSecret refused, secret unknown, no permission). */
  error: 'error',
} as const;
export type RotateOutcome = (typeof RotateOutcome)[keyof typeof RotateOutcome];

export interface RotateResult {
  readonly secretId: string;
  readonly name: string;
  readonly arn?: string;
  readonly versionId?: string;
  readonly outcome: RotateOutcome;
  readonly emergency: boolean;
  readonly failedStep?: string;
  readonly error?: StepError;
  readonly attempts?: number;
  readonly steps: readonly StepReport[];
  readonly timedOut?: boolean;
  readonly durationMs: number;
  /** What to do next, for people. */
  readonly hint?: string;
  /** A replicated secret: each replica Region once the rotation ended, read in that Region. */
  readonly replicas?: readonly ReplicaRow[];
}

export interface RotateOneOptions {
  readonly emergency: boolean;
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly rotationLambdaArn?: string;
  readonly afterDays?: number;
  readonly source: () => Promise<ProgressSource>;
  readonly onStarted?: (result: { readonly name: string; readonly versionId: string }) => void;
  readonly onChange?: (snapshot: RotationSnapshot, elapsedMs: number) => void;
}

/** Start one rotation (tagging it emergency first when asked) and follow it to its end. */
export async function rotateOne(
  ctx: CommandContext,
  secretId: string,
  options: RotateOneOptions,
): Promise<RotateResult> {
  const started = ctx.now();
  const send = { ...(ctx.signal ? { abortSignal: ctx.signal } : {}) };
  const base = { secretId, name: secretId, emergency: options.emergency, steps: [] as StepReport[] };
  const apiError = (error: unknown, action: string, extra: Partial<RotateResult> = {}): RotateResult => {
    const { name, message } = describeAwsError(error);
    return {
      ...base,
      ...extra,
      outcome: RotateOutcome.error,
      error: { name, message: `${action}: ${message}` },
      durationMs: ctx.now() - started,
      ...(isPreviousRotationIncomplete(error)
        ? {
            hint: `an earlier rotation left AWSPENDING behind; inspect and clear it with: rotation repair ${secretId}`,
          }
        : /No Lambda rotation function ARN/i.test(describeAwsError(error).message)
          ? {
              hint: 'rotation was never configured for this secret: pass --rotation-lambda-arn <arn> (and --after-days <n>)',
            }
          : {}),
    };
  };

  let addedTag = false;
  if (options.emergency) {
    try {
      const described = await ctx.client.send(new DescribeSecretCommand({ SecretId: secretId }), send);
      const already = (described.Tags ?? []).some(
        (tag) => tag.Key === ROTATION_MODE_TAG && tag.Value === ROTATION_MODE_EMERGENCY,
      );
      if (!already) {
        await ctx.client.send(
          new TagResourceCommand({
            SecretId: secretId,
            Tags: [{ Key: ROTATION_MODE_TAG, Value: ROTATION_MODE_EMERGENCY }],
          }),
          send,
        );
        addedTag = true;
      }
    } catch (error) {
      return apiError(error, 'tagging the secret for an emergency rotation failed');
    }
  }

  let arn: string;
  let name: string;
  let versionId: string;
  try {
    const rotated = await ctx.client.send(
      new RotateSecretCommand({
        SecretId: secretId,
        ...(options.rotationLambdaArn ? { RotationLambdaARN: options.rotationLambdaArn } : {}),
        ...(options.afterDays !== undefined
          ? { RotationRules: { AutomaticallyAfterDays: options.afterDays } }
          : {}),
      }),
      send,
    );
    arn = rotated.ARN ?? secretId;
    name = rotated.Name ?? secretId;
    versionId = rotated.VersionId ?? '';
  } catch (error) {
    // Do not leave the emergency tag for the next scheduled rotation to find.
    if (addedTag)
      await ctx.client
        .send(new UntagResourceCommand({ SecretId: secretId, TagKeys: [ROTATION_MODE_TAG] }))
        .catch(() => undefined);
    return apiError(error, 'RotateSecret was refused');
  }
  options.onStarted?.({ name, versionId });
  const identity = { ...base, name, arn, versionId };
  if (!options.wait) return { ...identity, outcome: RotateOutcome.started, durationMs: ctx.now() - started };

  try {
    const source = await options.source();
    const followed = await followRotation(
      source,
      { secretId, arn, name, versionId, startedAtMs: started },
      {
        timeoutMs: options.timeoutMs,
        intervalMs: options.intervalMs,
        now: ctx.now,
        sleep: ctx.sleep,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onChange: (snapshot) => options.onChange?.(snapshot, ctx.now() - started),
      },
    );
    const snapshot = followed.snapshot;
    const common = {
      ...identity,
      steps: snapshot.steps,
      durationMs: ctx.now() - started,
      ...(snapshot.attempts !== undefined ? { attempts: snapshot.attempts } : {}),
      ...(followed.timedOut ? { timedOut: true } : {}),
    };
    const replicas = await replicasAfter(ctx, arn);
    if (snapshot.phase === Phase.succeeded)
      return { ...common, ...replicas, outcome: RotateOutcome.succeeded };
    return {
      ...common,
      ...replicas,
      outcome: RotateOutcome.failed,
      ...(snapshot.failedStep ? { failedStep: snapshot.failedStep } : {}),
      ...(snapshot.error ? { error: snapshot.error } : {}),
      hint: followed.timedOut
        ? `check later with: rotation status ${name}`
        : `AWSCURRENT is unchanged; fix the cause, then clear the leftover AWSPENDING with: rotation repair ${name}`,
    };
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    return apiError(error, 'following the rotation failed (it was started and may still finish)', {
      name,
      arn,
      versionId,
    });
  }
}

/** Where each replica Region stands once the rotation ended (none for a secret that is not replicated). */
async function replicasAfter(
  ctx: CommandContext,
  arn: string,
): Promise<{ readonly replicas?: readonly ReplicaRow[] }> {
  try {
    const described = await ctx.client.send(new DescribeSecretCommand({ SecretId: arn }));
    const replication = described.ReplicationStatus ?? [];
    if (replication.length === 0) return {};
    const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, labels]) =>
      labels.includes('AWSCURRENT'),
    )?.[0];
    return { replicas: await replicaRows(ctx, arn, current, replication) };
  } catch {
    return {}; // DescribeSecret not granted: the rotation's own outcome still stands
  }
}
