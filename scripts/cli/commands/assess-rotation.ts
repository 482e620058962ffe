import {
  CurrentCredential,
  EmergencyState,
  ProgressTag,
  StepResult,
  emergencyStateOf,
  readProgress,
  type RecordedProgress,
} from '../../../shared/rotation-progress.ts';

/**
 * Pure rules for `status`: is a secret overdue for rotation, is a rotation running or
 * stuck, is an emergency unfinished, does AWSCURRENT log in (as the function recorded it).
 * No AWS calls here, so the rules are unit-tested with fixed dates.
 */

export const DEFAULT_PERIOD_DAYS = 90;
/** A pending version younger than this (with no recorded failure) is a rotation in flight, when the schedule sets no window. */
export const DEFAULT_IN_FLIGHT_MS = 60 * 60_000;
const DAY_MS = 86_400_000;

/** The fields status needs, from ListSecrets or DescribeSecret. */
export interface SecretFacts {
  readonly name: string;
  readonly arn: string;
  readonly rotationLambdaArn?: string;
  readonly automaticallyAfterDays?: number;
  readonly scheduleExpression?: string;
  readonly lastRotatedDate?: Date;
  readonly nextRotationDate?: Date;
  readonly createdDate?: Date;
  /** Set on replicated secrets: the Region of the primary. */
  readonly primaryRegion?: string;
  readonly versionIdsToStages: Readonly<Record<string, readonly string[]>>;
  /** RotationEnabled; undefined when the listing did not say. */
  readonly rotationEnabled?: boolean;
  /** RotationRules.Duration, e.g. "3h": the rotation window. */
  readonly windowDuration?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** CreatedDate of the AWSPENDING version (ListSecretVersionIds), when one is not AWSCURRENT. */
  readonly pendingCreatedDate?: Date;
}

/** The rotation's state, one word for scripts. */
export const RotationState = {
  idle: 'idle',
  /** AWSPENDING younger than the rotation window and no recorded failure: in flight. */
  rotating: 'rotating',
  /** AWSPENDING older than the window, failed, of unknown age, or left with rotation off. */
  stuck: 'stuck',
} as const;
export type RotationState = (typeof RotationState)[keyof typeof RotationState];

export interface RotationAssessment {
  readonly name: string;
  readonly arn: string;
  readonly rotationLambdaArn: string | undefined;
  /** "every 30 days", "rate(12 hours)", "none (90-day default)". */
  readonly schedule: string;
  readonly periodDays: number;
  readonly lastRotatedDate: Date | undefined;
  readonly nextRotationDate: Date | undefined;
  readonly overdue: boolean;
  /** Why it is overdue, for people. */
  readonly overdueReason?: string;
  /** AWSPENDING on a version that is not AWSCURRENT and not a rotation in flight: RotateSecret refuses until it is repaired. */
  readonly stuck: boolean;
  readonly state: RotationState;
  /** Why it is stuck, for people. */
  readonly stuckReason?: string;
  readonly pendingVersionId?: string;
  readonly currentVersionId?: string;
  readonly pendingAgeMs?: number;
  readonly rotationEnabled?: boolean;
  /** none, requested (tag, no rotation yet), in-progress, deferred (tag came after this rotation began), unfinished. */
  readonly emergency: string;
  /** works, replaced (single user between setSecret and finishSecret), fails; undefined when never recorded. */
  readonly currentCredential?: string;
  /** The function's last recorded step (RotationProgress:* tags). */
  readonly lastStep?: RecordedProgress;
  /** Things that make `status` exit 1, with their fix. */
  readonly problems: readonly string[];
}

/** The rotation period in days: AutomaticallyAfterDays, a rate() expression, or the 90-day default. */
export function rotationPeriodDays(
  facts: Pick<SecretFacts, 'automaticallyAfterDays' | 'scheduleExpression'>,
): { readonly days: number; readonly label: string } {
  if (facts.automaticallyAfterDays !== undefined && facts.automaticallyAfterDays > 0) {
    return { days: facts.automaticallyAfterDays, label: `every ${facts.automaticallyAfterDays} days` };
  }
  if (facts.scheduleExpression) {
    const rate = /^rate\(\s*(\d+)\s+(hour|hours|day|days)\s*\)$/i.exec(facts.scheduleExpression.trim());
    if (rate) {
      const amount = Number(rate[1]);
      const days = /^hour/i.test(rate[2] ?? '') ? amount / 24 : amount;
      return { days, label: facts.scheduleExpression };
    }
    // cron(): the interval is not computed here; NextRotationDate still flags a missed run.
    return {
      days: DEFAULT_PERIOD_DAYS,
      label: `${facts.scheduleExpression} (overdue after ${DEFAULT_PERIOD_DAYS} days)`,
    };
  }
  return { days: DEFAULT_PERIOD_DAYS, label: `none (${DEFAULT_PERIOD_DAYS}-day default)` };
}

export function assessRotation(facts: SecretFacts, nowMs: number): RotationAssessment {
  const period = rotationPeriodDays(facts);
  const reference = facts.lastRotatedDate ?? facts.createdDate;
  let overdueReason: string | undefined;
  if (reference !== undefined && nowMs - reference.getTime() > period.days * DAY_MS) {
    overdueReason = `${facts.lastRotatedDate ? 'last rotated' : 'created, never rotated,'} ${Math.floor((nowMs - reference.getTime()) / DAY_MS)} days ago; period ${formatDays(period.days)}`;
  } else if (facts.nextRotationDate !== undefined && facts.nextRotationDate.getTime() < nowMs) {
    overdueReason = `next rotation date ${facts.nextRotationDate.toISOString()} has passed`;
  }
  let currentVersionId: string | undefined;
  let pendingVersionId: string | undefined;
  for (const [versionId, stages] of Object.entries(facts.versionIdsToStages)) {
    if (stages.includes('AWSCURRENT')) currentVersionId = versionId;
    if (stages.includes('AWSPENDING')) pendingVersionId = versionId;
  }
  const tags = facts.tags ?? {};
  const progress = readProgress(tags);
  const blocking = pendingVersionId !== undefined && pendingVersionId !== currentVersionId;
  const pendingAgeMs = facts.pendingCreatedDate ? nowMs - facts.pendingCreatedDate.getTime() : undefined;
  const windowMs = parseWindowMs(facts.windowDuration) ?? DEFAULT_IN_FLIGHT_MS;
  const failedHere =
    progress !== undefined && progress.token === pendingVersionId && progress.outcome === StepResult.failed;
  let state: RotationState = RotationState.idle;
  let stuckReason: string | undefined;
  if (blocking) {
    if (facts.rotationEnabled === false)
      stuckReason = 'rotation is turned off and AWSPENDING was left behind';
    else if (failedHere)
      stuckReason = `${progress.step} failed${progress.errorCode ? ` with ${progress.errorCode}` : ''} (attempt ${progress.attempt})`;
    else if (pendingAgeMs === undefined) stuckReason = 'the pending version is of unknown age';
    else if (pendingAgeMs >= windowMs)
      stuckReason = `the pending version is older than the rotation window (${Math.round(windowMs / 60_000)} min)`;
    state = stuckReason === undefined ? RotationState.rotating : RotationState.stuck;
  }
  const emergency = emergencyStateOf(facts.versionIdsToStages, tags);
  // Read on its own, not from the whole record: before a single-user cut-over the function writes
  // Current=changing alone, and it must count even when no full step record has landed yet.
  const currentCredential = tags[ProgressTag.current];
  const problems: string[] = [];
  if (currentCredential === CurrentCredential.changing)
    problems.push(
      `AWSCURRENT may not log in: a single-user setSecret ${state === RotationState.rotating ? 'is changing' : 'was changing'} it on the target${state === RotationState.rotating ? '' : ` and did not finish; check and fix with: rotation repair ${facts.name}`}`,
    );
  if (currentCredential === CurrentCredential.replaced || currentCredential === CurrentCredential.fails)
    problems.push(
      currentCredential === CurrentCredential.replaced
        ? state === RotationState.rotating
          ? 'AWSCURRENT does not log in: a single-user rotation is between setSecret and finishSecret (the documented window)'
          : `AWSCURRENT does not log in: setSecret replaced it and the rotation did not finish; fix with: rotation repair ${facts.name} --finish (or --rollback)`
        : `AWSCURRENT does not log in (the function found no stored credential that does); inspect with: rotation repair ${facts.name}`,
    );
  if (emergency.state === EmergencyState.unfinished)
    problems.push(
      `unfinished emergency: AWSCURRENT came from an emergency rotation that did not finish revoking; the leaked credential may still work; fix with: rotation repair ${facts.name} --finish`,
    );
  else if (emergency.state === EmergencyState.deferred)
    problems.push(
      `emergency requested after the running rotation began: that rotation is not an emergency one; the tag applies to the next rotation (rotation rotate ${facts.name} once it ends)`,
    );
  else if (emergency.state === 'requested')
    problems.push(
      `emergency requested (RotationMode=emergency) and not yet rotated: the leaked credential still works; run: rotation rotate ${facts.name}`,
    );
  if (state === RotationState.stuck)
    problems.push(`stuck: ${stuckReason ?? ''}; inspect and fix with: rotation repair ${facts.name}`);
  return {
    name: facts.name,
    arn: facts.arn,
    rotationLambdaArn: facts.rotationLambdaArn,
    schedule: period.label,
    periodDays: period.days,
    lastRotatedDate: facts.lastRotatedDate,
    nextRotationDate: facts.nextRotationDate,
    overdue: overdueReason !== undefined,
    ...(overdueReason !== undefined ? { overdueReason } : {}),
    stuck: state === RotationState.stuck,
    state,
    ...(stuckReason !== undefined ? { stuckReason } : {}),
    ...(blocking ? { pendingVersionId } : {}),
    ...(currentVersionId !== undefined ? { currentVersionId } : {}),
    ...(blocking && pendingAgeMs !== undefined ? { pendingAgeMs } : {}),
    ...(facts.rotationEnabled !== undefined ? { rotationEnabled: facts.rotationEnabled } : {}),
    emergency: emergency.state,
    ...(currentCredential !== undefined ? { currentCredential } : {}),
    ...(progress !== undefined ? { lastStep: progress } : {}),
    problems,
  };
}

/** "3h", "90m", "2h30m" (RotationRules.Duration) in milliseconds. */
export function parseWindowMs(duration: string | undefined): number | undefined {
  if (duration === undefined) return undefined;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?$/.exec(duration.trim());
  if (!match || (match[1] === undefined && match[2] === undefined)) return undefined;
  return (Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 60_000;
}

function formatDays(days: number): string {
  return days < 1 ? `${Math.round(days * 24)} hours` : `${days} days`;
}
