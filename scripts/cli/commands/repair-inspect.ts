import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { emergencyStateOf, readProgress, type RecordedProgress } from '../../../shared/rotation-progress.ts';
import type { CommandContext } from '../command-context.ts';
import { isProbeKind, kindTools, type KindTools, type ProbeResult } from '../credential-probe.ts';

/**
 * What `repair` learns before it changes anything: labels, ages, the function's recorded
 * progress, the emergency state, and, per strategy, which stored credential logs in.
 * Values are read (GetSecretValue) only to hand them to the kind's probe; they are never
 * printed, and each is sent only to the host its own secret names.
 */

export interface VersionRow {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly createdDate?: Date;
}

export interface Candidate {
  readonly versionId: string;
  /** AWSPENDING, or a version with no label (a rotation whose AWSPENDING was cleared). */
  readonly source: 'pending' | 'unlabelled';
  readonly probe: ProbeResult;
}

export interface RepairInspection {
  readonly name: string;
  readonly arn: string;
  readonly versions: readonly VersionRow[];
  readonly currentVersionId: string | undefined;
  readonly pendingVersionId: string | undefined;
  readonly pendingAgeMs: number | undefined;
  /** AWSPENDING on a version that is not AWSCURRENT. */
  readonly stale: boolean;
  readonly emergency: ReturnType<typeof emergencyStateOf>;
  readonly progress: RecordedProgress | undefined;
  readonly kind: string | undefined;
  readonly tools: KindTools | undefined;
  readonly current?: ProbeResult;
  /** The credential that logs in when AWSCURRENT does not (pending first, then unlabelled versions, newest first). */
  readonly candidate?: Candidate;
}

/** How many unlabelled versions to try, newest first, when AWSCURRENT is refused and nothing is pending. */
const UNLABELLED_TRIES = 5;

export async function inspectForRepair(
  ctx: CommandContext,
  secretId: string,
  options: { readonly kind?: string | undefined; readonly env: Readonly<Record<string, string | undefined>> },
): Promise<RepairInspection> {
  const send = ctx.signal ? { abortSignal: ctx.signal } : {};
  const described = await ctx.client.send(new DescribeSecretCommand({ SecretId: secretId }), send);
  const arn = described.ARN ?? secretId;
  const name = described.Name ?? secretId;
  const listed = await ctx.client.send(
    new ListSecretVersionIdsCommand({ SecretId: arn, MaxResults: 100, IncludeDeprecated: true }),
    send,
  );
  const versions: VersionRow[] = (listed.Versions ?? []).map((version) => ({
    versionId: version.VersionId ?? '',
    stages: described.VersionIdsToStages?.[version.VersionId ?? ''] ?? version.VersionStages ?? [],
    ...(version.CreatedDate ? { createdDate: version.CreatedDate } : {}),
  }));
  const stagesMap = described.VersionIdsToStages ?? {};
  const tags = Object.fromEntries((described.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const current = versions.find((version) => version.stages.includes('AWSCURRENT'));
  const pending = versions.find((version) => version.stages.includes('AWSPENDING'));
  const now = ctx.now();
  const pendingAgeMs = pending?.createdDate ? now - pending.createdDate.getTime() : undefined;
  const stale = pending !== undefined && pending.versionId !== current?.versionId;
  const progress = readProgress(tags);
  const kind = options.kind ?? progress?.kind;
  const base = {
    name,
    arn,
    versions,
    currentVersionId: current?.versionId,
    pendingVersionId: pending?.versionId,
    pendingAgeMs,
    stale,
    emergency: emergencyStateOf(stagesMap, tags),
    progress,
    kind,
  };
  if (!isProbeKind(kind) || current === undefined) return { ...base, tools: undefined };
  const tools = kindTools(kind, ctx.client, options.env);
  const probeVersion = async (versionId: string): Promise<ProbeResult> => {
    let secretString: string | undefined;
    try {
      secretString = (
        await ctx.client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }), send)
      ).SecretString;
    } catch {
      return { verdict: 'unknown', errorCode: 'ERR_SECRETS_MANAGER' };
    }
    if (secretString === undefined) return { verdict: 'unknown', errorCode: 'ERR_PENDING_MISSING' };
    let value: unknown;
    try {
      value = tools.parse(secretString, versionId);
    } catch {
      return { verdict: 'unknown', errorCode: 'ERR_SECRET_MALFORMED' };
    }
    return tools.probe(value);
  };
  const currentProbe = await probeVersion(current.versionId);
  const withCurrent = { ...base, tools, current: currentProbe };
  if (stale && pending) {
    return {
      ...withCurrent,
      candidate: {
        versionId: pending.versionId,
        source: 'pending',
        probe: await probeVersion(pending.versionId),
      },
    };
  }
  if (currentProbe.verdict !== 'refused') return withCurrent;
  // AWSCURRENT is refused and nothing is pending: an earlier repair may have cleared the
  // only label that pointed at the working credential. Look for it among unlabelled versions.
  const unlabelled = versions
    .filter((version) => version.stages.length === 0)
    .sort((a, b) => (b.createdDate?.getTime() ?? 0) - (a.createdDate?.getTime() ?? 0))
    .slice(0, UNLABELLED_TRIES);
  for (const version of unlabelled) {
    const probe = await probeVersion(version.versionId);
    if (probe.verdict === 'logs-in')
      return { ...withCurrent, candidate: { versionId: version.versionId, source: 'unlabelled', probe } };
  }
  return withCurrent;
}

/** Read one version's value and parse it with the kind's strategy (for finish and roll back). */
export async function loadParsed(
  ctx: CommandContext,
  tools: KindTools,
  arn: string,
  versionId: string,
): Promise<unknown> {
  const send = ctx.signal ? { abortSignal: ctx.signal } : {};
  const out = await ctx.client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }), send);
  if (out.SecretString === undefined) throw new Error(`version ${versionId} holds no SecretString`);
  return tools.parse(out.SecretString, versionId);
}
