import { TagResourceCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { CurrentCredential, ProgressTag } from '../../../shared/rotation-progress.ts';
import { describeAwsError } from '../aws-client.ts';
import {
  createContext,
  FollowMode,
  type CliDeps,
  type Command,
  type CommandContext,
} from '../command-context.ts';
import { confirmOrStop } from '../confirm.ts';
import { PROBE_KINDS } from '../credential-probe.ts';
import { ExitCode, UsageError } from '../exit-code.ts';
import { formatAge, formatDate } from '../format.ts';
import { COMMON_HELP, parseCommand } from '../options.ts';
import { reportAwsError, writeJson, writeLine } from '../output.ts';
import { formatTable } from '../table.ts';
import { inspectForRepair, loadParsed, type RepairInspection } from './repair-inspect.ts';
import { RotateOutcome, rotateOne } from './rotate-one.ts';

const HELP = `Usage: rotation repair <secret-id> [--finish | --rollback] [options]

Finds out why a secret cannot rotate and fixes it without losing a working credential.
First it looks: labels and ages, the function's recorded progress (RotationProgress:* tags),
the emergency state, and, with the kind's own probe, which stored credential actually logs
in to the target (AWSCURRENT, AWSPENDING, and, when AWSCURRENT is refused and nothing is
pending, the newest unlabelled versions). Then, after confirmation or with --yes:

- AWSCURRENT logs in, a stale AWSPENDING blocks rotation: removes AWSPENDING.
- Only the pending (or an unlabelled) credential logs in (a single-user rotation failed
  after setSecret): nothing is removed; choose
    --finish    test that credential with the function's testSecret, then make it
                AWSCURRENT (the outcome of a successful rotation), or
    --rollback  log in with it, set the target back to AWSCURRENT's credential (the
                function's setSecret), check AWSCURRENT logs in, then clear AWSPENDING.
- An emergency rotation moved AWSCURRENT but did not finish revoking (the RotationEmergency
  label is still on AWSCURRENT): --finish starts a new emergency rotation, which revokes
  the leaked credential; until then the leaked credential may still work.
- No stored credential logs in, or the target cannot be reached: changes nothing.

Options:
  --finish            promote the working credential, or finish an unfinished emergency
  --rollback          put the target back to AWSCURRENT's credential
  --kind <kind>       ${PROBE_KINDS.join(', ')} (default: the kind the function recorded)
  -y, --yes           do not ask for confirmation (needed without a terminal)

The probe reads the function's settings from the environment under the function's own names
(PG_SSL_MODE, PG_SSL_CA_PATH, PG_TEST_QUERY, REDIS_* ...), with the function's defaults.

${COMMON_HELP}

Exit codes: 0 repaired, or nothing to repair; 1 not repaired (a choice is needed, no
credential logs in, the target is unreachable, or the repair did not take); 2 usage error
(also: confirmation needed but no terminal and no --yes); 3 an AWS call failed; 4 declined.`;

export const repairCommand: Command = {
  name: 'repair',
  summary: 'check which credential logs in, then clear, finish or roll back a stuck rotation',
  help: HELP,
  async run(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
    const { values, positionals, common } = parseCommand(argv, {
      yes: { type: 'boolean', short: 'y', default: false },
      finish: { type: 'boolean', default: false },
      rollback: { type: 'boolean', default: false },
      kind: { type: 'string' },
    });
    if (common.help) {
      writeLine(deps.out.stdout, HELP);
      return ExitCode.ok;
    }
    if (positionals.length !== 1) throw new UsageError('repair takes exactly one secret id (name or ARN)');
    if (values.finish && values.rollback) throw new UsageError('choose one of --finish and --rollback');
    if (values.kind !== undefined && !(PROBE_KINDS as readonly string[]).includes(values.kind))
      throw new UsageError(`--kind must be one of ${PROBE_KINDS.join(', ')}, got "${values.kind}"`);
    const secretId = positionals[0] as string;
    const ctx = createContext(common, deps);
    try {
      const inspection = await inspectForRepair(ctx, secretId, { kind: values.kind, env: deps.env });
      return await repair(ctx, inspection, {
        yes: values.yes,
        mode: values.finish ? 'finish' : values.rollback ? 'rollback' : undefined,
      });
    } catch (error) {
      if (error instanceof UsageError || ctx.signal?.aborted) throw error;
      const { name, message } = describeAwsError(error);
      reportAwsError(ctx, 'repair', { name, message }, `error: ${name}: ${message}`);
      return ExitCode.awsError;
    }
  },
};

type Mode = 'finish' | 'rollback' | undefined;

async function repair(
  ctx: CommandContext,
  found: RepairInspection,
  options: { readonly yes: boolean; readonly mode: Mode },
): Promise<ExitCode> {
  const { out, paint } = ctx;
  const report = (action: string, extra: Record<string, unknown> = {}) => ({
    command: 'repair',
    secret: { name: found.name, arn: found.arn },
    versions: found.versions,
    currentVersionId: found.currentVersionId,
    pendingVersionId: found.pendingVersionId,
    pendingAgeMs: found.pendingAgeMs,
    stale: found.stale,
    emergency: found.emergency.state,
    kind: found.kind,
    current: found.current?.verdict,
    candidate: found.candidate
      ? {
          versionId: found.candidate.versionId,
          source: found.candidate.source,
          verdict: found.candidate.probe.verdict,
        }
      : undefined,
    action,
    ...extra,
  });
  const say = (line: string) => {
    if (!ctx.json) writeLine(out.stdout, line);
  };
  const finishWith = (code: ExitCode, action: string, line: string, extra: Record<string, unknown> = {}) => {
    if (ctx.json) writeJson(out, report(action, extra));
    else writeLine(out.stdout, line);
    return code;
  };

  renderInspection(ctx, found);

  if (found.emergency.state === 'unfinished') {
    say(
      `${paint.red('Unfinished emergency')}: AWSCURRENT (${found.emergency.versionId ?? '?'}) came from an emergency rotation whose revoking work did not complete; the leaked credential may still work.`,
    );
    if (options.mode !== 'finish')
      return finishWith(
        ExitCode.failed,
        'choice-needed',
        `Fix: rotation repair ${found.name} --finish (starts a new emergency rotation; it revokes the leaked credential).`,
      );
    const stop = await confirmOrStop(
      ctx.confirm,
      options.yes,
      `Start an emergency rotation of ${found.name}?`,
    );
    if (stop !== undefined) return finishWith(stop, 'declined', 'declined: nothing was changed');
    const result = await rotateOne(ctx, found.arn, {
      emergency: true,
      wait: true,
      timeoutMs: 600_000,
      intervalMs: 250,
      source: () => ctx.progressSource(FollowMode.auto),
    });
    const ok = result.outcome === RotateOutcome.succeeded;
    return finishWith(
      ok ? ExitCode.ok : ExitCode.failed,
      ok ? 'emergency-finished' : 'emergency-not-finished',
      ok
        ? `${paint.green('Finished')}: a new emergency rotation succeeded (version ${result.versionId ?? '?'}); the leaked credential is revoked.`
        : `${paint.red('Not finished')}: the emergency rotation ${result.outcome}${result.error ? ` (${result.error.code ?? result.error.name}: ${result.error.message})` : ''}. ${result.hint ?? ''}`,
    );
  }

  const current = found.tools === undefined ? 'unchecked' : found.current?.verdict;
  const candidate = found.candidate;
  const currentWorks = current === 'logs-in' || current === 'no-target' || current === 'unchecked';

  if (current === 'unknown' || candidate?.probe.verdict === 'unknown') {
    const code = found.current?.errorCode ?? candidate?.probe.errorCode ?? 'unknown';
    return finishWith(
      ExitCode.failed,
      'cannot-probe',
      `${paint.red('Not repaired')}: could not find out whether the stored credentials log in (${code}); nothing was changed. Check the target is reachable from here and the function's settings (PG_SSL_MODE, ...) are in the environment.`,
    );
  }

  const recorded = found.progress?.current;
  if (
    current === 'unchecked' &&
    found.stale &&
    recorded !== undefined &&
    recorded !== CurrentCredential.works
  ) {
    // No probe for this kind here, but the function itself recorded that AWSCURRENT was (or
    // may have been) replaced on the target: clearing AWSPENDING could drop the only label on
    // the only working credential.
    return finishWith(
      ExitCode.failed,
      'unsafe-unchecked',
      `${paint.red('Not repaired')}: the function recorded that AWSCURRENT ${recorded === CurrentCredential.changing ? 'may no longer log in' : 'no longer logs in'} (RotationProgress:Current=${recorded}), and this kind (${found.kind ?? 'unknown'}) has no credential probe here to check; nothing was changed. Let the service retry the rotation, or pass --kind to probe.`,
    );
  }

  if (currentWorks) {
    if (!found.stale || found.pendingVersionId === undefined)
      return finishWith(ExitCode.ok, 'none', `${paint.green('Nothing to repair')}: ${nothingWhy(found)}`);
    if (options.mode !== undefined)
      say(
        `AWSCURRENT logs in, so there is nothing to ${options.mode === 'finish' ? 'finish' : 'roll back'}: clearing the stale AWSPENDING is the repair.`,
      );
    say(
      `${paint.yellow('Found')}: AWSPENDING is on version ${found.pendingVersionId} (created ${age(found)} ago), which is not AWSCURRENT (${found.currentVersionId ?? 'none'}).`,
    );
    say(
      current === 'unchecked'
        ? paint.yellow(
            `Not checked: the kind of this secret (${found.kind ?? 'none recorded'}) has no credential probe here (pass --kind ${PROBE_KINDS.join('|')}). Clearing AWSPENDING is safe only if AWSCURRENT still logs in: a single-user rotation that got past setSecret left the only working password in the pending version (it stays readable by its id).`,
          )
        : `AWSCURRENT ${current === 'no-target' ? 'needs no target login (its value is self-contained)' : 'logs in (checked on the target)'}, so clearing AWSPENDING loses no working credential.`,
    );
    if (youngAndRunning(found))
      say(
        paint.yellow(
          `Careful: the pending version is only ${age(found)} old and its last recorded step did not fail; a rotation may still be running, and clearing AWSPENDING makes it fail.`,
        ),
      );
    const stop = await confirmOrStop(
      ctx.confirm,
      options.yes,
      `Remove AWSPENDING from version ${found.pendingVersionId} of ${found.name}?`,
    );
    if (stop !== undefined) return finishWith(stop, 'declined', 'declined: nothing was changed');
    await removePending(ctx, found.arn, found.pendingVersionId);
    return finishWith(
      ExitCode.ok,
      'cleared',
      `${paint.green('Cleared')}: AWSPENDING removed from ${found.pendingVersionId}; AWSCURRENT stays on ${found.currentVersionId ?? 'no version'}. Rotate again with: rotation rotate ${found.name}`,
    );
  }

  // AWSCURRENT is refused by the target.
  const tools = found.tools;
  if (tools === undefined || candidate === undefined || candidate.probe.verdict !== 'logs-in') {
    return finishWith(
      ExitCode.failed,
      'no-working-credential',
      `${paint.red('Not repaired')}: the target refuses AWSCURRENT${candidate ? ` and ${candidate.source === 'pending' ? 'AWSPENDING' : `version ${candidate.versionId}`}` : ''}, and no recent unlabelled version logs in; nothing was changed. Reset the password on the target (for RDS: PG_BREAK_GLASS or the console), then put it in the secret.`,
    );
  }
  const where =
    candidate.source === 'pending'
      ? `AWSPENDING (${candidate.versionId})`
      : `unlabelled version ${candidate.versionId}`;
  say(
    `${paint.red('AWSCURRENT does not log in')}: the target accepts only ${where}. A rotation changed the credential on the target and did not finish (single user: setSecret ran, a later step failed). Clearing AWSPENDING now would leave no label on the one working credential.`,
  );
  if (options.mode === undefined) {
    return finishWith(
      ExitCode.failed,
      'choice-needed',
      [
        'Two safe ways out:',
        `  rotation repair ${found.name} --finish     test it, then make it AWSCURRENT (as a successful rotation would)`,
        `  rotation repair ${found.name} --rollback   set the target back to AWSCURRENT's credential, then clear AWSPENDING`,
      ].join('\n'),
    );
  }
  const question =
    options.mode === 'finish'
      ? `Test ${where} and make it AWSCURRENT of ${found.name}?`
      : `Log in with ${where}, set the target back to AWSCURRENT's credential, then clear AWSPENDING of ${found.name}?`;
  const stop = await confirmOrStop(ctx.confirm, options.yes, question);
  if (stop !== undefined) return finishWith(stop, 'declined', 'declined: nothing was changed');
  const currentId = found.currentVersionId as string;
  const input = {
    secretArn: found.arn,
    secretName: found.name,
    currentVersionId: currentId,
    pendingVersionId: candidate.versionId,
    current: await loadParsed(ctx, tools, found.arn, currentId),
    pending: await loadParsed(ctx, tools, found.arn, candidate.versionId),
  };
  try {
    if (options.mode === 'finish') {
      await tools.test(input);
      await moveCurrent(ctx, found.arn, candidate.versionId, currentId);
      if (candidate.source === 'pending') await removePending(ctx, found.arn, candidate.versionId);
    } else {
      // The function's own setSecret with the roles swapped: it logs in with the working
      // credential and sets the target back to AWSCURRENT's.
      await tools.set({ ...input, current: input.pending, pending: input.current });
      const after = await tools.probe(input.current);
      if (after.verdict !== 'logs-in')
        return finishWith(
          ExitCode.failed,
          'rollback-not-verified',
          `${paint.red('Not repaired')}: the target was asked to take AWSCURRENT's credential back but still refuses it (${after.errorCode ?? after.verdict}); AWSPENDING was left in place.`,
        );
      if (candidate.source === 'pending') await removePending(ctx, found.arn, candidate.versionId);
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return finishWith(
      ExitCode.failed,
      `${options.mode}-failed`,
      `${paint.red('Not repaired')}: ${options.mode === 'finish' ? 'the test of the working credential failed' : 'setting the target back failed'} (${typeof code === 'string' ? code : 'error'}); the labels were not changed.${options.mode === 'finish' ? ` Try: rotation repair ${found.name} --rollback` : ''}`,
    );
  }
  await recordRepaired(ctx, found.arn);
  return finishWith(
    ExitCode.ok,
    options.mode === 'finish' ? 'finished' : 'rolled-back',
    options.mode === 'finish'
      ? `${paint.green('Finished')}: version ${candidate.versionId} passed the test and is now AWSCURRENT (the old one is AWSPREVIOUS). Rotate again whenever you like.`
      : `${paint.green('Rolled back')}: the target accepts AWSCURRENT (${currentId}) again${candidate.source === 'pending' ? ' and AWSPENDING is cleared' : ''}. Rotate again with: rotation rotate ${found.name}`,
  );
}

function renderInspection(ctx: CommandContext, found: RepairInspection): void {
  if (ctx.json) return;
  const { out, paint } = ctx;
  const now = ctx.now();
  writeLine(out.stdout, `Secret ${paint.bold(found.name)}\n  ${found.arn}\n`);
  const shown = found.versions.filter(
    (version) => version.stages.length > 0 || version.versionId === found.candidate?.versionId,
  );
  writeLine(
    out.stdout,
    formatTable(
      ['VERSION', 'LABELS', 'CREATED', 'AGE', 'LOGS IN'],
      shown.map((version) => [
        version.versionId,
        version.stages.join(', ') || '(none)',
        formatDate(version.createdDate),
        version.createdDate ? formatAge(now - version.createdDate.getTime()) : '-',
        version.versionId === found.currentVersionId
          ? (found.current?.verdict ?? '-')
          : version.versionId === found.candidate?.versionId
            ? found.candidate.probe.verdict
            : '-',
      ]),
    ),
  );
  if (found.progress)
    writeLine(
      out.stdout,
      `\nLast recorded step: ${found.progress.step} ${found.progress.outcome}${found.progress.errorCode ? ` (${found.progress.errorCode})` : ''}, attempt ${found.progress.attempt}, version ${found.progress.token}${found.progress.at ? `, ${formatAge(now - found.progress.at.getTime())} ago` : ''}`,
    );
  writeLine(out.stdout);
}

function nothingWhy(found: RepairInspection): string {
  if (found.pendingVersionId === undefined)
    return 'no version holds AWSPENDING: nothing blocks a new rotation.';
  return `AWSPENDING is on the AWSCURRENT version ${found.pendingVersionId}: that is allowed, nothing blocks a new rotation.`;
}

function age(found: RepairInspection): string {
  return found.pendingAgeMs !== undefined ? formatAge(found.pendingAgeMs) : 'an unknown time';
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

/** The repair checked AWSCURRENT logs in: say so where status reads it. */
async function recordRepaired(ctx: CommandContext, arn: string): Promise<void> {
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
