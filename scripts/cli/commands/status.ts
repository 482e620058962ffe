import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  type SecretListEntry,
} from '@aws-sdk/client-secrets-manager';
import { describeAwsError } from '../aws-client.ts';
import { createContext, type CliDeps, type Command, type CommandContext } from '../command-context.ts';
import { ExitCode } from '../exit-code.ts';
import { formatAge, formatDate, functionName } from '../format.ts';
import { listRotationSecrets } from '../list-rotation-secrets.ts';
import { COMMON_HELP, parseCommand } from '../options.ts';
import { reportAwsError, writeJson, writeLine } from '../output.ts';
import { runBounded } from '../run-bounded.ts';
import { formatTable } from '../table.ts';
import {
  formatReplica,
  isReplicaProblem,
  REPLICA_STATUS_TAG,
  replicaRows,
  type ReplicaRow,
} from '../replica-status.ts';
import {
  assessRotation,
  DEFAULT_PERIOD_DAYS,
  type RotationAssessment,
  type SecretFacts,
} from './assess-rotation.ts';

const HELP = `Usage: rotation status [<secret-id>...] [--filter <name-prefix>] [options]

A table of the secrets with rotation turned on: their rotation function, schedule, last
and next rotation, whether rotation is overdue (last rotation, or creation when never
rotated, older than the rotation period; ${DEFAULT_PERIOD_DAYS} days when there is no schedule; or a
NextRotationDate in the past), and whether a rotation is stuck (AWSPENDING on a version
that is not AWSCURRENT, with its age: RotateSecret refuses with "A previous rotation isn't
complete" until \`rotation repair\` clears it). A young stuck version can be a rotation
that is still running. For a replicated secret it lists each replica Region, read in that
Region: in sync (holds the primary's AWSCURRENT), BEHIND, being created, FAILED or
UNREADABLE, with what the rotation function recorded about the last rotation's replicas.

Options:
  --filter <prefix>   only secrets whose name starts with <prefix>

${COMMON_HELP}

Exit codes: 0 nothing overdue or stuck; 1 at least one secret overdue or stuck, or a replica
out of sync or failed;
2 usage error; 3 an AWS call failed.`;

export interface StatusRow extends RotationAssessment {
  /** Age of the stuck AWSPENDING version, from its CreatedDate. */
  readonly pendingAgeMs?: number;
  /** Replica Regions of a replicated primary. */
  readonly replicas?: readonly ReplicaRow[];
  /** The function's record of the last rotation's replicas (RotationReplicas tag). */
  readonly replicaRecord?: string;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show rotation schedules, overdue secrets and stuck rotations',
  help: HELP,
  async run(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
    const { values, positionals, common } = parseCommand(argv, { filter: { type: 'string' } });
    if (common.help) {
      writeLine(deps.out.stdout, HELP);
      return ExitCode.ok;
    }
    const ctx = createContext(common, deps);
    let rows: StatusRow[];
    try {
      rows = await collectStatus(ctx, positionals, values.filter);
    } catch (error) {
      const { name, message } = describeAwsError(error);
      reportAwsError(ctx, 'status', { name, message }, `error: ${name}: ${message}`);
      return ExitCode.awsError;
    }
    const overdue = rows.filter((row) => row.overdue).length;
    const stuck = rows.filter((row) => row.stuck).length;
    const replicaProblems = rows.filter((row) => row.replicas?.some(isReplicaProblem)).length;
    if (ctx.json) {
      writeJson(ctx.out, {
        command: 'status',
        generatedAt: new Date(ctx.now()).toISOString(),
        secrets: rows,
        summary: { total: rows.length, overdue, stuck, replicaProblems },
      });
    } else {
      renderStatus(ctx, rows, overdue, stuck);
    }
    return overdue + stuck + replicaProblems > 0 ? ExitCode.failed : ExitCode.ok;
  },
};

export async function collectStatus(
  ctx: CommandContext,
  secretIds: readonly string[],
  filter: string | undefined,
): Promise<StatusRow[]> {
  const send = ctx.signal ? { abortSignal: ctx.signal } : {};
  const facts: SecretFacts[] = [];
  if (secretIds.length === 0 || filter !== undefined) {
    for (const entry of await listRotationSecrets(ctx.client, filter, ctx.signal))
      facts.push(factsFromListEntry(entry));
  }
  for (const secretId of secretIds) {
    const described = await ctx.client.send(new DescribeSecretCommand({ SecretId: secretId }), send);
    facts.push(
      factsFromListEntry({ ...described, SecretVersionsToStages: described.VersionIdsToStages ?? {} }),
    );
  }
  const unique = [...new Map(facts.map((fact) => [fact.arn, fact])).values()];
  const now = ctx.now();
  return runBounded(unique, 8, async (fact): Promise<StatusRow> => {
    const assessment = { ...assessRotation(fact, now), ...(await replicasOf(ctx, fact)) };
    if (!assessment.stuck || assessment.pendingVersionId === undefined) return assessment;
    const versions = await ctx.client.send(
      new ListSecretVersionIdsCommand({ SecretId: fact.arn, MaxResults: 100 }),
      send,
    );
    const created = versions.Versions?.find(
      (version) => version.VersionId === assessment.pendingVersionId,
    )?.CreatedDate;
    return created ? { ...assessment, pendingAgeMs: now - created.getTime() } : assessment;
  });
}

/** A replicated primary (PrimaryRegion is its own Region): its replicas, each read in its Region. */
async function replicasOf(
  ctx: CommandContext,
  fact: SecretFacts,
): Promise<Pick<StatusRow, 'replicas' | 'replicaRecord'>> {
  const region = fact.arn.split(':')[3];
  if (fact.primaryRegion === undefined || fact.primaryRegion !== region) return {};
  const described = await ctx.client.send(
    new DescribeSecretCommand({ SecretId: fact.arn }),
    ctx.signal ? { abortSignal: ctx.signal } : {},
  );
  const replication = described.ReplicationStatus ?? [];
  if (replication.length === 0) return {};
  const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, labels]) =>
    labels.includes('AWSCURRENT'),
  )?.[0];
  const record = described.Tags?.find((tag) => tag.Key === REPLICA_STATUS_TAG)?.Value;
  return {
    replicas: await replicaRows(ctx, fact.arn, current, replication),
    ...(record !== undefined ? { replicaRecord: record } : {}),
  };
}

function factsFromListEntry(entry: SecretListEntry): SecretFacts {
  return {
    name: entry.Name ?? entry.ARN ?? '?',
    arn: entry.ARN ?? entry.Name ?? '?',
    ...(entry.RotationLambdaARN ? { rotationLambdaArn: entry.RotationLambdaARN } : {}),
    ...(entry.RotationRules?.AutomaticallyAfterDays !== undefined
      ? { automaticallyAfterDays: entry.RotationRules.AutomaticallyAfterDays }
      : {}),
    ...(entry.RotationRules?.ScheduleExpression
      ? { scheduleExpression: entry.RotationRules.ScheduleExpression }
      : {}),
    ...(entry.LastRotatedDate ? { lastRotatedDate: entry.LastRotatedDate } : {}),
    ...(entry.NextRotationDate ? { nextRotationDate: entry.NextRotationDate } : {}),
    ...(entry.CreatedDate ? { createdDate: entry.CreatedDate } : {}),
    ...(entry.PrimaryRegion ? { primaryRegion: entry.PrimaryRegion } : {}),
    versionIdsToStages: entry.SecretVersionsToStages ?? {},
  };
}

function renderStatus(ctx: CommandContext, rows: readonly StatusRow[], overdue: number, stuck: number): void {
  const { paint, out } = ctx;
  if (rows.length === 0) {
    writeLine(out.stdout, 'no secrets with rotation turned on');
    return;
  }
  const table = formatTable(
    ['NAME', 'FUNCTION', 'SCHEDULE', 'LAST ROTATED', 'NEXT ROTATION', 'OVERDUE', 'STUCK'],
    rows.map((row) => [
      row.name,
      functionName(row.rotationLambdaArn),
      row.schedule,
      formatDate(row.lastRotatedDate),
      formatDate(row.nextRotationDate),
      row.overdue ? paint.red('OVERDUE') : 'no',
      row.stuck
        ? paint.red(
            `STUCK (pending ${row.pendingAgeMs !== undefined ? formatAge(row.pendingAgeMs) : 'age unknown'})`,
          )
        : 'no',
    ]),
  );
  writeLine(out.stdout, table);
  for (const row of rows) {
    if (row.overdue)
      writeLine(out.stdout, `${paint.yellow('overdue')}  ${row.name}: ${row.overdueReason ?? ''}`);
    if (row.stuck) {
      writeLine(
        out.stdout,
        `${paint.yellow('stuck')}    ${row.name}: AWSPENDING is on version ${row.pendingVersionId ?? '?'}, AWSCURRENT on ${row.currentVersionId ?? 'none'}; inspect and clear with: rotation repair ${row.name}`,
      );
    }
    if (row.replicas) {
      const problem = row.replicas.some(isReplicaProblem);
      writeLine(
        out.stdout,
        `${problem ? paint.red('replicas') : 'replicas'} ${row.name}: ${row.replicas.map(formatReplica).join(', ')}`,
      );
      if (problem && row.replicaRecord)
        writeLine(out.stdout, `         last rotation recorded by the function: ${row.replicaRecord}`);
    }
  }
  writeLine(
    out.stdout,
    `${rows.length} secret(s) with rotation on: ${overdue > 0 ? paint.red(`${overdue} overdue`) : '0 overdue'}, ${stuck > 0 ? paint.red(`${stuck} stuck`) : '0 stuck'}`,
  );
}
