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
  DEFAULT_IN_FLIGHT_MS,
  DEFAULT_PERIOD_DAYS,
  type RotationAssessment,
  RotationState,
  type SecretFacts,
} from './assess-rotation.ts';

const HELP = `Usage: rotation status [<secret-id>...] [--filter <name-prefix>] [options]

A table of the secrets with rotation turned on (and of those with rotation off that still
have an AWSPENDING version: a cancelled rotation leaves one): rotation function, schedule,
last and next rotation, overdue (last rotation, or creation when never rotated, older than
the period; ${DEFAULT_PERIOD_DAYS} days when there is no schedule; or a NextRotationDate in the past),
and the rotation's state, read from the labels and from what the function recorded on the
secret (RotationProgress:* tags):
  rotating   AWSPENDING younger than the rotation window (RotationRules.Duration, or
             ${DEFAULT_IN_FLIGHT_MS / 60_000} min without one) and no recorded failure: not a problem
  stuck      AWSPENDING older than that, or its last step failed, or rotation is off
  emergency  requested (tag set, no rotation yet), deferred (the tag came after the
             running rotation began: it applies to the next one), in-progress, or
             unfinished (AWSCURRENT moved, the revoking work did not complete)
and whether AWSCURRENT logs in, as the function recorded it (a single-user rotation
replaces it at setSecret). Each problem is printed with its fix.
For a replicated secret it lists each replica Region, read in that Region: in sync (holds
the primary's AWSCURRENT), BEHIND, being created, FAILED or UNREADABLE, with what the
rotation function recorded about the last rotation's replicas.

Options:
  --filter <prefix>   only secrets whose name starts with <prefix>

${COMMON_HELP}

Exit codes: 0 nothing overdue, stuck, emergency pending, AWSCURRENT known broken or replica
out of sync (rotations in flight are fine); 1 at least one such secret; 2 usage error; 3 an
AWS call failed.`;

export interface StatusRow extends RotationAssessment {
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
    const rotating = rows.filter((row) => row.state === RotationState.rotating).length;
    const unhealthy = rows.filter(
      (row) => row.overdue || row.problems.length > 0 || row.replicas?.some(isReplicaProblem),
    ).length;
    if (ctx.json) {
      writeJson(ctx.out, {
        command: 'status',
        generatedAt: new Date(ctx.now()).toISOString(),
        secrets: rows,
        summary: { total: rows.length, overdue, stuck, rotating, unhealthy, replicaProblems },
      });
    } else {
      renderStatus(ctx, rows, overdue, stuck, rotating);
    }
    return unhealthy > 0 ? ExitCode.failed : ExitCode.ok;
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
    for (const entry of await listRotationSecrets(ctx.client, filter, ctx.signal, {
      withLeftoverPending: true,
    }))
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
    const replicas = await replicasOf(ctx, fact);
    const pendingId = leftoverPending(fact.versionIdsToStages);
    if (pendingId === undefined) return { ...assessRotation(fact, now), ...replicas };
    const versions = await ctx.client.send(
      new ListSecretVersionIdsCommand({ SecretId: fact.arn, MaxResults: 100 }),
      send,
    );
    const created = versions.Versions?.find((version) => version.VersionId === pendingId)?.CreatedDate;
    return { ...assessRotation(created ? { ...fact, pendingCreatedDate: created } : fact, now), ...replicas };
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

function leftoverPending(stages: SecretFacts['versionIdsToStages']): string | undefined {
  const entries = Object.entries(stages);
  const pending = entries.find(([, labels]) => labels.includes('AWSPENDING'))?.[0];
  const current = entries.find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
  return pending !== undefined && pending !== current ? pending : undefined;
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
    ...(entry.RotationEnabled !== undefined ? { rotationEnabled: entry.RotationEnabled } : {}),
    ...(entry.RotationRules?.Duration ? { windowDuration: entry.RotationRules.Duration } : {}),
    tags: Object.fromEntries((entry.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
  };
}

function renderStatus(
  ctx: CommandContext,
  rows: readonly StatusRow[],
  overdue: number,
  stuck: number,
  rotating: number,
): void {
  const { paint, out } = ctx;
  if (rows.length === 0) {
    writeLine(out.stdout, 'no secrets with rotation turned on');
    return;
  }
  const table = formatTable(
    ['NAME', 'FUNCTION', 'SCHEDULE', 'LAST ROTATED', 'NEXT ROTATION', 'OVERDUE', 'ROTATION', 'EMERGENCY'],
    rows.map((row) => [
      row.name,
      row.rotationEnabled === false ? 'rotation off' : functionName(row.rotationLambdaArn),
      row.schedule,
      formatDate(row.lastRotatedDate),
      formatDate(row.nextRotationDate),
      row.overdue ? paint.red('OVERDUE') : 'no',
      rotationCell(ctx, row),
      row.emergency === 'none' ? '-' : paint.red(row.emergency),
    ]),
  );
  writeLine(out.stdout, table);
  for (const row of rows) {
    if (row.overdue)
      writeLine(out.stdout, `${paint.yellow('overdue')}  ${row.name}: ${row.overdueReason ?? ''}`);
    for (const problem of row.problems)
      writeLine(out.stdout, `${paint.yellow('problem')}  ${row.name}: ${problem}`);
    if (row.state === RotationState.rotating)
      writeLine(
        out.stdout,
        `${paint.dim('rotating')} ${row.name}: version ${row.pendingVersionId ?? '?'}${row.lastStep?.token === row.pendingVersionId ? `, last step ${row.lastStep?.step} ${row.lastStep?.outcome}` : ''}; not a problem yet`,
      );
    if (row.stuck)
      writeLine(
        out.stdout,
        `${paint.yellow('stuck')}    ${row.name}: AWSPENDING is on version ${row.pendingVersionId ?? '?'}, AWSCURRENT on ${row.currentVersionId ?? 'none'}; inspect and fix with: rotation repair ${row.name}`,
      );
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
    `${rows.length} secret(s) with rotation on: ${overdue > 0 ? paint.red(`${overdue} overdue`) : '0 overdue'}, ${stuck > 0 ? paint.red(`${stuck} stuck`) : '0 stuck'}, ${rotating} rotating`,
  );
}

function rotationCell(ctx: CommandContext, row: StatusRow): string {
  const age = row.pendingAgeMs !== undefined ? formatAge(row.pendingAgeMs) : 'age unknown';
  if (row.stuck) return ctx.paint.red(`STUCK (pending ${age})`);
  if (row.state === RotationState.rotating) return `rotating (${age})`;
  return 'no';
}
