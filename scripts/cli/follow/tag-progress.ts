import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { STEPS } from '../../../shared/constants.ts';
import { readProgress, StepResult, type RecordedProgress } from '../../../shared/rotation-progress.ts';
import {
  Phase,
  type ProgressSource,
  type RotationSnapshot,
  type RotationTarget,
  type StepReport,
} from './rotation-snapshot.ts';

/**
 * Progress from what Secrets Manager itself offers, so it reads the same against AWS and
 * the emulator: one DescribeSecret per poll.
 *
 * - The function's progress tags (RotationProgress:*, shared/rotation-progress.ts): at the
 *   end of each step it records the step, done or failed, the ERR_* code, the emergency
 *   state and whether AWSCURRENT still logs in. A record whose Token is this rotation's
 *   version is a step of this rotation. Only the last step is kept on the secret, so steps
 *   a poll missed are filled in: Secrets Manager runs a step only after the one before it
 *   succeeded, so every step before a recorded one succeeded (shown without a duration,
 *   which only the function's log has). A recorded failure ends the follow: Secrets
 *   Manager may retry the rotation with the same token, which `rotation follow` watches.
 * - The labels: AWSCURRENT on the version is success; the version losing AWSPENDING, or
 *   rotation turned off, is an abandoned rotation.
 * - With no record of this rotation yet (a function too old to record, or without the
 *   TagResource grant), the step is inferred from the labels as before: no value yet is
 *   createSecret, a value is setSecret/testSecret (GetSecretValue on the pending version;
 *   the answer is dropped unread; without that permission "createSecret..testSecret").
 */
export function tagProgressSource(client: SecretsManagerClient): ProgressSource {
  let canReadPending = true;
  const seen = new StepTrail();
  return {
    mode: 'poll',
    async snapshot(target, signal) {
      const options = signal ? { abortSignal: signal } : {};
      const described = await client.send(new DescribeSecretCommand({ SecretId: target.arn }), options);
      const fromTags = snapshotFromDescription(described, target, seen);
      if (fromTags !== undefined) return fromTags;
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

/** The steps seen so far of one rotation, rebuilt from the successive progress records. */
export class StepTrail {
  readonly steps: StepReport[] = [];
  #lastKey = '';
  #round = 1;

  /** Add what a new record says; a record seen before adds nothing. */
  observe(record: RecordedProgress): void {
    const key = `${record.step}|${record.outcome}|${record.attempt}|${record.at?.toISOString() ?? ''}`;
    if (key === this.#lastKey) return;
    this.#lastKey = key;
    const index = STEPS.indexOf(record.step as (typeof STEPS)[number]);
    if (index < 0) return;
    const last = this.steps.at(-1);
    const lastIndex = last === undefined ? -1 : STEPS.indexOf(last.step as (typeof STEPS)[number]);
    // The same or an earlier step again: Secrets Manager (or Lambda) retried.
    if (last !== undefined && (index <= lastIndex || !last.ok)) this.#round++;
    const from = last !== undefined && last.ok && index > lastIndex ? lastIndex + 1 : 0;
    const attempt = this.#round > 1 ? { attempt: this.#round } : {};
    for (const step of STEPS.slice(from, index)) this.steps.push({ step, ok: true, ...attempt });
    const failed = record.outcome === StepResult.failed;
    this.steps.push({
      step: record.step,
      ok: !failed,
      ...attempt,
      ...(failed
        ? {
            error: {
              name: 'StepFailed',
              ...(record.errorCode ? { code: record.errorCode } : {}),
              message: `recorded by the function${record.at ? ` at ${record.at.toISOString()}` : ''}; the message is in its log`,
            },
          }
        : {}),
    });
  }

  /** The rotation completed: every step after the last one seen ran and succeeded. */
  complete(): void {
    const last = this.steps.at(-1);
    if (last !== undefined && !last.ok) return;
    const from = last === undefined ? 0 : STEPS.indexOf(last.step as (typeof STEPS)[number]) + 1;
    const attempt = this.#round > 1 ? { attempt: this.#round } : {};
    for (const step of STEPS.slice(from)) this.steps.push({ step, ok: true, ...attempt });
  }

  get rounds(): number {
    return this.#round;
  }
}

/** The snapshot one DescribeSecret answer gives; undefined when only the labels' value check can tell the step. */
export function snapshotFromDescription(
  described: Pick<
    DescribeSecretCommandOutput,
    'VersionIdsToStages' | 'Tags' | 'RotationEnabled' | 'LastRotatedDate'
  >,
  target: RotationTarget,
  trail: StepTrail = new StepTrail(),
): RotationSnapshot | undefined {
  const labels = described.VersionIdsToStages?.[target.versionId];
  const tags = Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const recorded = readProgress(tags);
  const mine = recorded?.token === target.versionId ? recorded : undefined;
  if (mine !== undefined) trail.observe(mine);
  const attempts = trail.rounds > 1 ? { attempts: trail.rounds } : {};
  const rotatedSinceStart =
    described.LastRotatedDate !== undefined &&
    described.LastRotatedDate.getTime() >= Math.floor(target.startedAtMs / 1000) * 1000;
  if (labels?.includes('AWSCURRENT')) {
    // The service removes AWSPENDING (and sets LastRotatedDate) only once finishSecret returned.
    if (!labels.includes('AWSPENDING') || rotatedSinceStart || finished(mine)) {
      trail.complete();
      return { phase: Phase.succeeded, steps: [...trail.steps], ...attempts };
    }
    return { phase: Phase.running, step: 'finishSecret', steps: [...trail.steps], ...attempts };
  }
  const steps = [...trail.steps];
  if (mine !== undefined && mine.outcome === StepResult.failed) {
    const failedStep = steps.at(-1);
    return {
      phase: Phase.failed,
      steps,
      ...attempts,
      failedStep: mine.step,
      step: mine.step,
      ...(failedStep?.error ? { error: failedStep.error } : {}),
    };
  }
  if (described.RotationEnabled === false)
    return abandoned(steps, 'rotation was turned off (CancelRotateSecret) while it ran');
  if (labels === undefined || !labels.includes('AWSPENDING'))
    return abandoned(
      steps,
      `version ${target.versionId} no longer holds AWSPENDING and never became AWSCURRENT`,
    );
  if (mine === undefined) return undefined;
  const next = STEPS[STEPS.indexOf(mine.step as (typeof STEPS)[number]) + 1] ?? mine.step;
  return { phase: Phase.running, step: next, steps, ...attempts };
}

function finished(record: RecordedProgress | undefined): boolean {
  return record?.step === 'finishSecret' && record.outcome === StepResult.done;
}

function abandoned(steps: readonly StepReport[], message: string): RotationSnapshot {
  return { phase: Phase.failed, steps, error: { name: 'RotationAbandoned', message } };
}
