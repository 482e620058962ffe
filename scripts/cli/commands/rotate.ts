import { describeAwsError } from '../aws-client.ts';
import {
  createContext,
  FollowMode,
  type CliDeps,
  type Command,
  type CommandContext,
} from '../command-context.ts';
import { confirmOrStop } from '../confirm.ts';
import { ExitCode, UsageError, worstExitCode } from '../exit-code.ts';
import { describeSnapshot, Phase, type RotationSnapshot } from '../follow/rotation-snapshot.ts';
import { formatDuration } from '../format.ts';
import { listRotationSecrets } from '../list-rotation-secrets.ts';
import { COMMON_HELP, intOption, parseCommand } from '../options.ts';
import { reportAwsError, writeJson, writeLine } from '../output.ts';
import { createProgressBar } from '../progress-bar.ts';
import { runBounded } from '../run-bounded.ts';
import { renderResultLine, renderSummary } from './rotate-report.ts';
import { rotateOne } from './rotate-one.ts';
import { RotateOutcome, type RotateResult } from './rotate-result.ts';

const HELP = `Usage: rotation rotate <secret-id>... [options]
       rotation rotate --filter <name-prefix> [options]

Start an immediate rotation (RotateSecret) of each secret and follow it step by step
until it succeeds or fails. Secrets are named by name or ARN; --filter adds every
rotation-enabled secret whose name starts with the prefix. Secret values are never
printed.

Options:
  --filter <prefix>            rotate every rotation-enabled secret whose name starts with <prefix>
  --no-wait                    start the rotations and return; do not follow them
  --emergency                  tag each secret RotationMode=emergency first: the function revokes
                               the old credential as soon as the new one is live (asks to confirm)
  -y, --yes                    do not ask for confirmation: rotate asks before rotating more than
                               one secret and before --emergency (without a terminal, --yes is needed)
  --concurrency <n>            rotations in flight at once (default 16, 1-100)
  --timeout <seconds>          give up following a rotation after this long (default 600)
  --interval-ms <ms>           polling interval (default against the emulator 100, or 250 for more
                               than 3 secrets; against AWS 2000)
  --follow <auto|emulator|poll>
                               how to follow: poll = DescribeSecret (the function's RotationProgress:*
                               tags and the labels), as against AWS; emulator = the emulator's
                               rotation records (adds messages, durations, retries); default auto:
                               the emulator's records when the endpoint serves them, else poll.
                               A function that records no tags is followed by its labels, asking
                               GetSecretValue whether the pending version holds a value yet (the
                               answer is dropped unread).
  --rotation-lambda-arn <arn>  set (or change) the rotation function before rotating
  --after-days <days>          set the rotation schedule (RotationRules.AutomaticallyAfterDays, 1-1000)

${COMMON_HELP}

Before starting, rotate reads what the function recorded on the secret: when AWSCURRENT no
longer logs in (RotationProgress:Current replaced, changing or fails, a single-user rotation
that failed after setSecret) it does not start a rotation that would fail with
ERR_NO_WORKING_CREDENTIAL; it explains the state and the fixes (rotation repair --finish or
--rollback). A failed or timed-out rotation ends with a hint for the step that failed and
the function's log group with the \`aws logs tail\` command for it.

Exit codes: 0 all rotations succeeded (or were started, with --no-wait); 1 a rotation failed,
timed out or was not started because AWSCURRENT does not log in; 2 usage error; 3 an AWS call failed (e.g. "A previous rotation isn't
complete": see \`rotation repair\`); 4 declined at the prompt; 130 interrupted.`;

const OPTIONS = {
  filter: { type: 'string' },
  'no-wait': { type: 'boolean', default: false },
  emergency: { type: 'boolean', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  'interval-ms': { type: 'string' },
  follow: { type: 'string' },
  'rotation-lambda-arn': { type: 'string' },
  'after-days': { type: 'string' },
} as const;

/** More than this many secrets: a progress bar and a summary table instead of step lines. */
const DETAILED_LIMIT = 3;

export const rotateCommand: Command = {
  name: 'rotate',
  summary: 'rotate secrets now and follow each rotation to its end',
  help: HELP,
  async run(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
    const { values, positionals, common } = parseCommand(argv, OPTIONS);
    if (common.help) {
      writeLine(deps.out.stdout, HELP);
      return ExitCode.ok;
    }
    const filter = values.filter;
    if (filter !== undefined && filter.trim() === '')
      throw new UsageError('--filter needs a non-empty name prefix');
    if (positionals.length === 0 && filter === undefined)
      throw new UsageError('name at least one secret, or pass --filter <prefix>');
    const follow = values.follow ?? FollowMode.auto;
    if (!Object.values(FollowMode).includes(follow as FollowMode))
      throw new UsageError(`--follow must be auto, emulator or poll, got "${follow}"`);
    const concurrency = intOption('concurrency', values.concurrency, 16, { min: 1, max: 100 });
    const timeoutMs = intOption('timeout', values.timeout, 600, { min: 1, max: 86_400 }) * 1000;
    const afterDays =
      values['after-days'] === undefined
        ? undefined
        : intOption('after-days', values['after-days'], 90, { min: 1, max: 1000 });
    const intervalMs =
      values['interval-ms'] === undefined
        ? undefined
        : intOption('interval-ms', values['interval-ms'], 100, { min: 10, max: 60_000 });
    const ctx = createContext(common, deps);

    let targets: string[];
    try {
      targets = [...positionals];
      if (filter !== undefined)
        targets.push(
          ...(await listRotationSecrets(ctx.client, filter, ctx.signal)).map(
            (entry) => entry.Name ?? entry.ARN ?? '',
          ),
        );
      targets = [...new Set(targets.filter((target) => target !== ''))];
    } catch (error) {
      const { name, message } = describeAwsError(error);
      reportAwsError(ctx, 'rotate', { name, message }, `error: ListSecrets failed: ${name}: ${message}`);
      return ExitCode.awsError;
    }
    if (targets.length === 0) {
      if (ctx.json) writeJson(ctx.out, { command: 'rotate', results: [], summary: summarize([], 0) });
      else
        writeLine(
          ctx.out.stderr,
          `nothing to rotate: no rotation-enabled secret name starts with "${filter ?? ''}"`,
        );
      return ExitCode.failed;
    }

    const list =
      targets.length <= 10
        ? targets.join(', ')
        : `${targets.slice(0, 10).join(', ')} and ${targets.length - 10} more`;
    // One secret named on the command line is what was asked for; more (a --filter, a list) are confirmed.
    const question = values.emergency
      ? `EMERGENCY rotation of ${targets.length} secret(s): ${list}.\nThe old credential of each is revoked as soon as the new one is live; every session or token that uses it stops working. Continue?`
      : targets.length > 1
        ? `Rotate ${targets.length} secrets now: ${list}.\nEach gets a new credential now (what happens to the old one depends on its strategy: see the kind's README). Continue?`
        : undefined;
    if (question !== undefined) {
      const stop = await confirmOrStop(ctx.confirm, values.yes, question);
      if (stop !== undefined) {
        writeLine(ctx.out.stderr, 'declined: nothing was changed');
        return stop;
      }
    }

    const source = async () => ctx.progressSource(follow as FollowMode);
    const wallStarted = ctx.now();
    const detailed = targets.length <= DETAILED_LIMIT && !ctx.json;
    const results = await rotateAll(ctx, targets, {
      concurrency,
      detailed,
      emergency: values.emergency,
      wait: !values['no-wait'],
      timeoutMs,
      // Against the emulator: quick for a few secrets, lighter for many (the polls share its CPU).
      intervalMs: intervalMs ?? ((await source()).mode === 'emulator' ? (detailed ? 100 : 250) : 2000),
      source,
      ...(values['rotation-lambda-arn'] ? { rotationLambdaArn: values['rotation-lambda-arn'] } : {}),
      ...(afterDays !== undefined ? { afterDays } : {}),
    });
    const wallMs = ctx.now() - wallStarted;

    if (ctx.json) {
      writeJson(ctx.out, { command: 'rotate', results, summary: summarize(results, wallMs) });
    } else {
      if (!detailed) {
        writeLine(ctx.out.stdout, renderSummary(results, ctx.paint));
        for (const result of results.filter((each) => each.hint).slice(0, 20)) {
          writeLine(ctx.out.stdout, `hint: ${result.name}: ${result.hint}`);
          if (result.logs) writeLine(ctx.out.stdout, `logs: ${result.name}: ${result.logs.tailCommand}`);
        }
      }
      const s = summarize(results, wallMs);
      if (results.length > 1) {
        const failed = s.failed > 0 ? ctx.paint.red(`${s.failed} failed`) : '0 failed';
        const errors = s.errors > 0 ? ctx.paint.red(`${s.errors} AWS errors`) : '0 AWS errors';
        const started = s.started > 0 ? `, ${s.started} started (not followed)` : '';
        writeLine(
          ctx.out.stdout,
          `${s.total} secret(s): ${ctx.paint.green(`${s.succeeded} succeeded`)}, ${failed}, ${errors}${started} in ${formatDuration(wallMs)}`,
        );
      }
    }
    return worstExitCode(results.map(exitCodeOf));
  },
};

interface RotateAllOptions {
  readonly concurrency: number;
  readonly detailed: boolean;
  readonly emergency: boolean;
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly source: () => ReturnType<CommandContext['progressSource']>;
  readonly rotationLambdaArn?: string;
  readonly afterDays?: number;
}

async function rotateAll(
  ctx: CommandContext,
  targets: readonly string[],
  options: RotateAllOptions,
): Promise<RotateResult[]> {
  const { out, paint } = ctx;
  const bar =
    !options.detailed && out.live && !ctx.json
      ? createProgressBar(out.stderr, targets.length, paint, ctx.now)
      : undefined;
  if (!options.detailed && !ctx.json)
    writeLine(
      out.stderr,
      `rotating ${targets.length} secrets, ${Math.min(options.concurrency, targets.length)} at a time${options.emergency ? ' (EMERGENCY)' : ''}`,
    );
  let done = 0;
  let failed = 0;
  bar?.update({ done, failed });
  const results = await runBounded(targets, options.concurrency, async (secretId) => {
    const result = await rotateOne(ctx, secretId, {
      ...options,
      ...(options.detailed
        ? {
            onStarted: ({ name, versionId }) =>
              writeLine(
                out.stderr,
                `${paint.bold(name)}: rotation started (version ${versionId})${options.emergency ? paint.yellow(' EMERGENCY') : ''}`,
              ),
            onChange: progressPrinter(ctx, secretId),
          }
        : {}),
    });
    done++;
    if (result.outcome !== RotateOutcome.succeeded && result.outcome !== RotateOutcome.started) failed++;
    bar?.update({ done, failed });
    if (options.detailed) writeLine(out.stdout, renderResultLine(result, paint));
    return result;
  });
  bar?.finish();
  return results;
}

/** Step-by-step lines for one rotation: each finished step, and each change of the running step. */
export function progressPrinter(
  ctx: CommandContext,
  label: string,
): (snapshot: RotationSnapshot, elapsedMs: number) => void {
  let printedSteps = 0;
  let lastRunning = '';
  return (snapshot, elapsedMs) => {
    const { out, paint } = ctx;
    for (const step of snapshot.steps.slice(printedSteps)) {
      const mark = step.ok ? paint.green('ok') : paint.red('FAILED');
      const why = step.error
        ? ` ${step.error.code ?? step.error.name}${step.error.message ? `: ${step.error.message}` : ''}`
        : '';
      const attempt = step.attempt !== undefined && step.attempt > 1 ? ` (attempt ${step.attempt})` : '';
      writeLine(
        out.stderr,
        `  ${label}  ${step.step.padEnd(13)} ${mark}  ${step.durationMs !== undefined ? formatDuration(step.durationMs) : ''}${attempt}${why}`,
      );
    }
    printedSteps = snapshot.steps.length;
    if (snapshot.phase === Phase.running || snapshot.phase === Phase.starting) {
      const now = `${describeSnapshot(snapshot)}${snapshot.attempts && snapshot.attempts > 1 ? ` (attempt ${snapshot.attempts})` : ''}`;
      if (now !== lastRunning) {
        lastRunning = now;
        writeLine(out.stderr, paint.dim(`  ${label}  ${now}... ${formatDuration(elapsedMs)}`));
      }
    }
  };
}

function exitCodeOf(result: RotateResult): ExitCode {
  switch (result.outcome) {
    case RotateOutcome.succeeded:
    case RotateOutcome.started:
      return ExitCode.ok;
    case RotateOutcome.failed:
    case RotateOutcome.refused:
      return ExitCode.failed;
    case RotateOutcome.error:
      return ExitCode.awsError;
  }
}

export function summarize(results: readonly RotateResult[], wallMs: number) {
  const count = (outcome: RotateOutcome) => results.filter((result) => result.outcome === outcome).length;
  return {
    total: results.length,
    succeeded: count(RotateOutcome.succeeded),
    failed: count(RotateOutcome.failed) + count(RotateOutcome.refused),
    errors: count(RotateOutcome.error),
    started: count(RotateOutcome.started),
    wallMs,
  };
}
