import { TagResourceCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { CurrentCredential, ProgressTag } from '../../../shared/rotation-progress.ts';
import { FollowMode, type CommandContext } from '../command-context.ts';
import { confirmOrStop } from '../confirm.ts';
import { PROBE_KINDS } from '../credential-probe.ts';
import { ExitCode } from '../exit-code.ts';
import type { Candidate, RepairInspection } from './repair-inspect.ts';
import { loadParsed } from './repair-inspect.ts';
import { pendingAge, type RepairReporter } from './repair-report.ts';
import { rotateOne } from './rotate-one.ts';
import { RotateOutcome } from './rotate-result.ts';

/** What `repair` does in each case decideRepair names; one function per case. */

export type RepairMode = 'finish' | 'rollback' | undefined;

export interface RepairOptions {
  readonly yes: boolean;
  readonly mode: RepairMode;
}

/** An emergency moved AWSCURRENT and did not finish revoking: --finish starts a new emergency rotation. */
export async function finishEmergency(
  ctx: CommandContext,
  found: RepairInspection,
  report: RepairReporter,
  options: RepairOptions,
): Promise<ExitCode> {
  const { paint } = ctx;
  report.say(
    `${paint.red('Unfinished emergency')}: AWSCURRENT (${found.emergency.versionId ?? '?'}) came from an emergency rotation whose revoking work did not complete; the leaked credential may still work.`,
  );
  if (options.mode !== 'finish')
    return report.finish(
      ExitCode.failed,
      'choice-needed',
      `Fix: rotation repair ${found.name} --finish (starts a new emergency rotation; it revokes the leaked credential).`,
    );
  const stop = await confirmOrStop(ctx.confirm, options.yes, `Start an emergency rotation of ${found.name}?`);
  if (stop !== undefined) return report.finish(stop, 'declined', 'declined: nothing was changed');
  const result = await rotateOne(ctx, found.arn, {
    emergency: true,
    wait: true,
    timeoutMs: 600_000,
    intervalMs: 250,
    source: () => ctx.progressSource(FollowMode.auto),
  });
  const ok = result.outcome === RotateOutcome.succeeded;
  return report.finish(
    ok ? ExitCode.ok : ExitCode.failed,
    ok ? 'emergency-finished' : 'emergency-not-finished',
    ok
      ? `${paint.green('Finished')}: a new emergency rotation succeeded (version ${result.versionId ?? '?'}); the leaked credential is revoked.`
      : `${paint.red('Not finished')}: the emergency rotation ${result.outcome}${result.error ? ` (${result.error.code ?? result.error.name}: ${result.error.message})` : ''}. ${result.hint ?? ''}`,
  );
}

/** AWSCURRENT logs in (or needs no target): clearing a stale AWSPENDING loses nothing. */
export async function clearStalePending(
  ctx: CommandContext,
  found: RepairInspection,
  report: RepairReporter,
  options: RepairOptions,
  checked: 'logs-in' | 'no-target' | 'unchecked',
): Promise<ExitCode> {
  const { paint } = ctx;
  // A stale record (the password was fixed by hand) would keep rotate refusing: the probe just checked.
  const recordChecked = async () => {
    const recorded = found.progress?.current;
    if (checked === 'logs-in' && recorded !== undefined && recorded !== CurrentCredential.works)
      await recordCurrentWorks(ctx, found.arn);
  };
  if (!found.stale || found.pendingVersionId === undefined) {
    await recordChecked();
    return report.finish(ExitCode.ok, 'none', `${paint.green('Nothing to repair')}: ${nothingWhy(found)}`);
  }
  if (options.mode !== undefined)
    report.say(
      `AWSCURRENT logs in, so there is nothing to ${options.mode === 'finish' ? 'finish' : 'roll back'}: clearing the stale AWSPENDING is the repair.`,
    );
  report.say(
    `${paint.yellow('Found')}: AWSPENDING is on version ${found.pendingVersionId} (created ${pendingAge(found)} ago), which is not AWSCURRENT (${found.currentVersionId ?? 'none'}).`,
  );
  report.say(
    checked === 'unchecked'
      ? paint.yellow(
          `Not checked: the kind of this secret (${found.kind ?? 'none recorded'}) has no credential probe here (pass --kind ${PROBE_KINDS.join('|')}). Clearing AWSPENDING is safe only if AWSCURRENT still logs in: a single-user rotation that got past setSecret left the only working password in the pending version (it stays readable by its id).`,
        )
      : `AWSCURRENT ${checked === 'no-target' ? 'needs no target login (its value is self-contained)' : 'logs in (checked on the target)'}, so clearing AWSPENDING loses no working credential.`,
  );
  if (youngAndRunning(found))
    report.say(
      paint.yellow(
        `Careful: the pending version is only ${pendingAge(found)} old and its last recorded step did not fail; a rotation may still be running, and clearing AWSPENDING makes it fail.`,
      ),
    );
  const stop = await confirmOrStop(
    ctx.confirm,
    options.yes,
    `Remove AWSPENDING from version ${found.pendingVersionId} of ${found.name}?`,
  );
  if (stop !== undefined) return report.finish(stop, 'declined', 'declined: nothing was changed');
  await removePending(ctx, found.arn, found.pendingVersionId);
  await recordChecked();
  return report.finish(
    ExitCode.ok,
    'cleared',
    `${paint.green('Cleared')}: AWSPENDING removed from ${found.pendingVersionId}; AWSCURRENT stays on ${found.currentVersionId ?? 'no version'}. Rotate again with: rotation rotate ${found.name}`,
  );
}

/** Only the pending (or an unlabelled) credential logs in: finish or roll back, never a clear. */
export async function finishOrRollBack(
  ctx: CommandContext,
  found: RepairInspection,
  report: RepairReporter,
  options: RepairOptions,
  candidate: Candidate,
): Promise<ExitCode> {
  const { paint } = ctx;
  const where =
    candidate.source === 'pending'
      ? `AWSPENDING (${candidate.versionId})`
      : `unlabelled version ${candidate.versionId}`;
  report.say(
    `${paint.red('AWSCURRENT does not log in')}: the target accepts only ${where}. A rotation changed the credential on the target and did not finish (single user: setSecret ran, a later step failed). Clearing AWSPENDING now would leave no label on the one working credential.`,
  );
  if (options.mode === undefined)
    return report.finish(
      ExitCode.failed,
      'choice-needed',
      [
        'Two safe ways out:',
        `  rotation repair ${found.name} --finish     test it, then make it AWSCURRENT (as a successful rotation would)`,
        `  rotation repair ${found.name} --rollback   set the target back to AWSCURRENT's credential, then clear AWSPENDING`,
      ].join('\n'),
    );
  const question =
    options.mode === 'finish'
      ? `Test ${where} and make it AWSCURRENT of ${found.name}?`
      : `Log in with ${where}, set the target back to AWSCURRENT's credential, then clear AWSPENDING of ${found.name}?`;
  const stop = await confirmOrStop(ctx.confirm, options.yes, question);
  if (stop !== undefined) return report.finish(stop, 'declined', 'declined: nothing was changed');
  const failure =
    options.mode === 'finish' ? await promote(ctx, found, candidate) : await rollBack(ctx, found, candidate);
  if (failure !== undefined) return report.finish(ExitCode.failed, failure.action, failure.line);
  await recordCurrentWorks(ctx, found.arn);
  return report.finish(
    ExitCode.ok,
    options.mode === 'finish' ? 'finished' : 'rolled-back',
    options.mode === 'finish'
      ? `${paint.green('Finished')}: version ${candidate.versionId} passed the test and is now AWSCURRENT (the old one is AWSPREVIOUS). Rotate again whenever you like.`
      : `${paint.green('Rolled back')}: the target accepts AWSCURRENT (${found.currentVersionId ?? '?'}) again${candidate.source === 'pending' ? ' and AWSPENDING is cleared' : ''}. Rotate again with: rotation rotate ${found.name}`,
  );
}

interface Failure {
  readonly action: string;
  readonly line: string;
}

/** The function's testSecret on the working credential, then AWSCURRENT moves to it. */
async function promote(
  ctx: CommandContext,
  found: RepairInspection,
  candidate: Candidate,
): Promise<Failure | undefined> {
  const input = await toolInput(ctx, found, candidate);
  try {
    await input.tools.test(input);
  } catch (error) {
    return {
      action: 'finish-failed',
      line: `${ctx.paint.red('Not repaired')}: the test of the working credential failed (${errorCode(error)}); the labels were not changed. Try: rotation repair ${found.name} --rollback`,
    };
  }
  await moveCurrent(ctx, found.arn, candidate.versionId, input.currentVersionId);
  if (candidate.source === 'pending') await removePending(ctx, found.arn, candidate.versionId);
  return undefined;
}

/** The function's own setSecret with the roles swapped: log in with the working credential, set AWSCURRENT's back, check it. */
async function rollBack(
  ctx: CommandContext,
  found: RepairInspection,
  candidate: Candidate,
): Promise<Failure | undefined> {
  const input = await toolInput(ctx, found, candidate);
  try {
    await input.tools.set({ ...input, current: input.pending, pending: input.current });
  } catch (error) {
    return {
      action: 'rollback-failed',
      line: `${ctx.paint.red('Not repaired')}: setting the target back failed (${errorCode(error)}); the labels were not changed.`,
    };
  }
  const after = await input.tools.probe(input.current);
  if (after.verdict !== 'logs-in')
    return {
      action: 'rollback-not-verified',
      line: `${ctx.paint.red('Not repaired')}: the target was asked to take AWSCURRENT's credential back but still refuses it (${after.errorCode ?? after.verdict}); AWSPENDING was left in place.`,
    };
  if (candidate.source === 'pending') await removePending(ctx, found.arn, candidate.versionId);
  return undefined;
}

async function toolInput(ctx: CommandContext, found: RepairInspection, candidate: Candidate) {
  const tools = found.tools;
  if (tools === undefined) throw new Error('no credential probe for this kind');
  const currentVersionId = found.currentVersionId as string;
  return {
    tools,
    secretArn: found.arn,
    secretName: found.name,
    currentVersionId,
    pendingVersionId: candidate.versionId,
    current: await loadParsed(ctx, tools, found.arn, currentVersionId),
    pending: await loadParsed(ctx, tools, found.arn, candidate.versionId),
  };
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'error';
}

function nothingWhy(found: RepairInspection): string {
  if (found.pendingVersionId === undefined)
    return 'no version holds AWSPENDING: nothing blocks a new rotation.';
  return `AWSPENDING is on the AWSCURRENT version ${found.pendingVersionId}: that is allowed, nothing blocks a new rotation.`;
}

/** A rotation may still be running: young pending version whose last recorded step did not fail. */
function youngAndRunning(found: RepairInspection): boolean {
  const young = found.pendingAgeMs !== undefined && found.pendingAgeMs < 15 * 60_000;
  const failed = found.progress?.token === found.pendingVersionId && found.progress?.outcome === 'failed';
  return young && !failed;
}

async function removePending(ctx: CommandContext, arn: string, versionId: string): Promise<void> {
  await ctx.client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: arn,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: versionId,
    }),
    ctx.signal ? { abortSignal: ctx.signal } : {},
  );
}

async function moveCurrent(ctx: CommandContext, arn: string, to: string, from: string): Promise<void> {
  await ctx.client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: arn,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: to,
      RemoveFromVersionId: from,
    }),
    ctx.signal ? { abortSignal: ctx.signal } : {},
  );
}

/** The repair checked that AWSCURRENT logs in: say so where status and rotate read it. */
async function recordCurrentWorks(ctx: CommandContext, arn: string): Promise<void> {
  await ctx.client
    .send(
      new TagResourceCommand({
        SecretId: arn,
        Tags: [
          { Key: ProgressTag.current, Value: CurrentCredential.works },
          { Key: ProgressTag.outcome, Value: 'repaired' },
          { Key: ProgressTag.errorCode, Value: 'none' },
          { Key: ProgressTag.at, Value: new Date(ctx.now()).toISOString() },
        ],
      }),
      ctx.signal ? { abortSignal: ctx.signal } : {},
    )
    .catch(() => undefined);
}
