import { Stage } from './constants.ts';
import { ErrorCode, RotationError, isRotationError } from './errors.ts';
import type { Log } from './observability.ts';
import {
  versionWithStage,
  type ReplicaStatus,
  type SecretDescription,
  type SecretsPort,
} from './secrets-port.ts';

/**
 * Replica Regions of a multi-Region secret. Secrets Manager rotates in the primary Region
 * and copies each new version to the replicas asynchronously, so a consumer in a replica
 * Region reads the old AWSCURRENT for a while. Before a step that ends the old
 * credential, every replica must be healthy and hold the primary's AWSCURRENT; after
 * finishSecret the function waits, within the Lambda's remaining time, until each replica
 * shows the new version as AWSCURRENT, and reports the lag per Region.
 *
 * A replica's ReplicationStatus only tells whether it exists (InProgress, InSync) or broke
 * (Failed); whether it holds the latest version is read from the replica itself, in its
 * own Region (DescribeSecret there).
 */

/** DescribeSecret in one replica Region. */
export type ReplicaSecretsFactory = (region: string) => Pick<SecretsPort, 'describeSecret'>;

export interface ReplicaSettings {
  /** REPLICA_SYNC_WAIT_MS: before a cut-over, how long a replica that is behind may take to catch up. Default 30 000. */
  readonly syncWaitMs: number;
  /** REPLICA_CATCH_UP_WAIT_MS: after finishSecret, how long to wait for every replica. Default 120 000. */
  readonly catchUpWaitMs: number;
  /** REPLICA_POLL_INTERVAL_MS: between two reads of a replica. Default 500. */
  readonly pollIntervalMs: number;
}

export const DEFAULT_REPLICA_SETTINGS: ReplicaSettings = Object.freeze({
  syncWaitMs: 30_000,
  catchUpWaitMs: 120_000,
  pollIntervalMs: 500,
});

/** Kept back from the Lambda's remaining time for recording and logging. */
export const REPLICA_RESERVE_MS = 3_000;

/** Where a replica stands relative to the version the primary asks of it. */
export const ReplicaState = {
  holds: 'holds',
  behind: 'behind',
  failed: 'failed',
  unreadable: 'unreadable',
} as const;
export type ReplicaState = (typeof ReplicaState)[keyof typeof ReplicaState];

export interface ReplicaReport {
  readonly region: string;
  readonly state: ReplicaState;
  /** From the label move in the primary until the replica was seen holding the version. */
  readonly lagMs?: number;
  /** ReplicationStatus's StatusMessage of a Failed replica, or the AWS error name when unreadable. */
  readonly reason?: string;
  /** The replica's AWSCURRENT when last read. */
  readonly replicaVersionId?: string;
}

export interface ReplicaGuardDeps {
  readonly replicas: ReplicaSecretsFactory;
  readonly primary: Pick<SecretsPort, 'describeSecret'>;
  readonly settings: ReplicaSettings;
  readonly logger: Log;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Milliseconds the invocation may still spend, or undefined when unknown. */
export type RemainingTime = (() => number) | undefined;

/** A secret is replicated when DescribeSecret lists replica Regions. */
export function replicaRegions(description: SecretDescription): readonly ReplicaStatus[] {
  return description.ReplicationStatus ?? [];
}

/** The replica's ARN: the primary's with the Region changed (AWS names replicas so). */
export function replicaArn(primaryArn: string, region: string): string {
  const parts = primaryArn.split(':');
  parts[3] = region;
  return parts.join(':');
}

export class ReplicaGuard {
  readonly #deps: ReplicaGuardDeps;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(deps: ReplicaGuardDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => Date.now());
    this.#sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Before a cut-over (`before` names it): every replica must hold the primary's AWSCURRENT.
   * A Failed replica stops at once; one that is behind or unreadable may catch up within
   * REPLICA_SYNC_WAIT_MS. Throws ERR_REPLICA_FAILED, ERR_REPLICA_UNREACHABLE or
   * ERR_REPLICA_BEHIND naming every Region concerned; changes nothing.
   */
  async requireInSync(
    description: SecretDescription,
    before: string,
    remaining: RemainingTime,
  ): Promise<void> {
    if (replicaRegions(description).length === 0) return;
    const currentId = versionWithStage(description.VersionIdsToStages, Stage.AWSCURRENT);
    if (currentId === undefined) return;
    const reports = await this.#poll(
      description.ARN,
      currentId,
      this.#budget(this.#deps.settings.syncWaitMs, remaining),
      {
        stopOnFailed: true,
      },
    );
    const bad = reports.filter((report) => report.state !== ReplicaState.holds);
    if (bad.length === 0) {
      this.#deps.logger.info('Every replica Region holds AWSCURRENT', {
        before,
        versionId: currentId,
        replicaRegions: reports.map((report) => report.region).join(','),
      });
      return;
    }
    const failed = bad.filter((report) => report.state === ReplicaState.failed);
    const unreadable = bad.filter((report) => report.state === ReplicaState.unreadable);
    const regions = (list: readonly ReplicaReport[]): string =>
      list.map((report) => report.region).join(', ');
    const details = {
      secretArn: description.ARN,
      versionId: currentId,
      before,
      regions: regions(bad),
    };
    if (failed.length > 0) {
      throw new RotationError(
        ErrorCode.ERR_REPLICA_FAILED,
        `Secret ${description.ARN}: replication to ${failed.map(describeFailure).join('; ')} has ` +
          `Failed; refusing ${before}, which would end the credential that Region serves. Fix or ` +
          `remove the replica, then rotate again`,
        { details: { ...details, regions: regions(failed) } },
      );
    }
    if (unreadable.length > 0) {
      throw new RotationError(
        ErrorCode.ERR_REPLICA_UNREACHABLE,
        `Secret ${description.ARN}: the replica in ` +
          `${unreadable.map((r) => `${r.region} (${r.reason ?? 'error'})`).join(', ')} could not ` +
          `be read; refusing ${before}. Grant secretsmanager:DescribeSecret on the replica ARN`,
        { details: { ...details, regions: regions(unreadable) } },
      );
    }
    throw new RotationError(
      ErrorCode.ERR_REPLICA_BEHIND,
      `Secret ${description.ARN}: replica ` +
        `${bad.map((r) => `${r.region} holds ${r.replicaVersionId ?? 'no version'}`).join(', ')}, ` +
        `not AWSCURRENT ${currentId}; refusing ${before} until replication catches up`,
      { details },
    );
  }

  /** After the label move: wait until every replica holds `versionId` as AWSCURRENT, within REPLICA_CATCH_UP_WAIT_MS and the time left. */
  async waitForCatchUp(
    description: SecretDescription,
    versionId: string,
    movedAtMs: number,
    remaining: RemainingTime,
  ): Promise<readonly ReplicaReport[]> {
    if (replicaRegions(description).length === 0) return [];
    return this.#poll(
      description.ARN,
      versionId,
      this.#budget(this.#deps.settings.catchUpWaitMs, remaining),
      {
        stopOnFailed: true,
        movedAtMs,
      },
    );
  }

  #budget(configuredMs: number, remaining: RemainingTime): number {
    if (remaining === undefined) return configuredMs;
    return Math.max(0, Math.min(configuredMs, remaining() - REPLICA_RESERVE_MS));
  }

  /** Read every replica until each holds `versionId` or the budget is spent; a Failed one is final. */
  async #poll(
    primaryArn: string,
    versionId: string,
    budgetMs: number,
    options: { readonly stopOnFailed: boolean; readonly movedAtMs?: number },
  ): Promise<ReplicaReport[]> {
    const deadline = this.#now() + budgetMs;
    const done = new Map<string, ReplicaReport>();
    let latest = new Map<string, ReplicaReport>();
    for (;;) {
      const primary = await this.#deps.primary.describeSecret(primaryArn);
      latest = new Map();
      for (const replica of replicaRegions(primary)) {
        const region = replica.Region;
        const finished = done.get(region);
        if (finished) {
          latest.set(region, finished);
          continue;
        }
        const report = await this.#read(primaryArn, replica, versionId, options.movedAtMs);
        latest.set(region, report);
        if (
          report.state === ReplicaState.holds ||
          (report.state === ReplicaState.failed && options.stopOnFailed)
        )
          done.set(region, report);
      }
      const open = [...latest.values()].filter((report) => !done.has(report.region));
      if (open.length === 0 || this.#now() >= deadline) break;
      this.#deps.logger.info('Waiting for replica Regions', {
        versionId,
        replicaRegions: open.map((report) => `${report.region}=${report.state}`).join(','),
      });
      await this.#sleep(Math.min(this.#deps.settings.pollIntervalMs, Math.max(0, deadline - this.#now())));
    }
    return [...latest.values()];
  }

  async #read(
    primaryArn: string,
    replica: ReplicaStatus,
    versionId: string,
    movedAtMs: number | undefined,
  ): Promise<ReplicaReport> {
    const region = replica.Region;
    if (replica.Status === 'Failed')
      return {
        region,
        state: ReplicaState.failed,
        ...(replica.StatusMessage ? { reason: replica.StatusMessage } : {}),
      };
    let described: SecretDescription;
    try {
      described = await this.#deps.replicas(region).describeSecret(replicaArn(primaryArn, region));
    } catch (error) {
      const awsError = isRotationError(error) ? String(error.details['awsError'] ?? error.code) : 'Error';
      // InProgress: the replica is not created yet, so it is behind, not broken.
      if (awsError === 'ResourceNotFoundException') return { region, state: ReplicaState.behind };
      return { region, state: ReplicaState.unreadable, reason: awsError };
    }
    const replicaVersionId = versionWithStage(described.VersionIdsToStages, Stage.AWSCURRENT);
    if (replicaVersionId === versionId)
      return {
        region,
        state: ReplicaState.holds,
        replicaVersionId,
        ...(movedAtMs !== undefined ? { lagMs: Math.max(0, Math.round(this.#now() - movedAtMs)) } : {}),
      };
    return { region, state: ReplicaState.behind, ...(replicaVersionId ? { replicaVersionId } : {}) };
  }
}

function describeFailure(report: ReplicaReport): string {
  return report.reason ? `${report.region} (${report.reason})` : report.region;
}

/**
 * The tag the function records replica progress in (RotationReplicas): the version and,
 * per Region, its lag or state, e.g. `<versionId> us-west-2=1520ms eu-west-1=behind`.
 * Tag values allow letters, digits, spaces and `_.:/=+-@`, up to 256 characters.
 */
export const REPLICA_STATUS_TAG = 'RotationReplicas';

export function formatReplicaTag(versionId: string, reports: readonly ReplicaReport[]): string {
  const parts = reports.map((report) =>
    report.state === ReplicaState.holds
      ? `${report.region}=${report.lagMs ?? 0}ms`
      : `${report.region}=${report.state}`,
  );
  return [versionId, ...parts].join(' ').slice(0, 256);
}

/** The regions a recorded tag names as not holding `versionId` (undefined: the tag is about another version). */
export function unfinishedRegions(
  tagValue: string | undefined,
  versionId: string,
): readonly string[] | undefined {
  if (tagValue === undefined) return undefined;
  const [recorded, ...parts] = tagValue.split(' ');
  if (recorded !== versionId) return undefined;
  return parts.filter((part) => !/=\d+ms$/.test(part)).map((part) => part.split('=')[0] ?? part);
}
