import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describeAwsError } from '../aws-client.ts';
import { createContext, FollowMode, type CliDeps, type Command } from '../command-context.ts';
import { ExitCode, UsageError } from '../exit-code.ts';
import { followRotation } from '../follow/follow-rotation.ts';
import { formatDate } from '../format.ts';
import { COMMON_HELP, intOption, parseCommand } from '../options.ts';
import { reportAwsError, writeJson, writeLine } from '../output.ts';
import { progressPrinter } from './rotate.ts';
import { renderResultLine } from './rotate-report.ts';
import { describeAfter, endedResult } from './rotate-end.ts';
import { RotateOutcome } from './rotate-result.ts';

const HELP = `Usage: rotation follow <secret-id> [options]

Re-attach to a rotation in progress and follow it to its end, step by step as rotate does:
after Ctrl-C, from another terminal, or a rotation Secrets Manager started on its schedule.
The rotation in progress is the secret's AWSPENDING version that is not AWSCURRENT; when
there is none, follow says so and exits 0. It changes nothing.

Options:
  --timeout <seconds>          give up following after this long (default 600)
  --interval-ms <ms>           polling interval (default against the emulator 100, against AWS 2000)
  --follow <auto|emulator|poll>
                               how to follow: poll = the function's progress tags and the labels
                               (DescribeSecret, as against AWS); emulator = the emulator's rotation
                               records (default auto)

${COMMON_HELP}

Exit codes: 0 the rotation succeeded, or none was in progress; 1 it failed or timed out;
2 usage error; 3 an AWS call failed; 130 interrupted.`;

const OPTIONS = {
  timeout: { type: 'string' },
  'interval-ms': { type: 'string' },
  follow: { type: 'string' },
} as const;

export const followCommand: Command = {
  name: 'follow',
  summary: 're-attach to a rotation in progress and follow it to its end',
  help: HELP,
  async run(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
    const { values, positionals, common } = parseCommand(argv, OPTIONS);
    if (common.help) {
      writeLine(deps.out.stdout, HELP);
      return ExitCode.ok;
    }
    const [secretId, ...extra] = positionals;
    if (secretId === undefined || extra.length > 0) throw new UsageError('name exactly one secret to follow');
    const mode = values.follow ?? FollowMode.auto;
    if (!Object.values(FollowMode).includes(mode as FollowMode))
      throw new UsageError(`--follow must be auto, emulator or poll, got "${mode}"`);
    const timeoutMs = intOption('timeout', values.timeout, 600, { min: 1, max: 86_400 }) * 1000;
    const intervalOption =
      values['interval-ms'] === undefined
        ? undefined
        : intOption('interval-ms', values['interval-ms'], 100, { min: 10, max: 60_000 });
    const ctx = createContext(common, deps);
    const send = ctx.signal ? { abortSignal: ctx.signal } : {};

    let described;
    try {
      described = await ctx.client.send(new DescribeSecretCommand({ SecretId: secretId }), send);
    } catch (error) {
      const { name, message } = describeAwsError(error);
      reportAwsError(ctx, 'follow', { name, message }, `error: DescribeSecret failed: ${name}: ${message}`);
      return ExitCode.awsError;
    }
    const name = described.Name ?? secretId;
    const arn = described.ARN ?? secretId;
    const versionId = Object.entries(described.VersionIdsToStages ?? {}).find(
      ([, labels]) => labels.includes('AWSPENDING') && !labels.includes('AWSCURRENT'),
    )?.[0];
    if (versionId === undefined) {
      if (ctx.json)
        writeJson(ctx.out, {
          command: 'follow',
          secret: name,
          inProgress: false,
          ...(described.LastRotatedDate ? { lastRotatedDate: described.LastRotatedDate } : {}),
        });
      else
        writeLine(
          ctx.out.stdout,
          `${name}: no rotation in progress (last rotated ${formatDate(described.LastRotatedDate)}); see: rotation status ${name}`,
        );
      return ExitCode.ok;
    }

    const source = await ctx.progressSource(mode as FollowMode);
    const started = ctx.now();
    if (!ctx.json)
      writeLine(
        ctx.out.stderr,
        `${ctx.paint.bold(name)}: following the rotation in progress (version ${versionId})`,
      );
    const print = ctx.json ? undefined : progressPrinter(ctx, name);
    const followed = await followRotation(
      source,
      { secretId, arn, name, versionId, startedAtMs: started },
      {
        timeoutMs,
        intervalMs: intervalOption ?? (source.mode === 'emulator' ? 100 : 2000),
        now: ctx.now,
        sleep: ctx.sleep,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(print ? { onChange: (snapshot) => print(snapshot, ctx.now() - started) } : {}),
      },
    );
    const identity = { secretId, name, arn, versionId, emergency: false };
    const result = endedResult(ctx, identity, followed, await describeAfter(ctx, arn, versionId), started);
    const succeeded = result.outcome === RotateOutcome.succeeded;
    if (ctx.json) writeJson(ctx.out, { command: 'follow', result });
    else writeLine(ctx.out.stdout, renderResultLine(result, ctx.paint));
    return succeeded ? ExitCode.ok : ExitCode.failed;
  },
};
