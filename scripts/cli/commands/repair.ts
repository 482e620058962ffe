import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { describeAwsError } from '../aws-client.ts';
import { createContext, type CliDeps, type Command, type CommandContext } from '../command-context.ts';
import { confirmOrStop } from '../confirm.ts';
import { ExitCode, UsageError } from '../exit-code.ts';
import { formatAge, formatDate } from '../format.ts';
import { COMMON_HELP, parseCommand } from '../options.ts';
import { reportAwsError, writeJson, writeLine } from '../output.ts';
import { formatTable } from '../table.ts';

const HELP = `Usage: rotation repair <secret-id> [options]

For "A previous rotation isn't complete": shows which version holds which label and how
old the pending version is, then (after confirmation, or with --yes) removes the stale
AWSPENDING label (UpdateSecretVersionStage with RemoveFromVersionId) so a new rotation can
start. It never moves AWSCURRENT, and it changes nothing when no stale AWSPENDING exists.

Options:
  -y, --yes   do not ask for confirmation (needed without a terminal)

${COMMON_HELP}

Exit codes: 0 repaired, or nothing to repair; 2 usage error (also: confirmation needed
but no terminal and no --yes); 3 an AWS call failed; 4 declined at the prompt.`;

/** A pending version younger than this may belong to a rotation that is still running. */
const RECENT_PENDING_MS = 15 * 60_000;

interface VersionRow {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly createdDate?: Date;
}

export const repairCommand: Command = {
  name: 'repair',
  summary: 'explain and clear a stale AWSPENDING that blocks rotation',
  help: HELP,
  async run(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
    const { values, positionals, common } = parseCommand(argv, {
      yes: { type: 'boolean', short: 'y', default: false },
    });
    if (common.help) {
      writeLine(deps.out.stdout, HELP);
      return ExitCode.ok;
    }
    if (positionals.length !== 1) throw new UsageError('repair takes exactly one secret id (name or ARN)');
    const secretId = positionals[0] as string;
    const ctx = createContext(common, deps);
    try {
      return await repair(ctx, secretId, values.yes);
    } catch (error) {
      if (error instanceof UsageError || ctx.signal?.aborted) throw error;
      const { name, message } = describeAwsError(error);
      reportAwsError(ctx, 'repair', { name, message }, `error: ${name}: ${message}`);
      return ExitCode.awsError;
    }
  },
};

async function repair(ctx: CommandContext, secretId: string, yes: boolean): Promise<ExitCode> {
  const { out, paint } = ctx;
  const send = ctx.signal ? { abortSignal: ctx.signal } : {};
  const described = await ctx.client.send(new DescribeSecretCommand({ SecretId: secretId }), send);
  const arn = described.ARN ?? secretId;
  const name = described.Name ?? secretId;
  const listed = await ctx.client.send(
    new ListSecretVersionIdsCommand({ SecretId: arn, MaxResults: 100 }),
    send,
  );
  const created = new Map(
    (listed.Versions ?? []).map((version) => [version.VersionId ?? '', version.CreatedDate]),
  );
  const versions: VersionRow[] = Object.entries(described.VersionIdsToStages ?? {}).map(
    ([versionId, stages]) => {
      const createdDate = created.get(versionId);
      return { versionId, stages, ...(createdDate ? { createdDate } : {}) };
    },
  );
  const current = versions.find((version) => version.stages.includes('AWSCURRENT'));
  const pending = versions.find((version) => version.stages.includes('AWSPENDING'));
  const now = ctx.now();
  const pendingAgeMs = pending?.createdDate ? now - pending.createdDate.getTime() : undefined;
  const stale = pending !== undefined && pending.versionId !== current?.versionId;
  const report = {
    command: 'repair',
    secret: { name, arn },
    versions: versions.map((version) => ({
      ...version,
      ageMs: version.createdDate ? now - version.createdDate.getTime() : undefined,
    })),
    currentVersionId: current?.versionId,
    pendingVersionId: pending?.versionId,
    pendingAgeMs,
    stale,
  };

  if (!ctx.json) {
    writeLine(out.stdout, `Secret ${paint.bold(name)}\n  ${arn}\n`);
    writeLine(
      out.stdout,
      formatTable(
        ['VERSION', 'LABELS', 'CREATED', 'AGE'],
        versions.map((version) => [
          version.versionId,
          version.stages.join(', '),
          formatDate(version.createdDate),
          version.createdDate ? formatAge(now - version.createdDate.getTime()) : '-',
        ]),
      ),
    );
    writeLine(out.stdout);
  }

  if (!stale) {
    const why =
      pending === undefined
        ? 'no version holds AWSPENDING: nothing blocks a new rotation.'
        : `AWSPENDING is on the AWSCURRENT version ${pending.versionId}: that is allowed, nothing blocks a new rotation.`;
    if (ctx.json) writeJson(out, { ...report, action: 'none' });
    else writeLine(out.stdout, `${paint.green('Nothing to repair')}: ${why}`);
    return ExitCode.ok;
  }

  const age = pendingAgeMs !== undefined ? formatAge(pendingAgeMs) : 'an unknown time';
  if (!ctx.json) {
    writeLine(
      out.stdout,
      [
        `${paint.yellow('Found')}: AWSPENDING is on version ${pending.versionId} (created ${age} ago), which is not AWSCURRENT (${current?.versionId ?? 'no version'}).`,
        `A rotation started and did not finish. Until AWSPENDING is cleared, RotateSecret refuses with "A previous rotation isn't complete".`,
        ...(pendingAgeMs !== undefined && pendingAgeMs < RECENT_PENDING_MS
          ? [
              paint.yellow(
                `Careful: the pending version is only ${age} old; a rotation may still be running, and clearing AWSPENDING makes it fail.`,
              ),
            ]
          : []),
        `If that rotation got past setSecret, the target may already accept the pending value: the version stays readable by its id (${pending.versionId}) after the label is removed.`,
        `Fix: remove AWSPENDING from version ${pending.versionId} (UpdateSecretVersionStage RemoveFromVersionId). AWSCURRENT stays on ${current?.versionId ?? 'no version'}.`,
      ].join('\n'),
    );
  }
  const stop = await confirmOrStop(
    ctx.confirm,
    yes,
    `Remove AWSPENDING from version ${pending.versionId} of ${name}?`,
  );
  if (stop !== undefined) {
    if (ctx.json) writeJson(out, { ...report, action: 'declined' });
    else writeLine(out.stderr, 'declined: nothing was changed');
    return stop;
  }
  await ctx.client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: arn,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: pending.versionId,
    }),
    send,
  );
  const after = await ctx.client.send(new DescribeSecretCommand({ SecretId: arn }), send);
  const stillPending = Object.entries(after.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSPENDING'),
  )?.[0];
  const currentAfter = Object.entries(after.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  )?.[0];
  const cleared = stillPending === undefined || stillPending === currentAfter;
  if (ctx.json) {
    writeJson(out, {
      ...report,
      action: cleared ? 'cleared' : 'not-cleared',
      currentVersionIdAfter: currentAfter,
    });
  } else if (cleared) {
    writeLine(
      out.stdout,
      `${paint.green('Cleared')}: AWSPENDING removed from ${pending.versionId}; AWSCURRENT is on ${currentAfter ?? 'no version'}. Rotate again with: rotation rotate ${name}`,
    );
  } else {
    writeLine(
      out.stdout,
      `${paint.red('Not cleared')}: AWSPENDING is now on ${stillPending}; another rotation may have started. Run \`rotation repair ${name}\` again.`,
    );
  }
  return cleared ? ExitCode.ok : ExitCode.failed;
}
