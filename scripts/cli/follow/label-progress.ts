import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { Phase, type ProgressSource, type RotationSnapshot } from './rotation-snapshot.ts';

/**
 * Progress against AWS itself, inferred from labels (DescribeSecret):
 * - the rotation's version holds AWSPENDING, not AWSCURRENT, and has no value yet: createSecret;
 * - it holds a value: setSecret/testSecret (AWS does not say which);
 * - it holds AWSCURRENT (and still AWSPENDING): finishSecret;
 * - AWSCURRENT and no AWSPENDING, or LastRotatedDate after the start: succeeded;
 * - the version lost its labels, or rotation was turned off: failed.
 * AWS retries a failed rotation on its own and reports nothing, so a failure that keeps
 * the version pending surfaces as the follower's timeout.
 *
 * Whether the pending version holds a value is learnt with GetSecretValue on that version:
 * the answer's value is dropped unread. Without that permission the step shows as
 * "createSecret..testSecret".
 */
export function labelProgressSource(client: SecretsManagerClient): ProgressSource {
  let canReadPending = true;
  return {
    mode: 'poll',
    async snapshot(target, signal) {
      const options = signal ? { abortSignal: signal } : {};
      const described = await client.send(new DescribeSecretCommand({ SecretId: target.arn }), options);
      const labels = described.VersionIdsToStages?.[target.versionId];
      const rotatedSinceStart =
        described.LastRotatedDate !== undefined &&
        described.LastRotatedDate.getTime() >= Math.floor(target.startedAtMs / 1000) * 1000;
      if (labels?.includes('AWSCURRENT')) {
        if (!labels.includes('AWSPENDING') || rotatedSinceStart) return { phase: Phase.succeeded, steps: [] };
        return { phase: Phase.running, step: 'finishSecret', steps: [] };
      }
      if (described.RotationEnabled === false) {
        return failed('rotation was turned off (CancelRotateSecret) while it ran');
      }
      if (labels === undefined || !labels.includes('AWSPENDING')) {
        return failed(`version ${target.versionId} no longer holds AWSPENDING and never became AWSCURRENT`);
      }
      if (!canReadPending) return { phase: Phase.running, step: 'createSecret..testSecret', steps: [] };
      try {
        // Only whether a value exists matters; the response is discarded without reading it.
        await client.send(
          new GetSecretValueCommand({
            SecretId: target.arn,
            VersionId: target.versionId,
            VersionStage: 'AWSPENDING',
          }),
          options,
        );
        return { phase: Phase.running, step: 'setSecret/testSecret', steps: [] };
      } catch (error) {
        if (error instanceof ResourceNotFoundException)
          return { phase: Phase.running, step: 'createSecret', steps: [] };
        canReadPending = false;
        return { phase: Phase.running, step: 'createSecret..testSecret', steps: [] };
      }
    },
  };
}

function failed(message: string): RotationSnapshot {
  return { phase: Phase.failed, steps: [], error: { name: 'RotationAbandoned', message } };
}
