import {
  DescribeSecretCommand,
  RotateSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { ROTATION_MODE_EMERGENCY, ROTATION_MODE_TAG } from '../../../shared/constants.ts';
import { emergencyRequested, readProgress } from '../../../shared/rotation-progress.ts';
import type { CommandContext } from '../command-context.ts';
import { brokenCurrentReason } from './rotate-hint.ts';

/**
 * The parts of `rotate` before following: look at the secret, mark an emergency, start.
 * Each throws the AWS error it got; rotateOne turns it into a result.
 */

export interface BeforeRotating {
  /** Set when the function recorded that AWSCURRENT does not log in: do not start. */
  readonly refusal?: { readonly message: string; readonly hint: string };
  readonly emergencyTagged: boolean;
}

/**
 * One DescribeSecret: is the emergency tag already there, and did the function record that
 * AWSCURRENT no longer logs in (RotationProgress:Current)? The recorded state is used, not a
 * probe of the target: rotate needs no secret value, no network path to the database and
 * none of the function's settings, and `rotation repair` (which the refusal points to)
 * probes every stored credential before it changes anything.
 */
export async function lookBeforeRotating(ctx: CommandContext, secretId: string): Promise<BeforeRotating> {
  const described = await ctx.client.send(
    new DescribeSecretCommand({ SecretId: secretId }),
    sendOptions(ctx),
  );
  const tags = Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const recorded = readProgress(tags);
  const stages = Object.entries(described.VersionIdsToStages ?? {});
  const current = stages.find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
  const pending = stages.find(([, labels]) => labels.includes('AWSPENDING'))?.[0];
  const refusal =
    recorded === undefined
      ? undefined
      : brokenCurrentReason(described.Name ?? secretId, recorded, {
          current,
          pending: pending === current ? undefined : pending,
        });
  return { ...(refusal ? { refusal } : {}), emergencyTagged: emergencyRequested(tags) };
}

/** Tag RotationMode=emergency; true when this call added it (and must take it off if the start fails). */
export async function markEmergency(
  ctx: CommandContext,
  secretId: string,
  before: BeforeRotating,
): Promise<boolean> {
  if (before.emergencyTagged) return false;
  await ctx.client.send(
    new TagResourceCommand({
      SecretId: secretId,
      Tags: [{ Key: ROTATION_MODE_TAG, Value: ROTATION_MODE_EMERGENCY }],
    }),
    sendOptions(ctx),
  );
  return true;
}

export interface Started {
  readonly arn: string;
  readonly name: string;
  readonly versionId: string;
}

/** RotateSecret. On refusal an emergency tag this run added is taken off again, so the next scheduled rotation does not find it. */
export async function startRotation(
  ctx: CommandContext,
  secretId: string,
  options: { readonly rotationLambdaArn?: string; readonly afterDays?: number; readonly addedTag: boolean },
): Promise<Started> {
  try {
    const rotated = await ctx.client.send(
      new RotateSecretCommand({
        SecretId: secretId,
        ...(options.rotationLambdaArn ? { RotationLambdaARN: options.rotationLambdaArn } : {}),
        ...(options.afterDays !== undefined
          ? { RotationRules: { AutomaticallyAfterDays: options.afterDays } }
          : {}),
      }),
      sendOptions(ctx),
    );
    return {
      arn: rotated.ARN ?? secretId,
      name: rotated.Name ?? secretId,
      versionId: rotated.VersionId ?? '',
    };
  } catch (error) {
    if (options.addedTag)
      await ctx.client
        .send(new UntagResourceCommand({ SecretId: secretId, TagKeys: [ROTATION_MODE_TAG] }))
        .catch(() => undefined);
    throw error;
  }
}

export function sendOptions(ctx: CommandContext): { abortSignal?: AbortSignal } {
  return ctx.signal ? { abortSignal: ctx.signal } : {};
}
