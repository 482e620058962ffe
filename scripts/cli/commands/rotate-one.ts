import { describeAwsError, isPreviousRotationIncomplete } from '../aws-client.ts';
import type { CommandContext } from '../command-context.ts';
import { followRotation } from '../follow/follow-rotation.ts';
import type { ProgressSource, RotationSnapshot, StepReport } from '../follow/rotation-snapshot.ts';
import { describeAfter, endedResult } from './rotate-end.ts';
import { lookBeforeRotating, markEmergency, startRotation, type BeforeRotating } from './rotate-start.ts';
import { RotateOutcome, type RotateResult } from './rotate-result.ts';

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

/**
 * One secret: look first (a recorded broken AWSCURRENT refuses), tag an emergency when
 * asked, RotateSecret, then follow the rotation to its end and describe how it ended.
 */
export async function rotateOne(
  ctx: CommandContext,
  secretId: string,
  options: RotateOneOptions,
): Promise<RotateResult> {
  const started = ctx.now();
  const base = { secretId, name: secretId, emergency: options.emergency, steps: [] as StepReport[] };
  const failedCall = (error: unknown, action: string, extra: Partial<RotateResult> = {}) =>
    apiErrorResult({ ...base, ...extra }, error, action, ctx.now() - started);

  let before: BeforeRotating;
  try {
    before = await lookBeforeRotating(ctx, secretId);
  } catch (error) {
    return failedCall(error, 'DescribeSecret failed');
  }
  if (before.refusal)
    return {
      ...base,
      outcome: RotateOutcome.refused,
      error: { name: 'CurrentDoesNotLogIn', message: before.refusal.message },
      hint: before.refusal.hint,
      durationMs: ctx.now() - started,
    };

  let addedTag = false;
  if (options.emergency) {
    try {
      addedTag = await markEmergency(ctx, secretId, before);
    } catch (error) {
      return failedCall(error, 'tagging the secret for an emergency rotation failed');
    }
  }

  let identity;
  try {
    const rotation = await startRotation(ctx, secretId, {
      addedTag,
      ...(options.rotationLambdaArn ? { rotationLambdaArn: options.rotationLambdaArn } : {}),
      ...(options.afterDays !== undefined ? { afterDays: options.afterDays } : {}),
    });
    identity = { ...base, ...rotation };
  } catch (error) {
    return failedCall(error, 'RotateSecret was refused');
  }
  options.onStarted?.({ name: identity.name, versionId: identity.versionId });
  if (!options.wait) return { ...identity, outcome: RotateOutcome.started, durationMs: ctx.now() - started };

  try {
    const followed = await followRotation(
      await options.source(),
      { ...identity, startedAtMs: started },
      {
        timeoutMs: options.timeoutMs,
        intervalMs: options.intervalMs,
        now: ctx.now,
        sleep: ctx.sleep,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onChange: (snapshot) => options.onChange?.(snapshot, ctx.now() - started),
      },
    );
    const after = await describeAfter(ctx, identity.arn, identity.versionId);
    return endedResult(ctx, identity, followed, after, started);
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    return failedCall(error, 'following the rotation failed (it was started and may still finish)', identity);
  }
}

/** An AWS call failed: the result says which and, for the two common refusals, what to do. */
function apiErrorResult(
  base: Omit<RotateResult, 'outcome' | 'durationMs'>,
  error: unknown,
  action: string,
  durationMs: number,
): RotateResult {
  const { name, message } = describeAwsError(error);
  const hint = isPreviousRotationIncomplete(error)
    ? `an earlier rotation left AWSPENDING behind; inspect it (which credential logs in) and fix it with: rotation repair ${base.secretId}`
    : /No Lambda rotation function ARN/i.test(message)
      ? 'rotation was never configured for this secret: pass --rotation-lambda-arn <arn> (and --after-days <n>)'
      : undefined;
  return {
    ...base,
    outcome: RotateOutcome.error,
    error: { name, message: `${action}: ${message}` },
    durationMs,
    ...(hint ? { hint } : {}),
  };
}
